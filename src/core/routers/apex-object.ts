/**
 * What the routers that own one `<apex>` routing object (contour, gloo, kuma, traefik) share:
 * the object's metadata from spec.service.apex (Flagger's newMetadata + filterMetadata), the
 * "has it drifted" test that ignores weights (cmp.Diff with cmpopts.IgnoreFields(..., "Weight")),
 * the get / create / update-if-drifted reconcile built on them, and the Kubernetes "not found"
 * text a Go client's error carries.
 */
import type { Canary, StringMap } from '../canary';
import { canonicalJson } from '../canary';
import type { KubeApi, KubeObject, ObjectMeta, ObjectRef } from '../kube/api';
import { ownedBy, reconcileObject } from './upsert';
import { flaggerManagedAnnotations } from './metadata';

export interface ApexMetadata {
  labels: StringMap;
  annotations: StringMap;
}

export function apexMetadata(canary: Canary): ApexMetadata {
  const apex = canary.spec.service.apex;
  return {
    labels: { ...(apex?.labels ?? {}) },
    annotations: flaggerManagedAnnotations(apex?.annotations),
  };
}

/**
 * A generated object's metadata: its name and namespace (none for a cluster-scoped object), the
 * apex labels and annotations, and the Canary as controller owner when the router sets it.
 */
export function apexObjectMetadata(
  canary: Canary,
  ref: { name: string; namespace?: string },
  meta: ApexMetadata,
  ownerRefs: boolean,
): ObjectMeta {
  return {
    name: ref.name,
    ...(ref.namespace ? { namespace: ref.namespace } : {}),
    labels: meta.labels,
    annotations: meta.annotations,
    ...ownedBy(canary, ownerRefs),
  };
}

/** cmp.Diff with EquateEmpty on labels and annotations: an absent map equals an empty one. */
export function metadataDrifted(object: KubeObject, want: ApexMetadata): boolean {
  return (
    canonicalJson(object.metadata.labels ?? {}) !== canonicalJson(want.labels) ||
    canonicalJson(object.metadata.annotations ?? {}) !== canonicalJson(want.annotations)
  );
}

/** Deep copy without the `key` fields of every object inside (IgnoreFields(..., "Weight")). */
function without(value: unknown, key: string): unknown {
  if (Array.isArray(value)) return value.map((v) => without(v, key));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (k !== key) out[k] = without(v, key);
  return out;
}

export function specDrifted(want: unknown, have: unknown, ignoredKey = 'weight'): boolean {
  return (
    canonicalJson(without(want, ignoredKey)) !== canonicalJson(without(have ?? {}, ignoredKey))
  );
}

/** The message of the API server's 404, as a client-go error prints it. */
export function notFoundText(resource: string, name: string): string {
  return `${resource} "${name}" not found`;
}

/** Get that turns a 404 into the error a Go client returns. */
export async function getExisting<T extends KubeObject>(
  api: KubeApi,
  ref: ObjectRef,
  resource: string,
): Promise<T> {
  const found = await api.get<T>(ref);
  if (!found) throw new Error(notFoundText(resource, ref.name));
  return found;
}

/** Flagger's texts for an apex object's failed get, create and update (name, namespace, error). */
export interface ApexErrorTexts {
  getQueryError(name: string, ns: string, err: string): string;
  createError(name: string, ns: string, err: string): string;
  updateError(name: string, ns: string, err: string): string;
}

/** One apex object's reconcile: the provider's object shape and Flagger's error texts. */
export interface ApexObjectReconcile<T extends KubeObject> {
  ref: ObjectRef;
  /** Set the Canary as the created object's controller owner (the routers' setOwnerRefs). */
  ownedByCanary: boolean;
  /** The object to create when there is none, given its metadata. */
  create: (metadata: ObjectMeta) => T;
  /** The wanted spec, given the object in place; weights are left out of the comparison. */
  spec: (existing: T) => T['spec'];
  texts: ApexErrorTexts;
}

/**
 * Flagger's reconcile of an apex routing object: get it; create it when absent (metadata from
 * spec.service.apex); otherwise replace its spec (weights included, as Flagger's update puts the
 * new spec in whole), labels and annotations when any of them drifted.
 */
export async function reconcileApexObject<T extends KubeObject & { spec?: unknown }>(
  api: KubeApi,
  canary: Canary,
  r: ApexObjectReconcile<T>,
): Promise<void> {
  const { name, namespace = '' } = r.ref;
  const metadata = apexMetadata(canary);
  await reconcileObject<T>(api, {
    ref: r.ref,
    create: () => r.create(apexObjectMetadata(canary, r.ref, metadata, r.ownedByCanary)),
    drifted: (existing) =>
      specDrifted(r.spec(existing), existing.spec) || metadataDrifted(existing, metadata),
    updated: (existing) => {
      const clone = structuredClone(existing);
      clone.spec = r.spec(existing);
      clone.metadata.labels = metadata.labels;
      clone.metadata.annotations = metadata.annotations;
      return clone;
    },
    texts: {
      get: (err) => r.texts.getQueryError(name, namespace, err),
      create: (err) => r.texts.createError(name, namespace, err),
      update: (err) => r.texts.updateError(name, namespace, err),
    },
  });
}
