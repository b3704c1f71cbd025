/** An in-memory engine behind the renderer's Transport interface, for component tests. */
import type { Transport, TransportState } from '../../src/renderer/src/lib/api';
import {
  ApiError,
  type ApiEvent,
  type AppInfo,
  type AviaryApi,
  type CanarySummary,
  type ContextsSnapshot,
  type MethodArgs,
  type MethodName,
  type MethodResults,
} from '../../src/shared/api';

export const appInfo: AppInfo = {
  name: 'Aviary',
  version: '0.1.0',
  mode: 'web',
  platform: 'linux',
  nodeVersion: 'v20.19.0',
  canPickFiles: false,
};

export class FakeTransport implements Transport {
  readonly mode = 'web';
  state: TransportState;
  snapshot: ContextsSnapshot;
  canaries: CanarySummary[] = [];
  readonly calls: Array<[MethodName, unknown]> = [];
  readonly #events = new Set<(e: ApiEvent) => void>();
  readonly #states = new Set<(s: TransportState) => void>();
  readonly api: AviaryApi;

  constructor(snapshot: ContextsSnapshot, state: TransportState = 'open') {
    this.snapshot = snapshot;
    this.state = state;
    this.api = {
      invoke: async <M extends MethodName>(method: M, args: MethodArgs<M>) => {
        this.calls.push([method, args]);
        return this.#answer(method, args) as MethodResults[M];
      },
      subscribe: (listener) => {
        this.#events.add(listener);
        return () => this.#events.delete(listener);
      },
    };
  }

  #answer(method: MethodName, args: unknown): unknown {
    if (method === 'app.info') return appInfo;
    if (method === 'canaries.list') return this.canaries;
    if (method === 'clusters.control') return [];
    if (method === 'contexts.select') {
      this.snapshot = { ...this.snapshot, selectedContext: (args as { context: string }).context };
    }
    if (method.startsWith('contexts.') || method.startsWith('kubeconfig.')) return this.snapshot;
    throw new ApiError('unsupported', `${method} is not faked`);
  }

  onStateChange(listener: (s: TransportState) => void): () => void {
    this.#states.add(listener);
    return () => this.#states.delete(listener);
  }

  setState(state: TransportState): void {
    this.state = state;
    for (const l of this.#states) l(state);
  }

  emit(event: ApiEvent): void {
    for (const l of this.#events) l(event);
  }

  close(): void {}
}
