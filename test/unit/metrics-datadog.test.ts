import { afterEach, describe, expect, it } from 'vitest';
import { createMetricsProvider, isNoValuesFound } from '../../src/core/metrics';
import { createDatadogProvider } from '../../src/core/metrics/datadog';
import { closedPort } from './engine-fixtures';
import {
  NOW,
  failure,
  providerContext,
  startFakeApi,
  thrown,
  type FakeApi,
  type FakeRequest,
} from './metrics-support';

const API_KEY = 'dd-api-key-0123456789';
const APP_KEY = 'dd-app-key-9876543210';
const credentials = { datadog_api_key: API_KEY, datadog_application_key: APP_KEY };

let api: FakeApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

/** A Datadog API that checks the keys and answers `series` for /api/v1/query. */
async function datadog(series: (req: FakeRequest) => { status: number; body: string }) {
  api = await startFakeApi((req) => {
    if (req.headers['dd-api-key'] !== API_KEY || req.headers['dd-application-key'] !== APP_KEY)
      return { status: 403, body: '{"errors":["Forbidden"]}' };
    if (req.path === '/api/v1/validate') return { status: 200, body: '{"valid":true}' };
    if (req.path === '/api/v1/query') return series(req);
    return { status: 404, body: '{"errors":["Not found"]}' };
  });
  return api;
}

const provider = (address: string, interval = '1m', creds = credentials) =>
  createDatadogProvider(
    providerContext(
      { type: 'datadog', address, secretRef: { name: 'dd' } },
      { credentials: creds, metricInterval: interval },
    ),
  );

describe('datadog provider', () => {
  it('queries the last 10 intervals with the keys and returns the oldest point of the first series', async () => {
    const a = await datadog(() => ({
      status: 200,
      body: JSON.stringify({
        status: 'ok',
        series: [
          {
            pointlist: [
              [1, 0.25],
              [2, 0.75],
            ],
          },
          { pointlist: [[1, 9]] },
        ],
      }),
    }));
    const query = 'sum:trace.http.request.errors{service:podinfo}.as_count()';
    expect(await provider(a.url, '2m').runQuery(query)).toBe(0.25);
    const [req] = a.requests;
    expect(req?.method).toBe('GET');
    expect(req?.path).toBe('/api/v1/query');
    const now = NOW / 1000;
    // url.Values.Encode: sorted keys.
    expect(req?.rawQuery).toBe(
      `from=${now - 1200}&query=sum%3Atrace.http.request.errors%7Bservice%3Apodinfo%7D.as_count%28%29&to=${now}`,
    );
    expect(req?.query.get('query')).toBe(query);
  });

  it('is online when /api/v1/validate accepts the keys, offline with the body otherwise', async () => {
    const a = await datadog(() => ({ status: 200, body: '{}' }));
    expect(await provider(a.url).isOnline()).toBe(true);
    expect(a.requests[0]?.path).toBe('/api/v1/validate');
    const wrong = provider(a.url, '1m', { ...credentials, datadog_api_key: 'wrong-key-4242' });
    const message = await failure(wrong.isOnline());
    expect(message).toBe('error response: {"errors":["Forbidden"]}');
  });

  it("reports Flagger's errors: status, malformed body, no series, no points", async () => {
    let answer = { status: 200, body: '' };
    const a = await datadog(() => answer);
    const p = provider(a.url);

    answer = { status: 400, body: '{"errors":["bad query"]}' };
    expect(await failure(p.runQuery('q'))).toBe(
      'error response: {"errors":["bad query"]}: 400 Bad Request',
    );

    answer = { status: 200, body: 'not json' };
    expect(await failure(p.runQuery('q'))).toBe(
      "error unmarshaling result: invalid character 'o' looking for beginning of value, 'not json'",
    );

    for (const body of ['{"series":[]}', '{"series":[{"pointlist":[]}]}', '{"status":"ok"}']) {
      answer = { status: 200, body };
      const err = await p.runQuery('q').catch((e: unknown) => e);
      expect(isNoValuesFound(err)).toBe(true);
      expect((err as Error).message).toBe(`invalid response: ${body}: no values found`);
    }
  });

  it('fails offline with the transport error and never shows the keys', async () => {
    const port = await closedPort();
    const p = provider(`http://127.0.0.1:${port}`);
    const online = await failure(p.isOnline());
    expect(online).toBe(
      `request failed: Get "http://127.0.0.1:${port}/api/v1/validate": dial tcp 127.0.0.1:${port}: connect: connection refused`,
    );
    const query = await failure(p.runQuery('q'));
    expect(query).toMatch(/^request failed: Get "http:\/\/127\.0\.0\.1:\d+\/api\/v1\/query\?from=/);
    for (const m of [online, query]) {
      expect(m).not.toContain(API_KEY);
      expect(m).not.toContain(APP_KEY);
    }
  });

  it("refuses to build without the keys or with a bad interval (Flagger's texts)", () => {
    const ctx = (creds: Record<string, string>, metricInterval = '1m') =>
      providerContext({ type: 'datadog' }, { credentials: creds, metricInterval });
    expect(thrown(() => createDatadogProvider(ctx({})))).toBe(
      'datadog credentials does not contain datadog_api_key',
    );
    expect(thrown(() => createDatadogProvider(ctx({ datadog_api_key: 'x' })))).toBe(
      'datadog credentials does not contain datadog_application_key',
    );
    expect(thrown(() => createDatadogProvider(ctx(credentials, '5 minutes')))).toBe(
      'error parsing metric interval: time: unknown unit " minutes" in duration "5 minutes"',
    );
    // Registered: the factory no longer answers "not supported".
    const built = createMetricsProvider(ctx(credentials), () => undefined);
    expect(typeof built.runQuery).toBe('function');
  });
});
