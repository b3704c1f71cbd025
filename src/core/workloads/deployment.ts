/**
 * Flagger's DeploymentController (pkg/canary/deployment_controller.go, deployment_ready.go):
 * the `<target>-primary` Deployment, promotion, revision detection, readiness and scaling.
 */
import type { Canary, PodSpec, StringMap, TrackedConfig } from '../canary';
import {
  applyPrimaryConfigs,
  canaryReadyThreshold,
  hasConfigChanged,
  hasSpecChanged,
  podTemplateHash,
  primaryReadyThreshold,
  progressDeadlineSeconds,
  skipAnalysis,
} from '../canary';
import type { Revision, WorkloadController, WorkloadMetadata } from '../controller/ports';
import { InitializationError, ReadinessError } from '../controller/ports';
import type { KubeApi, KubeObject, ObjectRef } from '../kube/api';
import type {
  Condition,
  Deployment,
  LabelSelector,
  ResolvedWorkloadOptions,
  WorkloadOptions,
} from './common';
import {
  ConfigTracker,
  NotFoundError,
  canaryOwnerReference,
  discoverPorts,
  errorText,
  filterMetadata,
  getOrThrow,
  includeLabelsByPrefix,
  makeAnnotations,
  makePrimaryLabels,
  primaryName,
  resolveWorkloadOptions,
  retryOnConflict,
  setOrDelete,
  defined,
  selectorLabel,
} from './common';
import * as t from './texts';

const RESOURCE = 'deployments.apps';

interface HorizontalPodAutoscaler extends KubeObject {
  spec?: { minReplicas?: number };
}
interface ScaledObject extends KubeObject {
  spec?: { minReplicaCount?: number };
}

export class DeploymentController implements WorkloadController {
  private readonly options: ResolvedWorkloadOptions;
  private readonly configs: ConfigTracker;

  constructor(
    private readonly api: KubeApi,
    options: WorkloadOptions = {},
  ) {
    this.options = resolveWorkloadOptions(options);
    this.configs = new ConfigTracker(api, this.options.configTracking);
  }

  async getMetadata(canary: Canary): Promise<WorkloadMetadata> {
    const target = await this.getTarget(canary);
    const { label, value } = selectorLabel(target, 'deployment', this.options.selectorLabels);
    const ports = canary.spec.service.portDiscovery
      ? discoverPorts(canary, target.spec?.template?.spec?.containers ?? [])
      : {};
    return { labelSelector: label, labelValue: value, ports };
  }

  async initialize(canary: Canary): Promise<void> {
    try {
      await this.createPrimaryDeployment(canary);
    } catch (err) {
      throw new InitializationError(t.createPrimaryFailed('Deployment', errorText(err)), true);
    }
    const phase = canary.status?.phase ?? '';
    if ((phase === '' || phase === 'Initializing') && !skipAnalysis(canary)) {
      try {
        await this.isPrimaryReady(canary);
      } catch (err) {
        if (err instanceof ReadinessError)
          throw new InitializationError(err.message, err.retriable);
        throw err;
      }
    }
  }

  async promote(canary: Canary): Promise<void> {
    const ns = canary.metadata.namespace;
    const primary = primaryName(canary);
    try {
      await retryOnConflict(async () => {
        const target = await this.getTarget(canary);
        const { label, value } = selectorLabel(target, 'deployment', this.options.selectorLabels);
        const primaryLabelValue = `${value}-primary`;
        const current = await getOrThrow<Deployment>(
          this.api,
          this.ref(canary, primary),
          RESOURCE,
          (e) => t.getQueryError('deployment', primary, ns, e),
        );
        const configs = await this.primaryConfigs(canary, target.spec?.template?.spec);

        const copy = structuredClone(current);
        const spec = (copy.spec ??= {});
        const source = target.spec ?? {};
        // An unset field is sent unset, as Go's nil pointers are, so the API server defaults it.
        setOrDelete(spec, 'progressDeadlineSeconds', source.progressDeadlineSeconds);
        setOrDelete(spec, 'minReadySeconds', source.minReadySeconds);
        setOrDelete(spec, 'revisionHistoryLimit', source.revisionHistoryLimit);
        setOrDelete(spec, 'strategy', source.strategy);
        // With an autoscaler the primary's HPA owns its replica count.
        if (!canary.spec.autoscalerRef) setOrDelete(spec, 'replicas', source.replicas);

        const template = (spec.template ??= {});
        template.spec = this.primaryTemplateSpec(target, configs);
        template.metadata = {
          ...(template.metadata ?? {}),
          annotations: makeAnnotations(source.template?.metadata?.annotations),
          labels: makePrimaryLabels(source.template?.metadata?.labels, primaryLabelValue, label),
        };
        copy.metadata.annotations = includeLabelsByPrefix(
          target.metadata.annotations,
          this.options.includeLabelPrefix,
        );
        copy.metadata.labels = makePrimaryLabels(
          includeLabelsByPrefix(target.metadata.labels, this.options.includeLabelPrefix),
          primaryLabelValue,
          label,
        );
        await this.api.replace(copy);
      });
    } catch (err) {
      throw new Error(t.updatingTemplateSpecFailed('deployment', primary, ns, errorText(err)), {
        cause: err,
      });
    }
  }

  async revision(canary: Canary): Promise<Revision> {
    const target = await this.getTarget(canary);
    let trackedConfigs: StringMap;
    try {
      ({ trackedConfigs } = await this.configs.targetConfigs(canary, target.spec?.template?.spec));
    } catch (err) {
      throw new Error(t.getConfigRefsFailed(t.getTargetConfigsFailed(errorText(err))), {
        cause: err,
      });
    }
    return { hash: podTemplateHash(target), trackedConfigs };
  }

  async hasTargetChanged(canary: Canary): Promise<boolean> {
    const target = await this.getTarget(canary);
    return hasSpecChanged(canary.status, podTemplateHash(target));
  }

  async haveDependenciesChanged(canary: Canary): Promise<boolean> {
    if (!this.options.configTracking) return false;
    try {
      const target = await this.getTarget(canary);
      const { trackedConfigs } = await this.configs.targetConfigs(
        canary,
        target.spec?.template?.spec,
      );
      return hasConfigChanged(canary.status?.trackedConfigs, trackedConfigs);
    } catch (err) {
      throw new Error(t.getTargetConfigsFailed(errorText(err)), { cause: err });
    }
  }

  async isPrimaryReady(canary: Canary): Promise<void> {
    const ns = canary.metadata.namespace;
    const name = primaryName(canary);
    let primary: Deployment;
    try {
      primary = await getOrThrow<Deployment>(this.api, this.ref(canary, name), RESOURCE, (e) =>
        t.getQueryError('deployment', name, ns, e),
      );
    } catch (err) {
      throw new ReadinessError(errorText(err), true);
    }
    const verdict = deploymentReadiness(
      primary,
      progressDeadlineSeconds(canary),
      primaryReadyThreshold(canary),
      this.options.clock.now(),
    );
    if (verdict.error !== undefined) {
      throw new ReadinessError(t.primaryNotReady(name, ns, verdict.error), verdict.retriable);
    }
    if (this.options.haltOnPrimaryScaledToZero && primary.spec?.replicas === 0) {
      throw new ReadinessError(t.primaryScaledToZero(canary.metadata.name, ns), false);
    }
  }

  async isCanaryReady(canary: Canary): Promise<void> {
    const ns = canary.metadata.namespace;
    const name = canary.spec.targetRef.name;
    let target: Deployment;
    try {
      target = await this.getTarget(canary);
    } catch (err) {
      throw new ReadinessError(errorText(err), true);
    }
    const verdict = deploymentReadiness(
      target,
      progressDeadlineSeconds(canary),
      canaryReadyThreshold(canary),
      this.options.clock.now(),
    );
    if (verdict.error !== undefined) {
      throw new ReadinessError(
        t.canaryDeploymentNotReady(name, ns, verdict.error),
        verdict.retriable,
      );
    }
  }

  async scaleToZero(canary: Canary): Promise<void> {
    const target = await this.getTarget(canary);
    const ns = canary.metadata.namespace;
    try {
      await this.api.mergePatch(this.ref(canary, target.metadata.name), { spec: { replicas: 0 } });
    } catch (err) {
      throw new Error(t.patchQueryError(canary.spec.targetRef.name, ns, errorText(err)), {
        cause: err,
      });
    }
  }

  async scaleFromZero(canary: Canary): Promise<void> {
    const target = await this.getTarget(canary);
    const ns = canary.metadata.namespace;
    const autoscaler = canary.spec.autoscalerRef;
    let replicas = 1;
    if ((target.spec?.replicas ?? 0) > 0) {
      replicas = target.spec?.replicas ?? 1;
    } else if (!autoscaler) {
      // Without an autoscaler a target left at zero comes back at the primary's size.
      const name = primaryName(canary);
      const primary = await getOrThrow<Deployment>(
        this.api,
        this.ref(canary, name),
        RESOURCE,
        (e) => t.getQueryError('deployment', name, ns, e),
      );
      if ((primary.spec?.replicas ?? 0) > 0) replicas = primary.spec?.replicas ?? 1;
    } else {
      // The autoscaler's minimum, when above 1; a failed read keeps 1, as in Flagger.
      const min = await this.autoscalerMinimum(canary).catch(() => undefined);
      if (min !== undefined && min > 1) replicas = min;
    }
    try {
      await this.api.mergePatch(this.ref(canary, target.metadata.name), { spec: { replicas } });
    } catch (err) {
      throw new Error(t.scalingUpFailed(target.metadata.name, ns, replicas, errorText(err)), {
        cause: err,
      });
    }
  }

  /**
   * Flagger's Finalize (revertOnDeletion) only gives the target the primary's replica count;
   * the template is not copied back (the target still has the last applied revision).
   */
  async finalize(canary: Canary): Promise<void> {
    const ns = canary.metadata.namespace;
    const targetName = canary.spec.targetRef.name;
    const target = await getOrThrow<Deployment>(
      this.api,
      this.ref(canary, targetName),
      RESOURCE,
      (e) => t.finalizeGetQueryError(targetName, ns, e),
    );
    const name = primaryName(canary);
    let primary: Deployment;
    try {
      primary = await getOrThrow<Deployment>(this.api, this.ref(canary, name), RESOURCE, (e) =>
        t.finalizeGetQueryError(name, ns, e),
      );
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      try {
        await this.scaleFromZero(canary);
      } catch (scaleErr) {
        throw new Error(t.scaleFromZeroFailed(errorText(scaleErr)), { cause: scaleErr });
      }
      return;
    }
    // Flagger compares the two *int32 pointers, so only two unset counts count as equal.
    if (target.spec?.replicas === undefined && primary.spec?.replicas === undefined) return;
    const replicas = primary.spec?.replicas ?? 1;
    try {
      await this.api.mergePatch(this.ref(canary, targetName), { spec: { replicas } });
    } catch (err) {
      throw new Error(t.scaleFailed(t.scalingFailed(targetName, ns, replicas, errorText(err))), {
        cause: err,
      });
    }
  }

  private async createPrimaryDeployment(canary: Canary): Promise<void> {
    const ns = canary.metadata.namespace;
    const target = await this.getTarget(canary);
    const labels = includeLabelsByPrefix(target.metadata.labels, this.options.includeLabelPrefix);
    const { label, value } = selectorLabel(target, 'deployment', this.options.selectorLabels);
    const primaryLabelValue = `${value}-primary`;
    const name = primaryName(canary);
    const existing = await this.api.get<Deployment>(this.ref(canary, name));
    if (existing) return;

    const configs = await this.primaryConfigs(canary, target.spec?.template?.spec);
    const source = target.spec ?? {};
    const replicas = (source.replicas ?? 0) > 0 ? (source.replicas ?? 1) : 1;
    const primary: Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name,
        namespace: ns,
        labels: makePrimaryLabels(labels, primaryLabelValue, label),
        annotations: filterMetadata(target.metadata.annotations),
        ownerReferences: [canaryOwnerReference(canary)],
      },
      spec: {
        ...defined({
          progressDeadlineSeconds: source.progressDeadlineSeconds,
          minReadySeconds: source.minReadySeconds,
          revisionHistoryLimit: source.revisionHistoryLimit,
          strategy: source.strategy,
        }),
        replicas,
        selector: { matchLabels: { [label]: primaryLabelValue } },
        template: {
          metadata: {
            labels: makePrimaryLabels(source.template?.metadata?.labels, primaryLabelValue, label),
            annotations: makeAnnotations(source.template?.metadata?.annotations),
          },
          spec: this.primaryTemplateSpec(target, configs),
        },
      },
    };
    try {
      await this.api.create(primary);
    } catch (err) {
      throw new Error(t.creatingFailed('deployment', name, ns, errorText(err)), { cause: err });
    }
  }

  /** GetTargetConfigs + CreatePrimaryConfigs, with Flagger's wrapping. */
  private async primaryConfigs(
    canary: Canary,
    podSpec: PodSpec | undefined,
  ): Promise<TrackedConfig[]> {
    let configs: TrackedConfig[];
    try {
      ({ configs } = await this.configs.targetConfigs(canary, podSpec));
    } catch (err) {
      throw new Error(t.getTargetConfigsFailed(errorText(err)), { cause: err });
    }
    try {
      await this.configs.createPrimaryConfigs(canary, configs, this.options.includeLabelPrefix);
    } catch (err) {
      throw new Error(t.createPrimaryConfigsFailed(errorText(err)), { cause: err });
    }
    return configs;
  }

  /**
   * getPrimaryDeploymentTemplateSpec: refs to tracked configs point at the `-primary` copies, and
   * spread/anti-affinity selectors naming the target's pods name the primary's instead.
   */
  private primaryTemplateSpec(target: Deployment, configs: TrackedConfig[]): PodSpec {
    const keys = configs.map((c) => `${c.kind}/${c.name}`);
    const spec = applyPrimaryConfigs(target.spec?.template?.spec ?? {}, keys) as NonNullable<
      NonNullable<Deployment['spec']>['template']
    >['spec'] &
      PodSpec;
    const rename = (selector: LabelSelector | undefined): void => {
      if (!selector) return;
      for (const expr of selector.matchExpressions ?? []) {
        if (!this.options.selectorLabels.includes(expr.key)) continue;
        const values = expr.values ?? [];
        const i = values.indexOf(target.metadata.name);
        if (i >= 0) values[i] = `${target.metadata.name}-primary`;
      }
      const match = selector.matchLabels ?? {};
      for (const [key, value] of Object.entries(match)) {
        if (this.options.selectorLabels.includes(key) && value === target.metadata.name) {
          match[key] = `${value}-primary`;
        }
      }
    };
    for (const c of spec.topologySpreadConstraints ?? []) rename(c.labelSelector);
    const anti = spec.affinity?.podAntiAffinity;
    for (const term of anti?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
      rename(term.podAffinityTerm?.labelSelector);
    }
    for (const term of anti?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
      rename(term.labelSelector);
    }
    return spec;
  }

  private async autoscalerMinimum(canary: Canary): Promise<number | undefined> {
    const ref = canary.spec.autoscalerRef;
    if (ref?.kind === 'HorizontalPodAutoscaler') {
      const hpa = await this.api.get<HorizontalPodAutoscaler>({
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        namespace: canary.metadata.namespace,
        name: ref.name,
      });
      return hpa?.spec?.minReplicas;
    }
    if (ref?.kind === 'ScaledObject') {
      const so = await this.api.get<ScaledObject>({
        apiVersion: 'keda.sh/v1alpha1',
        kind: 'ScaledObject',
        namespace: canary.metadata.namespace,
        name: ref.name,
      });
      return so?.spec?.minReplicaCount;
    }
    return undefined;
  }

  private getTarget(canary: Canary): Promise<Deployment> {
    const name = canary.spec.targetRef.name;
    return getOrThrow<Deployment>(this.api, this.ref(canary, name), RESOURCE, (e) =>
      t.getQueryError('deployment', name, canary.metadata.namespace, e),
    );
  }

  private ref(canary: Canary, name: string): ObjectRef {
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: canary.metadata.namespace,
      name,
    };
  }
}

/**
 * isDeploymentReady: the verdict on a Deployment's rollout. `deadlineSeconds` is the canary's
 * progressDeadlineSeconds, measured from the Available=False (MinimumReplicasUnavailable)
 * condition's lastUpdateTime; a ProgressDeadlineExceeded condition is final at once.
 */
export function deploymentReadiness(
  deployment: Deployment,
  deadlineSeconds: number,
  readyThreshold: number,
  now: number,
): { retriable: boolean; error?: string } {
  const status = deployment.status ?? {};
  if ((deployment.metadata.generation ?? 0) > (status.observedGeneration ?? 0)) {
    return { retriable: true, error: t.generationNotObserved('deployment') };
  }
  let retriable = true;
  const progress = condition(status.conditions, 'Progressing');
  if (progress) {
    const available = condition(status.conditions, 'Available');
    if (available?.status === 'False' && available.reason === 'MinimumReplicasUnavailable') {
      // A missing time is Go's zero time: long past.
      const from = Date.parse(available.lastUpdateTime ?? '') || 0;
      retriable = !(from + deadlineSeconds * 1000 < now);
    }
  }
  const updated = status.updatedReplicas ?? 0;
  // Go computes int32(float32(updated) * float32(threshold)/float32(100)).
  const ratio = Math.fround(Math.fround(readyThreshold) / Math.fround(100));
  const needed = Math.trunc(Math.fround(Math.fround(updated) * ratio));
  const desired = deployment.spec?.replicas;
  if (progress?.reason === 'ProgressDeadlineExceeded') {
    return { retriable: false, error: t.progressDeadlineExceeded(deployment.metadata.name) };
  }
  if (desired !== undefined && updated < desired) {
    return { retriable, error: t.replicasNotUpdated(updated, desired) };
  }
  if ((status.replicas ?? 0) > updated) {
    return { retriable, error: t.oldReplicasPending((status.replicas ?? 0) - updated) };
  }
  if ((status.availableReplicas ?? 0) < needed) {
    return {
      retriable,
      error: t.replicasNotAvailable(status.availableReplicas ?? 0, needed, readyThreshold),
    };
  }
  return { retriable: true };
}

function condition(conditions: Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}
