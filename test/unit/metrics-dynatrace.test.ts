import { afterEach, describe, expect, it } from 'vitest';
import { isNoValuesFound } from '../../src/core/metrics';
import { createDynatraceProvider } from '../../src/core/metrics/dynatrace';
import { closedPort } from './engine-fixtures';
import {
  NOW,
  failure,
  providerContext,
  startFakeApi,
  thrown,
  type FakeApi,
} from './metrics-support';

const TOKEN = 'dt0c01.SECRETTOKEN';

let api: FakeApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const provider = (address: string, interval = '1m') =>
  createDynatraceProvider(
    providerContext(
      { type: 'dynatrace', address, secretRef: { name: 'dt' } },
      { credentials: { dynatrace_token: TOKEN }, metricInterval: interval },
    ),
  );

describe('dynatrace provider', () => {
  it('queries metrics v2 over 10 intervals with Api-Token; the last data entry of the first result', async () => {
    api = await startFakeApi((req) => {
      if (req.headers.authorization !== `Api-Token ${TOKEN}`)
        return {
          status: 401,
          body: '{"error":{"code":401,"message":"Token Authentication failed"}}',
        };
      if (req.path === '/api/v2/metrics') return { status: 200, body: '{"metrics":[]}' };
      return {
        status: 200,
        body: JSON.stringify({
          result: [
            {
              metricId: 'builtin:service.errors.total.rate',
              data: [
                { timestamps: [1], values: [3] },
                { timestamps: [1], values: [0.5, 7] },
              ],
            },
          ],
        }),
      };
    });
    const query = 'builtin:service.errors.total.rate:filter(eq(dt.entity.service,SERVICE-1))';
    expect(await provider(api.url, '30s').runQuery(query)).toBe(0.5);
    const [req] = api.requests;
    expect(req?.path).toBe('/api/v2/metrics/query');
    expect(req?.query.get('metricSelector')).toBe(query);
    expect(req?.query.get('resolution')).toBe('Inf');
    expect(req?.query.get('to')).toBe(String(NOW));
    expect(req?.query.get('from')).toBe(String(NOW - 300_000));
    expect([...(req?.query.keys() ?? [])]).toEqual(['from', 'metricSelector', 'resolution', 'to']);
    expect(await provider(api.url).isOnline()).toBe(true);
    expect(api.requests[1]?.rawQuery).toBe('pageSize=1');
  });

  it("reports Flagger's errors and no values", async () => {
    let answer = { status: 200, body: '' };
    api = await startFakeApi(() => answer);
    const p = provider(api.url);
    answer = { status: 401, body: '{"error":"no"}' };
    expect(await failure(p.runQuery('q'))).toBe('error response: {"error":"no"}: %!w(<nil>)');
    expect(await failure(p.isOnline())).toBe('error response: {"error":"no"}');
    for (const body of [
      '{"result":[]}',
      '{"result":[{"data":[]}]}',
      '{"result":[{"data":[{"values":[]}]}]}',
    ]) {
      answer = { status: 200, body };
      const err = await p.runQuery('q').catch((e: unknown) => e);
      expect(isNoValuesFound(err)).toBe(true);
      expect((err as Error).message).toBe(`invalid response: ${body}: no values found`);
    }
    answer = { status: 200, body: '<html>' };
    expect(await failure(p.runQuery('q'))).toBe(
      "error unmarshaling result: invalid character '<' looking for beginning of value, '<html>'",
    );
  });

  it('is offline when the server is down, without the token in the text', async () => {
    const port = await closedPort();
    const message = await failure(provider(`http://127.0.0.1:${port}`).isOnline());
    expect(message).toBe(
      `request failed: Get "http://127.0.0.1:${port}/api/v2/metrics?pageSize=1": dial tcp 127.0.0.1:${port}: connect: connection refused`,
    );
    expect(message).not.toContain(TOKEN);
  });

  it("refuses to build without an address or token (Flagger's texts)", () => {
    expect(thrown(() => createDynatraceProvider(providerContext({ type: 'dynatrace' })))).toBe(
      'dynatrace endpoint is not set',
    );
    expect(
      thrown(() =>
        createDynatraceProvider(providerContext({ type: 'dynatrace', address: 'http://x' })),
      ),
    ).toBe('dynatrace credentials does not contain dynatrace_token');
  });
});
