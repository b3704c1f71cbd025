/**
 * The objects the controller generates for a canary, by Flagger's names: the primary
 * workload, the apex/primary/canary Services, the router's objects for its provider
 * (pkg/router/*.go) and the primary HPA; each with a one-line status for the detail view.
 * The detail lists only these, and only these may be read as YAML through the contract.
 */
import type { GeneratedObjectInfo } from '../../shared/api';
import { serviceNames, type Canary } from '../canary';
import type { KubeObject } from '../kube/api';
import { providerOf } from '../routers';
import { CONTOUR_API_VERSION } from '../routers/contour';
import { GLOO_API_VERSION, GLOO_GATEWAY_API_VERSION } from '../routers/gloo';
import { ISTIO_API_VERSION } from '../routers/istio';
import { KUMA_API_VERSION } from '../routers/kuma';
import { TRAEFIK_API_VERSION } from '../routers/traefik';

export interface GeneratedRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  role: string;
}

type RouterRef = Omit<GeneratedRef, 'namespace'> & { clusterScoped?: boolean };

const smiVersion = (provider: string): string =>
  provider === 'linkerd'
    ? 'v1alpha1'
    : provider === 'osm'
      ? 'v1alpha2'
      : (/^smi:(v1alpha[123])/.exec(provider)?.[1] ?? 'v1alpha2');

const appMeshRefs = (version: string, apex: string): RouterRef[] => {
  const apiVersion = `appmesh.k8s.aws/${version}`;
  return [
    { apiVersion, kind: 'VirtualService', name: apex, role: 'virtual service' },
    { apiVersion, kind: 'VirtualService', name: `${apex}-canary`, role: 'canary virtual service' },
    { apiVersion, kind: 'VirtualRouter', name: apex, role: 'virtual router' },
    { apiVersion, kind: 'VirtualRouter', name: `${apex}-canary`, role: 'canary virtual router' },
    { apiVersion, kind: 'VirtualNode', name: `${apex}-primary`, role: 'primary node' },
    { apiVersion, kind: 'VirtualNode', name: `${apex}-canary`, role: 'canary node' },
  ];
};

/**
 * The router's objects, per provider family (the first matching prefix wins), by the names and
 * API versions the router files in core/routers write (keep in step with them).
 */
const ROUTER_OBJECTS: {
  provider: string;
  refs: (canary: Canary, apex: string, provider: string) => RouterRef[];
}[] = [
  {
    provider: 'nginx',
    refs: (c) => [
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        name: `${c.spec.ingressRef?.name ?? ''}-canary`,
        role: 'canary ingress',
      },
    ],
  },
  {
    provider: 'skipper',
    refs: (c) => [
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        name: `${c.spec.ingressRef?.name ?? ''}-canary`,
        role: 'canary ingress',
      },
    ],
  },
  {
    provider: 'istio',
    refs: (_c, apex) => [
      { apiVersion: ISTIO_API_VERSION, kind: 'VirtualService', name: apex, role: 'route' },
      {
        apiVersion: ISTIO_API_VERSION,
        kind: 'DestinationRule',
        name: `${apex}-primary`,
        role: 'primary destination rule',
      },
      {
        apiVersion: ISTIO_API_VERSION,
        kind: 'DestinationRule',
        name: `${apex}-canary`,
        role: 'canary destination rule',
      },
    ],
  },
  ...['linkerd', 'osm', 'smi'].map((provider) => ({
    provider,
    refs: (_c: Canary, apex: string, p: string): RouterRef[] => [
      {
        apiVersion: `split.smi-spec.io/${smiVersion(p)}`,
        kind: 'TrafficSplit',
        name: apex,
        role: 'split',
      },
    ],
  })),
  {
    provider: 'contour',
    refs: (_c, apex) => [
      { apiVersion: CONTOUR_API_VERSION, kind: 'HTTPProxy', name: apex, role: 'route' },
    ],
  },
  {
    provider: 'gloo',
    refs: (c, apex) => {
      const ns = c.metadata.namespace ?? 'default';
      const port = c.spec.service.port;
      return [
        { apiVersion: GLOO_GATEWAY_API_VERSION, kind: 'RouteTable', name: apex, role: 'route' },
        {
          apiVersion: GLOO_API_VERSION,
          kind: 'Upstream',
          name: `${ns}-${apex}-primaryupstream-${port}`,
          role: 'primary upstream',
        },
        {
          apiVersion: GLOO_API_VERSION,
          kind: 'Upstream',
          name: `${ns}-${apex}-canaryupstream-${port}`,
          role: 'canary upstream',
        },
      ];
    },
  },
  {
    provider: 'traefik',
    refs: (_c, apex) => [
      { apiVersion: TRAEFIK_API_VERSION, kind: 'TraefikService', name: apex, role: 'route' },
    ],
  },
  {
    provider: 'gatewayapi',
    refs: (_c, apex, p) => [
      {
        apiVersion: `gateway.networking.k8s.io/${p.startsWith('gatewayapi:v1beta1') ? 'v1beta1' : 'v1'}`,
        kind: 'HTTPRoute',
        name: apex,
        role: 'route',
      },
    ],
  },
  {
    provider: 'kuma',
    refs: (_c, apex) => [
      {
        apiVersion: KUMA_API_VERSION,
        kind: 'TrafficRoute',
        name: apex,
        role: 'route',
        clusterScoped: true,
      },
    ],
  },
  {
    provider: 'apisix',
    refs: (c, apex) => [
      {
        apiVersion: 'apisix.apache.org/v2',
        kind: 'ApisixRoute',
        name: `${c.spec.routeRef?.name ?? ''}-${apex}-canary`,
        role: 'canary route',
      },
    ],
  },
  {
    provider: 'appmesh',
    refs: (_c, apex, p) => appMeshRefs(p === 'appmesh' ? 'v1beta1' : 'v1beta2', apex),
  },
];

export function generatedRefs(
  canary: Canary,
  options: { meshProvider?: string } = {},
): GeneratedRef[] {
  const namespace = canary.metadata.namespace ?? 'default';
  const target = canary.spec.targetRef;
  const names = serviceNames(canary);
  const refs: RouterRef[] = [
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
  const provider = providerOf(canary, options);
  const router = ROUTER_OBJECTS.find((r) => provider.startsWith(r.provider));
  if (router) refs.push(...router.refs(canary, names.apex, provider));
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
