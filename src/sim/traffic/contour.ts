/**
 * Contour's Envoy edge: a root HTTPProxy (projectcontour.io/v1, spec.virtualhost.fqdn) serves a
 * host; its routes, and the routes of the HTTPProxies it includes (Flagger's `<apex>` proxy, with
 * the include's conditions prepended), pick a route the way Contour orders them for Envoy:
 * longest prefix first, then the route with more header conditions. The route's services share
 * the requests by weight (evenly when none has one; an unweighted service gets none when another
 * has a weight), as Contour's weighted clusters do.
 *
 * Requests reach it by the fqdn (synthetic traffic) or through the `envoy` Service in
 * `projectcontour` with a Host header (the loadtester's `hey -host`). Metrics are Envoy's
 * (../metrics/envoy.ts): envoy_cluster_name `<namespace>_<service>_<port>`.
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

const HTTP_PROXIES = { group: 'projectcontour.io', resource: 'httpproxies' };
export const CONTOUR_ENVOY: ProxyService = { namespace: 'projectcontour', name: 'envoy' };

interface HeaderCondition {
  name: string;
  present?: boolean;
  notpresent?: boolean;
  contains?: string;
  notcontains?: string;
  exact?: string;
  notexact?: string;
}

interface Condition {
  prefix?: string;
  header?: HeaderCondition;
}

interface ProxyServiceRef {
  name: string;
  port: number;
  weight?: number;
}

interface HTTPProxy extends KubeObject {
  spec?: {
    virtualhost?: { fqdn?: string };
    routes?: { conditions?: Condition[]; services?: ProxyServiceRef[] }[];
    includes?: { name: string; namespace?: string; conditions?: Condition[] }[];
  };
}

interface FlatRoute {
  prefix: string;
  headers: HeaderCondition[];
  services: (ServiceTarget & { weight: number })[];
}

interface VirtualHost {
  fqdn: string;
  annotations: Record<string, string>;
  routes: FlatRoute[];
}

function headerMatches(c: HeaderCondition, headers: Record<string, string>): boolean {
  const value = headers[c.name.toLowerCase()];
  if (c.notpresent) return value === undefined;
  if (c.exact !== undefined) return value === c.exact;
  if (c.notexact !== undefined) return value !== c.notexact;
  if (c.contains !== undefined) return value !== undefined && value.includes(c.contains);
  if (c.notcontains !== undefined) return value === undefined || !value.includes(c.notcontains);
  return value !== undefined;
}

/** Joins prefixes as Contour does for includes ("/api" + "/v1" = "/api/v1"). */
function joinPrefix(a: string, b: string): string {
  if (a === '' || a === '/') return b || '/';
  if (b === '' || b === '/') return a;
  return `${a.replace(/\/+$/, '')}/${b.replace(/^\/+/, '')}`;
}

class ContourIndex {
  private builtAt = -1;
  private hosts: VirtualHost[] = [];

  get(view: ClusterView): VirtualHost[] {
    const version = view.version(HTTP_PROXIES);
    if (version === this.builtAt) return this.hosts;
    const proxies = view.list<HTTPProxy & { apiVersion: string; kind: string }>(HTTP_PROXIES);
    const byKey = new Map(proxies.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p]));
    const flatten = (
      proxy: HTTPProxy,
      prefix: string,
      headers: HeaderCondition[],
      seen: Set<string>,
    ): FlatRoute[] => {
      const ns = proxy.metadata.namespace ?? '';
      const out: FlatRoute[] = [];
      for (const route of proxy.spec?.routes ?? []) {
        let routePrefix = prefix;
        const routeHeaders = [...headers];
        for (const c of route.conditions ?? []) {
          if (c.prefix) routePrefix = joinPrefix(routePrefix, c.prefix);
          if (c.header) routeHeaders.push(c.header);
        }
        out.push({
          prefix: routePrefix || '/',
          headers: routeHeaders,
          services: (route.services ?? []).map((s) => ({
            namespace: ns,
            name: s.name,
            port: s.port,
            weight: s.weight ?? 0,
          })),
        });
      }
      for (const include of proxy.spec?.includes ?? []) {
        const key = `${include.namespace ?? ns}/${include.name}`;
        const child = byKey.get(key);
        if (!child || seen.has(key)) continue;
        let childPrefix = prefix;
        const childHeaders = [...headers];
        for (const c of include.conditions ?? []) {
          if (c.prefix) childPrefix = joinPrefix(childPrefix, c.prefix);
          if (c.header) childHeaders.push(c.header);
        }
        out.push(...flatten(child, childPrefix, childHeaders, new Set([...seen, key])));
      }
      return out;
    };
    this.hosts = proxies
      .filter((p) => p.spec?.virtualhost?.fqdn)
      .map((p) => ({
        fqdn: (p.spec?.virtualhost?.fqdn ?? '').toLowerCase(),
        annotations: p.metadata.annotations ?? {},
        routes: flatten(p, '', [], new Set([`${p.metadata.namespace}/${p.metadata.name}`])).sort(
          (a, b) => b.prefix.length - a.prefix.length || b.headers.length - a.headers.length,
        ),
      }));
    this.builtAt = version;
    return this.hosts;
  }
}

class ContourRouter implements TrafficRouter {
  readonly provider = 'contour';

  constructor(
    readonly stage: 'edge' | 'mesh',
    private readonly index: ContourIndex,
  ) {}

  route(
    request: RoutedRequest,
    view: ClusterView,
    random: () => number,
  ): RouteDecision | undefined {
    if (this.stage === 'mesh' && !addressedTo(request, CONTOUR_ENVOY)) return undefined;
    const host = this.index.get(view).find((h) => h.fqdn === request.host);
    if (!host) return undefined;
    const route = host.routes.find(
      (r) =>
        request.path.startsWith(r.prefix) &&
        r.headers.every((h) => headerMatches(h, request.headers)),
    );
    const chosen = route && pickWeighted(route.services, (s) => s.weight, random);
    if (!chosen) return undefined;
    return {
      backend: { namespace: chosen.namespace, name: chosen.name, port: chosen.port },
      metrics: envoyRoute({
        envoy_cluster_name: `${chosen.namespace}_${chosen.name}_${chosen.port}`,
      }),
    };
  }

  entryPoints(view: ClusterView): EntryPoint[] {
    if (this.stage === 'mesh') return [];
    return this.index.get(view).map((h) => ({
      url: `http://${h.fqdn}/`,
      annotations: h.annotations,
      backends: [
        CONTOUR_ENVOY,
        ...h.routes.flatMap((r) =>
          r.services.map((s) => ({ namespace: s.namespace, name: s.name })),
        ),
      ],
    }));
  }
}

/** Contour's edge router and its `envoy.projectcontour` Service, sharing one index. */
export function createContourRouters(): TrafficRouter[] {
  const index = new ContourIndex();
  return [new ContourRouter('edge', index), new ContourRouter('mesh', index)];
}
