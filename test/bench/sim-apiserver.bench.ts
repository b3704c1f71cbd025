/**
 * Benchmark of the playground API server: 20 clusters x 100 Deployments in one process;
 * GET and LIST throughput over keep-alive HTTPS, watch event latency with 100 watchers,
 * and the process RSS. Figures only (not a timed test); runs in well under a minute.
 *
 *   npx tsx -e "import('./test/bench/sim-apiserver.bench.ts').then(m => m.benchApiServer()).then(console.log)"
 */
import https from 'node:https';
import type { RunningClusterApiServer } from '../../src/sim/apiserver/index';
import { startClusterApiServer } from '../../src/sim/apiserver/index';
import { R } from '../../src/sim/store';

export interface ApiServerBenchFigures {
  clusters: number;
  deploymentsPerCluster: number;
  startupMs: number;
  getRequestsPerSecond: number;
  listRequestsPerSecond: number;
  watchers: number;
  watchEvents: number;
  watchLatencyP50Ms: number;
  watchLatencyP99Ms: number;
  rssMiB: number;
}

export interface ApiServerBenchOptions {
  clusters?: number;
  deploymentsPerCluster?: number;
  watchers?: number;
  /** How long each throughput phase runs. */
  phaseMs?: number;
  concurrency?: number;
}

const TOKEN = 'bench-token';

function deployment(name: string) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default', labels: { app: name, bench: 'true' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'ghcr.io/stefanprodan/podinfo:6.0.0',
              ports: [{ containerPort: 9898 }],
            },
          ],
        },
      },
    },
  };
}

function get(agent: https.Agent, server: RunningClusterApiServer, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: server.port,
        path,
        agent,
        ca: server.caPem,
        headers: { Authorization: `Bearer ${TOKEN}` },
        timeout: 10_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function throughput(
  phaseMs: number,
  concurrency: number,
  next: (i: number) => Promise<number>,
): Promise<number> {
  const deadline = Date.now() + phaseMs;
  let done = 0;
  let i = 0;
  const worker = async () => {
    while (Date.now() < deadline) {
      const status = await next(i++);
      if (status !== 200) throw new Error(`bench request failed with ${status}`);
      done++;
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return Math.round((done / (Date.now() - started)) * 1000);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Opens a watch and calls back with each event's receive time and object name. */
function watchDeployments(
  agent: https.Agent,
  server: RunningClusterApiServer,
  onEvent: (name: string, at: number) => void,
): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: server.port,
        path: `/apis/apps/v1/namespaces/default/deployments?watch=1&resourceVersion=${server.store.resourceVersion}`,
        agent,
        ca: server.caPem,
        headers: { Authorization: `Bearer ${TOKEN}` },
      },
      (res) => {
        let buffer = '';
        res.on('data', (chunk: Buffer) => {
          const at = performance.now();
          buffer += chunk.toString('utf8');
          let nl = buffer.indexOf('\n');
          while (nl >= 0) {
            const line = buffer.slice(0, nl);
            buffer = buffer.slice(nl + 1);
            const event = JSON.parse(line) as { object: { metadata: { name: string } } };
            onEvent(event.object.metadata.name, at);
            nl = buffer.indexOf('\n');
          }
        });
        resolve(() => req.destroy());
      },
    );
    req.on('error', (err) => {
      if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(err);
    });
    req.end();
  });
}

export async function benchApiServer(
  options: ApiServerBenchOptions = {},
): Promise<ApiServerBenchFigures> {
  const clusters = options.clusters ?? 20;
  const perCluster = options.deploymentsPerCluster ?? 100;
  const watchers = options.watchers ?? 100;
  const phaseMs = options.phaseMs ?? 3000;
  const concurrency = options.concurrency ?? 16;

  const started = performance.now();
  const servers = await Promise.all(
    Array.from({ length: clusters }, (_, i) =>
      startClusterApiServer({ name: `bench-${i}`, token: TOKEN, nodes: 3 }),
    ),
  );
  for (const s of servers)
    for (let d = 0; d < perCluster; d++) s.store.create(R.deployments, deployment(`app-${d}`));
  const startupMs = Math.round(performance.now() - started);
  const agent = new https.Agent({ keepAlive: true, maxSockets: concurrency + watchers + 8 });
  const stops: (() => void)[] = [];
  try {
    const pick = (i: number) => servers[i % servers.length] as RunningClusterApiServer;
    const getRequestsPerSecond = await throughput(phaseMs, concurrency, (i) =>
      get(agent, pick(i), `/apis/apps/v1/namespaces/default/deployments/app-${i % perCluster}`),
    );
    const listRequestsPerSecond = await throughput(phaseMs, concurrency, (i) =>
      get(agent, pick(i), '/apis/apps/v1/namespaces/default/deployments'),
    );

    // 100 watchers on one cluster; each update's latency is measured at every watcher.
    const target = servers[0] as RunningClusterApiServer;
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    let received = 0;
    for (let w = 0; w < watchers; w++) {
      stops.push(
        await watchDeployments(agent, target, (name, at) => {
          const sent = sentAt.get(name);
          if (sent !== undefined) latencies.push(at - sent);
          received++;
        }),
      );
    }
    const updates = 200;
    for (let u = 0; u < updates; u++) {
      const name = `app-${u % perCluster}`;
      sentAt.set(name, performance.now());
      target.store.mutate(R.deployments, 'default', name, (d) => {
        d.metadata.annotations = { ...(d.metadata.annotations ?? {}), bench: String(u) };
      });
      // Paced, so the figure is the latency of one event fanned out to every watcher, not queueing.
      await new Promise((r) => setTimeout(r, 5));
    }
    const deadline = Date.now() + 10_000;
    while (received < updates * watchers && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    latencies.sort((a, b) => a - b);
    return {
      clusters,
      deploymentsPerCluster: perCluster,
      startupMs,
      getRequestsPerSecond,
      listRequestsPerSecond,
      watchers,
      watchEvents: received,
      watchLatencyP50Ms: Math.round(percentile(latencies, 50) * 100) / 100,
      watchLatencyP99Ms: Math.round(percentile(latencies, 99) * 100) / 100,
      rssMiB: Math.round(process.memoryUsage().rss / 1024 / 1024),
    };
  } finally {
    for (const stop of stops) stop();
    agent.destroy();
    await Promise.all(servers.map((s) => s.close()));
  }
}

// `npm run bench` entry points (test/bench/run.ts).
export const title = 'Playground API server: 20 clusters x 100 Deployments, 100 watchers';
export async function run(): Promise<Record<string, number>> {
  return { ...(await benchApiServer()) };
}
