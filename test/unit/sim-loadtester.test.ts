import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock';
import type { PodNetwork } from '../../src/sim/apps/app';
import { runShell } from '../../src/sim/apps/shell';
import { R } from '../../src/sim/store';
import type { ServiceProxyResponse } from '../../src/sim/simulation';
import type { TestCluster } from '../support/sim-cluster';
import {
  deployment,
  parseExposition,
  service,
  settle,
  startTestCluster,
  sumWhere,
  untilSettled,
} from '../support/sim-cluster';

let cluster: TestCluster | undefined;
afterEach(() => {
  cluster?.sim.stop();
  cluster = undefined;
});

/** podinfo and a loadtester in namespace test, as in Flagger's tutorials. */
async function withLoadtester() {
  const c = (cluster = startTestCluster());
  c.apply(R.deployments, deployment('test', 'podinfo', { replicas: 2 }));
  c.apply(R.services, service('test', 'podinfo'));
  c.apply(R.services, service('test', 'podinfo-canary', 'podinfo'));
  c.apply(
    R.deployments,
    deployment('test', 'flagger-loadtester', {
      image: 'ghcr.io/fluxcd/flagger-loadtester:0.34.0',
      port: 8080,
    }),
  );
  c.apply(R.services, service('test', 'flagger-loadtester', 'flagger-loadtester', 80, 'http'));
  await c.clock.advance(0);
  await c.clock.advance(2_000);
  /** POSTs through the service proxy and moves the clock until the answer arrived. */
  const post = (path: string, body: unknown): Promise<ServiceProxyResponse> => {
    const pending = c.sim.proxy({
      namespace: 'test',
      service: 'flagger-loadtester',
      port: '80',
      method: 'POST',
      path,
      query: '',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return untilSettled(c.clock, pending);
  };
  return { c, post };
}

const payload = (metadata?: Record<string, string>) => ({
  name: 'podinfo',
  namespace: 'test',
  phase: 'Progressing',
  checksum: 'abc',
  ...(metadata ? { metadata } : {}),
});

describe('playground flagger-loadtester protocol (spec §5)', () => {
  it('answers healthz and the fixed gates', async () => {
    const { post } = await withLoadtester();
    expect(await post('/healthz', '')).toMatchObject({ status: 200, body: 'OK' });
    expect(await post('/gate/approve', payload())).toMatchObject({ status: 200, body: 'OK' });
    expect(await post('/gate/halt', payload())).toMatchObject({ status: 403, body: 'Forbidden' });
  });

  it('keeps gates per canary, closed by default, and rollback flags separately', async () => {
    const { post } = await withLoadtester();
    expect(await post('/gate/check', payload())).toMatchObject({ status: 403, body: 'Forbidden' });
    expect(await post('/gate/open', payload())).toMatchObject({ status: 202, body: '' });
    expect(await post('/gate/check', payload())).toMatchObject({ status: 200, body: 'Approved' });
    expect(await post('/gate/check', { ...payload(), name: 'other' })).toMatchObject({
      status: 403,
    });
    expect(await post('/rollback/check', payload())).toMatchObject({
      status: 403,
      body: 'Forbidden',
    });
    expect(await post('/rollback/open', payload())).toMatchObject({ status: 202 });
    expect(await post('/rollback/check', payload())).toMatchObject({
      status: 200,
      body: 'Approved',
    });
    expect(await post('/gate/close', payload())).toMatchObject({ status: 202 });
    expect(await post('/gate/check', payload())).toMatchObject({ status: 403 });
    expect(await post('/rollback/close', payload())).toMatchObject({ status: 202 });
    expect(await post('/rollback/check', payload())).toMatchObject({ status: 403 });
  });

  it('rejects bad bodies with 400 and tasks without metadata or of unknown type', async () => {
    const { post } = await withLoadtester();
    expect((await post('/gate/check', 'not json')).status).toBe(400);
    expect((await post('/gate/open', '')).status).toBe(400);
    expect((await post('/', '{"name": 3}')).status).toBe(400);
    expect((await post('/', { ...payload(), metadata: { returnCmdOutput: true } })).status).toBe(
      400,
    );
    expect(await post('/', payload())).toMatchObject({
      status: 400,
      body: 'metadata not found in payload',
    });
    expect(await post('/', payload({ type: 'gatling', cmd: 'x' }))).toMatchObject({
      status: 400,
      body: 'unknown task type gatling',
    });
    expect(await post('/', payload({ type: 'cmd' }))).toMatchObject({
      status: 400,
      body: 'cmd not found in metadata',
    });
  });

  it('runs bash tasks synchronously: 200 on success (output on request), 500 with the error text', async () => {
    const { post } = await withLoadtester();
    const ok = await post(
      '/',
      payload({
        type: 'bash',
        cmd: "curl -sd 'test' http://podinfo-canary:9898/token | grep token",
      }),
    );
    expect(ok).toMatchObject({ status: 200, body: '' });

    const withOutput = await post(
      '/',
      payload({
        type: 'bash',
        cmd: 'curl -s http://podinfo-canary.test:9898/version | jq -r .version',
        returnCmdOutput: 'true',
      }),
    );
    expect(withOutput).toMatchObject({ status: 200, body: '6.0.0\n' });

    const failed = await post(
      '/',
      payload({
        type: 'bash',
        cmd: 'curl -s http://podinfo-canary:9898/status/500 | grep -q token',
      }),
    );
    expect(failed).toMatchObject({
      status: 500,
      body: 'command curl -s http://podinfo-canary:9898/status/500 | grep -q token failed: : exit status 1',
    });

    const curlFail = await post(
      '/',
      payload({ type: 'bash', cmd: 'curl -sSf http://podinfo-canary:9898/status/503' }),
    );
    expect(curlFail).toMatchObject({
      status: 500,
      body: 'command curl -sSf http://podinfo-canary:9898/status/503 failed: curl: (22) The requested URL returned error: 503\n: exit status 22',
    });

    const missing = await post('/', payload({ type: 'bash', cmd: 'curl -sS http://nope:9898/' }));
    expect(missing.body).toBe(
      'command curl -sS http://nope:9898/ failed: curl: (6) Could not resolve host: nope\n: exit status 6',
    );
    expect(await post('/', payload({ type: 'bash', cmd: 'false' }))).toMatchObject({
      status: 500,
      body: 'command false failed: : exit status 1',
    });
  });

  it('accepts cmd tasks with 202, runs hey in the background and skips a duplicate while it runs', async () => {
    const { c, post } = await withLoadtester();
    const cmd = 'hey -z 1m -q 10 -c 2 http://podinfo-canary.test:9898/';
    expect(await post('/', payload({ cmd }))).toMatchObject({ status: 202, body: '' });
    expect(await post('/', payload({ type: 'cmd', cmd }))).toMatchObject({ status: 202 });
    await c.clock.advance(61_000);
    const log = c.sim.loadtesterLog('test', 'flagger-loadtester');
    expect(log).toContain(`command starting ${cmd}`);
    expect(log).toContain(`command skipped ${cmd} is already running`);
    expect(log).toContain(`command finished ${cmd}`);
    // 2 workers × 10 req/s × 60 s reached the canary's pods and show in their metrics.
    const served = sumWhere(
      parseExposition(await c.sim.metricsText()),
      'http_request_duration_seconds_count',
      [
        ['kubernetes_namespace', '=', 'test'],
        ['kubernetes_pod_name', '=~', 'podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)'],
      ],
    );
    expect(served).toBeGreaterThanOrEqual(1_198);
    expect(served).toBeLessThanOrEqual(1_202);
  });
});

describe('playground shell for loadtester commands', () => {
  const clock = new ManualClock();
  const network: PodNetwork = {
    send: async (request) =>
      request.url.includes('podinfo')
        ? {
            kind: 'response',
            status: 200,
            headers: {},
            body: '{"token":"t","version":"6.0.1"}',
            durationMs: 5,
            waitMs: 0,
          }
        : { kind: 'error', code: 'resolve', message: 'no such host' },
  };
  const sh = (script: string) => runShell(script, { clock, network, dialect: 'bash' });

  it('runs pipelines, lists, quotes, expansions and redirections', async () => {
    expect(await sh('echo "a b" | grep -q b && echo yes || echo no')).toEqual({
      code: 0,
      output: 'yes\n',
    });
    expect(await sh('echo hello | grep -v hello; echo $?')).toEqual({ code: 0, output: '1\n' });
    expect(await sh("echo 'It''s' \"$HOME\"x")).toEqual({ code: 0, output: 'Its x\n' });
    expect(
      await sh('V=$(curl -s http://podinfo/ | jq -r .version); test "$V" = 6.0.1 && echo ok'),
    ).toEqual({ code: 0, output: 'ok\n' });
    expect(await sh('[ "$(echo 3)" -gt 2 ]')).toEqual({ code: 0, output: '' });
    expect(await sh('echo out > /tmp/f; cat < /tmp/f | grep -iE "^OUT$"')).toEqual({
      code: 0,
      output: 'out\n',
    });
    expect(await sh('curl -s http://nope/ >/dev/null 2>&1 || exit 3; echo never')).toEqual({
      code: 3,
      output: '',
    });
    expect(await sh('curl http://nope/')).toEqual({
      code: 6,
      output: 'curl: (6) Could not resolve host: nope\n',
    });
    expect(await sh('nosuch --flag')).toEqual({
      code: 127,
      output: 'bash: line 1: nosuch: command not found\n',
    });
    expect((await sh('if true; then echo; fi')).code).toBe(2);
  });

  it('waits on the clock for sleep', async () => {
    let done = false;
    const run = sh('sleep 2 && echo done').then((r) => ((done = true), r));
    await settle();
    await clock.advance(1_000);
    expect(done).toBe(false);
    await clock.advance(1_000);
    expect(await run).toEqual({ code: 0, output: 'done\n' });
  });
});
