/**
 * In-memory fakes of every engine port, for the scheduler and engine tests. A `Crash` shared by
 * all of them simulates the process dying at the N-th write: that write throws and so does
 * every later call, until `revive()` (a fresh engine from what the cluster stored).
 */
import { hasSpecChanged, type Canary, type CanaryWebhook } from '../../src/core/canary';
import {
  KubeApiError,
  type KubeApi,
  type KubeObject,
  type ObjectRef,
  type WatchEventType,
} from '../../src/core/kube/api';
import {
  ReadinessError,
  type AnalysisResult,
  type ClusterPorts,
  type HookPhase,
  type Routes,
} from '../../src/core/controller/ports';

export class Killed extends Error {
  constructor() {
    super('killed');
  }
}

export class Crash {
  writes = 0;
  at = Infinity;
  dead = false;
  /** Before each call: throws when dead. */
  check(): void {
    if (this.dead) throw new Killed();
  }
  /** Before each write: counts it, and dies at `at`. */
  write(): void {
    this.check();
    this.writes++;
    if (this.writes === this.at) {
      this.dead = true;
      throw new Killed();
    }
  }
  revive(): void {
    this.dead = false;
    this.at = Infinity;
  }
}

type Handler = (type: WatchEventType, object: KubeObject) => void;

const keyOf = (kind: string, namespace: string | undefined, name: string) =>
  `${kind}/${namespace ?? ''}/${name}`;

function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** A KubeApi holding objects with resourceVersions and /status semantics. */
export class FakeKube implements KubeApi {
  readonly context = 'fake';
  readonly objects = new Map<string, KubeObject>();
  private rv = 1;
  private handlers = new Set<{
    kind: string;
    handler: Handler;
    onError?: (err: Error) => void;
  }>();
  reads = 0;
  statusWrites = 0;
  /** Makes the next replaceStatus calls fail with a Conflict (another writer). */
  conflicts = 0;

  constructor(private readonly crash: Crash) {}

  put(object: KubeObject): KubeObject {
    const key = keyOf(object.kind, object.metadata.namespace, object.metadata.name);
    const existed = this.objects.has(key);
    const stored = structuredClone({
      ...object,
      metadata: { ...object.metadata, resourceVersion: String(this.rv++) },
    });
    this.objects.set(key, stored);
    this.emit(existed ? 'MODIFIED' : 'ADDED', stored);
    return structuredClone(stored);
  }

  remove(kind: string, namespace: string, name: string): void {
    const key = keyOf(kind, namespace, name);
    const object = this.objects.get(key);
    if (!object) return;
    this.objects.delete(key);
    this.emit('DELETED', object);
  }

  canary(name = 'podinfo', namespace = 'test'): KubeObject {
    const o = this.objects.get(keyOf('Canary', namespace, name));
    if (!o) throw new Error('no canary');
    return structuredClone(o);
  }

  private emit(type: WatchEventType, object: KubeObject): void {
    for (const h of this.handlers)
      if (h.kind === object.kind) h.handler(type, structuredClone(object));
  }

  async get<T extends KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    this.crash.check();
    this.reads++;
    const o = this.objects.get(keyOf(ref.kind, ref.namespace, ref.name));
    return o ? (structuredClone(o) as T) : undefined;
  }
  async list<T extends KubeObject>(_v: string, kind: string): Promise<T[]> {
    this.crash.check();
    return [...this.objects.values()].filter((o) => o.kind === kind) as T[];
  }
  async create<T extends KubeObject>(object: T): Promise<T> {
    this.crash.write();
    return this.put(object) as T;
  }
  async replace<T extends KubeObject>(object: T): Promise<T> {
    this.crash.write();
    return this.put(object) as T;
  }
  async replaceStatus<T extends KubeObject>(object: T): Promise<T> {
    this.crash.write();
    const key = keyOf(object.kind, object.metadata.namespace, object.metadata.name);
    const current = this.objects.get(key);
    if (!current) throw new KubeApiError(404, 'NotFound', 'not found');
    if (this.conflicts > 0) {
      this.conflicts--;
      // Someone else wrote in between.
      this.put({ ...current });
      throw new KubeApiError(409, 'Conflict', 'the object has been modified');
    }
    const now = this.objects.get(key) as KubeObject;
    if (
      object.metadata.resourceVersion &&
      object.metadata.resourceVersion !== now.metadata.resourceVersion
    )
      throw new KubeApiError(409, 'Conflict', 'the object has been modified');
    this.statusWrites++;
    // Only the status changes; spec and metadata stay as stored.
    return this.put({ ...now, status: structuredClone(object.status) }) as T;
  }
  async mergePatch<T extends KubeObject>(ref: ObjectRef, patch: unknown): Promise<T> {
    this.crash.write();
    const current = this.objects.get(keyOf(ref.kind, ref.namespace, ref.name));
    if (!current) throw new KubeApiError(404, 'NotFound', 'not found');
    const rv = (patch as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
    if (rv && rv !== current.metadata.resourceVersion)
      throw new KubeApiError(409, 'Conflict', 'the object has been modified');
    return this.put(mergePatch(current, patch) as KubeObject) as T;
  }
  async delete(ref: ObjectRef): Promise<void> {
    this.remove(ref.kind, ref.namespace ?? '', ref.name);
  }
  async serviceProxy(): Promise<never> {
    throw new Error('not in the fake');
  }
  /** Every watch reports an error (a dropped stream), as the real one's onError. */
  failWatches(err: Error): void {
    for (const h of this.handlers) h.onError?.(err);
  }

  watch(
    _apiVersion: string,
    kind: string,
    _ns: string | undefined,
    handler: Handler,
    options?: { onError?: (err: Error) => void },
  ): () => void {
    const entry = { kind, handler, onError: options?.onError };
    this.handlers.add(entry);
    for (const o of this.objects.values())
      if (o.kind === kind) handler('ADDED', structuredClone(o));
    return () => this.handlers.delete(entry);
  }
}

/** The target Deployment and its primary, reduced to what the scheduler sees. */
export class FakeWorkload {
  target = 'rev-1';
  primary: string | undefined;
  canaryReplicas = 1;
  primaryCreated = false;
  primaryReady: () => void = () => undefined;
  canaryReady: () => void = () => undefined;
  calls: string[] = [];
  delay?: (cd: Canary) => Promise<void>;
  /** What revision() reports as status.trackedConfigs. */
  trackedConfigs: Record<string, string> = {};
  /** What haveDependenciesChanged answers. */
  dependenciesChanged = false;

  constructor(private readonly crash: Crash) {}

  ports(): ClusterPorts['workload'] {
    const w = (name: string, write = false) => {
      if (write) this.crash.write();
      else this.crash.check();
      this.calls.push(name);
    };
    return (() => ({
      getMetadata: async (cd: Canary) => {
        w('getMetadata');
        await this.delay?.(cd);
        return { labelSelector: 'app', labelValue: 'podinfo', ports: { http: 9898 } };
      },
      initialize: async () => {
        if (!this.primaryCreated) {
          w('initialize', true);
          this.primaryCreated = true;
          this.primary = this.target;
        } else w('initialize');
      },
      promote: async () => {
        w('promote', true);
        this.primary = this.target;
      },
      revision: async () => {
        w('revision');
        return { hash: this.target, trackedConfigs: { ...this.trackedConfigs } };
      },
      hasTargetChanged: async (cd: Canary) => {
        w('hasTargetChanged');
        return hasSpecChanged(cd.status, this.target);
      },
      haveDependenciesChanged: async () => {
        w('haveDependenciesChanged');
        return this.dependenciesChanged;
      },
      isPrimaryReady: async () => {
        w('isPrimaryReady');
        this.primaryReady();
      },
      isCanaryReady: async () => {
        w('isCanaryReady');
        this.canaryReady();
      },
      scaleToZero: async () => {
        w('scaleToZero', true);
        this.canaryReplicas = 0;
      },
      scaleFromZero: async () => {
        w('scaleFromZero', true);
        this.canaryReplicas = 1;
      },
      finalize: async () => {
        w('finalize', true);
      },
    })) as ClusterPorts['workload'];
  }
}

export type HookScript = (phase: HookPhase) => void;

export interface Recorded {
  type: 'info' | 'warning' | 'error';
  message: string;
  phase: string;
}

/** All ports of one fake cluster. */
export class FakeCluster {
  readonly crash = new Crash();
  readonly kube = new FakeKube(this.crash);
  readonly workload = new FakeWorkload(this.crash);
  routes: Routes = { primaryWeight: 100, canaryWeight: 0, mirrored: false };
  routeHistory: Routes[] = [];
  events: Recorded[] = [];
  alerts: { message: string; metadata: boolean; severity: string }[] = [];
  hookCalls: { name: string; phase: HookPhase }[] = [];
  hooks = new Map<string, HookScript>();
  /** Scripted analysis: default passes with a success rate of 99.5. */
  analysis: (cd: Canary) => AnalysisResult = () => ({
    passed: true,
    samples: [{ metric: 'request-success-rate', value: 99.5, min: 99, passed: true }],
  });

  ports(): ClusterPorts {
    const crash = this.crash;
    const record = (type: Recorded['type']) => async (cd: Canary, message: string) => {
      crash.check();
      this.events.push({ type, message, phase: cd.status?.phase ?? '' });
    };
    const router = {
      reconcile: async () => crash.check(),
      setRoutes: async (_cd: Canary, routes: Routes) => {
        crash.write();
        this.routes = { ...routes };
        this.routeHistory.push({ ...routes });
      },
      getRoutes: async () => {
        crash.check();
        return { ...this.routes };
      },
      finalize: async () => crash.check(),
    };
    return {
      kube: this.kube,
      workload: this.workload.ports(),
      services: {
        initialize: async () => crash.check(),
        reconcile: async () => crash.check(),
        finalize: async () => crash.check(),
      },
      router: () => router,
      scaler: () => undefined,
      analysis: {
        runMetricChecks: async (cd, events) => {
          crash.check();
          const result = this.analysis(cd);
          for (const s of result.samples)
            if (!s.passed && s.message) await events.warning(cd, s.message);
          return result;
        },
        checkProviders: async () => {
          crash.check();
          return undefined;
        },
      },
      webhooks: {
        call: async (_cd: Canary, hook: CanaryWebhook, phase: HookPhase) => {
          crash.check();
          this.hookCalls.push({ name: hook.name, phase });
          this.hooks.get(hook.name)?.(phase);
        },
        callEventHooks: async () => undefined,
      },
      events: { info: record('info'), warning: record('warning'), error: record('error') },
      notifier: {
        alert: async (_cd, message, metadata, severity) => {
          crash.check();
          this.alerts.push({ message, metadata, severity });
        },
      },
    };
  }

  /** Publishes revision `rev` of the target: the workload and a Deployment watch event. */
  deployment(rev = this.workload.target, name = 'podinfo'): void {
    this.workload.target = rev;
    this.kube.put({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: 'test' },
      spec: { template: { metadata: { annotations: { revision: rev } } } },
    });
  }

  messages(): string[] {
    return this.events.map((e) => e.message);
  }

  status(name = 'podinfo'): Record<string, unknown> {
    return (this.kube.canary(name).status ?? {}) as Record<string, unknown>;
  }
}

export const gate =
  (open: () => boolean): HookScript =>
  () => {
    if (!open()) throw new Error('Forbidden');
  };

export const notReady = (message: string, retriable: boolean) => () => {
  throw new ReadinessError(message, retriable);
};

/** A podinfo Canary (flagger.app/v1beta1) with an analysis overridable per test. */
export function podinfoCanary(
  analysis: Record<string, unknown> = {},
  spec: Record<string, unknown> = {},
  name = 'podinfo',
): KubeObject {
  return {
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    metadata: { name, namespace: 'test' },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      service: { port: 9898 },
      analysis: {
        interval: '1m',
        threshold: 2,
        maxWeight: 30,
        stepWeight: 10,
        metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1m' }],
        ...analysis,
      },
      ...spec,
    },
  };
}
