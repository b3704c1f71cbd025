import { afterEach, describe, expect, it } from 'vitest';
import { canaryChecksum } from '../../src/core/canary';
import type { EngineLogRecord } from '../../src/core/controller/log';
import {
  createClusterHttp,
  parseClusterAddress,
  redactUrl,
} from '../../src/core/kube/cluster-address';
import { createWebhookCaller, retryBackoffMs } from '../../src/core/webhooks/webhook';
import { R } from '../../src/sim/store';
import { storeKubeApi } from '../support/store-kube-api';
import type { TestCluster } from '../support/sim-cluster';
import { deployment, service, startTestCluster, untilSettled } from '../support/sim-cluster';
import { canaryOf, closedPort, instantSleepClock, startReceiver } from './engine-fixtures';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** A cluster with flagger-loadtester in `test`, as the playground has it. */
async function loadtesterCluster(): Promise<TestCluster> {
  const c = startTestCluster();
  cleanups.push(() => c.sim.stop());
  c.apply(
    R.deployments,
    deployment('test', 'flagger-loadtester', {
      image: 'ghcr.io/fluxcd/flagger-loadtester:0.34.0',
      port: 8080,
    }),
  );
  c.apply(R.services, service('test', 'flagger-loadtester', 'flagger-loadtester', 80, 'http'));
  await c.clock.advance(0);
  await c.clock.advance(3_000);
  return c;
}

describe('cluster address resolution', () => {
  it.each([
    ['http://flagger-loadtester.test/', 'test', 'flagger-loadtester', 80, 'http', '/', true],
    [
      'http://flagger-loadtester.test:80/gate/check',
      'test',
      'flagger-loadtester',
      80,
      'http',
      '/gate/check',
      true,
    ],
    ['http://prometheus.monitoring:9090', 'monitoring', 'prometheus', 9090, 'http', '/', true],
    ['http://svc.ns.svc.cluster.local:8080/x?a=1', 'ns', 'svc', 8080, 'http', '/x?a=1', false],
    ['http://svc.ns.svc/x', 'ns', 'svc', 80, 'http', '/x', false],
    ['https://secure.ns/', 'ns', 'secure', 443, 'https', '/', true],
    ['http://flagger-loadtester/', 'canary-ns', 'flagger-loadtester', 80, 'http', '/', false],
  ])('%s → service proxy', (url, namespace, svc, port, scheme, path, ambiguous) => {
    expect(parseClusterAddress(url, 'canary-ns')).toEqual({
      namespace,
      service: svc,
      port,
      scheme,
      path,
      ambiguous,
    });
  });

  it.each([
    'https://hooks.slack.com/services/T0/B0/XYZ',
    'http://127.0.0.1:9090',
    'http://[::1]:9090/',
    'http://localhost:9090',
    'https://prometheus.example.co.uk/',
    'ftp://svc.ns/',
  ])('%s → direct', (url) => {
    expect(parseClusterAddress(url, 'test')).toBeUndefined();
  });

  it('sends an ambiguous svc.ns host through the proxy only when that Service exists', async () => {
    const c = await loadtesterCluster();
    const receiver = await startReceiver(() => ({ status: 200, body: 'direct' }));
    cleanups.push(() => receiver.close());
    const http = createClusterHttp({ api: storeKubeApi(c.store, { proxy: c.sim.proxy }) });
    const viaProxy = http.request({
      url: 'http://flagger-loadtester.test/healthz',
      namespace: 'other',
      method: 'GET',
      timeoutMs: 5_000,
    });
    expect((await untilSettled(c.clock, viaProxy)).body).toBe('OK');
    // "example.test" is no Service: the URL is fetched as written (here: a local server).
    const missing = await http
      .request({ url: 'http://nothing.here/', namespace: 'test', method: 'GET', timeoutMs: 2_000 })
      .catch((e: Error) => e.message);
    expect(missing).toMatch(/^Get "http:\/\/nothing\.here\/": dial tcp: lookup nothing\.here/);
  });

  it('reports a missing Service behind an unambiguous address as the proxy says', async () => {
    const c = await loadtesterCluster();
    const http = createClusterHttp({ api: storeKubeApi(c.store, { proxy: c.sim.proxy }) });
    const err = await http
      .request({
        url: 'http://gone.test.svc/',
        namespace: 'test',
        method: 'POST',
        timeoutMs: 1_000,
      })
      .catch((e: Error) => e.message);
    expect(err).toMatch(/^Post "http:\/\/gone\.test\.svc\/": .*gone/);
  });

  it('redacts secrets but leaves ordinary URLs as written', () => {
    expect(redactUrl('http://flagger-loadtester.test/')).toBe('http://flagger-loadtester.test/');
    expect(redactUrl('https://x.io/hook?token=abc&a=1')).toBe('https://x.io/hook?token=***&a=1');
    expect(redactUrl('https://u:pw@x.io/')).toBe('https://u:***@x.io/');
    expect(redactUrl('https://hooks.slack.com/services/T/B/C', { secretPath: true })).toBe(
      'https://hooks.slack.com/***',
    );
  });
});

describe('webhooks: payload and results', () => {
  const status = {
    phase: 'Progressing',
    failedChecks: 0,
    canaryWeight: 10,
    iterations: 0,
    lastAppliedSpec: '5d8f4c7b9',
    trackedConfigs: { 'configmap/podinfo-config': 'abc' },
  };

  it('POSTs CanaryWebhookPayload as JSON: checksum from status, metadata sorted, omitted when empty', async () => {
    const receiver = await startReceiver();
    cleanups.push(() => receiver.close());
    const canary = canaryOf({}, status);
    const webhooks = createWebhookCaller({ api: storeKubeApi(startTestCluster().store) });
    await webhooks.call(
      canary,
      {
        name: 'load-test',
        url: `${receiver.url}/hook`,
        metadata: { type: 'cmd', cmd: 'a <b> & c' },
      },
      'Progressing',
    );
    await webhooks.call(canary, { name: 'plain', url: `${receiver.url}/plain` }, 'Progressing');
    const [withMeta, plain] = receiver.received;
    expect(withMeta?.method).toBe('POST');
    expect(withMeta?.headers['content-type']).toBe('application/json');
    const checksum = canaryChecksum(canary.status);
    expect(withMeta?.body).toBe(
      `{"name":"podinfo","namespace":"test","phase":"Progressing","checksum":"${checksum}","metadata":{"cmd":"a \\u003cb\\u003e \\u0026 c","type":"cmd"}}`,
    );
    expect(plain?.body).toBe(
      `{"name":"podinfo","namespace":"test","phase":"Progressing","checksum":"${checksum}"}`,
    );
  });

  it('a closed confirm gate fails with "Forbidden"; /gate/open lets it pass', async () => {
    const c = await loadtesterCluster();
    const webhooks = createWebhookCaller({
      api: storeKubeApi(c.store, { proxy: c.sim.proxy }),
      clock: c.clock,
    });
    const canary = canaryOf({});
    const gate = {
      name: 'confirm',
      type: 'confirm-rollout' as const,
      url: 'http://flagger-loadtester.test/gate/check',
    };
    const closed = untilSettled(
      c.clock,
      webhooks.call(canary, gate, 'Progressing').then(
        () => 'passed',
        (e: Error) => e.message,
      ),
    );
    expect(await closed).toBe('Forbidden');
    await untilSettled(
      c.clock,
      webhooks.call(
        canary,
        { name: 'open', url: 'http://flagger-loadtester.test/gate/open' },
        'Progressing',
      ),
    );
    await expect(untilSettled(c.clock, webhooks.call(canary, gate, 'Progressing'))).resolves.toBe(
      undefined,
    );
    expect(c.sim.loadtesterLog('test', 'flagger-loadtester')).toContain(
      'podinfo.test gate check: approved true',
    );
  });

  it('a bash pre-rollout hook: a failing command gives up after one attempt, a passing one resolves', async () => {
    const c = await loadtesterCluster();
    const webhooks = createWebhookCaller({
      api: storeKubeApi(c.store, { proxy: c.sim.proxy }),
      clock: c.clock,
    });
    const canary = canaryOf({});
    const hook = (cmd: string) => ({
      name: 'acceptance-test',
      type: 'pre-rollout' as const,
      url: 'http://flagger-loadtester.test/',
      timeout: '30s',
      metadata: { type: 'bash', cmd },
    });
    // The loadtester answers 500; retryablehttp retries 5xx and, out of retries, drops the body.
    const failed = await untilSettled(
      c.clock,
      webhooks.call(canary, hook('test 1 -eq 2'), 'Progressing').then(
        () => 'passed',
        (e: Error) => e.message,
      ),
    );
    expect(failed).toBe('POST http://flagger-loadtester.test/ giving up after 1 attempt(s)');
    await expect(
      untilSettled(c.clock, webhooks.call(canary, hook('echo ok'), 'Progressing')),
    ).resolves.toBe(undefined);
  });

  it('retries connection errors and 5xx with 1s, 2s, 4s... then succeeds', async () => {
    const receiver = await startReceiver((_r, n) => ({ status: n < 3 ? 503 : 200 }));
    cleanups.push(() => receiver.close());
    const clock = instantSleepClock();
    const webhooks = createWebhookCaller({ api: storeKubeApi(startTestCluster().store), clock });
    await webhooks.call(canaryOf({}), { name: 'h', url: receiver.url, retries: 3 }, 'Progressing');
    expect(receiver.received).toHaveLength(3);
    expect(clock.sleeps).toEqual([1_000, 2_000]);
    expect(retryBackoffMs(10, undefined, 0)).toBe(30_000);
    expect(retryBackoffMs(0, { status: 503, headers: { 'retry-after': '7' } }, 0)).toBe(7_000);
  });

  it('gives up when retries run out; 403 and 501 are not retried and fail with the body', async () => {
    const receiver = await startReceiver((r) =>
      r.url === '/403'
        ? { status: 403, body: 'Forbidden' }
        : r.url === '/501'
          ? { status: 501, body: 'nope' }
          : { status: 500, body: 'boom' },
    );
    cleanups.push(() => receiver.close());
    const clock = instantSleepClock();
    const webhooks = createWebhookCaller({ api: storeKubeApi(startTestCluster().store), clock });
    const call = (path: string, retries: number) =>
      webhooks
        .call(canaryOf({}), { name: 'h', url: `${receiver.url}${path}`, retries }, 'Progressing')
        .then(
          () => 'passed',
          (e: Error) => e.message,
        );
    expect(await call('/500', 2)).toBe(`POST ${receiver.url}/500 giving up after 3 attempt(s)`);
    expect(await call('/403', 2)).toBe('Forbidden');
    expect(await call('/501', 2)).toBe('nope');
    expect(receiver.received.map((r) => r.url)).toEqual(['/500', '/500', '/500', '/403', '/501']);
  });

  it('times out with http.Client.Timeout text, and reports refused connections as Go does', async () => {
    const receiver = await startReceiver(() => 'hang');
    cleanups.push(() => receiver.close());
    const webhooks = createWebhookCaller({ api: storeKubeApi(startTestCluster().store) });
    const url = `${receiver.url}/slow`;
    const timedOut = await webhooks
      .call(canaryOf({}), { name: 'slow', url, timeout: '100ms' }, 'Progressing')
      .catch((e: Error) => e.message);
    expect(timedOut).toBe(
      `POST ${url} giving up after 1 attempt(s): Post "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
    );
    const port = await closedPort();
    const refusedUrl = `http://127.0.0.1:${port}/`;
    const refused = await webhooks
      .call(canaryOf({}), { name: 'x', url: refusedUrl }, 'Progressing')
      .catch((e: Error) => e.message);
    expect(refused).toBe(
      `POST ${refusedUrl} giving up after 1 attempt(s): Post "${refusedUrl}": dial tcp 127.0.0.1:${port}: connect: connection refused`,
    );
    const badTimeout = await webhooks
      .call(canaryOf({}), { name: 'x', url: refusedUrl, timeout: '5x' }, 'Progressing')
      .catch((e: Error) => e.message);
    expect(badTimeout).toBe('time: unknown unit "x" in duration "5x"');
  });
});

describe('event webhooks', () => {
  it('sends eventMessage, eventType, timestamp and the hook metadata that does not clash', async () => {
    const receiver = await startReceiver();
    cleanups.push(() => receiver.close());
    const clock = instantSleepClock();
    const canary = canaryOf(
      {
        analysis: {
          webhooks: [
            {
              name: 'events',
              type: 'event',
              url: `${receiver.url}/events`,
              metadata: { team: 'a', eventType: 'overridden?' },
            },
            { name: 'load', url: `${receiver.url}/load` },
          ],
        },
      },
      { phase: 'Progressing', failedChecks: 0, canaryWeight: 0, iterations: 0 },
    );
    const webhooks = createWebhookCaller({ api: storeKubeApi(startTestCluster().store), clock });
    const before = Date.now();
    await webhooks.callEventHooks(canary, 'Advance podinfo.test canary weight 10', 'Normal');
    expect(receiver.received.map((r) => r.url)).toEqual(['/events']);
    const body = JSON.parse(receiver.received[0]?.body ?? '{}') as {
      phase: string;
      metadata: Record<string, string>;
    };
    expect(body.phase).toBe('Progressing');
    expect(body.metadata).toMatchObject({
      eventMessage: 'Advance podinfo.test canary weight 10',
      eventType: 'Normal',
      team: 'a',
    });
    expect(Object.keys(body.metadata)).toEqual(['eventMessage', 'eventType', 'team', 'timestamp']);
    expect(Number(body.metadata.timestamp)).toBeGreaterThanOrEqual(before);
  });

  it('uses the global event webhook only when the canary has none, and logs failures', async () => {
    const port = await closedPort();
    const logs: EngineLogRecord[] = [];
    const webhooks = createWebhookCaller({
      api: storeKubeApi(startTestCluster().store),
      eventWebhook: `http://127.0.0.1:${port}/?token=s3cret`,
      log: (r) => logs.push(r),
    });
    await webhooks.callEventHooks(canaryOf({}), 'Initialization done! podinfo.test', 'Normal');
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ level: 'error', canary: 'podinfo.test' });
    expect(logs[0]?.message).toMatch(
      /^error sending event to webhook: POST http:\/\/127\.0\.0\.1:\d+\/\?token=\*\*\* giving up after 1 attempt\(s\)/,
    );
    expect(logs[0]?.message).not.toContain('s3cret');
  });
});
