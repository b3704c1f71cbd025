/**
 * ingress-nginx: Ingresses of class nginx (or without a class) serve their hosts and
 * paths; a canary Ingress (annotation nginx.ingress.kubernetes.io/canary: "true") on the
 * same host and path becomes the location's alternative backend, chosen per request as
 * ingress-nginx's balancer.lua does: canary-by-header first ("always"/"never", or
 * canary-by-header-value exact / canary-by-header-pattern regex), then canary-by-cookie
 * ("always"/"never"), then canary-weight out of canary-weight-total (default 100).
 * A canary whose Service has no ready endpoints is skipped, so an idle canary (scaled to
 * zero) never answers 503.
 *
 * Metrics labels are ingress-nginx's: requests through the canary are reported under the
 * main Ingress's name and Service, with `canary` = the alternative upstream
 * ("<namespace>-<service>-<port>"), and `canary` = "" for the main backend.
 */
import type { Ingress, IngressBackend } from '../kube';
import { R } from '../store';
import type {
  EntryPoint,
  RoutedRequest,
  RouteDecision,
  ServiceTarget,
  TrafficRouter,
} from './router';
import type { ClusterView } from '../view';
import { hasReadyEndpoints } from './service';

const PREFIX = 'nginx.ingress.kubernetes.io/';

interface Upstream extends ServiceTarget {
  ingress: string;
}

interface CanaryPolicy {
  header?: string;
  headerValue?: string;
  headerPattern?: RegExp;
  cookie?: string;
  weight: number;
  weightTotal: number;
}

interface Location {
  /** undefined: a rule without host, nginx's catch-all server "_". */
  host: string | undefined;
  path: string;
  exact: boolean;
  main: Upstream;
  annotations: Record<string, string>;
  canary?: Upstream & { policy: CanaryPolicy };
}

function isNginxClass(ingress: Ingress): boolean {
  const cls =
    ingress.spec?.ingressClassName ?? ingress.metadata.annotations?.['kubernetes.io/ingress.class'];
  return cls === undefined || cls === 'nginx';
}

function upstreamOf(ingress: Ingress, backend: IngressBackend | undefined): Upstream | undefined {
  const service = backend?.service;
  if (!service) return undefined;
  return {
    namespace: ingress.metadata.namespace ?? '',
    name: service.name,
    port: service.port?.number ?? service.port?.name ?? '',
    ingress: ingress.metadata.name,
  };
}

function canaryPolicy(annotations: Record<string, string>): CanaryPolicy {
  const int = (key: string, fallback: number) => {
    const v = Number.parseInt(annotations[PREFIX + key] ?? '', 10);
    return Number.isFinite(v) ? v : fallback;
  };
  let headerPattern: RegExp | undefined;
  const pattern = annotations[`${PREFIX}canary-by-header-pattern`];
  try {
    if (pattern) headerPattern = new RegExp(pattern);
  } catch {
    headerPattern = undefined; // ingress-nginx logs the bad pattern and never matches it
  }
  return {
    header: annotations[`${PREFIX}canary-by-header`]?.toLowerCase() || undefined,
    headerValue: annotations[`${PREFIX}canary-by-header-value`] || undefined,
    headerPattern,
    cookie: annotations[`${PREFIX}canary-by-cookie`] || undefined,
    weight: int('canary-weight', 0),
    weightTotal: int('canary-weight-total', 100),
  };
}

/** balancer.lua's route_to_alternative_balancer. */
function routeToCanary(
  policy: CanaryPolicy,
  request: RoutedRequest,
  random: () => number,
): boolean {
  if (policy.header) {
    const value = request.headers[policy.header];
    if (value !== undefined) {
      if (policy.headerValue) {
        if (value === policy.headerValue) return true;
      } else if (policy.headerPattern) {
        if (policy.headerPattern.test(value)) return true;
      } else if (value === 'always') return true;
      else if (value === 'never') return false;
    }
  }
  if (policy.cookie) {
    const value = request.cookies[policy.cookie];
    if (value === 'always') return true;
    if (value === 'never') return false;
  }
  const total = policy.weightTotal > 100 ? policy.weightTotal : 100;
  // math.random(total) draws an integer in [1, total].
  return Math.floor(random() * total) + 1 <= policy.weight;
}

function pathMatches(location: Location, path: string): boolean {
  if (location.exact) return path === location.path;
  const prefix = location.path.replace(/\/+$/, '');
  return prefix === '' || path === prefix || path.startsWith(`${prefix}/`);
}

function hostMatches(pattern: string, host: string): boolean {
  if (pattern.startsWith('*.')) {
    const rest = host.slice(host.indexOf('.') + 1);
    return (
      host.includes('.') &&
      rest === pattern.slice(2) &&
      !host.slice(0, host.indexOf('.')).includes('.')
    );
  }
  return pattern === host;
}

class NginxRouter implements TrafficRouter {
  readonly provider = 'nginx';
  readonly stage = 'edge' as const;
  private builtAt = -1;
  private locations: Location[] = [];

  private index(view: ClusterView): Location[] {
    const version = view.version(R.ingresses);
    if (version === this.builtAt) return this.locations;
    const ingresses = view
      .list<Ingress>(R.ingresses)
      .filter(isNginxClass)
      .sort(
        (a, b) =>
          (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
          `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(
            `${b.metadata.namespace}/${b.metadata.name}`,
          ),
      );
    const isCanary = (i: Ingress) => i.metadata.annotations?.[`${PREFIX}canary`] === 'true';
    const byKey = new Map<string, Location>();
    const paths = (i: Ingress) =>
      (i.spec?.rules ?? []).flatMap((rule) =>
        (rule.http?.paths ?? []).map((p) => ({
          host: rule.host?.toLowerCase(),
          path: p.path || '/',
          exact: p.pathType === 'Exact',
          backend: p.backend,
        })),
      );
    for (const ingress of ingresses.filter((i) => !isCanary(i))) {
      for (const p of paths(ingress)) {
        const main = upstreamOf(ingress, p.backend);
        const key = `${p.host ?? '_'} ${p.path}`;
        if (main && !byKey.has(key)) {
          byKey.set(key, {
            host: p.host,
            path: p.path,
            exact: p.exact,
            main,
            annotations: ingress.metadata.annotations ?? {},
          });
        }
      }
    }
    for (const ingress of ingresses.filter(isCanary)) {
      for (const p of paths(ingress)) {
        const location = byKey.get(`${p.host ?? '_'} ${p.path}`);
        const upstream = upstreamOf(ingress, p.backend);
        if (location && upstream && !location.canary) {
          location.canary = {
            ...upstream,
            policy: canaryPolicy(ingress.metadata.annotations ?? {}),
          };
        }
      }
    }
    this.locations = [...byKey.values()];
    this.builtAt = version;
    return this.locations;
  }

  route(
    request: RoutedRequest,
    view: ClusterView,
    random: () => number,
  ): RouteDecision | undefined {
    const locations = this.index(view);
    const exactHost = locations.filter((l) => l.host === request.host);
    const wildcard = exactHost.length
      ? []
      : locations.filter((l) => l.host?.startsWith('*.') && hostMatches(l.host, request.host));
    const catchAll =
      exactHost.length || wildcard.length || request.service
        ? []
        : locations.filter((l) => l.host === undefined);
    const server = exactHost.length ? exactHost : wildcard.length ? wildcard : catchAll;
    const location = server
      .filter((l) => pathMatches(l, request.path))
      .sort((a, b) => b.path.length - a.path.length || Number(b.exact) - Number(a.exact))[0];
    if (!location) return undefined;
    const canary = location.canary;
    const useCanary =
      canary !== undefined &&
      hasReadyEndpoints(view, canary) &&
      routeToCanary(canary.policy, request, random);
    const chosen = useCanary ? canary : location.main;
    return {
      backend: { namespace: chosen.namespace, name: chosen.name, port: chosen.port },
      metrics: {
        provider: this.provider,
        labels: {
          ingress: location.main.ingress,
          namespace: location.main.namespace,
          service: location.main.name,
          canary: useCanary ? `${canary.namespace}-${canary.name}-${canary.port}` : '',
          host: location.host ?? '_',
          path: location.path,
        },
      },
    };
  }

  entryPoints(view: ClusterView): EntryPoint[] {
    return this.index(view)
      .filter((l) => l.host !== undefined)
      .map((l) => ({
        url: `http://${(l.host ?? '').replace(/^\*\./, 'www.')}${l.path}`,
        annotations: l.annotations,
        backends: [l.main, ...(l.canary ? [l.canary] : [])].map((u) => ({
          namespace: u.namespace,
          name: u.name,
        })),
      }));
  }
}

export function createNginxRouter(): TrafficRouter {
  return new NginxRouter();
}
