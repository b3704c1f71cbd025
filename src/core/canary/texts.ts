/**
 * Every text Flagger emits, as functions: Kubernetes event messages (pkg/controller/*.go), log
 * lines, alert messages and fields (events.go) and the Promoted condition (pkg/canary/status.go).
 * Arguments are formatted as Go's fmt does (`%v` of a float64, `%.2f`, time.Duration), so the
 * controller never spells a text by hand and people who know Flagger read the same lines.
 *
 * Functions take the canary rather than bare names because Flagger mixes the canary's name and
 * the target's name from one text to the next ("Advance podinfo.test" vs "Scaling up
 * podinfo.test"); taking the canary puts that choice here, once. Each doc comment says the
 * event type Flagger uses: info (Normal), warning (Warning) or error (Warning, logged at error).
 */
import { formatGoDuration, goFixed, goFloat, millisecondsToGoDuration } from './go-format';
import { analysisThreshold, deploymentStrategy, progressDeadlineSeconds } from './spec';
import type { Canary, CanaryCondition, CanaryPhase, ConditionStatus, TargetKind } from './types';

/** The parts of a canary the texts read. */
export interface CanaryIdentity {
  metadata: { name: string; namespace: string };
  spec: { targetRef: { kind: TargetKind | string; name: string } };
}

/** An error as `%v` prints it. */
export type ErrorText = string | Error;

const v = (err: ErrorText): string => (err instanceof Error ? err.message : err);
const cd = (c: CanaryIdentity): string => `${c.metadata.name}.${c.metadata.namespace}`;
const target = (c: CanaryIdentity): string => `${c.spec.targetRef.name}.${c.metadata.namespace}`;

// --- scheduler.go: events ---------------------------------------------------------------------

/** info */
export const suspended = (): string => 'skipping canary run as object is suspended';
/** error */
export const errorCheckingMetricProviders = (err: ErrorText): string =>
  `Error checking metric providers: ${v(err)}`;
/** warning */
export const scalingDownCanaryFailed = (c: CanaryIdentity, err: ErrorText): string =>
  `scaling down canary ${c.spec.targetRef.kind} ${target(c)} failed: ${v(err)}`;
/** info */
export const initializationDone = (c: CanaryIdentity): string => `Initialization done! ${cd(c)}`;
/** info */
export const newRevisionScalingUp = (c: CanaryIdentity): string =>
  `New revision detected! Scaling up ${target(c)}`;
/** info */
export const newRevisionRestartingAnalysis = (c: CanaryIdentity): string =>
  `New revision detected! Restarting analysis for ${target(c)}`;
/** warning */
export const rollingBackManualWebhook = (c: CanaryIdentity): string =>
  `Rolling back ${cd(c)} manual webhook invoked`;
/** info */
export const routingAllTrafficToPrimary = (): string => 'Routing all traffic to primary';
/** info */
export const advancePrimaryWeight = (c: CanaryIdentity, primaryWeight: number): string =>
  `Advance ${cd(c)} primary weight ${primaryWeight}`;
/** info */
export const promotionCompleted = (c: CanaryIdentity): string =>
  `Promotion completed! Scaling down ${target(c)}`;
/** warning */
export const rollingBackProgressDeadline = (c: CanaryIdentity, err: ErrorText): string =>
  `Rolling back ${cd(c)} progress deadline exceeded ${v(err)}`;
/** info */
export const startingCanaryAnalysis = (c: CanaryIdentity): string =>
  `Starting canary analysis for ${target(c)}`;
/** warning */
export const abTestingNotSupported = (): string =>
  'A/B testing is not supported when using the kubernetes provider';
/** warning */
export const progressiveTrafficNotSupported = (): string =>
  'Progressive traffic is not supported when using the kubernetes provider';
/** warning */
export const settingIterationsTo10 = (): string => 'Setting canaryAnalysis.iterations: 10';
/** info */
export const advanceCanaryWeight = (c: CanaryIdentity, canaryWeight: number): string =>
  `Advance ${cd(c)} canary weight ${canaryWeight}`;
/** info: before Promote in the canary, A/B and blue/green paths. */
export const copyingTemplateSpec = (c: CanaryIdentity): string =>
  `Copying ${target(c)} template spec to ${c.spec.targetRef.name}-primary.${c.metadata.namespace}`;
/** info: `iteration` is status.iterations + 1, `total` is analysis.iterations. */
export const advanceCanaryIteration = (
  c: CanaryIdentity,
  iteration: number,
  total: number,
): string => `Advance ${cd(c)} canary iteration ${iteration}/${total}`;
/** info */
export const stopMirroringRouteAllToCanary = (): string =>
  'Stop traffic mirroring and route all traffic to canary';
/** info */
export const routingAllTrafficToCanary = (): string => 'Routing all traffic to canary';
/** warning */
export const haltExternalCheck = (c: CanaryIdentity, hook: string, err: ErrorText): string =>
  `Halt ${cd(c)} advancement external check ${hook} failed ${v(err)}`;
/**
 * info: the skip-analysis path's own format ("%s-primary.%s"); it prints the same words as
 * copyingTemplateSpec.
 */
export const copyingTemplateSpecSkippingAnalysis = (c: CanaryIdentity): string =>
  `Copying ${target(c)} template spec to ${c.spec.targetRef.name}-primary.${c.metadata.namespace}`;
/** info */
export const promotionCompletedAnalysisSkipped = (c: CanaryIdentity): string =>
  `Promotion completed! Canary analysis was skipped for ${target(c)}`;
/** warning */
export const rollingBackFailedChecks = (c: CanaryIdentity, failedChecks: number): string =>
  `Rolling back ${cd(c)} failed checks threshold reached ${failedChecks}`;
/** warning (the event carries phase Failed) */
export const canaryFailed = (c: CanaryIdentity): string => `Canary failed! Scaling down ${cd(c)}`;
/** warning */
export const promotionFailedPrimaryNotReady = (c: CanaryIdentity, err: ErrorText): string =>
  `Promotion of ${target(c)} failed, primary not ready: ${v(err)}`;
/** warning: the `%v` events Flagger records for errors from routers, scalers and the like. */
export const errorEvent = (err: ErrorText): string => v(err);

// --- scheduler_hooks.go -----------------------------------------------------------------------

/** warning */
export const haltWaitingTrafficIncreaseApproval = (c: CanaryIdentity, hook: string): string =>
  `Halt ${cd(c)} advancement waiting for traffic increase approval ${hook}`;
/** info */
export const confirmTrafficIncreasePassed = (hook: string): string =>
  `Confirm-traffic-increase check ${hook} passed`;
/** warning */
export const haltWaitingApproval = (c: CanaryIdentity, hook: string): string =>
  `Halt ${cd(c)} advancement waiting for approval ${hook}`;
/** info */
export const confirmRolloutPassed = (hook: string): string =>
  `Confirm-rollout check ${hook} passed`;
/** warning */
export const haltWaitingPromotionApproval = (c: CanaryIdentity, hook: string): string =>
  `Halt ${cd(c)} advancement waiting for promotion approval ${hook}`;
/** info */
export const confirmPromotionPassed = (hook: string): string =>
  `Confirm-promotion check ${hook} passed`;
/** warning */
export const haltPreRolloutCheck = (c: CanaryIdentity, hook: string, err: ErrorText): string =>
  `Halt ${cd(c)} advancement pre-rollout check ${hook} failed ${v(err)}`;
/** info */
export const preRolloutPassed = (hook: string): string => `Pre-rollout check ${hook} passed`;
/** warning */
export const postRolloutFailed = (hook: string, err: ErrorText): string =>
  `Post-rollout hook ${hook} failed ${v(err)}`;
/** info */
export const postRolloutPassed = (hook: string): string => `Post-rollout check ${hook} passed`;
/** info: a failing rollback hook means "do not roll back". */
export const rollbackHookNotSignaling = (hook: string): string =>
  `Rollback hook ${hook} not signaling a rollback`;
/** warning: a succeeding rollback hook means "roll back". */
export const rollbackCheckPassed = (hook: string): string => `Rollback check ${hook} passed`;

// --- scheduler_metrics.go ---------------------------------------------------------------------

/** info */
export const metricProvidersAvailable = (): string => 'all the metrics providers are available!';
/** error */
export const errorFetchingKnativeService = (c: CanaryIdentity, err: ErrorText): string =>
  `Error fetching Knative service ${c.metadata.namespace}/${c.spec.targetRef.name} ${v(err)}`;
/** error */
export const errorBuildingPrometheusClient = (metricsServer: string, err: ErrorText): string =>
  `Error building Prometheus client for ${metricsServer} ${v(err)}`;
/** warning: request-success-rate returned no values. `provider` is the metrics provider name. */
export const haltNoValuesSuccessRate = (
  c: CanaryIdentity,
  provider: string,
  metric: string,
  err: ErrorText,
): string =>
  `Halt advancement no values found for ${provider} metric ${metric} probably ${target(c)} is not receiving traffic: ${v(err)}`;
/** error */
export const prometheusQueryFailed = (err: ErrorText): string =>
  `Prometheus query failed: ${v(err)}`;
/** warning: `min` is thresholdRange.min, or the legacy `threshold` (same words). */
export const haltSuccessRateBelow = (c: CanaryIdentity, value: number, min: number): string =>
  `Halt ${cd(c)} advancement success rate ${goFixed(value, 2)}% < ${goFloat(min)}%`;
/** warning */
export const haltSuccessRateAbove = (c: CanaryIdentity, value: number, max: number): string =>
  `Halt ${cd(c)} advancement success rate ${goFixed(value, 2)}% > ${goFloat(max)}%`;
/** warning: request-duration returned no values (Flagger prints no error here). */
export const haltNoValuesDuration = (c: CanaryIdentity, provider: string, metric: string): string =>
  `Halt advancement no values found for ${provider} metric ${metric} probably ${target(c)} is not receiving traffic`;
/**
 * warning: `valueNs` is the measured Duration in ns (see requestDurationFromQueryValue),
 * `minMs` the threshold in ms as written; Flagger truncates it with time.Duration(min)*Millisecond.
 */
export const haltRequestDurationBelow = (
  c: CanaryIdentity,
  valueNs: number,
  minMs: number,
): string =>
  `Halt ${cd(c)} advancement request duration ${formatGoDuration(valueNs)} < ${formatGoDuration(millisecondsToGoDuration(minMs))}`;
/** warning: `maxMs` is thresholdRange.max or the legacy threshold, in ms. */
export const haltRequestDurationAbove = (
  c: CanaryIdentity,
  valueNs: number,
  maxMs: number,
): string =>
  `Halt ${cd(c)} advancement request duration ${formatGoDuration(valueNs)} > ${formatGoDuration(millisecondsToGoDuration(maxMs))}`;
/** warning: an inline `query` returned no values. */
export const haltNoValuesMetric = (metric: string): string =>
  `Halt advancement no values found for metric: ${metric}`;
/** error */
export const prometheusQueryFailedFor = (metric: string, err: ErrorText): string =>
  `Prometheus query failed for ${metric}: ${v(err)}`;
/** warning: a custom metric (inline query or template) below thresholdRange.min. */
export const haltMetricBelow = (
  c: CanaryIdentity,
  metric: string,
  value: number,
  min: number,
): string => `Halt ${cd(c)} advancement ${metric} ${goFixed(value, 2)} < ${goFloat(min)}`;
/** warning: above thresholdRange.max or the legacy threshold. */
export const haltMetricAbove = (
  c: CanaryIdentity,
  metric: string,
  value: number,
  max: number,
): string => `Halt ${cd(c)} advancement ${metric} ${goFixed(value, 2)} > ${goFloat(max)}`;
/** error: `namespace` is the template's (templateRef.namespace or the canary's). */
export const metricTemplateError = (template: string, namespace: string, err: ErrorText): string =>
  `Metric template ${template}.${namespace} error: ${v(err)}`;
/** error */
export const metricTemplateSecretError = (
  template: string,
  namespace: string,
  secret: string,
  err: ErrorText,
): string => `Metric template ${template}.${namespace} secret ${secret} error: ${v(err)}`;
/** error */
export const metricTemplateProviderError = (
  template: string,
  namespace: string,
  providerType: string,
  err: ErrorText,
): string => `Metric template ${template}.${namespace} provider ${providerType} error: ${v(err)}`;
/** error */
export const metricTemplateRenderError = (
  template: string,
  namespace: string,
  err: ErrorText,
): string => `Metric template ${template}.${namespace} query render error: ${v(err)}`;
/** warning */
export const haltNoValuesCustomMetric = (metric: string, err: ErrorText): string =>
  `Halt advancement no values found for custom metric: ${metric}: ${v(err)}`;
/** error */
export const metricQueryFailed = (metric: string, err: ErrorText): string =>
  `Metric query failed for ${metric}: ${v(err)}`;
/** error: a non-builtin metric with neither query nor templateRef. */
export const metricQueryNotConfigured = (): string =>
  'Metric query failed for no usable metrics template and query were configured';

// --- finalizer.go, controller.go --------------------------------------------------------------

/** info */
export const terminatingCanary = (c: CanaryIdentity): string => `Terminating canary ${cd(c)}`;
/** info */
export const terminatedCanary = (c: CanaryIdentity): string => `Terminated canary ${cd(c)}`;

// --- log lines and errors that are not events -------------------------------------------------

/** log (error) */
export const duplicateTarget = (targetKey: string): string =>
  `Bad things will happen! Found more than one canary with the same target ${targetKey}`;
/** log (error) */
export const canaryNotFound = (name: string, namespace: string): string =>
  `Canary ${name}.${namespace} not found`;
/** checkMetricProviderAvailability error (sic: "avaiable"). */
export const prometheusNotAvailable = (err: ErrorText): string =>
  `prometheus not avaiable: ${v(err)}`;
/** checkMetricProviderAvailability error (sic). */
export const metricTemplateProviderNotAvailable = (
  providerType: string,
  template: string,
  namespace: string,
  err: ErrorText,
): string => `${providerType} in metric template ${template}.${namespace} not avaiable: ${v(err)}`;
/** MetricTemplate provider fallback log. */
export const unknownMetricsProvider = (providerType: string): string =>
  `unknown metrics provider '${providerType}', using prometheus`;
/** checkMetricProviderAvailability error (lower case, unlike the event). */
export const errorBuildingPrometheusClientLower = (metricsServer: string, err: ErrorText): string =>
  `error building Prometheus client for ${metricsServer} ${v(err)}`;
/** checkMetricProviderAvailability error. */
export const metricTemplateErrorLower = (
  template: string,
  namespace: string,
  err: ErrorText,
): string => `metric template ${template}.${namespace} error: ${v(err)}`;
/** checkMetricProviderAvailability error. */
export const metricTemplateSecretErrorLower = (
  template: string,
  namespace: string,
  secret: string,
  err: ErrorText,
): string => `metric template ${template}.${namespace} secret ${secret} error: ${v(err)}`;
/** checkMetricProviderAvailability error. */
export const metricTemplateProviderErrorLower = (
  template: string,
  namespace: string,
  providerType: string,
  err: ErrorText,
): string => `metric template ${template}.${namespace} provider ${providerType} error: ${v(err)}`;
/** log (error): an event webhook failed (sendEventToWebhook). */
export const eventWebhookFailed = (err: ErrorText): string =>
  `error sending event to webhook: ${v(err)}`;
/** log (error): the global notifier failed. */
export const alertCantBeSent = (err: ErrorText): string => `alert can't be sent: ${v(err)}`;
/** log (error): AlertProvider lookup or notifier construction failed. */
export const alertProviderError = (name: string, namespace: string, err: ErrorText): string =>
  `alert provider ${name}.${namespace} error: ${v(err)}`;
/** log (error) */
export const alertProviderSecretRefError = (
  name: string,
  namespace: string,
  err: ErrorText,
): string => `alert provider ${name}.${namespace} secretRef error: ${v(err)}`;
/** log (error) */
export const alertProviderSecretNoAddress = (name: string, namespace: string): string =>
  `alert provider ${name}.${namespace} secret does not contain an address`;
/** log (error) */
export const alertProviderSendError = (name: string, namespace: string, err: ErrorText): string =>
  `alert provider ${name}.${namespace} send error: ${v(err)}`;
/** notifier.Factory error for an unknown AlertProvider type. */
export const notifierProviderNotSupported = (providerType: string): string =>
  `provider ${providerType} not supported`;

// --- alerts (message, whether the canary's metadata fields are attached, severity) -------------

export type AlertSeverityLevel = 'info' | 'warn' | 'error';

export interface AlertText {
  message: string;
  /** Attach alertMetadataFields(canary). */
  metadata: boolean;
  severity: AlertSeverityLevel;
  /** Skipped when the webhook that caused it has muteAlert. */
  mutable?: boolean;
}

export const alertInitialized = (kind: string): AlertText => ({
  message: `New ${kind} detected, initialization completed.`,
  metadata: true,
  severity: 'info',
});
export const alertNewRevision = (): AlertText => ({
  message: 'New revision detected, progressing canary analysis.',
  metadata: true,
  severity: 'info',
});
export const alertWaitingApproval = (): AlertText => ({
  message: 'Canary is waiting for approval.',
  metadata: false,
  severity: 'warn',
  mutable: true,
});
export const alertWaitingPromotionApproval = (): AlertText => ({
  message: 'Canary promotion is waiting for approval.',
  metadata: false,
  severity: 'warn',
  mutable: true,
});
export const alertWaitingTrafficIncreaseApproval = (): AlertText => ({
  message: 'Canary traffic increase is waiting for approval.',
  metadata: false,
  severity: 'warn',
  mutable: true,
});
export const alertRollingBackManualWebhook = (): AlertText => ({
  message: 'Rolling back manual webhook invoked',
  metadata: false,
  severity: 'warn',
});
export const alertProgressDeadlineExceeded = (err: ErrorText): AlertText => ({
  message: `Progress deadline exceeded ${v(err)}`,
  metadata: false,
  severity: 'error',
});
export const alertFailedChecksThreshold = (failedChecks: number): AlertText => ({
  message: `Failed checks threshold reached ${failedChecks}`,
  metadata: false,
  severity: 'error',
});
export const alertPromotionFailed = (err: ErrorText): AlertText => ({
  message: `Promotion failed, primary not ready: ${v(err)}`,
  metadata: false,
  severity: 'error',
});
export const alertPromotionFinished = (): AlertText => ({
  message: 'Canary analysis completed successfully, promotion finished.',
  metadata: false,
  severity: 'info',
});
export const alertAnalysisSkipped = (): AlertText => ({
  message: 'Canary analysis was skipped, promotion finished.',
  metadata: false,
  severity: 'info',
});

export interface AlertField {
  name: string;
  value: string;
}

/** The `Cluster` field Flagger adds to every alert when `-cluster-name` is set. */
export function clusterField(clusterName: string): AlertField[] {
  return clusterName ? [{ name: 'Cluster', value: clusterName }] : [];
}

/**
 * alertMetadata (events.go). Note Flagger prints analysis.maxWeight as written here (0 when
 * unset), not the effective max weight.
 */
export function alertMetadataFields(canary: CanaryIdentity & Pick<Canary, 'spec'>): AlertField[] {
  const fields: AlertField[] = [
    {
      name: 'Target',
      value: `${canary.spec.targetRef.kind}/${canary.spec.targetRef.name}.${canary.metadata.namespace}`,
    },
    { name: 'Failed checks threshold', value: String(analysisThreshold(canary)) },
    { name: 'Progress deadline', value: `${progressDeadlineSeconds(canary)}s` },
  ];
  const a = canary.spec.analysis;
  switch (deploymentStrategy(canary)) {
    case 'ab-testing':
      fields.push({ name: 'Traffic routing', value: 'A/B Testing' });
      break;
    case 'blue-green':
      fields.push({ name: 'Traffic routing', value: 'Blue/Green' });
      break;
    default:
      if ((a?.stepWeight ?? 0) > 0) {
        fields.push({
          name: 'Traffic routing',
          value: `Weight step: ${a?.stepWeight ?? 0} max: ${a?.maxWeight ?? 0}`,
        });
      } else if ((a?.stepWeights?.length ?? 0) > 0) {
        fields.push({
          name: 'Traffic routing',
          value: `Weight steps: ${(a?.stepWeights ?? []).join(',')} max: ${a?.maxWeight ?? 0}`,
        });
      }
  }
  return fields;
}

// --- the Promoted condition (MakeStatusConditions) --------------------------------------------

/**
 * The Promoted condition's status and message for a phase; reason is the phase. Phases the
 * switch does not list (Terminating, Terminated) keep the initialising defaults, as in Flagger.
 */
export function promotedCondition(
  targetKind: string,
  phase: CanaryPhase,
): { type: 'Promoted'; status: ConditionStatus; reason: CanaryPhase; message: string } {
  const make = (status: ConditionStatus, message: string) => ({
    type: 'Promoted' as const,
    status,
    reason: phase,
    message,
  });
  switch (phase) {
    case 'Initialized':
      return make('True', `${targetKind} initialization completed.`);
    case 'Waiting':
    case 'WaitingPromotion':
      return make('Unknown', 'Waiting for approval.');
    case 'Progressing':
      return make('Unknown', 'New revision detected, progressing canary analysis.');
    case 'Promoting':
      return make('Unknown', 'Canary analysis completed, starting primary rolling update.');
    case 'Finalising':
      return make('Unknown', 'Canary analysis completed, routing all traffic to primary.');
    case 'Succeeded':
      return make('True', 'Canary analysis completed successfully, promotion finished.');
    case 'Failed':
      return make('False', `Canary analysis failed, ${targetKind} scaled to zero.`);
    default:
      return make('Unknown', `New ${targetKind} detected, starting initialization.`);
  }
}

/**
 * MakeStatusConditions: the new `status.conditions` for a phase change, or undefined when the
 * current Promoted condition already has the same status and reason (no write). The transition
 * time is kept when only the reason changes.
 */
export function promotedConditions(
  current: readonly CanaryCondition[] | undefined,
  targetKind: string,
  phase: CanaryPhase,
  now: string,
): CanaryCondition[] | undefined {
  const next = promotedCondition(targetKind, phase);
  const existing = current?.find((c) => c.type === 'Promoted');
  if (existing && existing.status === next.status && existing.reason === next.reason)
    return undefined;
  const lastTransitionTime =
    existing && existing.status === next.status ? (existing.lastTransitionTime ?? now) : now;
  return [{ ...next, lastUpdateTime: now, lastTransitionTime }];
}
