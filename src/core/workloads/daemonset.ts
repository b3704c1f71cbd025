/**
 * Flagger's DaemonSetController (pkg/canary/daemonset_controller.go, daemonset_ready.go,
 * daemonset_status.go). A DaemonSet has no replica count, so "scaled to zero" is a node selector
 * no node matches (`flagger.app/scale-to-zero: "true"`), which revision hashes ignore.
 */
import type { Canary, PodSpec, StringMap, TrackedConfig } from '../canary';
import {
  applyPrimaryConfigs,
  canaryReadyThreshold,
  computeHash,
  hasConfigChanged,
  hasSpecChanged,
  primaryReadyThreshold,
  progressDeadlineSeconds,
  skipAnalysis,
} from '../canary';
import type { Revision, WorkloadController, WorkloadMetadata } from '../controller/ports';
import { InitializationError, ReadinessError } from '../controller/ports';
import type { KubeApi, ObjectRef } from '../kube/api';
import type { DaemonSet, PodTemplate, ResolvedWorkloadOptions, WorkloadOptions } from './common';
import {
  ConfigTracker,
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
  selectorLabel,
} from './common';
import * as t from './texts';

const RESOURCE = 'daemonsets.apps';

/** daemonSetScaleDownNodeSelector. */
export const SCALE_TO_ZERO_NODE_SELECTOR: Readonly<StringMap> = {
  'flagger.app/scale-to-zero': 'true',
};

/**
 * The template a DaemonSet's revision is hashed from: without the scale-to-zero selector, and
 * with an empty nodeSelector rather than none, so scaling never reads as a new revision.
 */
export function daemonSetRevisionTemplate(template: PodTemplate | undefined): PodTemplate {
  const copy = structuredClone(template ?? {});
  const spec = (copy.spec ??= {});
  const nodeSelector = { ...(spec.nodeSelector ?? {}) };
  for (const key of Object.keys(SCALE_TO_ZERO_NODE_SELECTOR)) delete nodeSelector[key];
  spec.nodeSelector = nodeSelector;
  return copy;
}

export class DaemonSetController implements WorkloadController {
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
    const { label, value } = selectorLabel(target, 'daemonset', this.options.selectorLabels);
    const ports = canary.spec.service.portDiscovery
      ? discoverPorts(canary, target.spec?.template?.spec?.containers ?? [])
      : {};
    return { labelSelector: label, labelValue: value, ports };
  }

  async initialize(canary: Canary): Promise<void> {
    try {
      await this.createPrimaryDaemonSet(canary);
    } catch (err) {
      throw new InitializationError(t.createPrimaryFailed('DaemonSet', errorText(err)), true);
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
    const targetName = canary.spec.targetRef.name;
    const primary = primaryName(canary);
    try {
      await retryOnConflict(async () => {
        const target = await getOrThrow<DaemonSet>(
          this.api,
          this.ref(canary, targetName),
          RESOURCE,
          (e) => t.promoteDaemonSetGetError(targetName, ns, e),
        );
        const { label, value } = selectorLabel(target, 'daemonset', this.options.selectorLabels);
        const primaryLabelValue = `${value}-primary`;
        const current = await getOrThrow<DaemonSet>(
          this.api,
          this.ref(canary, primary),
          RESOURCE,
          (e) => t.getQueryError('daemonset', primary, ns, e),
        );
        const configs = await this.primaryConfigs(canary, target.spec?.template?.spec);

        const copy = structuredClone(current);
        const spec = (copy.spec ??= {});
        const source = target.spec ?? {};
        setOrDelete(spec, 'minReadySeconds', source.minReadySeconds);
        setOrDelete(spec, 'revisionHistoryLimit', source.revisionHistoryLimit);
        setOrDelete(spec, 'updateStrategy', source.updateStrategy);
        const template = (spec.template ??= {});
        // The target may be scaled to zero right now; the primary never is.
        const podSpec = applyPrimaryConfigs(
          source.template?.spec ?? {},
          configs.map((c) => `${c.kind}/${c.name}`),
        );
        template.spec = withoutScaleToZero(podSpec);
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
      throw new Error(t.updatingTemplateSpecFailed('daemonset', primary, ns, errorText(err)), {
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
    return { hash: computeHash(daemonSetRevisionTemplate(target.spec?.template)), trackedConfigs };
  }

  async hasTargetChanged(canary: Canary): Promise<boolean> {
    const target = await this.getTarget(canary);
    return hasSpecChanged(
      canary.status,
      computeHash(daemonSetRevisionTemplate(target.spec?.template)),
    );
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
    let primary: DaemonSet;
    try {
      primary = await getOrThrow<DaemonSet>(this.api, this.ref(canary, name), RESOURCE, (e) =>
        t.getQueryError('daemonset', name, ns, e),
      );
    } catch (err) {
      throw new ReadinessError(errorText(err), true);
    }
    const verdict = this.readiness(canary, primary, primaryReadyThreshold(canary));
    if (verdict.error !== undefined) {
      throw new ReadinessError(
        t.primaryDaemonSetNotReady(name, ns, verdict.error),
        verdict.retriable,
      );
    }
  }

  async isCanaryReady(canary: Canary): Promise<void> {
    const ns = canary.metadata.namespace;
    const name = canary.spec.targetRef.name;
    let target: DaemonSet;
    try {
      target = await this.getTarget(canary);
    } catch (err) {
      throw new ReadinessError(errorText(err), true);
    }
    const verdict = this.readiness(canary, target, canaryReadyThreshold(canary));
    if (verdict.error !== undefined) {
      throw new ReadinessError(
        t.canaryDaemonSetNotReady(name, ns, verdict.retriable, verdict.error),
        verdict.retriable,
      );
    }
  }

  async scaleToZero(canary: Canary): Promise<void> {
    const target = await this.getTarget(canary);
    const copy = structuredClone(target);
    const podSpec = ((copy.spec ??= {}).template ??= {}).spec ?? {};
    podSpec.nodeSelector = { ...(podSpec.nodeSelector ?? {}), ...SCALE_TO_ZERO_NODE_SELECTOR };
    copy.spec.template.spec = podSpec;
    try {
      await this.api.replace(copy);
    } catch (err) {
      throw new Error(
        t.updatingDaemonSetFailed(copy.metadata.name, canary.metadata.namespace, errorText(err)),
        { cause: err },
      );
    }
  }

  async scaleFromZero(canary: Canary): Promise<void> {
    const ns = canary.metadata.namespace;
    const name = canary.spec.targetRef.name;
    const target = await getOrThrow<DaemonSet>(this.api, this.ref(canary, name), RESOURCE, (e) =>
      t.daemonSetQueryError(name, ns, e),
    );
    const copy = structuredClone(target);
    const template = copy.spec?.template;
    if (template?.spec) template.spec = withoutScaleToZero(template.spec);
    try {
      await this.api.replace(copy);
    } catch (err) {
      throw new Error(t.scalingUpDaemonSetFailed(copy.metadata.name, ns, errorText(err)), {
        cause: err,
      });
    }
  }

  /** Finalize (revertOnDeletion): the target runs on its nodes again. */
  async finalize(canary: Canary): Promise<void> {
    try {
      await this.scaleFromZero(canary);
    } catch (err) {
      throw new Error(t.scaleFromZeroFailed(errorText(err)), { cause: err });
    }
  }

  /**
   * isDaemonSetReady. The deadline runs from the canary's status.lastTransitionTime (a missing
   * one is Go's zero time, long past), not from a DaemonSet condition: DaemonSets have none.
   */
  private readiness(
    canary: Canary,
    ds: DaemonSet,
    readyThreshold: number,
  ): { retriable: boolean; error?: string } {
    const status = ds.status ?? {};
    if ((ds.metadata.generation ?? 0) > (status.observedGeneration ?? 0)) {
      return { retriable: true, error: t.generationNotObserved('daemonset') };
    }
    const desired = status.desiredNumberScheduled ?? 0;
    const updated = status.updatedNumberScheduled ?? 0;
    const available = status.numberAvailable ?? 0;
    const ratio = Math.fround(Math.fround(readyThreshold) / Math.fround(100));
    const needed = Math.trunc(Math.fround(Math.fround(desired) * ratio));
    const newCond = updated < desired;
    const availableCond = available < needed;
    if (!newCond && !availableCond) return { retriable: true };

    const from = Date.parse(canary.status?.lastTransitionTime ?? '') || 0;
    const deadline = progressDeadlineSeconds(canary);
    if (from + deadline * 1000 < this.options.clock.now()) {
      return { retriable: false, error: t.daemonSetDeadlineExceeded(deadline) };
    }
    if (newCond) return { retriable: true, error: t.podsNotUpdated(updated, desired) };
    return { retriable: true, error: t.podsNotAvailable(available, needed, readyThreshold) };
  }

  private async createPrimaryDaemonSet(canary: Canary): Promise<void> {
    const ns = canary.metadata.namespace;
    const target = await this.getTarget(canary);
    const strategy = target.spec?.updateStrategy?.type ?? '';
    if (strategy !== '' && strategy !== 'RollingUpdate') {
      throw new Error(t.daemonSetStrategy(canary.spec.targetRef.name, ns, strategy));
    }
    const labels = includeLabelsByPrefix(target.metadata.labels, this.options.includeLabelPrefix);
    const { label, value } = selectorLabel(target, 'daemonset', this.options.selectorLabels);
    const primaryLabelValue = `${value}-primary`;
    const name = primaryName(canary);
    if (await this.api.get<DaemonSet>(this.ref(canary, name))) return;

    const configs = await this.primaryConfigs(canary, target.spec?.template?.spec);
    const source = target.spec ?? {};
    const spec: NonNullable<DaemonSet['spec']> = {
      selector: { matchLabels: { [label]: primaryLabelValue } },
      template: {
        metadata: {
          labels: makePrimaryLabels(source.template?.metadata?.labels, primaryLabelValue, label),
          annotations: makeAnnotations(source.template?.metadata?.annotations),
        },
        // Flagger copies the template spec as is here (a target already scaled to zero
        // would pass its node selector on); promote strips it.
        spec: applyPrimaryConfigs(
          source.template?.spec ?? {},
          configs.map((c) => `${c.kind}/${c.name}`),
        ),
      },
    };
    setOrDelete(spec, 'minReadySeconds', source.minReadySeconds);
    setOrDelete(spec, 'revisionHistoryLimit', source.revisionHistoryLimit);
    setOrDelete(spec, 'updateStrategy', source.updateStrategy);
    const primary: DaemonSet = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: {
        name,
        namespace: ns,
        labels: makePrimaryLabels(labels, primaryLabelValue, label),
        annotations: filterMetadata(target.metadata.annotations),
        ownerReferences: [canaryOwnerReference(canary)],
      },
      spec,
    };
    try {
      await this.api.create(primary);
    } catch (err) {
      throw new Error(t.creatingFailed('daemonset', name, ns, errorText(err)), { cause: err });
    }
  }

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

  private getTarget(canary: Canary): Promise<DaemonSet> {
    const name = canary.spec.targetRef.name;
    return getOrThrow<DaemonSet>(this.api, this.ref(canary, name), RESOURCE, (e) =>
      t.getQueryError('daemonset', name, canary.metadata.namespace, e),
    );
  }

  private ref(canary: Canary, name: string): ObjectRef {
    return { apiVersion: 'apps/v1', kind: 'DaemonSet', namespace: canary.metadata.namespace, name };
  }
}

function withoutScaleToZero<T extends { nodeSelector?: StringMap }>(podSpec: T): T {
  const nodeSelector = { ...(podSpec.nodeSelector ?? {}) };
  for (const key of Object.keys(SCALE_TO_ZERO_NODE_SELECTOR)) delete nodeSelector[key];
  const copy = { ...podSpec };
  // An emptied map is omitted on the wire, as Go's omitempty does.
  if (Object.keys(nodeSelector).length > 0) copy.nodeSelector = nodeSelector;
  else delete copy.nodeSelector;
  return copy;
}
