import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetricsProvider, isNoValuesFound } from '../../src/core/metrics';
import { playgroundCertificates } from '../../src/sim/apiserver/tls';
import { closedPort } from './engine-fixtures';
import { failure, providerContext, startFakeApi, thrown, type FakeApi } from './metrics-support';

const TOKEN = 'prom-bearer-token-xyz';

let api: FakeApi | undefined;
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await api?.close();
  api = undefined;
  for (const c of closers.splice(0)) await c();
});

const vector = (value: string) =>
  JSON.stringify({
    status: 'success',
    data: { resultType: 'vector', result: [{ metric: {}, value: [1, value] }] },
  });

const prometheus = (address: string, credentials?: Record<string, string>, extra = {}) =>
  createMetricsProvider(
    providerContext(
      {
        type: 'prometheus',
        address,
        ...(credentials ? { secretRef: { name: 'p' } } : {}),
        ...extra,
      },
      credentials ? { credentials } : {},
    ),
    () => undefined,
  );

describe('prometheus provider (MetricTemplate)', () => {
  it('sends the template headers with the bearer token; Go header values joined', async () => {
    api = await startFakeApi(() => ({ status: 200, body: vector('0.99') }));
    const p = prometheus(
      `${api.url}/prom`,
      { token: TOKEN },
      {
        headers: { 'X-Scope-OrgID': ['tenant-1'], Accept: ['application/json', 'text/plain'] },
      },
    );
    expect(await p.runQuery('sum(rate(http_requests_total[1m]))')).toBe(0.99);
    const [req] = api.requests;
    expect(req?.path).toBe('/prom/api/v1/query');
    expect(req?.query.get('query')).toBe('sum(rate(http_requests_total[1m]))');
    expect(req?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req?.headers['x-scope-orgid']).toBe('tenant-1');
    expect(req?.headers.accept).toBe('application/json, text/plain');
  });

  it("reports Flagger's texts: error status, NaN as no values, online only for 1", async () => {
    let body = vector('NaN');
    let status = 200;
    api = await startFakeApi(() => ({ status, body }));
    const p = prometheus(api.url, { username: 'u', password: 'secret-pw' });
    expect(isNoValuesFound(await p.runQuery('x').catch((e: unknown) => e))).toBe(true);
    body = vector('2');
    expect(await failure(p.isOnline())).toBe('value is not 1 for query: vector(1)');
    status = 401;
    body = 'Unauthorized';
    const denied = await failure(p.runQuery('x'));
    expect(denied).toBe('error response: Status 401 Unauthorized: Unauthorized');
    expect(denied).not.toContain('secret-pw');
    status = 200;
    body = '{"data":';
    expect(await failure(p.runQuery('x'))).toMatch(/^error unmarshaling result: .*, '\{"data":'$/);
  });

  it('skips TLS verification only with insecureSkipVerify', async () => {
    const certs = await playgroundCertificates();
    const server = createHttpsServer({ cert: certs.certPem, key: certs.keyPem }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(vector('1'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect(await failure(prometheus(url).isOnline())).toMatch(
      /^running query failed: request failed: Get ".*": tls: failed to verify certificate: x509: certificate signed by unknown authority$/,
    );
    expect(await prometheus(url, undefined, { insecureSkipVerify: true }).isOnline()).toBe(true);
  });

  it("is offline when the server is down; refuses partial credentials (Flagger's texts)", async () => {
    const port = await closedPort();
    const down = await failure(prometheus(`http://127.0.0.1:${port}`, { token: TOKEN }).isOnline());
    expect(down).toBe(
      `running query failed: request failed: Get "http://127.0.0.1:${port}/api/v1/query?query=vector%281%29": dial tcp 127.0.0.1:${port}: connect: connection refused`,
    );
    expect(down).not.toContain(TOKEN);
    expect(thrown(() => prometheus('http://p:9090', {}))).toBe(
      'prometheus credentials does not contain a username',
    );
    expect(thrown(() => prometheus('http://p:9090', { username: 'u' }))).toBe(
      'prometheus credentials does not contain a password',
    );
    expect(thrown(() => prometheus(''))).toBe('prometheus address  is not a valid URL');
  });
});
