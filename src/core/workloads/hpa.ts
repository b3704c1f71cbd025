/**
 * Flagger's HPAReconciler (pkg/canary/hpa_reconciler.go): a `<autoscaler>-primary`
 * HorizontalPodAutoscaler (autoscaling/v2) that scales `<target>-primary` the way the user's HPA
 * scales the target.
 */
import type { Canary, StringMap } from '../canary';
import { canonicalJson } from '../canary';
import type { ScalerReconciler } from '../controller/ports';
import type { KubeApi, KubeObject, ObjectRef } from '../kube/api';
import { isNotFound } from '../kube/api';
import {
  canaryOwnerReference,
  errorText,
  filterMetadata,
  getOrThrow,
  primaryName,
  retryOnConflict,
  setOrDelete,
  defined,
} from './common';
import * as t from './texts';

export interface HorizontalPodAutoscaler extends KubeObject {
  spec?: {
    scaleTargetRef?: { apiVersion?: string; kind?: string; name: string };
    minReplicas?: number;
    maxReplicas?: number;
    metrics?: unknown[];
    behavior?: unknown;
    [field: string]: unknown;
  };
}

type HpaSpec = NonNullable<HorizontalPodAutoscaler['spec']>;

export class HpaReconciler implements ScalerReconciler {
  constructor(private readonly api: KubeApi) {}

  async reconcilePrimaryScaler(canary: Canary, init: boolean): Promise<void> {
    const ref = canary.spec.autoscalerRef;
    if (!ref) return;
    const ns = canary.metadata.namespace;
    const hpa = await getOrThrow<HorizontalPodAutoscaler>(
      this.api,
      hpaRef(ns, ref.name),
      'horizontalpodautoscalers.autoscaling',
      (e) => t.hpaGetQueryError(ref.name, ns, e),
    );

    const spec: HpaSpec = {
      scaleTargetRef: {
        name: primaryName(canary),
        ...defined({
          kind: hpa.spec?.scaleTargetRef?.kind,
          apiVersion: hpa.spec?.scaleTargetRef?.apiVersion,
        }),
      },
      ...defined({
        minReplicas: hpa.spec?.minReplicas,
        metrics: hpa.spec?.metrics,
        behavior: hpa.spec?.behavior,
      }),
      maxReplicas: hpa.spec?.maxReplicas ?? 0,
    };
    const override = ref.primaryScalerReplicas;
    if (override?.minReplicas !== undefined) spec.minReplicas = override.minReplicas;
    if (override?.maxReplicas !== undefined) spec.maxReplicas = override.maxReplicas;

    const name = `${ref.name}-primary`;
    let primary: HorizontalPodAutoscaler | undefined;
    try {
      primary = await this.api.get<HorizontalPodAutoscaler>(hpaRef(ns, name));
    } catch (err) {
      throw new Error(t.hpaV2GetQueryFailed(name, ns, errorText(err)), { cause: err });
    }
    if (!primary) {
      const created: HorizontalPodAutoscaler = {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: {
          name,
          namespace: ns,
          labels: filterMetadata(hpa.metadata.labels),
          ownerReferences: [canaryOwnerReference(canary)],
        },
        spec,
      };
      try {
        await this.api.create(created);
      } catch (err) {
        throw new Error(t.creatingHpaFailed(name, ns, errorText(err)), { cause: err });
      }
      return;
    }
    if (init || !hpaChanged(hpa, spec, primary)) return;

    try {
      await retryOnConflict(async () => {
        const current = await this.api.get<HorizontalPodAutoscaler>(hpaRef(ns, name));
        if (!current) throw new Error(t.notFound('horizontalpodautoscalers.autoscaling', name));
        const next = structuredClone(current);
        const nextSpec: HpaSpec = (next.spec ??= { maxReplicas: spec.maxReplicas });
        nextSpec.maxReplicas = spec.maxReplicas;
        setOrDelete(nextSpec, 'minReplicas', spec.minReplicas);
        setOrDelete(nextSpec, 'metrics', spec.metrics);
        setOrDelete(nextSpec, 'behavior', spec.behavior);
        // Flagger's updateObjectMeta takes the ObjectMeta by value, so labels and annotations
        // are never written back; and a PUT that changes nothing changes nothing in Kubernetes.
        if (canonicalJson(next.spec) === canonicalJson(current.spec)) return;
        await this.api.replace(next);
      });
    } catch (err) {
      if (isNotFound(err)) throw err;
      throw new Error(t.updatingHpaFailed(name, ns, errorText(err)), { cause: err });
    }
  }

  /** A no-op for HPAs in Flagger: an HPA leaves a target at zero replicas alone. */
  async pauseTargetScaler(_canary: Canary): Promise<void> {}

  /** A no-op for HPAs in Flagger. */
  async resumeTargetScaler(_canary: Canary): Promise<void> {}
}

/**
 * hasHPAChanged: metrics, behavior, labels and annotations (the target HPA's against the
 * primary's), min (unset = 1) and max. Unset and empty are one thing on the wire.
 */
function hpaChanged(
  target: HorizontalPodAutoscaler,
  spec: HpaSpec,
  primary: HorizontalPodAutoscaler,
): boolean {
  const same = (a: unknown, b: unknown): boolean =>
    canonicalJson(empty(a)) === canonicalJson(empty(b));
  const p = primary.spec ?? {};
  return (
    !same(spec.metrics, p.metrics) ||
    !same(spec.behavior, p.behavior) ||
    !same(target.metadata.labels, primary.metadata.labels) ||
    !same(target.metadata.annotations, primary.metadata.annotations) ||
    (spec.minReplicas ?? 1) !== (p.minReplicas ?? 1) ||
    spec.maxReplicas !== p.maxReplicas
  );
}

function empty(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value) && value.length === 0) return undefined;
  if (typeof value === 'object' && Object.keys(value as StringMap).length === 0) return undefined;
  return value;
}

function hpaRef(namespace: string, name: string): ObjectRef {
  return { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', namespace, name };
}
