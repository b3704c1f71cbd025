/**
 * Flagger's TraefikRouter (pkg/router/traefik.go): one `<apex>` TraefikService
 * (traefik.io/v1alpha1, the group current Flagger uses) with a weighted round robin over the
 * `-primary` and `-canary` Services. The canary entry is left out while its weight is zero.
 * The user's IngressRoute sends to this TraefikService.
 */
import type { Canary } from '../canary';
import { serviceNames } from '../canary';
import type { RoutingObjectRef, Routes, TrafficRouter } from '../controller/ports';
import type { KubeApi, KubeObject, ObjectRef } from '../kube/api';
import { errorText } from '../workloads/common';
import { getExisting, reconcileApexObject } from './apex-object';
import { withFlaggerError } from './upsert';

export const TRAEFIK_API_VERSION = 'traefik.io/v1alpha1';

export interface TraefikRouterOptions {
  setOwnerRefs?: boolean;
}

interface WeightedService {
  name: string;
  namespace: string;
  port: number;
  /** uint with omitempty. */
  weight?: number;
}

export interface TraefikService extends KubeObject {
  spec: { weighted?: { services?: WeightedService[] } };
}

const t = {
  createError: (name: string, ns: string, err: string) =>
    `TraefikService ${name}.${ns} create error: ${err}`,
  getQueryError: (name: string, ns: string, err: string) =>
    `TraefikService ${name}.${ns} get query error: ${err}`,
  updateError: (name: string, ns: string, err: string) =>
    `TraefikService ${name}.${ns} update error: ${err}`,
  queryError: (name: string, ns: string, err: string) =>
    `TraefikService ${name}.${ns} query error: ${err}`,
  servicesNotFound: (name: string, ns: string) => `TraefikService ${name}.${ns} services not found`,
  noValidWeights: (name: string, ns: string) =>
    `RoutingRule ${name}.${ns} update failed: no valid weights`,
};

export class TraefikRouter implements TrafficRouter {
  private readonly setOwnerRefs: boolean;

  constructor(
    private readonly api: KubeApi,
    options: TraefikRouterOptions = {},
  ) {
    this.setOwnerRefs = options.setOwnerRefs ?? true;
  }

  objects(canary: Canary): RoutingObjectRef[] {
    const name = serviceNames(canary).apex;
    return [{ apiVersion: TRAEFIK_API_VERSION, kind: 'TraefikService', name, role: 'route' }];
  }

  async reconcile(canary: Canary): Promise<void> {
    const ns = canary.metadata.namespace;
    const { apex, primary, canary: canaryName } = serviceNames(canary);
    const port = canary.spec.service.port;
    const services: WeightedService[] = [{ name: primary, namespace: ns, port, weight: 100 }];

    await reconcileApexObject<TraefikService>(this.api, canary, {
      ref: traefikServiceRef(ns, apex),
      ownedByCanary: this.setOwnerRefs,
      create: (metadata) => ({
        apiVersion: TRAEFIK_API_VERSION,
        kind: 'TraefikService',
        metadata,
        spec: { weighted: { services } },
      }),
      // A canary entry in place (a rollout under way) is part of the wanted spec, weights aside.
      spec: (existing) => ({
        weighted: {
          services:
            (existing.spec?.weighted?.services ?? []).length === 2
              ? [...services, { name: canaryName, namespace: ns, port, weight: 100 }]
              : services,
        },
      }),
      texts: t,
    });
  }

  async getRoutes(canary: Canary): Promise<Routes> {
    const ns = canary.metadata.namespace;
    const { apex, primary } = serviceNames(canary);
    const service = await this.get(ns, apex);
    const services = service.spec?.weighted?.services ?? [];
    if (services.length < 1) throw new Error(t.servicesNotFound(apex, ns));
    for (const s of services) {
      if (s.name === primary) {
        const primaryWeight = s.weight ?? 0;
        return { primaryWeight, canaryWeight: 100 - primaryWeight, mirrored: false };
      }
    }
    return { primaryWeight: 0, canaryWeight: 0, mirrored: false };
  }

  async setRoutes(canary: Canary, routes: Routes): Promise<void> {
    const ns = canary.metadata.namespace;
    const { apex, primary, canary: canaryName } = serviceNames(canary);
    if (routes.primaryWeight === 0 && routes.canaryWeight === 0) {
      throw new Error(t.noValidWeights(apex, ns));
    }
    const service = await this.get(ns, apex);
    const port = canary.spec.service.port;
    const weight = (w: number) => (w !== 0 ? { weight: w } : {});
    const services: WeightedService[] = [
      { name: primary, namespace: ns, port, ...weight(routes.primaryWeight) },
    ];
    if (routes.canaryWeight > 0) {
      services.push({ name: canaryName, namespace: ns, port, ...weight(routes.canaryWeight) });
    }
    service.spec = { ...(service.spec ?? {}), weighted: { ...service.spec?.weighted, services } };
    await withFlaggerError(
      () => this.api.replace(service),
      (err) => t.updateError(apex, ns, err),
    );
  }

  async finalize(_canary: Canary): Promise<void> {}

  private async get(ns: string, name: string): Promise<TraefikService> {
    try {
      return await getExisting<TraefikService>(
        this.api,
        traefikServiceRef(ns, name),
        'traefikservices.traefik.io',
      );
    } catch (err) {
      throw new Error(t.queryError(name, ns, errorText(err)), { cause: err });
    }
  }
}

function traefikServiceRef(namespace: string, name: string): ObjectRef {
  return { apiVersion: TRAEFIK_API_VERSION, kind: 'TraefikService', namespace, name };
}
