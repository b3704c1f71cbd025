/**
 * The objects the controller generates for a canary, by Flagger's names: the primary
 * workload, the apex/primary/canary Services, the router's objects for its provider
 * (each router names its own, TrafficRouter.objects) and the primary HPA; each with a one-line
 * status for the detail view.
 * The detail lists only these, and only these may be read as YAML through the contract.
 */
import type { GeneratedObjectInfo } from '../../shared/api';
import { isKnativeService, serviceNames, type Canary } from '../canary';
import type { KubeObject } from '../kube/api';
import type { RoutingObjectRef, TrafficRouter } from '../controller/ports';

export interface GeneratedRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  role: string;
}

/** The canary's generated objects; `router` (its provider's) names the routing objects. */
export function generatedRefs(canary: Canary, router?: TrafficRouter): GeneratedRef[] {
  const namespace = canary.metadata.namespace ?? 'default';
  const target = canary.spec.targetRef;
  const names = serviceNames(canary);
  // A Knative Service is its own primary and canary: only the router's object is generated.
  if (isKnativeService(target)) {
    return (router?.objects?.(canary) ?? []).map(({ clusterScoped: _c, ...r }) => ({
      ...r,
      namespace,
    }));
  }
  const refs: RoutingObjectRef[] = [
    {
      apiVersion: target.apiVersion || 'apps/v1',
      kind: target.kind,
      name: `${target.name}-primary`,
      role: 'primary',
    },
    { apiVersion: 'v1', kind: 'Service', name: names.apex, role: 'apex service' },
    { apiVersion: 'v1', kind: 'Service', name: names.primary, role: 'primary service' },
    { apiVersion: 'v1', kind: 'Service', name: names.canary, role: 'canary service' },
  ];
  refs.push(...(router?.objects?.(canary) ?? []));
  const scaler = canary.spec.autoscalerRef;
  if (scaler?.name) {
    refs.push({
      apiVersion: scaler.apiVersion || 'autoscaling/v2',
      kind: scaler.kind || 'HorizontalPodAutoscaler',
      name: `${scaler.name}-primary`,
      role: 'primary autoscaler',
    });
  }
  return refs.map(({ clusterScoped, ...r }) => ({
    ...r,
    // Cluster-scoped objects (Kuma's TrafficRoute) are read without a namespace.
    namespace: clusterScoped ? '' : namespace,
  }));
}

const shortImage = (image: string | undefined): string =>
  image ? (image.split('/').pop() ?? image) : '';

/** A one-line status in kubectl's words ("2/2 ready · podinfo:6.0.1"). */
export function objectStatusLine(object: KubeObject | undefined): string {
  if (!object) return 'not created yet';
  const spec = (object.spec ?? {}) as Record<string, unknown>;
  const status = (object.status ?? {}) as Record<string, unknown>;
  const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
  switch (object.kind) {
    case 'Deployment': {
      const containers = (
        spec.template as { spec?: { containers?: { image?: string }[] } } | undefined
      )?.spec?.containers;
      const image = shortImage(containers?.[0]?.image);
      const ready = `${num(status.readyReplicas)}/${num(spec.replicas)} ready`;
      return image ? `${ready} · ${image}` : ready;
    }
    case 'DaemonSet':
      return `${num(status.numberReady)}/${num(status.desiredNumberScheduled)} ready`;
    case 'Service': {
      const ports = (spec.ports as { port?: number; targetPort?: number | string }[] | undefined)
        ?.map((p) => `${p.port ?? ''}→${p.targetPort ?? p.port ?? ''}`)
        .join(', ');
      const type = typeof spec.type === 'string' ? spec.type : 'ClusterIP';
      const ip = typeof spec.clusterIP === 'string' ? ` ${spec.clusterIP}` : '';
      return `${type}${ip}${ports ? ` · ${ports}` : ''}`;
    }
    case 'Ingress': {
      const annotations = object.metadata.annotations ?? {};
      const weight = Object.entries(annotations).find(([k]) => k.endsWith('/canary-weight'));
      const header = Object.entries(annotations).find(([k]) => k.endsWith('/canary-by-header'));
      if (header) return `canary by header ${header[1]}`;
      return weight ? `canary-weight ${weight[1]}` : 'ingress';
    }
    case 'HorizontalPodAutoscaler':
      return `${num(status.currentReplicas)} replicas (min ${num(spec.minReplicas) || 1}, max ${num(spec.maxReplicas)})`;
    default:
      return 'exists';
  }
}

export function generatedObjectInfo(
  ref: GeneratedRef,
  object: KubeObject | undefined,
): GeneratedObjectInfo {
  return {
    apiVersion: ref.apiVersion,
    kind: ref.kind,
    name: ref.name,
    namespace: ref.namespace,
    role: ref.role,
    exists: object !== undefined,
    status: objectStatusLine(object),
  };
}
