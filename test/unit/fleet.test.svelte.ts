import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FleetStore, WeightHistory } from '../../src/renderer/src/lib/fleet-store.svelte';
import type { FleetFilter } from '../../src/renderer/src/lib/routes';
import { Session } from '../../src/renderer/src/lib/session.svelte';
import FleetView from '../../src/renderer/src/views/FleetView.svelte';
import type { CanarySummary, ContextInfo } from '../../src/shared/api';
import { manyCanaries, summary } from './fleet-fixtures';
import { context, sampleSnapshot } from './renderer-fixtures';
import { FakeTransport } from './renderer-transport';

const since = '2025-01-01T10:00:00.000Z';
const contexts: ContextInfo[] = [
  context({ id: 'prod', connection: { state: 'connected', since } }),
  context({ id: 'eu', connection: { state: 'connected', since } }),
  context({
    id: 'dead',
    connection: { state: 'unreachable', message: 'connect ECONNREFUSED 127.0.0.1:1', since },
  }),
];

const fleetCanaries = (): CanarySummary[] => [
  summary('prod', 'payments', 'ledger', { phase: 'Progressing', canaryWeight: 20 }),
  summary('prod', 'payments', 'api', {
    phase: 'WaitingPromotion',
    canaryWeight: 50,
    lastTransitionTime: '2025-01-01T10:05:00Z',
  }),
  summary('prod', 'web', 'frontend', { phase: 'Succeeded' }),
  summary('eu', 'shop', 'cart', {
    phase: 'Failed',
    failedChecks: 5,
    message: 'Canary failed! Scaling down cart.shop',
    lastTransitionTime: '2025-01-01T10:01:00Z',
  }),
  summary('eu', 'shop', 'search', {
    phase: 'Progressing',
    canaryWeight: 30,
    controller: 'flagger',
  }),
];

function renderFleet(
  options: { canaries?: CanarySummary[]; filter?: FleetFilter; weights?: WeightHistory } = {},
) {
  const onfilter = vi.fn<(filter: FleetFilter, replace: boolean) => void>();
  const onopen = vi.fn<(key: string) => void>();
  const weights = options.weights ?? new WeightHistory();
  const result = render(FleetView, {
    props: {
      fleet: { canaries: options.canaries ?? fleetCanaries(), weights },
      contexts,
      filter: options.filter ?? {},
      onfilter,
      onopen,
    },
  });
  return { ...result, onfilter, onopen };
}

const canaryRows = () =>
  [...document.querySelectorAll<HTMLElement>('[role="row"][data-canary]')].map(
    (r) => r.dataset.canary,
  );
const grid = () => screen.getByRole('grid');

afterEach(cleanup);

describe('FleetView', () => {
  it('counts the fleet by phase and filters by a count', async () => {
    const { onfilter } = renderFleet();
    const count = (phase: string) =>
      document.querySelector<HTMLElement>(`[data-count="${phase}"]`)!;
    expect(count('progressing').textContent).toContain('2');
    expect(count('waiting').textContent).toContain('1');
    expect(count('waiting').textContent).toContain('Waiting for approval');
    expect(count('failed').textContent).toContain('1');
    expect(count('succeeded').textContent).toContain('1');
    await fireEvent.click(count('failed'));
    expect(onfilter).toHaveBeenLastCalledWith({ phase: 'failed' }, false);
    expect(screen.getByTestId('fleet-summary').textContent).toMatch(/5\s+canaries in 2\s+clusters/);
  });

  it('groups by cluster, in the sidebar order, with a message for an unreachable cluster', async () => {
    renderFleet();
    const groups = [...document.querySelectorAll<HTMLElement>('[data-group]')].map(
      (g) => g.dataset.group,
    );
    expect(groups).toEqual(['prod', 'eu', 'dead']);
    expect(canaryRows()).toEqual([
      'prod/payments/api',
      'prod/payments/ledger',
      'prod/web/frontend',
      'eu/shop/cart',
      'eu/shop/search',
    ]);
    const note = document.querySelector<HTMLElement>('[data-note="dead"]')!;
    expect(note.textContent).toContain('Cluster unreachable: connect ECONNREFUSED 127.0.0.1:1');
    expect(document.querySelector('[data-group="eu"]')!.textContent).toContain('1 needs attention');

    // Folding a cluster hides its canaries.
    await fireEvent.click(document.querySelector('[data-group="prod"]')!);
    expect(canaryRows()).toEqual(['eu/shop/cart', 'eu/shop/search']);
    expect(document.querySelector('[data-group="prod"]')!.getAttribute('aria-expanded')).toBe(
      'false',
    );

    // Ungrouped: one list, no headers.
    await fireEvent.click(screen.getByLabelText('Group by cluster'));
    expect(document.querySelectorAll('[data-group]')).toHaveLength(0);
    expect(canaryRows()).toHaveLength(5);
  });

  it('sorts by any column, both ways, and says so with aria-sort', async () => {
    renderFleet();
    await fireEvent.click(screen.getByLabelText('Group by cluster'));
    const header = (name: string) =>
      screen.getAllByRole('columnheader').find((h) => h.textContent?.includes(name))!;
    expect(header('Cluster').getAttribute('aria-sort')).toBe('ascending');

    await fireEvent.click(within(header('Weight')).getByRole('button'));
    expect(header('Weight').getAttribute('aria-sort')).toBe('ascending');
    expect(header('Cluster').getAttribute('aria-sort')).toBe('none');
    expect(canaryRows().slice(-2)).toEqual(['eu/shop/search', 'prod/payments/api']);

    await fireEvent.click(within(header('Weight')).getByRole('button'));
    expect(header('Weight').getAttribute('aria-sort')).toBe('descending');
    expect(canaryRows()[0]).toBe('prod/payments/api');

    // Phase sorts by urgency: failed, then waiting, then moving.
    await fireEvent.click(within(header('Phase')).getByRole('button'));
    expect(canaryRows().slice(0, 2)).toEqual(['eu/shop/cart', 'prod/payments/api']);
  });

  it('filters by text, phase, cluster and namespace', () => {
    renderFleet({ filter: { q: 'shop' } });
    expect(canaryRows()).toEqual(['eu/shop/cart', 'eu/shop/search']);
    // Clusters with no match are left out while filtering.
    expect(
      [...document.querySelectorAll<HTMLElement>('[data-group]')].map((g) => g.dataset.group),
    ).toEqual(['eu']);
    cleanup();
    renderFleet({ filter: { phase: 'progressing' } });
    expect(canaryRows()).toEqual(['prod/payments/ledger', 'eu/shop/search']);
    cleanup();
    renderFleet({ filter: { cluster: 'prod', namespace: 'payments' } });
    expect(canaryRows()).toEqual(['prod/payments/api', 'prod/payments/ledger']);
    cleanup();
    renderFleet({ filter: { q: 'payments led' } });
    expect(canaryRows()).toEqual(['prod/payments/ledger']);
  });

  it('passes text filter edits up without filling history', async () => {
    const { onfilter } = renderFleet();
    await fireEvent.input(screen.getByLabelText('Filter canaries by text'), {
      target: { value: 'cart' },
    });
    expect(onfilter).toHaveBeenLastCalledWith({ q: 'cart' }, true);
  });

  it('lists what needs attention across clusters, failures first, and opens it', async () => {
    const { onopen } = renderFleet();
    const inbox = screen.getByTestId('attention');
    const items = [...inbox.querySelectorAll<HTMLElement>('[data-attention]')];
    expect(items.map((i) => i.dataset.attention)).toEqual(['eu/shop/cart', 'prod/payments/api']);
    expect(items[0]!.textContent).toContain('Canary failed! Scaling down cart.shop');
    expect(items[1]!.querySelector('a')!.getAttribute('href')).toBe('#/cluster/prod/payments/api');
    await fireEvent.click(items[1]!.querySelector('a')!);
    expect(onopen).toHaveBeenCalledWith('prod/payments/api');
  });

  it('moves with the arrow keys and opens with Enter', async () => {
    const { onopen } = renderFleet();
    const g = grid();
    g.focus();
    // Row 0 is the prod header; down once is prod's first canary.
    await fireEvent.keyDown(g, { key: 'ArrowDown' });
    const active = document.getElementById(g.getAttribute('aria-activedescendant')!)!;
    expect(active.dataset.canary).toBe('prod/payments/api');
    expect(active.getAttribute('aria-rowindex')).toBe('3');
    await fireEvent.keyDown(g, { key: 'Enter' });
    expect(onopen).toHaveBeenCalledWith('prod/payments/api');
    await fireEvent.keyDown(g, { key: 'Home' });
    await fireEvent.keyDown(g, { key: 'Enter' });
    expect(document.querySelector('[data-group="prod"]')!.getAttribute('aria-expanded')).toBe(
      'false',
    );
    await fireEvent.keyDown(g, { key: 'ArrowRight' });
    expect(document.querySelector('[data-group="prod"]')!.getAttribute('aria-expanded')).toBe(
      'true',
    );
    // Clicking a row opens the canary.
    await fireEvent.click(document.querySelector('[data-canary="eu/shop/cart"]')!);
    expect(onopen).toHaveBeenLastCalledWith('eu/shop/cart');
  });

  it('draws a bounded window of rows for 1,000 canaries', async () => {
    const canaries = manyCanaries(1000, ['prod', 'eu']);
    renderFleet({ canaries });
    const g = grid();
    // 1,000 canaries + 2 cluster headers + the dead cluster's header and note + the header row.
    expect(g.getAttribute('aria-rowcount')).toBe(String(1000 + 4 + 1));
    const drawn = g.querySelectorAll('[role="rowgroup"] [role="row"]').length;
    expect(drawn).toBeGreaterThan(10);
    expect(drawn).toBeLessThan(60);
    expect(document.querySelector('[data-count="failed"]')!.textContent).toContain('200');

    // End jumps to the last row, which is then drawn (and the first ones are not).
    g.focus();
    await fireEvent.keyDown(g, { key: 'End' });
    await fireEvent.scroll(g);
    const active = document.getElementById(g.getAttribute('aria-activedescendant')!)!;
    expect(active.getAttribute('aria-rowindex')).toBe(String(1004 + 1));
    expect(g.querySelectorAll('[role="rowgroup"] [role="row"]').length).toBeLessThan(60);
    expect(document.querySelector('[data-group="prod"]')).toBeNull();
  });

  it('fills the inbox to 40 entries right after the first paint, then says how many more', async () => {
    // 1,000 canaries: 200 waiting at a gate and 200 failed.
    renderFleet({ canaries: manyCanaries(1000, ['prod', 'eu']) });
    const inbox = screen.getByTestId('attention');
    const entries = () => inbox.querySelectorAll('[data-attention]').length;
    expect(entries()).toBeGreaterThan(0);
    await vi.waitFor(() => expect(entries()).toBe(40));
    expect(inbox.querySelector('.more')!.textContent).toContain('360 more');
    expect(inbox.querySelector('[data-attention]')!.querySelector('.phase-badge')).not.toBeNull();
  });

  it('draws each canary weight with the last weights seen', () => {
    const weights = new WeightHistory(4);
    for (const w of [0, 10, 10, 20, 30, 40]) weights.record('prod/payments/ledger', w);
    expect(weights.of('prod/payments/ledger')).toEqual([10, 20, 30, 40]);
    renderFleet({ weights });
    const row = document.querySelector('[data-canary="prod/payments/ledger"]')!;
    expect(row.querySelector('.sparkline path')!.getAttribute('d')).toMatch(
      /^M0 [\d.]+( H[\d.]+ V[\d.]+){3}$/,
    );
    expect(row.textContent).toContain('20%');
  });
});

describe('FleetStore', () => {
  it('republishes the canaries once per frame however many updates arrive, keeping weights', async () => {
    const transport = new FakeTransport(sampleSnapshot());
    transport.canaries = [summary('prod', 'test', 'a', { canaryWeight: 0 })];
    const session = new Session(transport);
    const frames: Array<() => void> = [];
    const fleet = new FleetStore(session, (run) => frames.push(run));
    const stops = [session.start(), fleet.start()];
    await vi.waitFor(() => expect(session.canaries.size).toBe(1));
    flushSync();
    expect(frames.length).toBeGreaterThan(0);
    frames.splice(0).forEach((run) => run());
    expect(fleet.canaries.map((c) => c.key)).toEqual(['prod/test/a']);

    for (let i = 1; i <= 100; i++)
      transport.emit({
        type: 'canaries.changed',
        changed: [summary('prod', 'test', 'a', { canaryWeight: i % 6 === 0 ? 50 : 10 * (i % 6) })],
        removed: [],
      });
    transport.emit({
      type: 'canaries.changed',
      changed: [summary('prod', 'test', 'b')],
      removed: [],
    });
    flushSync();
    expect(frames).toHaveLength(1);
    expect(fleet.canaries).toHaveLength(1);
    frames.splice(0).forEach((run) => run());
    expect(fleet.canaries.map((c) => c.key).sort()).toEqual(['prod/test/a', 'prod/test/b']);
    expect(fleet.weights.of('prod/test/a')).toHaveLength(24);

    transport.emit({ type: 'canaries.changed', changed: [], removed: ['prod/test/a'] });
    flushSync();
    frames.splice(0).forEach((run) => run());
    expect(fleet.canaries.map((c) => c.key)).toEqual(['prod/test/b']);
    expect(fleet.weights.of('prod/test/a')).toEqual([]);
    stops.forEach((stop) => stop());
  });
});
