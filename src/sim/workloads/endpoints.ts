/**
 * The Endpoints controller: for each Service with a selector, an Endpoints object of the
 * same name listing the selected pods' IPs, ready pods under addresses and the others
 * under notReadyAddresses, with the Service's ports resolved to target ports.
 */
import type { EndpointAddress, Endpoints, Pod, Service } from '../kube';
import { isPodReady, matchesServiceSelector, sameJson } from '../kube';
import { R } from '../store';
import type { ControllerContext } from './context';
import { selectorString } from './replicasets';

export function reconcileEndpoints(ctx: ControllerContext, namespace: string, name: string): void {
  const service = ctx.store.get(R.services, namespace, name) as Service | undefined;
  const existing = ctx.store.get(R.endpoints, namespace, name) as Endpoints | undefined;
  if (!service) {
    // Endpoints carry no owner reference; the controller removes them with their Service.
    if (existing) ctx.store.delete(R.endpoints, namespace, name);
    return;
  }
  const selector = service.spec?.selector;
  if (!selector || Object.keys(selector).length === 0) return; // endpoints managed by hand

  const labelSelector = selectorString(selector);
  const pods = (
    ctx.store.list(R.pods, namespace, labelSelector ? { labelSelector } : undefined) as Pod[]
  )
    .filter(
      (p) =>
        matchesServiceSelector(selector, p.metadata.labels) &&
        p.status?.podIP &&
        !p.metadata.deletionTimestamp,
    )
    .sort((a, b) => ipOrder(a.status?.podIP ?? '') - ipOrder(b.status?.podIP ?? ''));
  const address = (p: Pod): EndpointAddress => ({
    ip: p.status?.podIP ?? '',
    nodeName: p.spec?.nodeName,
    targetRef: { kind: 'Pod', namespace, name: p.metadata.name, uid: p.metadata.uid },
  });
  const ready = pods.filter(isPodReady).map(address);
  const notReady = pods.filter((p) => !isPodReady(p)).map(address);
  const ports = (service.spec?.ports ?? []).map((port) => {
    let target = port.targetPort ?? port.port;
    if (typeof target === 'string') {
      // A named target port is looked up in the pods' container ports.
      const named = pods
        .flatMap((p) => p.spec?.containers ?? [])
        .flatMap((c) => c.ports ?? [])
        .find((cp) => cp.name === target);
      target = named?.containerPort ?? port.port;
    }
    return {
      ...(port.name ? { name: port.name } : {}),
      port: Number(target) || port.port,
      protocol: port.protocol ?? 'TCP',
    };
  });
  const subsets =
    pods.length === 0
      ? []
      : [
          {
            ...(ready.length ? { addresses: ready } : {}),
            ...(notReady.length ? { notReadyAddresses: notReady } : {}),
            ports,
          },
        ];
  const endpoints: Endpoints = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: {
      name,
      namespace,
      ...(service.metadata.labels ? { labels: { ...service.metadata.labels } } : {}),
    },
    subsets,
  };
  if (!existing) {
    ctx.store.create(R.endpoints, endpoints);
  } else if (
    !sameJson(existing.subsets ?? [], subsets) ||
    !sameJson(existing.metadata.labels, endpoints.metadata.labels)
  ) {
    ctx.store.mutate(R.endpoints, namespace, name, (o) => {
      o['subsets'] = subsets;
      if (endpoints.metadata.labels) o.metadata.labels = endpoints.metadata.labels;
    });
  }
}

function ipOrder(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + (Number(part) || 0), 0);
}
