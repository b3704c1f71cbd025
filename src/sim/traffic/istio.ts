/**
 * Istio: VirtualServices (networking.istio.io, any served version) route HTTP requests in two
 * places, as Envoy applies them:
 *
 * - the sidecars ('mesh' stage): a request to a Service of an injected namespace (label
 *   `istio-injection=enabled` or `istio.io/rev`) follows the VirtualService whose hosts name
 *   that Service and whose gateways include `mesh` (or are empty); without one, the Service
 *   itself. Every such request is reported by the destination's sidecar.
 * - the ingress gateway ('edge' stage): a request whose Host a VirtualService bound to an
 *   existing Gateway serves (hosts in the Gateway's servers) follows that VirtualService. These
 *   hosts are the entry points of synthetic user traffic.
 *
 * A VirtualService's first http route whose match applies wins (uri, method, authority, headers
 * with exact/prefix/suffix/regex, withoutHeaders, port); a destination is drawn by weight;
 * `mirror` (+ `mirrorPercentage`) sends a shadow copy that does not change the answer.
 */
import type { KubeObject, ResourceRef } from '../store';
import { R } from '../store';
import type { ClusterView } from '../view';
import {
  headerEdits,
  type EntryPoint,
  type RoutedRequest,
  type RouteDecision,
  type ServiceTarget,
  type TrafficRouter,
} from './router';
import { hostMatches, type StringMatch, stringMatches } from './match';
import { drawWeighted } from './weighted';

export const VIRTUAL_SERVICES: ResourceRef = {
  group: 'networking.istio.io',
  resource: 'virtualservices',
};
export const ISTIO_GATEWAYS: ResourceRef = { group: 'networking.istio.io', resource: 'gateways' };

/** Where the ingress gateway runs, as istioctl installs it. */
export const INGRESS_GATEWAY = { namespace: 'istio-system', workload: 'istio-ingressgateway' };

interface MatchRequest {
  uri?: StringMatch;
  method?: StringMatch;
  authority?: StringMatch;
  headers?: Record<string, StringMatch>;
  withoutHeaders?: Record<string, StringMatch>;
  port?: number;
  gateways?: string[];
}

interface Destination {
  host?: string;
  port?: { number?: number };
}

/** Header edits; only the response side reaches the client here (Set-Cookie for affinity). */
interface Headers {
  response?: { add?: Record<string, string>; set?: Record<string, string> };
}

interface HttpRoute {
  match?: MatchRequest[];
  route?: { destination?: Destination; weight?: number; headers?: Headers }[];
  headers?: Headers;
  mirror?: Destination;
  mirrorPercentage?: { value?: number };
}

interface VirtualService extends KubeObject {
  spec?: { hosts?: string[]; gateways?: string[]; http?: HttpRoute[] };
}

interface IstioGateway extends KubeObject {
  spec?: { servers?: { hosts?: string[] }[] };
}

/** The namespace's sidecar injection: Istio's label, or a revision label. */
export function isInjected(view: ClusterView, namespace: string): boolean {
  const labels = view.get(R.namespaces, undefined, namespace)?.metadata.labels ?? {};
  return labels['istio-injection'] === 'enabled' || labels['istio.io/rev'] !== undefined;
}

/** A VirtualService or destination host as a Service: short names are in `namespace`. */
export function hostService(
  host: string,
  namespace: string,
): { namespace: string; name: string } | undefined {
  const labels = host.toLowerCase().replace(/\.$/, '').split('.');
  if (labels.length === 1) return { namespace, name: labels[0]! };
  const rest = labels.slice(2).join('.');
  if (rest === '' || rest === 'svc' || rest === 'svc.cluster.local')
    return { namespace: labels[1]!, name: labels[0]! };
  return undefined;
}

function requestMatches(m: MatchRequest, request: RoutedRequest, port: number | string): boolean {
  if (m.uri && !stringMatches(m.uri, request.path)) return false;
  if (m.method && !stringMatches(m.method, request.method)) return false;
  if (m.authority && !stringMatches(m.authority, request.host)) return false;
  if (m.port !== undefined && Number(port) !== m.port) return false;
  for (const [name, sm] of Object.entries(m.headers ?? {})) {
    if (!stringMatches(sm, request.headers[name.toLowerCase()])) return false;
  }
  for (const [name, sm] of Object.entries(m.withoutHeaders ?? {})) {
    if (stringMatches(sm, request.headers[name.toLowerCase()])) return false;
  }
  return true;
}

function randomPick<T>(items: { item: T; weight: number }[], random: () => number): T | undefined {
  // A lone destination needs no weight.
  const picked = drawWeighted(items, (i) => i.weight, random);
  return picked ? picked.item : items.length === 1 ? items[0]!.item : undefined;
}

/** The labels Istio's standard metrics carry (../metrics/istio.ts adds the destination's). */
function istioLabels(
  target: ServiceTarget,
  source: { workload: string; namespace: string },
): Record<string, string> {
  return {
    source_workload: source.workload,
    source_workload_namespace: source.namespace,
    destination_service: `${target.name}.${target.namespace}.svc.cluster.local`,
    destination_service_name: target.name,
    destination_service_namespace: target.namespace,
  };
}

/** Both stages read the same index of VirtualServices. */
class VirtualServiceIndex {
  private builtAt = -1;
  private all: VirtualService[] = [];

  list(view: ClusterView): VirtualService[] {
    const version = view.version(VIRTUAL_SERVICES);
    if (version === this.builtAt) return this.all;
    // The oldest VirtualService wins when two claim a host, as Istio merges them.
    this.all = view
      .list<VirtualService>(VIRTUAL_SERVICES)
      .sort(
        (a, b) =>
          (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
          `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(
            `${b.metadata.namespace}/${b.metadata.name}`,
          ),
      );
    this.builtAt = version;
    return this.all;
  }
}

/**
 * A VirtualService's decision for a request: the first http route that applies, a destination
 * by weight, and the mirror. Undefined when no route applies (Envoy answers 404).
 */
function decide(
  vs: VirtualService,
  request: RoutedRequest,
  port: number | string,
  source: { workload: string; namespace: string },
  view: ClusterView,
  random: () => number,
): RouteDecision | undefined {
  const namespace = vs.metadata.namespace ?? '';
  const route = (vs.spec?.http ?? []).find(
    (r) =>
      (r.match ?? []).length === 0 || (r.match ?? []).some((m) => requestMatches(m, request, port)),
  );
  if (!route) return undefined;
  const destinations = (route.route ?? []).flatMap((d) => {
    const svc = d.destination?.host ? hostService(d.destination.host, namespace) : undefined;
    if (!svc) return [];
    const target: ServiceTarget = { ...svc, port: d.destination?.port?.number ?? port };
    const item = { target, headers: d.headers };
    // A single destination without a weight takes everything.
    return [{ item, weight: d.weight ?? ((route.route ?? []).length === 1 ? 100 : 0) }];
  });
  const picked = randomPick(destinations, random);
  if (!picked) return undefined;
  const backend = picked.target;
  const decision: RouteDecision = { backend, ...metricsFor(backend, source, view) };
  // Envoy applies the route's edits, then the chosen destination's.
  const responseHeaders = headerEdits(route.headers?.response, picked.headers?.response);
  if (responseHeaders) decision.responseHeaders = responseHeaders;
  const mirrorSvc = route.mirror?.host ? hostService(route.mirror.host, namespace) : undefined;
  const percent = route.mirrorPercentage?.value ?? 100;
  if (mirrorSvc && random() * 100 < percent) {
    const target: ServiceTarget = { ...mirrorSvc, port: route.mirror?.port?.number ?? port };
    decision.mirror = { backend: target, ...metricsFor(target, source, view) };
  }
  return decision;
}

/** The destination's sidecar reports the request when its namespace is injected. */
function metricsFor(
  target: ServiceTarget,
  source: { workload: string; namespace: string },
  view: ClusterView,
): Pick<RouteDecision, 'metrics'> {
  return isInjected(view, target.namespace)
    ? { metrics: { provider: 'istio', labels: istioLabels(target, source) } }
    : {};
}

/** Does a VirtualService's `gateways` entry name this Gateway? (`ns/name`, `name`, or its FQDN) */
function namesGateway(entry: string, vsNamespace: string, gw: IstioGateway): boolean {
  const ns = gw.metadata.namespace ?? '';
  const name = gw.metadata.name;
  if (entry.includes('/')) return entry === `${ns}/${name}`;
  const svc = hostService(entry, vsNamespace);
  return svc !== undefined && svc.namespace === ns && svc.name === name;
}

class IstioMeshRouter implements TrafficRouter {
  readonly provider = 'istio';
  readonly stage = 'mesh' as const;

  constructor(private readonly index: VirtualServiceIndex) {}

  route(
    request: RoutedRequest,
    view: ClusterView,
    random: () => number,
  ): RouteDecision | undefined {
    const target = request.service;
    if (!target || !isInjected(view, target.namespace)) return undefined;
    const source = { workload: 'unknown', namespace: 'unknown' };
    for (const vs of this.index.list(view)) {
      const gateways = vs.spec?.gateways ?? [];
      if (gateways.length > 0 && !gateways.includes('mesh')) continue;
      const vsNamespace = vs.metadata.namespace ?? '';
      const covers = (vs.spec?.hosts ?? []).some((h) => {
        if (h === '*') return true;
        const svc = hostService(h, vsNamespace);
        return svc?.namespace === target.namespace && svc.name === target.name;
      });
      if (!covers) continue;
      const decision = decide(vs, request, target.port, source, view, random);
      if (decision) return decision;
    }
    return { backend: target, ...metricsFor(target, source, view) };
  }
}

class IstioGatewayRouter implements TrafficRouter {
  readonly provider = 'istio';
  readonly stage = 'edge' as const;
  private readonly source = {
    workload: INGRESS_GATEWAY.workload,
    namespace: INGRESS_GATEWAY.namespace,
  };

  constructor(private readonly index: VirtualServiceIndex) {}

  /** VirtualServices bound to an existing Gateway, with the Gateway's server hosts. */
  private bound(view: ClusterView): { vs: VirtualService; serverHosts: string[] }[] {
    const gateways = view.list<IstioGateway>(ISTIO_GATEWAYS);
    const out: { vs: VirtualService; serverHosts: string[] }[] = [];
    for (const vs of this.index.list(view)) {
      const vsNamespace = vs.metadata.namespace ?? '';
      const serverHosts = (vs.spec?.gateways ?? [])
        .filter((g) => g !== 'mesh')
        .flatMap((entry) => gateways.filter((gw) => namesGateway(entry, vsNamespace, gw)))
        .flatMap((gw) => (gw.spec?.servers ?? []).flatMap((s) => s.hosts ?? []))
        // A server host may be written `namespace/host`.
        .map((h) => h.slice(h.indexOf('/') + 1));
      if (serverHosts.length > 0) out.push({ vs, serverHosts });
    }
    return out;
  }

  route(
    request: RoutedRequest,
    view: ClusterView,
    random: () => number,
  ): RouteDecision | undefined {
    if (request.service) return undefined;
    for (const { vs, serverHosts } of this.bound(view)) {
      if (!serverHosts.some((h) => hostMatches(h, request.host))) continue;
      if (!(vs.spec?.hosts ?? []).some((h) => hostMatches(h, request.host))) continue;
      // A destination without a port gets the Service's (only) port, as Istio infers it.
      const decision = decide(vs, request, '', this.source, view, random);
      if (decision) return decision;
    }
    return undefined;
  }

  entryPoints(view: ClusterView): EntryPoint[] {
    const entries: EntryPoint[] = [];
    for (const { vs, serverHosts } of this.bound(view)) {
      const vsNamespace = vs.metadata.namespace ?? '';
      const backends = new Map<string, { namespace: string; name: string }>();
      const add = (svc: { namespace: string; name: string } | undefined) => {
        if (!svc) return;
        backends.set(`${svc.namespace}/${svc.name}`, svc);
        // Flagger's -primary/-canary are reached through their apex, which gets no traffic of its own.
        const apex = /^(.+)-(primary|canary)$/.exec(svc.name)?.[1];
        if (apex)
          backends.set(`${svc.namespace}/${apex}`, { namespace: svc.namespace, name: apex });
      };
      for (const h of vs.spec?.hosts ?? []) add(hostService(h, vsNamespace));
      for (const r of vs.spec?.http ?? []) {
        for (const d of r.route ?? []) {
          if (d.destination?.host) add(hostService(d.destination.host, vsNamespace));
        }
      }
      const prefix = vs.spec?.http?.[0]?.match?.find((m) => m.uri?.prefix)?.uri?.prefix ?? '/';
      for (const h of vs.spec?.hosts ?? []) {
        // External names only: a cluster Service name is reached through the mesh.
        if (h === '*' || hostService(h, vsNamespace)) continue;
        const host = h.replace(/^\*\./, 'www.');
        if (!serverHosts.some((s) => hostMatches(s, host))) continue;
        entries.push({
          url: `http://${host}${prefix.startsWith('/') ? prefix : `/${prefix}`}`,
          annotations: vs.metadata.annotations ?? {},
          backends: [...backends.values()],
        });
      }
    }
    return entries;
  }
}

/** The ingress gateway (edge) and the sidecars (mesh), sharing one VirtualService index. */
export function createIstioRouters(): TrafficRouter[] {
  const index = new VirtualServiceIndex();
  return [new IstioGatewayRouter(index), new IstioMeshRouter(index)];
}
