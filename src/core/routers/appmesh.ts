/**
 * Flagger's App Mesh routers, picked as pkg/router/factory.go does: `appmesh:v1beta2` (and any
 * `appmesh:v1beta2…` suffix) gets AppMeshv1beta2Router (appmesh_v1beta2.go, the App Mesh
 * controller's appmesh.k8s.aws/v1beta2 API); the bare `appmesh` gets the legacy AppMeshRouter
 * (appmesh.go, appmesh.k8s.aws/v1beta1, see appmesh-v1beta1.ts).
 *
 * v1beta2 objects: VirtualNodes `<apex>-primary` and `<apex>-canary` (listener on the container
 * port, DNS discovery of the matching ClusterIP Service, pods selected by `<label>: <target>` /
 * `<target>-primary`), VirtualRouters `<apex>` (primary/canary split, or the A/B routes
 * `<apex>-a` with the header match and `<apex>-b` to the primary) and `<apex>-canary` (all on
 * the canary), each with a VirtualService of the same name. Only the first route's weighted
 * targets move during the analysis.
 */
import type { Canary, StringMap } from '../canary';
import { canonicalJson, serviceNames } from '../canary';
import type {
  RoutingObjectRef,
  Routes,
  TrafficRouter,
  WorkloadMetadata,
} from '../controller/ports';
import type { KubeApi, KubeObject, ObjectRef } from '../kube/api';
import { workloadFor } from '../workloads';
import type { AppMeshDuration, AppMeshRouterOptions, HTTPRouteHeader } from './appmesh-common';
import {
  ACCESS_LOG_ANNOTATION,
  appMeshObjects,
  appMeshTexts,
  gatewayAnnotations,
  matchHeaders,
  portProtocol,
  retrySettings,
  routePrefix,
  serviceTimeoutMs,
  virtualNodeTexts,
  withMetadata,
  withoutControllerFields,
} from './appmesh-common';
import { AppMeshV1beta1Router } from './appmesh-v1beta1';
import * as t from './texts';
import { getOrFail, ownedBy, reconcileObject, withFlaggerError } from './upsert';
import { apexMetadata, apexObjectMetadata, metadataDrifted } from './apex-object';

export { appMeshTexts } from './appmesh-common';
export type { AppMeshRouterOptions } from './appmesh-common';

export const APPMESH_V1BETA2 = 'appmesh.k8s.aws/v1beta2';

export interface WeightedTarget {
  virtualNodeRef?: { name: string; namespace?: string };
  virtualNodeARN?: string;
  weight: number;
}

export interface HTTPRoute {
  match: { prefix: string; headers?: HTTPRouteHeader[]; [field: string]: unknown };
  action: { weightedTargets: WeightedTarget[] };
  retryPolicy?: {
    httpRetryEvents?: string[];
    tcpRetryEvents?: string[];
    maxRetries: number;
    perRetryTimeout: AppMeshDuration;
  };
  timeout?: { perRequest?: AppMeshDuration; idle?: AppMeshDuration };
}

export interface VirtualRouterRoute {
  name: string;
  httpRoute?: HTTPRoute;
  http2Route?: HTTPRoute;
  grpcRoute?: unknown;
  tcpRoute?: unknown;
  priority?: number;
}

interface PortMapping {
  port: number;
  protocol: 'http' | 'grpc' | 'http2' | 'tcp';
}

export interface VirtualRouter extends KubeObject {
  spec?: {
    awsName?: string;
    meshRef?: unknown;
    listeners?: { portMapping: PortMapping }[];
    routes?: VirtualRouterRoute[];
    [field: string]: unknown;
  };
}

export interface VirtualNode extends KubeObject {
  spec?: {
    awsName?: string;
    meshRef?: unknown;
    podSelector?: { matchLabels?: StringMap };
    listeners?: {
      portMapping: PortMapping;
      timeout?: { http?: { perRequest?: AppMeshDuration } };
      [field: string]: unknown;
    }[];
    serviceDiscovery?: { dns?: { hostname: string }; [field: string]: unknown };
    backends?: {
      virtualService: { virtualServiceRef?: { name: string }; virtualServiceARN?: string };
    }[];
    logging?: { accessLog?: { file?: { path: string } } };
    [field: string]: unknown;
  };
}

export interface VirtualService extends KubeObject {
  spec?: {
    awsName?: string;
    meshRef?: unknown;
    provider?: {
      virtualRouter?: { virtualRouterRef?: { name: string; namespace?: string } };
      virtualNode?: { virtualNodeRef?: { name: string; namespace?: string } };
    };
    [field: string]: unknown;
  };
}

/** Drops every route's weighted targets, for cmpopts.IgnoreTypes(WeightedTarget{}). */
function withoutWeights(spec: VirtualRouter['spec']): unknown {
  if (!spec) return undefined;
  const { awsName: _awsName, meshRef: _meshRef, ...rest } = spec;
  return {
    ...rest,
    routes: spec.routes?.map((r) => ({
      ...r,
      ...(r.httpRoute ? { httpRoute: { ...r.httpRoute, action: {} } } : {}),
    })),
  };
}

export function v1beta2Ref(kind: string, namespace: string, name: string): ObjectRef {
  return { apiVersion: APPMESH_V1BETA2, kind, namespace, name };
}

// --- AppMeshv1beta2Router -------------------------------------------------------------------------

export class AppMeshV1beta2Router implements TrafficRouter {
  private readonly setOwnerRefs: boolean;
  private readonly metadata: (canary: Canary) => Promise<WorkloadMetadata>;

  constructor(
    private readonly api: KubeApi,
    options: AppMeshRouterOptions = {},
  ) {
    this.setOwnerRefs = options.setOwnerRefs ?? true;
    this.metadata =
      options.metadata ??
      ((canary) => workloadFor(canary, api, options.workloadOptions).getMetadata(canary));
  }

  objects(canary: Canary): RoutingObjectRef[] {
    return appMeshObjects(APPMESH_V1BETA2, serviceNames(canary).apex);
  }

  async reconcile(canary: Canary): Promise<void> {
    const ns = canary.metadata.namespace;
    const { apex, primary, canary: canaryName } = serviceNames(canary);
    const suffix = 'svc.cluster.local.';
    const { labelSelector } = await this.metadata(canary);
    const target = canary.spec.targetRef.name;
    const steps: [() => Promise<void>, (err: string) => string][] = [
      [
        () =>
          this.reconcileVirtualNode(
            canary,
            labelSelector,
            primary,
            `${target}-primary`,
            `${primary}.${ns}.${suffix}`,
          ),
        appMeshTexts.reconcileVirtualNodeFailed,
      ],
      [
        () =>
          this.reconcileVirtualNode(
            canary,
            labelSelector,
            canaryName,
            target,
            `${canaryName}.${ns}.${suffix}`,
          ),
        appMeshTexts.reconcileVirtualNodeFailed,
      ],
      // Flagger names the apex step "reconcileVirtualService" (the v1beta1 wording).
      [
        () => this.reconcileVirtualRouter(canary, apex, 0),
        appMeshTexts.reconcileVirtualServiceFailed,
      ],
      [
        () => this.reconcileVirtualRouter(canary, canaryName, 100),
        appMeshTexts.reconcileVirtualRouterFailed,
      ],
    ];
    for (const [step, wrap] of steps) {
      await withFlaggerError(
        () => step(),
        (err) => wrap(err),
      );
    }
  }

  private async reconcileVirtualNode(
    canary: Canary,
    labelSelector: string,
    name: string,
    podSelector: string,
    host: string,
  ): Promise<void> {
    const ns = canary.metadata.namespace;
    const timeoutMs = serviceTimeoutMs(canary);
    const spec: NonNullable<VirtualNode['spec']> = {
      listeners: [
        {
          portMapping: { port: containerPort(canary), protocol: portProtocol(canary) },
          ...(timeoutMs !== undefined
            ? { timeout: { http: { perRequest: { unit: 'ms', value: timeoutMs } } } }
            : {}),
        },
      ],
      serviceDiscovery: { dns: { hostname: host } },
      podSelector: { matchLabels: { [labelSelector]: podSelector } },
    };
    if (canary.metadata.annotations?.[ACCESS_LOG_ANNOTATION] === 'enabled') {
      spec.logging = { accessLog: { file: { path: '/dev/stdout' } } };
    }
    const backends = (canary.spec.service.backends ?? []).map((b) => ({
      virtualService: b.startsWith('arn:aws')
        ? { virtualServiceARN: b }
        : { virtualServiceRef: { name: b } },
    }));
    if (backends.length > 0) spec.backends = backends;

    const meta = apexMetadata(canary);
    await reconcileObject<VirtualNode>(this.api, {
      ref: v1beta2Ref('VirtualNode', ns, name),
      create: () => ({
        apiVersion: APPMESH_V1BETA2,
        kind: 'VirtualNode',
        metadata: apexObjectMetadata(canary, { name, namespace: ns }, meta, this.setOwnerRefs),
        spec,
      }),
      drifted: (existing) =>
        canonicalJson(spec) !== canonicalJson(withoutControllerFields(existing.spec) ?? null) ||
        metadataDrifted(existing, meta),
      // The App Mesh controller's own fields stay as it set them.
      updated: (existing) =>
        withMetadata(
          {
            ...structuredClone(existing),
            spec: {
              ...spec,
              ...(existing.spec?.awsName !== undefined ? { awsName: existing.spec.awsName } : {}),
              ...(existing.spec?.meshRef !== undefined ? { meshRef: existing.spec.meshRef } : {}),
            },
          },
          meta,
        ),
      texts: virtualNodeTexts(name, ns),
    });
  }

  private async reconcileVirtualRouter(
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
    const timeoutMs = serviceTimeoutMs(canary);
    const common = (): Omit<HTTPRoute, 'match' | 'action'> => {
      const retry = retrySettings(canary);
      return {
        ...(timeoutMs !== undefined
          ? { timeout: { perRequest: { unit: 'ms', value: timeoutMs } } }
          : {}),
        ...(retry
          ? {
              retryPolicy: {
                perRetryTimeout: { unit: 'ms', value: retry.perTryTimeoutMs },
                maxRetries: retry.attempts,
                httpRetryEvents: retry.events,
              },
            }
          : {}),
      };
    };
    const split = (): WeightedTarget[] => [
      { virtualNodeRef: { name: canaryNode }, weight: canaryWeight },
      { virtualNodeRef: { name: primaryNode }, weight: 100 - canaryWeight },
    ];

    let routes: VirtualRouterRoute[] = [
      {
        name: routerName,
        httpRoute: { match: { prefix }, ...common(), action: { weightedTargets: split() } },
      },
    ];
    if ((canary.spec.analysis?.match?.length ?? 0) > 0 && canaryWeight === 0) {
      routes = [
        {
          name: `${apex}-a`,
          priority: 10,
          httpRoute: {
            match: { prefix, headers: matchHeaders(canary) },
            ...common(),
            action: { weightedTargets: split() },
          },
        },
        {
          name: `${apex}-b`,
          priority: 20,
          httpRoute: {
            match: { prefix },
            ...common(),
            action: { weightedTargets: [{ virtualNodeRef: { name: primaryNode }, weight: 100 }] },
          },
        },
      ];
    }
    const spec: NonNullable<VirtualRouter['spec']> = {
      listeners: [{ portMapping: { port: containerPort(canary), protocol: portProtocol(canary) } }],
      routes,
    };

    const existing = await getOrFail<VirtualRouter>(
      this.api,
      v1beta2Ref('VirtualRouter', ns, name),
      (e) => appMeshTexts.virtualRouterGetQueryError(name, e),
    );
    if (!existing) {
      const router: VirtualRouter = {
        apiVersion: APPMESH_V1BETA2,
        kind: 'VirtualRouter',
        metadata: { name, namespace: ns, ...ownedBy(canary, this.setOwnerRefs) },
        spec,
      };
      await withFlaggerError(
        () => this.api.create(router),
        (err) => appMeshTexts.virtualRouterCreateError(name, err),
      );
      const annotations = canaryWeight === 0 ? gatewayAnnotations(canary) : {};
      const service: VirtualService = {
        apiVersion: APPMESH_V1BETA2,
        kind: 'VirtualService',
        metadata: {
          name,
          namespace: ns,
          ...ownedBy(canary, this.setOwnerRefs),
          ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
        },
        spec: { provider: { virtualRouter: { virtualRouterRef: { name } } } },
      };
      await withFlaggerError(
        () => this.api.create(service),
        (err) => appMeshTexts.virtualServiceCreateError(name, err),
      );
      return;
    }
    // Update the router but keep the weights the analysis has set on the first route.
    if (canonicalJson(withoutWeights(spec)) !== canonicalJson(withoutWeights(existing.spec))) {
      const next = structuredClone(existing);
      const firstAction = existing.spec?.routes?.[0]?.httpRoute?.action;
      const nextSpec = structuredClone(spec);
      const first = nextSpec.routes?.[0]?.httpRoute;
      if (first && firstAction) first.action = firstAction;
      next.spec = {
        ...nextSpec,
        ...(existing.spec?.awsName !== undefined ? { awsName: existing.spec.awsName } : {}),
        ...(existing.spec?.meshRef !== undefined ? { meshRef: existing.spec.meshRef } : {}),
      };
      await withFlaggerError(
        () => this.api.replace(next),
        (err) => appMeshTexts.virtualRouterUpdateError(name, err),
      );
    }
  }

  async getRoutes(canary: Canary): Promise<Routes> {
    const { apex, primary, canary: canaryName } = serviceNames(canary);
    const router = await this.getApexRouter(canary);
    const targets = router.spec?.routes?.[0]?.httpRoute?.action?.weightedTargets;
    if (!targets || targets.length !== 2) {
      throw new Error(appMeshTexts.virtualRouterRoutesNotFound(apex));
    }
    let primaryWeight = 0;
    let canaryWeight = 0;
    for (const target of targets) {
      if (target.virtualNodeRef?.name === canaryName) canaryWeight = target.weight;
      if (target.virtualNodeRef?.name === primary) primaryWeight = target.weight;
    }
    if (primaryWeight === 0 && canaryWeight === 0) {
      throw new Error(appMeshTexts.virtualRouterNoRoutes(apex, apex));
    }
    return { primaryWeight, canaryWeight, mirrored: false };
  }

  /** Rewrites the first route's weighted targets (mirroring is not supported by App Mesh). */
  async setRoutes(canary: Canary, routes: Routes): Promise<void> {
    const { apex, primary, canary: canaryName } = serviceNames(canary);
    const router = await this.getApexRouter(canary);
    const next = structuredClone(router);
    const first = next.spec?.routes?.[0];
    if (!first?.httpRoute) throw new Error(appMeshTexts.virtualRouterRoutesNotFound(apex));
    first.httpRoute.action = {
      weightedTargets: [
        { virtualNodeRef: { name: canaryName }, weight: routes.canaryWeight },
        { virtualNodeRef: { name: primary }, weight: routes.primaryWeight },
      ],
    };
    await withFlaggerError(
      () => this.api.replace(next),
      (err) => appMeshTexts.virtualRouterUpdateError(apex, err),
    );
  }

  async finalize(_canary: Canary): Promise<void> {}

  private async getApexRouter(canary: Canary): Promise<VirtualRouter> {
    const { apex } = serviceNames(canary);
    const router = await getOrFail<VirtualRouter>(
      this.api,
      v1beta2Ref('VirtualRouter', canary.metadata.namespace, apex),
      (e) => appMeshTexts.virtualRouterGetQueryError(apex, e),
    );
    if (!router) {
      throw new Error(
        appMeshTexts.virtualRouterGetQueryError(
          apex,
          appMeshTexts.notFound('virtualrouters', apex),
        ),
      );
    }
    return router;
  }
}

/** getContainerPort: targetPort when it is a number above zero, else the service port. */
function containerPort(canary: Canary): number {
  const { port, targetPort } = canary.spec.service;
  return typeof targetPort === 'number' && targetPort > 0 ? targetPort : port;
}

// --- the provider entry ---------------------------------------------------------------------------

/**
 * The `appmesh` family in ROUTERS, as factory.go picks: `appmesh:v1beta2…` → v1beta2, exactly
 * `appmesh` → the legacy v1beta1 router. Flagger sends any other `appmesh…` spelling to Istio;
 * Aviary names it unsupported.
 */
export function appMeshRouterFor(
  provider: string,
  api: KubeApi,
  options: AppMeshRouterOptions = {},
): TrafficRouter {
  if (provider.startsWith('appmesh:v1beta2')) return new AppMeshV1beta2Router(api, options);
  if (provider === 'appmesh') return new AppMeshV1beta1Router(api, options);
  throw new Error(t.providerNotSupported(provider));
}
