/**
 * A service mesh that implements SMI TrafficSplit: Linkerd (with its SMI extension) or Open
 * Service Mesh. A namespace belongs to a mesh as each mesh's injector decides:
 * `linkerd.io/inject: enabled` on the Namespace for Linkerd, the label
 * `openservicemesh.io/monitored-by` for OSM. Every request to a Service of a meshed namespace
 * goes through the client's proxy, so this router claims them all (the server's proxy reports
 * them, see ../metrics/linkerd.ts and osm.ts):
 *
 * - a TrafficSplit whose spec.service names the Service (short name or cluster FQDN) picks a
 *   backend Service at random by weight: v1alpha1 weights are resource.Quantity strings
 *   ("900m", "100"), later versions ints; only the ratio matters, as in Linkerd.
 * - a v1alpha3/v1alpha4 split with `matches` applies only to requests matching one of the
 *   named HTTPRouteGroups (pathRegex, methods, header regexes); the others go to the apex
 *   Service itself.
 * - without a split, the Service itself.
 */
import { parseQuantity } from '../../shared/quantity';
import type { KubeObject, ResourceRef } from '../store';
import { R } from '../store';
import type { ClusterView } from '../view';
import type { RoutedRequest, RouteDecision, ServiceTarget, TrafficRouter } from './router';
import { fullMatch } from './match';
import { drawWeighted } from './weighted';

export const TRAFFIC_SPLITS: ResourceRef = {
  group: 'split.smi-spec.io',
  resource: 'trafficsplits',
};
export const HTTP_ROUTE_GROUPS: ResourceRef = {
  group: 'specs.smi-spec.io',
  resource: 'httproutegroups',
};

export type Mesh = 'linkerd' | 'osm';

interface TrafficSplit extends KubeObject {
  spec?: {
    service?: string;
    backends?: { service?: string; weight?: unknown }[];
    matches?: { kind?: string; name?: string }[];
  };
}

interface HttpRouteMatch {
  name?: string;
  pathRegex?: string;
  methods?: string[];
  headers?: Record<string, string> | Record<string, string>[];
}

interface HttpRouteGroup extends KubeObject {
  spec?: { matches?: HttpRouteMatch[] };
}

interface Split {
  backends: { service: string; weight: number }[];
  /** HTTPRouteGroup names; empty: every request is split. */
  matches: string[];
}

/** The mesh a namespace belongs to, from its injection annotation or monitoring label. */
export function meshOf(view: ClusterView, namespace: string): Mesh | undefined {
  const ns = view.get(R.namespaces, undefined, namespace);
  if (ns?.metadata.annotations?.['linkerd.io/inject'] === 'enabled') return 'linkerd';
  if (ns?.metadata.labels?.['openservicemesh.io/monitored-by'] !== undefined) return 'osm';
  return undefined;
}

/** spec.service as a Service name in the split's namespace ("podinfo", "podinfo.test.svc..."). */
function splitServiceName(service: string, namespace: string): string | undefined {
  const labels = service.toLowerCase().replace(/\.$/, '').split('.');
  if (labels.length === 1) return labels[0];
  if (labels[1] !== namespace) return undefined;
  const rest = labels.slice(2).join('.');
  return rest === '' || rest === 'svc' || rest === 'svc.cluster.local' ? labels[0] : undefined;
}

function routeMatches(match: HttpRouteMatch, request: RoutedRequest): boolean {
  if (match.pathRegex && !fullMatch(match.pathRegex, request.path)) return false;
  const methods = match.methods ?? [];
  if (methods.length > 0 && !methods.some((m) => m === '*' || m.toUpperCase() === request.method))
    return false;
  // v1alpha3/v1alpha4: a map of header -> value regex (older drafts: a list of such maps).
  const headers = Array.isArray(match.headers)
    ? Object.assign({}, ...match.headers)
    : (match.headers ?? {});
  for (const [name, pattern] of Object.entries(headers as Record<string, string>)) {
    const value = request.headers[name.toLowerCase()];
    if (value === undefined || !fullMatch(pattern, value)) return false;
  }
  return true;
}

class SmiMeshRouter implements TrafficRouter {
  readonly provider = 'smi';
  readonly stage = 'mesh' as const;
  private builtAt = -1;
  private splits = new Map<string, Split>();

  /** Splits by "<namespace>/<service>"; the oldest split wins when two name one Service. */
  private index(view: ClusterView): Map<string, Split> {
    const version = view.version(TRAFFIC_SPLITS);
    if (version === this.builtAt) return this.splits;
    const splits = new Map<string, Split>();
    const all = view
      .list<TrafficSplit>(TRAFFIC_SPLITS)
      .sort((a, b) =>
        (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''),
      );
    for (const ts of all) {
      const namespace = ts.metadata.namespace ?? '';
      const service = splitServiceName(ts.spec?.service ?? '', namespace);
      if (!service || splits.has(`${namespace}/${service}`)) continue;
      const backends = (ts.spec?.backends ?? []).flatMap((b) => {
        const weight = parseQuantity(b.weight);
        return b.service && weight !== undefined && weight > 0
          ? [{ service: b.service, weight }]
          : [];
      });
      const matches = (ts.spec?.matches ?? [])
        .filter((m) => (m.kind ?? 'HTTPRouteGroup') === 'HTTPRouteGroup' && m.name)
        .map((m) => m.name ?? '');
      splits.set(`${namespace}/${service}`, { backends, matches });
    }
    this.splits = splits;
    this.builtAt = version;
    return splits;
  }

  route(
    request: RoutedRequest,
    view: ClusterView,
    random: () => number,
  ): RouteDecision | undefined {
    const target = request.service;
    if (!target) return undefined;
    const mesh = meshOf(view, target.namespace);
    if (!mesh) return undefined;
    const split = this.index(view).get(`${target.namespace}/${target.name}`);
    let backend: ServiceTarget = {
      namespace: target.namespace,
      name: target.name,
      port: target.port,
    };
    if (
      split &&
      split.backends.length > 0 &&
      this.applies(split, request, view, target.namespace)
    ) {
      const chosen =
        drawWeighted(split.backends, (b) => b.weight, random) ?? split.backends.at(-1)!;
      backend = { ...backend, name: chosen.service };
    }
    return {
      backend,
      metrics: {
        provider: mesh,
        labels: {
          authority: `${target.name}.${target.namespace}.svc.cluster.local:${target.port}`,
        },
      },
    };
  }

  private applies(split: Split, request: RoutedRequest, view: ClusterView, ns: string): boolean {
    if (split.matches.length === 0) return true;
    return split.matches.some((name) =>
      (view.get<HttpRouteGroup>(HTTP_ROUTE_GROUPS, ns, name)?.spec?.matches ?? []).some((m) =>
        routeMatches(m, request),
      ),
    );
  }
}

export function createSmiRouter(): TrafficRouter {
  return new SmiMeshRouter();
}
