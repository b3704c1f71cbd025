/**
 * A MetricTemplate with `provider.type: datadog` drives a canary analysis on the playground:
 * podinfo.test gets a custom metric whose template points at a fake Datadog API on 127.0.0.1
 * (keys from a Secret); a release passes while Datadog answers a low error rate and is rolled
 * back when it answers a high one. One bed, a 20x clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngineBed, type EngineBed } from './engine-playground.helpers';
import { editCanary, mark, release, staging, waitPhase } from './engine-scenarios.helpers';
import { startFakeApi, type FakeApi } from '../unit/metrics-support';

const KEY = 'playground-staging/test/podinfo';
const C = 'podinfo.test';
const API_KEY = 'dd-integration-api-key';
const APP_KEY = 'dd-integration-app-key';

let bed: EngineBed;
let datadog: FakeApi;
let errorRate = 0.2;

beforeAll(async () => {
  datadog = await startFakeApi((req) => {
    if (req.headers['dd-api-key'] !== API_KEY || req.headers['dd-application-key'] !== APP_KEY)
      return { status: 403, body: '{"errors":["Forbidden"]}' };
    if (req.path === '/api/v1/validate') return { status: 200, body: '{"valid":true}' };
    const to = Number(req.query.get('to'));
    return {
      status: 200,
      body: JSON.stringify({
        status: 'ok',
        series: [
          {
            pointlist: [
              [to * 1000 - 60_000, errorRate],
              [to * 1000, 99],
            ],
          },
        ],
      }),
    };
  });
  bed = await startEngineBed();
  await waitPhase(bed, KEY, 'Initialized');
  const store = staging(bed).api.store;
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  store.create({ group: '', resource: 'secrets' }, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'datadog', namespace: 'test' },
    data: { datadog_api_key: b64(API_KEY), datadog_application_key: b64(APP_KEY) },
  } as never);
  store.create({ group: 'flagger.app', resource: 'metrictemplates' }, {
    apiVersion: 'flagger.app/v1beta1',
    kind: 'MetricTemplate',
    metadata: { name: 'datadog-error-rate', namespace: 'test' },
    spec: {
      provider: { type: 'datadog', address: datadog.url, secretRef: { name: 'datadog' } },
      query: 'sum:trace.http.request.errors{service:{{ target }},env:{{ namespace }}}.as_rate()',
    },
  } as never);
  editCanary(bed, 'test', 'podinfo', (spec) => {
    const analysis = spec.analysis as typeof spec.analysis & { metrics: unknown[] };
    analysis.metrics.push({
      name: 'datadog-errors',
      templateRef: { name: 'datadog-error-rate' },
      thresholdRange: { max: 1 },
      interval: '30s',
    });
  });
});

afterAll(async () => {
  await bed?.stop();
  await datadog?.close();
});

describe('a datadog MetricTemplate on the playground', () => {
  it('passes a release while Datadog reports a low error rate', async () => {
    const log = mark(bed, C);
    release(bed, '6.0.1');
    await waitPhase(bed, KEY, 'Succeeded', 45_000);
    expect(log.since()).toContain('Promotion completed! Scaling down podinfo.test');
    const queries = datadog.requests.filter((r) => r.path === '/api/v1/query');
    expect(queries.length).toBeGreaterThanOrEqual(5);
    for (const q of queries) {
      expect(q.query.get('query')).toBe(
        'sum:trace.http.request.errors{service:podinfo,env:test}.as_rate()',
      );
      // 10 metric intervals of 30 s.
      expect(Number(q.query.get('to')) - Number(q.query.get('from'))).toBe(300);
    }
  });

  it('rolls a release back when Datadog reports errors above the threshold', async () => {
    errorRate = 5;
    const log = mark(bed, C);
    release(bed, '6.0.2');
    await waitPhase(bed, KEY, 'Failed', 45_000);
    const messages = log.since();
    expect(messages).toContain('Halt podinfo.test advancement datadog-errors 5.00 > 1');
    expect(messages).toContain('Rolling back podinfo.test failed checks threshold reached 5');
    expect(messages.join('\n')).not.toContain(API_KEY);
  });
});
