/**
 * Traefik's Kubernetes CRD provider at the edge: an IngressRoute (traefik.io/v1alpha1) route
 * matches by its rule (Host, Path, PathPrefix, Headers, Method, with &&, ||, ! and
 * parentheses) and, among matching routes, the highest priority wins (by default the rule's
 * length, as Traefik does). Its services are Kubernetes Services or TraefikServices (Flagger's
 * `<apex>` one), whose `weighted.services` share requests by weight; an entry without a weight
 * counts 1, Traefik's default.
 *
 * Requests reach it by a Host in a rule (synthetic traffic) or through the `traefik` Service in
 * `traefik` with a Host header. Metrics (../metrics/traefik.ts) name each service layer:
 * `<ns>-<service>-<port>@kubernetescrd` for a Kubernetes Service, `<ns>-<name>@kubernetescrd`
 * for a TraefikService.
 */
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

const INGRESS_ROUTES = { group: 'traefik.io', resource: 'ingressroutes' };
const TRAEFIK_SERVICES = { group: 'traefik.io', resource: 'traefikservices' };
export const TRAEFIK_PROXY: ProxyService = { namespace: 'traefik', name: 'traefik' };

interface ServiceRef {
  name: string;
  namespace?: string;
  kind?: string;
  port?: number | string;
  weight?: number;
}

interface IngressRoute extends KubeObject {
  spec?: { routes?: { match?: string; priority?: number; services?: ServiceRef[] }[] };
}

interface TraefikServiceObject extends KubeObject {
  spec?: { weighted?: { services?: ServiceRef[] } };
}

// --- rules -----------------------------------------------------------------------------

type Rule =
  | { op: 'and' | 'or'; left: Rule; right: Rule }
  | { op: 'not'; rule: Rule }
  | { op: 'call'; name: string; args: string[] };

/** Parses a Traefik v2/v3 rule; undefined when it cannot (the route is then ignored). */
export function parseRule(text: string): Rule | undefined {
  const tokens = text.match(/`[^`]*`|"(?:[^"\\]|\\.)*"|&&|\|\||[()!,]|[A-Za-z]+/g) ?? [];
  let i = 0;
  const peek = () => tokens[i];
  const expr = (): Rule | undefined => {
    let left = term();
    while (left && peek() === '||') {
      i++;
      const right = term();
      if (!right) return undefined;
      left = { op: 'or', left, right };
    }
    return left;
  };
  const term = (): Rule | undefined => {
    let left = factor();
    while (left && peek() === '&&') {
      i++;
      const right = factor();
      if (!right) return undefined;
      left = { op: 'and', left, right };
    }
    return left;
  };
  const factor = (): Rule | undefined => {
    const token = tokens[i++];
    if (token === '!') {
      const rule = factor();
      return rule && { op: 'not', rule };
    }
    if (token === '(') {
      const rule = expr();
      return tokens[i++] === ')' ? rule : undefined;
    }
    if (!token || !/^[A-Za-z]+$/.test(token) || tokens[i++] !== '(') return undefined;
    const args: string[] = [];
    while (peek() !== ')') {
      const arg = tokens[i++];
      if (!arg || !/^[`"]/.test(arg)) return undefined;
      args.push(arg.startsWith('"') ? (JSON.parse(arg) as string) : arg.slice(1, -1));
      if (peek() === ',') i++;
    }
    i++;
    return { op: 'call', name: token, args };
  };
  const rule = expr();
  return rule && i === tokens.length ? rule : undefined;
}

function evaluate(rule: Rule, request: RoutedRequest): boolean {
  switch (rule.op) {
    case 'and':
      return evaluate(rule.left, request) && evaluate(rule.right, request);
    case 'or':
      return evaluate(rule.left, request) || evaluate(rule.right, request);
    case 'not':
      return !evaluate(rule.rule, request);
    case 'call': {
      const [a = '', b = ''] = rule.args;
      switch (rule.name) {
        case 'Host':
          return rule.args.some((h) => h.toLowerCase() === request.host);
        case 'Path':
          return rule.args.includes(request.path);
        case 'PathPrefix':
          return rule.args.some((p) => request.path.startsWith(p));
        case 'Method':
          return rule.args.includes(request.method);
        case 'Header':
        case 'Headers':
          return request.headers[a.toLowerCase()] === b;
        default:
          return false;
      }
    }
  }
}

function hostsOf(rule: Rule | undefined): string[] {
  if (!rule) return [];
  if (rule.op === 'call') return rule.name === 'Host' ? rule.args : [];
  if (rule.op === 'not') return [];
  return [...hostsOf(rule.left), ...hostsOf(rule.right)];
}

function pathOf(rule: Rule | undefined): string {
  if (!rule || rule.op === 'not') return '/';
  if (rule.op === 'call')
    return rule.name === 'PathPrefix' || rule.name === 'Path' ? (rule.args[0] ?? '/') : '/';
  const left = pathOf(rule.left);
  return left !== '/' ? left : pathOf(rule.right);
}

// --- routing ---------------------------------------------------------------------------

interface CompiledRoute {
  namespace: string;
  rule: Rule;
  priority: number;
  services: ServiceRef[];
  annotations: Record<string, string>;
  match: string;
}

class TraefikIndex {
  private builtAt = -1;
  private routes: CompiledRoute[] = [];

  get(view: ClusterView): CompiledRoute[] {
    const version = view.version(INGRESS_ROUTES);
    if (version === this.builtAt) return this.routes;
    const out: CompiledRoute[] = [];
    for (const ir of view.list<IngressRoute & { apiVersion: string; kind: string }>(
      INGRESS_ROUTES,
    )) {
      for (const route of ir.spec?.routes ?? []) {
        const rule = parseRule(route.match ?? '');
        if (!rule) continue;
        out.push({
          namespace: ir.metadata.namespace ?? '',
          rule,
          priority: route.priority || (route.match ?? '').length,
          services: route.services ?? [],
          annotations: ir.metadata.annotations ?? {},
          match: route.match ?? '',
        });
      }
    }
    this.routes = out.sort((a, b) => b.priority - a.priority);
    this.builtAt = version;
    return this.routes;
  }
}

/** Resolves a service list to one Kubernetes Service, recording each layer's metrics name. */
function resolve(
  services: ServiceRef[],
  namespace: string,
  view: ClusterView,
  random: () => number,
  layers: string[],
  depth: number,
): ServiceTarget | undefined {
  const chosen = pickWeighted(services, (s) => s.weight ?? 1, random);
  if (!chosen || depth > 8) return undefined;
  const ns = chosen.namespace ?? namespace;
  if (chosen.kind === 'TraefikService') {
    const ts = view.get<TraefikServiceObject & { apiVersion: string; kind: string }>(
      TRAEFIK_SERVICES,
      ns,
      chosen.name,
    );
    if (!ts) return undefined;
    layers.push(`${ns}-${chosen.name}@kubernetescrd`);
    return resolve(ts.spec?.weighted?.services ?? [], ns, view, random, layers, depth + 1);
  }
  layers.push(`${ns}-${chosen.name}-${chosen.port ?? ''}@kubernetescrd`);
  return { namespace: ns, name: chosen.name, port: chosen.port ?? '' };
}

class TraefikRouter implements TrafficRouter {
  readonly provider = 'traefik';

  constructor(
    readonly stage: 'edge' | 'mesh',
    private readonly index: TraefikIndex,
  ) {}

  route(
    request: RoutedRequest,
    view: ClusterView,
    random: () => number,
  ): RouteDecision | undefined {
    if (this.stage === 'mesh' && !addressedTo(request, TRAEFIK_PROXY)) return undefined;
    const route = this.index.get(view).find((r) => evaluate(r.rule, request));
    if (!route) return undefined;
    const layers: string[] = [];
    const backend = resolve(route.services, route.namespace, view, random, layers, 0);
    if (!backend) return undefined;
    return {
      backend,
      metrics: { provider: this.provider, labels: { services: layers.join(',') } },
    };
  }

  entryPoints(view: ClusterView): EntryPoint[] {
    if (this.stage === 'mesh') return [];
    const entries: EntryPoint[] = [];
    for (const route of this.index.get(view)) {
      const host = hostsOf(route.rule)[0];
      if (!host) continue;
      entries.push({
        url: `http://${host.toLowerCase()}${pathOf(route.rule)}`,
        annotations: route.annotations,
        backends: [TRAEFIK_PROXY, ...this.backendsOf(route.services, route.namespace, view, 0)],
      });
    }
    return entries;
  }

  private backendsOf(
    services: ServiceRef[],
    namespace: string,
    view: ClusterView,
    depth: number,
  ): { namespace: string; name: string }[] {
    if (depth > 8) return [];
    return services.flatMap((s) => {
      const ns = s.namespace ?? namespace;
      if (s.kind !== 'TraefikService') return [{ namespace: ns, name: s.name }];
      const ts = view.get<TraefikServiceObject & { apiVersion: string; kind: string }>(
        TRAEFIK_SERVICES,
        ns,
        s.name,
      );
      return this.backendsOf(ts?.spec?.weighted?.services ?? [], ns, view, depth + 1);
    });
  }
}

/** Traefik at the edge and through its `traefik.traefik` Service, sharing one index. */
export function createTraefikRouters(): TrafficRouter[] {
  const index = new TraefikIndex();
  return [new TraefikRouter('edge', index), new TraefikRouter('mesh', index)];
}
