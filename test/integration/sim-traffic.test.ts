/**
 * The traffic simulation behind a real playground API server: webhooks reach the
 * flagger-loadtester over HTTPS through the service proxy, its `hey` task sends load
 * through the NGINX canary ingress, and /metrics shows it in ingress-nginx's names.
 * Runs on a ScaledClock (30× real time), so a minute of load takes two seconds.
 */
import { spawn } from 'node:child_process';
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScaledClock } from '../../src/shared/clock';
import type { RunningClusterApiServer } from '../../src/sim/apiserver/index';
import { startClusterApiServer } from '../../src/sim/apiserver/index';
import { MemoryClusterStore } from '../../src/sim/apiserver/memory-store';
import type { Deployment } from '../../src/sim/kube';
import type { ClusterSimulation } from '../../src/sim/simulation';
import { startClusterSimulation } from '../../src/sim/simulation';
import { R } from '../../src/sim/store';
import { deployment, ingress, parseExposition, service, sumWhere } from '../support/sim-cluster';

const TOKEN = 'sim-traffic-token';
let server: RunningClusterApiServer;
let sim: ClusterSimulation;
let store: MemoryClusterStore;

function post(
  path: string,
  body: unknown,
  timeoutMs = 10_000,
): Promise<{ status: number; text: string }> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: server.port,
        path,
        method: 'POST',
        ca: server.caPem,
        headers: {
          Authorization: `Bearer ${TOKEN}`,
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(data),
        },
        timeout: timeoutMs,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`POST ${path} timed out`)));
    req.on('error', reject);
    req.end(data);
  });
}

async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const LOADTESTER = '/api/v1/namespaces/test/services/flagger-loadtester:80/proxy/';

beforeAll(async () => {
  const clock = new ScaledClock(30);
  store = new MemoryClusterStore({ clock });
  server = await startClusterApiServer({ name: 'sim-traffic', token: TOKEN, clock, store });
  sim = startClusterSimulation({ store, clock, trafficRate: 0 });
  server.setServiceProxy(sim.proxy);
  store.create(R.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'test' } });
  store.create(
    R.deployments,
    deployment('test', 'podinfo-primary', { image: 'ghcr.io/stefanprodan/podinfo:6.0.0' }),
  );
  store.create(
    R.deployments,
    deployment('test', 'podinfo', {
      image: 'ghcr.io/stefanprodan/podinfo:6.0.1',
      annotations: { 'playground.aviary.dev/error-rate': '0.5' },
    }),
  );
  store.create(R.services, service('test', 'podinfo', 'podinfo-primary'));
  store.create(R.services, service('test', 'podinfo-canary', 'podinfo'));
  store.create(R.ingresses, ingress('test', 'podinfo', 'app.example.com', 'podinfo'));
  store.create(
    R.ingresses,
    ingress('test', 'podinfo-canary', 'app.example.com', 'podinfo-canary', {
      'nginx.ingress.kubernetes.io/canary': 'true',
      'nginx.ingress.kubernetes.io/canary-weight': '50',
    }),
  );
  store.create(
    R.deployments,
    deployment('test', 'flagger-loadtester', {
      image: 'ghcr.io/fluxcd/flagger-loadtester:0.34.0',
      port: 8080,
    }),
  );
  store.create(R.services, service('test', 'flagger-loadtester', 'flagger-loadtester', 80, 'http'));
  await waitFor(
    () =>
      ['podinfo-primary', 'podinfo', 'flagger-loadtester'].every(
        (name) =>
          Number(
            (store.get(R.deployments, 'test', name) as Deployment | undefined)?.status?.[
              'availableReplicas'
            ] ?? 0,
          ) === 1,
      ),
    'the deployments to become available',
  );
});

afterAll(async () => {
  sim?.stop();
  await server?.close();
});

describe('playground traffic over the API server', () => {
  it('runs a bash webhook through the service proxy: passing and failing', async () => {
    const ok = await post(LOADTESTER, {
      name: 'podinfo',
      namespace: 'test',
      metadata: {
        type: 'bash',
        cmd: "curl -sd 'test' http://podinfo-canary:9898/token | grep token",
      },
    });
    expect(ok.status).toBe(200);
    const failing = await post(LOADTESTER, {
      name: 'podinfo',
      namespace: 'test',
      metadata: { type: 'bash', cmd: 'curl -s http://podinfo-canary:9898/healthz | grep -q token' },
    });
    expect(failing).toEqual({
      status: 500,
      text: 'command curl -s http://podinfo-canary:9898/healthz | grep -q token failed: : exit status 1',
    });
    const gate = await post(
      '/api/v1/namespaces/test/services/flagger-loadtester:80/proxy/gate/check',
      { name: 'podinfo', namespace: 'test' },
    );
    expect(gate).toEqual({ status: 403, text: 'Forbidden' });
  });

  it('sends hey load through the NGINX canary ingress and exports it as ingress-nginx does', async () => {
    const accepted = await post(LOADTESTER, {
      name: 'podinfo',
      namespace: 'test',
      metadata: {
        type: 'cmd',
        cmd: 'hey -z 1m -q 10 -c 2 -host app.example.com http://ingress-nginx-controller.ingress-nginx/',
      },
    });
    expect(accepted.status).toBe(202);
    await waitFor(
      () =>
        sim
          .loadtesterLog('test', 'flagger-loadtester')
          .some((l) => l.startsWith('command finished hey')),
      'hey to finish',
    );

    const text = await sim.metricsText();
    const samples = parseExposition(text);
    const canary: Parameters<typeof sumWhere>[2] = [
      ['namespace', '=', 'test'],
      ['ingress', '=', 'podinfo'],
      ['canary', '!=', ''],
    ];
    const all = sumWhere(samples, 'nginx_ingress_controller_requests', [
      ['ingress', '=', 'podinfo'],
    ]);
    const total = sumWhere(samples, 'nginx_ingress_controller_requests', canary);
    const ok = sumWhere(samples, 'nginx_ingress_controller_requests', [
      ...canary,
      ['status', '!~', '5.*'],
    ]);
    // 2 workers × 10 req/s × 60 s, half of it to the canary, which fails half of its requests.
    expect(all).toBeGreaterThan(700); // real timers may run late on a busy machine, never early
    expect(all).toBeLessThanOrEqual(1_202);
    expect(total / all).toBeGreaterThan(0.43);
    expect(total / all).toBeLessThan(0.57);
    expect(ok / total).toBeGreaterThan(0.42);
    expect(ok / total).toBeLessThan(0.58);

    // Prometheus' own parser accepts the exposition (exit 3 is only lint advice, e.g. _total suffixes).
    const check = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, output });
      });
      child.stdin.end(text);
    });
    expect(check.output).not.toMatch(/parsing error|error while linting/);
    expect([0, 3]).toContain(check.code);
  });
});
