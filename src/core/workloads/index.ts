/**
 * Workload controllers and scaler reconcilers by kind, as Flagger's canary.Factory picks them
 * (pkg/canary/factory.go). KEDA ScaledObjects come later.
 */
import { isKnativeService, type Canary } from '../canary';
import type { ScalerReconciler, WorkloadController } from '../controller/ports';
import type { KubeApi } from '../kube/api';
import type { WorkloadOptions } from './common';
import { DaemonSetController } from './daemonset';
import { DeploymentController } from './deployment';
import { HpaReconciler } from './hpa';
import { KnativeController } from './knative';
import * as t from './texts';

export { DeploymentController, deploymentReadiness } from './deployment';
export {
  DaemonSetController,
  SCALE_TO_ZERO_NODE_SELECTOR,
  daemonSetRevisionTemplate,
} from './daemonset';
export { HpaReconciler } from './hpa';
export { KnativeController, PRIMARY_REVISION_ANNOTATION } from './knative';
export type { WorkloadOptions } from './common';

/** The controller for the canary's targetRef.kind. */
export function workloadFor(
  canary: Canary,
  api: KubeApi,
  options: WorkloadOptions = {},
): WorkloadController {
  switch (canary.spec.targetRef.kind) {
    case 'Deployment':
      return new DeploymentController(api, options);
    case 'DaemonSet':
      return new DaemonSetController(api, options);
    case 'Service':
      if (isKnativeService(canary.spec.targetRef)) return new KnativeController(api);
      throw new Error(t.targetKindNotSupported(canary.spec.targetRef.kind));
    default:
      throw new Error(t.targetKindNotSupported(canary.spec.targetRef.kind));
  }
}

/** The reconciler for autoscalerRef.kind; undefined without an autoscalerRef. */
export function scalerFor(canary: Canary, api: KubeApi): ScalerReconciler | undefined {
  const ref = canary.spec.autoscalerRef;
  if (!ref) return undefined;
  if (ref.kind === 'HorizontalPodAutoscaler') return new HpaReconciler(api);
  throw new Error(t.autoscalerKindNotSupported(ref.kind));
}
