/**
 * Pods: created from a workload's template, then brought to life by a simulated kubelet.
 * A new pod is scheduled at once (node, IPs, Pending with ContainerCreating), and after
 * its ready delay becomes Running and Ready, or stays unready, or fails its image pull,
 * as its PodHealth says.
 */
import type { TimerHandle } from '../../shared/clock';
import type { Condition, Pod, PodTemplate } from '../kube';
import { isoTime, ownerReference, randomSuffix } from '../kube';
import type { KubeObject, StoreEvent } from '../store';
import { R } from '../store';
import type { ControllerContext, PodHealth } from './context';

export function podFromTemplate(
  ctx: ControllerContext,
  owner: KubeObject,
  template: PodTemplate,
  options: { nameBase: string; nodeName?: string; extraLabels?: Record<string, string> },
): Pod {
  const spec = structuredClone(template.spec ?? {});
  spec.nodeName = options.nodeName ?? ctx.nextNode();
  const labels = { ...(template.metadata?.labels ?? {}), ...(options.extraLabels ?? {}) };
  const annotations = template.metadata?.annotations;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${options.nameBase}-${randomSuffix(ctx.random)}`,
      namespace: owner.metadata.namespace,
      labels,
      ...(annotations ? { annotations: { ...annotations } } : {}),
      ownerReferences: [ownerReference(owner)],
    },
    spec,
  };
}

function hex(random: () => number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += Math.floor(random() * 16).toString(16);
  return out;
}

export class Kubelet {
  private readonly timers = new Map<string, TimerHandle>();
  private nextIp = 0;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly health: (pod: Pod) => PodHealth,
  ) {}

  onPodEvent(event: StoreEvent): void {
    const pod = event.object as Pod;
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    if (event.type === 'DELETED') {
      this.ctx.clock.clearTimeout(this.timers.get(key));
      this.timers.delete(key);
      return;
    }
    // The API server sets phase Pending on create; a pod the kubelet has not started has no startTime.
    if (!pod.status?.startTime && !this.timers.has(key)) this.schedule(pod);
  }

  stop(): void {
    for (const handle of this.timers.values()) this.ctx.clock.clearTimeout(handle);
    this.timers.clear();
  }

  /** Re-evaluates running pods after their behaviour changed (e.g. readiness turned off). */
  refresh(pods: Pod[]): void {
    for (const pod of pods) {
      if (
        pod.status?.startTime &&
        !this.timers.has(`${pod.metadata.namespace}/${pod.metadata.name}`)
      ) {
        this.start(pod.metadata.namespace ?? '', pod.metadata.name);
      }
    }
  }

  private allocateIp(): string {
    const n = this.nextIp++;
    return `10.244.${Math.floor(n / 250) % 256}.${(n % 250) + 2}`;
  }

  private schedule(pod: Pod): void {
    const namespace = pod.metadata.namespace ?? '';
    const name = pod.metadata.name;
    const now = isoTime(this.ctx.clock.now());
    let nodeName = pod.spec?.nodeName;
    if (!nodeName) {
      nodeName = this.ctx.nextNode();
      const node = nodeName;
      this.ctx.store.mutate(R.pods, namespace, name, (o) => {
        const p = o as Pod;
        p.spec = { ...(p.spec ?? {}), nodeName: node };
      });
    }
    const nodeIndex = Math.max(0, this.ctx.nodes.indexOf(nodeName));
    const ip = this.allocateIp();
    this.ctx.store.mutate(
      R.pods,
      namespace,
      name,
      (o) => {
        const p = o as Pod;
        p.status = {
          phase: 'Pending',
          conditions: [
            { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now },
            { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: now },
            notReady('ContainersNotReady', 'ContainersReady', now),
            notReady('ContainersNotReady', 'Ready', now),
          ],
          hostIP: `172.18.0.${nodeIndex + 2}`,
          podIP: ip,
          podIPs: [{ ip }],
          startTime: now,
          containerStatuses: (p.spec?.containers ?? []).map((c) => ({
            name: c.name,
            image: c.image ?? '',
            imageID: '',
            ready: false,
            restartCount: 0,
            started: false,
            state: { waiting: { reason: 'ContainerCreating' } },
          })),
        };
      },
      { status: true },
    );
    const delay = this.health(pod).readyDelayMs;
    const key = `${namespace}/${name}`;
    this.timers.set(
      key,
      this.ctx.clock.setTimeout(() => {
        this.timers.delete(key);
        this.start(namespace, name);
      }, delay),
    );
  }

  /** Moves a scheduled pod to its steady state: Running and Ready, Running unready, or ErrImagePull. */
  private start(namespace: string, name: string): void {
    const current = this.ctx.store.get(R.pods, namespace, name) as Pod | undefined;
    if (!current || current.metadata.deletionTimestamp) return;
    const health = this.health(current);
    const now = isoTime(this.ctx.clock.now());
    const ready = !health.imageError && health.ready;
    const phase = health.imageError ? 'Pending' : 'Running';
    const statuses = (current.spec?.containers ?? []).map((c) => {
      const previous = current.status?.containerStatuses?.find((s) => s['name'] === c.name);
      const running = previous?.['state'] as { running?: { startedAt: string } } | undefined;
      return {
        name: c.name,
        image: c.image ?? '',
        imageID: health.imageError ? '' : `${c.image ?? ''}@sha256:${hex(this.ctx.random, 64)}`,
        containerID: health.imageError ? undefined : `containerd://${hex(this.ctx.random, 64)}`,
        ready,
        restartCount: 0,
        started: !health.imageError,
        state: health.imageError
          ? {
              waiting: {
                reason: health.imageError,
                message: `Back-off pulling image "${c.image ?? ''}"`,
              },
            }
          : { running: { startedAt: running?.running?.startedAt ?? now } },
      };
    });
    const readyConditions: Condition[] = ready
      ? [
          { type: 'ContainersReady', status: 'True', lastProbeTime: null, lastTransitionTime: now },
          { type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: now },
        ]
      : [
          notReady('ContainersNotReady', 'ContainersReady', now),
          notReady('ContainersNotReady', 'Ready', now),
        ];
    const wasReady =
      current.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    const previousState = current.status?.containerStatuses?.[0]?.['state'] as
      { waiting?: { reason?: string }; running?: unknown } | undefined;
    const previousKey = previousState?.running
      ? 'running'
      : `waiting:${previousState?.waiting?.reason ?? ''}`;
    const nextKey = health.imageError ? `waiting:${health.imageError}` : 'running';
    if (current.status?.phase === phase && wasReady === ready && previousKey === nextKey) return;
    this.ctx.store.mutate(
      R.pods,
      namespace,
      name,
      (o) => {
        const p = o as Pod;
        const kept = (p.status?.conditions ?? []).filter(
          (c) => c.type !== 'Ready' && c.type !== 'ContainersReady',
        );
        p.status = {
          ...(p.status ?? {}),
          phase,
          conditions: [...kept, ...readyConditions],
          containerStatuses: JSON.parse(JSON.stringify(statuses)) as Record<string, unknown>[],
        };
      },
      { status: true },
    );
  }
}

function notReady(reason: string, type: string, now: string): Condition {
  return {
    type,
    status: 'False',
    reason,
    message: 'containers with unready status',
    lastProbeTime: null,
    lastTransitionTime: now,
  };
}
