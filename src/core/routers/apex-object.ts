/**
 * What the routers that own one `<apex>` routing object (contour, gloo, kuma, traefik) share:
 * the object's metadata from spec.service.apex (Flagger's newMetadata + filterMetadata), the
 * "has it drifted" test that ignores weights (cmp.Diff with cmpopts.IgnoreFields(..., "Weight")),
 * and the Kubernetes "not found" text a Go client's error carries.
 */
import type { Canary, StringMap } from '../canary';
import { canonicalJson } from '../canary';
import type { KubeApi, KubeObject, ObjectRef } from '../kube/api';
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
