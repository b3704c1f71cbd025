/**
 * The playground as one object: N simulated clusters, each with its API server, its
 * workload/traffic simulation, a /metrics endpoint and a Prometheus, plus the kubeconfig
 * that names them. Used by `npm run playground`, by `npm start`, and by the tests.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { systemClock, type Clock } from '../shared/clock';
import {
  contextName,
  preinstalledCrds,
  MemoryClusterStore,
  startClusterApiServer,
  writeKubeconfig,
  type RunningClusterApiServer,
  type StoreSnapshot,
} from './apiserver/index';
import { startPlaygroundPrometheus, type PlaygroundPrometheus } from './prometheus/index';
import { defaultScenario } from './scenario';
import { startClusterSimulation, type ClusterSimulation } from './simulation';
import type { KubeObject, ResourceRef } from './store';

export const DEFAULT_CLUSTER_NAMES = ['staging', 'eu', 'us'];

export interface PlaygroundOptions {
  /** How many clusters (names: staging, eu, us, then cluster-4...), or explicit names. */
  clusters?: number | string[];
  kubeconfigOut: string;
  /** Save/load the clusters' objects here, so a restart keeps them. */
  stateDir?: string;
  /** A Prometheus binary path, 'builtin' for the built-in evaluator, 'none' for no Prometheus. */
  prometheus?: string;
  /** Populate new clusters with the default scenario (default true). */
  scenario?: boolean;
  clock?: Clock;
  trafficRate?: number;
  podReadyDelayMs?: number;
  scrapeIntervalMs?: number;
  log?: (line: string) => void;
}

export interface PlaygroundCluster {
  name: string;
  context: string;
  api: RunningClusterApiServer;
  sim: ClusterSimulation;
  metricsUrl: string;
  prometheus?: PlaygroundPrometheus;
  /** The bearer token of this cluster's API (also in the kubeconfig). */
  token: string;
  /** A simulated Prometheus outage: in-cluster queries answer 503. */
  prometheusDown?: boolean;
}

export interface Playground {
  kubeconfig: string;
  clusters: PlaygroundCluster[];
  cluster(name: string): PlaygroundCluster;
  saveState(): Promise<void>;
  stop(): Promise<void>;
}

interface SavedCluster {
  name: string;
  port: number;
  token: string;
  store: StoreSnapshot;
}

interface SavedState {
  format: 'aviary-playground/v1';
  clusters: SavedCluster[];
}

export function clusterNames(clusters: number | string[] | undefined): string[] {
  if (Array.isArray(clusters)) return clusters;
  const count = clusters ?? DEFAULT_CLUSTER_NAMES.length;
  return Array.from({ length: count }, (_, i) => DEFAULT_CLUSTER_NAMES[i] ?? `cluster-${i + 1}`);
}

async function loadState(
  stateDir: string | undefined,
  log: (line: string) => void,
): Promise<SavedState | undefined> {
  if (!stateDir) return undefined;
  try {
    const state = JSON.parse(
      await readFile(join(stateDir, 'playground.json'), 'utf8'),
    ) as SavedState;
    if (state.format !== 'aviary-playground/v1')
      throw new Error(`unknown format ${String(state.format)}`);
    return state;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      log(
        `playground: saved state in ${stateDir} is unreadable (${(err as Error).message}); starting fresh`,
      );
    }
    return undefined;
  }
}

/** The plural of a kind defined by one of the preinstalled CRDs (meshes, gateways...). */
function crdPlural(group: string, kind: string): string | undefined {
  for (const crd of preinstalledCrds) {
    const spec = crd.spec as { group: string; names: { kind: string; plural: string } };
    if (spec.group === group && spec.names.kind === kind) return spec.names.plural;
  }
  return undefined;
}

/** Maps a manifest to its resource (the built-in kinds the scenario uses, and every preinstalled CRD's). */
export function resourceOf(object: KubeObject): ResourceRef {
  const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0]! : '';
  const plural: Record<string, string> = {
    Namespace: 'namespaces',
    Deployment: 'deployments',
    Service: 'services',
    HorizontalPodAutoscaler: 'horizontalpodautoscalers',
    Ingress: 'ingresses',
    IngressClass: 'ingressclasses',
    Canary: 'canaries',
    MetricTemplate: 'metrictemplates',
    AlertProvider: 'alertproviders',
    ConfigMap: 'configmaps',
    Secret: 'secrets',
  };
  const resource = plural[object.kind] ?? crdPlural(group, object.kind);
  if (!resource) throw new Error(`the scenario uses an unmapped kind ${object.kind}`);
  return { group, resource };
}

async function startMetricsServer(
  sim: ClusterSimulation,
): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    sim.metricsText().then(
      (text) => {
        res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
        res.end(text);
      },
      (err: unknown) => {
        res.writeHead(500).end(String(err));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`, server };
}

export async function startPlayground(options: PlaygroundOptions): Promise<Playground> {
  const log = options.log ?? (() => undefined);
  const clock = options.clock ?? systemClock;
  const saved = await loadState(options.stateDir, log);
  const names =
    saved && options.clusters === undefined
      ? saved.clusters.map((c) => c.name)
      : clusterNames(options.clusters);
  // Many clusters each with a real Prometheus would cost a process each: past five, the built-in one.
  const prometheus = options.prometheus ?? (names.length > 5 ? 'builtin' : undefined);

  const clusters: PlaygroundCluster[] = [];
  const metricsServers: Server[] = [];
  const scenario = new Map(defaultScenario(names).map((c) => [c.name, c.manifests]));

  try {
    for (const name of names) {
      const previous = saved?.clusters.find((c) => c.name === name);
      const store = new MemoryClusterStore({ clock });
      if (previous) store.restore(previous.store);
      const token = previous?.token ?? randomBytes(24).toString('base64url');
      const api = await startClusterApiServer({
        name,
        token,
        clock,
        store,
        port: previous?.port,
      }).catch(
        // The saved port may be taken now; any port will do, the kubeconfig is rewritten.
        () => startClusterApiServer({ name, token, clock, store }),
      );
      // The simulation asks for the Prometheus URL lazily: Prometheus starts after it.
      const self: { cluster?: PlaygroundCluster } = {};
      const sim = startClusterSimulation({
        store,
        clock,
        ...(options.trafficRate !== undefined ? { trafficRate: options.trafficRate } : {}),
        ...(options.podReadyDelayMs !== undefined
          ? { podReadyDelayMs: options.podReadyDelayMs }
          : {}),
        prometheusUrl: () =>
          self.cluster?.prometheusDown ? undefined : self.cluster?.prometheus?.url,
      });
      api.setServiceProxy(sim.proxy);
      const metrics = await startMetricsServer(sim);
      metricsServers.push(metrics.server);
      const cluster: PlaygroundCluster = {
        name,
        context: contextName(name),
        api,
        sim,
        metricsUrl: metrics.url,
        token,
      };
      self.cluster = cluster;
      clusters.push(cluster);

      if (!previous && options.scenario !== false) {
        for (const manifest of scenario.get(name) ?? []) {
          try {
            store.create(resourceOf(manifest), manifest);
          } catch (err) {
            log(
              `playground: ${name}: cannot create ${manifest.kind} ${manifest.metadata.name}: ${(err as Error).message}`,
            );
          }
        }
      }
      if (prometheus !== 'none') {
        const metricsUrl = metrics.url;
        cluster.prometheus = await startPlaygroundPrometheus({
          targets: () => [{ job: `playground-${name}`, url: metricsUrl }],
          clock,
          ...(options.scrapeIntervalMs !== undefined
            ? { scrapeIntervalMs: options.scrapeIntervalMs }
            : {}),
          ...(prometheus ? { binary: prometheus } : {}),
        });
        log(
          `playground: ${name}: ${cluster.prometheus.kind} Prometheus at ${cluster.prometheus.url}`,
        );
      }
    }
  } catch (err) {
    await stopAll(clusters, metricsServers);
    throw err;
  }

  await mkdir(dirname(options.kubeconfigOut), { recursive: true });
  await writeKubeconfig(
    options.kubeconfigOut,
    clusters.map((c) => ({ name: c.name, url: c.api.url, token: c.token, caPem: c.api.caPem })),
  );

  const saveState = async (): Promise<void> => {
    if (!options.stateDir) return;
    const state: SavedState = {
      format: 'aviary-playground/v1',
      clusters: clusters.map((c) => ({
        name: c.name,
        port: c.api.port,
        token: c.token,
        store: c.api.store.snapshot(),
      })),
    };
    await mkdir(options.stateDir, { recursive: true });
    const file = join(options.stateDir, 'playground.json');
    await writeFile(`${file}.tmp`, JSON.stringify(state), { mode: 0o600 });
    await rename(`${file}.tmp`, file);
  };

  return {
    kubeconfig: options.kubeconfigOut,
    clusters,
    cluster(name) {
      const found = clusters.find((c) => c.name === name || c.context === name);
      if (!found) throw new Error(`no playground cluster named ${name}`);
      return found;
    },
    saveState,
    async stop() {
      await saveState().catch((err: unknown) =>
        log(`playground: could not save state: ${String(err)}`),
      );
      await stopAll(clusters, metricsServers);
    },
  };
}

async function stopAll(clusters: PlaygroundCluster[], servers: Server[]): Promise<void> {
  for (const c of clusters) {
    c.sim.stop();
    await c.prometheus?.stop().catch(() => undefined);
    await c.api.close().catch(() => undefined);
  }
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
