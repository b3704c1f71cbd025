/**
 * Traffic routers by provider, as Flagger's router.Factory.MeshRouter picks them
 * (pkg/router/factory.go). Adding a mesh is one file and one line in ROUTERS.
 */
import type { Canary } from '../canary';
import type { TrafficRouter } from '../controller/ports';
import type { KubeApi } from '../kube/api';
import { ApisixRouter } from './apisix';
import { ContourRouter } from './contour';
import { GlooRouter } from './gloo';
import { KumaRouter } from './kuma';
import { SkipperRouter } from './skipper';
import { TraefikRouter } from './traefik';
import { appMeshRouterFor } from './appmesh';
import { GatewayApiRouter } from './gateway-api';
import { IstioRouter } from './istio';
import { KnativeRouter } from './knative';
import { KubernetesRouter } from './kubernetes';
import { NginxRouter } from './nginx';
import { SmiRouter, smiRouterOptionsFor } from './smi';
import * as t from './texts';

export { KubernetesServiceRouter } from './kubernetes-services';
export type { KubernetesServiceRouterOptions } from './kubernetes-services';
export { NginxRouter, DEFAULT_NGINX_ANNOTATIONS_PREFIX } from './nginx';
export type { NginxRouterOptions } from './nginx';
export { KubernetesRouter } from './kubernetes';
export { KnativeRouter } from './knative';
export { SmiRouter, smiRouterOptionsFor } from './smi';
export type { SmiApiVersion, SmiRouterOptions } from './smi';
export { ApisixRouter } from './apisix';
export { IstioRouter } from './istio';
export { GatewayApiRouter } from './gateway-api';
export type { GatewayApiRouterOptions, GatewayApiVersion } from './gateway-api';
export type { IstioRouterOptions } from './istio';
export type { ApisixRouterOptions } from './apisix';
export { ContourRouter } from './contour';
export { GlooRouter } from './gloo';
export { KumaRouter } from './kuma';
export { SkipperRouter } from './skipper';
export { TraefikRouter } from './traefik';

export interface TrafficRouterOptions {
  /** Flagger's -mesh-provider: used when the canary names none. Flagger's default is istio. */
  meshProvider?: string;
  /** Flagger's -ingress-annotations-prefix (nginx). */
  ingressAnnotationsPrefix?: string;
  /** Owner references on the objects routers create (Flagger's setOwnerRefs, default true). */
  setOwnerRefs?: boolean;
  /** Flagger's -ingress-class (contour: the HTTPProxy's spec.ingressClassName). */
  ingressClass?: string;
}

interface RouterEntry {
  /** Matches like factory.go: exactly, or as a prefix for versioned families (`smi:v1alpha1:<mesh>`). */
  provider: string;
  prefix?: boolean;
  create(api: KubeApi, options: TrafficRouterOptions, provider: string): TrafficRouter;
}

/** linkerd, osm and smi:<version>[:<mesh>]: one SMI router, its API version from the provider. */
const smiRouter = (api: KubeApi, o: TrafficRouterOptions, provider: string): TrafficRouter =>
  new SmiRouter(api, {
    ...smiRouterOptionsFor(provider)!,
    ...(o.setOwnerRefs !== undefined ? { setOwnerRefs: o.setOwnerRefs } : {}),
  });

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
  { provider: 'knative', create: (api) => new KnativeRouter(api) },
  {
    provider: 'appmesh',
    prefix: true,
    create: (api, o, provider) =>
      appMeshRouterFor(
        provider,
        api,
        o.setOwnerRefs !== undefined ? { setOwnerRefs: o.setOwnerRefs } : {},
      ),
  },
  {
    provider: 'istio',
    create: (api, o) =>
      new IstioRouter(api, o.setOwnerRefs !== undefined ? { setOwnerRefs: o.setOwnerRefs } : {}),
  },
  // factory.go checks gatewayapi:v1beta1 before gatewayapi:v1 (a prefix of it).
  {
    provider: 'gatewayapi:v1beta1',
    prefix: true,
    create: (api, o) =>
      new GatewayApiRouter(api, {
        version: 'v1beta1',
        ...(o.setOwnerRefs !== undefined ? { setOwnerRefs: o.setOwnerRefs } : {}),
      }),
  },
  {
    provider: 'gatewayapi:v1',
    prefix: true,
    create: (api, o) =>
      new GatewayApiRouter(api, {
        version: 'v1',
        ...(o.setOwnerRefs !== undefined ? { setOwnerRefs: o.setOwnerRefs } : {}),
      }),
  },
  { provider: 'linkerd', create: smiRouter },
  { provider: 'osm', create: smiRouter },
  { provider: 'smi:v1alpha1', prefix: true, create: smiRouter },
  { provider: 'smi:v1alpha2', prefix: true, create: smiRouter },
  { provider: 'smi:v1alpha3', prefix: true, create: smiRouter },
  {
    provider: 'apisix',
    create: (api, o) =>
      new ApisixRouter(api, o.setOwnerRefs !== undefined ? { setOwnerRefs: o.setOwnerRefs } : {}),
  },
  {
    provider: 'contour',
    create: (api, o) =>
      new ContourRouter(api, {
        ...(o.ingressClass !== undefined ? { ingressClass: o.ingressClass } : {}),
        ...(o.setOwnerRefs !== undefined ? { setOwnerRefs: o.setOwnerRefs } : {}),
      }),
  },
  // factory.go: strings.HasPrefix(provider, "gloo").
  {
    provider: 'gloo',
    prefix: true,
    create: (api, o) =>
      new GlooRouter(api, o.setOwnerRefs !== undefined ? { setOwnerRefs: o.setOwnerRefs } : {}),
  },
  { provider: 'kuma', create: (api) => new KumaRouter(api) },
  {
    provider: 'skipper',
    create: (api, o) =>
      new SkipperRouter(api, o.setOwnerRefs !== undefined ? { setOwnerRefs: o.setOwnerRefs } : {}),
  },
  {
    provider: 'traefik',
    create: (api, o) =>
      new TraefikRouter(api, o.setOwnerRefs !== undefined ? { setOwnerRefs: o.setOwnerRefs } : {}),
  },
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
  return entry.create(api, options, provider);
}
