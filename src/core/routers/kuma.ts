/**
 * Flagger's KumaRouter (pkg/router/kuma.go): one cluster-scoped `<apex>` TrafficRoute
 * (kuma.io/v1alpha1) per canary, in the mesh the Canary's `kuma.io/mesh` annotation names
 * (default "default"), splitting requests from every service to `<apex>_<ns>_svc_<port>`
 * between the primary and canary data plane services. Being cluster-scoped, it carries no
 * owner reference (Flagger's own note), so it outlives the Canary.
 */
import type { Canary, StringMap } from '../canary';
import { serviceNames } from '../canary';
import type { RoutingObjectRef, Routes, TrafficRouter } from '../controller/ports';
import type { KubeApi, KubeObject, ObjectRef } from '../kube/api';
import { getExisting, reconcileApexObject } from './apex-object';
import { withFlaggerError } from './upsert';

export const KUMA_API_VERSION = 'kuma.io/v1alpha1';
const SERVICE_TAG = 'kuma.io/service';
const MESH_ANNOTATION = 'kuma.io/mesh';

interface TrafficRouteSplit {
  /** uint32 without omitempty: a zero weight is written. */
  weight: number;
  destination?: StringMap;
}

export interface TrafficRouteSpec {
  sources?: { match?: StringMap }[];
  destinations?: { match?: StringMap }[];
  conf?: { split?: TrafficRouteSplit[] };
}

export interface TrafficRoute extends KubeObject {
  mesh?: string;
  spec?: TrafficRouteSpec;
}

const t = {
  createError: (name: string, err: string) => `TrafficRoute ${name} create error: ${err}`,
  getQueryError: (name: string, err: string) => `TrafficRoute ${name} get query error: ${err}`,
  updateError: (name: string, err: string) => `TrafficRoute ${name} update error: ${err}`,
  /** GetRoutes and SetRoutes format the cause with `%v` and no colon. */
  routesGetQueryError: (name: string, err: string) => `TrafficRoute ${name} get query error ${err}`,
  routesUpdateError: (name: string, err: string) => `TrafficRoute ${name} update error ${err}`,
  noRoutes: (name: string, primary: string, canary: string) =>
    `TrafficRoute ${name} does not contain routes for ${primary} and ${canary}`,
};

/** A Kubernetes Service's name in Kuma: `<name>_<namespace>_svc_<port>`. */
export function kumaServiceTag(name: string, namespace: string, port: number): string {
  return `${name}_${namespace}_svc_${port}`;
}

export class KumaRouter implements TrafficRouter {
  constructor(private readonly api: KubeApi) {}

  async reconcile(canary: Canary): Promise<void> {
    const { apex } = serviceNames(canary);
    const ns = canary.metadata.namespace;
    const port = canary.spec.service.port;
    const spec: TrafficRouteSpec = {
      sources: [{ match: { [SERVICE_TAG]: '*' } }],
      destinations: [{ match: { [SERVICE_TAG]: kumaServiceTag(apex, ns, port) } }],
      conf: makeConf(canary, 100, 0),
    };

    await reconcileApexObject<TrafficRoute>(this.api, canary, {
      ref: trafficRouteRef(apex),
      ownedByCanary: false,
      create: (metadata) => ({
        apiVersion: KUMA_API_VERSION,
        kind: 'TrafficRoute',
        metadata,
        mesh: canary.metadata.annotations?.[MESH_ANNOTATION] ?? 'default',
        spec,
      }),
      spec: () => spec,
      texts: {
        // A cluster-scoped object: Flagger's texts name it without a namespace.
        getQueryError: (name, _ns, err) => t.getQueryError(name, err),
        createError: (name, _ns, err) => t.createError(name, err),
        updateError: (name, _ns, err) => t.updateError(name, err),
      },
    });
  }

  objects(canary: Canary): RoutingObjectRef[] {
    const name = serviceNames(canary).apex;
    return [
      {
        apiVersion: KUMA_API_VERSION,
        kind: 'TrafficRoute',
        name,
        role: 'route',
        clusterScoped: true,
      },
    ];
  }

  /** The primary is the split whose service tag starts with `<apex>-primary_`. */
  async getRoutes(canary: Canary): Promise<Routes> {
    const { apex, primary, canary: canaryName } = serviceNames(canary);
    const route: TrafficRoute = await withFlaggerError(
      () => getExisting<TrafficRoute>(this.api, trafficRouteRef(apex), 'trafficroutes.kuma.io'),
      (err) => t.routesGetQueryError(apex, err),
    );
    let primaryWeight = 0;
    let canaryWeight = 0;
    for (const split of route.spec?.conf?.split ?? []) {
      if ((split.destination?.[SERVICE_TAG] ?? '').split('_')[0] === primary) {
        primaryWeight = split.weight ?? 0;
        canaryWeight = 100 - primaryWeight;
      }
    }
    if (primaryWeight === 0 && canaryWeight === 0) {
      throw new Error(t.noRoutes(apex, primary, canaryName));
    }
    return { primaryWeight, canaryWeight, mirrored: false };
  }

  async setRoutes(canary: Canary, routes: Routes): Promise<void> {
    const { apex } = serviceNames(canary);
    const route: TrafficRoute = await withFlaggerError(
      () => getExisting<TrafficRoute>(this.api, trafficRouteRef(apex), 'trafficroutes.kuma.io'),
      (err) => t.routesGetQueryError(apex, err),
    );
    const clone = structuredClone(route);
    clone.spec = {
      ...(clone.spec ?? {}),
      conf: makeConf(canary, routes.primaryWeight, routes.canaryWeight),
    };
    await withFlaggerError(
      () => this.api.replace(clone),
      (err) => t.routesUpdateError(apex, err),
    );
  }

  async finalize(_canary: Canary): Promise<void> {}
}

function trafficRouteRef(name: string): ObjectRef {
  return { apiVersion: KUMA_API_VERSION, kind: 'TrafficRoute', name };
}

function makeConf(
  canary: Canary,
  primaryWeight: number,
  canaryWeight: number,
): NonNullable<TrafficRouteSpec['conf']> {
  const { primary, canary: canaryName } = serviceNames(canary);
  const ns = canary.metadata.namespace;
  const port = canary.spec.service.port;
  return {
    split: [
      { weight: primaryWeight, destination: { [SERVICE_TAG]: kumaServiceTag(primary, ns, port) } },
      {
        weight: canaryWeight,
        destination: { [SERVICE_TAG]: kumaServiceTag(canaryName, ns, port) },
      },
    ],
  };
}
