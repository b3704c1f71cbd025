/**
 * What the whole UI reads: the transport's state, the app info and the contexts snapshot,
 * plus the actions that change them. Components get plain data and callbacks from here.
 */
import { SvelteSet } from 'svelte/reactivity';
import type {
  ApiEvent,
  AppInfo,
  CanarySummary,
  ClusterControl,
  ContextInfo,
  ContextsSnapshot,
  MethodArgs,
  MethodName,
  MethodResults,
} from '../../../shared/api';
import type { Transport, TransportState } from './api';
import { FrameCoalescer, nextFrame, type Schedule } from './frames';

/** A canaries.changed event, or undefined for a full reload of the list. */
export type CanariesChange = Extract<ApiEvent, { type: 'canaries.changed' }> | undefined;

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class Session {
  transportState = $state<TransportState>('connecting');
  info = $state.raw<AppInfo | undefined>();
  snapshot = $state.raw<ContextsSnapshot | undefined>();
  /** The last failed action, shown until dismissed or the next action succeeds. */
  error = $state<string | undefined>();
  /** Contexts with a reconnect request in flight. */
  readonly reconnecting = new SvelteSet<string>();
  // Every canary of every connected cluster, by key: a plain map behind one version signal,
  // bumped at most once per frame. A SvelteMap would make each of a thousand set() calls of
  // one event a signal write of its own, and each message of a burst a Svelte flush.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- plain on purpose (see above)
  readonly #canaries = new Map<string, CanarySummary>();
  #canariesVersion = $state(0);
  readonly #canariesPublish: FrameCoalescer;
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- callbacks, not state
  readonly #canaryListeners = new Set<(change: CanariesChange) => void>();
  /** How Aviary relates to each connected cluster. */
  control = $state.raw<ClusterControl[]>([]);

  selected: ContextInfo | undefined = $derived(
    this.snapshot?.contexts.find((c) => c.id === this.snapshot?.selectedContext),
  );

  readonly #transport: Transport;

  constructor(transport: Transport, schedule: Schedule = nextFrame) {
    this.#transport = transport;
    this.transportState = transport.state;
    this.#canariesPublish = new FrameCoalescer(() => this.#canariesVersion++, schedule);
  }

  /**
   * Every canary of every connected cluster, by key. Reading it in a reactive context
   * tracks the whole map, which is republished at most once per animation frame.
   */
  get canaries(): ReadonlyMap<string, CanarySummary> {
    void this.#canariesVersion;
    return this.#canaries;
  }

  /**
   * Calls `listener` right after each change to `canaries` (the event, or undefined for a
   * full reload), before any reactive reader sees it: for stores that keep their own view.
   */
  onCanariesChanged(listener: (change: CanariesChange) => void): () => void {
    this.#canaryListeners.add(listener);
    return () => this.#canaryListeners.delete(listener);
  }

  #canariesChanged(change: CanariesChange): void {
    this.#canariesPublish.mark();
    for (const listener of this.#canaryListeners) listener(change);
  }

  get mode(): 'electron' | 'web' {
    return this.#transport.mode;
  }

  /** The engine's raw event stream, for stores that keep their own view of it. */
  subscribe(listener: (event: ApiEvent) => void): () => void {
    return this.#transport.api.subscribe(listener);
  }

  /** One request of the contract, for views that load their own data (the canary detail). */
  invoke<M extends MethodName>(method: M, args: MethodArgs<M>): Promise<MethodResults[M]> {
    return this.#transport.api.invoke(method, args);
  }

  /** Subscribes and loads; returns the function that stops listening. */
  start(): () => void {
    const offEvents = this.#transport.api.subscribe((event) => {
      switch (event.type) {
        case 'contexts.changed':
          this.snapshot = event.snapshot;
          break;
        case 'clusters.control':
          this.control = event.clusters;
          break;
        case 'canaries.changed':
          for (const key of event.removed) this.#canaries.delete(key);
          for (const summary of event.changed) this.#canaries.set(summary.key, summary);
          this.#canariesChanged(event);
          break;
      }
    });
    const offState = this.#transport.onStateChange((state) => {
      this.transportState = state;
      // Events sent while we were away are lost: read the current truth again.
      if (state === 'open') void this.refresh();
    });
    if (this.#transport.state === 'open') void this.refresh();
    return () => {
      offEvents();
      offState();
    };
  }

  async refresh(): Promise<void> {
    try {
      const [info, snapshot, canaries, control] = await Promise.all([
        this.#transport.api.invoke('app.info', {}),
        this.#transport.api.invoke('contexts.list', {}),
        this.#transport.api.invoke('canaries.list', {}),
        this.#transport.api.invoke('clusters.control', {}),
      ]);
      this.info = info;
      this.snapshot = snapshot;
      this.control = control;
      this.#canaries.clear();
      for (const summary of canaries) this.#canaries.set(summary.key, summary);
      this.#canariesChanged(undefined);
    } catch (err) {
      this.error = `Could not load contexts: ${messageOf(err)}`;
    }
  }

  async select(id: string): Promise<void> {
    const before = this.snapshot;
    if (!before || before.selectedContext === id) return;
    // Optimistic: the row and the top bar follow the keyboard at once.
    this.snapshot = { ...before, selectedContext: id };
    try {
      this.snapshot = await this.#transport.api.invoke('contexts.select', { context: id });
    } catch (err) {
      if (this.snapshot?.selectedContext === id) this.snapshot = before;
      this.error = `Could not select ${id}: ${messageOf(err)}`;
    }
  }

  canariesOf(context: string): CanarySummary[] {
    return [...this.canaries.values()]
      .filter((c) => c.context === context)
      .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  }

  controlOf(context: string): ClusterControl | undefined {
    return this.control.find((c) => c.context === context);
  }

  async setControl(context: string, enabled: boolean): Promise<void> {
    try {
      this.control = await this.#transport.api.invoke('clusters.setControl', { context, enabled });
    } catch (err) {
      this.error = `Could not change control of ${context}: ${messageOf(err)}`;
    }
  }

  async reconnect(id: string): Promise<void> {
    this.reconnecting.add(id);
    try {
      this.snapshot = await this.#transport.api.invoke('contexts.reconnect', { context: id });
    } catch (err) {
      this.error = `Could not reconnect ${id}: ${messageOf(err)}`;
    } finally {
      this.reconnecting.delete(id);
    }
  }

  /** Returns the error message for the inline form, or undefined when the file was added. */
  async addFile(path: string): Promise<string | undefined> {
    try {
      this.snapshot = await this.#transport.api.invoke('kubeconfig.addFile', { path });
      return undefined;
    } catch (err) {
      return messageOf(err);
    }
  }

  async pickAndAddFile(): Promise<void> {
    try {
      const { path } = await this.#transport.api.invoke('kubeconfig.pickFile', {});
      if (!path) return;
      const error = await this.addFile(path);
      if (error) this.error = `Could not add ${path}: ${error}`;
    } catch (err) {
      this.error = `Could not open the file picker: ${messageOf(err)}`;
    }
  }

  async removeFile(path: string): Promise<void> {
    try {
      this.snapshot = await this.#transport.api.invoke('kubeconfig.removeFile', { path });
    } catch (err) {
      this.error = `Could not remove ${path}: ${messageOf(err)}`;
    }
  }
}
