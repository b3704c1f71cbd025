import { afterEach, describe, expect, it } from 'vitest';
import type { ClientResult } from '../../src/sim/simulation';
import { R } from '../../src/sim/store';
import type { TestCluster } from '../support/sim-cluster';
import {
  deployment,
  ingress,
  parseExposition,
  service,
  startTestCluster,
  sumWhere,
} from '../support/sim-cluster';

let cluster: TestCluster | undefined;
afterEach(() => {
  cluster?.sim.stop();
  cluster = undefined;
});

const CANARY = 'nginx.ingress.kubernetes.io/canary';
/** Runs every pending microtask, so simulated work reaches its next clock wait. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The objects Flagger's nginx router leaves behind: primary and canary behind one host. */
async function nginxCanary(
  canaryAnnotations: Record<string, string>,
  canaryPodAnnotations: Record<string, string> = {},
) {
  const c = (cluster = startTestCluster());
  c.apply(
    R.deployments,
    deployment('test', 'podinfo-primary', { image: 'ghcr.io/stefanprodan/podinfo:6.0.0' }),
  );
  c.apply(
    R.deployments,
    deployment('test', 'podinfo', {
      image: 'ghcr.io/stefanprodan/podinfo:6.0.1',
      annotations: canaryPodAnnotations,
    }),
  );
  c.apply(R.services, service('test', 'podinfo', 'podinfo-primary'));
  c.apply(R.services, service('test', 'podinfo-primary', 'podinfo-primary'));
  c.apply(R.services, service('test', 'podinfo-canary', 'podinfo'));
  c.apply(R.ingresses, ingress('test', 'podinfo', 'app.example.com', 'podinfo'));
  c.apply(
    R.ingresses,
    ingress('test', 'podinfo-canary', 'app.example.com', 'podinfo-canary', {
      [CANARY]: 'true',
      ...canaryAnnotations,
    }),
  );
  await c.clock.advance(0);
  await c.clock.advance(2_000);
  return c;
}

function versionOf(result: ClientResult): string {
  if (result.kind !== 'response') throw new Error(`request failed: ${result.message}`);
  return (JSON.parse(result.body) as { version: string }).version;
}

async function versions(
  c: TestCluster,
  n: number,
  headers: Record<string, string> = {},
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const v = versionOf(await c.sim.send({ url: 'http://app.example.com/', headers }));
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return counts;
}

describe('playground traffic through NGINX canary ingresses', () => {
  it('sends canary-weight 30 % of requests to the canary (± 3 %)', async () => {
    const c = await nginxCanary({ 'nginx.ingress.kubernetes.io/canary-weight': '30' });
    const n = 5_000;
    const counts = await versions(c, n);
    const share = (counts.get('6.0.1') ?? 0) / n;
    expect(share).toBeGreaterThan(0.27);
    expect(share).toBeLessThan(0.33);
    expect((counts.get('6.0.0') ?? 0) + (counts.get('6.0.1') ?? 0)).toBe(n);

    // Flagger moving the weight takes effect on the next request.
    c.store.mutate(R.ingresses, 'test', 'podinfo-canary', (o) => {
      o.metadata.annotations = {
        ...o.metadata.annotations,
        'nginx.ingress.kubernetes.io/canary-weight': '0',
      };
    });
    expect((await versions(c, 200)).get('6.0.1')).toBeUndefined();
  });

  it('routes by header before cookie before weight, as ingress-nginx does', async () => {
    const c = await nginxCanary({
      'nginx.ingress.kubernetes.io/canary-by-header': 'X-Canary',
      'nginx.ingress.kubernetes.io/canary-by-cookie': 'canary',
      'nginx.ingress.kubernetes.io/canary-weight': '0',
    });
    expect((await versions(c, 50, { 'X-Canary': 'always' })).get('6.0.1')).toBe(50);
    expect(
      (await versions(c, 50, { 'x-canary': 'never', cookie: 'canary=always' })).get('6.0.0'),
    ).toBe(50);
    expect((await versions(c, 50, { cookie: 'session=1; canary=always' })).get('6.0.1')).toBe(50);
    expect(
      (await versions(c, 50, { 'X-Canary': 'maybe', cookie: 'canary=always' })).get('6.0.1'),
    ).toBe(50);
    expect((await versions(c, 50, { cookie: 'canary=never' })).get('6.0.0')).toBe(50);
    expect((await versions(c, 50)).get('6.0.0')).toBe(50);
  });

  it('matches canary-by-header-value exactly and canary-by-header-pattern as a regex', async () => {
    const c = await nginxCanary({
      'nginx.ingress.kubernetes.io/canary-by-header': 'x-user',
      'nginx.ingress.kubernetes.io/canary-by-header-value': 'insider',
    });
    expect((await versions(c, 20, { 'x-user': 'insider' })).get('6.0.1')).toBe(20);
    expect((await versions(c, 20, { 'x-user': 'insiders' })).get('6.0.0')).toBe(20);
    expect((await versions(c, 20, { 'x-user': 'always' })).get('6.0.0')).toBe(20);

    c.store.mutate(R.ingresses, 'test', 'podinfo-canary', (o) => {
      const a = { ...o.metadata.annotations };
      delete a['nginx.ingress.kubernetes.io/canary-by-header-value'];
      a['nginx.ingress.kubernetes.io/canary-by-header-pattern'] = '^(beta|alpha)-.*';
      o.metadata.annotations = a;
    });
    expect((await versions(c, 20, { 'x-user': 'beta-tester' })).get('6.0.1')).toBe(20);
    expect((await versions(c, 20, { 'x-user': 'gamma-tester' })).get('6.0.0')).toBe(20);
  });

  it('reports canary requests under the main ingress with a canary upstream, as Flagger queries them', async () => {
    const c = await nginxCanary(
      { 'nginx.ingress.kubernetes.io/canary-weight': '50' },
      { 'playground.aviary.dev/error-rate': '0.2', 'playground.aviary.dev/latency-ms': '250' },
    );
    for (let i = 0; i < 4_000; i++) await c.sim.send({ url: 'http://app.example.com/' });
    const samples = parseExposition(await c.sim.metricsText());

    const canarySel: Parameters<typeof sumWhere>[2] = [
      ['namespace', '=', 'test'],
      ['ingress', '=', 'podinfo'],
      ['canary', '!=', ''],
    ];
    // sum(rate(nginx_ingress_controller_requests{namespace,ingress,canary!="",status!~"5.*"})) / sum(...) * 100
    const total = sumWhere(samples, 'nginx_ingress_controller_requests', canarySel);
    const ok = sumWhere(samples, 'nginx_ingress_controller_requests', [
      ...canarySel,
      ['status', '!~', '5.*'],
    ]);
    expect(total).toBeGreaterThan(1_800);
    expect(total).toBeLessThan(2_200);
    expect((ok / total) * 100).toBeGreaterThan(77);
    expect((ok / total) * 100).toBeLessThan(83);
    // sum(rate(..._sum{...})) / sum(rate(..._count{...})) * 1000: the canary's mean latency in ms.
    const meanMs =
      (sumWhere(samples, 'nginx_ingress_controller_response_duration_seconds_sum', canarySel) /
        sumWhere(samples, 'nginx_ingress_controller_response_duration_seconds_count', canarySel)) *
      1000;
    expect(meanMs).toBeGreaterThan(235);
    expect(meanMs).toBeLessThan(265);

    const canaryLine = samples.find(
      (s) => s.name === 'nginx_ingress_controller_requests' && s.labels['canary'] !== '',
    );
    expect(canaryLine?.labels).toMatchObject({
      ingress: 'podinfo',
      namespace: 'test',
      service: 'podinfo',
      canary: 'test-podinfo-canary-9898',
      host: 'app.example.com',
      path: '/',
      method: 'GET',
    });
    // The primary's requests carry the same ingress and an empty canary label, and no errors.
    const primary = sumWhere(samples, 'nginx_ingress_controller_requests', [
      ['ingress', '=', 'podinfo'],
      ['canary', '=', ''],
    ]);
    expect(primary + total).toBe(4_000);
    expect(
      sumWhere(samples, 'nginx_ingress_controller_requests', [
        ['canary', '=', ''],
        ['status', '=~', '5.*'],
      ]),
    ).toBe(0);
    // The pod-level histogram: Flagger's "http" query selects the canary's pods by name.
    const canaryPods = [
      ['kubernetes_namespace', '=', 'test'],
      ['kubernetes_pod_name', '=~', 'podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)'],
    ] as Parameters<typeof sumWhere>[2];
    expect(sumWhere(samples, 'http_request_duration_seconds_count', canaryPods)).toBe(total);
    const bucketInf = sumWhere(samples, 'http_request_duration_seconds_bucket', [
      ...canaryPods,
      ['le', '=', '+Inf'],
    ]);
    expect(bucketInf).toBe(total);
  });

  it('does not route to a canary without ready endpoints', async () => {
    const c = await nginxCanary({ 'nginx.ingress.kubernetes.io/canary-weight': '100' });
    c.store.mutate(
      R.deployments,
      'test',
      'podinfo',
      (o) => void ((o.spec as { replicas: number }).replicas = 0),
    );
    await c.clock.advance(0);
    expect((await versions(c, 20)).get('6.0.0')).toBe(20);
  });
});

describe('playground services, DNS and the service proxy', () => {
  async function podinfo(annotations: Record<string, string> = {}) {
    const c = (cluster = startTestCluster());
    c.apply(R.deployments, deployment('test', 'podinfo', { replicas: 2, annotations }));
    c.apply(R.services, service('test', 'podinfo'));
    await c.clock.advance(0);
    await c.clock.advance(2_000);
    return c;
  }

  it('resolves cluster DNS names with or without port from the client namespace', async () => {
    const c = await podinfo();
    for (const url of [
      'http://podinfo:9898/',
      'http://podinfo.test:9898/',
      'http://podinfo.test.svc:9898/version',
      'http://podinfo.test.svc.cluster.local:9898/healthz',
    ]) {
      const r = await c.sim.send({ url, fromNamespace: 'test' });
      expect(r.kind === 'response' && r.status).toBe(200);
    }
    expect(await c.sim.send({ url: 'http://podinfo:9898/', fromNamespace: 'prod' })).toMatchObject({
      kind: 'error',
      code: 'resolve',
    });
    expect(await c.sim.send({ url: 'http://podinfo.test/', fromNamespace: 'prod' })).toMatchObject({
      kind: 'error',
      code: 'connect',
    });
  });

  it('serves podinfo: version from the tag, /status/CODE, /delay/SECONDS, /token', async () => {
    const c = await podinfo();
    const proxy = (path: string, method = 'GET') =>
      c.sim.proxy({
        namespace: 'test',
        service: 'podinfo',
        port: '9898',
        method,
        path,
        query: '',
        headers: {},
        body: '',
      });
    /** Lets the proxy reach its clock wait, then moves the clock past the answer's latency. */
    const answer = async <T>(pending: Promise<T>, ms = 100): Promise<T> => {
      await settle();
      await c.clock.advance(ms);
      return pending;
    };

    const info = JSON.parse((await answer(proxy('/'))).body) as {
      version: string;
      hostname: string;
    };
    expect(info.version).toBe('6.0.0');
    expect(info.hostname).toMatch(/^podinfo-\w+-\w{5}$/);
    expect((await answer(proxy('/status/500'))).status).toBe(500);
    expect((await answer(proxy('/status/404'))).status).toBe(404);

    let done = false;
    const delayed = proxy('/delay/2').then((r) => ((done = true), r));
    await settle();
    await c.clock.advance(1_000);
    expect(done).toBe(false);
    await c.clock.advance(1_500);
    expect(done).toBe(true);
    expect(JSON.parse((await delayed).body)).toEqual({ delay: 2 });

    expect(JSON.parse((await answer(proxy('/token', 'POST'))).body)).toMatchObject({
      token: expect.any(String),
    });
    expect((await answer(proxy('/token'))).status).toBe(405);
    expect(JSON.parse((await answer(proxy('/version'))).body)).toMatchObject({ version: '6.0.0' });
  });

  it('answers with the API server Status when a Service is missing or has no endpoints', async () => {
    const c = await podinfo();
    const missing = await c.sim.proxy({
      namespace: 'test',
      service: 'nope',
      port: '',
      method: 'GET',
      path: '/',
      query: '',
      headers: {},
      body: '',
    });
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({
      kind: 'Status',
      reason: 'NotFound',
      message: 'services "nope" not found',
    });
    c.store.mutate(
      R.deployments,
      'test',
      'podinfo',
      (o) => void ((o.spec as { replicas: number }).replicas = 0),
    );
    await c.clock.advance(0);
    const empty = await c.sim.proxy({
      namespace: 'test',
      service: 'podinfo',
      port: '9898',
      method: 'GET',
      path: '/',
      query: '',
      headers: {},
      body: Buffer.from(''),
    });
    expect(empty.status).toBe(503);
    expect(JSON.parse(empty.body)).toMatchObject({
      reason: 'ServiceUnavailable',
      message: 'no endpoints available for service "podinfo"',
    });
  });

  it('applies the version behaviour from pod template annotations, and runtime overrides', async () => {
    const c = await podinfo({
      'playground.aviary.dev/error-rate': '0.3',
      'playground.aviary.dev/latency-ms': '100',
    });
    let errors = 0;
    let totalMs = 0;
    for (let i = 0; i < 2_000; i++) {
      const r = await c.sim.send({ url: 'http://podinfo.test:9898/' });
      if (r.kind !== 'response') throw new Error(r.message);
      if (r.status === 500) errors++;
      totalMs += r.durationMs;
    }
    expect(errors / 2_000).toBeGreaterThan(0.27);
    expect(errors / 2_000).toBeLessThan(0.33);
    expect(totalMs / 2_000).toBeGreaterThan(95);
    expect(totalMs / 2_000).toBeLessThan(105);

    c.sim.setBehaviour('test', 'podinfo', { errorRate: 0 });
    for (let i = 0; i < 100; i++) {
      const r = await c.sim.send({ url: 'http://podinfo.test:9898/' });
      expect(r.kind === 'response' && r.status).toBe(200);
    }
  });

  it('generates synthetic user traffic at the configured rate', async () => {
    const c = (cluster = startTestCluster({ trafficRate: 4 }));
    c.apply(R.deployments, deployment('test', 'podinfo'));
    c.apply(R.services, service('test', 'podinfo'));
    await c.clock.advance(0);
    await c.clock.advance(60_000);
    const samples = parseExposition(await c.sim.metricsText());
    const served = sumWhere(samples, 'http_request_duration_seconds_count', [
      ['kubernetes_namespace', '=', 'test'],
    ]);
    // Sources are found within the first 5 s after the pods are ready.
    expect(served).toBeGreaterThan(4 * 50);
    expect(served).toBeLessThanOrEqual(4 * 60);
  });
});
