import { afterEach, describe, expect, it } from 'vitest';
import { isNoValuesFound } from '../../src/core/metrics';
import { createNewRelicProvider } from '../../src/core/metrics/newrelic';
import { closedPort } from './engine-fixtures';
import { failure, providerContext, startFakeApi, thrown, type FakeApi } from './metrics-support';

const QUERY_KEY = 'NRIQ-query-key-secret';
const credentials = { newrelic_account_id: '1234567', newrelic_query_key: QUERY_KEY };

let api: FakeApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const provider = (address: string, interval = '1m', creds = credentials) =>
  createNewRelicProvider(
    providerContext(
      { type: 'newrelic', address, secretRef: { name: 'nr' } },
      { credentials: creds, metricInterval: interval },
    ),
  );

describe('newrelic provider', () => {
  it("sends NRQL with the metric window to the account's Insights endpoint with X-Query-Key", async () => {
    api = await startFakeApi((req) =>
      req.headers['x-query-key'] === QUERY_KEY
        ? { status: 200, body: '{"results":[{"result":1.5}],"metadata":{}}' }
        : { status: 401, body: '{"error":"Unauthorized"}' },
    );
    const query =
      "SELECT filter(sum(nginx_ingress_controller_requests), WHERE status >= '500') FROM Metric";
    expect(await provider(api.url, '2m').runQuery(query)).toBe(1.5);
    const [req] = api.requests;
    expect(req?.method).toBe('GET');
    expect(req?.path).toBe('/v1/accounts/1234567/query');
    expect(req?.query.get('nrql')).toBe(`${query} SINCE 120 seconds ago`);
    expect(await provider(api.url).isOnline()).toBe(true);
    expect(api.requests[1]?.query.get('nrql')).toBe('SELECT * FROM Metric SINCE 60 seconds ago');
  });

  it("reports Flagger's errors; a null or missing result is no values", async () => {
    let answer = { status: 200, body: '' };
    api = await startFakeApi(() => answer);
    const p = provider(api.url);
    answer = { status: 401, body: '{"error":"Unauthorized"}' };
    // Go formats a nil %w as "%!w(<nil>)": Flagger's events carry it.
    expect(await failure(p.runQuery('q'))).toBe(
      'error response: {"error":"Unauthorized"}: %!w(<nil>)',
    );
    expect(await failure(p.isOnline())).toBe('error response: {"error":"Unauthorized"}');
    answer = { status: 200, body: '{"results":' };
    expect(await failure(p.runQuery('q'))).toBe(
      'error unmarshaling result: unexpected end of JSON input, \'{"results":\'',
    );
    for (const body of ['{"results":[{"result":null}]}', '{"results":[]}', '{"results":[{},{}]}']) {
      answer = { status: 200, body };
      const err = await p.runQuery('q').catch((e: unknown) => e);
      expect(isNoValuesFound(err)).toBe(true);
      expect((err as Error).message).toBe(`invalid response: ${body}: no values found`);
    }
  });

  it('is offline when the server is down, without the query key in the text', async () => {
    const port = await closedPort();
    const message = await failure(provider(`http://127.0.0.1:${port}`).isOnline());
    expect(message).toMatch(
      /^request failed: Get "http:\/\/127\.0\.0\.1:\d+\/v1\/accounts\/1234567\/query\?nrql=SELECT\+%2A\+FROM\+Metric\+SINCE\+60\+seconds\+ago": dial tcp .*connection refused$/,
    );
    expect(message).not.toContain(QUERY_KEY);
  });

  it("refuses to build without the account id or query key (Flagger's texts)", () => {
    const build = (creds: Record<string, string>) =>
      thrown(() =>
        createNewRelicProvider(providerContext({ type: 'newrelic' }, { credentials: creds })),
      );
    expect(build({})).toBe("newrelic credentials does not contain the key 'newrelic_account_id'");
    expect(build({ newrelic_account_id: '1' })).toBe(
      "newrelic credentials does not contain the key ''newrelic_query_key",
    );
  });
});
