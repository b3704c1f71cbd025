/**
 * Flagger's GlooRouter (pkg/router/gloo.go): two Upstreams (gloo.solo.io/v1)
 * `<ns>-<apex>-primaryupstream-<port>` and `<ns>-<apex>-canaryupstream-<port>` pointing at the
 * `-primary` / `-canary` Services (cloned from spec.upstreamRef's settings when set, so Gloo
 * discovery need not run), and one `<apex>` RouteTable (gateway.solo.io/v1) with a weighted
 * multi-destination route to them. The user's VirtualService delegates to the RouteTable.
 */
import type { Canary, StringMap } from '../canary';
import { analysisOf, canonicalJson, serviceNames } from '../canary';
import type { RoutingObjectRef, Routes, TrafficRouter } from '../controller/ports';
import type { KubeApi, KubeObject, ObjectRef } from '../kube/api';
import { errorText } from '../workloads/common';
import { getExisting, reconcileApexObject } from './apex-object';
import { ownedBy, withFlaggerError } from './upsert';

export const GLOO_GATEWAY_API_VERSION = 'gateway.solo.io/v1';
export const GLOO_API_VERSION = 'gloo.solo.io/v1';

export interface GlooRouterOptions {
  setOwnerRefs?: boolean;
}

interface HeaderMatcher {
  name?: string;
  value?: string;
  regex?: boolean;
}

interface WeightedDestination {
  destination: { upstream: { name?: string; namespace?: string } };
  /** uint32 with omitempty. */
  weight?: number;
}

interface GlooRoute {
  matchers?: { headers?: HeaderMatcher[]; methods?: string[] }[];
  routeAction: { multi: { destinations?: WeightedDestination[] } };
  inheritablePathMatchers?: boolean;
}

export interface RouteTable extends KubeObject {
  spec: { routes?: GlooRoute[] };
}

/** The UpstreamSpec fields Flagger copies from the upstreamRef (the rest of Gloo's are dropped). */
const COPIED_UPSTREAM_FIELDS = [
  'labels',
  'sslConfig',
  'circuitBreakers',
  'connectionConfig',
  'loadBalancerConfig',
  'useHttp2',
  'initialStreamWindowSize',
  'initialConnectionWindowSize',
  'httpProxyHostName',
] as const;

export interface Upstream extends KubeObject {
  spec: {
    kube?: {
      serviceName?: string;
      serviceNamespace?: string;
      servicePort?: number;
      selector?: StringMap;
    };
    [field: string]: unknown;
  };
}

interface Service extends KubeObject {
  spec?: { selector?: StringMap };
}

const t = {
  createError: (name: string, ns: string, err: string) =>
    `RouteTable ${name}.${ns} create error: ${err}`,
  getQueryError: (name: string, ns: string, err: string) =>
    `RouteTable ${name}.${ns} get query error: ${err}`,
  updateError: (name: string, ns: string, err: string) =>
    `RouteTable ${name}.${ns} update error: ${err}`,
  destinationsNotFound: (name: string, ns: string) =>
    `RouteTable ${name}.${ns} destinations not found`,
  noValidWeights: (name: string, ns: string) =>
    `RoutingRule ${name}.${ns} update failed: no valid weights`,
  queryError: (name: string, ns: string, err: string) =>
    `RouteTable ${name}.${ns} query error: ${err}`,
  primaryUpstream: (err: string) => `error creating flagger primary upstream: ${err}`,
  canaryUpstream: (err: string) => `error creating flagger canary upstream: ${err}`,
  serviceGetQueryError: (name: string, ns: string, err: string) =>
    `service ${name}.${ns} get query error: ${err}`,
  upstreamCreateError: (name: string, ns: string, err: string) =>
    `upstream ${name}.${ns} create query error: ${err}`,
  upstreamGetQueryError: (name: string, ns: string, err: string) =>
    `upstream ${name}.${ns} get query error: ${err}`,
  upstreamPatchError: (name: string, ns: string, err: string) =>
    `upstream ${name}.${ns} spec patch error: ${err}`,
  /** The canary's namespace, not the upstreamRef's, as Flagger prints it. */
  configUpstreamError: (name: string, ns: string, err: string) =>
    `config upstream ${name}.${ns} get query error: ${err}`,
};

/** The Upstream names Flagger gives the primary and canary Services. */
export function glooUpstreamNames(canary: Canary): { primary: string; canary: string } {
  const { apex } = serviceNames(canary);
  const ns = canary.metadata.namespace;
  const port = canary.spec.service.port;
  return {
    primary: `${ns}-${apex}-primaryupstream-${port}`,
    canary: `${ns}-${apex}-canaryupstream-${port}`,
  };
}

export class GlooRouter implements TrafficRouter {
  private readonly setOwnerRefs: boolean;

  constructor(
    private readonly api: KubeApi,
    options: GlooRouterOptions = {},
  ) {
    this.setOwnerRefs = options.setOwnerRefs ?? true;
  }

  objects(canary: Canary): RoutingObjectRef[] {
    const upstreams = glooUpstreamNames(canary);
    return [
      {
        apiVersion: GLOO_GATEWAY_API_VERSION,
        kind: 'RouteTable',
        name: serviceNames(canary).apex,
        role: 'route',
      },
      {
        apiVersion: GLOO_API_VERSION,
        kind: 'Upstream',
        name: upstreams.primary,
        role: 'primary upstream',
      },
      {
        apiVersion: GLOO_API_VERSION,
        kind: 'Upstream',
        name: upstreams.canary,
        role: 'canary upstream',
      },
    ];
  }

  async reconcile(canary: Canary): Promise<void> {
    const ns = canary.metadata.namespace;
    const { apex } = serviceNames(canary);
    const upstreams = glooUpstreamNames(canary);
    await withFlaggerError(
      () => this.createFlaggerUpstream(canary, upstreams.primary, false),
      (err) => t.primaryUpstream(err),
    );
    await withFlaggerError(
      () => this.createFlaggerUpstream(canary, upstreams.canary, true),
      (err) => t.canaryUpstream(err),
    );

    const spec = makeSpec(canary, 100, 0);
    await reconcileApexObject<RouteTable>(this.api, canary, {
      ref: routeTableRef(ns, apex),
      ownedByCanary: this.setOwnerRefs,
      create: (metadata) => ({
        apiVersion: GLOO_GATEWAY_API_VERSION,
        kind: 'RouteTable',
        metadata,
        spec,
      }),
      spec: () => spec,
      texts: t,
    });
  }

  async getRoutes(canary: Canary): Promise<Routes> {
    const ns = canary.metadata.namespace;
    const { apex } = serviceNames(canary);
    const primaryUpstream = glooUpstreamNames(canary).primary;
    const table: RouteTable = await withFlaggerError(
      () =>
        getExisting<RouteTable>(this.api, routeTableRef(ns, apex), 'routetables.gateway.solo.io'),
      (err) => t.getQueryError(apex, ns, err),
    );
    const destinations = table.spec?.routes?.[0]?.routeAction?.multi?.destinations ?? [];
    if (destinations.length < 2) throw new Error(t.destinationsNotFound(apex, ns));
    for (const d of destinations) {
      if (d.destination?.upstream?.name === primaryUpstream) {
        const primaryWeight = d.weight ?? 0;
        return { primaryWeight, canaryWeight: 100 - primaryWeight, mirrored: false };
      }
    }
    return { primaryWeight: 0, canaryWeight: 0, mirrored: false };
  }

  async setRoutes(canary: Canary, routes: Routes): Promise<void> {
    const ns = canary.metadata.namespace;
    const { apex } = serviceNames(canary);
    if (routes.primaryWeight === 0 && routes.canaryWeight === 0) {
      throw new Error(t.noValidWeights(apex, ns));
    }
    const table: RouteTable = await withFlaggerError(
      () =>
        getExisting<RouteTable>(this.api, routeTableRef(ns, apex), 'routetables.gateway.solo.io'),
      (err) => t.queryError(apex, ns, err),
    );
    table.spec = makeSpec(canary, routes.primaryWeight, routes.canaryWeight);
    await withFlaggerError(
      () => this.api.replace(table),
      (err) => t.updateError(apex, ns, err),
    );
  }

  async finalize(_canary: Canary): Promise<void> {}

  /** createFlaggerUpstream: created once from the Service; later only the LB config follows. */
  private async createFlaggerUpstream(
    canary: Canary,
    name: string,
    isCanary: boolean,
  ): Promise<void> {
    const ns = canary.metadata.namespace;
    const names = serviceNames(canary);
    const serviceName = isCanary ? names.canary : names.primary;
    const service: Service = await withFlaggerError(
      () =>
        getExisting<Service>(
          this.api,
          { apiVersion: 'v1', kind: 'Service', namespace: ns, name: serviceName },
          'services',
        ),
      (err) => t.serviceGetQueryError(serviceName, ns, err),
    );
    const current: Upstream | undefined = await withFlaggerError(
      () => this.api.get<Upstream>(upstreamRef(ns, name)),
      (err) => t.upstreamGetQueryError(name, ns, err),
    );
    const config = await this.configUpstream(canary);
    if (current) {
      await this.syncUpstreamSpec(current, config, ns);
      return;
    }
    const spec: Upstream['spec'] = {};
    for (const field of COPIED_UPSTREAM_FIELDS) {
      if (config?.spec[field] !== undefined) spec[field] = structuredClone(config.spec[field]);
    }
    const selector = service.spec?.selector;
    spec.kube = {
      serviceName,
      serviceNamespace: ns,
      servicePort: canary.spec.service.port,
      ...(selector && Object.keys(selector).length > 0 ? { selector } : {}),
    };
    const upstream: Upstream = {
      apiVersion: GLOO_API_VERSION,
      kind: 'Upstream',
      // includeLabelsByPrefix with the router's (empty) prefix list keeps no labels.
      metadata: {
        name,
        namespace: ns,
        ...ownedBy(canary, this.setOwnerRefs),
      },
      spec,
    };
    await withFlaggerError(
      () => this.api.create(upstream),
      (err) => t.upstreamCreateError(name, ns, err),
    );
  }

  private async syncUpstreamSpec(
    current: Upstream,
    config: Upstream | undefined,
    ns: string,
  ): Promise<void> {
    if (!config) return;
    const lb = config.spec.loadBalancerConfig;
    if (canonicalJson(lb ?? null) === canonicalJson(current.spec.loadBalancerConfig ?? null)) {
      return;
    }
    await withFlaggerError(
      () =>
        this.api.mergePatch(upstreamRef(ns, current.metadata.name), {
          spec: lb === undefined ? {} : { loadBalancerConfig: lb },
        }),
      (err) => t.upstreamPatchError(current.metadata.name, ns, err),
    );
  }

  private async configUpstream(canary: Canary): Promise<Upstream | undefined> {
    const ref = canary.spec.upstreamRef;
    if (!ref) return undefined;
    try {
      return await getExisting<Upstream>(
        this.api,
        upstreamRef(ref.namespace ?? '', ref.name),
        'upstreams.gloo.solo.io',
      );
    } catch (err) {
      throw new Error(t.configUpstreamError(ref.name, canary.metadata.namespace, errorText(err)), {
        cause: err,
      });
    }
  }
}

function routeTableRef(namespace: string, name: string): ObjectRef {
  return { apiVersion: GLOO_GATEWAY_API_VERSION, kind: 'RouteTable', namespace, name };
}

function upstreamRef(namespace: string, name: string): ObjectRef {
  return { apiVersion: GLOO_API_VERSION, kind: 'Upstream', namespace, name };
}

function makeSpec(canary: Canary, primaryWeight: number, canaryWeight: number): RouteTable['spec'] {
  const ns = canary.metadata.namespace;
  const upstreams = glooUpstreamNames(canary);
  const destination = (name: string, weight: number): WeightedDestination => ({
    destination: { upstream: { name, namespace: ns } },
    ...(weight !== 0 ? { weight } : {}),
  });
  const matchers = getMatchers(canary);
  return {
    routes: [
      {
        inheritablePathMatchers: true,
        ...(matchers ? { matchers } : {}),
        routeAction: {
          multi: {
            destinations: [
              destination(upstreams.primary, primaryWeight),
              destination(upstreams.canary, canaryWeight),
            ],
          },
        },
      },
    ],
  };
}

/** getMatchers: one matcher with the A/B headers (exact, or regex) and methods, if any. */
function getMatchers(canary: Canary): GlooRoute['matchers'] {
  const headers: HeaderMatcher[] = [];
  const methods: string[] = [];
  for (const m of analysisOf(canary)?.match ?? []) {
    for (const [name, value] of Object.entries(m.headers ?? {})) {
      headers.push(
        value.regex
          ? { name, value: value.regex, regex: true }
          : { name, ...(value.exact ? { value: value.exact } : {}) },
      );
    }
    if (m.method) methods.push(m.method.exact ?? '');
  }
  if (headers.length === 0 && methods.length === 0) return undefined;
  return [
    {
      ...(headers.length ? { headers } : {}),
      ...(methods.length ? { methods } : {}),
    },
  ];
}
