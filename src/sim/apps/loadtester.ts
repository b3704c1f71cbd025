/**
 * flagger-loadtester (ghcr.io/fluxcd/flagger-loadtester, weaveworks/flagger-loadtester):
 * the HTTP protocol of pkg/loadtester/server.go, status codes and texts included (see
 * spec/flagger.md §5). Commands never run on the host: `cmd` and `bash` tasks run in the
 * simulated shell (apps/shell.ts), so `hey` sends its load through the traffic simulation
 * and `curl ... | grep ...` checks real simulated answers.
 *
 * Gates and rollback flags live in this loadtester's memory, one store per Deployment,
 * as in the real single-replica loadtester (a restart forgets them).
 */
import type { App, AppContext, AppKind, AppRequest, AppResponse } from './app';
import { text } from './app';
import { runShell } from './shell';

interface WebhookPayload {
  name: string;
  namespace: string;
  phase: string;
  checksum: string;
  metadata: Record<string, string>;
}

/**
 * Decodes a CanaryWebhookPayload as Go's json.Unmarshal would: an unparsable body or a
 * field of the wrong type fails (→ 400); missing fields and `null` are zero values.
 */
export function decodePayload(body: string): WebhookPayload | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (value === null) value = {};
  if (typeof value !== 'object' || Array.isArray(value)) return undefined;
  const o = value as Record<string, unknown>;
  const str = (k: string): string | undefined => {
    const v = o[k];
    if (v === undefined || v === null) return '';
    return typeof v === 'string' ? v : undefined;
  };
  const name = str('name');
  const namespace = str('namespace');
  const phase = str('phase');
  const checksum = str('checksum');
  if (
    name === undefined ||
    namespace === undefined ||
    phase === undefined ||
    checksum === undefined
  )
    return undefined;
  const rawMetadata = o['metadata'];
  const metadata: Record<string, string> = {};
  if (rawMetadata !== undefined && rawMetadata !== null) {
    if (typeof rawMetadata !== 'object' || Array.isArray(rawMetadata)) return undefined;
    for (const [k, v] of Object.entries(rawMetadata)) {
      if (typeof v !== 'string') return undefined;
      metadata[k] = v;
    }
  }
  return { name, namespace, phase, checksum, metadata };
}

/** Go's strconv.ParseBool; anything else is false, as the server ignores the parse error. */
function parseBool(value: string | undefined): boolean {
  return value !== undefined && ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value);
}

const empty = (status: number): AppResponse => ({ status, headers: {}, body: '' });
const KNOWN_ASYNC_TYPES = new Set(['cmd', 'ngrinder']);

export class Loadtester implements App {
  readonly userTraffic = false;
  private readonly gates = new Map<string, boolean>();
  private readonly running = new Set<string>();
  /** The loadtester's log lines (newest last), for the UI and tests. */
  readonly log: string[] = [];

  private write(line: string): void {
    this.log.push(line);
    if (this.log.length > 500) this.log.splice(0, this.log.length - 500);
  }

  /** GateStorage.isOpen: an unseen key is stored as closed. */
  private isOpen(key: string): boolean {
    if (!this.gates.has(key)) this.gates.set(key, false);
    return this.gates.get(key) ?? false;
  }

  async handle(req: AppRequest, ctx: AppContext): Promise<AppResponse> {
    const path = req.path;
    if (path === '/healthz') return text(200, 'OK');
    if (path === '/metrics') return text(200, '', 'text/plain; version=0.0.4; charset=utf-8');
    if (path === '/gate/approve') return text(200, 'OK');
    if (path === '/gate/halt') return text(403, 'Forbidden');

    const gate = /^\/(gate|rollback)\/(check|open|close)$/.exec(path);
    if (gate) {
      const payload = decodePayload(req.body);
      if (!payload) return empty(400);
      const canary = `${payload.name}.${payload.namespace}`;
      const key = gate[1] === 'rollback' ? `rollback.${canary}` : canary;
      const what = gate[1] === 'rollback' ? 'rollback' : 'gate';
      if (gate[2] === 'check') {
        const approved = this.isOpen(key);
        this.write(`${key} ${what} check: approved ${String(approved)}`);
        return approved ? text(200, 'Approved') : text(403, 'Forbidden');
      }
      this.gates.set(key, gate[2] === 'open');
      this.write(`${key} ${what} ${gate[2] === 'open' ? 'opened' : 'closed'}`);
      return empty(202);
    }

    return this.newTask(req, ctx);
  }

  private async newTask(req: AppRequest, ctx: AppContext): Promise<AppResponse> {
    const payload = decodePayload(req.body);
    if (!payload) return empty(400);
    const metadata = payload.metadata;
    if (Object.keys(metadata).length === 0) return text(400, 'metadata not found in payload');
    const type = metadata['type'] ?? 'cmd';
    const returnOutput = parseBool(metadata['returnCmdOutput']);
    const canary = `${payload.name}.${payload.namespace}`;
    const cmd = metadata['cmd'] ?? '';

    const blocking: Record<string, string | undefined> = {
      bash: cmd,
      helm: `helm ${cmd}`,
      helmv3: `helmv3 ${cmd}`,
      kubectl: `kubectl ${cmd}`,
    };
    if (type in blocking) {
      this.write(`${type} command ${cmd}`);
      const result = await runShell(blocking[type] ?? '', {
        clock: ctx.clock,
        network: ctx.network,
        dialect: 'bash',
      });
      if (result.code !== 0) {
        this.write(`command failed ${cmd} exit status ${result.code} ${result.output}`);
        return text(500, `command ${cmd} failed: ${result.output}: exit status ${result.code}`);
      }
      this.write(`command finished ${cmd}`);
      return returnOutput ? text(200, result.output) : empty(200);
    }
    if (type === 'concord') return text(500, 'concord tasks are not simulated in the playground');
    if (!KNOWN_ASYNC_TYPES.has(type)) return text(400, `unknown task type ${type}`);
    if (type === 'ngrinder') {
      this.write(`ngrinder task for ${canary} accepted (not simulated)`);
      return empty(202);
    }
    if (!('cmd' in metadata)) return text(400, 'cmd not found in metadata');

    // The task runner deduplicates by hash(canary + cmd): a command still running is skipped.
    const hash = `${canary}\u0000${cmd}`;
    if (this.running.has(hash)) {
      this.write(`command skipped ${cmd} is already running`);
      return empty(202);
    }
    this.running.add(hash);
    this.write(`command starting ${cmd}`);
    void runShell(cmd, { clock: ctx.clock, network: ctx.network, dialect: 'sh' })
      .then((result) => {
        if (result.code !== 0)
          this.write(`command failed ${cmd} exit status ${result.code} ${result.output}`);
        else {
          if (parseBool(metadata['logCmdOutput'])) this.write(result.output);
          this.write(`command finished ${cmd}`);
        }
      })
      .catch((error: unknown) => this.write(`command failed ${cmd} ${String(error)}`))
      .finally(() => this.running.delete(hash));
    return empty(202);
  }
}

export const loadtesterApp: AppKind = {
  name: 'flagger-loadtester',
  matches: (repository) => /(^|\/)(fluxcd|weaveworks)\/flagger-loadtester$/.test(repository),
  create: () => new Loadtester(),
};
