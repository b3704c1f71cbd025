/**
 * The workload controllers of one simulated cluster, wired to its store: every change
 * event wakes the controllers that own or watch the object, like informers would.
 */
import type { Clock } from '../../shared/clock';
import type { Pod, Service } from '../kube';
import { controllerOf, matchesServiceSelector } from '../kube';
import type { ClusterStore, StoreEvent } from '../store';
import { R } from '../store';
import { ClusterView } from '../view';
import type { ControllerContext, PodHealth, WorkItem, WorkKind } from './context';
import { WorkQueue } from './context';
import { reconcileDaemonSet } from './daemonsets';
import { reconcileDeployment } from './deployments';
import { reconcileEndpoints } from './endpoints';
import type { PodCpuModel } from './hpa';
import { HPA_SYNC_PERIOD_MS, HorizontalPodAutoscalers } from './hpa';
import { KnativeServing } from './knative';
import { Kubelet } from './pods';
import { reconcileReplicaSet } from './replicasets';

export type { PodHealth } from './context';
export type { PodCpuModel } from './hpa';

export interface WorkloadControllerOptions {
  store: ClusterStore;
  clock: Clock;
  random: () => number;
  /** Node names pods are spread over (DaemonSets run one pod on each). */
  nodes: readonly string[];
  /** How each pod fares on its node (ready delay, readiness, image pull). */
  podHealth: (pod: Pod) => PodHealth;
  cpu: PodCpuModel;
}

const same = (a: { group: string; resource: string }, b: { group: string; resource: string }) =>
  a.group === b.group && a.resource === b.resource;

export class WorkloadControllers {
  private readonly queue: WorkQueue;
  private readonly ctx: ControllerContext;
  private readonly kubelet: Kubelet;
  private readonly hpas: HorizontalPodAutoscalers;
  private readonly knative: KnativeServing;
  /** An informer cache of Services: which Endpoints a pod change touches (staleness is harmless). */
  private services: ClusterView | undefined;
  private unsubscribe: (() => void) | undefined;
  private hpaTimer: ReturnType<Clock['setTimeout']> | undefined;
  private nodeCursor = 0;

  constructor(private readonly options: WorkloadControllerOptions) {
    const { store, clock, random, nodes } = options;
    this.queue = new WorkQueue(clock, (item) => this.reconcile(item));
    this.ctx = {
      store,
      clock,
      random,
      nodes,
      enqueue: (kind, namespace, name) => this.queue.add({ kind, namespace, name }),
      after: (ms, kind, namespace, name) => this.queue.addAfter(ms, { kind, namespace, name }),
      nextNode: () => nodes[this.nodeCursor++ % nodes.length] ?? 'node-1',
    };
    this.kubelet = new Kubelet(this.ctx, options.podHealth);
    this.hpas = new HorizontalPodAutoscalers(this.ctx, options.cpu);
    this.knative = new KnativeServing(this.ctx);
  }

  start(): void {
    const { store } = this.options;
    this.services = new ClusterView(store);
    this.unsubscribe = store.subscribe((event) => this.onEvent(event));
    // Catch up with what already exists, as informers do on their first list.
    for (const pod of store.list(R.pods))
      this.kubelet.onPodEvent({ type: 'ADDED', ref: R.pods, object: pod });
    const initial: [WorkKind, { group: string; resource: string }][] = [
      ['deployment', R.deployments],
      ['replicaset', R.replicasets],
      ['daemonset', R.daemonsets],
      ['endpoints', R.services],
      ['hpa', R.hpas],
      ...this.knative.initial(),
    ];
    for (const [kind, ref] of initial) {
      for (const o of store.list(ref))
        this.ctx.enqueue(kind, o.metadata.namespace ?? '', o.metadata.name);
    }
    this.scheduleHpaSync();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.services?.stop();
    this.options.clock.clearTimeout(this.hpaTimer);
    this.queue.stop();
    this.kubelet.stop();
  }

  /** Re-applies pod behaviour (readiness) to the given pods, e.g. after a runtime override. */
  refreshPods(pods: Pod[]): void {
    this.kubelet.refresh(pods);
  }

  private scheduleHpaSync(): void {
    this.hpaTimer = this.options.clock.setTimeout(() => {
      for (const hpa of this.options.store.list(R.hpas)) {
        this.ctx.enqueue('hpa', hpa.metadata.namespace ?? '', hpa.metadata.name);
      }
      this.scheduleHpaSync();
    }, HPA_SYNC_PERIOD_MS);
  }

  private reconcile(item: WorkItem): void {
    const { namespace, name } = item;
    switch (item.kind) {
      case 'deployment':
        return reconcileDeployment(this.ctx, namespace, name);
      case 'replicaset':
        return reconcileReplicaSet(this.ctx, namespace, name);
      case 'daemonset':
        return reconcileDaemonSet(this.ctx, namespace, name);
      case 'endpoints':
        return reconcileEndpoints(this.ctx, namespace, name);
      case 'hpa':
        return this.hpas.reconcile(namespace, name);
      case 'knative-service':
        return this.knative.reconcileService(namespace, name);
      case 'knative-revision':
        return this.knative.reconcileRevision(namespace, name);
    }
  }

  private onEvent(event: StoreEvent): void {
    const { ref, object } = event;
    const namespace = object.metadata.namespace ?? '';
    const name = object.metadata.name;
    const owner = controllerOf(object.metadata);
    this.knative.onEvent(event);
    if (same(ref, R.deployments)) this.ctx.enqueue('deployment', namespace, name);
    else if (same(ref, R.replicasets)) {
      this.ctx.enqueue('replicaset', namespace, name);
      if (owner?.kind === 'Deployment') this.ctx.enqueue('deployment', namespace, owner.name);
    } else if (same(ref, R.daemonsets)) this.ctx.enqueue('daemonset', namespace, name);
    else if (same(ref, R.services)) this.ctx.enqueue('endpoints', namespace, name);
    else if (same(ref, R.hpas)) {
      if (event.type !== 'MODIFIED') this.ctx.enqueue('hpa', namespace, name);
    } else if (same(ref, R.pods)) {
      this.kubelet.onPodEvent(event);
      if (event.type === 'DELETED') this.hpas.forgetPod(namespace, name);
      if (owner?.kind === 'ReplicaSet') this.ctx.enqueue('replicaset', namespace, owner.name);
      if (owner?.kind === 'DaemonSet') this.ctx.enqueue('daemonset', namespace, owner.name);
      for (const service of this.services?.list<Service>(R.services) ?? []) {
        if (service.metadata.namespace !== namespace) continue;
        if (matchesServiceSelector(service.spec?.selector, object.metadata.labels)) {
          this.ctx.enqueue('endpoints', namespace, service.metadata.name);
        }
      }
    }
  }
}
