/**
 * What every workload controller shares: the store, the clock, a coalescing work queue
 * (one reconcile per object however many events arrived), and delayed re-checks (pod
 * readiness, progress deadlines, HPA syncs) that run on the injected clock.
 */
import type { Clock, TimerHandle } from '../../shared/clock';
import type { ClusterStore } from '../store';
import { StoreError } from '../store';

export type WorkKind =
  | 'deployment'
  | 'replicaset'
  | 'daemonset'
  | 'endpoints'
  | 'hpa'
  | 'knative-service'
  | 'knative-revision';

export interface WorkItem {
  kind: WorkKind;
  namespace: string;
  name: string;
}

/** What decides a pod's fate on its node: set by the simulation from the pod's behaviour. */
export interface PodHealth {
  /** false: containers run but the readiness probe never passes. */
  ready: boolean;
  /** How long after scheduling the pod becomes Ready. */
  readyDelayMs: number;
  /** e.g. "ErrImagePull": the image never starts. */
  imageError?: string;
}

export interface ControllerContext {
  readonly store: ClusterStore;
  readonly clock: Clock;
  readonly random: () => number;
  readonly nodes: readonly string[];
  enqueue(kind: WorkKind, namespace: string, name: string): void;
  /** Reconciles the object again after ms of clock time (the earliest request wins). */
  after(ms: number, kind: WorkKind, namespace: string, name: string): void;
  /** The next node for a new pod (round robin, like a scheduler spreading evenly). */
  nextNode(): string;
}

const key = (item: WorkItem) => `${item.kind}/${item.namespace}/${item.name}`;

export class WorkQueue {
  private readonly pending = new Map<string, WorkItem>();
  private readonly delayed = new Map<string, { due: number; handle: TimerHandle }>();
  private scheduled = false;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly run: (item: WorkItem) => void,
  ) {}

  add(item: WorkItem): void {
    if (this.stopped) return;
    this.pending.set(key(item), item);
    if (!this.scheduled) {
      this.scheduled = true;
      // Store events arrive inside store writes; reconciling later keeps writes unnested.
      queueMicrotask(() => this.drain());
    }
  }

  addAfter(ms: number, item: WorkItem): void {
    if (this.stopped) return;
    const k = key(item);
    const due = this.clock.now() + Math.max(0, ms);
    const existing = this.delayed.get(k);
    if (existing && existing.due <= due) return;
    if (existing) this.clock.clearTimeout(existing.handle);
    const handle = this.clock.setTimeout(() => {
      this.delayed.delete(k);
      this.add(item);
    }, ms);
    this.delayed.set(k, { due, handle });
  }

  stop(): void {
    this.stopped = true;
    for (const { handle } of this.delayed.values()) this.clock.clearTimeout(handle);
    this.delayed.clear();
    this.pending.clear();
  }

  private drain(): void {
    // Reconciles enqueue each other (a ReplicaSet change wakes its Deployment); the bound
    // only guards against a controller bug turning into a hung test.
    for (let rounds = 0; this.pending.size > 0 && rounds < 100_000; rounds++) {
      const [k, item] = this.pending.entries().next().value as [string, WorkItem];
      this.pending.delete(k);
      try {
        this.run(item);
      } catch (error) {
        if (error instanceof StoreError && error.status === 409) this.addAfter(100, item);
        else if (!(error instanceof StoreError && error.status === 404)) {
          console.error(`playground: ${item.kind} ${item.namespace}/${item.name}:`, error);
        }
      }
    }
    this.scheduled = false;
  }
}
