/**
 * How a version of an app behaves in the playground. It is read from the pod template's
 * annotations, so a canary with a bad version is just a Deployment whose template says
 * so, exactly like a real bad release, and tests and the UI "inject a failure" by
 * releasing such a template (or, without a new revision, with a runtime override).
 *
 * Pod template annotations (all optional):
 *
 *   playground.aviary.dev/error-rate: "0.3"        share of requests answered 500 (0..1);
 *                                                   health endpoints are spared
 *   playground.aviary.dev/latency-ms: "250"        mean response time in ms; each request
 *                                                   takes 50-150 % of it (uniform jitter)
 *   playground.aviary.dev/ready: "false"           containers run but never become Ready, so
 *                                                   the rollout ends in ProgressDeadlineExceeded
 *   playground.aviary.dev/ready-delay-ms: "2000"   time from scheduling to Ready
 *   playground.aviary.dev/cpu-ms-per-request: "2"  CPU cost of one request (drives the HPA)
 *
 * An image whose tag starts with "broken" or "invalid" (e.g. podinfo:broken-6.1) cannot
 * be pulled: its pods stay Pending in ErrImagePull, which also exceeds the deadline.
 *
 * On a Service or an Ingress:
 *
 *   playground.aviary.dev/traffic-rate: "5"        synthetic user requests per second sent
 *                                                   to this entry point ("0": none)
 */
import type { Container, Pod } from '../kube';

export const ANNOTATION_PREFIX = 'playground.aviary.dev/';
export const ERROR_RATE = `${ANNOTATION_PREFIX}error-rate`;
export const LATENCY_MS = `${ANNOTATION_PREFIX}latency-ms`;
export const READY = `${ANNOTATION_PREFIX}ready`;
export const READY_DELAY_MS = `${ANNOTATION_PREFIX}ready-delay-ms`;
export const CPU_MS_PER_REQUEST = `${ANNOTATION_PREFIX}cpu-ms-per-request`;
export const TRAFFIC_RATE = `${ANNOTATION_PREFIX}traffic-rate`;

export interface VersionBehaviour {
  errorRate: number;
  latencyMs: number;
  ready: boolean;
  readyDelayMs: number;
  cpuPerRequestMs: number;
}

export const DEFAULT_BEHAVIOUR: VersionBehaviour = {
  errorRate: 0,
  latencyMs: 12,
  ready: true,
  readyDelayMs: 2000,
  cpuPerRequestMs: 2,
};

function numberAnnotation(annotations: Record<string, string>, key: string): number | undefined {
  const raw = annotations[key];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** The behaviour a set of annotations describes, over the given defaults. */
export function behaviourFromAnnotations(
  annotations: Record<string, string> | undefined,
  defaults: VersionBehaviour,
): VersionBehaviour {
  const a = annotations ?? {};
  return {
    errorRate: Math.min(1, numberAnnotation(a, ERROR_RATE) ?? defaults.errorRate),
    latencyMs: numberAnnotation(a, LATENCY_MS) ?? defaults.latencyMs,
    ready: a[READY] === undefined ? defaults.ready : a[READY] !== 'false',
    readyDelayMs: numberAnnotation(a, READY_DELAY_MS) ?? defaults.readyDelayMs,
    cpuPerRequestMs: numberAnnotation(a, CPU_MS_PER_REQUEST) ?? defaults.cpuPerRequestMs,
  };
}

/** The annotations that express a (partial) behaviour, for templates written by release(). */
export function behaviourAnnotations(behaviour: Partial<VersionBehaviour>): Record<string, string> {
  const out: Record<string, string> = {};
  if (behaviour.errorRate !== undefined) out[ERROR_RATE] = String(behaviour.errorRate);
  if (behaviour.latencyMs !== undefined) out[LATENCY_MS] = String(behaviour.latencyMs);
  if (behaviour.ready !== undefined) out[READY] = String(behaviour.ready);
  if (behaviour.readyDelayMs !== undefined) out[READY_DELAY_MS] = String(behaviour.readyDelayMs);
  if (behaviour.cpuPerRequestMs !== undefined)
    out[CPU_MS_PER_REQUEST] = String(behaviour.cpuPerRequestMs);
  return out;
}

export function mainContainer(pod: Pod): Container | undefined {
  return pod.spec?.containers?.[0];
}

/** The image's repository and tag: "ghcr.io/stefanprodan/podinfo:6.0.1" → podinfo repo, "6.0.1". */
export function parseImage(image: string): { repository: string; tag: string } {
  const at = image.indexOf('@');
  const ref = at >= 0 ? image.slice(0, at) : image;
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/'))
    return { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repository: ref, tag: 'latest' };
}

export function imagePullError(image: string | undefined): string | undefined {
  if (!image) return undefined;
  return /^(broken|invalid)/.test(parseImage(image).tag) ? 'ErrImagePull' : undefined;
}

/** The duration of one request: the mean with uniform 50-150 % jitter. */
export function sampleLatency(meanMs: number, random: () => number): number {
  return meanMs * (0.5 + random());
}
