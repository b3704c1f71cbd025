import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import App from '../../src/renderer/src/App.svelte';
import { summary } from './fleet-fixtures';
import { sampleSnapshot } from './renderer-fixtures';
import { FakeTransport } from './renderer-transport';

afterEach(cleanup);
beforeEach(() => window.history.replaceState(null, '', '/'));

const heading = () => screen.getByRole('heading', { level: 1 }).textContent;
const contextRow = (id: string) =>
  vi.waitFor(() => {
    const el = document.querySelector<HTMLElement>(`[data-context-id="${id}"]`);
    if (!el) throw new Error('not yet');
    return el;
  });

describe('App', () => {
  it('opens on the fleet, and a context from the sidebar opens its route', async () => {
    const transport = new FakeTransport(sampleSnapshot());
    render(App, { props: { transport } });
    await vi.waitFor(() => expect(heading()).toBe('Fleet'));
    expect(screen.getByTestId('fleet-link').getAttribute('aria-current')).toBe('page');
    expect(screen.getByRole('navigation', { name: 'Breadcrumb' }).textContent?.trim()).toBe(
      'Fleet',
    );
    expect(screen.getByTestId('transport').textContent).toContain('Web · connected');

    await fireEvent.click(await contextRow('prod'));
    expect(window.location.hash).toBe('#/cluster/prod');
    await vi.waitFor(() => expect(heading()).toBe('prod'));
    expect(screen.getByTestId('top-context').textContent).toBe('prod');
    expect(screen.getByTestId('top-namespace').textContent).toContain('payments');
    expect(screen.getByText('https://127.0.0.1:6443')).toBeTruthy();
    expect(screen.getByText('Client certificate')).toBeTruthy();
    expect(document.title).toBe('prod — Aviary');
  });

  it('restores a deep link on load and follows back/forward', async () => {
    window.history.replaceState(null, '', '/#/cluster/staging');
    const transport = new FakeTransport(sampleSnapshot());
    render(App, { props: { transport } });
    await vi.waitFor(() => expect(heading()).toBe('staging'));
    // The linked context becomes the remembered selection.
    await vi.waitFor(() =>
      expect(transport.calls).toContainEqual(['contexts.select', { context: 'staging' }]),
    );
    await fireEvent.click(screen.getByTestId('fleet-link'));
    await vi.waitFor(() => expect(heading()).toBe('Fleet'));
    window.history.back();
    await vi.waitFor(() => expect(heading()).toBe('staging'));
  });

  it('opens a canary from the fleet at its deep link, names in the breadcrumbs', async () => {
    const transport = new FakeTransport(sampleSnapshot());
    transport.canaries = [summary('prod', 'payments', 'api', { phase: 'Progressing' })];
    render(App, { props: { transport } });
    const row = await vi.waitFor(() => {
      const el = document.querySelector<HTMLElement>('[data-canary="prod/payments/api"]');
      if (!el) throw new Error('not yet');
      return el;
    });
    await fireEvent.click(row);
    expect(window.location.hash).toBe('#/cluster/prod/payments/api');
    await vi.waitFor(() => expect(screen.getByTestId('top-canary').textContent).toBe('api'));
    expect(screen.getByTestId('top-context').textContent).toBe('prod');
    expect(screen.getByTestId('top-namespace').textContent).toContain('payments');
  });

  it('never reads the web token as a place', async () => {
    window.history.replaceState(null, '', '/#token=secret');
    render(App, { props: { transport: new FakeTransport(sampleSnapshot()) } });
    await vi.waitFor(() => expect(heading()).toBe('Fleet'));
  });

  it('jumps anywhere from the command palette (Ctrl+K)', async () => {
    const transport = new FakeTransport(sampleSnapshot());
    render(App, { props: { transport } });
    await vi.waitFor(() => expect(heading()).toBe('Fleet'));
    await fireEvent.keyDown(window, { key: 'k', ctrlKey: true });
    const input = await screen.findByRole('combobox', { name: /Go to/ });
    await fireEvent.input(input, { target: { value: 'dev' } });
    await fireEvent.keyDown(input, { key: 'Enter' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(window.location.hash).toBe('#/cluster/dev');
    await vi.waitFor(() => expect(heading()).toBe('dev'));
  });

  it('shows a toast for an alert and opens the canary from it', async () => {
    const transport = new FakeTransport(sampleSnapshot());
    render(App, { props: { transport } });
    await vi.waitFor(() => expect(heading()).toBe('Fleet'));
    transport.emit({
      type: 'alert',
      key: 'prod/payments/api',
      severity: 'error',
      title: 'api.payments',
      message: 'Canary failed! Scaling down api.payments',
    });
    const toast = await vi.waitFor(() => {
      const el = document.querySelector<HTMLElement>('[data-toast="prod/payments/api"]');
      if (!el) throw new Error('not yet');
      return el;
    });
    expect(toast.textContent).toContain('Canary failed! Scaling down api.payments');
    await fireEvent.click(toast.querySelector('button')!);
    expect(window.location.hash).toBe('#/cluster/prod/payments/api');
    expect(document.querySelector('[data-toast]')).toBeNull();
  });

  it('selects through the API and follows contexts.changed events', async () => {
    const transport = new FakeTransport(sampleSnapshot());
    render(App, { props: { transport } });
    await fireEvent.keyDown(await contextRow('dev'), { key: 'Enter' });
    expect(transport.calls).toContainEqual(['contexts.select', { context: 'dev' }]);
    await vi.waitFor(() => expect(screen.getByTestId('top-context').textContent).toBe('dev'));
    // On the selected row and in the main area.
    expect(screen.getAllByText('connect ECONNREFUSED 127.0.0.1:1')).toHaveLength(2);

    // A context change pushed by the engine shows on the open view.
    transport.emit({
      type: 'contexts.changed',
      snapshot: {
        ...transport.snapshot,
        contexts: transport.snapshot.contexts.map((c) =>
          c.id === 'dev'
            ? { ...c, connection: { ...c.connection, message: 'no route to host' } }
            : c,
        ),
      },
    });
    await vi.waitFor(() => expect(screen.getAllByText('no route to host')).toHaveLength(2));
  });

  it('reconnects a context from the main area', async () => {
    const transport = new FakeTransport(sampleSnapshot());
    render(App, { props: { transport } });
    await fireEvent.click(await contextRow('prod'));
    await fireEvent.click(await screen.findByRole('button', { name: 'Reconnect' }));
    expect(transport.calls).toContainEqual(['contexts.reconnect', { context: 'prod' }]);
  });

  it('shows a banner while reconnecting and reloads everything once back', async () => {
    const transport = new FakeTransport(sampleSnapshot());
    render(App, { props: { transport } });
    await vi.waitFor(() => expect(heading()).toBe('Fleet'));
    transport.setState('reconnecting');
    expect((await screen.findByText(/Disconnected from Aviary/)).textContent?.trim()).toBe(
      'Disconnected from Aviary — reconnecting…',
    );
    const before = transport.calls.length;
    transport.setState('open');
    await vi.waitFor(() => expect(screen.queryByText(/Disconnected from Aviary/)).toBeNull());
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
    expect(screen.queryByTestId('top-context')).toBeNull();
  });
});
