/**
 * Shared by the metrics-<provider> tests: a fake provider API on 127.0.0.1 that records each
 * request and answers as the handler says, and a provider context whose HTTP goes straight to
 * it (no cluster: a 127.0.0.1 address is never proxied).
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MetricTemplateProvider } from '../../src/core/canary';
import type { KubeApi } from '../../src/core/kube/api';
import { createClusterHttp } from '../../src/core/kube/cluster-address';
import type { MetricsProviderContext } from '../../src/core/metrics';
import { systemClock, type Clock } from '../../src/shared/clock';

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  rawQuery: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface FakeAnswer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

export interface FakeApi {
  url: string;
  requests: FakeRequest[];
  close(): Promise<void>;
}

export async function startFakeApi(
  answer: (req: FakeRequest) => FakeAnswer | Promise<FakeAnswer>,
): Promise<FakeApi> {
  const requests: FakeRequest[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const r: FakeRequest = {
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        rawQuery: url.search.replace(/^\?/, ''),
        headers: req.headers,
        body,
      };
      requests.push(r);
      void Promise.resolve(answer(r)).then((a) => {
        res.writeHead(a.status, { 'content-type': 'application/json', ...(a.headers ?? {}) });
        res.end(a.body ?? '');
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** No cluster behind it: only direct addresses work. */
const noCluster = new Proxy(
  {},
  {
    get: () => {
      throw new Error('no cluster in this test');
    },
  },
) as KubeApi;

/** 2026-01-01T00:00:00Z, so query windows are exact. */
export const NOW = Date.parse('2026-01-01T00:00:00Z');
export const fixedClock: Clock = { ...systemClock, now: () => NOW };

export function providerContext(
  provider: MetricTemplateProvider,
  options: { credentials?: Record<string, string>; metricInterval?: string; api?: KubeApi } = {},
): MetricsProviderContext {
  return {
    provider,
    metricInterval: options.metricInterval ?? '1m',
    ...(options.credentials ? { credentials: options.credentials } : {}),
    http: createClusterHttp({ api: noCluster }),
    namespace: 'test',
    clock: fixedClock,
    ...(options.api ? { api: options.api } : {}),
  };
}

/** The rejection's message (fails the test when the promise resolves). */
export async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a rejection');
}

/** The thrown message of a synchronous call (fails the test when it returns). */
export function thrown(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a throw');
}
