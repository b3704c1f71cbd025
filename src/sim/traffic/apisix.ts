/**
 * Apache APISIX with its ingress controller: every ApisixRoute (apisix.apache.org/v2) http
 * route becomes an APISIX route named `<namespace>_<ApisixRoute>_<http name>`, served by the
 * gateway Service `apisix-gateway` in namespace `apisix` (as the Helm chart installs it; no
 * gateway with ready pods, no routing). Requests reach it two ways:
 *
 * - 'edge': an external host the routes list (synthetic users, `curl http://app.example.com/`);
 * - 'mesh': a request to the gateway Service itself (`hey -host app.example.com
 *   http://apisix-gateway.apisix/`), routed by its Host header.
 *
 * Matching as APISIX's radixtree does it: host (exact before wildcard before none), then uri
 * (`/*` is a prefix, anything else exact; exact and longer first), then the higher `priority`
 * (Flagger's canary clone has 10000, so it wins over the user's route), then methods.
 * Backends are chosen at random by weight (default 100; 0 never).
 *
 * Metrics (../metrics/apisix.ts) are reported for routes with the prometheus plugin enabled,
 * under the route's name when the plugin has `prefer_name: true`, else its id (the ingress
 * controller's crc32 of the name), as APISIX does.
 */
import type { KubeObject, ResourceRef } from '../store';
import type { ClusterView } from '../view';
import type {
  EntryPoint,
  RoutedRequest,
  RouteDecision,
  ServiceTarget,
  TrafficRouter,
} from './router';
import { drawWeighted } from './weighted';
import { hasReadyEndpoints } from './service';

export const APISIX_ROUTES: ResourceRef = { group: 'apisix.apache.org', resource: 'apisixroutes' };
export const APISIX_NAMESPACE = 'apisix';
export const APISIX_GATEWAY = 'apisix-gateway';
const DEFAULT_WEIGHT = 100;

interface ApisixRoute extends KubeObject {
  spec?: {
    http?: {
      name?: string;
      priority?: number;
      match?: { hosts?: string[]; paths?: string[]; methods?: string[] };
      backends?: { serviceName?: string; servicePort?: number | string; weight?: number }[];
      plugins?: { name?: string; enable?: boolean; config?: Record<string, unknown> }[];
    }[];
  };
}

interface Route {
  /** The metrics label: the name with prefer_name, else the id; undefined: no prometheus plugin. */
  metricsRoute: string | undefined;
  namespace: string;
  hosts: string[];
  paths: string[];
  methods: string[];
  priority: number;
  created: string;
  backends: (ServiceTarget & { weight: number })[];
}

interface Candidate {
  route: Route;
  host: string;
  path: string;
  hostRank: number;
  pathRank: number;
}

/** hash/crc32.ChecksumIEEE, which the ingress controller's id.GenID uses for route ids. */
function crc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text)) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function hostRank(pattern: string | undefined, host: string): number | undefined {
  if (pattern === undefined) return 0;
  const p = pattern.toLowerCase();
  if (p === host) return 2;
  if (p.startsWith('*.') && host.endsWith(p.slice(1)) && host.length > p.length - 1) return 1;
  return undefined;
}

/** 2 + length for an exact uri, 1 + prefix length for `/prefix*`; undefined: no match. */
function pathRank(pattern: string, path: string): number | undefined {
  if (pattern.endsWith('*')) {
    const prefix = pattern.slice(0, -1);
    return path.startsWith(prefix) ? 1 + prefix.length * 2 : undefined;
  }
  return pattern === path ? 2 + pattern.length * 2 : undefined;
}

class ApisixGateway {
  private builtAt = -1;
  private routes: Route[] = [];

  ready(view: ClusterView): boolean {
    return hasReadyEndpoints(view, { namespace: APISIX_NAMESPACE, name: APISIX_GATEWAY });
  }

  index(view: ClusterView): Route[] {
    const version = view.version(APISIX_ROUTES);
    if (version === this.builtAt) return this.routes;
    const routes: Route[] = [];
    for (const ar of view.list<ApisixRoute>(APISIX_ROUTES)) {
      const namespace = ar.metadata.namespace ?? '';
      for (const http of ar.spec?.http ?? []) {
        const name = `${namespace}_${ar.metadata.name}_${http.name ?? ''}`;
        const prometheus = (http.plugins ?? []).find(
          (p) => p.name === 'prometheus' && p.enable !== false,
        );
        const preferName = prometheus?.config?.['prefer_name'] === true;
        routes.push({
          metricsRoute: prometheus ? (preferName ? name : crc32(name).toString(16)) : undefined,
          namespace,
          hosts: (http.match?.hosts ?? []).map((h) => h.toLowerCase()),
          paths: http.match?.paths ?? [],
          methods: (http.match?.methods ?? []).map((m) => m.toUpperCase()),
          priority: http.priority ?? 0,
          created: ar.metadata.creationTimestamp ?? '',
          backends: (http.backends ?? []).flatMap((b) =>
            b.serviceName
              ? [
                  {
                    namespace,
                    name: b.serviceName,
                    port: b.servicePort ?? '',
                    weight: b.weight ?? DEFAULT_WEIGHT,
                  },
                ]
              : [],
          ),
        });
      }
    }
    this.routes = routes;
    this.builtAt = version;
    return routes;
  }

  route(
    request: RoutedRequest,
    view: ClusterView,
    random: () => number,
  ): RouteDecision | undefined {
    if (!this.ready(view)) return undefined;
    const candidates: Candidate[] = [];
    for (const route of this.index(view)) {
      if (route.methods.length > 0 && !route.methods.includes(request.method)) continue;
      const hosts = route.hosts.length > 0 ? route.hosts : [undefined];
      for (const host of hosts) {
        const hr = hostRank(host, request.host);
        if (hr === undefined) continue;
        for (const path of route.paths) {
          const pr = pathRank(path, request.path);
          if (pr !== undefined) {
            candidates.push({ route, host: host ?? '', path, hostRank: hr, pathRank: pr });
          }
        }
      }
    }
    candidates.sort(
      (a, b) =>
        b.hostRank - a.hostRank ||
        b.pathRank - a.pathRank ||
        b.route.priority - a.route.priority ||
        a.route.created.localeCompare(b.route.created),
    );
    const best = candidates[0];
    if (!best) return undefined;
    const chosen = drawWeighted(best.route.backends, (b) => b.weight, random);
    if (!chosen) return undefined;
    return {
      backend: { namespace: chosen.namespace, name: chosen.name, port: chosen.port },
      ...(best.route.metricsRoute !== undefined
        ? {
            metrics: {
              provider: 'apisix',
              labels: {
                route: best.route.metricsRoute,
                matched_host: best.host,
                matched_uri: best.path,
              },
            },
          }
        : {}),
    };
  }

  entryPoints(view: ClusterView): EntryPoint[] {
    if (!this.ready(view)) return [];
    const entries: EntryPoint[] = [];
    const seen = new Set<string>();
    for (const route of this.index(view)) {
      if (route.methods.length > 0 && !route.methods.includes('GET')) continue;
      const path = route.paths[0]?.replace(/\*$/, '') || '/';
      for (const host of route.hosts) {
        const url = `http://${host.replace(/^\*\./, 'www.')}${path}`;
        if (seen.has(url)) continue;
        seen.add(url);
        // Every route on the host: the user's and Flagger's clone both front their Services.
        const backends = this.index(view)
          .filter((r) => r.hosts.includes(host))
          .flatMap((r) => r.backends.map((b) => ({ namespace: b.namespace, name: b.name })));
        entries.push({ url, annotations: {}, backends });
      }
    }
    return entries;
  }
}

/** External hosts of the ApisixRoutes, through the gateway's LoadBalancer. */
class ApisixEdgeRouter implements TrafficRouter {
  readonly provider = 'apisix';
  readonly stage = 'edge' as const;
  constructor(private readonly gateway: ApisixGateway) {}

  route(
    request: RoutedRequest,
    view: ClusterView,
    random: () => number,
  ): RouteDecision | undefined {
    return this.gateway.route(request, view, random);
  }

  entryPoints(view: ClusterView): EntryPoint[] {
    return this.gateway.entryPoints(view);
  }
}

/** Requests to the `apisix-gateway` Service from inside the cluster. */
class ApisixGatewayServiceRouter implements TrafficRouter {
  readonly provider = 'apisix';
  readonly stage = 'mesh' as const;
  constructor(private readonly gateway: ApisixGateway) {}

  route(
    request: RoutedRequest,
    view: ClusterView,
    random: () => number,
  ): RouteDecision | undefined {
    const target = request.service;
    if (target?.namespace !== APISIX_NAMESPACE || target.name !== APISIX_GATEWAY) return undefined;
    return this.gateway.route(request, view, random);
  }
}

/** The edge and in-cluster faces of one gateway, sharing its route index. */
export function createApisixRouters(): TrafficRouter[] {
  const gateway = new ApisixGateway();
  return [new ApisixEdgeRouter(gateway), new ApisixGatewayServiceRouter(gateway)];
}
