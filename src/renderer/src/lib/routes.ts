/**
 * The app's places as hash routes, so a view can be linked, reloaded and reached with
 * back/forward:
 *
 *   #/                         the fleet (home), optionally #/?cluster=…&ns=…&phase=…&q=…
 *   #/cluster/<ctx>            one cluster
 *   #/cluster/<ctx>/<ns>/<name> one canary
 *
 * Each segment is encoded with encodeURIComponent: context names hold '/', ':' and '@'.
 * Web mode opens the page with `#token=…` (lib/web-socket.ts takes it); a fragment holding
 * a token is never a route.
 */

/** The fleet's phase filter: the groups the counts strip shows, plus the rest. */
export type PhaseFilter = 'progressing' | 'waiting' | 'failed' | 'succeeded' | 'idle';
export const phaseFilters: readonly PhaseFilter[] = [
  'progressing',
  'waiting',
  'failed',
  'succeeded',
  'idle',
];

export interface FleetFilter {
  cluster?: string;
  namespace?: string;
  phase?: PhaseFilter;
  /** Free text over cluster, namespace, name, target and phase. */
  q?: string;
}

export type Route =
  | ({ view: 'fleet' } & FleetFilter)
  | { view: 'cluster'; context: string }
  | { view: 'canary'; context: string; namespace: string; name: string };

export const fleetRoute: Route = { view: 'fleet' };

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** True for a fragment that carries web mode's token rather than a place. */
export function holdsToken(hash: string): boolean {
  return /(?:^#?|[&?])token=/.test(hash);
}

/** Reads a location hash ("#/cluster/a%2Fb"); anything unknown is the fleet. */
export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, '');
  if (!raw.startsWith('/') || holdsToken(raw)) return { view: 'fleet' };
  const queryAt = raw.indexOf('?');
  const path = queryAt === -1 ? raw : raw.slice(0, queryAt);
  const query = queryAt === -1 ? '' : raw.slice(queryAt + 1);
  const segments = path.split('/').filter((s) => s !== '');
  const parts = segments.map(decode);
  if (parts.some((p) => p === undefined || p === '')) return { view: 'fleet' };
  const [head, context, namespace, name] = parts as string[];
  if (head === 'cluster' && context !== undefined) {
    if (parts.length === 2) return { view: 'cluster', context };
    if (parts.length === 4 && namespace !== undefined && name !== undefined)
      return { view: 'canary', context, namespace, name };
    return { view: 'fleet' };
  }
  if (parts.length > 0) return { view: 'fleet' };
  const params = new URLSearchParams(query);
  const route: Route = { view: 'fleet' };
  const cluster = params.get('cluster');
  const ns = params.get('ns');
  const phase = params.get('phase');
  const q = params.get('q');
  if (cluster) route.cluster = cluster;
  if (ns) route.namespace = ns;
  if (phase && (phaseFilters as readonly string[]).includes(phase))
    route.phase = phase as PhaseFilter;
  if (q) route.q = q;
  return route;
}

/** The hash for a route, with the leading '#'. */
export function formatRoute(route: Route): string {
  const e = encodeURIComponent;
  switch (route.view) {
    case 'cluster':
      return `#/cluster/${e(route.context)}`;
    case 'canary':
      return `#/cluster/${e(route.context)}/${e(route.namespace)}/${e(route.name)}`;
    case 'fleet': {
      const params = new URLSearchParams();
      if (route.cluster) params.set('cluster', route.cluster);
      if (route.namespace) params.set('ns', route.namespace);
      if (route.phase) params.set('phase', route.phase);
      if (route.q) params.set('q', route.q);
      const query = params.toString();
      return query ? `#/?${query}` : '#/';
    }
  }
}

/** The route of a canary by its key "context/namespace/name" (the context may hold '/'). */
export function canaryRoute(key: string): Route | undefined {
  const nameAt = key.lastIndexOf('/');
  const nsAt = key.lastIndexOf('/', nameAt - 1);
  if (nsAt <= 0 || nameAt <= nsAt + 1 || nameAt === key.length - 1) return undefined;
  return {
    view: 'canary',
    context: key.slice(0, nsAt),
    namespace: key.slice(nsAt + 1, nameAt),
    name: key.slice(nameAt + 1),
  };
}

export function canaryKeyOf(route: { context: string; namespace: string; name: string }): string {
  return `${route.context}/${route.namespace}/${route.name}`;
}

/** The context a route is about, if any. */
export function routeContext(route: Route): string | undefined {
  return route.view === 'fleet' ? undefined : route.context;
}

export function sameRoute(a: Route, b: Route): boolean {
  return formatRoute(a) === formatRoute(b);
}
