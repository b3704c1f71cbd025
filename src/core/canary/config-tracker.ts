/**
 * Config tracking (pkg/canary/config_tracker.go): a new ConfigMap or Secret content counts as a
 * new revision, and the primary workload reads `<name>-primary` copies so a canary's config
 * change never reaches the primary before promotion. Pure functions: the caller fetches.
 */
import { createHash } from 'node:crypto';
import type { StringMap } from './types';

export type ConfigKind = 'configmap' | 'secret';

/** A ConfigMap or Secret a pod spec refers to. `required` is false for `optional: true` refs. */
export interface ConfigReference {
  kind: ConfigKind;
  name: string;
  required: boolean;
}

/** A tracked config: `status.trackedConfigs[key] = checksum`, key `configmap/<name>` or `secret/<name>`. */
export interface TrackedConfig {
  kind: ConfigKind;
  name: string;
  checksum: string;
}

interface OptionalNameRef {
  name?: string;
  optional?: boolean;
  [field: string]: unknown;
}

export interface EnvVar {
  name: string;
  valueFrom?: {
    configMapKeyRef?: OptionalNameRef;
    secretKeyRef?: OptionalNameRef;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

export interface EnvFromSource {
  configMapRef?: OptionalNameRef;
  secretRef?: OptionalNameRef;
  [field: string]: unknown;
}

export interface Container {
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
  [field: string]: unknown;
}

export interface Volume {
  name: string;
  configMap?: OptionalNameRef;
  secret?: { secretName?: string; optional?: boolean; [field: string]: unknown };
  projected?: {
    sources?: Array<{
      configMap?: OptionalNameRef;
      secret?: OptionalNameRef;
      [field: string]: unknown;
    }>;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

export interface PodSpec {
  volumes?: Volume[];
  containers?: Container[];
  initContainers?: Container[];
  [field: string]: unknown;
}

/** The parts of a ConfigMap or Secret the tracker reads. */
export interface ConfigObject {
  metadata?: { name?: string; annotations?: StringMap | null };
  data?: StringMap | null;
  type?: string;
}

export const CONFIG_TRACKING_ANNOTATION = 'flagger.app/config-tracking';

/** Secrets of other types (registry credentials, service account tokens) belong to the service account. */
export const TRACKED_SECRET_TYPES = [
  'Opaque',
  'kubernetes.io/basic-auth',
  'kubernetes.io/ssh-auth',
  'kubernetes.io/tls',
] as const;

export function configKey(kind: ConfigKind, name: string): string {
  return `${kind}/${name}`;
}

export function primaryConfigName(name: string): string {
  return `${name}-primary`;
}

/** fieldIsMandatory: a ref is required unless `optional: true`. */
function mandatory(optional: boolean | undefined): boolean {
  return optional !== true;
}

/**
 * GetTargetConfigs' scan: volumes (configMap, secret, projected sources), then containers and
 * init containers (env valueFrom, envFrom). When a config is referenced twice, the last
 * reference decides whether it is required, as Flagger's map assignment does.
 */
export function findConfigReferences(podSpec: PodSpec): ConfigReference[] {
  const found = new Map<string, ConfigReference>();
  const add = (kind: ConfigKind, name: string | undefined, optional: boolean | undefined): void => {
    const n = name ?? '';
    const key = configKey(kind, n);
    found.delete(key); // keep insertion order of the last reference
    found.set(key, { kind, name: n, required: mandatory(optional) });
  };
  for (const volume of podSpec.volumes ?? []) {
    if (volume.configMap) add('configmap', volume.configMap.name, volume.configMap.optional);
    if (volume.secret) add('secret', volume.secret.secretName, volume.secret.optional);
    for (const source of volume.projected?.sources ?? []) {
      if (source.configMap) add('configmap', source.configMap.name, source.configMap.optional);
      if (source.secret) add('secret', source.secret.name, source.secret.optional);
    }
  }
  for (const container of [...(podSpec.containers ?? []), ...(podSpec.initContainers ?? [])]) {
    for (const env of container.env ?? []) {
      const from = env.valueFrom;
      if (from?.configMapKeyRef)
        add('configmap', from.configMapKeyRef.name, from.configMapKeyRef.optional);
      else if (from?.secretKeyRef)
        add('secret', from.secretKeyRef.name, from.secretKeyRef.optional);
    }
    for (const envFrom of container.envFrom ?? []) {
      if (envFrom.configMapRef)
        add('configmap', envFrom.configMapRef.name, envFrom.configMapRef.optional);
      else if (envFrom.secretRef) add('secret', envFrom.secretRef.name, envFrom.secretRef.optional);
    }
  }
  return [...found.values()];
}

/** configIsDisabled: the annotation `flagger.app/config-tracking` with a value starting with "disable". */
export function configTrackingDisabled(object: ConfigObject): boolean {
  return (object.metadata?.annotations?.[CONFIG_TRACKING_ANNOTATION] ?? '').startsWith('disable');
}

/**
 * Go's json.Marshal of a map[string]string (or map[string][]byte, whose values are already the
 * base64 text the API returns): keys in byte order, HTML-sensitive characters escaped.
 */
export function goJsonMarshalStringMap(data: StringMap | null | undefined): string {
  if (data === null || data === undefined) return 'null';
  const keys = Object.keys(data).sort(compareCodePoints);
  return `{${keys.map((k) => `${goJsonString(k)}:${goJsonString(data[k] ?? '')}`).join(',')}}`;
}

/** UTF-8 byte order equals code point order; JavaScript's default sort is UTF-16 unit order. */
function compareCodePoints(a: string, b: string): number {
  const ca = [...a];
  const cb = [...b];
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const d = (ca[i]?.codePointAt(0) ?? 0) - (cb[i]?.codePointAt(0) ?? 0);
    if (d !== 0) return d;
  }
  return ca.length - cb.length;
}

/** encoding/json's string form: like JSON.stringify, plus <, >, &, U+2028 and U+2029 escaped. */
function goJsonString(s: string): string {
  return JSON.stringify(s).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** checksum(): hex of the first 8 bytes of sha256(json.Marshal(data)). Matches Flagger's value. */
export function configChecksum(data: StringMap | null | undefined): string {
  return createHash('sha256')
    .update(goJsonMarshalStringMap(data), 'utf8')
    .digest()
    .subarray(0, 8)
    .toString('hex');
}

/** getRefFromConfigMap: null when tracking is disabled for it. */
export function trackConfigMap(name: string, configMap: ConfigObject): TrackedConfig | null {
  if (configTrackingDisabled(configMap)) return null;
  return { kind: 'configmap', name, checksum: configChecksum(configMap.data) };
}

/**
 * getRefFromSecret: null for untracked types or when tracking is disabled. A Secret read from
 * an API server always has a type; a missing one is taken as Opaque, the server's default.
 */
export function trackSecret(name: string, secret: ConfigObject): TrackedConfig | null {
  const type = secret.type ?? 'Opaque';
  if (!(TRACKED_SECRET_TYPES as readonly string[]).includes(type)) return null;
  if (configTrackingDisabled(secret)) return null;
  return { kind: 'secret', name, checksum: configChecksum(secret.data) };
}

/** Looks a referenced ConfigMap or Secret up among objects the caller fetched; undefined when missing. */
export type ConfigLookup = (kind: ConfigKind, name: string) => ConfigObject | undefined;

/**
 * GetConfigRefs: the `status.trackedConfigs` map for a pod spec. A missing required config is
 * an error (Flagger's text); a missing optional one is skipped.
 */
export function trackConfigs(
  podSpec: PodSpec,
  namespace: string,
  lookup: ConfigLookup,
): { trackedConfigs: StringMap; configs: TrackedConfig[] } | { error: string } {
  const configs: TrackedConfig[] = [];
  for (const ref of findConfigReferences(podSpec)) {
    const object = lookup(ref.kind, ref.name);
    if (!object) {
      if (ref.required) {
        const resource = ref.kind === 'configmap' ? 'configmaps' : 'secrets';
        return {
          error: `${ref.kind} ${ref.name}.${namespace} get query error: ${resource} "${ref.name}" not found`,
        };
      }
      continue;
    }
    const tracked =
      ref.kind === 'configmap' ? trackConfigMap(ref.name, object) : trackSecret(ref.name, object);
    if (tracked) configs.push(tracked);
  }
  const trackedConfigs: StringMap = {};
  for (const c of configs) trackedConfigs[configKey(c.kind, c.name)] = c.checksum;
  return { trackedConfigs, configs };
}

/**
 * HasConfigChanged: nothing tracked and nothing found → no; something found but nothing
 * tracked → yes; a different count or any different checksum → yes.
 */
export function hasConfigChanged(
  tracked: StringMap | null | undefined,
  current: StringMap,
): boolean {
  const currentKeys = Object.keys(current);
  if (currentKeys.length === 0 && (tracked === undefined || tracked === null)) return false;
  if (currentKeys.length > 0 && (tracked === undefined || tracked === null)) return true;
  const trackedMap = tracked ?? {};
  if (currentKeys.length !== Object.keys(trackedMap).length) return true;
  return currentKeys.some((k) => trackedMap[k] !== current[k]);
}

/**
 * ApplyPrimaryConfigs: a copy of the pod spec whose refs to tracked configs point at the
 * `<name>-primary` copies. `tracked` holds the keys (`configmap/<name>`), e.g. trackedConfigs.
 */
export function applyPrimaryConfigs<T extends PodSpec>(
  podSpec: T,
  tracked: StringMap | Iterable<string>,
): T {
  const keys = new Set(isIterable(tracked) ? tracked : Object.keys(tracked));
  const spec = structuredClone(podSpec);
  const rename = (kind: ConfigKind, ref: { name?: string } | undefined): void => {
    if (ref && keys.has(configKey(kind, ref.name ?? '')))
      ref.name = primaryConfigName(ref.name ?? '');
  };
  for (const volume of spec.volumes ?? []) {
    rename('configmap', volume.configMap);
    if (volume.secret && keys.has(configKey('secret', volume.secret.secretName ?? ''))) {
      volume.secret.secretName = primaryConfigName(volume.secret.secretName ?? '');
    }
    for (const source of volume.projected?.sources ?? []) {
      rename('configmap', source.configMap);
      rename('secret', source.secret);
    }
  }
  for (const container of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    for (const env of container.env ?? []) {
      if (env.valueFrom?.configMapKeyRef) rename('configmap', env.valueFrom.configMapKeyRef);
      else if (env.valueFrom?.secretKeyRef) rename('secret', env.valueFrom.secretKeyRef);
    }
    for (const envFrom of container.envFrom ?? []) {
      if (envFrom.configMapRef) rename('configmap', envFrom.configMapRef);
      else if (envFrom.secretRef) rename('secret', envFrom.secretRef);
    }
  }
  return spec;
}

function isIterable(value: StringMap | Iterable<string>): value is Iterable<string> {
  return typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
}
