/**
 * Gateway API (gateway.networking.k8s.io, v1 and v1beta1 alike): HTTPRoutes attached to an
 * existing Gateway (parentRefs) serve their hostnames at the edge. Of the rules whose match
 * applies (path Exact / PathPrefix / RegularExpression, method, headers Exact /
 * RegularExpression), the most specific wins as the spec orders them: exact path, longer
 * prefix, method, more header matches, then the older route and the earlier rule. A backendRef
 * is drawn by weight (default 1; zero never); a RequestMirror filter sends a shadow copy.
 *
 * Implementations report no metrics of their own here: Flagger's gatewayapi provider reads the
 * pods' http_request_duration_seconds, which every app exports (../metrics/index.ts).
 */
import type { KubeObject, ResourceRef } from '../store';
import type { ClusterView } from '../view';
import {
  headerEdits,
  type EntryPoint,
  type RoutedRequest,
  type RouteDecision,
  type ServiceTarget,
  type TrafficRouter,
} from './router';
import { fullMatch, hostMatches } from './match';
import { drawWeighted } from './weighted';

const GROUP = 'gateway.networking.k8s.io';
export const HTTP_ROUTES: ResourceRef = { group: GROUP, resource: 'httproutes' };
export const GATEWAYS: ResourceRef = { group: GROUP, resource: 'gateways' };

interface BackendRef {
  group?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  port?: number;
  weight?: number;
  filters?: Filter[];
}

interface HeaderValue {
  name?: string;
  value?: string;
}

interface Filter {
  type?: string;
  responseHeaderModifier?: { add?: HeaderValue[]; set?: HeaderValue[] };
  requestMirror?: {
    backendRef?: BackendRef;
    percent?: number;
    fraction?: { numerator?: number; denominator?: number };
  };
}

interface Match {
  path?: { type?: string; value?: string };
  method?: string;
  headers?: { type?: string; name?: string; value?: string }[];
}

interface Rule {
  matches?: Match[];
  filters?: Filter[];
  backendRefs?: BackendRef[];
}

interface HTTPRoute extends KubeObject {
  spec?: {
    parentRefs?: { group?: string; kind?: string; namespace?: string; name?: string }[];
    hostnames?: string[];
    rules?: Rule[];
  };
}

interface Gateway extends KubeObject {
  spec?: { listeners?: { hostname?: string }[] };
}

function responseEdits(
  filter: Filter,
): { add?: Record<string, string>; set?: Record<string, string> } | undefined {
  const modifier =
    filter.type === 'ResponseHeaderModifier' ? filter.responseHeaderModifier : undefined;
  if (!modifier) return undefined;
  const record = (values: HeaderValue[] | undefined): Record<string, string> =>
    Object.fromEntries((values ?? []).filter((h) => h.name).map((h) => [h.name!, h.value ?? '']));
  return { add: record(modifier.add), set: record(modifier.set) };
}

interface Candidate {
  route: HTTPRoute;
  routeIndex: number;
  ruleIndex: number;
  rule: Rule;
  match: Match;
}

function pathMatches(path: Match['path'], requestPath: string): boolean {
  const type = path?.type ?? 'PathPrefix';
  const value = path?.value ?? '/';
  if (type === 'Exact') return requestPath === value;
  if (type === 'RegularExpression') return fullMatch(value, requestPath);
  const prefix = value.replace(/\/+$/, '');
  return prefix === '' || requestPath === prefix || requestPath.startsWith(`${prefix}/`);
}

function matches(m: Match, request: RoutedRequest): boolean {
  if (!pathMatches(m.path, request.path)) return false;
  if (m.method && m.method.toUpperCase() !== request.method) return false;
  for (const h of m.headers ?? []) {
    const value = request.headers[(h.name ?? '').toLowerCase()];
    if (value === undefined) return false;
    if ((h.type ?? 'Exact') === 'RegularExpression') {
      if (!fullMatch(h.value ?? '', value)) return false;
    } else if (value !== h.value) return false;
  }
  return true;
}

/** The spec's precedence between matching rules: higher first. */
function compareCandidates(a: Candidate, b: Candidate): number {
  const exact = (c: Candidate) => (c.match.path?.type === 'Exact' ? 1 : 0);
  const prefixLength = (c: Candidate) =>
    (c.match.path?.type ?? 'PathPrefix') === 'PathPrefix' ? (c.match.path?.value ?? '/').length : 0;
  return (
    exact(b) - exact(a) ||
    prefixLength(b) - prefixLength(a) ||
    Number(!!b.match.method) - Number(!!a.match.method) ||
    (b.match.headers?.length ?? 0) - (a.match.headers?.length ?? 0) ||
    a.routeIndex - b.routeIndex ||
    a.ruleIndex - b.ruleIndex
  );
}

function isService(ref: BackendRef): boolean {
  return (ref.group ?? '') === '' && (ref.kind ?? 'Service') === 'Service' && !!ref.name;
}

function target(ref: BackendRef, namespace: string): ServiceTarget {
  return { namespace: ref.namespace ?? namespace, name: ref.name ?? '', port: ref.port ?? '' };
}

class GatewayApiRouter implements TrafficRouter {
  readonly provider = 'gatewayapi';
  readonly stage = 'edge' as const;
  private builtAt = '';
  private attached: { route: HTTPRoute; hostnames: string[] }[] = [];

  /** HTTPRoutes attached to an existing Gateway, oldest first, with the hostnames they serve. */
  private index(view: ClusterView): { route: HTTPRoute; hostnames: string[] }[] {
    const version = `${view.version(HTTP_ROUTES)}/${view.version(GATEWAYS)}`;
    if (version === this.builtAt) return this.attached;
    const routes = view
      .list<HTTPRoute>(HTTP_ROUTES)
      .sort(
        (a, b) =>
          (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
          `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(
            `${b.metadata.namespace}/${b.metadata.name}`,
          ),
      );
    this.attached = [];
    for (const route of routes) {
      const namespace = route.metadata.namespace ?? '';
      const gateways = (route.spec?.parentRefs ?? [])
        .filter((p) => (p.group ?? GROUP) === GROUP && (p.kind ?? 'Gateway') === 'Gateway')
        .map((p) => view.get<Gateway>(GATEWAYS, p.namespace ?? namespace, p.name ?? ''))
        .filter((g): g is Gateway => g !== undefined);
      if (gateways.length === 0) continue;
      const listenerHosts = gateways.flatMap((g) =>
        (g.spec?.listeners ?? []).map((l) => l.hostname ?? '*'),
      );
      const hostnames = route.spec?.hostnames?.length
        ? route.spec.hostnames.map((h) => h.toLowerCase())
        : listenerHosts.filter((h) => h !== '*');
      this.attached.push({ route, hostnames });
    }
    this.builtAt = version;
    return this.attached;
  }

  route(
    request: RoutedRequest,
    view: ClusterView,
    random: () => number,
  ): RouteDecision | undefined {
    if (request.service) return undefined;
    const candidates: Candidate[] = [];
    this.index(view).forEach(({ route, hostnames }, routeIndex) => {
      if (!hostnames.some((h) => hostMatches(h, request.host))) return;
      (route.spec?.rules ?? []).forEach((rule, ruleIndex) => {
        const ruleMatches = rule.matches?.length ? rule.matches : [{}];
        for (const match of ruleMatches) {
          if (matches(match, request))
            candidates.push({ route, routeIndex, ruleIndex, rule, match });
        }
      });
    });
    const best = candidates.sort(compareCandidates)[0];
    if (!best) return undefined;
    const namespace = best.route.metadata.namespace ?? '';
    const backends = (best.rule.backendRefs ?? []).filter(isService);
    const chosen = drawWeighted(backends, (b) => b.weight ?? 1, random);
    if (!chosen) return undefined;
    const decision: RouteDecision = { backend: target(chosen, namespace) };
    // The rule's ResponseHeaderModifier, then the chosen backend's (Flagger's affinity cookie).
    const responseHeaders = headerEdits(
      ...[...(best.rule.filters ?? []), ...(chosen.filters ?? [])].map(responseEdits),
    );
    if (responseHeaders) decision.responseHeaders = responseHeaders;
    for (const f of best.rule.filters ?? []) {
      const mirror = f.requestMirror;
      if (f.type !== 'RequestMirror' || !mirror?.backendRef || !isService(mirror.backendRef))
        continue;
      const share =
        mirror.percent !== undefined
          ? mirror.percent / 100
          : mirror.fraction
            ? (mirror.fraction.numerator ?? 0) / (mirror.fraction.denominator ?? 100)
            : 1;
      if (random() < share) decision.mirror = { backend: target(mirror.backendRef, namespace) };
    }
    return decision;
  }

  entryPoints(view: ClusterView): EntryPoint[] {
    const entries: EntryPoint[] = [];
    for (const { route, hostnames } of this.index(view)) {
      const namespace = route.metadata.namespace ?? '';
      const backends = new Map<string, { namespace: string; name: string }>();
      for (const rule of route.spec?.rules ?? []) {
        for (const ref of (rule.backendRefs ?? []).filter(isService)) {
          const t = target(ref, namespace);
          backends.set(`${t.namespace}/${t.name}`, { namespace: t.namespace, name: t.name });
          // Flagger's -primary/-canary are reached through the route, their apex gets nothing.
          const apex = /^(.+)-(primary|canary)$/.exec(t.name)?.[1];
          if (apex) backends.set(`${t.namespace}/${apex}`, { namespace: t.namespace, name: apex });
        }
      }
      const first = route.spec?.rules?.[0]?.matches?.[0]?.path;
      const path =
        (first?.type ?? 'PathPrefix') === 'RegularExpression' ? '/' : (first?.value ?? '/');
      for (const h of hostnames) {
        entries.push({
          url: `http://${h.replace(/^\*\./, 'www.')}${path}`,
          annotations: route.metadata.annotations ?? {},
          backends: [...backends.values()],
        });
      }
    }
    return entries;
  }
}

export function createGatewayApiRouter(): TrafficRouter {
  return new GatewayApiRouter();
}
