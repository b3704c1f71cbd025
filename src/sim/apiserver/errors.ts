/**
 * Errors as kube-apiserver reports them: a metav1.Status with reason, details and code,
 * worded like the real server so client-go/client-node error handling and people reading
 * kubectl output see the familiar texts.
 */
import { StoreError } from '../store';
import type { ResourceRef } from '../store';

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: { reason?: string; message?: string; field?: string }[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, string>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** An API error beyond the store's own set (401, 403, 405, 410 Expired, 503...). */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** A StoreError that also carries the Status details (name, group, kind). */
export class DetailedStoreError extends StoreError {
  constructor(
    status: StoreError['status'],
    reason: StoreError['reason'],
    message: string,
    readonly details: StatusDetails,
  ) {
    super(status, reason, message);
  }
}

/** "deployments.apps" / "pods": how the apiserver names a resource in messages. */
export function qualifiedResource(ref: ResourceRef): string {
  return ref.group ? `${ref.resource}.${ref.group}` : ref.resource;
}

function detailsFor(ref: ResourceRef, name: string): StatusDetails {
  return { name, ...(ref.group ? { group: ref.group } : {}), kind: ref.resource };
}

export function notFound(ref: ResourceRef, name: string): DetailedStoreError {
  return new DetailedStoreError(
    404,
    'NotFound',
    `${qualifiedResource(ref)} "${name}" not found`,
    detailsFor(ref, name),
  );
}

export function alreadyExists(ref: ResourceRef, name: string): DetailedStoreError {
  return new DetailedStoreError(
    409,
    'AlreadyExists',
    `${qualifiedResource(ref)} "${name}" already exists`,
    detailsFor(ref, name),
  );
}

export function conflict(ref: ResourceRef, name: string, why?: string): DetailedStoreError {
  const reason =
    why ??
    'the object has been modified; please apply your changes to the latest version and try again';
  return new DetailedStoreError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(ref)} "${name}": ${reason}`,
    detailsFor(ref, name),
  );
}

export function invalid(
  kind: string,
  group: string,
  name: string,
  field: string,
  message: string,
): DetailedStoreError {
  const qualifiedKind = group ? `${kind}.${group}` : kind;
  return new DetailedStoreError(
    422,
    'Invalid',
    `${qualifiedKind} "${name}" is invalid: ${field}: ${message}`,
    {
      name,
      ...(group ? { group } : {}),
      kind,
      causes: [{ reason: 'FieldValueInvalid', message, field }],
    },
  );
}

export function tooOldResourceVersion(requested: number, oldest: number): StoreError {
  return new StoreError(410, 'Gone', `too old resource version: ${requested} (${oldest})`);
}

export function toStatus(error: unknown): Status {
  if (error instanceof ApiError) {
    return failure(error.code, error.reason, error.message, error.details);
  }
  if (error instanceof StoreError) {
    // kube-apiserver says "Expired" for a compacted resourceVersion; the store's union calls it Gone.
    const reason =
      error.status === 410 && error.message.startsWith('too old') ? 'Expired' : error.reason;
    const details = error instanceof DetailedStoreError ? error.details : undefined;
    return failure(error.status, reason, error.message, details);
  }
  const message = error instanceof Error ? error.message : String(error);
  return failure(500, 'InternalError', `Internal error occurred: ${message}`);
}

export function failure(
  code: number,
  reason: string,
  message: string,
  details?: StatusDetails,
): Status {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}
