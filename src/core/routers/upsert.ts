/**
 * The steps every router takes with the objects it owns, as Flagger's routers take them: each
 * API failure rethrown with Flagger's text for that step (embedding the API's message, as Go's
 * fmt.Errorf("...: %w", err) does; the original kept as cause), get-or-create, and the Canary
 * as controller owner when the router sets owner references.
 */
import type { Canary } from '../canary';
import { isNotFound, type KubeApi, type KubeObject, type ObjectRef } from '../kube/api';
import { canaryOwnerReference, errorText } from '../workloads/common';

export async function withFlaggerError<R>(
  step: () => Promise<R>,
  text: (err: string) => string,
): Promise<R> {
  try {
    return await step();
  } catch (err) {
    throw new Error(text(errorText(err)), { cause: err });
  }
}

/** Get; absent (a 404 included) is undefined, any other failure Flagger's text. */
export async function getOrFail<T extends KubeObject>(
  api: KubeApi,
  ref: ObjectRef,
  text: (err: string) => string,
): Promise<T | undefined> {
  try {
    return await api.get<T>(ref);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw new Error(text(errorText(err)), { cause: err });
  }
}

/**
 * The object in place, or undefined once `create()` has been created (Flagger's routers return
 * right after creating: the next reconcile compares).
 */
export async function getOrCreate<T extends KubeObject>(
  api: KubeApi,
  ref: ObjectRef,
  create: () => T,
  texts: { get: (err: string) => string; create: (err: string) => string },
): Promise<T | undefined> {
  const existing = await getOrFail<T>(api, ref, texts.get);
  if (!existing) await withFlaggerError(() => api.create(create()), texts.create);
  return existing;
}

/**
 * Flagger's reconcile of one owned object: get it; create it when absent; otherwise, when it
 * drifted from what the router wants, replace it with the updated copy.
 */
export async function reconcileObject<T extends KubeObject>(
  api: KubeApi,
  r: {
    ref: ObjectRef;
    create: () => T;
    drifted: (existing: T) => boolean;
    /** The object to put in place of `existing` (a copy; `existing` stays as read). */
    updated: (existing: T) => T;
    texts: {
      get: (err: string) => string;
      create: (err: string) => string;
      update: (err: string) => string;
    };
  },
): Promise<void> {
  const existing = await getOrCreate<T>(api, r.ref, r.create, r.texts);
  if (!existing || !r.drifted(existing)) return;
  const next = r.updated(existing);
  await withFlaggerError(() => api.replace(next), r.texts.update);
}

/** metadata.ownerReferences with the Canary as controller, when `enabled` (setOwnerRefs). */
export function ownedBy(
  canary: Canary,
  enabled: boolean,
): Pick<KubeObject['metadata'], 'ownerReferences'> {
  return enabled ? { ownerReferences: [canaryOwnerReference(canary)] } : {};
}
