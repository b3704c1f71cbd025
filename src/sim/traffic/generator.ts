/**
 * Synthetic user traffic: every app receives requests at a steady rate where its users
 * would reach it. Hosts served by an edge router (an Ingress host) get traffic through
 * that router, so the canary split and the provider's metrics see it; Services no edge
 * router fronts get it directly. Flagger's generated -primary / -canary Services are
 * reached through their apex Service (or ingress), never on their own, and tools (the
 * loadtester) get none. Rates: the traffic-rate annotation on the Ingress or Service, or
 * the cluster default.
 */
import type { Clock, TimerHandle } from '../../shared/clock';
import { TRAFFIC_RATE } from '../apps/behaviour';
import type { AppInstances } from '../apps/index';
import type { Endpoints, Pod, Service } from '../kube';
import { R } from '../store';
import type { ClusterNetwork } from './network';
import type { TrafficRouter } from './router';
import type { ClusterView } from '../view';

interface Source {
  key: string;
  url: string;
  rate: number;
}

export interface SyntheticTrafficOptions {
  network: ClusterNetwork;
  view: ClusterView;
  routers: readonly TrafficRouter[];
  apps: AppInstances;
  clock: Clock;
  /** Requests per second per entry point. */
  rate: number;
  tickMs: number;
}

const SOURCES_TTL_MS = 5_000;

export class SyntheticTraffic {
  private timer: TimerHandle | undefined;
  private sources: Source[] = [];
  private sourcesAt = -Infinity;
  private readonly carry = new Map<string, number>();

  constructor(private readonly options: SyntheticTrafficOptions) {}

  start(): void {
    this.schedule();
  }

  stop(): void {
    this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.timer = this.options.clock.setTimeout(() => {
      this.tick();
      this.schedule();
    }, this.options.tickMs);
  }

  private tick(): void {
    const { clock, network, tickMs } = this.options;
    if (clock.now() - this.sourcesAt >= SOURCES_TTL_MS) {
      this.sources = this.findSources();
      this.sourcesAt = clock.now();
    }
    for (const source of this.sources) {
      // Fractional rates carry over, so 0.5 req/s is one request every other tick.
      const due = (this.carry.get(source.key) ?? 0) + (source.rate * tickMs) / 1000;
      const count = Math.floor(due);
      this.carry.set(source.key, due - count);
      for (let i = 0; i < count; i++)
        void network.send({ url: source.url, method: 'GET' }, 'default');
    }
  }

  private rateOf(annotations: Record<string, string> | undefined): number {
    const annotated = Number(annotations?.[TRAFFIC_RATE]);
    return annotations?.[TRAFFIC_RATE] !== undefined && Number.isFinite(annotated)
      ? annotated
      : this.options.rate;
  }

  private findSources(): Source[] {
    const { view, routers, apps } = this.options;
    const sources: Source[] = [];
    const fronted = new Set<string>();
    for (const entry of routers.flatMap((r) => r.entryPoints?.(view) ?? [])) {
      for (const b of entry.backends) fronted.add(`${b.namespace}/${b.name}`);
      const rate = this.rateOf(entry.annotations);
      if (rate > 0) sources.push({ key: entry.url, url: entry.url, rate });
    }
    for (const service of view.list<Service>(R.services)) {
      const namespace = service.metadata.namespace ?? '';
      const name = service.metadata.name;
      if (fronted.has(`${namespace}/${name}`) || namespace === 'kube-system') continue;
      const apex = /^(.+)-(primary|canary)$/.exec(name)?.[1];
      if (apex && view.get(R.services, namespace, apex)) continue;
      const port = service.spec?.ports?.[0]?.port;
      const endpoints = view.get<Endpoints>(R.endpoints, namespace, name);
      const podName = endpoints?.subsets?.[0]?.addresses?.[0]?.targetRef?.name;
      const pod = podName ? view.get<Pod>(R.pods, namespace, podName) : undefined;
      if (!port || !pod || !apps.forPod(pod).userTraffic) continue;
      const rate = this.rateOf(service.metadata.annotations);
      if (rate > 0) {
        const url = `http://${name}.${namespace}:${port}/`;
        sources.push({ key: url, url, rate });
      }
    }
    return sources;
  }
}
