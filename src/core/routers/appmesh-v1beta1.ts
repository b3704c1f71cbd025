/**
 * Flagger's legacy AppMeshRouter (pkg/router/appmesh.go) for the bare `appmesh` provider: the
 * first App Mesh controller's appmesh.k8s.aws/v1beta1 API, where a VirtualService embeds its
 * virtual router and routes. Objects: VirtualNodes `<apex>` and `<apex>-primary` (both
 * discovered at `<apex>-primary.<ns>`) and `<apex>-canary`; VirtualServices `<apex>.<ns>`
 * (router `<apex>`, the primary/canary split or the A/B routes) and `<apex>-canary.<ns>`
 * (router `<apex>-canary`, all on the canary). spec.service.meshName is required.
 */
import type { Canary, StringMap } from '../canary';
import { canonicalJson, serviceNames } from '../canary';
import type { RoutingObjectRef, Routes, TrafficRouter } from '../controller/ports';
import type { KubeApi, KubeObject, ObjectRef } from '../kube/api';
import type { AppMeshRouterOptions, HTTPRouteHeader } from './appmesh-common';
import {
  ACCESS_LOG_ANNOTATION,
  appMeshObjects,
  appMeshTexts,
  gatewayAnnotations,
  matchHeaders,
  portProtocol,
  retrySettings,
  routePrefix,
  virtualNodeTexts,
  withMetadata,
} from './appmesh-common';
import { getOrFail, ownedBy, reconcileObject, withFlaggerError } from './upsert';
import { apexMetadata, apexObjectMetadata, metadataDrifted } from './apex-object';

export const APPMESH_V1BETA1 = 'appmesh.k8s.aws/v1beta1';

interface WeightedTargetV1 {
  virtualNodeName: string;
  weight: number;
}

interface HttpRouteV1 {
  match: { prefix: string; headers?: HTTPRouteHeader[]; [field: string]: unknown };
  action: { weightedTargets: WeightedTargetV1[] };
  retryPolicy?: {
    perRetryTimeoutMillis?: number;
    maxRetries?: number;
    httpRetryEvents?: string[];
  };
}

interface RouteV1 {
  name: string;
  http?: HttpRouteV1;
  tcp?: unknown;
  priority?: number;
}

interface PortMappingV1 {
  port: number;
  protocol: string;
}

export interface VirtualServiceV1 extends KubeObject {
  spec?: {
    meshName: string;
    virtualRouter?: { name: string; listeners?: { portMapping: PortMappingV1 }[] };
    routes?: RouteV1[];
    [field: string]: unknown;
  };
}

export interface VirtualNodeV1 extends KubeObject {
  spec?: {
    meshName: string;
    listeners?: { portMapping: PortMappingV1 }[];
    serviceDiscovery?: { dns?: { hostName: string }; [field: string]: unknown };
    backends?: { virtualService: { virtualServiceName: string } }[];
    logging?: { accessLog?: { file?: { path: string } } };
    [field: string]: unknown;
  };
}

function ref(kind: string, namespace: string, name: string): ObjectRef {
  return { apiVersion: APPMESH_V1BETA1, kind, namespace, name };
}

export class AppMeshV1beta1Router implements TrafficRouter {
  private readonly setOwnerRefs: boolean;

  constructor(
    private readonly api: KubeApi,
    options: AppMeshRouterOptions = {},
  ) {
    this.setOwnerRefs = options.setOwnerRefs ?? true;
  }

  objects(canary: Canary): RoutingObjectRef[] {
    return appMeshObjects(APPMESH_V1BETA1, serviceNames(canary).apex);
  }

  async reconcile(canary: Canary): Promise<void> {
    if (!canary.spec.service.meshName) throw new Error(appMeshTexts.meshNameEmpty());
    const ns = canary.metadata.namespace;
    const { apex, primary, canary: canaryName } = serviceNames(canary);
    const primaryHost = `${primary}.${ns}`;
    const steps: [() => Promise<void>, (err: string) => string][] = [
      [
        () => this.reconcileVirtualNode(canary, apex, primaryHost),
        appMeshTexts.reconcileVirtualNodeFailed,
      ],
      [
        () => this.reconcileVirtualNode(canary, primary, primaryHost),
        appMeshTexts.reconcileVirtualNodeFailed,
      ],
      [
        () => this.reconcileVirtualNode(canary, canaryName, `${canaryName}.${ns}`),
        appMeshTexts.reconcileVirtualNodeFailed,
      ],
      [
        () => this.reconcileVirtualService(canary, `${apex}.${ns}`, 0),
        appMeshTexts.reconcileVirtualServiceFailed,
      ],
      [
        () => this.reconcileVirtualService(canary, `${canaryName}.${ns}`, 100),
        appMeshTexts.reconcileVirtualServiceFailed,
      ],
    ];
    for (const [step, wrap] of steps) {
      await withFlaggerError(
        () => step(),
        (err) => wrap(err),
      );
    }
  }

  private async reconcileVirtualNode(canary: Canary, name: string, host: string): Promise<void> {
    const ns = canary.metadata.namespace;
    const spec: NonNullable<VirtualNodeV1['spec']> = {
      meshName: canary.spec.service.meshName ?? '',
      listeners: [
        { portMapping: { port: canary.spec.service.port, protocol: portProtocol(canary) } },
      ],
      serviceDiscovery: { dns: { hostName: host } },
    };
    if (canary.metadata.annotations?.[ACCESS_LOG_ANNOTATION] === 'enabled') {
      spec.logging = { accessLog: { file: { path: '/dev/stdout' } } };
    }
    const backends = (canary.spec.service.backends ?? []).map((b) => ({
      virtualService: { virtualServiceName: b },
    }));
    if (backends.length > 0) spec.backends = backends;

    const meta = apexMetadata(canary);
    await reconcileObject<VirtualNodeV1>(this.api, {
      ref: ref('VirtualNode', ns, name),
      create: () => ({
        apiVersion: APPMESH_V1BETA1,
        kind: 'VirtualNode',
        metadata: apexObjectMetadata(canary, { name, namespace: ns }, meta, this.setOwnerRefs),
        spec,
      }),
      // Flagger compares the new labels with the node's annotations here (a slip that rewrites
      // the node on every run); Aviary compares annotations with annotations.
      drifted: (existing) =>
        canonicalJson(spec) !== canonicalJson(existing.spec ?? null) ||
        metadataDrifted(existing, meta),
      updated: (existing) => withMetadata({ ...structuredClone(existing), spec }, meta),
      texts: virtualNodeTexts(name, ns),
    });
  }

  private async reconcileVirtualService(
    canary: Canary,
    name: string,
    canaryWeight: number,
  ): Promise<void> {
    const ns = canary.metadata.namespace;
    const { apex } = serviceNames(canary);
    const canaryNode = `${apex}-canary`;
    const primaryNode = `${apex}-primary`;
    const routerName = canaryWeight > 0 ? `${apex}-canary` : apex;
    const prefix = routePrefix(canary);
    const retryPolicy = (): HttpRouteV1['retryPolicy'] => {
      const retry = retrySettings(canary);
      return retry
        ? {
            perRetryTimeoutMillis: retry.perTryTimeoutMs,
            maxRetries: retry.attempts,
            httpRetryEvents: retry.events,
          }
        : undefined;
    };
    const withRetry = (route: HttpRouteV1): HttpRouteV1 => {
      const policy = retryPolicy();
      return policy ? { ...route, retryPolicy: policy } : route;
    };
    const split = (): WeightedTargetV1[] => [
      { virtualNodeName: canaryNode, weight: canaryWeight },
      { virtualNodeName: primaryNode, weight: 100 - canaryWeight },
    ];
    let routes: RouteV1[] = [
      {
        name: routerName,
        http: withRetry({ match: { prefix }, action: { weightedTargets: split() } }),
      },
    ];
    if ((canary.spec.analysis?.match?.length ?? 0) > 0 && canaryWeight === 0) {
      routes = [
        {
          name: `${apex}-a`,
          priority: 10,
          http: withRetry({
            match: { prefix, headers: matchHeaders(canary) },
            action: { weightedTargets: split() },
          }),
        },
        {
          name: `${apex}-b`,
          priority: 20,
          http: withRetry({
            match: { prefix },
            action: { weightedTargets: [{ virtualNodeName: primaryNode, weight: 100 }] },
          }),
        },
      ];
    }
    const spec: NonNullable<VirtualServiceV1['spec']> = {
      meshName: canary.spec.service.meshName ?? '',
      virtualRouter: {
        name: routerName,
        listeners: [
          { portMapping: { port: canary.spec.service.port, protocol: portProtocol(canary) } },
        ],
      },
      routes,
    };

    const existing = await getOrFail<VirtualServiceV1>(
      this.api,
      ref('VirtualService', ns, name),
      (e) => appMeshTexts.virtualServiceGetQueryError(name, e),
    );
    const annotations: StringMap = canaryWeight === 0 ? gatewayAnnotations(canary) : {};
    if (!existing) {
      await withFlaggerError(
        () =>
          this.api.create<VirtualServiceV1>({
            apiVersion: APPMESH_V1BETA1,
            kind: 'VirtualService',
            metadata: {
              name,
              namespace: ns,
              ...ownedBy(canary, this.setOwnerRefs),
              ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
            },
            spec,
          }),
        (err) => appMeshTexts.virtualServiceCreateError(name, err),
      );
      return;
    }
    // Update the service but keep the weights the analysis has set on the first route.
    if (canonicalJson(withoutWeights(spec)) !== canonicalJson(withoutWeights(existing.spec))) {
      const next = structuredClone(existing);
      const nextSpec = structuredClone(spec);
      const firstAction = existing.spec?.routes?.[0]?.http?.action;
      const first = nextSpec.routes?.[0]?.http;
      if (first && firstAction) first.action = firstAction;
      next.spec = nextSpec;
      if (Object.keys(annotations).length > 0) next.metadata.annotations = annotations;
      await withFlaggerError(
        () => this.api.replace(next),
        (err) => appMeshTexts.virtualServiceUpdateError(name, err),
      );
    }
  }

  async getRoutes(canary: Canary): Promise<Routes> {
    const { apex } = serviceNames(canary);
    const vs = await this.getApexService(canary);
    const vsName = vs.metadata.name;
    const targets = vs.spec?.routes?.[0]?.http?.action?.weightedTargets;
    if (!targets || targets.length !== 2) {
      throw new Error(appMeshTexts.virtualServiceRoutesNotFound(vsName));
    }
    let primaryWeight = 0;
    let canaryWeight = 0;
    for (const target of targets) {
      if (target.virtualNodeName === `${apex}-canary`) canaryWeight = target.weight;
      if (target.virtualNodeName === `${apex}-primary`) primaryWeight = target.weight;
    }
    if (primaryWeight === 0 && canaryWeight === 0) {
      throw new Error(appMeshTexts.virtualServiceNoRoutes(vsName, apex));
    }
    return { primaryWeight, canaryWeight, mirrored: false };
  }

  async setRoutes(canary: Canary, routes: Routes): Promise<void> {
    const { apex } = serviceNames(canary);
    const vs = await this.getApexService(canary);
    const next = structuredClone(vs);
    const first = next.spec?.routes?.[0];
    if (!first?.http) throw new Error(appMeshTexts.virtualServiceRoutesNotFound(vs.metadata.name));
    first.http.action = {
      weightedTargets: [
        { virtualNodeName: `${apex}-canary`, weight: routes.canaryWeight },
        { virtualNodeName: `${apex}-primary`, weight: routes.primaryWeight },
      ],
    };
    await withFlaggerError(
      () => this.api.replace(next),
      (err) => appMeshTexts.virtualServiceUpdateError(vs.metadata.name, err),
    );
  }

  async finalize(_canary: Canary): Promise<void> {}

  private async getApexService(canary: Canary): Promise<VirtualServiceV1> {
    const { apex } = serviceNames(canary);
    const vsName = `${apex}.${canary.metadata.namespace}`;
    const vs = await getOrFail<VirtualServiceV1>(
      this.api,
      ref('VirtualService', canary.metadata.namespace, vsName),
      (e) => appMeshTexts.virtualServiceGetQueryError(vsName, e),
    );
    if (!vs) {
      throw new Error(
        appMeshTexts.virtualServiceGetQueryError(
          vsName,
          appMeshTexts.notFound('virtualservices', vsName),
        ),
      );
    }
    return vs;
  }
}

/** cmpopts.IgnoreTypes(WeightedTarget{}): the spec with every route's targets dropped. */
function withoutWeights(spec: VirtualServiceV1['spec']): unknown {
  if (!spec) return undefined;
  return {
    ...spec,
    routes: spec.routes?.map((r) => ({
      ...r,
      ...(r.http ? { http: { ...r.http, action: {} } } : {}),
    })),
  };
}
