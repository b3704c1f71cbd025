/**
 * KubeApi: the engine's only way to a cluster. One per context. The real implementation
 * (cluster-client.ts) speaks HTTP through @kubernetes/client-node with the user's own
 * credentials and a per-cluster request budget; tests may use an in-process one. Everything
 * above it (routers, workload controllers, metrics, webhooks, the state machine) takes a
 * KubeApi and never sees client-node, so a slow or broken cluster is contained here.
 */

import type { KubeObject, WatchEventType } from '../../shared/kube-object';

export type {
  KubeObject,
  ObjectMeta,
  OwnerReference,
  WatchEventType,
} from '../../shared/kube-object';

/** Which object: apiVersion + kind identify the resource, as in a manifest. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
}

/** A request to a Service through the API server's service proxy. */
export interface ServiceProxyRequest {
  namespace: string;
  service: string;
  /** Port number or name; empty means the service's first port. */
  port?: string | number;
  /** "https" for `https:NAME:PORT` proxying. */
  scheme?: 'http' | 'https';
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD';
  /** Path and query after /proxy, starting with "/". */
  path: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

export interface HttpResult {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type KubeErrorReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Forbidden'
  | 'Unauthorized'
  | 'Invalid'
  | 'Timeout'
  | 'Unavailable'
  | 'Unknown';

/** An API error with the Status reason, so callers can branch on Conflict/NotFound. */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: KubeErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

export const isNotFound = (err: unknown): boolean =>
  err instanceof KubeApiError && err.reason === 'NotFound';
export const isConflict = (err: unknown): boolean =>
  err instanceof KubeApiError && err.reason === 'Conflict';
export const isAlreadyExists = (err: unknown): boolean =>
  err instanceof KubeApiError && err.reason === 'AlreadyExists';

export interface KubeApi {
  /** The context this API talks to (for logs and messages). */
  readonly context: string;
  /** undefined when the object does not exist (404). */
  get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T | undefined>;
  list<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    namespace?: string,
    options?: ListOptions,
  ): Promise<T[]>;
  create<T extends KubeObject = KubeObject>(object: T): Promise<T>;
  /** PUT; metadata.resourceVersion, when set, is a precondition (KubeApiError Conflict). */
  replace<T extends KubeObject = KubeObject>(object: T): Promise<T>;
  /** PUT on the /status subresource, with the same resourceVersion precondition. */
  replaceStatus<T extends KubeObject = KubeObject>(object: T): Promise<T>;
  /** JSON merge patch (application/merge-patch+json). */
  mergePatch<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: unknown): Promise<T>;
  /** Idempotent: a missing object is not an error. */
  delete(ref: ObjectRef): Promise<void>;
  /** HTTP to a Service through the API server's service proxy (webhooks, Prometheus). */
  serviceProxy(request: ServiceProxyRequest): Promise<HttpResult>;
  /**
   * A watch stream (list+watch, resumed on drops with backoff, relisted on 410 Gone).
   * The handler sees the initial list as ADDED events. Returns a stop function.
   */
  watch(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    handler: (type: WatchEventType, object: KubeObject) => void,
    options?: ListOptions & { onError?: (err: Error) => void },
  ): () => void;
}
