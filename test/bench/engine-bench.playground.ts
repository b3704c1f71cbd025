/**
 * The playground side of the engine benchmark (engine.bench.ts), in a process of its own so
 * the engine's CPU and memory are measured alone: 20 simulated clusters with no Prometheus
 * and no synthetic traffic (idle and blue/green canaries without metrics query nothing),
 * driven over IPC:
 *
 *   {cmd: 'populate', perCluster, namespaces}  a Deployment + Canary per app, spread over namespaces
 *   {cmd: 'phases'}                            how many Canaries are in each status phase
 *   {cmd: 'release', share}                    a new image for that share of the apps (→ Progressing)
 *   {cmd: 'usage'}                             this process's CPU time and RSS
 *
 * Started by engine.bench.ts with `node --import tsx`; sends {ready: kubeconfig} when serving.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { systemClock } from '../../src/shared/clock';
import { startPlayground, type Playground } from '../../src/sim/playground';
import { R, type KubeObject } from '../../src/sim/store';

export type PlaygroundCommand =
  | { id: number; cmd: 'populate'; perCluster: number; namespaces: number }
  | { id: number; cmd: 'phases' }
  | { id: number; cmd: 'release'; share: number }
  | { id: number; cmd: 'usage' };

export type PlaygroundMessage =
  { ready: string } | { id: number; result: unknown } | { id: number; error: string };

export const BENCH_IMAGE = 'ghcr.io/stefanprodan/podinfo:6.0.0';

/** A podinfo Deployment with one replica. */
export function benchDeployment(name: string, namespace: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'podinfod',
              image: BENCH_IMAGE,
              ports: [{ name: 'http', containerPort: 9898 }],
            },
          ],
        },
      },
    },
  };
}

/**
 * Flagger's Blue/Green with the kubernetes provider at Flagger's minimum interval (10 s). No
 * metrics: the benchmark measures the engine, not a metrics backend. Many iterations, so a
 * released canary stays Progressing for the whole measurement.
 */
export function benchCanary(name: string, namespace: string): KubeObject {
  return {
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    metadata: { name, namespace },
    spec: {
      provider: 'kubernetes',
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      progressDeadlineSeconds: 600,
      service: { port: 80, targetPort: 9898 },
      analysis: { interval: '10s', threshold: 5, iterations: 1000 },
    },
  };
}

const send = (message: PlaygroundMessage): void => {
  process.send?.(message);
};

function populate(playground: Playground, perCluster: number, namespaces: number): number {
  let created = 0;
  for (const cluster of playground.clusters) {
    const store = cluster.api.store;
    for (let n = 0; n < namespaces; n++) {
      store.create(R.namespaces, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: `bench-${n}` },
      });
    }
    for (let i = 0; i < perCluster; i++) {
      const namespace = `bench-${i % namespaces}`;
      const name = `app-${i}`;
      store.create(R.deployments, benchDeployment(name, namespace));
      store.create(R.canaries, benchCanary(name, namespace));
      created++;
    }
  }
  return created;
}

function phases(playground: Playground): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const cluster of playground.clusters) {
    for (const canary of cluster.api.store.list(R.canaries)) {
      const phase = (canary.status as { phase?: string } | undefined)?.phase || '(none)';
      counts[phase] = (counts[phase] ?? 0) + 1;
    }
  }
  return counts;
}

/** A new image for the first `share` of each cluster's apps (every 1/share-th app). */
function release(playground: Playground, share: number): number {
  let released = 0;
  for (const cluster of playground.clusters) {
    const store = cluster.api.store;
    const deployments = store
      .list(R.deployments)
      .filter(
        (d) => d.metadata.namespace?.startsWith('bench-') && !d.metadata.name.endsWith('-primary'),
      );
    const step = Math.max(1, Math.round(1 / share));
    deployments.forEach((d, i) => {
      if (i % step !== 0) return;
      store.mutate(R.deployments, d.metadata.namespace, d.metadata.name, (draft) => {
        const spec = draft.spec as { template: { spec: { containers: { image: string }[] } } };
        const container = spec.template.spec.containers[0];
        if (container) container.image = `${BENCH_IMAGE.replace(/:.*$/, '')}:6.0.1`;
      });
      released++;
    });
  }
  return released;
}

async function main(): Promise<void> {
  const clusters = Number(process.argv[2] ?? 20);
  const dir = await mkdtemp(join(tmpdir(), 'aviary-bench-'));
  const playground = await startPlayground({
    clusters,
    kubeconfigOut: join(dir, 'kubeconfig.yaml'),
    prometheus: 'none',
    scenario: false,
    clock: systemClock,
    trafficRate: 0,
    podReadyDelayMs: 500,
  });
  const stop = async (): Promise<void> => {
    await playground.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('disconnect', () => void stop());
  process.once('SIGTERM', () => void stop());
  process.on('message', (message: PlaygroundCommand) => {
    try {
      switch (message.cmd) {
        case 'populate':
          send({
            id: message.id,
            result: populate(playground, message.perCluster, message.namespaces),
          });
          break;
        case 'phases':
          send({ id: message.id, result: phases(playground) });
          break;
        case 'release':
          send({ id: message.id, result: release(playground, message.share) });
          break;
        case 'usage':
          send({
            id: message.id,
            result: { cpu: process.cpuUsage(), rss: process.memoryUsage().rss },
          });
          break;
      }
    } catch (err) {
      send({ id: message.id, error: (err as Error).message });
    }
  });
  send({ ready: playground.kubeconfig });
}

// Run as a program (not when another file imports the manifests above).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench playground: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
