/**
 * HorizontalPodAutoscaler (autoscaling/v2), CPU resource metrics only. Each pod's CPU is
 * simulated from the requests it served since the last sync (CPU ∝ request rate, see
 * PodCpuModel), and the replica count follows the upstream algorithm:
 * ceil(readyPods × usage/target) outside a 10 % tolerance, clamped to [min, max], scale-up
 * at most max(2×, +4) per sync, scale-down stabilised over the last 5 minutes. A target
 * scaled to zero is left alone (scaling disabled), as Flagger relies on for idle canaries.
 */
import type { Condition, Deployment, HorizontalPodAutoscaler, Pod } from '../kube';
import { cpuMillis, isPodReady, isoTime, sameJson, setCondition } from '../kube';
import { R } from '../store';
import type { ControllerContext } from './context';
import { selectorString } from './replicasets';

export const HPA_SYNC_PERIOD_MS = 15_000;
const TOLERANCE = 0.1;
const DEFAULT_CPU_REQUEST_MILLIS = 100;

export interface PodCpuModel {
  /** Requests the pod has served since the simulation started. */
  requestCount(namespace: string, pod: string): number;
  /** CPU milliseconds one request costs in this pod (its version's behaviour). */
  cpuPerRequestMs(pod: Pod): number;
  /** CPU millicores a pod uses when idle. */
  idleMillicores?: number;
}

export class HorizontalPodAutoscalers {
  private readonly samples = new Map<string, { at: number; count: number }>();
  private readonly recommendations = new Map<string, { at: number; replicas: number }[]>();

  constructor(
    private readonly ctx: ControllerContext,
    private readonly cpu: PodCpuModel,
  ) {}

  reconcile(namespace: string, name: string): void {
    const { store, clock } = this.ctx;
    const hpa = store.get(R.hpas, namespace, name) as HorizontalPodAutoscaler | undefined;
    const hpaKey = `${namespace}/${name}`;
    if (!hpa) {
      this.recommendations.delete(hpaKey);
      return;
    }
    const spec = hpa.spec ?? {};
    const target = spec.scaleTargetRef;
    const minReplicas = spec.minReplicas ?? 1;
    const maxReplicas = spec.maxReplicas ?? minReplicas;
    const now = clock.now();
    const nowIso = isoTime(now);
    const previous = hpa.status ?? {};
    let conditions = (previous['conditions'] as Condition[] | undefined) ?? [];
    const set = (type: string, status: Condition['status'], reason: string, message: string) => {
      conditions = setCondition(conditions, { type, status, reason, message }, nowIso, {
        updateTime: false,
      });
    };
    const deployment =
      target && target.kind === 'Deployment'
        ? (store.get(R.deployments, namespace, target.name) as Deployment | undefined)
        : undefined;
    const status: Record<string, unknown> = { ...previous };

    if (!deployment) {
      set(
        'AbleToScale',
        'False',
        'FailedGetScale',
        `the HPA controller was unable to get the target's current scale: deployments.apps "${target?.name ?? ''}" not found`,
      );
      status['conditions'] = conditions;
      this.writeStatus(hpa, status);
      return;
    }
    const current = deployment.spec?.replicas ?? 1;
    status['currentReplicas'] = Number(deployment.status?.['replicas'] ?? 0);
    let desired = current;

    if (current === 0 && minReplicas !== 0) {
      set(
        'ScalingActive',
        'False',
        'ScalingDisabled',
        'scaling is disabled since the replica count of the target is zero',
      );
      status['desiredReplicas'] = 0;
    } else {
      const metric = (spec.metrics ?? []).find(
        (m) => m.type === 'Resource' && m.resource?.name === 'cpu',
      );
      const usage = this.cpuUsage(namespace, deployment, now);
      set(
        'AbleToScale',
        'True',
        'SucceededGetScale',
        "the HPA controller was able to get the target's current scale",
      );
      if (metric?.resource?.target && usage) {
        const t = metric.resource.target;
        const averageMillis = usage.millis / usage.pods;
        const utilization = (100 * usage.millis) / usage.requestMillis;
        const ratio =
          t.type === 'AverageValue'
            ? averageMillis / (cpuMillis(t.averageValue) ?? averageMillis)
            : utilization / (t.averageUtilization ?? 80);
        if (Math.abs(ratio - 1) > TOLERANCE) desired = Math.ceil(ratio * usage.pods);
        status['currentMetrics'] = [
          {
            type: 'Resource',
            resource: {
              name: 'cpu',
              current: {
                averageUtilization: Math.round(utilization),
                averageValue: `${Math.round(averageMillis)}m`,
              },
            },
          },
        ];
        set(
          'ScalingActive',
          'True',
          'ValidMetricFound',
          t.type === 'AverageValue'
            ? 'the HPA was able to successfully calculate a replica count from cpu resource'
            : 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)',
        );
      } else if (metric) {
        set(
          'ScalingActive',
          'False',
          'FailedGetResourceMetric',
          'the HPA was unable to compute the replica count: did not receive metrics for targeted pods (pods might be unready)',
        );
      }
      desired = this.stabilise(
        hpaKey,
        current,
        desired,
        now,
        spec.behavior?.scaleDown?.stabilizationWindowSeconds ?? 300,
      );
      desired = Math.min(desired, Math.max(current * 2, current + 4));
      if (desired > maxReplicas) {
        desired = maxReplicas;
        set(
          'ScalingLimited',
          'True',
          'TooManyReplicas',
          'the desired replica count is more than the maximum replica count',
        );
      } else if (desired < minReplicas) {
        desired = minReplicas;
        set(
          'ScalingLimited',
          'True',
          'TooFewReplicas',
          'the desired replica count is less than the minimum replica count',
        );
      } else {
        set(
          'ScalingLimited',
          'False',
          'DesiredWithinRange',
          'the desired count is within the acceptable range',
        );
      }
      status['desiredReplicas'] = desired;
      if (desired !== current) {
        store.mutate(R.deployments, namespace, deployment.metadata.name, (o) => {
          const d = o as Deployment;
          d.spec = { ...(d.spec ?? {}), replicas: desired };
        });
        status['lastScaleTime'] = nowIso;
        set(
          'AbleToScale',
          'True',
          'SucceededRescale',
          `the HPA controller was able to update the target scale to ${desired}`,
        );
      } else {
        set('AbleToScale', 'True', 'ReadyForNewScale', 'recommended size matches current size');
      }
    }
    status['observedGeneration'] = hpa.metadata.generation ?? 1;
    status['conditions'] = conditions;
    this.writeStatus(hpa, status);
  }

  private writeStatus(hpa: HorizontalPodAutoscaler, status: Record<string, unknown>): void {
    if (sameJson(hpa.status ?? {}, status)) return;
    this.ctx.store.mutate(
      R.hpas,
      hpa.metadata.namespace,
      hpa.metadata.name,
      (o) => void (o.status = status),
      {
        status: true,
      },
    );
  }

  /** Total CPU use and requests of the target's ready pods with a previous sample, or undefined. */
  private cpuUsage(
    namespace: string,
    deployment: Deployment,
    now: number,
  ): { millis: number; requestMillis: number; pods: number } | undefined {
    const labelSelector = selectorString(deployment.spec?.selector?.matchLabels);
    const pods = (
      this.ctx.store.list(R.pods, namespace, labelSelector ? { labelSelector } : undefined) as Pod[]
    ).filter(isPodReady);
    let millis = 0;
    let requestMillis = 0;
    let counted = 0;
    for (const pod of pods) {
      const key = `${namespace}/${pod.metadata.name}`;
      const count = this.cpu.requestCount(namespace, pod.metadata.name);
      const last = this.samples.get(key);
      this.samples.set(key, { at: now, count });
      if (!last || now <= last.at) continue;
      const rate = ((count - last.count) * 1000) / (now - last.at);
      millis += (this.cpu.idleMillicores ?? 2) + rate * this.cpu.cpuPerRequestMs(pod);
      requestMillis += (pod.spec?.containers ?? []).reduce(
        (acc, c) => acc + (cpuMillis(c.resources?.requests?.['cpu']) ?? DEFAULT_CPU_REQUEST_MILLIS),
        0,
      );
      counted++;
    }
    return counted > 0 ? { millis, requestMillis, pods: counted } : undefined;
  }

  private stabilise(
    key: string,
    current: number,
    desired: number,
    now: number,
    windowSeconds: number,
  ): number {
    const kept = (this.recommendations.get(key) ?? []).filter(
      (r) => now - r.at <= windowSeconds * 1000,
    );
    kept.push({ at: now, replicas: desired });
    this.recommendations.set(key, kept);
    if (desired >= current) return desired;
    // Scale down only to the highest recommendation of the window, so a dip does not flap.
    return Math.min(current, Math.max(...kept.map((r) => r.replicas)));
  }

  forgetPod(namespace: string, pod: string): void {
    this.samples.delete(`${namespace}/${pod}`);
  }
}
