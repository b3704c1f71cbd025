/**
 * Kuma's data plane for namespaces in the mesh (label or annotation
 * `kuma.io/sidecar-injection: enabled`): a request to a Service is a request to the Kuma service
 * `<name>_<namespace>_svc_<port>`; a TrafficRoute (kuma.io/v1alpha1, cluster-scoped) whose
 * destination matches it splits the requests by conf.split weights between the destinations'
 * services (Flagger's `<apex>` TrafficRoute: primary and canary). A TrafficRoute naming the
 * service exactly wins over a wildcard one.
 *
 * Metrics are Envoy's (../metrics/envoy.ts) as the destination's sidecar reports them: label
 * `service` = the data plane's kuma.io/service, `mesh`, envoy_cluster_name `localhost_<port>`
 * (its inbound cluster), and the pod's kubernetes_namespace / kubernetes_pod_name.
 */
import { envoyRoute } from '../metrics/envoy';
import type { KubeObject } from '../store';
import { R } from '../store';
import type { ClusterView } from '../view';
import type { RoutedRequest, RouteDecision, ServiceTarget, TrafficRouter } from './router';
import { pickWeighted } from './weighted';

const TRAFFIC_ROUTES = { group: 'kuma.io', resource: 'trafficroutes' };
const SERVICE_TAG = 'kuma.io/service';
const INJECTION = 'kuma.io/sidecar-injection';

interface TrafficRoute extends KubeObject {
  mesh?: string;
  spec?: {
    sources?: { match?: Record<string, string> }[];
    destinations?: { match?: Record<string, string> }[];
    conf?: {
      split?: { weight?: number; destination?: Record<string, string> }[];
      destination?: Record<string, string>;
    };
  };
}

interface Service extends KubeObject {
  spec?: { ports?: { name?: string; port: number }[] };
}

/** `<name>_<namespace>_svc_<port>` back into a Service target. */
function parseServiceTag(tag: string): ServiceTarget | undefined {
  const m = /^(.+)_([^_]+)_svc_(\d+)$/.exec(tag);
  return m ? { name: m[1]!, namespace: m[2]!, port: Number(m[3]) } : undefined;
}

function inMesh(view: ClusterView, namespace: string): boolean {
  const ns = view.get(R.namespaces, undefined, namespace);
  return (
    ns?.metadata.labels?.[INJECTION] === 'enabled' ||
    ns?.metadata.annotations?.[INJECTION] === 'enabled'
  );
}

class KumaRouter implements TrafficRouter {
  readonly provider = 'kuma';
  readonly stage = 'mesh' as const;

  route(
    request: RoutedRequest,
    view: ClusterView,
    random: () => number,
  ): RouteDecision | undefined {
    const target = request.service;
    if (!target || !inMesh(view, target.namespace)) return undefined;
    // Kuma names services by port number; a named port is looked up on the Service.
    let port = target.port;
    if (typeof port === 'string') {
      const service = view.get<
        Service & { apiVersion: string; kind: string; metadata: { name: string } }
      >(R.services, target.namespace, target.name);
      port = service?.spec?.ports?.find((p) => p.name === port)?.port ?? port;
    }
    const tag = `${target.name}_${target.namespace}_svc_${port}`;
    const routes = view.list<TrafficRoute & { apiVersion: string; kind: string }>(TRAFFIC_ROUTES);
    const matches = (r: TrafficRoute, exact: boolean) =>
      (r.spec?.destinations ?? []).some((d) => {
        const want = d.match?.[SERVICE_TAG];
        return exact ? want === tag : want === '*';
      });
    const route = routes.find((r) => matches(r, true)) ?? routes.find((r) => matches(r, false));
    let backend: ServiceTarget = { ...target, port };
    let serviceTag = tag;
    const splits = route?.spec?.conf?.split ?? [];
    if (splits.length > 0) {
      const split = pickWeighted(splits, (s) => s.weight ?? 0, random);
      const chosenTag = split?.destination?.[SERVICE_TAG];
      const parsed = chosenTag ? parseServiceTag(chosenTag) : undefined;
      if (!parsed || !chosenTag) return undefined;
      backend = parsed;
      serviceTag = chosenTag;
    }
    return {
      backend,
      metrics: envoyRoute(
        {
          envoy_cluster_name: `localhost_${backend.port}`,
          service: serviceTag,
          mesh: route?.mesh ?? 'default',
        },
        { sidecar: true },
      ),
    };
  }
}

export function createKumaRouter(): TrafficRouter {
  return new KumaRouter();
}
