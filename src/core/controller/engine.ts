/**
 * CanaryEngine: Flagger's controller loop for ONE cluster. It watches the Canaries, keeps one
 * job per canary ticking at the canary's analysis interval (Flagger's CanaryJob; restarted when
 * the interval changes, stopped when the canary goes), and runs the ticks on a small shared
 * worker pool so one slow canary never holds up the others. A canary's ticks never overlap, and
 * operator actions on a canary wait for its running tick.
 *
 * Nor do they overlap across engines. The cluster runtime stops the engine when the Lease is
 * lost and starts a new one when it is won back (under load, a renewal late by the renew
 * deadline does that within seconds); stop() cannot cut the tick under way, which runs to its
 * end, while the new engine's first tick of the canary comes at once. Both read the Canary
 * before either wrote it, and the step ran twice ("Advance ... canary weight 20" twice, the
 * second status write a Conflict re-applied on the fresh status). The engines a runtime starts
 * for one cluster share its CanaryLocks, so the new engine's tick waits for the old one's and
 * reads what it wrote.
 *
 * Nothing here is state that must survive a restart: the Canary status holds it. The time
 * series kept for the UI are in memory only.
 *
 * API reads per tick. The engine adds none: the watch keeps its view of the Canaries. A tick
 * (scheduler.ts) GETs the Canary once, then calls the ports in Flagger's order; an idle canary
 * (Initialized/Succeeded, nothing changed) ends at shouldAdvance after getMetadata, the
 * service and workload initialize/reconcile calls, the router's reconcile, hasTargetChanged
 * and haveDependenciesChanged, exactly the calls Flagger makes. Only a change (or a
 * Waiting/Failed canary) reaches the second GET of checkCanaryStatus. Within a tick, repeated
 * GETs of one object until the next write share one request (kube/tick-reads.ts): an idle
 * tick sends 6 requests where Flagger sends 11.
 *
 * Quiet canaries: an idle scheduled tick now sends none. A full tick that ends with the canary
 * Initialized or Succeeded, found and valid, with no event recorded and a Deployment or
 * DaemonSet target (controller/quiet.ts), leaves the canary quiet, and its later scheduled
 * ticks are skipped without any API call until it is marked dirty by a watch event: on the
 * Canary itself (spec, status written by anyone, deletion), on its target `<name>` or
 * `<name>-primary` (the engine also watches Deployments and DaemonSets cluster-wide), or on a
 * ConfigMap or Secret in its status.trackedConfigs (ConfigMaps and Secrets watched likewise).
 * An event that arrives while a tick runs leaves it dirty, so the next tick runs in full. This
 * is safe because these are all the objects whose change can make an idle tick do anything
 * (a new revision, a changed dependency, a spec or suspend change): while none changed, a
 * full tick would read the same and stop at shouldAdvance. A watch stream that fails marks
 * every canary dirty, and a relist hands over the differences as events, so a gap is never
 * missed. As a safety net for whatever the watches do not cover (Services, the router's
 * objects edited by hand), a quiet canary still ticks in full every 5 min of the engine clock
 * (quietStats() counts the skipped and the safety ticks). Failed, Waiting, Progressing and the
 * other phases tick in full as before; tickNow and operator actions always run in full, and an
 * action marks its canary dirty. Skipped ticks call neither onTickStart nor onTick.
 *
 * Invalid canaries. A Canary that does not parse is not scheduled. Its field errors are logged
 * and written to its status as a condition next to Flagger's Promoted one, with the phase and
 * the Promoted condition left alone:
 *   {type: Valid, status: "False", reason: ValidationFailed, message: "spec.analysis.stepWeight: ...; ..."}
 * The condition is removed again once the canary parses.
 */
import type { Clock, TimerHandle } from '../../shared/clock';
import {
  analysisIntervalMs,
  parseCanary,
  texts,
  type Canary,
  type CanaryPhase,
  type FieldError,
} from '../canary';
import type { KubeObject, WatchEventType } from '../kube/api';
import { runWithTickReads } from '../kube/tick-reads';
import type { ClusterPorts, LogLevel, MetricSample } from './ports';
import {
  advanceCanary,
  promoteCanary,
  retryCanary,
  rollbackCanary,
  type CanaryRef,
  type SchedulerDeps,
  type TickObservation,
} from './scheduler';
import { DEPENDENCY_WATCHES, QUIET_SAFETY_MS, concerns, leftIdle } from './quiet';
import { VALID_CONDITION, validationMessage, writeValidationCondition } from './status';

export interface EngineLogRecord {
  /** ms since the epoch (the engine's clock). */
  time: number;
  level: LogLevel;
  cluster: string;
  /** `<name>.<namespace>` when the record is about one canary. */
  canary?: string;
  message: string;
  /** Set on operator actions: who asked. */
  user?: string;
}

/** What the UI knows about a watched canary. */
export interface CanaryState {
  key: string;
  canary?: Canary;
  /** Field errors when the Canary does not parse. */
  errors?: FieldError[];
}

export type MarkerKind = 'step' | 'halt' | 'rollback' | 'promotion';

export interface CanarySeries {
  weights: { t: number; primary: number; canary: number; phase: CanaryPhase | '' }[];
  /** Per check (metric name): value with its thresholds at each analysis step. */
  checks: Record<
    string,
    { t: number; value: number | undefined; min?: number; max?: number; passed: boolean }[]
  >;
  markers: { t: number; kind: MarkerKind; message: string }[];
}

export interface CanaryEngineOptions {
  ports: ClusterPorts;
  clock: Clock;
  clusterName: string;
  log: (record: EngineLogRecord) => void;
  /**
   * ms added to each job delay, to spread canaries (default: up to 1 s at random). When set,
   * it is also the delay of a job's first tick (tests use 0: the first tick at once).
   */
  jitter?: () => number;
  /** Ticks running at once for this cluster (default 4). */
  concurrency?: number;
  /** Flagger's -mesh-provider (default istio). */
  meshProvider?: string;
  /** The desktop user, for operator action records (each action may name another). */
  user?: string;
  /** How long the in-memory series keep points (default 24 h). */
  retentionMs?: number;
  onTick?: (key: string, observation: TickObservation) => void;
  /**
   * A scheduled tick starts (after the timer, the worker pool and any running action):
   * `scheduledAt` is when its timer was due, so `startedAt - scheduledAt` is the tick's
   * lateness (the engine benchmark reads it). Not called for tickNow or actions.
   */
  onTickStart?: (key: string, scheduledAt: number, startedAt: number) => void;
  onChange?: (key: string, state: CanaryState | undefined) => void;
  /**
   * The per-canary locks of the cluster, shared by the engines started one after another for
   * it (see above). Default: this engine's own.
   */
  locks?: CanaryLocks;
}

/** Per canary key: the end of the last tick or action queued for it (in any engine). */
export type CanaryLocks = Map<string, Promise<unknown>>;

interface Job {
  key: string;
  ref: CanaryRef;
  intervalMs: number;
  timer?: TimerHandle;
  queued: boolean;
  running: boolean;
  /** A timer fired while the tick ran: run once more afterwards (Go's ticker keeps one). */
  pending: boolean;
  /** When the timer of the tick not started yet was due (for onTickStart). */
  due?: number;
}

interface Point {
  t: number;
  observation: TickObservation;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** A canary's last full tick (see "API reads per tick" above). */
interface QuietState {
  /** That tick left the canary idle. */
  idle: boolean;
  /** A watch event (or an action) since that tick started may have changed what it read. */
  dirty: boolean;
  /** When that tick started (engine clock). */
  startedAt: number;
}

/** Scheduled ticks skipped as quiet, and full ticks run only as the safety net. */
export interface QuietStats {
  skipped: number;
  safety: number;
}

export class CanaryEngine {
  private readonly jobs = new Map<string, Job>();
  private readonly states = new Map<string, CanaryState>();
  private readonly series_ = new Map<
    string,
    { points: Point[]; markers: CanarySeries['markers'] }
  >();
  private readonly locks: CanaryLocks;
  private readonly queue: string[] = [];
  private readonly invalidLogged = new Map<string, string>();
  private duplicates = '';
  private active = 0;
  private stopWatch: (() => void) | undefined;
  private stopDependencyWatches: (() => void)[] = [];
  private readonly quiet = new Map<string, QuietState>();
  private readonly quietStats_: QuietStats = { skipped: 0, safety: 0 };
  private readonly concurrency: number;
  private readonly jitter: () => number;

  constructor(private readonly options: CanaryEngineOptions) {
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.locks = options.locks ?? new Map();
    this.jitter = options.jitter ?? (() => Math.random() * 1000);
  }

  start(): void {
    if (this.stopWatch) return;
    this.stopWatch = this.options.ports.kube.watch(
      'flagger.app/v1beta1',
      'Canary',
      undefined,
      (type, object) => this.onWatch(type, object),
      {
        onError: (err) => {
          this.markAllDirty();
          this.log('error', `Canary watch: ${err.message}`);
        },
      },
    );
    // What an idle tick reads besides the Canary: a change marks the canaries it concerns
    // dirty. A failing watch marks every canary dirty (the stream relists with differences).
    this.stopDependencyWatches = DEPENDENCY_WATCHES.map(({ apiVersion, kind }) =>
      this.options.ports.kube.watch(
        apiVersion,
        kind,
        undefined,
        (_type, object) => this.onDependency(object),
        {
          onError: (err) => {
            this.markAllDirty();
            this.log('warn', `${kind} watch: ${err.message}`);
          },
        },
      ),
    );
  }

  stop(): void {
    this.stopWatch?.();
    this.stopWatch = undefined;
    for (const stopDependencyWatch of this.stopDependencyWatches) stopDependencyWatch();
    this.stopDependencyWatches = [];
    this.quiet.clear();
    for (const job of this.jobs.values()) this.options.clock.clearTimeout(job.timer);
    this.jobs.clear();
    this.queue.length = 0;
  }

  /** Counts of quiet ticks (skipped with no API call) and safety-net full ticks. */
  quietStats(): QuietStats {
    return { ...this.quietStats_ };
  }

  /** The watched canaries. */
  canaries(): CanaryState[] {
    return [...this.states.values()];
  }

  series(key: string): CanarySeries {
    const s = this.series_.get(key);
    const out: CanarySeries = { weights: [], checks: {}, markers: [...(s?.markers ?? [])] };
    for (const { t, observation: o } of s?.points ?? []) {
      out.weights.push({ t, primary: o.primaryWeight, canary: o.canaryWeight, phase: o.phase });
      for (const sample of o.samples) {
        const list = (out.checks[sample.metric] ??= []);
        list.push({
          t,
          value: sample.value,
          min: sample.min,
          max: sample.max,
          passed: sample.passed,
        });
      }
    }
    return out;
  }

  // --- operator actions -------------------------------------------------------------------------

  /** Skip the remaining steps: confirm-promotion (unless force), then Promoting. */
  promote(key: string, options: { force?: boolean; user?: string } = {}): Promise<TickObservation> {
    return this.action(key, options.user, options.force ? 'promote (force)' : 'promote', (ref) =>
      promoteCanary(this.options.ports, ref, this.deps(key), { force: options.force }),
    );
  }

  /** All traffic to the primary within the call, then Flagger's rollback (Failed). */
  rollback(key: string, options: { user?: string } = {}): Promise<TickObservation> {
    return this.action(key, options.user, 'rollback', (ref) =>
      rollbackCanary(this.options.ports, ref, this.deps(key)),
    );
  }

  pause(key: string, options: { user?: string } = {}): Promise<void> {
    return this.action(key, options.user, 'pause', (ref) => this.setSuspend(ref, true));
  }

  resume(key: string, options: { user?: string } = {}): Promise<void> {
    return this.action(key, options.user, 'resume', (ref) => this.setSuspend(ref, false));
  }

  /** Analyse a Failed canary's revision again (see retryCanary). */
  retry(key: string, options: { user?: string } = {}): Promise<TickObservation> {
    return this.action(key, options.user, 'retry', (ref) =>
      retryCanary(this.options.ports, ref, this.deps(key)),
    );
  }

  /**
   * Queue the canary's next tick now instead of at its interval (after an operator action, so
   * its effect shows within a second). Unlike tickNow it logs nothing; a tick already running
   * runs once more.
   */
  kick(key: string): void {
    this.markDirty(key);
    this.enqueue(key);
  }

  /** Run a tick now (after any running one), outside the job's schedule. */
  tickNow(key: string, options: { user?: string } = {}): Promise<TickObservation | undefined> {
    const ref = this.refOf(key);
    this.log(
      'info',
      `${this.user(options.user)} requested a tick of ${key}`,
      key,
      this.user(options.user),
    );
    return this.exclusive(key, () => this.runTick(key, ref));
  }

  private async action<T>(
    key: string,
    user: string | undefined,
    verb: string,
    run: (ref: CanaryRef) => Promise<T>,
  ): Promise<T> {
    const ref = this.refOf(key);
    const who = this.user(user);
    this.log('info', `${who} requested ${verb} of ${key}`, key, who);
    const result = await this.exclusive(key, async () => {
      try {
        return await run(ref);
      } finally {
        // Whatever the action wrote, the next scheduled tick runs in full.
        this.markDirty(key);
      }
    });
    if (isObservation(result)) this.record(key, result);
    return result;
  }

  private async setSuspend(ref: CanaryRef, suspend: boolean): Promise<void> {
    await this.options.ports.kube.mergePatch(
      { apiVersion: 'flagger.app/v1beta1', kind: 'Canary', ...ref },
      { spec: { suspend } },
    );
  }

  private refOf(key: string): CanaryRef {
    const state = this.states.get(key);
    if (!state)
      throw new Error(`canary ${key} is not known on cluster ${this.options.clusterName}`);
    const dot = key.indexOf('.');
    return { name: key.slice(0, dot), namespace: key.slice(dot + 1) };
  }

  private user(user: string | undefined): string {
    return user ?? this.options.user ?? 'unknown user';
  }

  // --- watch ------------------------------------------------------------------------------------

  private onWatch(type: WatchEventType, object: KubeObject): void {
    const name = object.metadata.name;
    const namespace = object.metadata.namespace ?? '';
    const key = `${name}.${namespace}`;
    this.markDirty(key);
    if (type === 'DELETED') {
      this.log('info', `Deleting ${key} from cache`, key);
      this.stopJob(key);
      this.states.delete(key);
      this.invalidLogged.delete(key);
      this.series_.delete(key);
      this.options.onChange?.(key, undefined);
      this.checkDuplicates();
      return;
    }
    const parsed = parseCanary(object);
    if ('errors' in parsed) {
      this.stopJob(key);
      const state: CanaryState = { key, errors: parsed.errors };
      this.states.set(key, state);
      this.options.onChange?.(key, state);
      this.markInvalid(key, object, parsed.errors);
      this.checkDuplicates();
      return;
    }
    const canary = parsed.canary;
    const previous = this.states.get(key)?.canary;
    this.states.set(key, { key, canary });
    this.options.onChange?.(key, { key, canary });
    if (this.invalidLogged.delete(key) || hasValidCondition(object)) {
      void this.exclusive(key, () =>
        writeValidationCondition(this.options.ports.kube, object, undefined, this.isoNow()),
      ).catch((err: unknown) =>
        this.log('error', `clearing the Valid condition: ${String(err)}`, key),
      );
    }
    this.ensureJob(key, { name, namespace }, analysisIntervalMs(canary));
    // Deletion with revertOnDeletion is finalized by the next tick: do not wait an interval.
    if (canary.metadata.deletionTimestamp && !previous?.metadata.deletionTimestamp)
      this.enqueue(key);
    this.checkDuplicates();
  }

  /** A Deployment, DaemonSet, ConfigMap or Secret changed: its canaries tick in full next. */
  private onDependency(object: KubeObject): void {
    for (const state of this.states.values())
      if (state.canary && concerns(state.canary, object)) this.markDirty(state.key);
  }

  private markDirty(key: string): void {
    const q = this.quiet.get(key);
    if (q) q.dirty = true;
  }

  private markAllDirty(): void {
    for (const q of this.quiet.values()) q.dirty = true;
  }

  /** A scheduled tick of a quiet canary: skipped, unless the safety tick is due. */
  private skipQuiet(key: string): boolean {
    const q = this.quiet.get(key);
    if (!q?.idle || q.dirty) return false;
    if (this.options.clock.now() - q.startedAt < QUIET_SAFETY_MS) {
      this.quietStats_.skipped++;
      return true;
    }
    this.quietStats_.safety++;
    return false;
  }

  private markInvalid(key: string, object: KubeObject, errors: FieldError[]): void {
    const message = validationMessage(errors);
    if (this.invalidLogged.get(key) !== message) {
      this.invalidLogged.set(key, message);
      this.log('error', `invalid canary spec: ${message}`, key);
    }
    void this.exclusive(key, () =>
      writeValidationCondition(this.options.ports.kube, object, errors, this.isoNow()),
    ).catch((err: unknown) =>
      this.log('error', `writing the Valid condition: ${String(err)}`, key),
    );
  }

  /** scheduleCanaries: a job per canary; a new interval restarts it. */
  private ensureJob(key: string, ref: CanaryRef, intervalMs: number): void {
    const job = this.jobs.get(key);
    if (job && job.intervalMs === intervalMs) return;
    if (job) this.options.clock.clearTimeout(job.timer);
    const next: Job = job
      ? { ...job, intervalMs, timer: undefined }
      : { key, ref, intervalMs, queued: false, running: false, pending: false };
    this.jobs.set(key, next);
    // Flagger's job runs at once, then at every interval; Flagger's control loop finds a new
    // canary within its 10 s period. Here the first tick comes at a random point of the
    // interval, so that canaries found together (all of a cluster's when the engine starts)
    // do not tick together: at 100 canaries per cluster their ticks in one burst made the
    // last ones start more than half an interval late (test/bench/engine.bench.ts).
    this.schedule(next, this.options.jitter ? this.jitter() : Math.random() * intervalMs);
  }

  private schedule(job: Job, delay: number): void {
    const due = this.options.clock.now() + delay;
    job.timer = this.options.clock.setTimeout(() => {
      if (this.jobs.get(job.key) !== job) return;
      job.due ??= due;
      this.enqueue(job.key);
      this.schedule(job, job.intervalMs + this.jitter());
    }, delay);
  }

  private stopJob(key: string): void {
    const job = this.jobs.get(key);
    this.quiet.delete(key);
    if (!job) return;
    this.options.clock.clearTimeout(job.timer);
    this.jobs.delete(key);
  }

  private checkDuplicates(): void {
    const byTarget = new Map<string, string[]>();
    for (const state of this.states.values()) {
      const c = state.canary;
      if (!c) continue;
      const target = `${c.spec.targetRef.name}.${c.metadata.namespace}`;
      byTarget.set(target, [...(byTarget.get(target) ?? []), state.key]);
    }
    const dups = [...byTarget].filter(([, keys]) => keys.length > 1);
    const signature = JSON.stringify(dups);
    if (signature === this.duplicates) return;
    this.duplicates = signature;
    for (const [target, keys] of dups)
      for (const key of keys) this.log('error', texts.duplicateTarget(target), key);
  }

  // --- worker pool --------------------------------------------------------------------------

  private enqueue(key: string): void {
    const job = this.jobs.get(key);
    if (!job) return;
    if (job.running) {
      job.pending = true;
      return;
    }
    if (job.queued) return;
    job.queued = true;
    this.queue.push(key);
    this.pump();
  }

  private pump(): void {
    while (this.active < this.concurrency && this.queue.length > 0) {
      const key = this.queue.shift() as string;
      const job = this.jobs.get(key);
      if (!job) continue;
      job.queued = false;
      job.running = true;
      this.active++;
      void this.exclusive(key, () => {
        if (this.skipQuiet(key)) {
          job.due = undefined;
          return Promise.resolve(undefined);
        }
        if (job.due !== undefined) {
          this.options.onTickStart?.(key, job.due, this.options.clock.now());
          job.due = undefined;
        }
        return this.runTick(key, job.ref);
      }).finally(() => {
        this.active--;
        job.running = false;
        if (job.pending) {
          job.pending = false;
          this.enqueue(key);
        }
        this.pump();
      });
    }
  }

  /** Runs `fn` after everything queued for this canary (ticks and actions never overlap). */
  private exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(key, tail);
    void tail.then(() => {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    });
    return run;
  }

  private async runTick(key: string, ref: CanaryRef): Promise<TickObservation | undefined> {
    // Events from now on mark this tick's view dirty; it is quiet only if none came.
    const q: QuietState = { idle: false, dirty: false, startedAt: this.options.clock.now() };
    if (this.jobs.has(key)) this.quiet.set(key, q);
    try {
      // Repeated GETs within the tick share one request (ports built with withTickReads).
      const observation = await runWithTickReads(() =>
        advanceCanary(this.options.ports, ref, this.deps(key)),
      );
      observation.durationMs = this.options.clock.now() - q.startedAt;
      if (observation.found) this.record(key, observation);
      q.idle = leftIdle(this.states.get(key)?.canary, observation);
      this.options.onTick?.(key, observation);
      return observation;
    } catch (err) {
      // Level-triggered: the next tick starts again from the cluster.
      this.log('error', `tick failed: ${err instanceof Error ? err.message : String(err)}`, key);
      return undefined;
    }
  }

  private deps(key: string): SchedulerDeps {
    return {
      clock: this.options.clock,
      meshProvider: this.options.meshProvider,
      log: (level, message) => this.log(level, message, key),
    };
  }

  // --- series -------------------------------------------------------------------------------

  private record(key: string, o: TickObservation): void {
    const t = this.options.clock.now();
    let s = this.series_.get(key);
    if (!s) {
      s = { points: [], markers: [] };
      this.series_.set(key, s);
    }
    const prev = s.points[s.points.length - 1]?.observation;
    const mark = (kind: MarkerKind, message: string) => s.markers.push({ t, kind, message });
    const lastEvent = (fallback: string) => o.events[o.events.length - 1]?.message ?? fallback;
    if (o.halted) mark('halt', o.halted);
    if (o.phase === 'Failed' && prev?.phase !== 'Failed') mark('rollback', lastEvent('Failed'));
    else if ((o.phase === 'Promoting' || o.phase === 'Succeeded') && prev?.phase !== o.phase)
      mark('promotion', lastEvent(o.phase));
    else if (
      prev &&
      (prev.canaryWeight !== o.canaryWeight || prev.iterations !== o.iterations) &&
      (o.phase === 'Progressing' || o.phase === 'Finalising')
    )
      mark('step', lastEvent(`canary weight ${o.canaryWeight}`));
    s.points.push({ t, observation: { ...o, events: [] } });
    const retention = this.options.retentionMs ?? DAY_MS;
    const cutoff = t - retention;
    // Bounded by time, and by count for ticks run more often than the interval (tickNow).
    const job = this.jobs.get(key);
    const maxPoints = Math.ceil(retention / (job?.intervalMs ?? 10_000)) * 2 + 100;
    while (s.points.length > 0 && ((s.points[0]?.t ?? t) < cutoff || s.points.length > maxPoints))
      s.points.shift();
    while (
      s.markers.length > 0 &&
      ((s.markers[0]?.t ?? t) < cutoff || s.markers.length > maxPoints)
    )
      s.markers.shift();
  }

  private isoNow(): string {
    return new Date(this.options.clock.now()).toISOString();
  }

  private log(level: LogLevel, message: string, canary?: string, user?: string): void {
    this.options.log({
      time: this.options.clock.now(),
      level,
      cluster: this.options.clusterName,
      message,
      ...(canary ? { canary } : {}),
      ...(user ? { user } : {}),
    });
  }
}

function isObservation(value: unknown): value is TickObservation {
  return typeof value === 'object' && value !== null && 'events' in value && 'found' in value;
}

function hasValidCondition(object: KubeObject): boolean {
  const conditions = (object.status as { conditions?: unknown } | undefined)?.conditions;
  return (
    Array.isArray(conditions) &&
    conditions.some((c) => (c as { type?: unknown } | null)?.type === VALID_CONDITION)
  );
}

export type { MetricSample, TickObservation };
