/**
 * One writer per cluster: a coordination.k8s.io/v1 Lease that the desktop driving a
 * cluster's canaries holds and renews. Two desktops must never drive one canary, so every
 * write is optimistic (resourceVersion precondition), a conflict is settled by reading
 * the lease again, and a leader that cannot renew in time steps down at once, before
 * anybody else may take the lease over.
 *
 * Expiry is judged the way client-go's leader election judges it: by when *this* process
 * last saw the lease record change, on its own clock, never by comparing another
 * laptop's renewTime with ours (laptop clocks drift).
 *
 * The lease lives in kube-system when the user may write there, else in default. A
 * desktop that could only write in default also honours a live lease in kube-system (and
 * one in kube-system does not take a free lease while a live one is held in default), so
 * users with different rights still agree on one writer.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { systemClock, type Clock, type TimerHandle } from '../../shared/clock';
import { KubeApiError, type KubeApi, type KubeObject, type ObjectRef } from './api';

export type LeaseRole = 'leader' | 'follower' | 'unknown';

export interface LeaseState {
  role: LeaseRole;
  /** Who holds the lease (this desktop's identity when leader), when known. */
  holder?: string;
  /** When this role began (ISO 8601). */
  since: string;
}

export interface ClusterLeaseOptions {
  api: KubeApi;
  clock?: Clock;
  /** Default: a random id per app start. */
  instanceId?: string;
  /** Default: user@host/aviary-<instanceId>. */
  identity?: string;
  /** Default: aviary-controller. */
  name?: string;
  /** Where the lease may live, preferred first. Default: kube-system, default. */
  namespaces?: string[];
  /** Default 15. */
  leaseDurationSeconds?: number;
  /** How often the leader renews and a follower looks again. Default 5000. */
  renewIntervalMs?: number;
  /** A leader that has not renewed for this long steps down. Default 10000 (< the duration). */
  renewDeadlineMs?: number;
}

export const LEASE_NAME = 'aviary-controller';
export const LEASE_NAMESPACES = ['kube-system', 'default'];

interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number;
  [key: string]: unknown;
}

interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export function defaultLeaseIdentity(instanceId: string): string {
  let user = 'unknown';
  try {
    user = os.userInfo().username || user;
  } catch {
    // Some sandboxes have no passwd entry; the host and instance id still tell desktops apart.
  }
  return `${user}@${os.hostname()}/aviary-${instanceId}`;
}

export class ClusterLease {
  readonly identity: string;
  private readonly api: KubeApi;
  private readonly clock: Clock;
  private readonly name: string;
  private readonly namespaces: string[];
  private readonly durationMs: number;
  private readonly durationSeconds: number;
  private readonly renewIntervalMs: number;
  private readonly renewDeadlineMs: number;
  private readonly listeners = new Set<(state: LeaseState) => void>();
  /** Per namespace: the lease record last seen and when we first saw it. */
  private readonly observed = new Map<string, { record: string; at: number }>();
  private current: LeaseState;
  private namespaceIndex = 0;
  private running = false;
  private tickTimer: TimerHandle | undefined;
  private deadlineTimer: TimerHandle | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(options: ClusterLeaseOptions) {
    this.api = options.api;
    this.clock = options.clock ?? systemClock;
    this.identity =
      options.identity ?? defaultLeaseIdentity(options.instanceId ?? randomUUID().slice(0, 8));
    this.name = options.name ?? LEASE_NAME;
    this.namespaces = options.namespaces?.length ? options.namespaces : LEASE_NAMESPACES;
    this.durationSeconds = options.leaseDurationSeconds ?? 15;
    this.durationMs = this.durationSeconds * 1000;
    this.renewIntervalMs = options.renewIntervalMs ?? 5000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? Math.round((this.durationMs * 2) / 3);
    this.current = { role: 'unknown', since: this.isoNow() };
  }

  get state(): LeaseState {
    return { ...this.current };
  }

  isLeader(): boolean {
    return this.current.role === 'leader';
  }

  /** The namespace the lease is written in (after the first attempt). */
  get namespace(): string {
    return this.namespaces[this.namespaceIndex] ?? 'default';
  }

  onChange(listener: (state: LeaseState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts trying to acquire (then renewing); the first attempt runs at once. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.runTick();
  }

  /** Resolves when the attempt under way (if any) has finished: for tests and shutdown. */
  async settled(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  /**
   * Stops renewing and, unless release is false (a simulated crash), gives the lease up so
   * another desktop can take over at once instead of after the lease duration.
   */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.clock.clearTimeout(this.tickTimer);
    this.clock.clearTimeout(this.deadlineTimer);
    await this.settled();
    const wasLeader = this.current.role === 'leader';
    this.setState('unknown', undefined);
    if (wasLeader && options.release !== false) {
      try {
        const lease = await this.api.get<Lease>(this.ref(this.namespace));
        if (lease && lease.spec?.holderIdentity === this.identity) {
          await this.api.replace<Lease>({
            ...lease,
            spec: { ...released(lease.spec), renewTime: microTime(this.clock.now()) },
          });
        }
      } catch {
        // Best effort: if the release fails, the lease simply expires.
      }
    }
  }

  // ---- the loop -------------------------------------------------------------------------

  private runTick(): void {
    const tick = this.tick().finally(() => {
      if (this.inFlight === tick) this.inFlight = undefined;
      if (this.running)
        this.tickTimer = this.clock.setTimeout(() => this.runTick(), this.renewIntervalMs);
    });
    this.inFlight = tick;
  }

  private async tick(): Promise<void> {
    try {
      await this.attempt();
    } catch (err) {
      if (!this.running) return;
      if (
        err instanceof KubeApiError &&
        (err.reason === 'Conflict' || err.reason === 'AlreadyExists')
      ) {
        // Somebody wrote in between: what the lease says now decides.
        await this.reread().catch(() => this.lostContact());
        return;
      }
      this.lostContact();
    }
  }

  private async attempt(): Promise<void> {
    const ns = this.namespace;
    let lease: Lease | undefined;
    try {
      lease = await this.api.get<Lease>(this.ref(ns));
    } catch (err) {
      if (this.moveOnIfForbidden(err)) return this.attempt();
      throw err;
    }
    if (!this.running) return;
    const now = this.clock.now();
    if (lease) this.observe(ns, lease);
    const holder = lease?.spec?.holderIdentity || undefined;

    if (holder === this.identity && lease) {
      const other = await this.foreignHolderElsewhere(ns, true);
      if (other) {
        // Two leases in two namespaces: the preferred namespace's holder wins.
        await this.giveUp(lease);
        return this.setState('follower', other);
      }
      const renewed = await this.write(() =>
        this.api.replace<Lease>({
          ...lease,
          spec: {
            ...lease.spec,
            leaseDurationSeconds: this.durationSeconds,
            renewTime: microTime(now),
          },
        }),
      );
      if (!renewed) return;
      this.observe(ns, renewed);
      return this.becomeLeader(now);
    }

    if (holder && !this.expired(ns)) return this.setState('follower', holder);

    // Free, expired or missing: take it, unless a live lease elsewhere says otherwise.
    const other = await this.foreignHolderElsewhere(ns, false);
    if (other) return this.setState('follower', other);
    const spec: LeaseSpec = {
      holderIdentity: this.identity,
      leaseDurationSeconds: this.durationSeconds,
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: (lease?.spec?.leaseTransitions ?? 0) + (lease && holder ? 1 : 0),
    };
    const written = await this.write(() =>
      lease
        ? this.api.replace<Lease>({ ...lease, spec: { ...lease.spec, ...spec } })
        : this.api.create<Lease>({
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name: this.name, namespace: ns },
            spec,
          }),
    );
    if (!written) return;
    this.observe(ns, written);
    this.becomeLeader(now);
  }

  /** A write; Forbidden moves to the next namespace (and answers undefined). */
  private async write(fn: () => Promise<Lease>): Promise<Lease | undefined> {
    try {
      return await fn();
    } catch (err) {
      if (this.moveOnIfForbidden(err)) {
        this.setState('unknown', undefined);
        return undefined;
      }
      throw err;
    }
  }

  private moveOnIfForbidden(err: unknown): boolean {
    if (!(err instanceof KubeApiError) || err.reason !== 'Forbidden') return false;
    if (this.namespaceIndex >= this.namespaces.length - 1) return false;
    this.namespaceIndex++;
    return true;
  }

  /**
   * After a conflict: we lost that write, so we stop writing at once; what the lease says
   * now decides the next attempt (still ours after an unrelated write: renewed next tick).
   */
  private async reread(): Promise<void> {
    const ns = this.namespace;
    this.setState('follower', undefined);
    const lease = await this.api.get<Lease>(this.ref(ns));
    if (!this.running) return;
    if (lease) this.observe(ns, lease);
    this.setState('follower', lease?.spec?.holderIdentity || undefined);
  }

  /**
   * A live holder other than us of the lease in another of our namespaces. A leader
   * (holding=true) only yields to one in a namespace preferred over its own.
   */
  private async foreignHolderElsewhere(ns: string, holding: boolean): Promise<string | undefined> {
    const mine = this.namespaces.indexOf(ns);
    for (const [i, other] of this.namespaces.entries()) {
      if (other === ns || (holding && i > mine)) continue;
      let lease: Lease | undefined;
      try {
        lease = await this.api.get<Lease>(this.ref(other));
      } catch {
        continue; // not readable for us: nothing to honour
      }
      if (!lease) continue;
      this.observe(other, lease);
      const holder = lease.spec?.holderIdentity || undefined;
      if (holder && holder !== this.identity && !this.expired(other)) return holder;
    }
    return undefined;
  }

  private async giveUp(lease: Lease): Promise<void> {
    await this.api
      .replace<Lease>({
        ...lease,
        spec: released(lease.spec),
      })
      .catch(() => undefined);
  }

  private observe(ns: string, lease: Lease): void {
    const spec = lease.spec ?? {};
    const record = `${spec.holderIdentity ?? ''}|${spec.renewTime ?? ''}|${spec.acquireTime ?? ''}`;
    const seen = this.observed.get(ns);
    if (!seen || seen.record !== record) this.observed.set(ns, { record, at: this.clock.now() });
  }

  private expired(ns: string): boolean {
    const seen = this.observed.get(ns);
    return !seen || seen.at + this.durationMs <= this.clock.now();
  }

  private becomeLeader(renewedAt: number): void {
    this.clock.clearTimeout(this.deadlineTimer);
    // Step down on our own if renewals stop succeeding, even while a request hangs.
    this.deadlineTimer = this.clock.setTimeout(
      () => {
        if (this.current.role === 'leader') this.setState('follower', undefined);
      },
      Math.max(0, renewedAt + this.renewDeadlineMs - this.clock.now()),
    );
    this.setState('leader', this.identity);
  }

  /** The cluster did not answer: a leader keeps its role until the renew deadline. */
  private lostContact(): void {
    if (this.current.role !== 'leader') this.setState('unknown', undefined);
  }

  private setState(role: LeaseRole, holder: string | undefined): void {
    if (role !== 'leader') this.clock.clearTimeout(this.deadlineTimer);
    const prev = this.current;
    if (prev.role === role && prev.holder === holder) return;
    this.current = {
      role,
      ...(holder ? { holder } : {}),
      since: prev.role === role ? prev.since : this.isoNow(),
    };
    const snapshot = this.state;
    for (const listener of [...this.listeners]) {
      try {
        listener(snapshot);
      } catch {
        // A listener's failure must not break the lease loop.
      }
    }
  }

  private ref(namespace: string): ObjectRef {
    return { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace, name: this.name };
  }

  private isoNow(): string {
    return new Date(this.clock.now()).toISOString();
  }
}

/** The spec without a holder: free for anybody to take at once. */
function released(spec: LeaseSpec | undefined): LeaseSpec {
  const rest = { ...spec };
  delete rest.holderIdentity;
  delete rest.acquireTime;
  return rest;
}

/** metav1.MicroTime: RFC 3339 with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
