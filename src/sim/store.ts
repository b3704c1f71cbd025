/**
 * The seam inside the playground: one simulated cluster's object store, as the API
 * server, the workload controllers, the traffic model and the apps all see it.
 *
 * The API server (src/sim/apiserver) implements it with Kubernetes semantics
 * (resourceVersion, generation, 409 on stale writes, owner-reference GC, watch); the
 * simulations only use this interface, never HTTP, so they stay fast and simple.
 */

import type { KubeObject, WatchEventType } from '../shared/kube-object';

export type { KubeObject, ObjectMeta, OwnerReference, WatchEventType } from '../shared/kube-object';

/** A resource type by API group and plural name, e.g. {group: 'apps', resource: 'deployments'}. */
export interface ResourceRef {
  /** '' for the core group. */
  group: string;
  resource: string;
}

export interface StoreEvent {
  type: WatchEventType;
  ref: ResourceRef;
  object: KubeObject;
}

export interface ListOptions {
  /** A Kubernetes label selector string, e.g. "app=podinfo,tier!=db". */
  labelSelector?: string;
  /** A Kubernetes field selector string, e.g. "metadata.name=x". */
  fieldSelector?: string;
}

export interface ClusterStore {
  get(ref: ResourceRef, namespace: string | undefined, name: string): KubeObject | undefined;
  list(ref: ResourceRef, namespace?: string, options?: ListOptions): KubeObject[];
  /** Assigns uid, resourceVersion, generation, creationTimestamp; throws StoreError 409 when it exists. */
  create(ref: ResourceRef, object: KubeObject): KubeObject;
  /**
   * Replaces the object (spec and metadata; status is kept for kinds with a status
   * subresource). When object.metadata.resourceVersion is set and stale, throws StoreError 409.
   */
  update(ref: ResourceRef, object: KubeObject): KubeObject;
  /** Writes only .status (the /status subresource), with the same resourceVersion rule. */
  updateStatus(ref: ResourceRef, object: KubeObject): KubeObject;
  /** Read-modify-write without a precondition, for controllers that own a field. */
  mutate(
    ref: ResourceRef,
    namespace: string | undefined,
    name: string,
    change: (object: KubeObject) => void,
    options?: { status?: boolean },
  ): KubeObject | undefined;
  /** Deletes, then garbage-collects dependents by owner reference. */
  delete(ref: ResourceRef, namespace: string | undefined, name: string): KubeObject | undefined;
  /** Every change in the cluster, after it is stored; returns an unsubscribe function. */
  subscribe(listener: (event: StoreEvent) => void): () => void;
}

export class StoreError extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 410 | 422 | 500,
    readonly reason:
      | 'BadRequest'
      | 'NotFound'
      | 'AlreadyExists'
      | 'Conflict'
      | 'Gone'
      | 'Invalid'
      | 'InternalError',
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

/** Common resource refs, so the simulations do not spell groups and plurals by hand. */
export const R = {
  namespaces: { group: '', resource: 'namespaces' },
  pods: { group: '', resource: 'pods' },
  services: { group: '', resource: 'services' },
  endpoints: { group: '', resource: 'endpoints' },
  configmaps: { group: '', resource: 'configmaps' },
  secrets: { group: '', resource: 'secrets' },
  events: { group: '', resource: 'events' },
  deployments: { group: 'apps', resource: 'deployments' },
  replicasets: { group: 'apps', resource: 'replicasets' },
  daemonsets: { group: 'apps', resource: 'daemonsets' },
  hpas: { group: 'autoscaling', resource: 'horizontalpodautoscalers' },
  ingresses: { group: 'networking.k8s.io', resource: 'ingresses' },
  leases: { group: 'coordination.k8s.io', resource: 'leases' },
  crds: { group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions' },
  canaries: { group: 'flagger.app', resource: 'canaries' },
  metricTemplates: { group: 'flagger.app', resource: 'metrictemplates' },
  alertProviders: { group: 'flagger.app', resource: 'alertproviders' },
} as const satisfies Record<string, ResourceRef>;
