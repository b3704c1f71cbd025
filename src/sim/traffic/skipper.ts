/**
 * Skipper as a Kubernetes ingress controller: Ingresses of class `skipper` (ingressClassName or
 * the kubernetes.io/ingress.class annotation) become routes, one per host, path and backend,
 * with the Ingress's `zalando.org/skipper-predicate` predicates. Among the routes matching a
 * request, `False()` ones never match and the one with the most `Weight(N)` wins (then the
 * longer path), as Skipper's predicate weights order routes. When one Ingress has several
 * backends on the same host and path, `zalando.org/backend-weights` shares requests between
 * those with a weight (evenly when none has one), Skipper's traffic segments.
 *
 * Flagger's skipper router relies on exactly this: its `<ingress>-canary` clone has
 * `Weight(100)` (beating the apex Ingress) with primary/canary weights, and `False()` when the
 * canary weight is back to 0, leaving the apex Ingress serving.
 *
 * Requests reach it by an Ingress host (synthetic traffic) or through the `skipper-ingress`
 * Service in `kube-system` with a Host header. Metrics (../metrics/skipper.ts) carry Skipper's
 * route ID, `kube_<ns>__<ingress>__<host>__<path>__<service>`.
 */
import type { Ingress } from '../kube';
import { R } from '../store';
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

export const SKIPPER_PROXY: ProxyService = { namespace: 'kube-system', name: 'skipper-ingress' };
const PREDICATE = 'zalando.org/skipper-predicate';
const BACKEND_WEIGHTS = 'zalando.org/backend-weights';

interface Backend extends ServiceTarget {
  routeId: string;
  weight: number | undefined;
}

interface SkipperRoute {
  host: string | undefined;
  path: string;
  exact: boolean;
  disabled: boolean;
  /** Sum of the Weight(N) predicates. */
  weight: number;
  backends: Backend[];
  annotations: Record<string, string>;
}

function isSkipperClass(ingress: Ingress): boolean {
  const cls =
    ingress.spec?.ingressClassName ?? ingress.metadata.annotations?.['kubernetes.io/ingress.class'];
  return cls === 'skipper';
}

/** Skipper's route ID: every character outside [a-zA-Z0-9_] becomes `_`. */
export function skipperRouteId(
  namespace: string,
  ingress: string,
  host: string,
  path: string,
  service: string,
): string {
  const id = `kube_${namespace}__${ingress}__${host}__${path}__${service}`;
  return id.replace(/[^a-zA-Z0-9_]/g, '_');
}

function parsePredicates(raw: string | undefined): { disabled: boolean; weight: number } {
  let disabled = false;
  let weight = 0;
  for (const part of (raw ?? '').split('&&')) {
    const p = part.trim();
    if (p === 'False()') disabled = true;
    const w = /^Weight\((\d+)\)$/.exec(p);
    if (w) weight += Number(w[1]);
  }
  return { disabled, weight };
}

function parseWeights(raw: string | undefined): Record<string, number> {
  if (!raw) return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const out: Record<string, number> = {};
      for (const [k, v] of Object.entries(parsed)) if (typeof v === 'number') out[k] = v;
      return out;
    }
  } catch {
    // Skipper logs the bad annotation and routes as if it were absent.
  }
  return {};
}

class SkipperIndex {
  private builtAt = -1;
  private routes: SkipperRoute[] = [];

  get(view: ClusterView): SkipperRoute[] {
    const version = view.version(R.ingresses);
    if (version === this.builtAt) return this.routes;
    const out: SkipperRoute[] = [];
    for (const ingress of view.list<Ingress>(R.ingresses).filter(isSkipperClass)) {
      const annotations = ingress.metadata.annotations ?? {};
      const { disabled, weight } = parsePredicates(annotations[PREDICATE]);
      const weights = parseWeights(annotations[BACKEND_WEIGHTS]);
      const ns = ingress.metadata.namespace ?? '';
      const byKey = new Map<string, SkipperRoute>();
      for (const rule of ingress.spec?.rules ?? []) {
        for (const p of rule.http?.paths ?? []) {
          const service = p.backend.service;
          if (!service) continue;
          const host = rule.host?.toLowerCase();
          const path = p.path || '/';
          const key = `${host ?? ''} ${path}`;
          let route = byKey.get(key);
          if (!route) {
            route = {
              host,
              path,
              exact: p.pathType === 'Exact',
              disabled,
              weight,
              backends: [],
              annotations,
            };
            byKey.set(key, route);
            out.push(route);
          }
          route.backends.push({
            namespace: ns,
            name: service.name,
            port: service.port?.number ?? service.port?.name ?? '',
            routeId: skipperRouteId(ns, ingress.metadata.name, host ?? '', path, service.name),
            weight: weights[service.name],
          });
        }
      }
    }
    this.routes = out;
    this.builtAt = version;
    return out;
  }
}

function pathMatches(route: SkipperRoute, path: string): boolean {
  if (route.exact) return path === route.path;
  const prefix = route.path.replace(/\/+$/, '');
  return prefix === '' || path === prefix || path.startsWith(`${prefix}/`);
}

class SkipperRouter implements TrafficRouter {
  readonly provider = 'skipper';

  constructor(
    readonly stage: 'edge' | 'mesh',
    private readonly index: SkipperIndex,
  ) {}

  route(
    request: RoutedRequest,
    view: ClusterView,
    random: () => number,
  ): RouteDecision | undefined {
    if (this.stage === 'mesh' && !addressedTo(request, SKIPPER_PROXY)) return undefined;
    const route = this.index
      .get(view)
      .filter(
        (r) =>
          !r.disabled &&
          (r.host === undefined || r.host === request.host) &&
          pathMatches(r, request.path),
      )
      .sort((a, b) => b.weight - a.weight || b.path.length - a.path.length)[0];
    if (!route) return undefined;
    // Only backends with a weight share the traffic when any has one (Skipper's principles).
    const weighted = route.backends.filter((b) => b.weight !== undefined);
    const chosen = pickWeighted(
      weighted.length > 0 ? weighted : route.backends,
      (b) => b.weight ?? 0,
      random,
    );
    if (!chosen) return undefined;
    return {
      backend: { namespace: chosen.namespace, name: chosen.name, port: chosen.port },
      metrics: { provider: this.provider, labels: { route: chosen.routeId } },
    };
  }

  entryPoints(view: ClusterView): EntryPoint[] {
    if (this.stage === 'mesh') return [];
    const byUrl = new Map<string, EntryPoint>();
    for (const route of this.index.get(view)) {
      if (!route.host) continue;
      const url = `http://${route.host}${route.path}`;
      const entry = byUrl.get(url) ?? { url, annotations: {}, backends: [SKIPPER_PROXY] };
      if (!route.disabled) entry.annotations = { ...route.annotations, ...entry.annotations };
      entry.backends.push(...route.backends.map((b) => ({ namespace: b.namespace, name: b.name })));
      byUrl.set(url, entry);
    }
    return [...byUrl.values()];
  }
}

/** Skipper at the edge and through its `skipper-ingress.kube-system` Service. */
export function createSkipperRouters(): TrafficRouter[] {
  const index = new SkipperIndex();
  return [new SkipperRouter('edge', index), new SkipperRouter('mesh', index)];
}
