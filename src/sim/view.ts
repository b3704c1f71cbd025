/**
 * A read-only cache of the cluster for the simulations, kept current from store
 * events as an informer would, so routing thousands of synthetic requests per second
 * never lists the store. Any resource can be watched (a future Istio router reads
 * VirtualServices through the same view); each kind has a version that moves on every
 * change, so routers can rebuild their derived indexes only when needed.
 */
import type { ClusterStore, KubeObject, ResourceRef, StoreEvent } from './store';

const refKey = (ref: ResourceRef) => `${ref.group}/${ref.resource}`;
const objectKey = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;

interface Cache {
  objects: Map<string, KubeObject>;
  version: number;
}

export class ClusterView {
  private readonly caches = new Map<string, Cache>();
  private readonly unsubscribe: () => void;

  constructor(private readonly store: ClusterStore) {
    this.unsubscribe = store.subscribe((event) => this.onEvent(event));
  }

  stop(): void {
    this.unsubscribe();
  }

  private cache(ref: ResourceRef): Cache {
    const k = refKey(ref);
    let cache = this.caches.get(k);
    if (!cache) {
      cache = { objects: new Map(), version: 0 };
      for (const o of this.store.list(ref))
        cache.objects.set(objectKey(o.metadata.namespace, o.metadata.name), o);
      this.caches.set(k, cache);
    }
    return cache;
  }

  private onEvent(event: StoreEvent): void {
    const cache = this.caches.get(refKey(event.ref));
    if (!cache) return;
    const k = objectKey(event.object.metadata.namespace, event.object.metadata.name);
    if (event.type === 'DELETED') cache.objects.delete(k);
    else cache.objects.set(k, event.object);
    cache.version++;
  }

  get<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    namespace: string | undefined,
    name: string,
  ): T | undefined {
    return this.cache(ref).objects.get(objectKey(namespace, name)) as T | undefined;
  }

  list<T extends KubeObject = KubeObject>(ref: ResourceRef): T[] {
    return [...this.cache(ref).objects.values()] as T[];
  }

  /** Moves whenever an object of this kind changes. */
  version(ref: ResourceRef): number {
    return this.cache(ref).version;
  }
}
