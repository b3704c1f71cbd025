/**
 * Gloo Edge's gateway-proxy: a VirtualService (gateway.solo.io/v1) serves its
 * virtualHost.domains; the first of its routes whose matchers match (prefix, exact or regex
 * path, headers, methods) either delegates to a RouteTable (Flagger's `<apex>` one; with
 * inheritablePathMatchers its routes keep the parent's path matcher) or acts itself. A route
 * action sends to one Upstream, or to weighted destinations; an Upstream (gloo.solo.io/v1)
 * with spec.kube is a Kubernetes Service and port.
 *
 * Requests reach it by a domain (synthetic traffic) or through the `gateway-proxy` Service in
 * `gloo-system` with a Host header. Metrics are Envoy's (../metrics/envoy.ts) with Gloo's
 * cluster names, `<upstream>_<upstream namespace>`.
 */
import { envoyRoute } from '../metrics/envoy';
import type { KubeObject } from '../store';
import type { ClusterView } from '../view';
import type {
  EntryPoint,
  RoutedRequest,
  RouteDecision,
  ServiceTarget,
  TrafficRouter,
} from './router';
import type { ProxyService } from './weighted';
import { addressedTo, pickWeighted } from './weighted';
import { fullMatch } from './match';

const VIRTUAL_SERVICES = { group: 'gateway.solo.io', resource: 'virtualservices' };
const ROUTE_TABLES = { group: 'gateway.solo.io', resource: 'routetables' };
const UPSTREAMS = { group: 'gloo.solo.io', resource: 'upstreams' };
export const GLOO_GATEWAY_PROXY: ProxyService = { namespace: 'gloo-system', name: 'gateway-proxy' };

interface ResourceRef {
  name?: string;
  namespace?: string;
}

interface Matcher {
  prefix?: string;
  exact?: string;
  regex?: string;
  headers?: { name?: string; value?: string; regex?: boolean; invertMatch?: boolean }[];
  methods?: string[];
}

interface GlooRoute {
  matchers?: Matcher[];
  inheritablePathMatchers?: boolean;
  routeAction?: {
    single?: { upstream?: ResourceRef };
    multi?: { destinations?: { destination?: { upstream?: ResourceRef }; weight?: number }[] };
  };
  delegateAction?: ResourceRef & { ref?: ResourceRef };
}

type Named = KubeObject;

interface VirtualService extends Named {
  spec?: { virtualHost?: { domains?: string[]; routes?: GlooRoute[] } };
}

interface RouteTable extends Named {
  spec?: { routes?: GlooRoute[] };
}

interface Upstream extends Named {
  spec?: { kube?: { serviceName?: string; serviceNamespace?: string; servicePort?: number } };
}

interface Destination {
  upstream: string;
  upstreamNamespace: string;
  backend: ServiceTarget;
  weight: number;
}

function pathMatches(m: Matcher, path: string): boolean {
  if (m.exact !== undefined) return path === m.exact;
  if (m.regex !== undefined) return fullMatch(m.regex, path);
  return path.startsWith(m.prefix ?? '/');
}

function otherMatches(m: Matcher, request: RoutedRequest): boolean {
  for (const h of m.headers ?? []) {
    const value = request.headers[(h.name ?? '').toLowerCase()];
    let ok: boolean;
    if (h.value === undefined || h.value === '') ok = value !== undefined;
    else if (h.regex) ok = value !== undefined && fullMatch(h.value, value);
    else ok = value === h.value;
    if (h.invertMatch ? ok : !ok) return false;
  }
  const methods = m.methods ?? [];
  return methods.length === 0 || methods.includes(request.method);
}

/** Whether a route matches; a route without matchers matches everything under "/". */
function routeMatches(route: GlooRoute, request: RoutedRequest, inherited?: Matcher): boolean {
  const matchers = route.matchers?.length ? route.matchers : [{}];
  return matchers.some((m) => {
    const path = route.inheritablePathMatchers && inherited ? inherited : m;
    return pathMatches(path, request.path) && otherMatches(m, request);
  });
}

function domainMatches(domain: string, host: string): boolean {
  const d = domain.toLowerCase().replace(/:\d+$/, '');
  if (d === '*') return true;
  if (d.startsWith('*')) return host.endsWith(d.slice(1));
  return d === host;
}

class GlooRouter implements TrafficRouter {
  readonly provider = 'gloo';

  constructor(readonly stage: 'edge' | 'mesh') {}

  /** The weighted destinations a request ends at, following delegation (at most 8 levels). */
  private destinations(
    routes: GlooRoute[],
    namespace: string,
    request: RoutedRequest,
    view: ClusterView,
    inherited: Matcher | undefined,
    depth: number,
  ): Destination[] | undefined {
    for (const route of routes) {
      if (!routeMatches(route, request, inherited)) continue;
      const matched =
        (route.inheritablePathMatchers && inherited) ||
        route.matchers?.find((m) => pathMatches(m, request.path)) ||
        inherited;
      if (route.delegateAction) {
        if (depth >= 8) return undefined;
        const ref = route.delegateAction.ref ?? route.delegateAction;
        const table = view.get<RouteTable & { apiVersion: string; kind: string }>(
          ROUTE_TABLES,
          ref.namespace ?? namespace,
          ref.name ?? '',
        );
        if (!table) return undefined;
        return this.destinations(
          table.spec?.routes ?? [],
          table.metadata.namespace ?? namespace,
          request,
          view,
          matched,
          depth + 1,
        );
      }
      const action = route.routeAction;
      const refs = action?.multi
        ? (action.multi.destinations ?? []).map((d) => ({
            ref: d.destination?.upstream ?? {},
            weight: d.weight ?? 0,
          }))
        : action?.single?.upstream
          ? [{ ref: action.single.upstream, weight: 1 }]
          : [];
      const out: Destination[] = [];
      for (const { ref, weight } of refs) {
        const ns = ref.namespace ?? namespace;
        const upstream = view.get<Upstream & { apiVersion: string; kind: string }>(
          UPSTREAMS,
          ns,
          ref.name ?? '',
        );
        const kube = upstream?.spec?.kube;
        if (!kube?.serviceName) continue;
        out.push({
          upstream: ref.name ?? '',
          upstreamNamespace: ns,
          backend: {
            namespace: kube.serviceNamespace ?? ns,
            name: kube.serviceName,
            port: kube.servicePort ?? '',
          },
          weight,
        });
      }
      return out;
    }
    return undefined;
  }

  private virtualServiceFor(host: string, view: ClusterView): VirtualService | undefined {
    const all = view.list<VirtualService & { apiVersion: string; kind: string }>(VIRTUAL_SERVICES);
    // An exact domain wins over wildcards, as Envoy's virtual host selection does.
    return (
      all.find((vs) =>
        (vs.spec?.virtualHost?.domains ?? []).some((d) => d.toLowerCase() === host),
      ) ??
      all.find((vs) => (vs.spec?.virtualHost?.domains ?? ['*']).some((d) => domainMatches(d, host)))
    );
  }

  route(
    request: RoutedRequest,
    view: ClusterView,
    random: () => number,
  ): RouteDecision | undefined {
    if (this.stage === 'mesh' && !addressedTo(request, GLOO_GATEWAY_PROXY)) return undefined;
    const vs = this.virtualServiceFor(request.host, view);
    if (!vs) return undefined;
    // At the edge only named domains are claimed; `*` answers through the gateway-proxy Service.
    if (
      this.stage === 'edge' &&
      !(vs.spec?.virtualHost?.domains ?? []).some(
        (d) => d !== '*' && domainMatches(d, request.host),
      )
    ) {
      return undefined;
    }
    const destinations = this.destinations(
      vs.spec?.virtualHost?.routes ?? [],
      vs.metadata.namespace ?? '',
      request,
      view,
      undefined,
      0,
    );
    const chosen = destinations && pickWeighted(destinations, (d) => d.weight, random);
    if (!chosen) return undefined;
    return {
      backend: chosen.backend,
      metrics: envoyRoute({
        envoy_cluster_name: `${chosen.upstream}_${chosen.upstreamNamespace}`,
      }),
    };
  }

  entryPoints(view: ClusterView): EntryPoint[] {
    if (this.stage === 'mesh') return [];
    const entries: EntryPoint[] = [];
    const all = view.list<VirtualService & { apiVersion: string; kind: string }>(VIRTUAL_SERVICES);
    for (const vs of all) {
      const domain = (vs.spec?.virtualHost?.domains ?? []).find((d) => !d.includes('*'));
      if (!domain) continue;
      const backends = [GLOO_GATEWAY_PROXY, ...this.backendsOf(vs, view)];
      entries.push({
        url: `http://${domain.toLowerCase()}/`,
        annotations: vs.metadata.annotations ?? {},
        backends,
      });
    }
    return entries;
  }

  /** Every Service the VirtualService can reach, so none gets separate synthetic traffic. */
  private backendsOf(vs: VirtualService, view: ClusterView): { namespace: string; name: string }[] {
    const out: { namespace: string; name: string }[] = [];
    const walk = (routes: GlooRoute[], namespace: string, depth: number) => {
      for (const route of routes) {
        if (route.delegateAction && depth < 8) {
          const ref = route.delegateAction.ref ?? route.delegateAction;
          const table = view.get<RouteTable & { apiVersion: string; kind: string }>(
            ROUTE_TABLES,
            ref.namespace ?? namespace,
            ref.name ?? '',
          );
          if (table)
            walk(table.spec?.routes ?? [], table.metadata.namespace ?? namespace, depth + 1);
          continue;
        }
        const refs = [
          ...(route.routeAction?.single?.upstream ? [route.routeAction.single.upstream] : []),
          ...(route.routeAction?.multi?.destinations ?? []).map(
            (d) => d.destination?.upstream ?? {},
          ),
        ];
        for (const ref of refs) {
          const upstream = view.get<Upstream & { apiVersion: string; kind: string }>(
            UPSTREAMS,
            ref.namespace ?? namespace,
            ref.name ?? '',
          );
          const kube = upstream?.spec?.kube;
          if (kube?.serviceName) {
            out.push({ namespace: kube.serviceNamespace ?? namespace, name: kube.serviceName });
          }
        }
      }
    };
    walk(vs.spec?.virtualHost?.routes ?? [], vs.metadata.namespace ?? '', 0);
    return out;
  }
}

/** Gloo's gateway-proxy at the edge and through its Service. */
export function createGlooRouters(): TrafficRouter[] {
  return [new GlooRouter('edge'), new GlooRouter('mesh')];
}
