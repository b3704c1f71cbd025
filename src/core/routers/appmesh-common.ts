/**
 * What Flagger's two App Mesh routers (appmesh.go, appmesh_v1beta2.go) share: the texts, and
 * the values both derive from the Canary (timeouts, retries, header matches, gateway
 * annotations, the apex metadata).
 */
import type { Canary, StringMap } from '../canary';
import { tryParseGoDuration } from '../canary';
import type { RoutingObjectRef, WorkloadMetadata } from '../controller/ports';
import type { KubeObject } from '../kube/api';
import type { WorkloadOptions } from '../workloads';
import type { ApexMetadata } from './apex-object';

/** pkg/apis/appmesh: the Canary annotation that turns on Envoy access logs. */
export const ACCESS_LOG_ANNOTATION = 'appmesh.flagger.app/accesslog';

export interface AppMeshRouterOptions {
  /** Flagger's -mesh-provider, for canaries without spec.provider. */
  meshProvider?: string;
  /** Owner references on the objects the router creates (Flagger's default: true). */
  setOwnerRefs?: boolean;
  /** GetMetadata for a canary (the selector label); by default its workload controller's. */
  metadata?: (canary: Canary) => Promise<WorkloadMetadata>;
  workloadOptions?: WorkloadOptions;
}

/** The error texts of appmesh_v1beta2.go / appmesh.go (%w is the cause's message). */
export const appMeshTexts = {
  reconcileVirtualNodeFailed: (err: string) => `reconcileVirtualNode failed: ${err}`,
  reconcileVirtualServiceFailed: (err: string) => `reconcileVirtualService failed: ${err}`,
  reconcileVirtualRouterFailed: (err: string) => `reconcileVirtualRouter failed: ${err}`,
  virtualNodeCreateError: (name: string, ns: string, err: string) =>
    `VirtualNode ${name}.${ns} create error ${err}`,
  virtualNodeGetQueryError: (name: string, err: string) =>
    `VirtualNode ${name} get query error ${err}`,
  virtualNodeUpdateError: (name: string, err: string) => `VirtualNode ${name} update error ${err}`,
  virtualRouterCreateError: (name: string, err: string) =>
    `VirtualRouter ${name} create error ${err}`,
  virtualRouterGetQueryError: (name: string, err: string) =>
    `VirtualRouter ${name} get query error: ${err}`,
  virtualRouterUpdateError: (name: string, err: string) =>
    `VirtualRouter ${name} update error: ${err}`,
  virtualRouterRoutesNotFound: (name: string) => `VirtualRouter routes ${name} not found`,
  virtualRouterNoRoutes: (name: string, apex: string) =>
    `VirtualRouter ${name} does not contain routes for ${apex}-primary and ${apex}-canary`,
  virtualServiceCreateError: (name: string, err: string) =>
    `VirtualService ${name} create error ${err}`,
  virtualServiceGetQueryError: (name: string, err: string) =>
    `VirtualService ${name} get query error: ${err}`,
  virtualServiceUpdateError: (name: string, err: string) =>
    `VirtualService ${name} update error: ${err}`,
  virtualServiceRoutesNotFound: (name: string) => `VirtualService routes ${name} not found`,
  virtualServiceNoRoutes: (name: string, apex: string) =>
    `VirtualService ${name} does not contain routes for ${apex}-primary and ${apex}-canary`,
  meshNameEmpty: () => 'mesh name cannot be empty',
  /** client-go's NotFound text, for a Get that found nothing. */
  notFound: (resource: string, name: string) => `${resource}.appmesh.k8s.aws "${name}" not found`,
};

/** appmesh.k8s.aws/v1beta2 Duration. */
export interface AppMeshDuration {
  unit: 'ms' | 's';
  value: number;
}

export interface HeaderMatchMethod {
  exact?: string;
  prefix?: string;
  regex?: string;
  suffix?: string;
  range?: { start: number; end: number };
}

export interface HTTPRouteHeader {
  name: string;
  match?: HeaderMatchMethod;
  invert?: boolean;
}

/** getTimeout: service.timeout in milliseconds, when it parses as a Go duration. */
export function serviceTimeoutMs(canary: Canary): number | undefined {
  const timeout = canary.spec.service.timeout;
  if (!timeout) return undefined;
  const ns = tryParseGoDuration(timeout);
  return ns === undefined ? undefined : Math.trunc(ns / 1e6);
}

/** makeRetryPolicy's inputs: service.retries (Istio HTTPRetry), defaults 1 × 250ms on gateway-error. */
export function retrySettings(
  canary: Canary,
): { perTryTimeoutMs: number; attempts: number; events: string[] } | undefined {
  const retries = canary.spec.service.retries;
  if (!retries) return undefined;
  const perTry =
    typeof retries['perTryTimeout'] === 'string'
      ? tryParseGoDuration(retries['perTryTimeout'])
      : undefined;
  const attempts = typeof retries['attempts'] === 'number' ? retries['attempts'] : 0;
  const retryOn = typeof retries['retryOn'] === 'string' ? retries['retryOn'] : '';
  return {
    perTryTimeoutMs: perTry === undefined ? 250 : Math.trunc(perTry / 1e6),
    attempts: attempts > 0 ? attempts : 1,
    events: retryOn.length > 0 ? retryOn.split(',') : ['gateway-error'],
  };
}

/** makeHeaders: every analysis.match header, in order (empty match fields left out). */
export function matchHeaders(canary: Canary): HTTPRouteHeader[] {
  const headers: HTTPRouteHeader[] = [];
  for (const m of canary.spec.analysis?.match ?? []) {
    for (const [name, value] of Object.entries(m.headers ?? {})) {
      const match: HeaderMatchMethod = {};
      if (value.exact) match.exact = value.exact;
      if (value.prefix) match.prefix = value.prefix;
      if (value.regex) match.regex = value.regex;
      if (value.suffix) match.suffix = value.suffix;
      headers.push({ name, match });
    }
  }
  return headers;
}

/** App Mesh matches URI prefixes only: service.match[0].uri.prefix, else "/". */
export function routePrefix(canary: Canary): string {
  return canary.spec.service.match?.[0]?.uri?.prefix || '/';
}

export function portProtocol(canary: Canary): 'grpc' | 'http' {
  return (canary.spec.service.portName ?? '').includes('grpc') ? 'grpc' : 'http';
}

/** gatewayAnnotations: what the App Mesh Gateway reads on the apex VirtualService. */
export function gatewayAnnotations(canary: Canary): StringMap {
  const a: StringMap = {};
  const domains = (canary.spec.service.hosts ?? []).map((h) => `${h},`).join('');
  if (domains !== '') {
    a['gateway.appmesh.k8s.aws/expose'] = 'true';
    a['gateway.appmesh.k8s.aws/domain'] = domains;
    const { timeout, retries } = canary.spec.service;
    if (timeout) a['gateway.appmesh.k8s.aws/timeout'] = timeout;
    const attempts = retries?.['attempts'];
    if (typeof attempts === 'number' && attempts > 0) {
      a['gateway.appmesh.k8s.aws/retries'] = String(attempts);
    }
  }
  return a;
}

/** The spec without the fields the App Mesh controller's webhook fills in (awsName, meshRef). */
export function withoutControllerFields<T extends { awsName?: unknown; meshRef?: unknown }>(
  spec: T | undefined,
): Omit<T, 'awsName' | 'meshRef'> | undefined {
  if (!spec) return undefined;
  const { awsName: _awsName, meshRef: _meshRef, ...rest } = spec;
  return rest;
}

/** The object with the apex labels and annotations (replacing its own). */
export function withMetadata<T extends KubeObject>(object: T, meta: ApexMetadata): T {
  object.metadata.labels = meta.labels;
  object.metadata.annotations = meta.annotations;
  return object;
}

/** Flagger's texts for a VirtualNode's failed get, create and update. */
export function virtualNodeTexts(
  name: string,
  ns: string,
): Record<'get' | 'create' | 'update', (err: string) => string> {
  return {
    get: (err: string) => appMeshTexts.virtualNodeGetQueryError(name, err),
    create: (err: string) => appMeshTexts.virtualNodeCreateError(name, ns, err),
    update: (err: string) => appMeshTexts.virtualNodeUpdateError(name, err),
  };
}

/** The objects both App Mesh routers write, in the API version of each. */
export function appMeshObjects(apiVersion: string, apex: string): RoutingObjectRef[] {
  return [
    { apiVersion, kind: 'VirtualService', name: apex, role: 'virtual service' },
    { apiVersion, kind: 'VirtualService', name: `${apex}-canary`, role: 'canary virtual service' },
    { apiVersion, kind: 'VirtualRouter', name: apex, role: 'virtual router' },
    { apiVersion, kind: 'VirtualRouter', name: `${apex}-canary`, role: 'canary virtual router' },
    { apiVersion, kind: 'VirtualNode', name: `${apex}-primary`, role: 'primary node' },
    { apiVersion, kind: 'VirtualNode', name: `${apex}-canary`, role: 'canary node' },
  ];
}
