/**
 * Plain Kubernetes Services: cluster DNS names resolve to Services, and kube-proxy sends
 * each connection to a random ready endpoint (iptables mode picks at random).
 */
import type { Endpoints, Pod, Service } from '../kube';
import { R } from '../store';
import type { ServiceTarget, TrafficRouter } from './router';
import type { ClusterView } from '../view';

/**
 * Resolves a cluster DNS name the way a pod's resolv.conf search path does:
 * `svc` (in the client's namespace), `svc.ns`, `svc.ns.svc`, `svc.ns.svc.cluster.local`.
 */
export function resolveServiceHost(
  host: string,
  fromNamespace: string,
  view: ClusterView,
): { namespace: string; name: string } | undefined {
  const labels = host.toLowerCase().replace(/\.$/, '').split('.');
  let name: string | undefined;
  let namespace: string | undefined;
  if (labels.length === 1) [name, namespace] = [labels[0], fromNamespace];
  else if (labels.length === 2) [name, namespace] = labels;
  else if (labels.length === 3 && labels[2] === 'svc') [name, namespace] = labels;
  else if (labels.length === 5 && labels.slice(2).join('.') === 'svc.cluster.local')
    [name, namespace] = labels;
  if (!name || !namespace) return undefined;
  return view.get(R.services, namespace, name) ? { namespace, name } : undefined;
}

/** Whether the Service has a ready endpoint: a proxy skips (or is not yet) a backend without one. */
export function hasReadyEndpoints(
  view: ClusterView,
  service: { namespace: string; name: string },
): boolean {
  const endpoints = view.get<Endpoints>(R.endpoints, service.namespace, service.name);
  return (endpoints?.subsets ?? []).some((s) => (s.addresses ?? []).length > 0);
}

export type EndpointPick =
  | { ok: true; pod: Pod; targetPort: number }
  | { ok: false; reason: 'no-service' | 'no-port' | 'no-endpoints'; message: string };

/** The kube-proxy hop: Service port → a random ready endpoint and its target port. */
export function pickEndpoint(
  target: ServiceTarget,
  view: ClusterView,
  random: () => number,
): EndpointPick {
  const service = view.get<Service>(R.services, target.namespace, target.name);
  if (!service)
    return { ok: false, reason: 'no-service', message: `services "${target.name}" not found` };
  const ports = service.spec?.ports ?? [];
  const port =
    target.port === ''
      ? ports[0]
      : ports.find(
          (p) => p.port === Number(target.port) || (p.name !== undefined && p.name === target.port),
        );
  if (!port) {
    return {
      ok: false,
      reason: 'no-port',
      message: `no service port "${target.port}" found for service "${target.name}"`,
    };
  }
  const endpoints = view.get<Endpoints>(R.endpoints, target.namespace, target.name);
  const candidates: { podName: string; port: number }[] = [];
  for (const subset of endpoints?.subsets ?? []) {
    const subsetPort =
      subset.ports?.find((p) => (port.name ? p.name === port.name : true)) ?? subset.ports?.[0];
    for (const address of subset.addresses ?? []) {
      if (address.targetRef?.kind === 'Pod') {
        candidates.push({ podName: address.targetRef.name, port: subsetPort?.port ?? port.port });
      }
    }
  }
  // Endpoints can lag a deleted pod for a moment; such an address refuses the connection.
  const live = candidates.filter((c) => view.get(R.pods, target.namespace, c.podName));
  const choice = live[Math.floor(random() * live.length)];
  const pod = choice && view.get<Pod>(R.pods, target.namespace, choice.podName);
  if (!choice || !pod) {
    return {
      ok: false,
      reason: 'no-endpoints',
      message: `no endpoints available for service "${target.name}"`,
    };
  }
  return { ok: true, pod, targetPort: choice.port };
}

/** Plain kube-proxy routing: the Service a request was addressed to is where it goes. */
export const serviceRouter: TrafficRouter = {
  provider: 'kubernetes',
  stage: 'mesh',
  route: (request) => (request.service ? { backend: request.service } : undefined),
};
