/**
 * The ContextCatalog against real HTTPS API servers on 127.0.0.1: connection states,
 * messages, exec plugins, live file edits, retries on the injected clock, and that no
 * credential ever shows up in what the renderer sees.
 */
import { chmod, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { generate } from 'selfsigned';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ContextInfo } from '../../src/shared/api';
import { ManualClock } from '../../src/shared/clock';
import { ContextCatalog } from '../../src/core/kube/contexts';

const GOOD_TOKEN = 'aviary-good-token-3f9a7c1e5b';
const WRONG_TOKEN = 'aviary-wrong-token-77d2e0aa41';
const FORBIDDEN_TOKEN = 'aviary-forbidden-token-9c1d';
const EXEC_TOKEN = 'aviary-exec-token-b4e6f8a2c0';
const PASSWORD = 'aviary-password-5e8d1f';
const SECRETS = [GOOD_TOKEN, WRONG_TOKEN, FORBIDDEN_TOKEN, EXEC_TOKEN, PASSWORD];

interface Pki {
  caCert: string;
  serverKey: string;
  serverCert: string;
}

interface ApiServer {
  url: string;
  port: number;
  requests: number;
  close(): Promise<void>;
}

async function makePki(): Promise<Pki> {
  const ca = await generate([{ name: 'commonName', value: 'aviary-test-ca' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      {
        name: 'keyUsage',
        keyCertSign: true,
        cRLSign: true,
        digitalSignature: true,
        critical: true,
      },
    ],
  });
  const server = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
    ],
  });
  return { caCert: ca.cert, serverKey: server.private, serverCert: server.cert };
}

/** A minimal API server: /version for the good token (or the exec token), 401/403 otherwise. */
async function startApiServer(pki: Pki, gitVersion: string, port = 0): Promise<ApiServer> {
  const state = { requests: 0 };
  const server = https.createServer({ key: pki.serverKey, cert: pki.serverCert }, (req, res) => {
    state.requests++;
    const auth = req.headers.authorization ?? '';
    res.setHeader('content-type', 'application/json');
    if (req.url !== '/version' && req.url !== '/version/') {
      res.writeHead(404).end('{}');
    } else if (auth === `Bearer ${FORBIDDEN_TOKEN}`) {
      res.writeHead(403).end(JSON.stringify({ kind: 'Status', code: 403, reason: 'Forbidden' }));
    } else if (auth !== `Bearer ${GOOD_TOKEN}` && auth !== `Bearer ${EXEC_TOKEN}`) {
      res.writeHead(401).end(JSON.stringify({ kind: 'Status', code: 401, reason: 'Unauthorized' }));
    } else {
      res
        .writeHead(200)
        .end(JSON.stringify({ major: '1', minor: '32', gitVersion, platform: 'linux/amd64' }));
    }
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${actual}`,
    port: actual,
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function startSilentServer(): Promise<{ port: number; close(): void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

async function freePort(): Promise<number> {
  const server = https.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const b64 = (text: string): string => Buffer.from(text).toString('base64');

async function waitFor<T>(what: string, read: () => T | undefined, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function contextOf(catalog: ContextCatalog, name: string): ContextInfo | undefined {
  return catalog.snapshot().contexts.find((c) => c.name === name);
}

async function settled(catalog: ContextCatalog, name: string): Promise<ContextInfo> {
  return waitFor(`${name} to settle`, () => {
    const ctx = contextOf(catalog, name);
    return ctx && ctx.connection.state !== 'connecting' ? ctx : undefined;
  });
}

function expectNoSecrets(text: string): void {
  for (const secret of SECRETS) expect(text).not.toContain(secret);
}

let pki: Pki;
let otherPki: Pki;
let main: ApiServer;
let dir: string;
const catalogs: ContextCatalog[] = [];

function catalogFor(
  files: string[],
  extra: Partial<ConstructorParameters<typeof ContextCatalog>[0]> = {},
): ContextCatalog {
  const catalog = new ContextCatalog({
    flagPaths: files,
    env: { PATH: process.env.PATH },
    probeTimeoutMs: 3000,
    ...extra,
  });
  catalogs.push(catalog);
  return catalog;
}

beforeAll(async () => {
  [pki, otherPki] = await Promise.all([makePki(), makePki()]);
  main = await startApiServer(pki, 'v1.32.4');
  dir = await mkdtemp(path.join(os.tmpdir(), 'aviary-kube-'));
});

afterEach(async () => {
  await Promise.all(catalogs.splice(0).map((c) => c.stop()));
});

afterAll(async () => {
  await main.close();
  await rm(dir, { recursive: true, force: true });
});

describe('ContextCatalog against real API servers', () => {
  it('reports connected, unauthorized, unreachable, TLS and invalid contexts, and a broken file', async () => {
    const closedPort = await freePort();
    // Accepts connections and never answers: only the probe timeout ends the wait.
    const silent = await startSilentServer();
    const file = path.join(dir, 'clusters.yaml');
    const broken = path.join(dir, 'broken.yaml');
    await writeFile(
      file,
      `apiVersion: v1
kind: Config
current-context: good
clusters:
- name: main
  cluster:
    server: ${main.url}
    certificate-authority-data: ${b64(pki.caCert)}
- name: wrong-ca
  cluster:
    server: ${main.url}
    certificate-authority-data: ${b64(otherPki.caCert)}
- name: closed
  cluster:
    server: https://127.0.0.1:${closedPort}
    certificate-authority-data: ${b64(pki.caCert)}
- name: silent
  cluster:
    server: https://127.0.0.1:${silent.port}
    certificate-authority-data: ${b64(pki.caCert)}
- name: typo
  cluster:
    server: "https//127.0.0.1:6443"
users:
- name: alice
  user:
    token: ${GOOD_TOKEN}
- name: mallory
  user:
    token: ${WRONG_TOKEN}
- name: eve
  user:
    token: ${FORBIDDEN_TOKEN}
- name: basic-bob
  user:
    username: bob
    password: ${PASSWORD}
- name: filed
  user:
    tokenFile: tokens/alice
- name: cert-carol
  user:
    client-certificate: certs/carol.crt
    client-key: certs/carol.key
contexts:
- name: good
  context: {cluster: main, user: alice, namespace: shop}
- name: wrong-token
  context: {cluster: main, user: mallory}
- name: forbidden
  context: {cluster: main, user: eve}
- name: basic
  context: {cluster: main, user: basic-bob}
- name: closed-port
  context: {cluster: closed, user: alice}
- name: unknown-ca
  context: {cluster: wrong-ca, user: alice}
- name: no-user
  context: {cluster: main, user: ghost}
- name: hanging
  context: {cluster: silent, user: alice}
- name: bad-url
  context: {cluster: typo, user: alice}
- name: missing-cert
  context: {cluster: main, user: cert-carol}
- name: token-file
  context: {cluster: main, user: filed}
`,
    );
    // Token files usually end with a newline; kubectl trims it.
    await mkdir(path.join(dir, 'tokens'), { recursive: true });
    await writeFile(path.join(dir, 'tokens', 'alice'), `${GOOD_TOKEN}\n`);
    await writeFile(broken, `contexts:\n- name: lost\n  context: {cluster: main, user: alice\n`);

    const catalog = catalogFor([file, broken], { probeTimeoutMs: 1500 });
    let changes = 0;
    catalog.onChange(() => changes++);
    await catalog.start();

    const good = await settled(catalog, 'good');
    expect(good.connection).toMatchObject({ state: 'connected', serverVersion: 'v1.32.4' });
    expect(good.connection.latencyMs).toBeGreaterThanOrEqual(0);
    expect(good).toMatchObject({
      namespace: 'shop',
      authKind: 'token',
      isKubeconfigCurrent: true,
      playground: false,
      server: main.url,
      file,
    });

    const wrong = await settled(catalog, 'wrong-token');
    expect(wrong.connection.state).toBe('unauthorized');
    expect(wrong.connection.message).toBe(
      'the server rejected the credentials of user mallory (401 Unauthorized)',
    );

    const forbidden = await settled(catalog, 'forbidden');
    expect(forbidden.connection.message).toBe(
      'the server rejected the credentials of user eve (403 Forbidden)',
    );

    const basic = await settled(catalog, 'basic');
    expect(basic).toMatchObject({ authKind: 'basic', connection: { state: 'unauthorized' } });

    const closed = await settled(catalog, 'closed-port');
    expect(closed.connection).toMatchObject({
      state: 'unreachable',
      message: `connection refused at https://127.0.0.1:${closedPort}`,
    });

    const unknownCa = await settled(catalog, 'unknown-ca');
    expect(unknownCa.connection).toMatchObject({
      state: 'unreachable',
      message: 'TLS: certificate signed by unknown authority',
    });

    const noUser = await settled(catalog, 'no-user');
    expect(noUser.connection).toMatchObject({
      state: 'invalid',
      message: 'user "ghost" is not defined in any kubeconfig file',
    });
    expect(catalog.kubeConfigFor('no-user')).toBeUndefined();
    expect(catalog.kubeConfigFor('good')?.getCurrentContext()).toBe('good');

    const hanging = await settled(catalog, 'hanging');
    expect(hanging.connection).toMatchObject({
      state: 'unreachable',
      message: `timed out after 1.5s at https://127.0.0.1:${silent.port}`,
    });
    silent.close();

    expect((await settled(catalog, 'bad-url')).connection).toMatchObject({
      state: 'invalid',
      message:
        'the server URL "https//127.0.0.1:6443" of cluster "typo" is not a valid http(s) URL',
    });
    const missingCert = await settled(catalog, 'missing-cert');
    expect(missingCert).toMatchObject({
      authKind: 'client-certificate',
      connection: { state: 'invalid' },
    });
    // Relative paths resolve against the kubeconfig's directory, as kubectl does.
    expect(missingCert.connection.message).toBe(
      `the client-certificate file of user "cert-carol" ${path.join(dir, 'certs', 'carol.crt')} does not exist`,
    );

    expect(await settled(catalog, 'token-file')).toMatchObject({
      authKind: 'token-file',
      connection: { state: 'connected' },
    });

    const snap = catalog.snapshot();
    expect(snap.contexts.map((c) => c.name)).not.toContain('lost');
    const brokenInfo = snap.files.find((f) => f.path === broken);
    expect(brokenInfo).toMatchObject({ status: 'invalid', origin: 'flag', contextIds: [] });
    expect(brokenInfo?.message).toMatch(/^YAML error at line 4, column \d+: .+/);
    expect(brokenInfo?.message).not.toContain('\n');
    expect(snap.files.find((f) => f.path === file)?.contextIds).toHaveLength(11);

    await waitFor('a change event', () => (changes > 0 ? true : undefined));
    expectNoSecrets(JSON.stringify(catalog.snapshot()));
  });

  it('connects through an exec credential plugin and scrubs a failing plugin message', async () => {
    const pluginDir = await mkdtemp(path.join(dir, 'exec-'));
    await writeFile(
      path.join(pluginDir, 'creds.sh'),
      `#!/bin/sh
echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"${EXEC_TOKEN}"}}'
`,
    );
    await writeFile(
      path.join(pluginDir, 'failing.sh'),
      `#!/bin/sh\necho "error: cached token ${EXEC_TOKEN} has expired, run login" >&2\nexit 1\n`,
    );
    await chmod(path.join(pluginDir, 'creds.sh'), 0o755);
    await chmod(path.join(pluginDir, 'failing.sh'), 0o755);
    const file = path.join(pluginDir, 'config');
    const user = (name: string, command: string): string => `- name: ${name}
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ${command}
      args: ["--cluster", "main"]`;
    await writeFile(
      file,
      `clusters:
- name: main
  cluster:
    server: ${main.url}
    certificate-authority-data: ${b64(pki.caCert)}
users:
${user('plugin', './creds.sh')}
${user('failing', './failing.sh')}
${user('absent', 'aviary-no-such-plugin')}
contexts:
- {name: exec, context: {cluster: main, user: plugin}}
- {name: exec-failing, context: {cluster: main, user: failing}}
- {name: exec-absent, context: {cluster: main, user: absent}}
`,
    );
    const catalog = catalogFor([file]);
    await catalog.start();

    const exec = await settled(catalog, 'exec');
    expect(exec).toMatchObject({
      authKind: 'exec',
      connection: { state: 'connected', serverVersion: 'v1.32.4' },
    });

    const failing = await settled(catalog, 'exec-failing');
    expect(failing.connection.state).toBe('unauthorized');
    expect(failing.connection.message).toContain('failing.sh');
    expect(failing.connection.message).toContain('has expired');

    const absent = await settled(catalog, 'exec-absent');
    expect(absent.connection).toMatchObject({
      state: 'invalid',
      message: 'the exec plugin of user "absent": "aviary-no-such-plugin" was not found in PATH',
    });
    expectNoSecrets(JSON.stringify(catalog.snapshot()));
  });

  it('applies a file edited on disk live: new contexts appear, changed ones are re-probed', async () => {
    const second = await startApiServer(pki, 'v1.31.9');
    try {
      const editDir = await mkdtemp(path.join(dir, 'edit-'));
      const file = path.join(editDir, 'config');
      const config = (server: string, extra: string): string => `clusters:
- name: main
  cluster: {server: ${main.url}, certificate-authority-data: ${b64(pki.caCert)}}
- name: moving
  cluster: {server: ${server}, certificate-authority-data: ${b64(pki.caCert)}}
users:
- name: alice
  user: {token: ${GOOD_TOKEN}}
contexts:
- {name: steady, context: {cluster: main, user: alice}}
- {name: moving, context: {cluster: moving, user: alice}}
${extra}`;
      await writeFile(file, config(main.url, ''));
      const catalog = catalogFor([file]);
      await catalog.start();
      const steady = await settled(catalog, 'steady');
      expect((await settled(catalog, 'moving')).connection.serverVersion).toBe('v1.32.4');

      // An editor's atomic save: write a temp file, rename it over the original.
      const tmp = path.join(editDir, '.config.swp');
      await writeFile(
        tmp,
        config(second.url, '- {name: added, context: {cluster: main, user: alice}}\n'),
      );
      await rename(tmp, file);

      const added = await waitFor('the new context', () => {
        const ctx = contextOf(catalog, 'added');
        return ctx?.connection.state === 'connected' ? ctx : undefined;
      });
      expect(added.connection.serverVersion).toBe('v1.32.4');
      const moved = await waitFor('the changed context to be re-probed', () => {
        const ctx = contextOf(catalog, 'moving');
        return ctx?.connection.serverVersion === 'v1.31.9' ? ctx : undefined;
      });
      expect(moved.server).toBe(second.url);
      // Unchanged contexts keep their connection (no reconnect, same since).
      expect(contextOf(catalog, 'steady')?.connection).toEqual(steady.connection);

      // An in-place edit removing a context drops it.
      await writeFile(file, config(second.url, ''));
      await waitFor('the removed context to go', () =>
        contextOf(catalog, 'added') ? undefined : true,
      );
    } finally {
      await second.close();
    }
  });

  it('retries failing contexts with backoff and re-checks connected ones on the injected clock', async () => {
    const clock = new ManualClock();
    const port = await freePort();
    const file = path.join(dir, 'retry.yaml');
    await writeFile(
      file,
      `clusters:
- name: later
  cluster: {server: "https://127.0.0.1:${port}", certificate-authority-data: ${b64(pki.caCert)}}
users:
- name: alice
  user: {token: ${GOOD_TOKEN}}
contexts:
- {name: later, context: {cluster: later, user: alice}}
`,
    );
    const catalog = catalogFor([file], { clock, watchFiles: false });
    let changes = 0;
    catalog.onChange(() => changes++);
    await catalog.start();
    expect(contextOf(catalog, 'later')?.connection.state).toBe('connecting');
    expect((await settled(catalog, 'later')).connection.state).toBe('unreachable');

    // The server comes up; nothing happens until the 2 s backoff elapses.
    const late = await startApiServer(pki, 'v1.30.2', port);
    try {
      await clock.advance(1999);
      await new Promise((r) => setTimeout(r, 200));
      expect(late.requests).toBe(0);
      // Load, connecting and unreachable fell in one 50 ms window: one event.
      expect(changes).toBe(1);
      await clock.advance(1);
      await waitFor('the retry to connect', () =>
        contextOf(catalog, 'later')?.connection.state === 'connected' ? true : undefined,
      );
      expect(late.requests).toBe(1);

      // Connected: the next check is 30 s later.
      await clock.advance(29_999);
      await new Promise((r) => setTimeout(r, 200));
      expect(late.requests).toBe(1);
      await clock.advance(1);
      await waitFor('the 30 s re-check', () => (late.requests === 2 ? true : undefined));

      // reconnect() probes at once.
      catalog.reconnect('later');
      await waitFor('the reconnect probe', () => (late.requests === 3 ? true : undefined));
    } finally {
      await late.close();
    }
  });

  it('marks missing files and tags playground contexts', async () => {
    const playground = path.join(dir, 'playground.yaml');
    await writeFile(
      playground,
      `current-context: sim-eu
clusters:
- name: sim-eu
  cluster: {server: "${main.url}", certificate-authority-data: ${b64(pki.caCert)}}
users:
- name: sim
  user: {token: ${GOOD_TOKEN}}
contexts:
- {name: sim-eu, context: {cluster: sim-eu, user: sim}}
`,
    );
    const missing = path.join(dir, 'nope', 'config');
    const catalog = new ContextCatalog({
      env: { KUBECONFIG: `${missing}::`, PATH: process.env.PATH },
      probeTimeoutMs: 3000,
    });
    catalogs.push(catalog);
    await catalog.start();
    await catalog.setPlaygroundPaths([playground]);
    const sim = await settled(catalog, 'sim-eu');
    expect(sim).toMatchObject({
      playground: true,
      isKubeconfigCurrent: true,
      connection: { state: 'connected' },
    });
    expect(catalog.snapshot().files).toEqual([
      {
        path: missing,
        origin: 'env',
        status: 'missing',
        message: 'the file does not exist',
        contextIds: [],
        shadowed: [],
        removable: false,
      },
      {
        path: playground,
        origin: 'playground',
        status: 'ok',
        contextIds: ['sim-eu'],
        shadowed: [],
        removable: false,
      },
    ]);
    await catalog.setPlaygroundPaths([]);
    expect(catalog.snapshot().contexts).toEqual([]);
  });
});
