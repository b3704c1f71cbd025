/**
 * One simulated cluster's life below the API server: workload controllers, the kubelet,
 * the apps in the pods, synthetic traffic through the providers' routing objects, and
 * the metrics that traffic produced. The API server (src/sim/apiserver) owns the store
 * and mounts `proxy` under services/proxy and `metricsText` at /metrics.
 */
import type { Clock } from '../shared/clock';
import type { ClientRequest, ClientResult } from './apps/app';
import type { VersionBehaviour } from './apps/behaviour';
import {
  DEFAULT_BEHAVIOUR,
  behaviourAnnotations,
  behaviourFromAnnotations,
  imagePullError,
  mainContainer,
} from './apps/behaviour';
import { AppInstances, appKinds } from './apps/index';
import { prometheusApp } from './apps/prometheus';
import { Loadtester } from './apps/loadtester';
import type { Deployment, Pod } from './kube';
import { seededRandom, workloadOf } from './kube';
import { TrafficMetrics } from './metrics/index';
import type { ClusterStore, KubeObject } from './store';
import { R } from './store';
import { SyntheticTraffic } from './traffic/generator';
import { ClusterNetwork } from './traffic/network';
import type { ServiceProxyHandler } from './traffic/proxy';
import { createServiceProxy } from './traffic/proxy';
import { createTrafficRouters } from './traffic/routers';
import { ClusterView } from './view';
import { WorkloadControllers } from './workloads/index';

export type { VersionBehaviour } from './apps/behaviour';
export type {
  ServiceProxyHandler,
  ServiceProxyRequest,
  ServiceProxyResponse,
} from './traffic/proxy';
export type { ClientResult } from './apps/app';

export interface ClusterSimulationOptions {
  store: ClusterStore;
  clock: Clock;
  /** Synthetic user requests per second per app entry point (default 3; 0: none). */
  trafficRate?: number;
  /** Time from scheduling to Ready for pods that do not say otherwise (default 2000 ms). */
  podReadyDelayMs?: number;
  /** The fake nodes pods run on (default: the store's Node objects, else three). */
  nodes?: string[];
  /** Seed of the simulation's randomness (routing, errors, latency, names). */
  seed?: number;
  /** How often synthetic traffic is sent (default every 1000 ms of clock time). */
  trafficTickMs?: number;
  /** Where this cluster's prom/prometheus pods forward their HTTP API (the playground's Prometheus). */
  prometheusUrl?: () => string | undefined;
}

export interface ClusterSimulation {
  /** The API server's services/proxy handler. */
  readonly proxy: ServiceProxyHandler;
  /** The Prometheus text exposition of the traffic so far (mounted at /metrics). */
  metricsText(): Promise<string>;
  readonly metrics: TrafficMetrics;
  /**
   * A request as a client sends it: ingress hosts go through their ingress (and canary),
   * cluster DNS names (svc, svc.ns, svc.ns.svc.cluster.local) resolve in fromNamespace
   * (default "default"). Resolves once the answer arrived on the clock.
   */
  request(request: ClientRequest & { fromNamespace?: string }): Promise<ClientResult>;
  /** Like request, but returns at once; the result says how long the answer took (bulk traffic). */
  send(request: ClientRequest & { fromNamespace?: string }): Promise<ClientResult>;
  /** Rolls a Deployment to a new image (a new revision), optionally with a new behaviour. */
  release(
    namespace: string,
    deployment: string,
    image: string,
    behaviour?: Partial<VersionBehaviour>,
  ): KubeObject | undefined;
  /**
   * Changes how a Deployment's pods behave now, without a new revision (a fault injected
   * into the running version); undefined clears the override.
   */
  setBehaviour(
    namespace: string,
    deployment: string,
    behaviour: Partial<VersionBehaviour> | undefined,
  ): void;
  /** The log lines of a flagger-loadtester Deployment (empty if it has not served yet). */
  loadtesterLog(namespace: string, deployment: string): string[];
  stop(): void;
}

export const DEFAULT_NODES = ['playground-worker-1', 'playground-worker-2', 'playground-worker-3'];

/** The Node objects the API server registered, or three default names. */
function nodeNames(store: ClusterStore): string[] {
  try {
    const names = store.list({ group: '', resource: 'nodes' }).map((n) => n.metadata.name);
    return names.length ? names.sort() : DEFAULT_NODES;
  } catch {
    return DEFAULT_NODES; // a store that does not serve nodes
  }
}

export function startClusterSimulation(options: ClusterSimulationOptions): ClusterSimulation {
  const { store, clock } = options;
  const random = seededRandom(options.seed ?? 42);
  const defaults: VersionBehaviour = {
    ...DEFAULT_BEHAVIOUR,
    readyDelayMs: options.podReadyDelayMs ?? DEFAULT_BEHAVIOUR.readyDelayMs,
  };
  const overrides = new Map<string, Partial<VersionBehaviour>>();
  const behaviourOf = (pod: Pod): VersionBehaviour => {
    const base = behaviourFromAnnotations(pod.metadata.annotations, defaults);
    const override = overrides.get(`${pod.metadata.namespace ?? ''}/${workloadOf(pod).name}`);
    return override ? { ...base, ...override } : base;
  };

  const metrics = new TrafficMetrics();
  const apps = new AppInstances([
    prometheusApp(options.prometheusUrl ?? (() => undefined)),
    ...appKinds,
  ]);
  const view = new ClusterView(store);
  const routers = createTrafficRouters();
  const network = new ClusterNetwork({ view, routers, apps, metrics, clock, random, behaviourOf });
  const workloads = new WorkloadControllers({
    store,
    clock,
    random,
    nodes: options.nodes ?? nodeNames(store),
    podHealth: (pod) => {
      const b = behaviourOf(pod);
      return {
        ready: b.ready,
        readyDelayMs: b.readyDelayMs,
        imageError: imagePullError(mainContainer(pod)?.image),
      };
    },
    cpu: {
      requestCount: (namespace, pod) => network.requestCount(namespace, pod),
      cpuPerRequestMs: (pod) => behaviourOf(pod).cpuPerRequestMs,
    },
  });
  const traffic = new SyntheticTraffic({
    network,
    view,
    routers,
    apps,
    clock,
    rate: options.trafficRate ?? 3,
    tickMs: options.trafficTickMs ?? 1000,
  });
  const unsubscribe = store.subscribe((event) => {
    if (event.type === 'DELETED' && event.ref.group === '' && event.ref.resource === 'pods') {
      metrics.forgetPod(event.object.metadata.namespace ?? '', event.object.metadata.name);
      network.forgetPod(event.object.metadata.namespace ?? '', event.object.metadata.name);
    }
  });
  workloads.start();
  traffic.start();

  const podsOf = (namespace: string, deployment: string) =>
    (store.list(R.pods, namespace) as Pod[]).filter((p) => workloadOf(p).name === deployment);

  return {
    proxy: createServiceProxy(network, clock),
    metrics,
    metricsText: () => metrics.text(),
    async request(request) {
      const result = await network.send(request, request.fromNamespace ?? 'default');
      if (result.kind === 'response') await clock.sleep(result.waitMs);
      return result;
    },
    send: (request) => network.send(request, request.fromNamespace ?? 'default'),
    release(namespace, deployment, image, behaviour) {
      return store.mutate(R.deployments, namespace, deployment, (o) => {
        const d = o as Deployment;
        const template = d.spec?.template;
        const container = template?.spec?.containers?.[0];
        if (!template || !container) return;
        container.image = image;
        if (behaviour) {
          template.metadata = {
            ...(template.metadata ?? {}),
            annotations: {
              ...(template.metadata?.annotations ?? {}),
              ...behaviourAnnotations(behaviour),
            },
          };
        }
      });
    },
    setBehaviour(namespace, deployment, behaviour) {
      const key = `${namespace}/${deployment}`;
      if (behaviour) overrides.set(key, behaviour);
      else overrides.delete(key);
      workloads.refreshPods(podsOf(namespace, deployment));
    },
    loadtesterLog(namespace, deployment) {
      const pod = podsOf(namespace, deployment)[0];
      const app = pod ? apps.forPod(pod) : undefined;
      return app instanceof Loadtester ? [...app.log] : [];
    },
    stop() {
      traffic.stop();
      workloads.stop();
      unsubscribe();
      view.stop();
    },
  };
}
