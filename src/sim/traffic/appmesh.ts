/**
 * AWS App Mesh: the Envoy sidecars and the App Mesh gateway, configured by the App Mesh
 * controller's objects (appmesh.k8s.aws).
 *
 * - mesh: a request to a Service whose DNS name a VirtualService serves (its awsName, by default
 *   `<name>.<namespace>`) follows that VirtualService's provider: a VirtualRouter's routes
 *   (highest priority first; URI prefix, method and header match: exact, prefix, suffix, regex
 *   (full match), range, invert), then a weighted pick among the route's targets, or a
 *   VirtualNode directly. A VirtualNode sends to the Service its DNS service discovery names.
 *   The legacy v1beta1 VirtualService (routes embedded, `virtualNodeName` targets) is read too.
 * - gateway: a VirtualGateway's pods are an Envoy too. A request to the Service in front of them
 *   (or, from outside, to a hostname a GatewayRoute matches) follows the gateway's
 *   GatewayRoutes to a VirtualService, and on as above. A VirtualService annotated
 *   `gateway.appmesh.k8s.aws/expose: "true"` (what Flagger sets from spec.service.hosts) is
 *   served at its `gateway.appmesh.k8s.aws/domain` hosts, as the App Mesh gateway did.
 *
 * Metrics: the destination pod's sidecar reports the request (envoy_cluster_upstream_rq with
 * kubernetes_namespace / kubernetes_pod_name, see ../metrics/envoy.ts), which is what Flagger's
 * builtin appmesh queries select.
 */
import { matchesSelector, type LabelSelector, type Service } from '../kube';
import { envoyRoute } from '../metrics/envoy';
import type { KubeObject, ResourceRef } from '../store';
import { R } from '../store';
import type { ClusterView } from '../view';
import type {
  EntryPoint,
  RoutedRequest,
  RouteDecision,
  ServiceTarget,
  TrafficRouter,
} from './router';
import { fullMatch, type StringMatch, stringMatches } from './match';
import { drawWeighted } from './weighted';

const GROUP = 'appmesh.k8s.aws';
export const APPMESH: Record<
  'meshes' | 'virtualNodes' | 'virtualRouters' | 'virtualServices' | 'gateways' | 'gatewayRoutes',
  ResourceRef
> = {
  meshes: { group: GROUP, resource: 'meshes' },
  virtualNodes: { group: GROUP, resource: 'virtualnodes' },
  virtualRouters: { group: GROUP, resource: 'virtualrouters' },
  virtualServices: { group: GROUP, resource: 'virtualservices' },
  gateways: { group: GROUP, resource: 'virtualgateways' },
  gatewayRoutes: { group: GROUP, resource: 'gatewayroutes' },
};

const EXPOSE = 'gateway.appmesh.k8s.aws/expose';
const DOMAIN = 'gateway.appmesh.k8s.aws/domain';

/** App Mesh's HeaderMatchMethod: one of exact, prefix, suffix, regex or range. */
interface HeaderMatch extends StringMatch {
  range?: { start?: number; end?: number };
}

interface RouteHeader {
  name: string;
  match?: HeaderMatch;
  invert?: boolean;
}

interface HttpMatch {
  prefix?: string;
  path?: { exact?: string; regex?: string };
  method?: string;
  headers?: RouteHeader[];
  hostname?: { exact?: string; suffix?: string };
}

interface Target {
  /** v1beta2 */
  virtualNodeRef?: { name: string; namespace?: string };
  /** v1beta1 */
  virtualNodeName?: string;
  weight?: number;
}

interface MeshRoute {
  name?: string;
  priority?: number;
  httpRoute?: { match?: HttpMatch; action?: { weightedTargets?: Target[] } };
  http2Route?: { match?: HttpMatch; action?: { weightedTargets?: Target[] } };
  /** v1beta1 */
  http?: { match?: HttpMatch; action?: { weightedTargets?: Target[] } };
}

interface VirtualService extends KubeObject {
  spec?: {
    awsName?: string;
    provider?: {
      virtualRouter?: { virtualRouterRef?: { name: string; namespace?: string } };
      virtualNode?: { virtualNodeRef?: { name: string; namespace?: string } };
    };
    /** v1beta1 */
    meshName?: string;
    routes?: MeshRoute[];
  };
}

interface VirtualRouter extends KubeObject {
  spec?: { routes?: MeshRoute[] };
}

interface VirtualNode extends KubeObject {
  spec?: {
    meshName?: string;
    meshRef?: { name?: string };
    listeners?: { portMapping?: { port?: number; protocol?: string } }[];
    serviceDiscovery?: { dns?: { hostname?: string; hostName?: string } };
  };
}

interface Mesh extends KubeObject {
  spec?: { namespaceSelector?: LabelSelector };
}

interface VirtualGateway extends KubeObject {
  spec?: {
    namespaceSelector?: LabelSelector;
    gatewayRouteSelector?: LabelSelector;
    podSelector?: LabelSelector;
    listeners?: { portMapping?: { port?: number } }[];
  };
}

interface GatewayRouteAction {
  target?: {
    virtualService?: { virtualServiceRef?: { name: string; namespace?: string } };
  };
}

interface GatewayRoute extends KubeObject {
  spec?: {
    priority?: number;
    virtualGatewayRef?: { name: string; namespace?: string };
    httpRoute?: { match?: HttpMatch; action?: GatewayRouteAction };
    http2Route?: { match?: HttpMatch; action?: GatewayRouteAction };
  };
}

interface Gateway {
  object: VirtualGateway;
  /** Services in front of the gateway's pods. */
  services: Service[];
  routes: GatewayRoute[];
}

interface Index {
  /** VirtualServices by the DNS name they serve ("name.namespace"). */
  byHost: Map<string, VirtualService>;
  gateways: Gateway[];
}

/** A DNS name as "name.namespace" ("podinfo.test.svc.cluster.local." → "podinfo.test"). */
function hostKey(host: string, namespace: string): string {
  const h = host
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/\.svc(\.cluster\.local)?$/, '');
  return h.includes('.') ? h : `${h}.${namespace}`;
}

/** metav1.LabelSelectorAsSelector: nil selects nothing, {} everything. */
function selects(
  selector: LabelSelector | undefined,
  labels: Record<string, string> = {},
): boolean {
  if (!selector) return false;
  if (!selector.matchLabels && !selector.matchExpressions) return true;
  return matchesSelector(selector, labels);
}

function headerMatches(header: RouteHeader, request: RoutedRequest): boolean {
  const value = request.headers[header.name.toLowerCase()];
  let matched: boolean;
  const m = header.match;
  if (value === undefined) matched = false;
  else if (m?.range) {
    const n = Number(value);
    matched =
      /^-?\d+$/.test(value) && n >= (m.range.start ?? -Infinity) && n < (m.range.end ?? Infinity);
  } else matched = stringMatches(m ?? {}, value);
  return header.invert ? !matched : matched;
}

function httpMatches(match: HttpMatch | undefined, request: RoutedRequest): boolean {
  if (!match) return true;
  if (match.prefix !== undefined && !request.path.startsWith(match.prefix)) return false;
  if (match.path?.exact !== undefined && request.path !== match.path.exact) return false;
  if (match.path?.regex !== undefined && !fullMatch(match.path.regex, request.path)) return false;
  if (match.method && match.method.toUpperCase() !== request.method) return false;
  if (match.hostname?.exact !== undefined && request.host !== match.hostname.exact.toLowerCase())
    return false;
  if (
    match.hostname?.suffix !== undefined &&
    !request.host.endsWith(match.hostname.suffix.toLowerCase())
  )
    return false;
  return (match.headers ?? []).every((h) => headerMatches(h, request));
}

/** Explicit priorities first (lowest number wins), then the order written. */
function byPriority<T extends { priority?: number }>(items: T[]): T[] {
  return items
    .map((item, i) => ({ item, i }))
    .sort((a, b) => (a.item.priority ?? Infinity) - (b.item.priority ?? Infinity) || a.i - b.i)
    .map(({ item }) => item);
}

function listSafe<T extends KubeObject>(view: ClusterView, ref: ResourceRef): T[] {
  try {
    return view.list<T>(ref);
  } catch {
    return []; // a cluster without the App Mesh CRDs
  }
}

function versionSafe(view: ClusterView, ref: ResourceRef): number {
  try {
    return view.version(ref);
  } catch {
    return -1;
  }
}

class AppMeshRouter implements TrafficRouter {
  readonly provider = 'appmesh';
  private builtAt = '';
  private cached: Index = { byHost: new Map(), gateways: [] };

  constructor(readonly stage: 'edge' | 'mesh') {}

  private index(view: ClusterView): Index {
    const refs = [
      APPMESH.virtualServices,
      APPMESH.gateways,
      APPMESH.gatewayRoutes,
      R.services,
      R.namespaces,
    ];
    const version = refs.map((r) => versionSafe(view, r)).join('/');
    if (version === this.builtAt) return this.cached;
    const byHost = new Map<string, VirtualService>();
    const services = listSafe<VirtualService>(view, APPMESH.virtualServices).sort((a, b) =>
      (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''),
    );
    for (const vs of services) {
      const ns = vs.metadata.namespace ?? '';
      // v1beta1 names the object by its DNS name; v1beta2 has awsName, defaulted by the webhook.
      const name = vs.apiVersion.endsWith('/v1beta1')
        ? vs.metadata.name
        : (vs.spec?.awsName ?? `${vs.metadata.name}.${ns}`);
      const key = hostKey(name, ns);
      if (!byHost.has(key)) byHost.set(key, vs);
    }
    const namespaces = new Map(
      view.list(R.namespaces).map((n) => [n.metadata.name, n.metadata.labels ?? {}]),
    );
    const routes = listSafe<GatewayRoute>(view, APPMESH.gatewayRoutes);
    const gateways = listSafe<VirtualGateway>(view, APPMESH.gateways).map((vg) => {
      const ns = vg.metadata.namespace ?? '';
      const podLabels = vg.spec?.podSelector?.matchLabels ?? {};
      const fronting = view
        .list<Service>(R.services)
        .filter(
          (s) =>
            s.metadata.namespace === ns &&
            Object.keys(s.spec?.selector ?? {}).length > 0 &&
            Object.entries(s.spec?.selector ?? {}).every(([k, v]) => podLabels[k] === v),
        );
      const member = (gr: GatewayRoute): boolean => {
        const ref = gr.spec?.virtualGatewayRef;
        if (ref) return ref.name === vg.metadata.name && (ref.namespace ?? ns) === ns;
        const grNamespace = namespaces.get(gr.metadata.namespace ?? '');
        if (!selects(vg.spec?.namespaceSelector, grNamespace)) return false;
        return (
          !vg.spec?.gatewayRouteSelector ||
          selects(vg.spec.gatewayRouteSelector, gr.metadata.labels)
        );
      };
      return { object: vg, services: fronting, routes: routes.filter(member) };
    });
    // Longer prefixes first among equal priorities, as Envoy is given them.
    for (const g of gateways) {
      g.routes = g.routes
        .map((route, i) => ({ route, i }))
        .sort(
          (a, b) =>
            (a.route.spec?.priority ?? Infinity) - (b.route.spec?.priority ?? Infinity) ||
            prefixOf(b.route).length - prefixOf(a.route).length ||
            a.i - b.i,
        )
        .map(({ route }) => route);
    }
    this.cached = { byHost, gateways };
    this.builtAt = version;
    return this.cached;
  }

  route(
    request: RoutedRequest,
    view: ClusterView,
    random: () => number,
  ): RouteDecision | undefined {
    const index = this.index(view);
    if (this.stage === 'mesh') {
      const target = request.service;
      if (!target) return undefined;
      const gateway = index.gateways.find((g) =>
        g.services.some(
          (s) => s.metadata.name === target.name && s.metadata.namespace === target.namespace,
        ),
      );
      if (gateway) return this.throughGateway(gateway, request, view, random, index);
      const vs = index.byHost.get(`${target.name}.${target.namespace}`);
      return vs ? this.throughService(vs, request, view, random) : undefined;
    }
    // From outside: a hostname a gateway route matches, else an exposed VirtualService domain.
    for (const gateway of index.gateways) {
      const hostRoutes = gateway.routes.filter((r) => routeMatch(r)?.hostname !== undefined);
      const decision = this.throughGateway(
        { ...gateway, routes: hostRoutes },
        request,
        view,
        random,
        index,
      );
      if (decision) return decision;
    }
    const exposed = [...index.byHost.values()].filter((vs) =>
      exposedDomains(vs).some((d) => d === request.host),
    );
    const wildcard = [...index.byHost.values()].filter((vs) => exposedDomains(vs).includes('*'));
    const vs = exposed[0] ?? wildcard[0];
    return vs ? this.throughService(vs, request, view, random) : undefined;
  }

  entryPoints(view: ClusterView): EntryPoint[] {
    if (this.stage !== 'edge') return [];
    const index = this.index(view);
    const entries = new Map<string, EntryPoint>();
    const served = new Set<VirtualService>();
    for (const gateway of index.gateways) {
      const service = gateway.services[0];
      if (!service) continue;
      const port = service.spec?.ports?.[0]?.port ?? 80;
      const gatewayHost = `${service.metadata.name}.${service.metadata.namespace ?? ''}`;
      for (const gr of gateway.routes) {
        const vs = gatewayTarget(gr, index, view);
        if (!vs) continue;
        served.add(vs);
        const match = routeMatch(gr);
        const host = match?.hostname?.exact ?? `${gatewayHost}:${port}`;
        const url = `http://${host}${match?.prefix ?? '/'}`;
        if (entries.has(url)) continue;
        entries.set(url, {
          url,
          annotations: gr.metadata.annotations ?? {},
          backends: [
            { namespace: service.metadata.namespace ?? '', name: service.metadata.name },
            ...backendServices(vs, view, index),
          ],
        });
      }
    }
    for (const vs of index.byHost.values()) {
      if (served.has(vs)) continue;
      for (const domain of exposedDomains(vs).filter((d) => d !== '*')) {
        const url = `http://${domain}/`;
        if (entries.has(url)) continue;
        entries.set(url, {
          url,
          annotations: vs.metadata.annotations ?? {},
          backends: backendServices(vs, view, index),
        });
      }
    }
    return [...entries.values()];
  }

  private throughGateway(
    gateway: Gateway,
    request: RoutedRequest,
    view: ClusterView,
    random: () => number,
    index: Index,
  ): RouteDecision | undefined {
    for (const gr of gateway.routes) {
      if (!httpMatches(routeMatch(gr), request)) continue;
      const vs = gatewayTarget(gr, index, view);
      return vs ? this.throughService(vs, request, view, random) : undefined;
    }
    return undefined;
  }

  private throughService(
    vs: VirtualService,
    request: RoutedRequest,
    view: ClusterView,
    random: () => number,
  ): RouteDecision | undefined {
    const ns = vs.metadata.namespace ?? '';
    const node = pickNode(vs, request, view, random);
    if (!node) return undefined;
    const backend = nodeService(node, view);
    if (!backend) return undefined;
    const listener = node.spec?.listeners?.[0]?.portMapping;
    const mesh = node.spec?.meshRef?.name ?? node.spec?.meshName ?? meshOf(view, ns) ?? '';
    return {
      backend,
      metrics: envoyRoute(
        {
          envoy_cluster_name: `cds_ingress_${mesh}_${node.metadata.name}_${ns}_${listener?.protocol ?? 'http'}_${listener?.port ?? backend.port}`,
        },
        { sidecar: true },
      ),
    };
  }
}

function routeMatch(gr: GatewayRoute): HttpMatch | undefined {
  return (gr.spec?.httpRoute ?? gr.spec?.http2Route)?.match;
}

function prefixOf(gr: GatewayRoute): string {
  return routeMatch(gr)?.prefix ?? '';
}

function exposedDomains(vs: VirtualService): string[] {
  const annotations = vs.metadata.annotations ?? {};
  if (annotations[EXPOSE] !== 'true') return [];
  return (annotations[DOMAIN] ?? '')
    .split(',')
    .map((d) => d.trim().toLowerCase())
    .filter((d) => d !== '');
}

function gatewayTarget(
  gr: GatewayRoute,
  index: Index,
  view: ClusterView,
): VirtualService | undefined {
  const action = (gr.spec?.httpRoute ?? gr.spec?.http2Route)?.action;
  const ref = action?.target?.virtualService?.virtualServiceRef;
  if (!ref) return undefined;
  const ns = ref.namespace ?? gr.metadata.namespace ?? '';
  const byName = view.get<VirtualService>(APPMESH.virtualServices, ns, ref.name);
  return byName ?? index.byHost.get(hostKey(ref.name, ns));
}

/** The Mesh whose namespaceSelector takes this namespace. */
function meshOf(view: ClusterView, namespace: string): string | undefined {
  const labels = view.get(R.namespaces, undefined, namespace)?.metadata.labels ?? {};
  return listSafe<Mesh>(view, APPMESH.meshes).find((m) =>
    selects(m.spec?.namespaceSelector, labels),
  )?.metadata.name;
}

/** The VirtualService's routes: its VirtualRouter's (v1beta2) or its own (v1beta1). */
function routesOf(vs: VirtualService, view: ClusterView): MeshRoute[] | undefined {
  if (vs.apiVersion.endsWith('/v1beta1')) return vs.spec?.routes;
  const ref = vs.spec?.provider?.virtualRouter?.virtualRouterRef;
  if (!ref) return undefined;
  const ns = ref.namespace ?? vs.metadata.namespace ?? '';
  return view.get<VirtualRouter>(APPMESH.virtualRouters, ns, ref.name)?.spec?.routes;
}

function nodeOf(target: Target, namespace: string, view: ClusterView): VirtualNode | undefined {
  const name = target.virtualNodeRef?.name ?? target.virtualNodeName;
  if (!name) return undefined;
  return view.get<VirtualNode>(
    APPMESH.virtualNodes,
    target.virtualNodeRef?.namespace ?? namespace,
    name,
  );
}

function pickNode(
  vs: VirtualService,
  request: RoutedRequest,
  view: ClusterView,
  random: () => number,
): VirtualNode | undefined {
  const ns = vs.metadata.namespace ?? '';
  const direct = vs.spec?.provider?.virtualNode?.virtualNodeRef;
  if (direct) return nodeOf({ virtualNodeRef: direct }, ns, view);
  for (const route of byPriority(routesOf(vs, view) ?? [])) {
    const http = route.httpRoute ?? route.http2Route ?? route.http;
    if (!http || !httpMatches(http.match, request)) continue;
    const targets = http.action?.weightedTargets ?? [];
    const chosen = drawWeighted(targets, (t) => t.weight ?? 0, random);
    return chosen ? nodeOf(chosen, ns, view) : undefined;
  }
  return undefined;
}

/** The Service a VirtualNode's DNS service discovery names, on the listener's port. */
function nodeService(node: VirtualNode, view: ClusterView): ServiceTarget | undefined {
  const ns = node.metadata.namespace ?? '';
  const dns = node.spec?.serviceDiscovery?.dns;
  const hostname = dns?.hostname ?? dns?.hostName;
  if (!hostname) return undefined;
  const [name, namespace] = hostKey(hostname, ns).split('.');
  if (!name || !namespace) return undefined;
  const service = view.get<Service>(R.services, namespace, name);
  if (!service) return undefined;
  const listenerPort = node.spec?.listeners?.[0]?.portMapping?.port;
  const ports = service.spec?.ports ?? [];
  const port =
    ports.find((p) => p.port === listenerPort) ??
    ports.find((p) => p.targetPort === listenerPort) ??
    ports[0];
  return { namespace, name, port: port?.port ?? listenerPort ?? '' };
}

/** Every Service a VirtualService can send to (for the traffic generator's "fronted" set). */
function backendServices(
  vs: VirtualService,
  view: ClusterView,
  index: Index,
): { namespace: string; name: string }[] {
  const ns = vs.metadata.namespace ?? '';
  const out = new Map<string, { namespace: string; name: string }>();
  for (const [host, served] of index.byHost) {
    if (served !== vs) continue;
    const [name, namespace] = host.split('.');
    if (name && namespace) out.set(host, { namespace, name });
  }
  const direct = vs.spec?.provider?.virtualNode?.virtualNodeRef;
  const targets: Target[] = direct
    ? [{ virtualNodeRef: direct }]
    : (routesOf(vs, view) ?? []).flatMap(
        (r) => (r.httpRoute ?? r.http2Route ?? r.http)?.action?.weightedTargets ?? [],
      );
  for (const target of targets) {
    const node = nodeOf(target, ns, view);
    const service = node && nodeService(node, view);
    if (service) out.set(`${service.name}.${service.namespace}`, service);
  }
  return [...out.values()].map(({ namespace, name }) => ({ namespace, name }));
}

/** The gateway and mesh halves (edge: external hosts; mesh: Services in the cluster). */
export function createAppMeshRouters(): TrafficRouter[] {
  return [new AppMeshRouter('edge'), new AppMeshRouter('mesh')];
}
