/**
 * The shapes of the Kubernetes objects the playground's simulations read and write, and
 * the small rules they share (label selectors, pod readiness, owners, template hashes).
 * Only the fields the simulations use are typed; everything else passes through.
 */
import type { KubeObject, ObjectMeta, OwnerReference } from './store';

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}

export interface Container {
  name: string;
  image?: string;
  args?: string[];
  command?: string[];
  env?: { name: string; value?: string }[];
  ports?: ContainerPort[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

export interface PodSpec {
  containers?: Container[];
  nodeName?: string;
  [key: string]: unknown;
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: PodSpec;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  lastProbeTime?: string | null;
}

export type IntOrString = number | string;

export interface Deployment extends KubeObject {
  spec?: {
    replicas?: number;
    selector?: LabelSelector;
    template?: PodTemplate;
    strategy?: {
      type?: 'RollingUpdate' | 'Recreate';
      rollingUpdate?: { maxSurge?: IntOrString; maxUnavailable?: IntOrString };
    };
    progressDeadlineSeconds?: number;
    revisionHistoryLimit?: number;
    paused?: boolean;
  };
  status?: Record<string, unknown>;
}

export interface ReplicaSet extends KubeObject {
  spec?: { replicas?: number; selector?: LabelSelector; template?: PodTemplate };
  status?: {
    replicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    fullyLabeledReplicas?: number;
    observedGeneration?: number;
  };
}

export interface DaemonSet extends KubeObject {
  spec?: {
    selector?: LabelSelector;
    template?: PodTemplate;
    updateStrategy?: { type?: string; rollingUpdate?: { maxUnavailable?: IntOrString } };
  };
  status?: Record<string, unknown>;
}

export interface Pod extends KubeObject {
  spec?: PodSpec;
  status?: {
    phase?: string;
    conditions?: Condition[];
    podIP?: string;
    podIPs?: { ip: string }[];
    hostIP?: string;
    startTime?: string;
    containerStatuses?: Record<string, unknown>[];
  };
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: IntOrString;
  protocol?: string;
}

export interface Service extends KubeObject {
  spec?: {
    selector?: Record<string, string>;
    ports?: ServicePort[];
    clusterIP?: string;
    type?: string;
  };
}

export interface EndpointAddress {
  ip: string;
  nodeName?: string;
  targetRef?: { kind: 'Pod'; namespace: string; name: string; uid?: string };
}

export interface Endpoints extends KubeObject {
  subsets?: {
    addresses?: EndpointAddress[];
    notReadyAddresses?: EndpointAddress[];
    ports?: { name?: string; port: number; protocol?: string }[];
  }[];
}

export interface IngressBackend {
  service?: { name: string; port?: { number?: number; name?: string } };
}

export interface Ingress extends KubeObject {
  spec?: {
    ingressClassName?: string;
    defaultBackend?: IngressBackend;
    rules?: {
      host?: string;
      http?: { paths?: { path?: string; pathType?: string; backend: IngressBackend }[] };
    }[];
  };
}

export interface HorizontalPodAutoscaler extends KubeObject {
  spec?: {
    scaleTargetRef?: { apiVersion?: string; kind: string; name: string };
    minReplicas?: number;
    maxReplicas?: number;
    metrics?: {
      type: string;
      resource?: {
        name: string;
        target?: { type: string; averageUtilization?: number; averageValue?: string };
      };
    }[];
    behavior?: { scaleDown?: { stabilizationWindowSeconds?: number } };
  };
  status?: Record<string, unknown>;
}

/** Kubernetes' deployment annotation for the rollout revision of a Deployment and its ReplicaSets. */
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const POD_TEMPLATE_HASH = 'pod-template-hash';
export const CONTROLLER_REVISION_HASH = 'controller-revision-hash';

export function matchesSelector(
  selector: LabelSelector | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  // An empty or missing selector selects nothing for workloads (the API server rejects it anyway).
  if (!selector || (!selector.matchLabels && !selector.matchExpressions)) return false;
  const have = labels ?? {};
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (have[key] !== value) return false;
  }
  for (const req of selector.matchExpressions ?? []) {
    const value = have[req.key];
    const values = req.values ?? [];
    if (req.operator === 'In' && (value === undefined || !values.includes(value))) return false;
    if (req.operator === 'NotIn' && value !== undefined && values.includes(value)) return false;
    if (req.operator === 'Exists' && value === undefined) return false;
    if (req.operator === 'DoesNotExist' && value !== undefined) return false;
  }
  return true;
}

/** A Service's selector is a plain map; an empty one selects no pods (endpoints are managed by hand). */
export function matchesServiceSelector(
  selector: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  const have = labels ?? {};
  return Object.entries(selector).every(([k, v]) => have[k] === v);
}

export function controllerOf(meta: ObjectMeta): OwnerReference | undefined {
  return meta.ownerReferences?.find((o) => o.controller) ?? meta.ownerReferences?.[0];
}

export function ownedBy(child: KubeObject, owner: KubeObject): boolean {
  const ref = controllerOf(child.metadata);
  if (!ref || ref.kind !== owner.kind || ref.name !== owner.metadata.name) return false;
  return !owner.metadata.uid || !ref.uid || ref.uid === owner.metadata.uid;
}

export function ownerReference(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function isPodReady(pod: Pod): boolean {
  if (pod.metadata.deletionTimestamp) return false;
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * The workload a pod belongs to, as users name it: the Deployment for a ReplicaSet's pod
 * (the ReplicaSet name minus the pod-template-hash), the DaemonSet, or the pod itself.
 */
export function workloadOf(pod: KubeObject): { kind: string; name: string } {
  const owner = controllerOf(pod.metadata);
  if (!owner) return { kind: 'Pod', name: pod.metadata.name };
  const hash = pod.metadata.labels?.[POD_TEMPLATE_HASH];
  if (owner.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`)) {
    return { kind: 'Deployment', name: owner.name.slice(0, -hash.length - 1) };
  }
  return { kind: owner.kind, name: owner.name };
}

/** The value of an intOrString such as maxSurge "25%" against a total, rounded up or down. */
export function scaledValue(
  value: IntOrString | undefined,
  total: number,
  fallback: string,
  roundUp: boolean,
): number {
  const v = value ?? fallback;
  if (typeof v === 'number') return v;
  const percent = /^(\d+)%$/.exec(v);
  if (!percent) return Number.parseInt(v, 10) || 0;
  const exact = (Number(percent[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** JSON with sorted keys, so equal objects hash and compare equal. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
      return sorted;
    }
    return v;
  });
}

export function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

// Kubernetes encodes hashes and random name suffixes with this alphabet (no vowels, no
// look-alike digits) so generated names never spell words.
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** FNV-1a of the canonical JSON, encoded like ComputeHash (e.g. "7d9f8c6b5"). */
export function templateHash(template: unknown): string {
  let h = 0x811c9dc5;
  const text = canonicalJson(template);
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  let out = '';
  for (let n = h; out.length < 10; n = Math.floor(n / SAFE_ALPHABET.length)) {
    out += SAFE_ALPHABET[n % SAFE_ALPHABET.length];
    if (n < SAFE_ALPHABET.length) break;
  }
  return out;
}

export function randomSuffix(random: () => number, length = 5): string {
  let out = '';
  for (let i = 0; i < length; i++)
    out += SAFE_ALPHABET[Math.floor(random() * SAFE_ALPHABET.length)];
  return out;
}

/** A small seeded generator (mulberry32): simulations are repeatable for a given seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function isoTime(ms: number): string {
  // Kubernetes timestamps have second precision.
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Parses a CPU quantity ("100m", "0.5", "1") into millicores. */
export function cpuMillis(quantity: string | undefined): number | undefined {
  if (!quantity) return undefined;
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(quantity.trim());
  if (!m) return undefined;
  const value = Number(m[1]);
  return m[2] === 'm' ? value : value * 1000;
}

/**
 * Sets a condition the way Kubernetes controllers do: an unchanged condition stays as it
 * is (unless touch, which Deployments use to record progress), lastTransitionTime moves
 * only when the status changes, lastUpdateTime (kinds that have it) on every write.
 */
export function setCondition(
  conditions: Condition[],
  next: Condition,
  now: string,
  options: { updateTime: boolean; touch?: boolean },
): Condition[] {
  const existing = conditions.find((c) => c.type === next.type);
  if (
    existing &&
    !options.touch &&
    existing.status === next.status &&
    existing.reason === next.reason &&
    existing.message === next.message
  ) {
    return conditions;
  }
  const merged: Condition = { ...next };
  if (options.updateTime) merged.lastUpdateTime = now;
  merged.lastTransitionTime =
    existing && existing.status === next.status ? (existing.lastTransitionTime ?? now) : now;
  if (!existing) return [...conditions, merged];
  return conditions.map((c) => (c === existing ? merged : c));
}
