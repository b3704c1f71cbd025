/**
 * Traffic routers by provider, as Flagger's router.Factory.MeshRouter picks them
 * (pkg/router/factory.go). Adding a mesh is one file and one line in ROUTERS.
 */
import type { Canary } from '../canary';
import type { TrafficRouter } from '../controller/ports';
import type { KubeApi } from '../kube/api';
import { KubernetesRouter } from './kubernetes';
import { NginxRouter } from './nginx';
import * as t from './texts';

export { KubernetesServiceRouter } from './kubernetes-services';
export type { KubernetesServiceRouterOptions } from './kubernetes-services';
export { NginxRouter, DEFAULT_NGINX_ANNOTATIONS_PREFIX } from './nginx';
export type { NginxRouterOptions } from './nginx';
export { KubernetesRouter } from './kubernetes';

export interface TrafficRouterOptions {
  /** Flagger's -mesh-provider: used when the canary names none. Flagger's default is istio. */
  meshProvider?: string;
  /** Flagger's -ingress-annotations-prefix (nginx). */
  ingressAnnotationsPrefix?: string;
  /** Owner references on the objects routers create (Flagger's setOwnerRefs, default true). */
  setOwnerRefs?: boolean;
}

interface RouterEntry {
  /** Matches like factory.go: exactly, or as a prefix for versioned families (`smi:v1alpha1:<mesh>`). */
  provider: string;
  prefix?: boolean;
  create(api: KubeApi, options: TrafficRouterOptions): TrafficRouter;
}

const ROUTERS: RouterEntry[] = [
  {
    provider: 'nginx',
    create: (api, o) =>
      new NginxRouter(api, {
        ...(o.ingressAnnotationsPrefix !== undefined
          ? { annotationsPrefix: o.ingressAnnotationsPrefix }
          : {}),
        ...(o.setOwnerRefs !== undefined ? { setOwnerRefs: o.setOwnerRefs } : {}),
      }),
  },
  { provider: 'kubernetes', create: () => new KubernetesRouter() },
];

/** The canary's provider: spec.provider, else the global mesh provider (Flagger: istio). */
export function providerOf(canary: Canary, options: TrafficRouterOptions = {}): string {
  return canary.spec.provider || options.meshProvider || 'istio';
}

export function trafficRouterFor(
  canary: Canary,
  api: KubeApi,
  options: TrafficRouterOptions = {},
): TrafficRouter {
  const provider = providerOf(canary, options);
  const entry = ROUTERS.find((r) =>
    r.prefix ? provider.startsWith(r.provider) : provider === r.provider,
  );
  if (!entry) throw new Error(t.providerNotSupported(provider));
  return entry.create(api, options);
}
