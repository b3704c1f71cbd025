/**
 * The ContextCatalog: every kubeconfig context the user has, merged as kubectl merges
 * them, each with a live connection state. It re-reads the files when they change on
 * disk and keeps probing each context (connected ones every 30 s, failing ones with
 * backoff), all timers on the injected clock. With a ManualClock, retries, file reloads
 * and change events therefore wait for advance(); only the probe's own I/O timeout runs
 * on real time.
 *
 * Nothing it hands out through snapshot() carries a credential; kubeConfigFor() is the
 * one door to credentials, for the engine only.
 */
import { existsSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ClusterConnection, ContextInfo, KubeconfigFileInfo } from '../../shared/api';
import { systemClock, type Clock, type TimerHandle } from '../../shared/clock';
import { probeVersion, type ProbeOutcome } from './connection';
import {
  buildKubeConfig,
  localFileProblem,
  resolveContext,
  secretsOf,
  type ResolvedContext,
} from './context-config';
import {
  kubeconfigSources,
  loadKubeconfigFile,
  mergeKubeconfigs,
  type KubeconfigSource,
  type MergedKubeconfig,
} from './kubeconfig-files';

export interface ContextCatalogOptions {
  /** --kubeconfig flag value(s); when set, kubectl ignores $KUBECONFIG and ~/.kube/config. */
  flagPaths?: string[];
  /** $KUBECONFIG (path-list, ':' on POSIX, ';' on Windows) and PATH for exec plugins. */
  env?: NodeJS.ProcessEnv;
  /** For ~/.kube/config. */
  homeDir?: string;
  /** Files added from the UI (origin 'added', removable). */
  addedPaths?: string[];
  /** The playground's kubeconfig (origin 'playground'; its contexts playground: true). */
  playgroundPaths?: string[];
  clock?: Clock;
  /** Default 5000. */
  probeTimeoutMs?: number;
  /** Default true. */
  watchFiles?: boolean;
}

export const RECHECK_CONNECTED_MS = 30_000;
export const RETRY_FIRST_MS = 2_000;
export const RETRY_MAX_MS = 60_000;
/** Editors write in several steps (temp file, rename, chmod): wait for the burst to end. */
const FILE_DEBOUNCE_MS = 100;
const CHANGE_COALESCE_MS = 50;

interface TrackedContext {
  resolved: ResolvedContext;
  isCurrent: boolean;
  playground: boolean;
  connection: ClusterConnection;
  /** Consecutive failed attempts, for the backoff. */
  failures: number;
  timer?: TimerHandle;
  /** Bumped whenever an in-flight probe's answer must be ignored. */
  generation: number;
  inFlight?: AbortController;
  /** Built once per effective config: client-node caches exec/OIDC tokens on it. */
  kubeConfig?: KubeConfig;
}

interface DirWatch {
  watcher?: FSWatcher;
  /** The entries of this directory that matter (a file, or the next missing folder). */
  names: Set<string>;
}

export class ContextCatalog {
  private readonly clock: Clock;
  private readonly env: NodeJS.ProcessEnv;
  private readonly probeTimeoutMs: number;
  private readonly watchFiles: boolean;
  private readonly flagPaths: string[];
  private readonly homeDir: string | undefined;
  private addedPaths: string[];
  private playgroundPaths: string[];

  private running = false;
  private merged: MergedKubeconfig | undefined;
  private contexts = new Map<string, TrackedContext>();
  private readonly listeners = new Set<() => void>();
  private reloadChain: Promise<void> = Promise.resolve();
  private reloadTimer: TimerHandle | undefined;
  private notifyTimer: TimerHandle | undefined;
  private lastEmitted = '';
  private readonly probes = new Set<Promise<void>>();
  private fileWatchers: FSWatcher[] = [];
  /** Directory watchers survive reloads so no event falls into a gap. */
  private readonly dirWatchers = new Map<string, DirWatch>();

  constructor(options: ContextCatalogOptions) {
    this.clock = options.clock ?? systemClock;
    this.env = options.env ?? process.env;
    this.probeTimeoutMs = options.probeTimeoutMs ?? 5000;
    this.watchFiles = options.watchFiles ?? true;
    this.flagPaths = [...(options.flagPaths ?? [])];
    this.homeDir = options.homeDir;
    this.addedPaths = [...(options.addedPaths ?? [])];
    this.playgroundPaths = [...(options.playgroundPaths ?? [])];
  }

  /** Loads the files and starts probing every context; resolves before the probes answer. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.reload();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.clock.clearTimeout(this.reloadTimer);
    this.clock.clearTimeout(this.notifyTimer);
    this.reloadTimer = this.notifyTimer = undefined;
    for (const tracked of this.contexts.values()) this.cancel(tracked);
    this.closeWatchers();
    await this.reloadChain;
    await Promise.allSettled([...this.probes]);
  }

  snapshot(): { files: KubeconfigFileInfo[]; contexts: ContextInfo[] } {
    const files = (this.merged?.files ?? []).map((f) => ({
      ...f,
      contextIds: [...f.contextIds],
      shadowed: [...f.shadowed],
    }));
    const contexts = [...this.contexts.values()].map((t) => toContextInfo(t));
    return { files, contexts };
  }

  /** Coalesced: a burst of changes gives one call, and only if the snapshot changed. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async setAddedPaths(paths: string[]): Promise<void> {
    this.addedPaths = [...paths];
    if (this.running) await this.reload();
  }

  async setPlaygroundPaths(paths: string[]): Promise<void> {
    this.playgroundPaths = [...paths];
    if (this.running) await this.reload();
  }

  /** Probes now, forgetting the backoff. Unknown names are ignored. */
  reconnect(context: string): void {
    const tracked = this.contexts.get(context);
    if (!tracked || !this.running) return;
    tracked.failures = 0;
    if (tracked.connection.state !== 'connected')
      this.setConnection(tracked, { state: 'connecting' });
    this.attempt(tracked);
  }

  /**
   * For the engine: a client-node KubeConfig holding only this context, or undefined
   * when the context is unknown or its config is invalid. The object is shared (it
   * carries client-node's token caches): use it, do not modify it.
   */
  kubeConfigFor(context: string): KubeConfig | undefined {
    const tracked = this.contexts.get(context);
    if (!tracked || tracked.resolved.problem || tracked.connection.state === 'invalid')
      return undefined;
    try {
      return this.kubeConfigOf(tracked);
    } catch {
      return undefined;
    }
  }

  // -------------------------------------------------------------------------------------
  // Loading

  /** Reloads are queued, so each caller sees a merge that includes its own change. */
  private reload(): Promise<void> {
    this.reloadChain = this.reloadChain.then(() => this.loadAndMerge()).catch(() => undefined);
    return this.reloadChain;
  }

  private sources(): KubeconfigSource[] {
    return kubeconfigSources({
      flagPaths: this.flagPaths,
      env: this.env,
      homeDir: this.homeDir,
      addedPaths: this.addedPaths,
      playgroundPaths: this.playgroundPaths,
    });
  }

  private async loadAndMerge(): Promise<void> {
    if (!this.running) return;
    const sources = this.sources();
    const loaded = await Promise.all(sources.map((s) => loadKubeconfigFile(s)));
    if (!this.running) return;
    const merged = mergeKubeconfigs(loaded);
    this.merged = merged;

    const next = new Map<string, TrackedContext>();
    const toProbe: TrackedContext[] = [];
    for (const name of merged.contexts.keys()) {
      const resolved = resolveContext(merged, name);
      if (!resolved) continue;
      const isCurrent = merged.currentContext === name;
      const playground = merged.origins.get(resolved.file) === 'playground';
      const existing = this.contexts.get(name);
      if (existing && existing.resolved.fingerprint === resolved.fingerprint) {
        // Same cluster, user and namespace: the connection is still what it was.
        Object.assign(existing, { resolved, isCurrent, playground });
        next.set(name, existing);
        continue;
      }
      if (existing) this.cancel(existing);
      const tracked: TrackedContext = {
        resolved,
        isCurrent,
        playground,
        connection: { state: 'connecting', since: this.nowIso() },
        failures: 0,
        generation: 0,
      };
      next.set(name, tracked);
      toProbe.push(tracked);
    }
    for (const [name, old] of this.contexts) if (!next.has(name)) this.cancel(old);
    this.contexts = next;
    if (this.watchFiles) this.rewatch(sources);
    for (const tracked of toProbe) this.attempt(tracked);
    this.notify();
  }

  // -------------------------------------------------------------------------------------
  // Probing

  private attempt(tracked: TrackedContext): void {
    this.cancel(tracked);
    if (!this.running) return;
    const generation = tracked.generation;
    const { resolved } = tracked;
    const problem = resolved.problem ?? localFileProblem(resolved, this.env);
    if (problem) {
      this.settle(tracked, { state: 'invalid', message: problem });
      return;
    }
    let kc: KubeConfig;
    try {
      kc = this.kubeConfigOf(tracked);
    } catch {
      this.settle(tracked, {
        state: 'invalid',
        message: `context "${resolved.name}" could not be configured`,
      });
      return;
    }
    const controller = new AbortController();
    tracked.inFlight = controller;
    const target = {
      server: resolved.server ?? '',
      userName: resolved.user?.name,
      execCommand: resolved.user?.exec?.command,
      secrets: secretsOf(resolved.user),
    };
    const probe = probeVersion(kc, target, {
      timeoutMs: this.probeTimeoutMs,
      signal: controller.signal,
    })
      .then((outcome) => {
        // A reload, reconnect or stop since the probe began makes its answer stale.
        if (
          !this.running ||
          tracked.generation !== generation ||
          this.contexts.get(resolved.name) !== tracked
        )
          return;
        tracked.inFlight = undefined;
        this.settle(tracked, outcome);
      })
      .catch(() => undefined)
      .finally(() => this.probes.delete(probe));
    this.probes.add(probe);
  }

  /** Stops the timer and any in-flight probe of a context. */
  private cancel(tracked: TrackedContext): void {
    tracked.generation++;
    this.clock.clearTimeout(tracked.timer);
    tracked.timer = undefined;
    tracked.inFlight?.abort();
    tracked.inFlight = undefined;
  }

  private settle(tracked: TrackedContext, outcome: ProbeOutcome): void {
    tracked.failures = outcome.state === 'connected' ? 0 : tracked.failures + 1;
    this.setConnection(tracked, outcome);
    const delay =
      outcome.state === 'connected'
        ? RECHECK_CONNECTED_MS
        : Math.min(RETRY_FIRST_MS * 2 ** (tracked.failures - 1), RETRY_MAX_MS);
    tracked.timer = this.clock.setTimeout(() => {
      tracked.timer = undefined;
      this.attempt(tracked);
    }, delay);
  }

  private setConnection(
    tracked: TrackedContext,
    next: ProbeOutcome | { state: 'connecting' },
  ): void {
    const previous = tracked.connection;
    const since = previous.state === next.state ? previous.since : this.nowIso();
    tracked.connection =
      next.state === 'connected'
        ? {
            state: 'connected',
            serverVersion: next.serverVersion,
            latencyMs: next.latencyMs,
            since,
          }
        : next.state === 'connecting'
          ? { state: 'connecting', since }
          : { state: next.state, message: next.message, since };
    this.notify();
  }

  private kubeConfigOf(tracked: TrackedContext): KubeConfig {
    tracked.kubeConfig ??= buildKubeConfig(tracked.resolved, this.env);
    return tracked.kubeConfig;
  }

  // -------------------------------------------------------------------------------------
  // Watching

  /**
   * Watches each file (in-place writes) and its directory (atomic replace by rename;
   * creation of a file that is missing now). For a missing directory the nearest
   * existing ancestor is watched, so creating ~/.kube/config later is noticed.
   */
  private rewatch(sources: KubeconfigSource[]): void {
    for (const w of this.fileWatchers) w.close();
    this.fileWatchers = [];
    const wanted = new Map<string, Set<string>>();
    for (const source of sources) {
      if (existsSync(source.path)) {
        const watcher = this.tryWatch(source.path, () => this.fileChanged());
        if (watcher) this.fileWatchers.push(watcher);
      }
      let dir = path.dirname(source.path);
      let child = path.basename(source.path);
      while (!existsSync(dir) && path.dirname(dir) !== dir) {
        child = path.basename(dir);
        dir = path.dirname(dir);
      }
      const names = wanted.get(dir) ?? new Set<string>();
      names.add(child);
      wanted.set(dir, names);
    }
    for (const [dir, entry] of this.dirWatchers) {
      if (!wanted.has(dir)) {
        entry.watcher?.close();
        this.dirWatchers.delete(dir);
      }
    }
    for (const [dir, names] of wanted) {
      const existing = this.dirWatchers.get(dir);
      if (existing) {
        existing.names = names;
        continue;
      }
      // The callback reads entry.names, which later reloads update in place.
      const entry: DirWatch = { names };
      entry.watcher = this.tryWatch(dir, (filename) => {
        if (filename === null || entry.names.has(filename)) this.fileChanged();
      });
      if (entry.watcher) this.dirWatchers.set(dir, entry);
    }
  }

  private tryWatch(
    target: string,
    onEvent: (filename: string | null) => void,
  ): FSWatcher | undefined {
    try {
      const watcher = watch(target, { persistent: false }, (_event, filename) => {
        onEvent(filename === null ? null : filename.toString());
      });
      // A watched file or directory that disappears reports an error; the directory
      // watcher (or the next reload) picks it up again.
      watcher.on('error', () => watcher.close());
      return watcher;
    } catch {
      return undefined;
    }
  }

  private closeWatchers(): void {
    for (const w of this.fileWatchers) w.close();
    this.fileWatchers = [];
    for (const { watcher } of this.dirWatchers.values()) watcher?.close();
    this.dirWatchers.clear();
  }

  private fileChanged(): void {
    if (!this.running) return;
    this.clock.clearTimeout(this.reloadTimer);
    this.reloadTimer = this.clock.setTimeout(() => {
      this.reloadTimer = undefined;
      void this.reload();
    }, FILE_DEBOUNCE_MS);
  }

  // -------------------------------------------------------------------------------------
  // Change events

  private notify(): void {
    if (this.notifyTimer || this.listeners.size === 0 || !this.running) return;
    this.notifyTimer = this.clock.setTimeout(() => {
      this.notifyTimer = undefined;
      const json = JSON.stringify(this.snapshot());
      if (json === this.lastEmitted) return;
      this.lastEmitted = json;
      for (const listener of [...this.listeners]) {
        try {
          listener();
        } catch {
          // One failing listener must not starve the others.
        }
      }
    }, CHANGE_COALESCE_MS);
  }

  private nowIso(): string {
    return new Date(this.clock.now()).toISOString();
  }
}

function toContextInfo(tracked: TrackedContext): ContextInfo {
  const { resolved } = tracked;
  return {
    id: resolved.name,
    name: resolved.name,
    file: resolved.file,
    cluster: resolved.context.cluster || undefined,
    server: resolved.server,
    user: resolved.context.user || undefined,
    namespace: resolved.namespace,
    authKind: resolved.authKind,
    isKubeconfigCurrent: tracked.isCurrent,
    playground: tracked.playground,
    connection: { ...tracked.connection },
  };
}
