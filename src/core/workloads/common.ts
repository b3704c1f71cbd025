/**
 * What Flagger's Deployment and DaemonSet controllers share (pkg/canary/util.go,
 * config_tracker.go): the workload shapes they read, label and annotation copying, port
 * discovery, the Canary owner reference, and the config tracker over a KubeApi.
 */
import type { Clock } from '../../shared/clock';
import { systemClock } from '../../shared/clock';
import type {
  Canary,
  ConfigKind,
  Container,
  ConfigObject,
  PodSpec,
  StringMap,
  TrackedConfig,
} from '../canary';
import { findConfigReferences, primaryConfigName, trackConfigs } from '../canary';
import type { KubeApi, KubeObject, ObjectMeta, ObjectRef } from '../kube/api';
import { isConflict, isNotFound } from '../kube/api';
import * as t from './texts';

export interface LabelSelector {
  matchLabels?: StringMap;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface PodTemplate {
  metadata?: { labels?: StringMap; annotations?: StringMap; [field: string]: unknown };
  spec?: PodSpec & {
    nodeSelector?: StringMap;
    topologySpreadConstraints?: { labelSelector?: LabelSelector; [field: string]: unknown }[];
    affinity?: {
      podAntiAffinity?: {
        preferredDuringSchedulingIgnoredDuringExecution?: {
          podAffinityTerm?: { labelSelector?: LabelSelector };
        }[];
        requiredDuringSchedulingIgnoredDuringExecution?: { labelSelector?: LabelSelector }[];
      };
      [field: string]: unknown;
    };
  };
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

export interface Deployment extends KubeObject {
  spec?: {
    replicas?: number;
    selector?: LabelSelector;
    template?: PodTemplate;
    progressDeadlineSeconds?: number;
    minReadySeconds?: number;
    revisionHistoryLimit?: number;
    strategy?: unknown;
    [field: string]: unknown;
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    conditions?: Condition[];
    [field: string]: unknown;
  };
}

export interface DaemonSet extends KubeObject {
  spec?: {
    selector?: LabelSelector;
    template?: PodTemplate;
    minReadySeconds?: number;
    revisionHistoryLimit?: number;
    updateStrategy?: { type?: string; [field: string]: unknown };
    [field: string]: unknown;
  };
  status?: {
    observedGeneration?: number;
    desiredNumberScheduled?: number;
    updatedNumberScheduled?: number;
    numberAvailable?: number;
    [field: string]: unknown;
  };
}

export interface WorkloadOptions {
  clock?: Clock;
  /** Flagger's -selector-labels: the pod labels a selector may use, in order. */
  selectorLabels?: string[];
  /** Flagger's -include-label-prefix (default none): labels/annotations copied to the primary. */
  includeLabelPrefix?: string[];
  /** Flagger's -enable-config-tracking (default true). */
  configTracking?: boolean;
  /**
   * Flagger means IsPrimaryReady to halt on a primary scaled to zero, but compares pointers
   * (`primary.Spec.Replicas == int32p(0)`), so the check never fires. Off by default, as in
   * Flagger; on gives the intended non-retriable "primary deployment is scaled to zero".
   */
  haltOnPrimaryScaledToZero?: boolean;
}

export interface ResolvedWorkloadOptions {
  clock: Clock;
  selectorLabels: string[];
  includeLabelPrefix: string[];
  configTracking: boolean;
  haltOnPrimaryScaledToZero: boolean;
}

export const DEFAULT_SELECTOR_LABELS = ['app', 'name', 'app.kubernetes.io/name'];

export function resolveWorkloadOptions(options: WorkloadOptions = {}): ResolvedWorkloadOptions {
  return {
    clock: options.clock ?? systemClock,
    selectorLabels: options.selectorLabels ?? DEFAULT_SELECTOR_LABELS,
    includeLabelPrefix: options.includeLabelPrefix ?? [''],
    configTracking: options.configTracking ?? true,
    haltOnPrimaryScaledToZero: options.haltOnPrimaryScaledToZero ?? false,
  };
}

/** `%v` of an error. */
export const errorText = (err: unknown): string =>
  err instanceof Error ? err.message : String(err);

export const primaryName = (canary: Canary): string => `${canary.spec.targetRef.name}-primary`;

/** metav1.NewControllerRef(cd, flagger.app/v1beta1 Canary). */
export function canaryOwnerReference(
  canary: Canary,
): NonNullable<ObjectMeta['ownerReferences']>[number] {
  return {
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    name: canary.metadata.name,
    uid: canary.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** metav1.GetControllerOf → (has a Canary controller, owned by this canary). */
export function canaryOwnership(
  object: KubeObject,
  canaryName: string,
): { canaryOwned: boolean; ownedByThis: boolean } {
  const owner = object.metadata.ownerReferences?.find((o) => o.controller === true);
  if (!owner || owner.kind !== 'Canary') return { canaryOwned: false, ownedByThis: false };
  return { canaryOwned: true, ownedByThis: owner.name === canaryName };
}

/** GET that fails with client-go's words when the object is missing. */
export async function getOrThrow<T extends KubeObject>(
  api: KubeApi,
  ref: ObjectRef,
  resource: string,
  wrap: (cause: string) => string,
): Promise<T> {
  let found: T | undefined;
  try {
    found = await api.get<T>(ref);
  } catch (err) {
    throw new Error(wrap(errorText(err)), { cause: err });
  }
  if (!found) throw new NotFoundError(wrap(t.notFound(resource, ref.name)));
  return found;
}

/** A wrapped NotFound, for the few places Flagger branches on errors.IsNotFound. */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

/** retry.RetryOnConflict(retry.DefaultRetry, fn): 5 attempts. */
export async function retryOnConflict<T>(fn: () => Promise<T>, steps = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= steps || !isConflict(err)) throw err;
    }
  }
}

const TOOLKIT_MARKER = 'toolkit.fluxcd.io';

/** pkg/canary filterMetadata: drops Flux toolkit keys so Flux does not adopt the copies. */
export function filterMetadata(meta: StringMap | undefined): StringMap {
  const res: StringMap = {};
  for (const [k, v] of Object.entries(meta ?? {})) if (!k.includes(TOOLKIT_MARKER)) res[k] = v;
  return res;
}

/** includeLabelsByPrefix: "*" takes all, "" takes nothing (the default). */
export function includeLabelsByPrefix(
  labels: StringMap | undefined,
  prefixes: string[],
): StringMap {
  const res: StringMap = {};
  for (const [k, v] of Object.entries(labels ?? {})) {
    if (k.includes(TOOLKIT_MARKER)) continue;
    if (prefixes.some((p) => p === '*' || (p !== '' && k.startsWith(p)))) res[k] = v;
  }
  return res;
}

/** makePrimaryLabels: the selector label gets the `-primary` value. */
export function makePrimaryLabels(
  labels: StringMap | undefined,
  labelValue: string,
  label: string,
): StringMap {
  const res: StringMap = {};
  for (const [k, v] of Object.entries(labels ?? {})) {
    if (!k.includes(TOOLKIT_MARKER) && k !== label) res[k] = v;
  }
  res[label] = labelValue;
  return res;
}

/** makeAnnotations: a fresh `flagger-id` so every promotion rolls the primary's pods. */
export function makeAnnotations(annotations: StringMap | undefined): StringMap {
  const res: StringMap = {};
  for (const [k, v] of Object.entries(annotations ?? {})) {
    if (!k.includes(TOOLKIT_MARKER) && k !== 'flagger-id') res[k] = v;
  }
  res['flagger-id'] = crypto.randomUUID();
  return res;
}

/** getSelectorLabel: the first of the selector labels the workload's matchLabels has. */
export function selectorLabel(
  workload: { metadata: ObjectMeta; spec?: { selector?: LabelSelector } },
  kind: 'deployment' | 'daemonset',
  labels: string[],
): { label: string; value: string } {
  const match = workload.spec?.selector?.matchLabels ?? {};
  for (const l of labels) {
    const value = match[l];
    if (value !== undefined) return { label: l, value };
  }
  throw new Error(
    t.getSelectorLabelFailed(
      t.selectorLabelMissing(
        kind,
        workload.metadata.name,
        workload.metadata.namespace ?? '',
        labels,
      ),
    ),
  );
}

const SIDECARS = new Set(['istio-proxy', 'envoy']);

interface ContainerPort {
  name?: string;
  containerPort?: number;
}

/** getPorts (portDiscovery): every container port but the service's own and mesh sidecars'. */
export function discoverPorts(canary: Canary, containers: Container[]): Record<string, number> {
  const { port, targetPort } = canary.spec.service;
  const ports: Record<string, number> = {};
  for (const container of containers) {
    const name = typeof container.name === 'string' ? container.name : '';
    if (SIDECARS.has(name)) continue;
    const containerPorts = Array.isArray(container.ports)
      ? (container.ports as ContainerPort[])
      : [];
    containerPorts.forEach((p, i) => {
      const containerPort = p.containerPort ?? 0;
      // IntOrString.String() == "0" means no targetPort: the service port is the one to skip.
      if (targetPort === undefined || String(targetPort) === '0') {
        if (containerPort === port) return;
      } else if (typeof targetPort === 'number') {
        if (containerPort === targetPort) return;
      } else if (p.name === targetPort) {
        return;
      }
      ports[p.name ? p.name : `tcp-${name}-${i}`] = containerPort;
    });
  }
  return ports;
}

const CONFIG_KINDS: Record<ConfigKind, { kind: string; resource: string }> = {
  configmap: { kind: 'ConfigMap', resource: 'configmaps' },
  secret: { kind: 'Secret', resource: 'secrets' },
};

interface ConfigResource extends KubeObject, ConfigObject {
  metadata: ObjectMeta;
  data?: StringMap;
  type?: string;
}

/**
 * ConfigTracker over a KubeApi (config_tracker.go); the pure rules live in canary/config-tracker.
 * With tracking disabled it is Flagger's NopTracker: nothing tracked, nothing copied.
 */
export class ConfigTracker {
  constructor(
    private readonly api: KubeApi,
    private readonly enabled: boolean,
  ) {}

  /** GetTargetConfigs for a pod spec; throws with Flagger's text when a required one is missing. */
  async targetConfigs(
    canary: Canary,
    podSpec: PodSpec | undefined,
  ): Promise<{ trackedConfigs: StringMap; configs: TrackedConfig[] }> {
    if (!this.enabled || !podSpec) return { trackedConfigs: {}, configs: [] };
    const ns = canary.metadata.namespace;
    const found = new Map<string, ConfigObject>();
    for (const ref of findConfigReferences(podSpec)) {
      const { kind } = CONFIG_KINDS[ref.kind];
      try {
        const object = await this.api.get<ConfigResource>({
          apiVersion: 'v1',
          kind,
          namespace: ns,
          name: ref.name,
        });
        if (object) found.set(`${ref.kind}/${ref.name}`, object);
      } catch (err) {
        // Flagger skips an optional config it cannot read, and fails on a required one.
        if (ref.required && !isNotFound(err)) {
          throw new Error(t.getQueryError(ref.kind, ref.name, ns, errorText(err)), { cause: err });
        }
      }
    }
    const result = trackConfigs(podSpec, ns, (kind, name) => found.get(`${kind}/${name}`));
    if ('error' in result) throw new Error(result.error);
    return result;
  }

  /** CreatePrimaryConfigs: `<name>-primary` copies owned by the canary, updated in place. */
  async createPrimaryConfigs(
    canary: Canary,
    configs: TrackedConfig[],
    includeLabelPrefix: string[],
  ): Promise<void> {
    const ns = canary.metadata.namespace;
    for (const config of configs) {
      const { kind } = CONFIG_KINDS[config.kind];
      const source = await this.readConfig(config.kind, config.name, ns);
      if (!source) {
        throw new Error(
          t.configGetQueryFailed(
            config.kind,
            config.name,
            ns,
            t.notFound(CONFIG_KINDS[config.kind].resource, config.name),
          ),
        );
      }
      const name = primaryConfigName(config.name);
      const ownerReferences = [canaryOwnerReference(canary)];
      const old = await this.readConfig(config.kind, name, ns);
      // Other owners of an existing copy are kept, but never as its controller.
      for (const ref of old?.metadata.ownerReferences ?? []) {
        if (ref.kind !== 'Canary' || ref.name !== canary.metadata.name) {
          ownerReferences.push({ ...ref, controller: false });
        }
      }
      const copy: ConfigResource = {
        apiVersion: 'v1',
        kind,
        metadata: {
          name,
          namespace: ns,
          labels: includeLabelsByPrefix(source.metadata.labels, includeLabelPrefix),
          ownerReferences,
        },
        ...(config.kind === 'secret' && source.type !== undefined ? { type: source.type } : {}),
        ...(source.data !== undefined ? { data: source.data } : {}),
      };
      try {
        await this.api.replace(copy);
      } catch (err) {
        if (!isNotFound(err)) {
          throw new Error(t.configUpdatingFailed(config.kind, name, ns, errorText(err)), {
            cause: err,
          });
        }
        try {
          await this.api.create(copy);
        } catch (createErr) {
          throw new Error(t.configCreatingFailed(config.kind, name, ns, errorText(createErr)), {
            cause: createErr,
          });
        }
      }
    }
  }

  /** GET for copying; `config %s.%s get query failed : %w` on errors, undefined when missing. */
  private async readConfig(
    kind: ConfigKind,
    name: string,
    ns: string,
  ): Promise<ConfigResource | undefined> {
    const { kind: apiKind } = CONFIG_KINDS[kind];
    let object: ConfigResource | undefined;
    try {
      object = await this.api.get<ConfigResource>({
        apiVersion: 'v1',
        kind: apiKind,
        namespace: ns,
        name,
      });
    } catch (err) {
      throw new Error(t.configGetQueryFailed(kind, name, ns, errorText(err)), { cause: err });
    }
    return object;
  }
}

/** The members that are set: Go's nil pointers are left out of the JSON. */
export function defined<T extends Record<string, unknown>>(object: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(object).filter(([, v]) => v !== undefined),
  ) as Partial<T>;
}

/** Copies a field the way Go copies a pointer: unset stays unset, so the API server defaults it. */
export function setOrDelete<T extends object, K extends keyof T>(
  target: T,
  key: K,
  value: T[K],
): void {
  if (value === undefined) delete target[key];
  else target[key] = value;
}
