/**
 * Knative Serving behind Kourier (net-kourier's Envoy): a Knative Service's traffic, as its
 * status.traffic resolved it (workloads/knative.ts), shares requests between revisions by
 * percent; each revision is reached through its `<rev>` Service.
 *
 * - edge: the Service's external host `<svc>.<ns>.example.com` (status.url), and
 *   `<tag>-<svc>.<ns>.example.com` for a tagged target, as Kourier's gateway serves them;
 * - mesh: the placeholder Service `<svc>` (`http://podinfo.test`, `...svc.cluster.local`), an
 *   ExternalName to kourier-internal, and Kourier's own Services in kourier-system addressed
 *   with the Service's host in the Host header.
 *
 * Metrics are Envoy's (../metrics/envoy.ts) with Kourier's cluster name `<ns>/<rev>`, the
 * series Flagger's knative checks select.
 */
import { envoyRoute } from '../metrics/envoy';
import type { ClusterView } from '../view';
import type { KnativeService, Revision, TrafficTarget } from '../workloads/knative';
import { KNATIVE, KOURIER_NAMESPACE, SERVICE_LABEL, knativeUrls } from '../workloads/knative';
import type { EntryPoint, RoutedRequest, RouteDecision, TrafficRouter } from './router';
import { addressedTo, drawWeighted } from './weighted';

const KOURIER_SERVICES = [
  { namespace: KOURIER_NAMESPACE, name: 'kourier' },
  { namespace: KOURIER_NAMESPACE, name: 'kourier-internal' },
];

interface Backend {
  revision: string;
  percent: number;
}

interface KnativeHost {
  namespace: string;
  service: string;
  annotations: Record<string, string>;
  backends: Backend[];
  /** false for cluster-local Services: no external host. */
  external: boolean;
  /** status.url: where users reach it (the cluster address when cluster-local). */
  url: string;
}

const hostOf = (url: string | undefined): string | undefined => {
  if (!url) return undefined;
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
};

const backendsOf = (traffic: readonly TrafficTarget[]): Backend[] =>
  traffic
    .filter((t) => t.revisionName)
    .map((t) => ({ revision: t.revisionName ?? '', percent: t.percent ?? 0 }));

class KnativeIndex {
  private builtAt = -1;
  private byHost = new Map<string, KnativeHost>();
  private byService = new Map<string, KnativeHost>();
  private all: KnativeHost[] = [];

  private build(view: ClusterView): void {
    const version = view.version(KNATIVE.services);
    if (version === this.builtAt) return;
    this.byHost = new Map();
    this.byService = new Map();
    this.all = [];
    for (const ksvc of view.list<KnativeService>(KNATIVE.services)) {
      const traffic = ksvc.status?.traffic;
      if (!traffic) continue; // Kourier has no route until the Route has traffic
      const namespace = ksvc.metadata.namespace ?? 'default';
      const service = ksvc.metadata.name;
      const urls = knativeUrls(ksvc);
      const url = ksvc.status?.url ?? urls.url;
      const externalHost = hostOf(url) ?? '';
      const external = externalHost !== hostOf(urls.address);
      const entry: KnativeHost = {
        namespace,
        service,
        annotations: ksvc.metadata.annotations ?? {},
        backends: backendsOf(traffic),
        external,
        url,
      };
      this.all.push(entry);
      this.byService.set(`${namespace}/${service}`, entry);
      const internal = [
        `${service}.${namespace}`,
        `${service}.${namespace}.svc`,
        `${service}.${namespace}.svc.cluster.local`,
      ];
      const hosts = external ? [externalHost, ...internal] : internal;
      for (const host of hosts) this.byHost.set(host, entry);
      // A tagged target has its own host, sending everything to that revision.
      for (const target of traffic) {
        if (!target.tag || !target.revisionName) continue;
        const tagged: KnativeHost = {
          ...entry,
          backends: [{ revision: target.revisionName, percent: 100 }],
        };
        if (external) this.byHost.set(`${target.tag}-${externalHost}`, tagged);
        this.byHost.set(`${target.tag}-${service}.${namespace}.svc.cluster.local`, tagged);
      }
    }
    this.builtAt = version;
  }

  host(view: ClusterView, host: string): KnativeHost | undefined {
    this.build(view);
    return this.byHost.get(host);
  }

  service(view: ClusterView, namespace: string, name: string): KnativeHost | undefined {
    this.build(view);
    return this.byService.get(`${namespace}/${name}`);
  }

  list(view: ClusterView): KnativeHost[] {
    this.build(view);
    return this.all;
  }
}

class KnativeRouter implements TrafficRouter {
  readonly provider = 'knative';

  constructor(
    readonly stage: 'edge' | 'mesh',
    private readonly index: KnativeIndex,
  ) {}

  route(
    request: RoutedRequest,
    view: ClusterView,
    random: () => number,
  ): RouteDecision | undefined {
    let target: KnativeHost | undefined;
    if (this.stage === 'edge') {
      target = this.index.host(view, request.host);
      if (target && !target.external) return undefined; // cluster-local: not on the gateway
    } else {
      const service = request.service;
      if (!service) return undefined;
      if (KOURIER_SERVICES.some((k) => addressedTo(request, k)))
        target = this.index.host(view, request.host);
      else target = this.index.service(view, service.namespace, service.name);
    }
    if (!target) return undefined;
    const chosen = drawWeighted(target.backends, (b) => b.percent, random);
    if (!chosen) return undefined;
    return {
      backend: { namespace: target.namespace, name: chosen.revision, port: 80 },
      metrics: envoyRoute({ envoy_cluster_name: `${target.namespace}/${chosen.revision}` }),
    };
  }

  /** Users reach each Knative Service at its URL (the cluster address when cluster-local). */
  entryPoints(view: ClusterView): EntryPoint[] {
    if (this.stage === 'mesh') return [];
    const revisions = view.list<Revision>(KNATIVE.revisions);
    return this.index.list(view).map((h) => ({
      url: `${h.url.replace(/\/+$/, '')}/`,
      annotations: h.annotations,
      backends: [
        ...KOURIER_SERVICES,
        { namespace: h.namespace, name: h.service },
        // Every revision of the Service, routed now or not, is reached only through it.
        ...revisions
          .filter(
            (r) =>
              r.metadata.namespace === h.namespace &&
              r.metadata.labels?.[SERVICE_LABEL] === h.service,
          )
          .map((r) => ({ namespace: h.namespace, name: r.metadata.name })),
      ],
    }));
  }
}

/** Kourier's gateway (edge) and the cluster-local path through the placeholder Services. */
export function createKnativeRouters(): TrafficRouter[] {
  const index = new KnativeIndex();
  return [new KnativeRouter('edge', index), new KnativeRouter('mesh', index)];
}
