/**
 * Revision hashes (pkg/canary/spec.go).
 *
 * Flagger's ComputeHash is FNV-32a over a go-spew `%#v` dump of the Go struct, encoded with
 * rand.SafeEncodeString(fmt.Sprint(sum32)). Those bytes depend on Go's field order and types
 * (`(*v1.PodTemplateSpec){ObjectMeta:(v1.ObjectMeta){...`), which cannot be rebuilt from the
 * JSON an API server returns, so Aviary hashes a canonical JSON of the same object instead:
 * keys sorted, undefined members dropped, UTF-8, then FNV-32a and SafeEncodeString as Go does.
 * The encoding looks like Flagger's (e.g. `5f4d9c8b7`) but the value differs. That is safe:
 * Aviary only compares hashes it wrote itself. A canary whose status was written by an
 * in-cluster Flagger is recognised elsewhere (Flagger's Deployment/lease, its finalizer) and
 * observed rather than driven, so a foreign lastAppliedSpec never meets one of these hashes.
 */
import type { CanaryStatus } from './types';

/** Kubernetes' k8s.io/apimachinery/pkg/util/rand alphabet: no vowels, no 0/1/3 (no words, no look-alikes). */
export const SAFE_ENCODE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** rand.SafeEncodeString: each character's code point modulo 27 picks a letter of the alphabet. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (const ch of s) {
    out += SAFE_ENCODE_ALPHABET[(ch.codePointAt(0) ?? 0) % SAFE_ENCODE_ALPHABET.length];
  }
  return out;
}

const FNV32_OFFSET = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;

/** FNV-1a, 32 bits (Go's hash/fnv New32a). */
export function fnv32a(bytes: Uint8Array): number {
  let hash = FNV32_OFFSET;
  for (const b of bytes) {
    hash ^= b;
    hash = Math.imul(hash, FNV32_PRIME) >>> 0;
  }
  return hash >>> 0;
}

/**
 * JSON with object keys sorted (by UTF-16 code units, stable across engines) and undefined
 * members dropped, so two equal objects hash alike whatever order their keys came in.
 */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    return text === undefined ? 'null' : text;
  }
  if (Array.isArray(value)) {
    return `[${value.map((v: unknown) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined && typeof v !== 'function')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

const utf8 = new TextEncoder();

/** Aviary's ComputeHash: SafeEncodeString of the decimal FNV-32a of the canonical JSON. */
export function computeHash(value: unknown): string {
  return safeEncodeString(String(fnv32a(utf8.encode(canonicalJson(value)))));
}

/**
 * The hash of a workload's revision: Flagger hashes spec.template (the PodTemplateSpec) of a
 * Deployment or DaemonSet.
 */
export function podTemplateHash(workload: { spec?: { template?: unknown } }): string {
  return computeHash(workload.spec?.template ?? {});
}

/**
 * hasSpecChanged: a first sight (no lastAppliedSpec) is a change; going back to the promoted
 * revision (a manual rollback) is not; otherwise any difference from lastAppliedSpec is.
 */
export function hasSpecChanged(
  status: Pick<CanaryStatus, 'lastAppliedSpec' | 'lastPromotedSpec'> | undefined,
  newHash: string,
): boolean {
  const lastApplied = status?.lastAppliedSpec ?? '';
  if (lastApplied === '') return true;
  if (status?.lastPromotedSpec === newHash) return false;
  return lastApplied !== newHash;
}

/**
 * The webhook payload `checksum` (canaryChecksum in webhook.go): the hash of the tracked
 * configs and the last applied spec, so a hook can tell one configuration of the canary from another.
 */
export function canaryChecksum(
  status: Pick<CanaryStatus, 'trackedConfigs' | 'lastAppliedSpec'> | undefined,
): string {
  return computeHash({
    TrackedConfigs: status?.trackedConfigs ?? null,
    LastAppliedSpec: status?.lastAppliedSpec ?? '',
  });
}
