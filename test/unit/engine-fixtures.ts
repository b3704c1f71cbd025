/** Shared helpers for the engine's analysis/webhook/event tests. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseCanary, type Canary } from '../../src/core/canary';
import { systemClock, type Clock } from '../../src/shared/clock';

export function canaryOf(spec: Record<string, unknown>, status?: Record<string, unknown>): Canary {
  const parsed = parseCanary({
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    metadata: { name: 'podinfo', namespace: 'test', uid: 'uid-1', resourceVersion: '7' },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      service: { port: 9898 },
      ...spec,
      analysis: {
        interval: '10s',
        threshold: 5,
        stepWeight: 10,
        ...((spec.analysis as Record<string, unknown> | undefined) ?? {}),
      },
    },
    ...(status ? { status } : {}),
  });
  if ('errors' in parsed) throw new Error(JSON.stringify(parsed.errors));
  return parsed.canary;
}

export interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A real HTTP server on 127.0.0.1 that records requests and answers with `respond`. */
export async function startReceiver(
  respond: (req: Received, n: number) => { status: number; body?: string } | 'hang' = () => ({
    status: 200,
  }),
): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      received.push(r);
      const answer = respond(r, received.length);
      if (answer === 'hang') return;
      res.writeHead(answer.status, { 'content-type': 'text/plain' });
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The system clock, except that sleeps (retry backoffs) return at once and are recorded. */
export function instantSleepClock(): Clock & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    ...systemClock,
    sleeps,
    sleep: async (ms: number) => {
      sleeps.push(ms);
    },
  };
}

/** A port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
