/**
 * The error texts of Flagger's pkg/canary (deployment_controller.go, deployment_ready.go,
 * daemonset_controller.go, daemonset_ready.go, hpa_reconciler.go, config_tracker.go). They reach
 * people as the `%v` warning events of the scheduler, so they keep Flagger's words, wrapping
 * prefixes and typos ("deplyoment", "damonset") exactly.
 */

/** client-go's NotFound text, e.g. `deployments.apps "podinfo" not found`. */
export const notFound = (resource: string, name: string): string =>
  `${resource} "${name}" not found`;

/** `<kind> <name>.<ns> get query error: <err>` (kind in lower case: deployment, daemonset). */
export const getQueryError = (kind: string, name: string, ns: string, err: string): string =>
  `${kind} ${name}.${ns} get query error: ${err}`;

export const selectorLabelMissing = (
  kind: 'deployment' | 'daemonset',
  name: string,
  ns: string,
  labels: readonly string[],
): string =>
  // Go prints a []string as `[a b c]`; the DaemonSet text has a stray quote in Flagger.
  `${kind} ${name}.${ns} spec.selector.matchLabels must contain one of [${labels.join(' ')}]${kind === 'daemonset' ? "'" : ''}`;

export const getSelectorLabelFailed = (err: string): string => `getSelectorLabel failed: ${err}`;
export const getTargetConfigsFailed = (err: string): string => `GetTargetConfigs failed: ${err}`;
export const getConfigRefsFailed = (err: string): string => `GetConfigRefs failed: ${err}`;
export const createPrimaryConfigsFailed = (err: string): string =>
  `CreatePrimaryConfigs failed: ${err}`;
export const createPrimaryFailed = (kind: 'Deployment' | 'DaemonSet', err: string): string =>
  `createPrimary${kind} failed: ${err}`;
export const creatingFailed = (kind: string, name: string, ns: string, err: string): string =>
  `creating ${kind} ${name}.${ns} failed: ${err}`;
export const updatingTemplateSpecFailed = (
  kind: string,
  name: string,
  ns: string,
  err: string,
): string => `updating ${kind} ${name}.${ns} template spec failed: ${err}`;
export const patchQueryError = (name: string, ns: string, err: string): string =>
  `deployment ${name}.${ns} patch query error: ${err}`;
export const scalingUpFailed = (name: string, ns: string, replicas: number, err: string): string =>
  `scaling up ${name}.${ns} to ${replicas} failed: ${err}`;
export const scalingFailed = (name: string, ns: string, replicas: number, err: string): string =>
  `scaling ${name}.${ns} to ${replicas} failed: ${err}`;
export const scaleFromZeroFailed = (err: string): string => `ScaleFromZero failed: ${err}`;
export const scaleFailed = (err: string): string => `scale failed: ${err}`;
/** Deployment Finalize's own spelling. */
export const finalizeGetQueryError = (name: string, ns: string, err: string): string =>
  `deplyoment ${name}.${ns} get query error: ${err}`;
export const deploymentQueryError = (name: string, ns: string, err: string): string =>
  `deployment ${name}.${ns} query error: ${err}`;

// --- readiness (deployment_ready.go, daemonset_ready.go) -------------------------------------

export const generationNotObserved = (kind: 'deployment' | 'daemonset'): string =>
  `waiting for rollout to finish: observed ${kind} generation less than desired generation`;
/** Go's %q of the deployment name. */
export const progressDeadlineExceeded = (name: string): string =>
  `deployment ${JSON.stringify(name)} exceeded its progress deadline`;
export const replicasNotUpdated = (updated: number, desired: number): string =>
  `waiting for rollout to finish: ${updated} out of ${desired} new replicas have been updated`;
export const oldReplicasPending = (count: number): string =>
  `waiting for rollout to finish: ${count} old replicas are pending termination`;
export const replicasNotAvailable = (
  available: number,
  needed: number,
  threshold: number,
): string =>
  `waiting for rollout to finish: ${available} of ${needed} (readyThreshold ${threshold}%) updated replicas are available`;
export const primaryNotReady = (primary: string, ns: string, err: string): string =>
  `${primary}.${ns} not ready: ${err}`;
export const canaryDeploymentNotReady = (target: string, ns: string, err: string): string =>
  `canary deployment ${target}.${ns} not ready: ${err}`;
export const primaryScaledToZero = (canary: string, ns: string): string =>
  `halt ${canary}.${ns} advancement: primary deployment is scaled to zero`;

export const daemonSetDeadlineExceeded = (seconds: number): string =>
  `exceeded its progressDeadlineSeconds: ${seconds}`;
export const podsNotUpdated = (updated: number, desired: number): string =>
  `waiting for rollout to finish: ${updated} out of ${desired} new pods have been updated`;
export const podsNotAvailable = (available: number, needed: number, threshold: number): string =>
  `waiting for rollout to finish: ${available} of ${needed} (readyThreshold ${threshold}%) updated pods are available`;
export const primaryDaemonSetNotReady = (primary: string, ns: string, err: string): string =>
  `primary daemonset ${primary}.${ns} not ready: ${err}`;
/** Flagger's spelling ("damonset") and its `%v` of the retriable flag. */
export const canaryDaemonSetNotReady = (
  target: string,
  ns: string,
  retriable: boolean,
  err: string,
): string => `canary damonset ${target}.${ns} not ready with retryable ${retriable}: ${err}`;
export const daemonSetStrategy = (name: string, ns: string, type: string): string =>
  `daemonset ${name}.${ns} must have RollingUpdate strategy but have ${type}`;
export const promoteDaemonSetGetError = (name: string, ns: string, err: string): string =>
  `damonset ${name}.${ns} get query error: ${err}`;
export const updatingDaemonSetFailed = (name: string, ns: string, err: string): string =>
  `updating daemonset ${name}.${ns} failed: ${err}`;
export const scalingUpDaemonSetFailed = (name: string, ns: string, err: string): string =>
  `scaling up daemonset ${name}.${ns} failed: ${err}`;
export const daemonSetQueryError = (name: string, ns: string, err: string): string =>
  `daemonset ${name}.${ns} query error: ${err}`;

// --- config_tracker.go -------------------------------------------------------------------------

export const configGetQueryFailed = (kind: string, name: string, ns: string, err: string): string =>
  `${kind} ${name}.${ns} get query failed : ${err}`;
export const configCreatingFailed = (kind: string, name: string, ns: string, err: string): string =>
  `creating ${kind} ${name}.${ns} failed: ${err}`;
export const configUpdatingFailed = (kind: string, name: string, ns: string, err: string): string =>
  `updating ${kind} ${name}.${ns} failed: ${err}`;

// --- hpa_reconciler.go ---------------------------------------------------------------------------

export const hpaGetQueryError = (name: string, ns: string, err: string): string =>
  `HorizontalPodAutoscaler ${name}.${ns} get query error: ${err}`;
export const hpaV2GetQueryFailed = (name: string, ns: string, err: string): string =>
  `HorizontalPodAutoscaler v2 ${name}.${ns} get query failed: ${err}`;
export const creatingHpaFailed = (name: string, ns: string, err: string): string =>
  `creating HorizontalPodAutoscaler v2 ${name}.${ns} failed: ${err}`;
export const updatingHpaFailed = (name: string, ns: string, err: string): string =>
  `updating HorizontalPodAutoscaler v2 ${name}.${ns} failed: ${err}`;

// --- not in Flagger: kinds Aviary does not drive yet -------------------------------------------

export const targetKindNotSupported = (kind: string): string =>
  `target kind ${kind} is not supported yet`;
export const autoscalerKindNotSupported = (kind: string): string =>
  `autoscaler kind ${kind} is not supported yet`;
