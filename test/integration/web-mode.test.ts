import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ApiEvent, ContextsSnapshot } from '../../src/shared/api';
import { createAviaryService, type AviaryService } from '../../src/core/service';
import { SettingsStore } from '../../src/core/settings';
import { startWebMode, type WebModeServer } from '../../src/server/web';
import { TOKEN_PROTOCOL_PREFIX, WIRE_PROTOCOL, type ServerFrame } from '../../src/shared/wire';

let dir: string;
let service: AviaryService;
let web: WebModeServer;
const logLines: string[] = [];

const KUBECONFIG = `apiVersion: v1
kind: Config
current-context: alpha
clusters:
- name: c1
  cluster: { server: "https://127.0.0.1:1" }
contexts:
- name: alpha
  context: { cluster: c1, user: u1, namespace: team-a }
- name: beta
  context: { cluster: c1, user: u1 }
users:
- name: u1
  user: { token: "super-secret-token-value" }
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aviary-web-'));
  const rendererDir = join(dir, 'renderer');
  await mkdir(join(rendererDir, 'assets'), { recursive: true });
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>Aviary</title>');
  await writeFile(join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  await writeFile(join(dir, 'secret.txt'), 'do not serve');
  await writeFile(join(dir, 'kubeconfig.yaml'), KUBECONFIG);
  const settings = SettingsStore.inDir(join(dir, 'config'));
  await settings.load();
  service = createAviaryService({
    host: { mode: 'web', version: '0.0.0-test' },
    settings,
    kubeconfigFlag: [join(dir, 'kubeconfig.yaml')],
    env: {},
    homeDir: dir,
    log: (line) => logLines.push(line),
  });
  await service.start();
  web = await startWebMode({ backend: service, rendererDir, log: (line) => logLines.push(line) });
});

afterAll(async () => {
  await web?.close();
  await service?.stop();
  await rm(dir, { recursive: true, force: true });
});

function httpGet(
  path: string,
  host = `127.0.0.1:${web.port}`,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: web.port, path, headers: { host }, timeout: 5000 },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Opens the API socket; resolves with the socket or the HTTP status it was refused with. */
function connect(options: { token?: string; origin?: string }): Promise<WebSocket | number> {
  const protocols = [
    WIRE_PROTOCOL,
    ...(options.token ? [TOKEN_PROTOCOL_PREFIX + options.token] : []),
  ];
  const ws = new WebSocket(`ws://127.0.0.1:${web.port}/api`, protocols, {
    origin: options.origin ?? web.origin,
    handshakeTimeout: 5000,
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', reject);
  });
}

class Client {
  private nextId = 1;
  private pending = new Map<number, (frame: ServerFrame) => void>();
  readonly events: ApiEvent[] = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as ServerFrame;
      if (frame.kind === 'event') this.events.push(frame.event);
      else this.pending.get(frame.id)?.(frame);
    });
  }

  invoke(method: string, args: unknown): Promise<ServerFrame> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.ws.send(JSON.stringify({ kind: 'invoke', id, method, args }));
    });
  }
}

describe('web mode', () => {
  it('serves the renderer with a strict CSP and refuses other hosts and paths outside it', async () => {
    const page = await httpGet('/');
    expect(page.status).toBe(200);
    expect(String(page.headers['content-security-policy'])).toContain("script-src 'self'");
    expect(String(page.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
    expect((await httpGet('/assets/app.js')).status).toBe(200);
    expect((await httpGet('/../secret.txt')).body).not.toContain('do not serve');
    expect((await httpGet('/%2e%2e/secret.txt')).body).not.toContain('do not serve');
    // An encoded slash survives URL normalisation and must be caught after decoding.
    expect((await httpGet('/..%2fsecret.txt')).status).toBe(403);
    // A DNS-rebinding page reaches us under its own host name.
    expect((await httpGet('/', 'evil.example:80')).status).toBe(421);
  });

  it('refuses a WebSocket without the token, with a wrong token, or from another origin', async () => {
    expect(await connect({})).toBe(401);
    expect(await connect({ token: 'x'.repeat(web.token.length) })).toBe(401);
    expect(await connect({ token: web.token, origin: 'http://evil.example' })).toBe(403);
    expect(await connect({ token: web.token, origin: `http://127.0.0.1:${web.port + 1}` })).toBe(
      403,
    );
  });

  it('carries the contract: invoke, validation errors, and pushed events', async () => {
    const ws = (await connect({ token: web.token })) as WebSocket;
    expect(ws).toBeInstanceOf(WebSocket);
    const client = new Client(ws);

    const info = await client.invoke('app.info', {});
    expect(info).toMatchObject({
      kind: 'outcome',
      ok: true,
      value: { name: 'Aviary', mode: 'web', canPickFiles: false },
    });

    const list = await client.invoke('contexts.list', {});
    expect(list.kind === 'outcome' && list.ok).toBe(true);
    const snapshot = (list as { value: ContextsSnapshot }).value;
    expect(snapshot.contexts.map((c) => c.name).sort()).toEqual(['alpha', 'beta']);
    expect(snapshot.selectedContext).toBe('alpha');

    expect(await client.invoke('contexts.select', { context: 42 })).toMatchObject({
      ok: false,
      error: { code: 'invalid-argument', message: expect.stringContaining('args.context') },
    });
    expect(await client.invoke('contexts.select', { context: 'beta', extra: 1 })).toMatchObject({
      ok: false,
      error: { code: 'invalid-argument' },
    });
    expect(await client.invoke('contexts.select', { context: 'nope' })).toMatchObject({
      ok: false,
      error: { code: 'not-found' },
    });
    expect(await client.invoke('engine.shutdown', {})).toMatchObject({
      ok: false,
      error: { code: 'invalid-argument' },
    });
    expect(await client.invoke('kubeconfig.pickFile', {})).toMatchObject({
      ok: false,
      error: { code: 'unsupported' },
    });

    const selected = await client.invoke('contexts.select', { context: 'beta' });
    expect(selected).toMatchObject({ ok: true, value: { selectedContext: 'beta' } });
    await expect
      .poll(() =>
        client.events.some(
          (e) => e.type === 'contexts.changed' && e.snapshot.selectedContext === 'beta',
        ),
      )
      .toBe(true);

    // Nothing that crossed the socket or reached the log carries a credential or the token.
    const traffic = JSON.stringify([snapshot, client.events]);
    expect(traffic).not.toContain('super-secret-token-value');
    expect(logLines.join('\n')).not.toContain(web.token);
    ws.close();
  });

  it('closes the socket on a malformed frame', async () => {
    const ws = (await connect({ token: web.token })) as WebSocket;
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send('not json');
    expect(await closed).toBe(1007);
  });
});
