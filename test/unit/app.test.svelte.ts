import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import App from '../../src/renderer/src/App.svelte';
import type { Transport, TransportState } from '../../src/renderer/src/lib/api';
import type {
  ApiEvent,
  AppInfo,
  AviaryApi,
  ContextsSnapshot,
  MethodArgs,
  MethodName,
  MethodResults,
} from '../../src/shared/api';
import { sampleSnapshot } from './renderer-fixtures';

const info: AppInfo = {
  name: 'Aviary',
  version: '0.1.0',
  mode: 'web',
  platform: 'linux',
  nodeVersion: 'v20.19.0',
  canPickFiles: false,
};

/** An in-memory engine behind the Transport interface. */
class FakeTransport implements Transport {
  readonly mode = 'web';
  state: TransportState;
  snapshot: ContextsSnapshot;
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
    if (method === 'app.info') return info;
    if (method === 'canaries.list' || method === 'clusters.control') return [];
    if (method === 'contexts.select') {
      this.snapshot = { ...this.snapshot, selectedContext: (args as { context: string }).context };
    }
    return this.snapshot;
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

afterEach(cleanup);

describe('App', () => {
  it('shows the selected context in the top bar and the main area', async () => {
    render(App, { props: { transport: new FakeTransport(sampleSnapshot()) } });
    expect(await screen.findByTestId('top-context')).toHaveProperty('textContent', 'prod');
    expect(screen.getByTestId('top-namespace').textContent).toContain('payments');
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('prod');
    expect(screen.getByText('https://127.0.0.1:6443')).toBeTruthy();
    expect(screen.getByText('Client certificate')).toBeTruthy();
    expect(screen.getByTestId('transport').textContent).toContain('Web · connected');
  });

  it('selects through the API and follows contexts.changed events', async () => {
    const transport = new FakeTransport(sampleSnapshot());
    render(App, { props: { transport } });
    const row = await vi.waitFor(() => {
      const el = document.querySelector<HTMLElement>('[data-context-id="dev"]');
      if (!el) throw new Error('not yet');
      return el;
    });
    await fireEvent.keyDown(row, { key: 'Enter' });
    expect(transport.calls).toContainEqual(['contexts.select', { context: 'dev' }]);
    await vi.waitFor(() => expect(screen.getByTestId('top-context').textContent).toBe('dev'));
    // On the selected row and in the main area.
    expect(screen.getAllByText('connect ECONNREFUSED 127.0.0.1:1')).toHaveLength(2);

    transport.emit({
      type: 'contexts.changed',
      snapshot: { ...transport.snapshot, selectedContext: 'staging' },
    });
    await vi.waitFor(() => expect(screen.getByTestId('top-context').textContent).toBe('staging'));
  });

  it('reconnects a context from the main area', async () => {
    const transport = new FakeTransport(sampleSnapshot());
    render(App, { props: { transport } });
    await fireEvent.click(await screen.findByRole('button', { name: 'Reconnect' }));
    expect(transport.calls).toContainEqual(['contexts.reconnect', { context: 'prod' }]);
  });

  it('shows a banner while reconnecting and reloads everything once back', async () => {
    const transport = new FakeTransport(sampleSnapshot());
    render(App, { props: { transport } });
    await screen.findByTestId('top-context');
    transport.setState('reconnecting');
    expect((await screen.findByRole('status')).textContent?.trim()).toBe(
      'Disconnected from Aviary — reconnecting…',
    );
    const before = transport.calls.length;
    transport.setState('open');
    await vi.waitFor(() => expect(screen.queryByRole('status')).toBeNull());
    expect(transport.calls.slice(before).map(([m]) => m)).toEqual([
      'app.info',
      'contexts.list',
      'canaries.list',
      'clusters.control',
    ]);
  });

  it('shows the expired-link message instead of the app', () => {
    render(App, { props: { transport: new FakeTransport(sampleSnapshot(), 'expired') } });
    expect(screen.getByRole('alert').textContent?.replace(/\s+/g, ' ')).toContain(
      'This link has expired: open the URL printed by npm start again.',
    );
    expect(screen.queryByRole('navigation')).toBeNull();
  });

  it('explains how to add a kubeconfig when there are no contexts', async () => {
    render(App, { props: { transport: new FakeTransport({ files: [], contexts: [] }) } });
    expect(await screen.findByText('No Kubernetes contexts yet')).toBeTruthy();
    expect(screen.getAllByText('--kubeconfig').length).toBeGreaterThan(0);
    expect(screen.getAllByText('KUBECONFIG').length).toBeGreaterThan(0);
    expect(screen.getAllByRole('button', { name: /Add kubeconfig/ }).length).toBe(2);
    expect(screen.getByText('No context selected')).toBeTruthy();
  });
});
