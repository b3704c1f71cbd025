/**
 * The fleet: every context's ClusterRuntime, kept in step with the kubeconfig contexts,
 * and the views the API serves across them (canaries, series, the log). Events to the UI
 * are coalesced so a burst of watch updates becomes one message per 50 ms.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type {
  ApiEvent,
  CanaryAction,
  CanaryDetail,
  CanaryPoint,
  CanarySummary,
  ClusterControl,
  ContextInfo,
  LogRecord,
} from '../../shared/api';
import { ApiError } from '../../shared/api';
import { systemClock, type Clock } from '../../shared/clock';
import type { FlaggerMetrics } from '../controller/recorder';
import {
  ClusterRuntime,
  type ClusterRuntimeOptions,
  type RuntimeEvent,
  type RuntimeLogRecord,
} from './cluster-runtime';
import { splitCanaryKey } from './summary';

export interface FleetContextSource {
  contexts(): ContextInfo[];
  kubeConfigFor(context: string): KubeConfig | undefined;
}

export interface FleetOptions {
  source: FleetContextSource;
  /** Whether Aviary drives this context's canaries (playground contexts default to yes). */
  controlEnabled: (context: ContextInfo) => boolean;
  identity: string;
  user: string;
  emit: (event: ApiEvent) => void;
  clock?: Clock;
  /** Where log lines also go (the CLI prints them). */
  onLog?: (record: LogRecord) => void;
  metricsServer?: string;
  meshProvider?: string;
  /** The global notifier for canaries without alerts (the user's personal webhook). */
  globalNotifier?: ClusterRuntimeOptions['globalNotifier'];
  metricsServerToken?: ClusterRuntimeOptions['metricsServerToken'];
  jitter?: () => number;
  /** Benchmark hook: CanaryEngineOptions.onTickStart, for every cluster's engine. */
  onTickStart?: (key: string, scheduledAt: number, startedAt: number) => void;
  /** Log lines kept for the UI. */
  logCapacity?: number;
  /** Flagger's own metrics, recorded by every cluster's engine. */
  recorder?: FlaggerMetrics;
}

const FLUSH_MS = 50;

export class Fleet {
  private readonly runtimes = new Map<string, { runtime: ClusterRuntime; fingerprint: string }>();
  private readonly log: LogRecord[] = [];
  private seq = 0;
  private readonly clock: Clock;
  private pendingCanaries = new Map<string, CanarySummary | undefined>();
  private pendingLog: LogRecord[] = [];
  private pendingControl = false;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(private readonly options: FleetOptions) {
    this.clock = options.clock ?? systemClock;
  }

  /** Starts or stops runtimes to match the contexts that can be reached. */
  sync(): void {
    if (this.stopped) return;
    const contexts = this.options.source.contexts();
    const wanted = new Set<string>();
    for (const context of contexts) {
      if (context.connection.state !== 'connected') continue;
      const kc = this.options.source.kubeConfigFor(context.id);
      if (!kc) continue;
      wanted.add(context.id);
      // A context whose server or user changed gets a fresh client.
      const fingerprint = JSON.stringify([context.server, context.user, context.cluster]);
      const existing = this.runtimes.get(context.id);
      if (existing && existing.fingerprint === fingerprint) continue;
      if (existing) void this.stopRuntime(context.id);
      const runtime = new ClusterRuntime({
        context: context.id,
        kubeConfig: kc,
        clock: this.clock,
        control: this.options.controlEnabled(context),
        playground: context.playground,
        identity: this.options.identity,
        user: this.options.user,
        log: (record) => this.append(record),
        emit: (event) => this.onRuntimeEvent(event),
        ...(this.options.metricsServer ? { metricsServer: this.options.metricsServer } : {}),
        ...(this.options.meshProvider ? { meshProvider: this.options.meshProvider } : {}),
        ...(this.options.globalNotifier ? { globalNotifier: this.options.globalNotifier } : {}),
        ...(this.options.metricsServerToken
          ? { metricsServerToken: this.options.metricsServerToken }
          : {}),
        ...(this.options.jitter ? { jitter: this.options.jitter } : {}),
        ...(this.options.onTickStart ? { onTickStart: this.options.onTickStart } : {}),
        ...(this.options.recorder ? { recorder: this.options.recorder } : {}),
      });
      this.runtimes.set(context.id, { runtime, fingerprint });
      runtime.start();
    }
    for (const context of [...this.runtimes.keys()]) {
      if (!wanted.has(context)) void this.stopRuntime(context);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.flushTimer);
    await Promise.all([...this.runtimes.keys()].map((c) => this.stopRuntime(c)));
  }

  clusters(): ClusterControl[] {
    return [...this.runtimes.values()].map((r) => r.runtime.control());
  }

  canaries(): CanarySummary[] {
    return [...this.runtimes.values()]
      .flatMap((r) => r.runtime.canaries())
      .sort((a, b) => a.key.localeCompare(b.key));
  }

  series(key: string): CanaryPoint[] {
    return this.runtimeFor(key).series(key);
  }

  detail(key: string): Promise<CanaryDetail> {
    return this.runtimeFor(key).detail(key);
  }

  generatedObjectYaml(key: string, kind: string, name: string): Promise<{ yaml: string }> {
    return this.runtimeFor(key).generatedObjectYaml(key, kind, name);
  }

  async action(key: string, action: CanaryAction, force = false): Promise<CanarySummary> {
    return this.runtimeFor(key).action(key, action, force);
  }

  release(
    key: string,
    behaviour: { errorRate?: number; latencyMs?: number },
  ): Promise<{ image: string }> {
    return this.runtimeFor(key).release(key, behaviour);
  }

  async setControl(context: string, enabled: boolean): Promise<void> {
    const entry = this.runtimes.get(context);
    if (!entry) throw new ApiError('unavailable', `${context} is not connected`);
    await entry.runtime.setControlEnabled(enabled);
  }

  tail(after?: number, limit = 1000): LogRecord[] {
    const records = after === undefined ? this.log : this.log.filter((r) => r.seq > after);
    return records.slice(-limit);
  }

  private runtimeFor(key: string): ClusterRuntime {
    const { context } = splitCanaryKey(key);
    const entry = this.runtimes.get(context);
    if (!entry)
      throw new ApiError('not-found', `no connected context ${context} for canary ${key}`);
    return entry.runtime;
  }

  private async stopRuntime(context: string): Promise<void> {
    const entry = this.runtimes.get(context);
    if (!entry) return;
    this.runtimes.delete(context);
    this.options.recorder?.forgetCluster(context);
    for (const summary of entry.runtime.canaries())
      this.pendingCanaries.set(summary.key, undefined);
    this.pendingControl = true;
    this.scheduleFlush();
    await entry.runtime.stop();
  }

  private append(record: RuntimeLogRecord): void {
    const full: LogRecord = { seq: ++this.seq, ...record };
    this.log.push(full);
    const capacity = this.options.logCapacity ?? 10_000;
    if (this.log.length > capacity) this.log.splice(0, this.log.length - capacity);
    this.options.onLog?.(full);
    this.pendingLog.push(full);
    this.scheduleFlush();
  }

  private onRuntimeEvent(event: RuntimeEvent): void {
    switch (event.type) {
      case 'canary':
        this.pendingCanaries.set(event.key, event.summary);
        this.scheduleFlush();
        return;
      case 'control':
        this.pendingControl = true;
        this.scheduleFlush();
        return;
      case 'point':
        // Points go out at once: the chart follows each tick.
        this.options.emit({ type: 'canaries.point', key: event.key, point: event.point });
        return;
      case 'alert':
        this.options.emit({
          type: 'alert',
          key: event.key,
          severity: event.severity,
          title: event.title,
          message: event.message,
        });
        return;
    }
  }

  private scheduleFlush(): void {
    if (this.flushTimer || this.stopped) return;
    this.flushTimer = setTimeout(() => this.flush(), FLUSH_MS);
    this.flushTimer.unref?.();
  }

  private flush(): void {
    this.flushTimer = undefined;
    if (this.pendingControl) {
      this.pendingControl = false;
      this.options.emit({ type: 'clusters.control', clusters: this.clusters() });
    }
    if (this.pendingCanaries.size) {
      const changed: CanarySummary[] = [];
      const removed: string[] = [];
      for (const [key, summary] of this.pendingCanaries) {
        if (summary) changed.push(summary);
        else removed.push(key);
      }
      this.pendingCanaries = new Map();
      this.options.emit({ type: 'canaries.changed', changed, removed });
    }
    if (this.pendingLog.length) {
      const records = this.pendingLog;
      this.pendingLog = [];
      this.options.emit({ type: 'log.appended', records });
    }
  }
}
