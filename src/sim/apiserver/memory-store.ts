/**
 * MemoryClusterStore: one simulated cluster's objects with kube-apiserver semantics —
 * a cluster-wide resourceVersion, uid/creationTimestamp/generation, 409 on stale writes,
 * status subresource rules, finalizers, owner-reference garbage collection, namespaces
 * that must exist, selectors, and a bounded change log that watches resume from (an
 * older resourceVersion is 410 Gone, as after an etcd compaction).
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../shared/clock';
import { systemClock } from '../../shared/clock';
import type {
  ClusterStore,
  KubeObject,
  ListOptions,
  OwnerReference,
  ResourceRef,
  StoreEvent,
  WatchEventType,
} from '../store';
import { StoreError } from '../store';
import { preinstalledCrds } from './crds/index';
import { applyDefaults } from './defaults';
import {
  ApiError,
  alreadyExists,
  conflict,
  invalid,
  notFound,
  tooOldResourceVersion,
} from './errors';
import type { ResourceType } from './resources';
import { ResourceRegistry, refKey, resourceTypeFromCrd } from './resources';
import { compileSelectors } from './selectors';

export interface WriteOptions {
  /** ?dryRun=All: validate and compute the result, store nothing. */
  dryRun?: boolean;
}

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export interface DeleteOptions extends WriteOptions {
  propagationPolicy?: PropagationPolicy;
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** A stored change, as the watch log keeps it. Objects are the stored ones: never mutate. */
export interface StoredChange {
  resourceVersion: number;
  type: WatchEventType;
  ref: ResourceRef;
  object: KubeObject;
  /** The object before a MODIFIED change, so selector watches can send ADDED/DELETED on transitions. */
  previous?: KubeObject;
}

export interface ListPageOptions extends ListOptions {
  limit?: number;
  continue?: string;
}

export interface ListPage {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface StoreSnapshot {
  format: 'aviary-playground-store/v1';
  resourceVersion: number;
  nextClusterIP: number;
  objects: { group: string; resource: string; object: KubeObject }[];
}

export interface MemoryClusterStoreOptions {
  clock?: Clock;
  /** How many changes the watch log keeps; resuming from older ones is 410 Gone. */
  changeWindow?: number;
  /** CRDs installed at start (default: Flagger's). */
  crds?: KubeObject[];
}

const BUILTIN_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAMESPACES: ResourceRef = { group: '', resource: 'namespaces' };
const CRDS: ResourceRef = { group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions' };

export function formatTimestamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => deepEqual(ao[k], bo[k]));
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

/** Everything but metadata (and status where it is a subresource): what generation tracks. */
function specPart(o: KubeObject, withoutStatus: boolean): Record<string, unknown> {
  const { metadata: _m, status: _s, ...rest } = o;
  return withoutStatus ? rest : { ...rest, status: _s };
}

export class MemoryClusterStore implements ClusterStore {
  readonly resources = new ResourceRegistry();
  readonly clock: Clock;
  private readonly buckets = new Map<string, Map<string, KubeObject>>();
  private readonly uids = new Set<string>();
  private rv = 0;
  private log: StoredChange[] = [];
  /** Changes up to this resourceVersion are no longer in the log. */
  private compactedThrough = 0;
  private readonly changeWindow: number;
  private readonly subscribers = new Set<(event: StoreEvent) => void>();
  private readonly changeListeners = new Set<(change: StoredChange) => void>();
  private readonly pending: StoredChange[] = [];
  private delivering = false;
  private nextClusterIP = 10;
  private readonly terminatingNamespaces = new Set<string>();

  constructor(options: MemoryClusterStoreOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.changeWindow = Math.max(1, options.changeWindow ?? 5000);
    for (const name of BUILTIN_NAMESPACES)
      this.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    for (const crd of options.crds ?? preinstalledCrds) this.create(CRDS, crd);
  }

  /** The latest resourceVersion in the cluster (what a list returns). */
  get resourceVersion(): string {
    return String(this.rv);
  }

  typeOf(ref: ResourceRef): ResourceType {
    const type = this.resources.get(ref);
    if (!type)
      throw new StoreError(404, 'NotFound', 'the server could not find the requested resource');
    return type;
  }

  // ---- reads ------------------------------------------------------------------------

  /** The stored object itself, for serialization; callers must not mutate it. */
  peek(ref: ResourceRef, namespace: string | undefined, name: string): KubeObject | undefined {
    const type = this.resources.get(ref);
    if (!type) return undefined;
    return this.buckets
      .get(refKey(ref))
      ?.get(objectKey(type.namespaced ? namespace : undefined, name));
  }

  get(ref: ResourceRef, namespace: string | undefined, name: string): KubeObject | undefined {
    const o = this.peek(ref, namespace, name);
    return o && clone(o);
  }

  list(ref: ResourceRef, namespace?: string, options: ListOptions = {}): KubeObject[] {
    return this.listStored(ref, namespace, options).map(clone);
  }

  /** Stored objects (not copies), sorted by namespace/name as etcd returns them. */
  listStored(ref: ResourceRef, namespace?: string, options: ListOptions = {}): KubeObject[] {
    const type = this.resources.get(ref);
    const bucket = this.buckets.get(refKey(ref));
    if (!type || !bucket) return [];
    const matches = compileSelectors(options.labelSelector, options.fieldSelector);
    const keys = [...bucket.keys()].sort();
    const out: KubeObject[] = [];
    for (const key of keys) {
      const o = bucket.get(key);
      if (!o) continue;
      if (namespace && type.namespaced && o.metadata.namespace !== namespace) continue;
      if (matches(o)) out.push(o);
    }
    return out;
  }

  /** A page of a list with limit/continue, as the HTTP list verb serves it. */
  listPage(ref: ResourceRef, namespace: string | undefined, options: ListPageOptions): ListPage {
    let items = this.listStored(ref, namespace, options);
    let listRv = this.rv;
    if (options.continue) {
      const token = decodeContinue(options.continue);
      listRv = token.rv;
      items = items.filter((o) => objectKey(o.metadata.namespace, o.metadata.name) > token.start);
    }
    const limit = options.limit && options.limit > 0 ? options.limit : undefined;
    if (limit === undefined || items.length <= limit)
      return { items, resourceVersion: String(listRv) };
    const page = items.slice(0, limit);
    const last = page[page.length - 1];
    const start = last ? objectKey(last.metadata.namespace, last.metadata.name) : '';
    return {
      items: page,
      resourceVersion: String(listRv),
      continue: encodeContinue({ rv: listRv, start }),
      remainingItemCount: items.length - limit,
    };
  }

  // ---- writes -----------------------------------------------------------------------

  create(ref: ResourceRef, object: KubeObject, options: WriteOptions = {}): KubeObject {
    const type = this.typeOf(ref);
    if (type.virtual) throw new StoreError(400, 'BadRequest', `${type.plural} are not stored`);
    const o = clone(object);
    const meta = (o.metadata ??= { name: '' });
    o.apiVersion ||= apiVersionOf(type);
    o.kind ||= type.kind;
    if (!meta.name && meta.generateName) meta.name = meta.generateName + randomSuffix();
    if (type.namespaced) {
      if (!meta.namespace)
        throw new StoreError(
          400,
          'BadRequest',
          'the server could not find the requested resource: namespace required',
        );
      this.requireNamespace(meta.namespace);
    } else {
      delete meta.namespace;
    }
    this.validateName(type, o);
    const key = objectKey(meta.namespace, meta.name);
    if (this.buckets.get(refKey(ref))?.has(key)) throw alreadyExists(ref, meta.name);
    meta.uid = randomUUID();
    meta.creationTimestamp = formatTimestamp(this.clock.now());
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    if (type.generation) meta.generation = 1;
    else delete meta.generation;
    applyDefaults(refKey(ref), o);
    if (ref.group === '' && ref.resource === 'services') this.allocateClusterIP(o);
    if (refKey(ref) === refKey(CRDS)) this.prepareCrd(o);
    if (options.dryRun) return o;
    this.commit(ref, 'ADDED', o);
    if (refKey(ref) === refKey(CRDS)) this.resources.add(resourceTypeFromCrd(o));
    return clone(o);
  }

  update(ref: ResourceRef, object: KubeObject, options: WriteOptions = {}): KubeObject {
    return this.write(ref, object, false, options);
  }

  updateStatus(ref: ResourceRef, object: KubeObject, options: WriteOptions = {}): KubeObject {
    return this.write(ref, object, true, options);
  }

  mutate(
    ref: ResourceRef,
    namespace: string | undefined,
    name: string,
    change: (object: KubeObject) => void,
    options: { status?: boolean } = {},
  ): KubeObject | undefined {
    const current = this.peek(ref, namespace, name);
    if (!current) return undefined;
    const draft = clone(current);
    change(draft);
    draft.metadata.resourceVersion = current.metadata.resourceVersion;
    return this.write(ref, draft, options.status === true, {});
  }

  delete(
    ref: ResourceRef,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
  ): KubeObject | undefined {
    const current = this.peek(ref, namespace, name);
    if (!current) return undefined;
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== current.metadata.uid) {
      throw conflict(
        ref,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`,
      );
    }
    if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
      throw conflict(
        ref,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
      );
    }
    if (options.dryRun) return clone(current);
    const isNamespace = refKey(ref) === refKey(NAMESPACES);
    const finalizers = current.metadata.finalizers ?? [];
    if (finalizers.length > 0 || isNamespace) {
      // Marked for deletion; it goes away when its finalizers are removed (or, for a
      // namespace, when its content is gone).
      let marked = current;
      if (!current.metadata.deletionTimestamp) {
        marked = clone(current);
        marked.metadata.deletionTimestamp = formatTimestamp(this.clock.now());
        marked.metadata.deletionGracePeriodSeconds = 0;
        if (isNamespace)
          marked.status = { ...((marked.status as object) ?? {}), phase: 'Terminating' };
        this.commit(ref, 'MODIFIED', marked, current);
      }
      if (isNamespace) {
        this.terminatingNamespaces.add(name);
        this.deleteNamespaceContent(name);
        this.finishNamespaceIfEmpty(name);
      }
      return clone(this.peek(ref, namespace, name) ?? marked);
    }
    this.remove(ref, current, options.propagationPolicy ?? 'Background');
    return clone(current);
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.subscribers.add(listener);
    return () => this.subscribers.delete(listener);
  }

  /** Raw changes with their resourceVersion and previous object (for the HTTP watch). */
  onChange(listener: (change: StoredChange) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Changes after resourceVersion `since`; 410 Gone when the log no longer reaches back that far. */
  changesSince(since: number): StoredChange[] {
    if (since < this.compactedThrough)
      throw tooOldResourceVersion(since, this.compactedThrough + 1);
    if (since >= this.rv) return [];
    // The log is ordered by resourceVersion: binary search the first entry after `since`.
    let lo = 0;
    let hi = this.log.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.log[mid]?.resourceVersion ?? 0) <= since) lo = mid + 1;
      else hi = mid;
    }
    return this.log.slice(lo);
  }

  // ---- snapshot ---------------------------------------------------------------------

  snapshot(): StoreSnapshot {
    const objects: StoreSnapshot['objects'] = [];
    for (const [key, bucket] of this.buckets) {
      const slash = key.indexOf('/');
      const group = key.slice(0, slash);
      const resource = key.slice(slash + 1);
      for (const object of bucket.values())
        objects.push({ group, resource, object: clone(object) });
    }
    return {
      format: 'aviary-playground-store/v1',
      resourceVersion: this.rv,
      nextClusterIP: this.nextClusterIP,
      objects,
    };
  }

  /**
   * Replaces all content with a snapshot. Meant for start-up: subscribers are not told,
   * and watches from before the restore get 410 Gone when they resume.
   */
  restore(snapshot: StoreSnapshot): void {
    if (snapshot.format !== 'aviary-playground-store/v1')
      throw new Error(`unknown snapshot format ${String(snapshot.format)}`);
    for (const type of this.resources.all())
      if (type.crdName) this.resources.remove({ group: type.group, resource: type.plural });
    this.buckets.clear();
    this.uids.clear();
    this.terminatingNamespaces.clear();
    for (const { group, resource, object } of snapshot.objects) {
      const ref = { group, resource };
      if (refKey(ref) === refKey(CRDS)) this.resources.add(resourceTypeFromCrd(object));
    }
    for (const { group, resource, object } of snapshot.objects) {
      const o = clone(object);
      this.bucket({ group, resource }).set(objectKey(o.metadata.namespace, o.metadata.name), o);
      if (o.metadata.uid) this.uids.add(o.metadata.uid);
      if (group === '' && resource === 'namespaces' && o.metadata.deletionTimestamp)
        this.terminatingNamespaces.add(o.metadata.name);
    }
    this.rv = snapshot.resourceVersion;
    this.compactedThrough = snapshot.resourceVersion;
    this.log = [];
    this.nextClusterIP = snapshot.nextClusterIP;
  }

  // ---- internals --------------------------------------------------------------------

  private write(
    ref: ResourceRef,
    incoming: KubeObject,
    statusOnly: boolean,
    options: WriteOptions,
  ): KubeObject {
    const type = this.typeOf(ref);
    const name = incoming.metadata?.name;
    if (!name)
      throw invalid(type.kind, type.group, '', 'metadata.name', 'Required value: name is required');
    const namespace = type.namespaced ? incoming.metadata.namespace : undefined;
    const current = this.peek(ref, namespace, name);
    if (!current) throw notFound(ref, name);
    const expected = incoming.metadata.resourceVersion;
    if (expected && expected !== current.metadata.resourceVersion) throw conflict(ref, name);

    let next: KubeObject;
    if (statusOnly) {
      next = clone(current);
      if (incoming.status === undefined) delete next.status;
      else next.status = clone(incoming.status);
    } else {
      next = clone(incoming);
      next.apiVersion ||= current.apiVersion;
      next.kind ||= current.kind;
      if (type.status) {
        if (current.status === undefined) delete next.status;
        else next.status = clone(current.status);
      }
      // The server owns these; a client cannot change them with a PUT.
      const m = next.metadata;
      m.uid = current.metadata.uid;
      m.creationTimestamp = current.metadata.creationTimestamp;
      if (type.namespaced) m.namespace = current.metadata.namespace;
      else delete m.namespace;
      if (current.metadata.deletionTimestamp) {
        m.deletionTimestamp = current.metadata.deletionTimestamp;
        m.deletionGracePeriodSeconds = current.metadata.deletionGracePeriodSeconds;
      } else {
        delete m.deletionTimestamp;
        delete m.deletionGracePeriodSeconds;
      }
      delete m.generateName;
      if (current.metadata.generateName) m.generateName = current.metadata.generateName;
      applyDefaults(refKey(ref), next);
      if (ref.group === '' && ref.resource === 'services') this.keepClusterIP(current, next);
      if (refKey(ref) === refKey(CRDS)) this.prepareCrd(next);
    }
    if (type.generation) {
      const changed = !deepEqual(specPart(current, type.status), specPart(next, type.status));
      next.metadata.generation = (current.metadata.generation ?? 1) + (changed ? 1 : 0);
    }
    next.metadata.resourceVersion = current.metadata.resourceVersion;
    // A no-op write does not bump resourceVersion or wake watchers, as in kube-apiserver.
    if (deepEqual(next, current)) return clone(current);
    if (options.dryRun) return next;

    if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0) {
      this.commit(ref, 'MODIFIED', next, current);
      this.remove(ref, next, 'Background');
      return clone(next);
    }
    this.commit(ref, 'MODIFIED', next, current);
    if (refKey(ref) === refKey(CRDS)) this.resources.add(resourceTypeFromCrd(next));
    return clone(next);
  }

  /** Removes a stored object: DELETED event, then the consequences (GC, CRD, namespace). */
  private remove(ref: ResourceRef, current: KubeObject, policy: PropagationPolicy): void {
    const gone = { ...current, metadata: { ...current.metadata } };
    this.commit(ref, 'DELETED', gone, current);
    const uid = current.metadata.uid;
    if (uid) this.collectDependents(uid, policy);
    if (refKey(ref) === refKey(CRDS)) this.removeCrdType(current);
    const ns = current.metadata.namespace;
    if (ns && this.terminatingNamespaces.has(ns)) this.finishNamespaceIfEmpty(ns);
  }

  /** Background cascade: dependents whose last live owner is gone are deleted; Orphan strips the reference. */
  private collectDependents(ownerUid: string, policy: PropagationPolicy): void {
    for (const [key, bucket] of [...this.buckets]) {
      const ref = refFromKey(key);
      for (const dependent of [...bucket.values()]) {
        const owners = dependent.metadata.ownerReferences ?? [];
        if (!owners.some((o) => o.uid === ownerUid)) continue;
        const remaining = owners.filter(
          (o: OwnerReference) => o.uid !== ownerUid && this.uids.has(o.uid),
        );
        if (policy === 'Orphan' || remaining.length > 0) {
          this.mutate(ref, dependent.metadata.namespace, dependent.metadata.name, (d) => {
            const refs = (d.metadata.ownerReferences ?? []).filter((o) => o.uid !== ownerUid);
            if (refs.length) d.metadata.ownerReferences = refs;
            else delete d.metadata.ownerReferences;
          });
        } else {
          this.delete(ref, dependent.metadata.namespace, dependent.metadata.name, {
            propagationPolicy: 'Background',
          });
        }
      }
    }
  }

  private deleteNamespaceContent(namespace: string): void {
    for (const [key, bucket] of [...this.buckets]) {
      const ref = refFromKey(key);
      const type = this.resources.get(ref);
      if (!type?.namespaced) continue;
      for (const o of [...bucket.values()]) {
        if (o.metadata.namespace === namespace && !o.metadata.deletionTimestamp) {
          this.delete(ref, namespace, o.metadata.name, { propagationPolicy: 'Background' });
        }
      }
    }
  }

  private finishNamespaceIfEmpty(namespace: string): void {
    for (const [key, bucket] of this.buckets) {
      if (!this.resources.get(refFromKey(key))?.namespaced) continue;
      for (const o of bucket.values()) if (o.metadata.namespace === namespace) return;
    }
    this.terminatingNamespaces.delete(namespace);
    const ns = this.peek(NAMESPACES, undefined, namespace);
    if (ns) this.remove(NAMESPACES, ns, 'Background');
  }

  private removeCrdType(crd: KubeObject): void {
    const type = resourceTypeFromCrd(crd);
    const ref = { group: type.group, resource: type.plural };
    const bucket = this.buckets.get(refKey(ref));
    for (const o of [...(bucket?.values() ?? [])]) this.remove(ref, o, 'Background');
    this.buckets.delete(refKey(ref));
    this.resources.remove(ref);
  }

  private requireNamespace(namespace: string): void {
    const ns = this.peek(NAMESPACES, undefined, namespace);
    if (!ns) throw notFound(NAMESPACES, namespace);
    if (ns.metadata.deletionTimestamp) {
      throw new ApiError(
        403,
        'Forbidden',
        `unable to create new content in namespace ${namespace} because it is being terminated`,
        { name: namespace, kind: 'namespaces' },
      );
    }
  }

  private validateName(type: ResourceType, o: KubeObject): void {
    const name = o.metadata.name;
    if (!name)
      throw invalid(
        type.kind,
        type.group,
        '',
        'metadata.name',
        'Required value: name or generateName is required',
      );
    if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
      throw invalid(
        type.kind,
        type.group,
        name,
        'metadata.name',
        `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
      );
    }
  }

  private prepareCrd(o: KubeObject): void {
    const spec = (o.spec ?? {}) as {
      group?: string;
      names?: { plural?: string; kind?: string };
      versions?: { name: string; storage?: boolean }[];
    };
    const plural = spec.names?.plural;
    if (!spec.group || !plural || !spec.names?.kind || !spec.versions?.length) {
      throw invalid(
        'CustomResourceDefinition',
        'apiextensions.k8s.io',
        o.metadata.name,
        'spec',
        'Required value: group, names.plural, names.kind and versions are required',
      );
    }
    if (o.metadata.name !== `${plural}.${spec.group}`) {
      throw invalid(
        'CustomResourceDefinition',
        'apiextensions.k8s.io',
        o.metadata.name,
        'metadata.name',
        `Invalid value: "${o.metadata.name}": must be spec.names.plural+"."+spec.group`,
      );
    }
    const now = formatTimestamp(this.clock.now());
    const storage = spec.versions.find((v) => v.storage)?.name ?? spec.versions[0]?.name;
    const existing = (o.status ?? {}) as {
      conditions?: { type: string; lastTransitionTime?: string }[];
    };
    const since = (type: string) =>
      existing.conditions?.find((c) => c.type === type)?.lastTransitionTime ?? now;
    o.status = {
      acceptedNames: clone(spec.names),
      conditions: [
        {
          type: 'NamesAccepted',
          status: 'True',
          lastTransitionTime: since('NamesAccepted'),
          reason: 'NoConflicts',
          message: 'no conflicts found',
        },
        {
          type: 'Established',
          status: 'True',
          lastTransitionTime: since('Established'),
          reason: 'InitialNamesAccepted',
          message: 'the initial names have been accepted',
        },
      ],
      storedVersions: storage ? [storage] : [],
    };
  }

  private allocateClusterIP(o: KubeObject): void {
    const spec = (o.spec ?? {}) as Record<string, unknown>;
    if (spec.type === 'ExternalName' || spec.clusterIP === 'None') {
      if (spec.clusterIP === 'None') spec.clusterIPs = ['None'];
      return;
    }
    if (typeof spec.clusterIP !== 'string' || spec.clusterIP === '') {
      const n = this.nextClusterIP++;
      spec.clusterIP = `10.96.${Math.floor(n / 254) % 256}.${(n % 254) + 1}`;
    }
    spec.clusterIPs = [spec.clusterIP];
  }

  private keepClusterIP(current: KubeObject, next: KubeObject): void {
    const was = (current.spec ?? {}) as Record<string, unknown>;
    const spec = (next.spec ??= {}) as Record<string, unknown>;
    if (!spec.clusterIP && was.clusterIP) spec.clusterIP = was.clusterIP;
    if (!spec.clusterIPs && was.clusterIPs) spec.clusterIPs = was.clusterIPs;
  }

  private bucket(ref: ResourceRef): Map<string, KubeObject> {
    const key = refKey(ref);
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new Map();
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  private commit(
    ref: ResourceRef,
    type: WatchEventType,
    object: KubeObject,
    previous?: KubeObject,
  ): void {
    this.rv++;
    object.metadata.resourceVersion = String(this.rv);
    const bucket = this.bucket(ref);
    const key = objectKey(object.metadata.namespace, object.metadata.name);
    if (type === 'DELETED') {
      bucket.delete(key);
      if (object.metadata.uid) this.uids.delete(object.metadata.uid);
    } else {
      bucket.set(key, object);
      if (object.metadata.uid) this.uids.add(object.metadata.uid);
    }
    const change: StoredChange = {
      resourceVersion: this.rv,
      type,
      ref: { group: ref.group, resource: ref.resource },
      object,
      ...(previous ? { previous } : {}),
    };
    this.log.push(change);
    if (this.log.length > this.changeWindow * 1.25) {
      const drop = this.log.length - this.changeWindow;
      this.compactedThrough = this.log[drop - 1]?.resourceVersion ?? this.compactedThrough;
      this.log = this.log.slice(drop);
    }
    this.pending.push(change);
    this.deliver();
  }

  /**
   * Listeners may write from inside a callback; their changes queue behind the current one
   * so every listener sees changes in resourceVersion order.
   */
  private deliver(): void {
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (let change = this.pending.shift(); change; change = this.pending.shift()) {
        for (const l of this.changeListeners) {
          try {
            l(change);
          } catch (err) {
            console.error('playground store change listener failed', err);
          }
        }
        if (this.subscribers.size === 0) continue;
        const event: StoreEvent = {
          type: change.type,
          ref: change.ref,
          object: clone(change.object),
        };
        for (const s of this.subscribers) {
          try {
            s(event);
          } catch (err) {
            console.error('playground store subscriber failed', err);
          }
        }
      }
    } finally {
      this.delivering = false;
    }
  }

  /** Makes a change log compaction happen now (tests of 410 Gone). */
  compact(): void {
    this.compactedThrough = this.rv;
    this.log = [];
  }
}

function apiVersionOf(type: ResourceType): string {
  const version = type.versions[0] ?? 'v1';
  return type.group ? `${type.group}/${version}` : version;
}

function refFromKey(key: string): ResourceRef {
  const slash = key.indexOf('/');
  return { group: key.slice(0, slash), resource: key.slice(slash + 1) };
}

function randomSuffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)];
  return s;
}

interface ContinueToken {
  rv: number;
  start: string;
}

function encodeContinue(token: ContinueToken): string {
  return Buffer.from(
    JSON.stringify({ v: 'meta.k8s.io/v1', rv: token.rv, start: token.start }),
  ).toString('base64url');
}

function decodeContinue(raw: string): ContinueToken {
  try {
    const parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as {
      rv?: unknown;
      start?: unknown;
    };
    if (typeof parsed.rv === 'number' && typeof parsed.start === 'string')
      return { rv: parsed.rv, start: parsed.start };
  } catch {
    // fall through
  }
  throw new StoreError(
    400,
    'BadRequest',
    'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
  );
}
