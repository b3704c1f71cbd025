/**
 * pkg/router's filterMetadata: objects Flagger manages carry Flux's opt-out annotations, so a
 * Flux or Helm controller applying the user's manifests does not revert Flagger's changes.
 */
import type { StringMap } from '../canary';

export const FLUX_RECONCILE_ANNOTATION = 'kustomize.toolkit.fluxcd.io/reconcile';
export const HELM_DRIFT_DETECTION_ANNOTATION = 'helm.toolkit.fluxcd.io/driftDetection';

export function flaggerManagedAnnotations(annotations: StringMap | undefined): StringMap {
  return {
    ...(annotations ?? {}),
    [FLUX_RECONCILE_ANNOTATION]: 'disabled',
    [HELM_DRIFT_DETECTION_ANNOTATION]: 'disabled',
  };
}
