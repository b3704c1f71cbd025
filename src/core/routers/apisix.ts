/**
 * Flagger's ApisixRouter (pkg/router/apisix.go): a clone `<routeRef>-<apex>-canary` of the
 * user's ApisixRoute holding only the http route that sends to `<apex>`, at priority 10000 so
 * APISIX prefers it, with two weighted backends: `<apex>-primary` (the original backend,
 * renamed) and `<apex>-canary`.
 */
import type { Canary } from '../canary';
import { canonicalJson, serviceNames } from '../canary';
import type { RoutingObjectRef, Routes, TrafficRouter } from '../controller/ports';
import type { KubeApi, KubeObject, ObjectRef } from '../kube/api';
import { errorText } from '../workloads/common';
import { ownedBy, reconcileObject, withFlaggerError } from './upsert';

const API_VERSION = 'apisix.apache.org/v2';
const MAX_PRIORITY = 10000;

export interface ApisixRouterOptions {
  setOwnerRefs?: boolean;
}

interface ApisixRouteHttpBackend {
  serviceName: string;
  servicePort?: number | string;
  resolveGranularity?: string;
  weight?: number;
  subset?: string;
  [field: string]: unknown;
}

interface ApisixRouteHttp {
  name?: string;
  priority?: number;
  backends?: ApisixRouteHttpBackend[];
  [field: string]: unknown;
}

export interface ApisixRoute extends KubeObject {
  spec?: { http?: ApisixRouteHttp[]; [field: string]: unknown };
}

// Flagger's words, capitals and trailing space included (fmt.Errorf in apisix.go).
const selectorEmpty = (): string => 'apisix route selector is empty';
const routeGetError = (name: string, ns: string, err: string): string =>
  `APISIX route ${name}.${ns} get query error: ${err}`;
const httpEmpty = (name: string, ns: string): string =>
  `APISIX route ${name}.${ns}'s spec.http is empty`;
const oneBackendOnly = (name: string, ns: string, http: string): string =>
  `APISIX route ${name}.${ns}'s http route ${http} only one http backend is supported`;
const createError = (name: string, ns: string, err: string): string =>
  `APISIX route ${name}.${ns} create error: ${err}`;
const queryError = (name: string, ns: string, err: string): string =>
  `APISIX route ${name}.${ns} query error: ${err}`;
const updateError = (name: string, ns: string, err: string): string =>
  `APISIX route ${name}.${ns} update error: ${err}`;
const backendNotFound = (service: string, route: string, ns: string): string =>
  `Can not find ${service} backend on apisix route ${route}.${ns} `;
const lowerQueryError = (name: string, ns: string, err: string): string =>
  `apisix route ${name}.${ns} query error: ${err}`;
const lowerUpdateError = (name: string, ns: string, err: string): string =>
  `apisix route ${name}.${ns} update error: ${err}`;
const noValidWeights = (apex: string, ns: string): string =>
  `RoutingRule ${apex}.${ns} update failed: no valid weights`;
const notFound = (name: string): string => `apisixroutes.apisix.apache.org "${name}" not found`;

export class ApisixRouter implements TrafficRouter {
  private readonly setOwnerRefs: boolean;

  constructor(
    private readonly api: KubeApi,
    options: ApisixRouterOptions = {},
  ) {
    this.setOwnerRefs = options.setOwnerRefs ?? true;
  }

  objects(canary: Canary): RoutingObjectRef[] {
    const name = `${canary.spec.routeRef?.name ?? ''}-${serviceNames(canary).apex}-canary`;
    return [{ apiVersion: API_VERSION, kind: 'ApisixRoute', name, role: 'canary route' }];
  }

  async reconcile(canary: Canary): Promise<void> {
    const routeName = canary.spec.routeRef?.name ?? '';
    if (routeName === '') throw new Error(selectorEmpty());
    const ns = canary.metadata.namespace ?? '';

    const route: ApisixRoute | undefined = await withFlaggerError(
      () => this.api.get<ApisixRoute>(routeRef(ns, routeName)),
      (err) => routeGetError(routeName, ns, err),
    );
    if (!route) throw new Error(routeGetError(routeName, ns, notFound(routeName)));

    const clone = structuredClone(route);
    if ((clone.spec?.http ?? []).length === 0) throw new Error(httpEmpty(routeName, ns));
    const { apex, primary, canary: canaryService } = serviceNames(canary);
    const target = structuredClone(findHttpRoute(clone, apex, canary).http);
    const [backend, ...others] = target.backends ?? [];
    if (!backend || others.length > 0) {
      throw new Error(oneBackendOnly(routeName, ns, target.name ?? ''));
    }
    target.priority = MAX_PRIORITY;
    const primaryBackend: ApisixRouteHttpBackend = {
      ...backend,
      serviceName: primary,
      weight: 100,
    };
    const canaryBackend: ApisixRouteHttpBackend = {
      serviceName: canaryService,
      servicePort: backend.servicePort,
      ...(backend.resolveGranularity ? { resolveGranularity: backend.resolveGranularity } : {}),
      weight: 0,
      ...(backend.subset ? { subset: backend.subset } : {}),
    };
    target.backends = [primaryBackend, canaryBackend];
    const spec = { ...clone.spec, http: [target] };

    const canaryRouteName = `${routeName}-${apex}-canary`;
    await reconcileObject<ApisixRoute>(this.api, {
      ref: routeRef(ns, canaryRouteName),
      create: () => ({
        apiVersion: API_VERSION,
        kind: 'ApisixRoute',
        metadata: {
          name: canaryRouteName,
          namespace: ns,
          ...(clone.metadata.annotations ? { annotations: clone.metadata.annotations } : {}),
          ...(clone.metadata.labels ? { labels: clone.metadata.labels } : {}),
          ...ownedBy(canary, this.setOwnerRefs),
        },
        spec,
      }),
      // cmp.Diff ignoring the backends' weights: the clone's routing state stays as it is.
      drifted: (existing) => withoutWeights(existing.spec) !== withoutWeights(spec),
      updated: (existing) => ({ ...structuredClone(existing), spec }),
      texts: {
        get: (err) => queryError(canaryRouteName, ns, err),
        create: (err) => createError(canaryRouteName, ns, err),
        update: (err) => updateError(canaryRouteName, ns, err),
      },
    });
  }

  /** The primary backend's weight; the canary has the rest of 100. */
  async getRoutes(canary: Canary): Promise<Routes> {
    const { primary } = serviceNames(canary);
    const route = await this.getCanaryRoute(canary);
    const { http } = findHttpRoute(route, primary, canary);
    const backend = (http.backends ?? []).find((b) => b.serviceName === primary);
    if (!backend) return { primaryWeight: 0, canaryWeight: 0, mirrored: false };
    // Go dereferences the *int: a weight left out is a nil pointer there, zero here.
    const primaryWeight = typeof backend.weight === 'number' ? backend.weight : 0;
    return { primaryWeight, canaryWeight: 100 - primaryWeight, mirrored: false };
  }

  async setRoutes(canary: Canary, routes: Routes): Promise<void> {
    const ns = canary.metadata.namespace ?? '';
    const { apex, primary, canary: canaryService } = serviceNames(canary);
    if (routes.primaryWeight === 0 && routes.canaryWeight === 0) {
      throw new Error(noValidWeights(apex, ns));
    }
    const route = structuredClone(await this.getCanaryRoute(canary));
    const { index } = findHttpRoute(route, primary, canary);
    const http = route.spec!.http![index]!;
    http.backends = (http.backends ?? []).map((b) =>
      b.serviceName === primary
        ? { ...b, weight: routes.primaryWeight }
        : b.serviceName === canaryService
          ? { ...b, weight: routes.canaryWeight }
          : b,
    );
    try {
      await this.api.replace(route);
    } catch (err) {
      // Flagger names the apex here, not the route.
      throw new Error(lowerUpdateError(apex, ns, errorText(err)), { cause: err });
    }
  }

  async finalize(_canary: Canary): Promise<void> {}

  private async getCanaryRoute(canary: Canary): Promise<ApisixRoute> {
    const ns = canary.metadata.namespace ?? '';
    const name = `${canary.spec.routeRef?.name ?? ''}-${serviceNames(canary).apex}-canary`;
    const route: ApisixRoute | undefined = await withFlaggerError(
      () => this.api.get<ApisixRoute>(routeRef(ns, name)),
      (err) => lowerQueryError(name, ns, err),
    );
    if (!route) throw new Error(lowerQueryError(name, ns, notFound(name)));
    return route;
  }
}

/** getTargetHttpRoute: the first http route with a backend named `service`. */
function findHttpRoute(
  route: ApisixRoute,
  service: string,
  canary: Canary,
): { http: ApisixRouteHttp; index: number } {
  const routes = route.spec?.http ?? [];
  for (const [index, http] of routes.entries()) {
    if ((http.backends ?? []).some((b) => b.serviceName === service)) return { http, index };
  }
  throw new Error(
    backendNotFound(service, canary.spec.routeRef?.name ?? '', canary.metadata.namespace ?? ''),
  );
}

function withoutWeights(spec: ApisixRoute['spec']): string {
  return canonicalJson({
    ...spec,
    http: (spec?.http ?? []).map((h) => ({
      ...h,
      backends: (h.backends ?? []).map(({ weight: _weight, ...rest }) => rest),
    })),
  });
}

function routeRef(namespace: string, name: string): ObjectRef {
  return { apiVersion: API_VERSION, kind: 'ApisixRoute', namespace, name };
}
