import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Canary } from '../../src/core/canary';
import type { EventRecorder } from '../../src/core/controller/ports';
import { createAnalysisRunner } from '../../src/core/metrics/analysis';
import type { ManualClock } from '../../src/shared/clock';
import { startBuiltinPrometheus, type BuiltinPrometheus } from '../../src/sim/prometheus';
import { R } from '../../src/sim/store';
import { storeKubeApi } from '../support/store-kube-api';
import type { TestCluster } from '../support/sim-cluster';
import { deployment, ingress, service, startTestCluster } from '../support/sim-cluster';
import { canaryOf, closedPort, startReceiver } from './engine-fixtures';

/** Moves the manual clock in small steps while real I/O (the Prometheus HTTP API) happens. */
async function pump<T>(clock: ManualClock, pending: Promise<T>): Promise<T> {
  let done = false;
  pending.then(
    () => (done = true),
    () => (done = true),
  );
  while (!done) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    await clock.advance(5);
  }
  return pending;
}

function recorder(): EventRecorder & { events: Array<[string, string]> } {
  const events: Array<[string, string]> = [];
  return {
    events,
    info: async (_c, m) => void events.push(['info', m]),
    warning: async (_c, m) => void events.push(['warning', m]),
    error: async (_c, m) => void events.push(['error', m]),
  };
}

interface PromCluster {
  c: TestCluster;
  prom: BuiltinPrometheus;
  down: { value: boolean };
  stop(): Promise<void>;
}

/**
 * podinfo behind an NGINX canary ingress (as Flagger's nginx router leaves it), Prometheus in
 * `monitoring` forwarding to the built-in Prometheus, and `seconds` of traffic at `rps`.
 */
async function nginxCluster(
  canaryPod: Record<string, string>,
  traffic: { rps: number; seconds: number },
): Promise<PromCluster> {
  const down = { value: false };
  let url = '';
  const c = startTestCluster({
    prometheusUrl: () => (down.value ? undefined : url),
    // Fixed randomness: the canary's measured success rate is 70.xx % with this seed.
    seed: 42,
  });
  c.apply(R.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'monitoring' } });
  c.apply(
    R.deployments,
    deployment('monitoring', 'prometheus', { image: 'prom/prometheus:v2.53.0', port: 9090 }),
  );
  c.apply(R.services, service('monitoring', 'prometheus', 'prometheus', 9090, 'http'));
  c.apply(R.deployments, deployment('test', 'podinfo-primary'));
  c.apply(
    R.deployments,
    deployment('test', 'podinfo', {
      image: 'ghcr.io/stefanprodan/podinfo:6.0.1',
      annotations: canaryPod,
    }),
  );
  c.apply(R.services, service('test', 'podinfo', 'podinfo-primary'));
  c.apply(R.services, service('test', 'podinfo-primary', 'podinfo-primary'));
  c.apply(R.services, service('test', 'podinfo-canary', 'podinfo'));
  c.apply(R.ingresses, ingress('test', 'podinfo', 'app.example.com', 'podinfo'));
  c.apply(
    R.ingresses,
    ingress('test', 'podinfo-canary', 'app.example.com', 'podinfo-canary', {
      'nginx.ingress.kubernetes.io/canary': 'true',
      'nginx.ingress.kubernetes.io/canary-weight': '50',
    }),
  );
  const prom = await startBuiltinPrometheus({
    targets: () => [{ job: 'playground', instance: 'sim', fetch: () => c.sim.metricsText() }],
    clock: c.clock,
    scrapeIntervalMs: 5_000,
  });
  url = prom.url;
  await c.clock.advance(0);
  await c.clock.advance(3_000);
  for (let s = 0; s < traffic.seconds; s++) {
    for (let i = 0; i < traffic.rps; i++) await c.sim.send({ url: 'http://app.example.com/' });
    await c.clock.advance(1_000);
  }
  return {
    c,
    prom,
    down,
    async stop() {
      c.sim.stop();
      await prom.stop();
    },
  };
}

const builtinMetrics = (min = 99, max = 500) => [
  { name: 'request-success-rate', thresholdRange: { min }, interval: '1m' },
  { name: 'request-duration', thresholdRange: { max }, interval: '1m' },
];

const nginxCanary = (metrics: unknown[], extra: Record<string, unknown> = {}): Canary =>
  canaryOf({
    provider: 'nginx',
    ingressRef: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'podinfo' },
    analysis: { metrics },
    ...extra,
  });

describe('builtin NGINX checks against a canary with a 30 % error rate', () => {
  let p: PromCluster;
  beforeAll(async () => {
    p = await nginxCluster(
      { 'playground.aviary.dev/error-rate': '0.3', 'playground.aviary.dev/latency-ms': '250' },
      { rps: 100, seconds: 70 },
    );
  });
  afterAll(async () => p.stop());

  it("halts with Flagger's success-rate text and records the sample", async () => {
    const runner = createAnalysisRunner({ api: storeKubeApi(p.c.store, { proxy: p.c.sim.proxy }) });
    const events = recorder();
    const result = await pump(
      p.c.clock,
      runner.runMetricChecks(nginxCanary(builtinMetrics()), events),
    );
    expect(result.passed).toBe(false);
    expect(events.events).toHaveLength(1);
    const [level, message] = events.events[0] ?? [];
    expect(level).toBe('warning');
    expect(message).toMatch(/^Halt podinfo\.test advancement success rate 70\.\d\d% < 99%$/);
    expect(result.samples).toEqual([
      {
        metric: 'request-success-rate',
        value: expect.any(Number) as number,
        min: 99,
        passed: false,
        message,
      },
    ]);
    expect(Math.abs((result.samples[0]?.value ?? 0) - 70)).toBeLessThan(1);
  });

  it('records passing samples, then halts on request duration (ms thresholds, Go durations)', async () => {
    const runner = createAnalysisRunner({ api: storeKubeApi(p.c.store, { proxy: p.c.sim.proxy }) });
    const events = recorder();
    const result = await pump(
      p.c.clock,
      runner.runMetricChecks(nginxCanary(builtinMetrics(50, 100)), events),
    );
    expect(result.samples[0]).toMatchObject({
      metric: 'request-success-rate',
      passed: true,
      min: 50,
    });
    expect(result.samples[1]).toMatchObject({
      metric: 'request-duration',
      passed: false,
      max: 100,
    });
    expect(result.samples[1]?.value).toBeGreaterThan(200);
    expect(events.events).toEqual([
      [
        'warning',
        expect.stringMatching(/^Halt podinfo\.test advancement request duration 2\d\dms > 100ms$/),
      ],
    ]);
  });

  it('runs a MetricTemplate with templateVariables through the service proxy', async () => {
    const api = storeKubeApi(p.c.store, { proxy: p.c.sim.proxy });
    await api.create({
      apiVersion: 'flagger.app/v1beta1',
      kind: 'MetricTemplate',
      metadata: { name: 'error-rate', namespace: 'test' },
      spec: {
        provider: { type: 'prometheus', address: 'http://prometheus.monitoring:9090' },
        query: `sum(rate(nginx_ingress_controller_requests{namespace="{{ namespace }}",
            ingress="{{ ingress }}", canary!="", status=~"{{ variables.code }}"}[{{ interval }}]))`,
      },
    });
    const runner = createAnalysisRunner({ api });
    const events = recorder();
    const metric = (max: number) => ({
      name: 'error-rate',
      templateRef: { name: 'error-rate' },
      templateVariables: { code: '5.*' },
      thresholdRange: { max },
      interval: '1m',
    });
    const ok = await pump(p.c.clock, runner.runMetricChecks(nginxCanary([metric(100)]), events));
    expect(ok.passed).toBe(true);
    // 100 rps, half to the canary, 30 % of those 500s: about 15 per second.
    expect(ok.samples[0]?.value).toBeGreaterThan(12);
    expect(ok.samples[0]?.value).toBeLessThan(18);
    const halted = await pump(p.c.clock, runner.runMetricChecks(nginxCanary([metric(1)]), events));
    expect(halted.passed).toBe(false);
    expect(events.events).toEqual([
      [
        'warning',
        expect.stringMatching(/^Halt podinfo\.test advancement error-rate \d+\.\d\d > 1$/),
      ],
    ]);
    expect(await pump(p.c.clock, runner.checkProviders(nginxCanary([metric(1)])))).toBeUndefined();
  });

  it("says Prometheus query failed when the cluster's Prometheus is down", async () => {
    p.down.value = true;
    try {
      const runner = createAnalysisRunner({
        api: storeKubeApi(p.c.store, { proxy: p.c.sim.proxy }),
      });
      const events = recorder();
      const result = await pump(
        p.c.clock,
        runner.runMetricChecks(nginxCanary(builtinMetrics()), events),
      );
      expect(result.passed).toBe(false);
      expect(events.events).toEqual([
        [
          'error',
          'Prometheus query failed: running query failed: error response: Status 503 Service Unavailable: Prometheus is not running in this playground (see --prometheus)\n',
        ],
      ]);
      expect(await pump(p.c.clock, runner.checkProviders(nginxCanary(builtinMetrics())))).toBe(
        'prometheus not avaiable: running query failed: error response: Status 503 Service Unavailable: Prometheus is not running in this playground (see --prometheus)\n',
      );
    } finally {
      p.down.value = false;
    }
  });
});

describe('metric checks without traffic or with broken configuration', () => {
  let p: PromCluster;
  beforeAll(async () => {
    p = await nginxCluster({}, { rps: 0, seconds: 10 });
  });
  afterAll(async () => p.stop());
  const run = async (canary: Canary) => {
    const runner = createAnalysisRunner({ api: storeKubeApi(p.c.store, { proxy: p.c.sim.proxy }) });
    const events = recorder();
    const result = await pump(p.c.clock, runner.runMetricChecks(canary, events));
    return { result, events: events.events };
  };

  it('halts with "no values found" when the canary receives no traffic', async () => {
    const { result, events } = await run(nginxCanary(builtinMetrics()));
    expect(result.passed).toBe(false);
    expect(events).toEqual([
      [
        'warning',
        'Halt advancement no values found for nginx metric request-success-rate probably podinfo.test is not receiving traffic: running query failed: no values found',
      ],
    ]);
    const duration = await run(nginxCanary([builtinMetrics()[1]]));
    expect(duration.events).toEqual([
      [
        'warning',
        'Halt advancement no values found for nginx metric request-duration probably podinfo.test is not receiving traffic',
      ],
    ]);
  });

  it("reports template, render and secret errors with Flagger's texts", async () => {
    const api = storeKubeApi(p.c.store, { proxy: p.c.sim.proxy });
    await api.create({
      apiVersion: 'flagger.app/v1beta1',
      kind: 'MetricTemplate',
      metadata: { name: 'bad', namespace: 'test' },
      spec: {
        provider: { type: 'prometheus', address: 'http://prometheus.monitoring:9090' },
        query: 'up{job="{{ variables.missing }}"}',
      },
    });
    await api.create({
      apiVersion: 'flagger.app/v1beta1',
      kind: 'MetricTemplate',
      metadata: { name: 'auth', namespace: 'test' },
      spec: {
        provider: {
          address: 'http://prometheus.monitoring:9090',
          secretRef: { name: 'prom-auth' },
        },
        query: 'vector(1)',
      },
    });
    const ref = (name: string) => ({ name, templateRef: { name }, thresholdRange: { max: 1 } });
    expect((await run(nginxCanary([ref('missing')]))).events).toEqual([
      [
        'error',
        'Metric template missing.test error: metrictemplate.flagger.app "missing" not found',
      ],
    ]);
    expect((await run(nginxCanary([ref('bad')]))).events).toEqual([
      [
        'error',
        'Metric template bad.test query render error: template excution failed: template: tmpl:1:20: executing "tmpl" at <variables.missing>: map has no entry for key "missing"',
      ],
    ]);
    expect((await run(nginxCanary([ref('auth')]))).events).toEqual([
      ['error', 'Metric template auth.test secret prom-auth error: secrets "prom-auth" not found'],
    ]);
    // The parser refuses this; a Canary written before that check still reaches the engine.
    const unusable = nginxCanary([ref('bad')]);
    delete unusable.spec.analysis?.metrics?.[0]?.templateRef;
    expect((await run(unusable)).events).toEqual([
      ['error', 'Metric query failed for no usable metrics template and query were configured'],
    ]);
  });

  it('inline queries: a value above the legacy threshold halts; an empty result says so', async () => {
    const { result, events } = await run(
      nginxCanary([
        { name: 'one', query: 'vector(1)', threshold: 5 },
        { name: 'two', query: 'vector(2)', threshold: 1 },
      ]),
    );
    expect(result.samples.map((s) => [s.metric, s.value, s.passed])).toEqual([
      ['one', 1, true],
      ['two', 2, false],
    ]);
    expect(events).toEqual([['warning', 'Halt podinfo.test advancement two 2.00 > 1']]);
    const none = await run(nginxCanary([{ name: 'gone', query: 'absent_metric_x', threshold: 1 }]));
    expect(none.events).toEqual([['warning', 'Halt advancement no values found for metric: gone']]);
  });
});

describe('Prometheus client semantics against a direct address', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it("fails with Go's connection error for a stopped server, in events and checkProviders", async () => {
    const port = await closedPort();
    const c = startTestCluster();
    cleanups.push(() => c.sim.stop());
    const runner = createAnalysisRunner({ api: storeKubeApi(c.store) });
    const canary = nginxCanary(builtinMetrics(), { metricsServer: `http://127.0.0.1:${port}` });
    const events = recorder();
    await runner.runMetricChecks(canary, events);
    const refused = `dial tcp 127.0.0.1:${port}: connect: connection refused`;
    expect(events.events).toHaveLength(1);
    expect(events.events[0]?.[0]).toBe('error');
    expect(events.events[0]?.[1]).toMatch(
      new RegExp(
        `^Prometheus query failed: running query failed: request failed: Get "http://127\\.0\\.0\\.1:${port}/api/v1/query\\?query=\\+sum%28\\+rate%28\\+nginx_ingress_controller_requests%7B\\+namespace%3D%22test%22%2C.*%2A\\+100": ${refused}$`,
      ),
    );
    expect(await runner.checkProviders(canary)).toBe(
      `prometheus not avaiable: running query failed: request failed: Get "http://127.0.0.1:${port}/api/v1/query?query=vector%281%29": ${refused}`,
    );
  });

  it('sends the secret token as Bearer, basic auth otherwise; a matrix is refused', async () => {
    const receiver = await startReceiver((r) => {
      const q = new URL(r.url, 'http://x').searchParams.get('query');
      const result =
        q === 'matrix' ? [{ metric: {}, values: [[1, '1']] }] : [{ metric: {}, value: [1, '0.5'] }];
      return {
        status: 200,
        body: JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }),
      };
    });
    cleanups.push(() => receiver.close());
    const c = startTestCluster();
    cleanups.push(() => c.sim.stop());
    const api = storeKubeApi(c.store);
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    await api.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'token', namespace: 'test' },
      data: { token: b64('s3cret') },
    });
    await api.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'basic', namespace: 'test' },
      data: { username: b64('u'), password: b64('p') },
    });
    for (const [name, secret, query] of [
      ['t1', 'token', 'up'],
      ['t2', 'basic', 'up'],
      ['t3', 'basic', 'matrix'],
    ] as const) {
      await api.create({
        apiVersion: 'flagger.app/v1beta1',
        kind: 'MetricTemplate',
        metadata: { name, namespace: 'test' },
        spec: {
          provider: {
            type: 'prometheus',
            address: `${receiver.url}/prom`,
            secretRef: { name: secret },
            headers: { 'X-Scope-OrgID': ['tenant-1'] },
          },
          query,
        },
      });
    }
    const runner = createAnalysisRunner({ api });
    const events = recorder();
    const metric = (name: string) => ({ name, templateRef: { name }, thresholdRange: { max: 1 } });
    const result = await runner.runMetricChecks(nginxCanary([metric('t1'), metric('t2')]), events);
    expect(result.passed).toBe(true);
    expect(
      receiver.received.map((r) => [r.url, r.headers.authorization, r.headers['x-scope-orgid']]),
    ).toEqual([
      ['/prom/api/v1/query?query=up', 'Bearer s3cret', 'tenant-1'],
      ['/prom/api/v1/query?query=up', `Basic ${b64('u:p')}`, 'tenant-1'],
    ]);
    await runner.runMetricChecks(nginxCanary([metric('t3')]), events);
    expect(events.events).toEqual([
      ['error', 'Metric query failed for t3: query returned multiple values'],
    ]);
  });
});
