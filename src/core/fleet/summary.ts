/**
 * What the fleet view shows of one Canary object: read from the object alone (spec and
 * status), so it is the same whether Aviary, an in-cluster Flagger, or nobody drives it.
 */
import type { CanaryController, CanaryPhaseName, CanarySummary } from '../../shared/api';
import {
  CANARY_PHASES,
  analysisThreshold,
  deploymentStrategy,
  maxWeight,
  parseCanary,
  type Canary,
  type FieldError,
} from '../canary';
import type { KubeObject } from '../kube/api';

const PHASES = new Set<string>(CANARY_PHASES);

export function canaryKey(context: string, namespace: string, name: string): string {
  return `${context}/${namespace}/${name}`;
}

/** Splits "context/namespace/name" (the context may itself contain slashes). */
export function splitCanaryKey(key: string): { context: string; namespace: string; name: string } {
  const parts = key.split('/');
  const name = parts.pop() ?? '';
  const namespace = parts.pop() ?? '';
  return { context: parts.join('/'), namespace, name };
}

interface RawStatus {
  phase?: string;
  canaryWeight?: number;
  failedChecks?: number;
  iterations?: number;
  lastTransitionTime?: string;
  conditions?: { type?: string; status?: string; message?: string }[];
}

export function summarize(
  context: string,
  object: KubeObject,
  controller: CanaryController,
  message?: string,
): CanarySummary {
  const namespace = object.metadata.namespace ?? 'default';
  const name = object.metadata.name;
  const status = (object.status ?? {}) as RawStatus;
  const phase: CanaryPhaseName =
    status.phase && PHASES.has(status.phase) ? (status.phase as CanaryPhaseName) : 'Unknown';
  const parsed = parseCanary(object);
  const spec = (object.spec ?? {}) as {
    targetRef?: { kind?: string; name?: string };
    provider?: string;
    suspend?: boolean;
  };
  const base = {
    key: canaryKey(context, namespace, name),
    context,
    namespace,
    name,
    phase,
    canaryWeight: status.canaryWeight ?? 0,
    failedChecks: status.failedChecks ?? 0,
    iterations: status.iterations ?? 0,
    provider: spec.provider ?? '',
    target: { kind: spec.targetRef?.kind ?? '', name: spec.targetRef?.name ?? '' },
    ...(status.lastTransitionTime ? { lastTransitionTime: status.lastTransitionTime } : {}),
    suspended: spec.suspend === true,
    controller,
  };
  const promoted = status.conditions?.find((c) => c.type === 'Promoted');
  const halt = message ?? (promoted?.status === 'False' ? promoted.message : undefined);
  if ('errors' in parsed) {
    return {
      ...base,
      threshold: 0,
      maxWeight: 0,
      strategy: 'canary',
      errors: toFieldErrors(parsed.errors),
    };
  }
  const canary: Canary = parsed.canary;
  return {
    ...base,
    threshold: analysisThreshold(canary),
    maxWeight: maxWeight(canary),
    strategy: deploymentStrategy(canary),
    ...(canary.spec.analysis?.iterations
      ? { totalIterations: canary.spec.analysis.iterations }
      : {}),
    ...(halt ? { message: halt } : {}),
  };
}

function toFieldErrors(errors: FieldError[]): { path: string; message: string }[] {
  return errors.map((e) => ({ path: e.path, message: e.message }));
}
