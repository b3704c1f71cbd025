/**
 * Aviary's relation to one cluster: a client, a watch of its Canaries (always, so the
 * fleet view shows them whoever drives them), and — when control is on, no in-cluster
 * Flagger drives them, and this desktop holds the cluster's Lease — a CanaryEngine.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type {
  CanaryAction,
  CanaryDetail,
  CanaryPoint,
  CanarySummary,
  ClusterControl,
  LogLevel,
} from '../../shared/api';
import { ApiError } from '../../shared/api';
import type { Clock } from '../../shared/clock';
import { CanaryEngine, type CanaryLocks, type TickObservation } from '../controller/engine';
import { OperatorActionError } from '../controller/scheduler';
import { createClusterClient, type ClusterClient } from '../kube/cluster-client';
import { detectInClusterFlagger } from '../kube/flagger-detect';
import { ClusterLease } from '../kube/lease';
import type { KubeApi, KubeObject } from '../kube/api';
import { deploymentStrategy, parseCanary, type Canary } from '../canary';
import type { FlaggerMetrics } from '../controller/recorder';
import type { TrafficRouter } from '../controller/ports';
import { trafficRouterFor } from '../routers';
import { AccessReviewer } from '../kube/access-review';
import { createClusterHttp, parseClusterAddress } from '../kube/cluster-address';
import { canaryGates, operateGates } from '../webhooks/gates';
import { actionRules, canaryEvents, errorLines, objectYaml, resolveActions } from './canary-detail';
import { generatedObjectInfo, generatedRefs } from './generated-objects';
import { clusterPorts, type ClusterPortsOptions } from './ports';
import { canaryKey, summarize } from './summary';

export interface RuntimeLogRecord {
  time: string;
  level: LogLevel;
  context: string;
  canary?: string;
  message: string;
  actor?: string;
}

export type RuntimeEvent =
  | { type: 'control'; control: ClusterControl }
  | { type: 'canary'; key: string; summary: CanarySummary | undefined }
  | { type: 'point'; key: string; point: CanaryPoint }
  | { type: 'alert'; key: string; severity: LogLevel; title: string; message: string };

export interface ClusterRuntimeOptions {
  context: string;
  kubeConfig: KubeConfig;
  clock: Clock;
  /** Whether the user lets Aviary drive this cluster. */
  control: boolean;
  /** The Lease holder identity of this desktop. */
  identity: string;
  /** The desktop user, for operator action records. */
  user: string;
  log: (record: RuntimeLogRecord) => void;
  emit: (event: RuntimeEvent) => void;
  metricsServer?: string;
  /** The global notifier for canaries without alerts (ClusterPortsOptions.globalNotifier). */
  globalNotifier?: ClusterPortsOptions['globalNotifier'];
  metricsServerToken?: ClusterPortsOptions['metricsServerToken'];
  /** Test hook: the delay jitter of canary jobs. */
  jitter?: () => number;
  /** Benchmark hook: CanaryEngineOptions.onTickStart. */
  onTickStart?: (key: string, scheduledAt: number, startedAt: number) => void;
  /** Flagger's -mesh-provider for canaries that name none. */
  meshProvider?: string;
  /** A playground cluster: Aviary may release new versions there. */
  playground?: boolean;
  /** Flagger's own metrics for the canaries this runtime drives (served at /metrics). */
  recorder?: FlaggerMetrics;
}

/** Pod template annotations the playground reads for a version's behaviour. */
const BEHAVIOUR_ANNOTATIONS = {
  errorRate: 'playground.aviary.dev/error-rate',
  latencyMs: 'playground.aviary.dev/latency-ms',
} as const;

/** The next version of an image: 6.0.1 → 6.0.2, otherwise a "-next" suffix that changes the template. */
export function nextImage(image: string): string {
  const at = image.lastIndexOf(':');
  const slash = image.lastIndexOf('/');
  if (at <= slash) return `${image}:next-1`;
  const repo = image.slice(0, at);
  const tag = image.slice(at + 1);
  const semver = /^(v?\d+\.\d+\.)(\d+)$/.exec(tag);
  if (semver) return `${repo}:${semver[1]}${Number(semver[2]) + 1}`;
  const numbered = /^(.*-next-)(\d+)$/.exec(tag);
  if (numbered) return `${repo}:${numbered[1]}${Number(numbered[2]) + 1}`;
  return `${repo}:${tag}-next-1`;
}

/** 24 h of 10 s ticks: the UI charts at most this much. */
const MAX_POINTS = 8640;
const FLAGGER_RECHECK_MS = 60_000;

export class ClusterRuntime {
  private api: ClusterClient | undefined;
  private lease: ClusterLease | undefined;
  private engine: CanaryEngine | undefined;
  /** Shared by this cluster's successive engines: a stopped one's last tick holds off the next's. */
  private readonly canaryLocks: CanaryLocks = new Map();
  private stopWatch: (() => void) | undefined;
  private readonly objects = new Map<string, KubeObject>();
  private readonly messages = new Map<string, string>();
  private readonly points = new Map<string, CanaryPoint[]>();
  private state: ClusterControl;
  private flagger: string | undefined;
  private stopped = false;
  private recheck: ReturnType<Clock['setTimeout']> | undefined;
  private reviewer: AccessReviewer | undefined;

  constructor(private readonly options: ClusterRuntimeOptions) {
    this.state = { context: options.context, mode: 'offline' };
  }

  get context(): string {
    return this.options.context;
  }

  control(): ClusterControl {
    return this.state;
  }

  start(): void {
    const { context, kubeConfig, clock } = this.options;
    this.api = createClusterClient(context, kubeConfig, { clock });
    this.stopWatch = this.api.watch(
      'flagger.app/v1beta1',
      'Canary',
      undefined,
      (type, object) => this.onCanaryEvent(type, object),
      {
        onError: (err) => {
          this.setControl({
            ...this.state,
            mode: this.state.mode === 'controlling' ? 'controlling' : 'offline',
            message: err.message,
          });
        },
      },
    );
    void this.reconcileControl();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.options.clock.clearTimeout(this.recheck);
    this.stopWatch?.();
    this.stopEngine();
    await this.lease?.stop({ release: true }).catch(() => undefined);
    this.lease = undefined;
    this.api?.close();
  }

  async setControlEnabled(enabled: boolean): Promise<void> {
    this.options.control = enabled;
    await this.reconcileControl();
  }

  canaries(): CanarySummary[] {
    return [...this.objects.values()].map((o) => this.summary(o));
  }

  series(key: string): CanaryPoint[] {
    return this.points.get(key) ?? [];
  }

  async action(key: string, action: CanaryAction, force: boolean): Promise<CanarySummary> {
    const object = this.objects.get(key);
    if (!object) throw new ApiError('not-found', `no canary ${key}`);
    const ns = object.metadata.namespace ?? 'default';
    const name = object.metadata.name;
    const engineKey = `${name}.${ns}`;
    const user = this.options.user;
    if (action === 'openGate' || action === 'closeGate') {
      await this.operateGates(object, engineKey, action === 'openGate' ? 'open' : 'close');
      return this.summary(object);
    }
    // Pausing works whoever drives the canary: it is the Canary's own spec.suspend.
    if ((action === 'pause' || action === 'resume') && this.state.mode !== 'controlling') {
      this.requireWritable(action);
      await this.api!.mergePatch(
        { apiVersion: 'flagger.app/v1beta1', kind: 'Canary', namespace: ns, name },
        { spec: { suspend: action === 'pause' } },
      );
      this.options.log({
        time: new Date(this.options.clock.now()).toISOString(),
        level: 'info',
        context: this.context,
        canary: engineKey,
        message: `${user} requested ${action} of ${engineKey}`,
        actor: user,
      });
      return this.summary(object);
    }
    const engine = this.engine;
    if (!engine || this.state.mode !== 'controlling')
      throw new ApiError('forbidden', this.notControllingReason());
    let observation: TickObservation | undefined;
    try {
      switch (action) {
        case 'promote':
          observation = await engine.promote(engineKey, { force, user });
          break;
        case 'rollback':
          observation = await engine.rollback(engineKey, { user });
          break;
        case 'pause':
          await engine.pause(engineKey, { user });
          break;
        case 'resume':
          await engine.resume(engineKey, { user });
          break;
        case 'retry':
          observation = await engine.retry(engineKey, { user });
          break;
      }
    } catch (err) {
      if (err instanceof OperatorActionError) throw new ApiError('forbidden', err.message);
      throw err;
    }
    // What the action did goes on the chart now (a rollback's weight 0 and its marker).
    if (observation) this.onTick(engineKey, observation);
    const fresh = await this.api!.get({
      apiVersion: 'flagger.app/v1beta1',
      kind: 'Canary',
      namespace: ns,
      name,
    });
    if (fresh) this.objects.set(key, fresh);
    // The next step (routing after a promote, scaling down after a rollback) is not left
    // for the next interval: the canary ticks again at once.
    if (this.engine === engine) engine.kick(engineKey);
    return this.summary(fresh ?? object);
  }

  /** The detail view's data: YAML, errors by line, events, generated objects, allowed actions. */
  async detail(key: string): Promise<CanaryDetail> {
    const object = this.objects.get(key);
    if (!object || !this.api) throw new ApiError('not-found', `no canary ${key}`);
    const api = this.api;
    const summary = this.summary(object);
    const ns = summary.namespace;
    const yaml = objectYaml(object);
    const parsed = parseCanary(object);
    const canary = 'canary' in parsed ? parsed.canary : undefined;
    const gates = canary ? canaryGates(canary) : [];
    const gateNamespaces = canary
      ? [
          ...new Set(
            (canary.spec.analysis?.webhooks ?? [])
              .filter((h) => gates.some((g) => g.name === h.name))
              .map((h) => parseClusterAddress(h.url, ns)?.namespace)
              .filter((n): n is string => n !== undefined),
          ),
        ]
      : [];
    const refs = canary ? generatedRefs(canary, this.routerOf(canary, api)) : [];
    this.reviewer ??= new AccessReviewer(api, { clock: this.options.clock });
    const reviewer = this.reviewer;
    const [events, objects, actions] = await Promise.all([
      canaryEvents(api, ns, summary.name).catch(() => []),
      Promise.all(
        refs.map(async (ref) =>
          generatedObjectInfo(ref, await api.get(ref).catch(() => undefined)),
        ),
      ),
      resolveActions(
        actionRules({
          summary,
          control: this.state,
          playground: this.options.playground === true,
          gates,
          gateNamespaces,
        }),
        (check) => reviewer.can(check),
      ),
    ]);
    const status = (object.status ?? {}) as { lastAppliedSpec?: string; lastPromotedSpec?: string };
    return {
      summary,
      control: this.state,
      yaml,
      errors: errorLines(yaml, summary.errors ?? []),
      events,
      objects,
      revision: {
        ...(status.lastAppliedSpec ? { lastAppliedSpec: status.lastAppliedSpec } : {}),
        ...(status.lastPromotedSpec ? { lastPromotedSpec: status.lastPromotedSpec } : {}),
      },
      checks: (canary?.spec.analysis?.metrics ?? []).map((m) => ({
        name: m.name,
        ...(m.thresholdRange.min !== undefined ? { min: m.thresholdRange.min } : {}),
        ...(m.thresholdRange.max !== undefined ? { max: m.thresholdRange.max } : {}),
        ...(m.interval ? { interval: m.interval } : {}),
      })),
      gates,
      playground: this.options.playground === true,
      actions,
    };
  }

  /** One generated object's YAML: only the objects the canary's detail lists. */
  async generatedObjectYaml(key: string, kind: string, name: string): Promise<{ yaml: string }> {
    const object = this.objects.get(key);
    if (!object || !this.api) throw new ApiError('not-found', `no canary ${key}`);
    const parsed = parseCanary(object);
    if (!('canary' in parsed))
      throw new ApiError('not-found', `${key} is invalid: it has no generated objects`);
    const ref = generatedRefs(parsed.canary, this.routerOf(parsed.canary, this.api)).find(
      (r) => r.kind === kind && r.name === name,
    );
    if (!ref) throw new ApiError('not-found', `${kind} ${name} is not generated for ${key}`);
    const found = await this.api.get(ref);
    if (!found) throw new ApiError('not-found', `${kind} ${ref.namespace}/${name} not found`);
    return { yaml: objectYaml(found) };
  }

  /** The canary's traffic router (it names its own objects); none for an unknown provider. */
  private routerOf(canary: Canary, api: KubeApi): TrafficRouter | undefined {
    try {
      return trafficRouterFor(
        canary,
        api,
        this.options.meshProvider ? { meshProvider: this.options.meshProvider } : {},
      );
    } catch {
      return undefined;
    }
  }

  private async operateGates(
    object: KubeObject,
    engineKey: string,
    operation: 'open' | 'close',
  ): Promise<void> {
    this.requireWritable(`${operation} the gate`);
    if (this.state.mode === 'observing')
      throw new ApiError('forbidden', this.notControllingReason());
    const parsed = parseCanary(object);
    if (!('canary' in parsed))
      throw new ApiError('invalid-argument', `${engineKey} is invalid: fix its spec first`);
    if (!canaryGates(parsed.canary).some((g) => g.operable)) {
      throw new ApiError(
        'invalid-argument',
        `${engineKey} has no confirm webhook on the loadtester's gate API`,
      );
    }
    const user = this.options.user;
    const log = (level: LogLevel, message: string): void =>
      this.options.log({
        time: new Date(this.options.clock.now()).toISOString(),
        level,
        context: this.context,
        canary: engineKey,
        message,
        actor: user,
      });
    log('info', `${user} requested ${operation} gate of ${engineKey}`);
    try {
      const http = createClusterHttp({ api: this.api!, clock: this.options.clock });
      const urls = await operateGates(http, parsed.canary, operation);
      log(
        'info',
        `Gate of ${engineKey} ${operation === 'open' ? 'opened' : 'closed'} at ${urls.join(', ')}`,
      );
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log('error', `${operation} gate of ${engineKey} failed: ${message}`);
      throw new ApiError('unavailable', message);
    }
    // The halted canary looks at its gate again now, not at its next interval.
    this.engine?.kick(engineKey);
  }

  /** Playground only: a new version of the canary's target, optionally misbehaving. */
  async release(
    key: string,
    behaviour: { errorRate?: number; latencyMs?: number },
  ): Promise<{ image: string }> {
    if (!this.options.playground) {
      throw new ApiError(
        'forbidden',
        `${this.context} is not a playground cluster: release through your own pipeline`,
      );
    }
    const object = this.objects.get(key);
    if (!object) throw new ApiError('not-found', `no canary ${key}`);
    const ns = object.metadata.namespace ?? 'default';
    const target = (
      object.spec as { targetRef?: { apiVersion?: string; kind?: string; name?: string } }
    ).targetRef;
    if (!target?.name || !target.kind)
      throw new ApiError('invalid-argument', `${key} has no targetRef`);
    const ref = {
      apiVersion: target.apiVersion ?? 'apps/v1',
      kind: target.kind,
      namespace: ns,
      name: target.name,
    };
    const workload = await this.api!.get(ref);
    if (!workload) throw new ApiError('not-found', `${target.kind} ${ns}/${target.name} not found`);
    const template = (
      workload.spec as {
        template: {
          metadata?: { annotations?: Record<string, string> };
          spec: { containers: { image?: string }[] };
        };
      }
    ).template;
    const container = template.spec.containers[0];
    if (!container?.image)
      throw new ApiError('invalid-argument', `${target.name} has no container image`);
    const image = nextImage(container.image);
    container.image = image;
    const annotations = { ...(template.metadata?.annotations ?? {}) };
    for (const [field, annotation] of Object.entries(BEHAVIOUR_ANNOTATIONS)) {
      const value = behaviour[field as keyof typeof BEHAVIOUR_ANNOTATIONS];
      if (value === undefined) delete annotations[annotation];
      else annotations[annotation] = String(value);
    }
    template.metadata = { ...(template.metadata ?? {}), annotations };
    await this.api!.replace(workload);
    const dot = `${object.metadata.name}.${ns}`;
    const misbehaviour = Object.entries(behaviour)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    this.options.log({
      time: new Date(this.options.clock.now()).toISOString(),
      level: 'info',
      context: this.context,
      canary: dot,
      message: `${this.options.user} released ${image} to ${target.kind.toLowerCase()}/${target.name}.${ns}${misbehaviour ? ` (${misbehaviour})` : ''}`,
      actor: this.options.user,
    });
    return { image };
  }

  // ---------------------------------------------------------------------------------------

  private requireWritable(action: string): void {
    if (this.state.mode === 'offline')
      throw new ApiError('unavailable', `${this.context} is not connected`);
    if (this.state.mode === 'standby' || this.state.mode === 'observing')
      throw new ApiError('forbidden', `cannot ${action}: ${this.notControllingReason()}`);
  }

  private notControllingReason(): string {
    switch (this.state.mode) {
      case 'flagger':
        return `an in-cluster Flagger drives the canaries of ${this.context} (${this.flagger}); use Flagger's gates`;
      case 'standby':
        return `${this.state.holder ?? 'another Aviary'} controls ${this.context} (it holds the cluster's Lease)`;
      case 'observing':
        return `${this.context} is observed only: turn control on for this cluster to act on its canaries`;
      case 'offline':
        return `${this.context} is not connected`;
      default:
        return `${this.context} is not ready yet`;
    }
  }

  private controllerOf(): CanarySummary['controller'] {
    if (this.state.mode === 'flagger') return 'flagger';
    if (this.state.mode === 'controlling') return 'aviary';
    return 'observed';
  }

  private summary(object: KubeObject): CanarySummary {
    const key = canaryKey(
      this.context,
      object.metadata.namespace ?? 'default',
      object.metadata.name,
    );
    return summarize(this.context, object, this.controllerOf(), this.messages.get(key));
  }

  private setControl(next: ClusterControl): void {
    const changed = JSON.stringify(next) !== JSON.stringify(this.state);
    const controllerChanged =
      this.controllerOf() !==
      (next.mode === 'flagger' ? 'flagger' : next.mode === 'controlling' ? 'aviary' : 'observed');
    this.state = next;
    if (changed) this.options.emit({ type: 'control', control: next });
    if (controllerChanged) for (const object of this.objects.values()) this.emitCanary(object);
  }

  private emitCanary(object: KubeObject): void {
    const summary = this.summary(object);
    this.options.emit({ type: 'canary', key: summary.key, summary });
  }

  private onCanaryEvent(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: KubeObject): void {
    const key = canaryKey(
      this.context,
      object.metadata.namespace ?? 'default',
      object.metadata.name,
    );
    if (this.state.mode === 'offline') void this.reconcileControl();
    if (type === 'DELETED') {
      this.objects.delete(key);
      this.points.delete(key);
      this.messages.delete(key);
      this.options.emit({ type: 'canary', key, summary: undefined });
      return;
    }
    const previous = this.objects.get(key);
    this.objects.set(key, object);
    this.emitCanary(object);
    // Canaries driven elsewhere still get a weight history, from their status changes.
    if (this.state.mode !== 'controlling') {
      const before = previous?.status as { phase?: string; canaryWeight?: number } | undefined;
      const after = object.status as { phase?: string; canaryWeight?: number } | undefined;
      if (after && (before?.phase !== after.phase || before?.canaryWeight !== after.canaryWeight)) {
        const weight = after.canaryWeight ?? 0;
        this.addPoint(key, {
          time: new Date(this.options.clock.now()).toISOString(),
          phase: this.summary(object).phase,
          canaryWeight: weight,
          primaryWeight: 100 - weight,
          checks: [],
        });
      }
    }
  }

  private addPoint(key: string, point: CanaryPoint): void {
    const list = this.points.get(key) ?? [];
    list.push(point);
    if (list.length > MAX_POINTS) list.splice(0, list.length - MAX_POINTS);
    this.points.set(key, list);
    this.options.emit({ type: 'point', key, point });
  }

  private onTick(engineKey: string, observation: TickObservation): void {
    const dot = engineKey.indexOf('.');
    const key = canaryKey(this.context, engineKey.slice(dot + 1), engineKey.slice(0, dot));
    this.recordMetrics(key, observation);
    const marker = markerOf(observation.events.map((e) => e.message));
    const message =
      observation.halted ?? observation.events.findLast((e) => e.type === 'Warning')?.message;
    // The reason shown in the fleet is this tick's; a Failed canary keeps why it failed.
    if (message) this.messages.set(key, message);
    else if (observation.phase !== 'Failed') this.messages.delete(key);
    if (!observation.found) return;
    const idle = !marker && observation.samples.length === 0 && observation.events.length === 0;
    if (
      idle &&
      (observation.phase === 'Succeeded' ||
        observation.phase === 'Initialized' ||
        observation.phase === 'Failed')
    )
      return;
    this.addPoint(key, {
      time: new Date(this.options.clock.now()).toISOString(),
      phase: observation.phase === '' ? 'Unknown' : observation.phase,
      canaryWeight: observation.canaryWeight,
      primaryWeight: observation.primaryWeight,
      checks: observation.samples.map((s) => ({
        metric: s.metric,
        ...(s.value !== undefined ? { value: s.value } : {}),
        ...(s.min !== undefined ? { min: s.min } : {}),
        ...(s.max !== undefined ? { max: s.max } : {}),
        passed: s.passed,
      })),
      ...(marker ? { marker } : {}),
      ...(message ? { message } : {}),
    });
  }

  /** Decides who drives this cluster's canaries, and starts or stops the engine to match. */
  private async reconcileControl(): Promise<void> {
    if (this.stopped || !this.api) return;
    const api = this.api;
    if (!this.options.control) {
      await this.stopControlling();
      this.setControl({ context: this.context, mode: 'observing' });
      return;
    }
    try {
      const flagger = await detectInClusterFlagger(api);
      this.flagger = flagger.present ? flagger.where : undefined;
    } catch (err) {
      this.setControl({ context: this.context, mode: 'offline', message: (err as Error).message });
      this.scheduleRecheck();
      return;
    }
    if (this.flagger) {
      await this.stopControlling();
      this.setControl({
        context: this.context,
        mode: 'flagger',
        message: `Flagger runs in ${this.flagger}`,
      });
      this.scheduleRecheck();
      return;
    }
    if (!this.lease) {
      const lease = new ClusterLease({
        api,
        clock: this.options.clock,
        identity: this.options.identity,
      });
      this.lease = lease;
      lease.onChange((state) => {
        if (this.stopped || !this.options.control) return;
        if (state.role === 'leader') {
          this.startEngine();
          this.setControl({ context: this.context, mode: 'controlling', holder: lease.identity });
        } else {
          this.stopEngine();
          this.setControl({
            context: this.context,
            mode: state.role === 'follower' ? 'standby' : 'offline',
            ...(state.holder ? { holder: state.holder } : {}),
          });
        }
      });
      lease.start();
    }
    this.scheduleRecheck();
  }

  /** A Flagger installed later, or an unreachable cluster coming back, is noticed within a minute. */
  private scheduleRecheck(): void {
    this.options.clock.clearTimeout(this.recheck);
    this.recheck = this.options.clock.setTimeout(
      () => void this.reconcileControl(),
      FLAGGER_RECHECK_MS,
    );
  }

  private async stopControlling(): Promise<void> {
    this.stopEngine();
    const lease = this.lease;
    this.lease = undefined;
    await lease?.stop({ release: true }).catch(() => undefined);
  }

  /**
   * Whoever drives the cluster now exports its metrics: this desktop's series for it go
   * (a Flagger restart resets its counters the same way).
   */
  private stopEngine(): void {
    if (!this.engine) return;
    this.engine.stop();
    this.engine = undefined;
    this.options.recorder?.forgetCluster(this.context);
  }

  /** Flagger's recorder calls for one tick (scheduler.go: SetStatus, SetWeight, ...). */
  private recordMetrics(key: string, observation: TickObservation): void {
    const recorder = this.options.recorder;
    const object = this.objects.get(key);
    if (!recorder || !object || !observation.found) return;
    const parsed = parseCanary(object);
    if ('errors' in parsed) return;
    const canary = parsed.canary;
    const namespace = object.metadata.namespace ?? 'default';
    const c = { cluster: this.context, namespace, target: canary.spec.targetRef.name };
    let total = 0;
    for (const o of this.objects.values())
      if ((o.metadata.namespace ?? 'default') === namespace) total++;
    recorder.setTotal(this.context, namespace, total);
    recorder.setStatus(c, observation.phase);
    recorder.setWeight(c, observation.primaryWeight, observation.canaryWeight);
    // An idle tick of a settled canary is not an analysis run.
    const settled = ['Initialized', 'Succeeded', 'Failed'].includes(observation.phase);
    if (observation.durationMs !== undefined && (!settled || observation.events.length > 0))
      recorder.setDuration(c, observation.durationMs / 1000);
    const builtin = new Set(
      (canary.spec.analysis?.metrics ?? []).filter((m) => !m.templateRef).map((m) => m.name),
    );
    for (const sample of observation.samples) {
      if (sample.value === undefined) continue;
      // Flagger records the builtin duration check in seconds (val.Seconds()).
      const seconds = sample.metric === 'request-duration' && builtin.has(sample.metric);
      recorder.setAnalysis(c, sample.metric, seconds ? sample.value / 1000 : sample.value);
    }
    const outcome = observation.outcome;
    if (outcome?.result === 'succeeded')
      recorder.incSuccesses(c, deploymentStrategy(canary), outcome.status);
    else if (outcome?.result === 'failed')
      recorder.incFailures(c, deploymentStrategy(canary), outcome.status);
  }

  private startEngine(): void {
    if (this.engine || !this.api) return;
    const { clock, context } = this.options;
    const ports = clusterPorts({
      api: this.api,
      context,
      clock,
      ...(this.options.metricsServer ? { metricsServer: this.options.metricsServer } : {}),
      ...(this.options.meshProvider ? { meshProvider: this.options.meshProvider } : {}),
      ...(this.options.globalNotifier ? { globalNotifier: this.options.globalNotifier } : {}),
      ...(this.options.metricsServerToken
        ? { metricsServerToken: this.options.metricsServerToken }
        : {}),
      log: (record) =>
        this.options.log({
          time: record.time,
          level: record.level,
          context,
          canary: record.canary,
          message: record.message,
        }),
      onAlert: (alert) => {
        const dot = alert.canary.indexOf('.');
        const key = canaryKey(context, alert.canary.slice(dot + 1), alert.canary.slice(0, dot));
        this.options.emit({
          type: 'alert',
          key,
          severity: alert.severity,
          title: `${alert.canary} on ${context}`,
          message: alert.message,
        });
      },
    });
    this.engine = new CanaryEngine({
      ports,
      clock,
      clusterName: context,
      locks: this.canaryLocks,
      user: this.options.user,
      ...(this.options.jitter ? { jitter: this.options.jitter } : {}),
      ...(this.options.onTickStart ? { onTickStart: this.options.onTickStart } : {}),
      ...(this.options.meshProvider ? { meshProvider: this.options.meshProvider } : {}),
      log: (record) =>
        this.options.log({
          time: new Date(record.time).toISOString(),
          level: record.level,
          context,
          ...(record.canary ? { canary: record.canary } : {}),
          message: record.message,
          ...(record.user ? { actor: record.user } : {}),
        }),
      onTick: (key, observation) => this.onTick(key, observation),
    });
    this.engine.start();
  }
}

/** The chart marker of a tick, from the events it recorded (the strongest wins). */
export function markerOf(messages: string[]): CanaryPoint['marker'] {
  const has = (re: RegExp): boolean => messages.some((m) => re.test(m));
  if (has(/^(Rolling back|Canary failed!)/)) return 'rollback';
  if (has(/^(Promotion completed|Copying )/)) return 'promotion';
  if (has(/^Halt /)) return 'halt';
  if (has(/^Advance /)) return 'step';
  if (has(/^Starting canary analysis/)) return 'start';
  return undefined;
}
