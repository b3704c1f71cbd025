/**
 * `aviary wait NAME.NAMESPACE`: blocks until the canary's current revision reaches a
 * verdict, for CI pipelines. Exit 0: Succeeded (or Initialized: a first deployment has
 * nothing to analyse); 1: Failed (the reason is printed); 2: timeout, usage error, or
 * interrupted.
 *
 * "Current revision" is level-triggered, like the engine: the verdict is the canary's
 * terminal phase only when the target's pod template is the one the canary last applied
 * (status.lastAppliedSpec, Flagger's hasSpecChanged). So a `kubectl set image` followed at
 * once by `aviary wait` waits for the new rollout instead of returning the previous one's
 * Succeeded, and a canary that is already terminal with nothing pending returns at once.
 * With an in-cluster Flagger the hashes are Flagger's own and cannot be compared: the
 * phase alone decides there.
 *
 * Without --control it only watches (something else drives the canary: `aviary run`, the
 * app, or Flagger); with --control it runs the engine for that context too, taking the
 * cluster's Lease, so one CI step both drives and awaits the rollout.
 */
import type { ContextInfo, LogRecord } from '../../shared/api';
import { parseArgs, UsageError } from '../../shared/args';
import { hasSpecChanged, podTemplateHash } from '../../core/canary/hash';
import { summarize } from '../../core/fleet/summary';
import type { KubeObject } from '../../core/kube/api';
import { createClusterClient, type ClusterClient } from '../../core/kube/cluster-client';
import { detectInClusterFlagger } from '../../core/kube/flagger-detect';
import { COMMON_FLAGS, CONTROL_FLAG, parseCommon, parseDuration } from './options';
import { formatText, fromRecord } from './format';
import { openHeadless } from './headless';
import type { CommandIo } from './io';
import { watchClusterChanges } from './stream';

export const WAIT_USAGE = `Usage: aviary wait NAME.NAMESPACE [--kubeconfig FILE] [--playground FILE] [--context C]
                  [--timeout 10m] [--control CONTEXT|all] [--json]

Waits until the canary's current revision succeeds or fails, for CI:
  exit 0  Succeeded (or Initialized: a first deployment has no analysis)
  exit 1  Failed; the last halt and failure reasons are printed
  exit 2  timeout, usage error, or interrupted

A canary already Succeeded/Failed returns at once, unless its target has changed since
(a release the controller has not started yet): then it waits for that new rollout.

  --context C        the context to look in (needed when several contexts have the canary)
  --timeout D        give up after D, e.g. 90s, 10m, 1h (default 10m)
  --control C|all    also drive the canary from here (takes the cluster's Lease), as
                     \`aviary run\` does; without it, wait only watches (another Aviary,
                     \`aviary run\` or an in-cluster Flagger drives the canary)
  --json             the verdict as one JSON object
  --kubeconfig FILE, --playground FILE  as for \`aviary run\``;

const POLL_MS = 1000;
const SUCCESS = new Set(['Succeeded', 'Initialized']);
const CANARY = 'flagger.app/v1beta1';

interface CanaryStatusFields {
  phase?: string;
  canaryWeight?: number;
  failedChecks?: number;
  lastAppliedSpec?: string;
  lastPromotedSpec?: string;
}

interface Verdict {
  code: number;
  phase: string;
  reasons: string[];
}

export function parseCanaryRef(text: string | undefined): { name: string; namespace: string } {
  const dot = text?.lastIndexOf('.') ?? -1;
  const name = text?.slice(0, dot) ?? '';
  const namespace = text?.slice(dot + 1) ?? '';
  const dns = /^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/;
  if (!text || dot <= 0 || !dns.test(name) || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace))
    throw new UsageError(
      `the canary must be given as NAME.NAMESPACE (as Flagger prints it), e.g. podinfo.test${text ? `; got "${text}"` : ''}`,
    );
  return { name, namespace };
}

export async function waitCommand(argv: string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, { ...COMMON_FLAGS, ...CONTROL_FLAG, '--timeout': 'string' });
  const common = parseCommon(args);
  if (common.help) {
    io.out(WAIT_USAGE);
    return 0;
  }
  if (args.positionals.length > 1)
    throw new UsageError(`unexpected argument ${args.positionals[1]}`);
  const { name, namespace } = parseCanaryRef(args.positionals[0]);
  const dotted = `${name}.${namespace}`;
  const timeoutText = args.strings.get('--timeout') ?? '10m';
  const timeoutMs = parseDuration(timeoutText, '--timeout');
  const deadline = Date.now() + timeoutMs;
  // wait watches unless told to drive: the playground is not driven by default here.
  const control = common.control.kind === 'default' ? { kind: 'none' as const } : common.control;

  const records: LogRecord[] = [];
  const headless = await openHeadless({
    common,
    control,
    version: io.version,
    env: io.env,
    onLog: (record) => {
      if (record.canary !== dotted) return;
      records.push(record);
      io.err(formatText(fromRecord(record)));
    },
  });
  const clients = new Map<string, ClusterClient>();
  const unwatch = watchClusterChanges(headless, (line) => {
    if (control.kind !== 'none') io.err(formatText(line));
  });
  let stopped: string | undefined;
  void io.stopRequested.then((signal) => (stopped = signal));

  const report = (verdict: Verdict, context: string): number => {
    if (common.json) {
      io.out(
        JSON.stringify({
          canary: dotted,
          context,
          phase: verdict.phase,
          result: verdict.code === 0 ? 'succeeded' : verdict.code === 1 ? 'failed' : 'unknown',
          ...(verdict.reasons.length ? { reasons: verdict.reasons } : {}),
        }),
      );
    } else {
      io.out(
        `${dotted} on ${context}: ${verdict.phase}${verdict.reasons.length ? `: ${verdict.reasons[0]}` : ''}`,
      );
      for (const reason of verdict.reasons.slice(1)) io.out(`  ${reason}`);
    }
    return verdict.code;
  };

  try {
    const clientFor = (context: ContextInfo): ClusterClient | undefined => {
      const existing = clients.get(context.id);
      if (existing) return existing;
      const kc = headless.service.catalog.kubeConfigFor(context.id);
      if (!kc) return undefined;
      const api = createClusterClient(context.id, kc, { clock: headless.clock });
      clients.set(context.id, api);
      return api;
    };
    const left = (): number => deadline - Date.now();
    const timedOut = (what: string): number => {
      io.err(`aviary wait: timed out after ${timeoutText}: ${what}`);
      return 2;
    };
    const interrupted = (): number => {
      io.err(`aviary wait: ${stopped}, giving up`);
      return 2;
    };

    // 1. Which context has it (it may not exist yet: CI often applies it just before).
    let found: { context: ContextInfo; api: ClusterClient } | undefined;
    let announced = false;
    while (!found) {
      if (stopped) return interrupted();
      const contexts = await headless.settled(Math.max(0, left()));
      const holders: { context: ContextInfo; api: ClusterClient }[] = [];
      const problems: string[] = [];
      await Promise.all(
        contexts.map(async (context) => {
          if (context.connection.state !== 'connected') {
            problems.push(`${context.id}: ${context.connection.state}`);
            return;
          }
          const api = clientFor(context);
          if (!api) return;
          try {
            const object = await api.get({ apiVersion: CANARY, kind: 'Canary', namespace, name });
            if (object) holders.push({ context, api });
          } catch (err) {
            problems.push(`${context.id}: ${(err as Error).message}`);
          }
        }),
      );
      if (holders.length > 1) {
        throw new UsageError(
          `${dotted} exists in ${holders.map((h) => h.context.id).join(' and ')}: pick one with --context`,
        );
      }
      found = holders[0];
      if (found) break;
      if (left() <= 0)
        return timedOut(
          `no canary ${dotted}${problems.length ? ` (${problems.join('; ')})` : ''} in ${contexts.map((c) => c.id).join(', ')}`,
        );
      if (!announced) {
        io.err(`aviary wait: no canary ${dotted} yet; waiting for it to appear`);
        announced = true;
      }
      await sleep(POLL_MS);
    }
    const { context, api } = found;
    const key = `${context.id}/${namespace}/${name}`;
    const driving = headless.controls(context);
    io.err(
      `aviary wait: ${dotted} on ${context.id}; ${
        driving
          ? 'driving it from here (--control)'
          : 'watching only: an in-cluster Flagger, the app or `aviary run` must drive it (--control drives it from here)'
      }`,
    );

    // 2. Evaluate on every change of the canary, and every second in case of a quiet target.
    let wake: (() => void) | undefined;
    const unsubscribe = headless.service.subscribe((event) => {
      if (event.type === 'canaries.changed' && event.changed.some((c) => c.key === key)) wake?.();
    });
    try {
      let flagger: boolean | undefined;
      let last = '';
      let pendingNoted = false;
      let seenPhase: string | undefined;
      for (;;) {
        if (stopped) return interrupted();
        if (flagger === undefined) {
          flagger = await detectInClusterFlagger(api).then(
            (p) => p.present,
            () => undefined,
          );
        }
        let object: KubeObject | undefined;
        let problem: string | undefined;
        try {
          object = await api.get({ apiVersion: CANARY, kind: 'Canary', namespace, name });
        } catch (err) {
          problem = (err as Error).message;
        }
        if (!problem && !object) {
          io.out(`${dotted} on ${context.id}: deleted`);
          return 1;
        }
        if (object) {
          const status = (object.status ?? {}) as CanaryStatusFields;
          const phase = status.phase ?? 'Unknown';
          seenPhase = phase;
          const progress = `${phase} weight ${status.canaryWeight ?? 0} failedChecks ${status.failedChecks ?? 0}`;
          if (progress !== last && !driving)
            io.err(
              `${new Date(headless.clock.now()).toISOString()} ${context.id} ${dotted} ${progress}`,
            );
          last = progress;
          const terminal = SUCCESS.has(phase) || phase === 'Failed';
          if (terminal && flagger !== undefined) {
            const pending = flagger ? false : await revisionPending(api, object, status);
            if (pending === false) {
              if (SUCCESS.has(phase)) return report({ code: 0, phase, reasons: [] }, context.id);
              const reasons = await failureReasons(api, object, records, context.id);
              return report({ code: 1, phase, reasons }, context.id);
            }
            if (pending && !pendingNoted) {
              io.err(
                `aviary wait: ${dotted} is ${phase} for its previous revision; its target changed since: waiting for the new rollout`,
              );
              pendingNoted = true;
            }
          }
          if (phase === 'Terminating' || phase === 'Terminated') {
            io.out(`${dotted} on ${context.id}: ${phase}`);
            return 1;
          }
        }
        if (left() <= 0)
          return timedOut(
            `${dotted} on ${context.id} is ${problem ? `unreadable (${problem})` : (seenPhase ?? 'Unknown')}${
              pendingNoted ? ' with a new revision not started' : ''
            }`,
          );
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(POLL_MS, Math.max(0, left())));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
    } finally {
      unsubscribe();
    }
  } finally {
    unwatch();
    for (const api of clients.values()) api.close();
    await headless.stop();
  }
}

/**
 * Whether the target has a revision the canary has not applied yet (true), has none (false),
 * or cannot tell (undefined: the read failed; ask again).
 */
async function revisionPending(
  api: ClusterClient,
  canary: KubeObject,
  status: CanaryStatusFields,
): Promise<boolean | undefined> {
  const ref = (canary.spec as { targetRef?: { apiVersion?: string; kind?: string; name?: string } })
    ?.targetRef;
  if (!ref?.kind || !ref.name || (ref.kind !== 'Deployment' && ref.kind !== 'DaemonSet'))
    return false;
  try {
    const target = await api.get({
      apiVersion: ref.apiVersion ?? 'apps/v1',
      kind: ref.kind,
      namespace: canary.metadata.namespace ?? 'default',
      name: ref.name,
    });
    if (!target) return false;
    return hasSpecChanged(status, podTemplateHash(target as { spec?: { template?: unknown } }));
  } catch {
    return undefined;
  }
}

/** The last halt and the failure itself, from this process's log or else the Canary's Events. */
async function failureReasons(
  api: ClusterClient,
  canary: KubeObject,
  records: LogRecord[],
  context: string,
): Promise<string[]> {
  const ours = records.map((r) => r.message);
  let warnings = ours.some((m) => /^(Rolling back|Canary failed)/.test(m)) ? ours : [];
  if (!warnings.length) {
    try {
      const events = await api.list('v1', 'Event', canary.metadata.namespace, {
        fieldSelector: `involvedObject.kind=Canary,involvedObject.name=${canary.metadata.name}`,
      });
      warnings = events
        .filter((e) => (e as { type?: string }).type === 'Warning')
        .sort(
          (a, b) =>
            eventTime(a).localeCompare(eventTime(b)) ||
            a.metadata.name.localeCompare(b.metadata.name),
        )
        .map((e) =>
          String((e as { message?: string }).message ?? '').replace(
            /^\(combined from similar events\): /,
            '',
          ),
        );
    } catch {
      warnings = [];
    }
  }
  const reasons: string[] = [];
  const failure =
    warnings.findLast((m) => m.startsWith('Rolling back')) ??
    warnings.findLast((m) => m.startsWith('Canary failed')) ??
    warnings.at(-1);
  const halt = warnings.findLast((m) => m.startsWith('Halt '));
  if (failure) reasons.push(failure);
  if (halt && halt !== failure) reasons.push(`last halt: ${halt}`);
  if (!reasons.length) {
    const message = summarize(context, canary, 'observed').message;
    if (message) reasons.push(message);
  }
  return reasons;
}

function eventTime(event: KubeObject): string {
  const e = event as { lastTimestamp?: string; eventTime?: string; firstTimestamp?: string };
  return e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? '';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
