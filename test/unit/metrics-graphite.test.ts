import { afterEach, describe, expect, it } from 'vitest';
import { NoValuesFoundError } from '../../src/core/metrics';
import { createGraphiteProvider } from '../../src/core/metrics/graphite';
import { closedPort } from './engine-fixtures';
import { failure, providerContext, startFakeApi, thrown, type FakeApi } from './metrics-support';

const PASSWORD = 'graphite-pass-777';
const BASIC = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`;

let api: FakeApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const provider = (address: string, withSecret = true) =>
  createGraphiteProvider(
    providerContext(
      { type: 'graphite', address, ...(withSecret ? { secretRef: { name: 'g' } } : {}) },
      withSecret ? { credentials: { username: 'admin', password: PASSWORD } } : {},
    ),
  );

describe('graphite provider', () => {
  it('sends the query string to <path>/render with format=json and basic auth; the last non-null point wins', async () => {
    api = await startFakeApi((req) => {
      if (req.headers.authorization !== BASIC) return { status: 401, body: 'Unauthorized' };
      return {
        status: 200,
        body: JSON.stringify([
          {
            target: 'a',
            datapoints: [
              [1, 1700000000],
              [null, 1700000060],
            ],
          },
          {
            target: 'b',
            datapoints: [
              ['2.5', '1700000000'],
              [null, 1700000060],
            ],
          },
        ]),
      };
    });
    const query = `target=sumSeries(
      stats.timers.podinfo.*.count)&from=-5min&format=raw`;
    expect(await provider(`${api.url}/graphite/`).runQuery(query)).toBe(2.5);
    const [req] = api.requests;
    expect(req?.path).toBe('/graphite/render');
    // url.Values.Encode: sorted, the template's format replaced, whitespace collapsed.
    expect(req?.rawQuery).toBe(
      'format=json&from=-5min&target=sumSeries%28+stats.timers.podinfo.%2A.count%29',
    );
  });

  it('reports no values when every point is null, which IsOnline accepts', async () => {
    api = await startFakeApi(() => ({
      status: 200,
      body: '[{"target":"x","datapoints":[[null,1]]}]',
    }));
    const p = provider(api.url, false);
    const err = await p.runQuery('target=x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoValuesFoundError);
    expect(await p.isOnline()).toBe(true);
    expect(api.requests[1]?.rawQuery).toBe('format=json&target=test');
    expect(api.requests[0]?.headers.authorization).toBeUndefined();
  });

  it("reports Flagger's errors: status body, malformed JSON, a bad data point; offline when down", async () => {
    let answer = { status: 200, body: '' };
    api = await startFakeApi(() => answer);
    const p = provider(api.url);
    answer = { status: 401, body: 'Unauthorized' };
    expect(await failure(p.runQuery('target=x'))).toBe('error response: Unauthorized');
    expect(await failure(p.isOnline())).toBe('running query failed: error response: Unauthorized');
    answer = { status: 200, body: '[{"datapoints":[[1]]}]' };
    expect(await failure(p.runQuery('target=x'))).toBe(
      'error unmarshaling result: error unmarshaling data point: [1], \'[{"datapoints":[[1]]}]\'',
    );
    answer = { status: 200, body: 'oops' };
    expect(await failure(p.runQuery('target=x'))).toMatch(
      /^error unmarshaling result: invalid character 'o'/,
    );

    const port = await closedPort();
    const down = await failure(provider(`http://127.0.0.1:${port}`).isOnline());
    expect(down).toBe(
      `running query failed: request failed: Get "http://127.0.0.1:${port}/render?format=json&target=test": dial tcp 127.0.0.1:${port}: connect: connection refused`,
    );
    expect(down).not.toContain(PASSWORD);
  });

  it("refuses to build with a bad address or partial credentials (Flagger's texts)", () => {
    const build = (address: string, credentials?: Record<string, string>) =>
      thrown(() =>
        createGraphiteProvider(
          providerContext(
            { type: 'graphite', address, secretRef: { name: 'g' } },
            credentials ? { credentials } : {},
          ),
        ),
      );
    expect(build('')).toBe('graphite address  is not a valid URL');
    expect(build('http://g', {})).toBe('graphite credentials does not contain a username');
    expect(build('http://g', { username: 'u' })).toBe(
      'graphite credentials does not contain a password',
    );
  });
});
