import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import CommandPalette from '../../src/renderer/src/components/CommandPalette.svelte';
import { fuzzyFilter, fuzzyMatch, highlightRuns } from '../../src/renderer/src/lib/fuzzy';
import type { Route } from '../../src/renderer/src/lib/routes';
import { summary } from './fleet-fixtures';
import { context } from './renderer-fixtures';

describe('fuzzyMatch', () => {
  it('matches characters in order, case-insensitively', () => {
    expect(fuzzyMatch('pdf', 'podinfo')?.positions).toEqual([0, 2, 5]);
    expect(fuzzyMatch('PODINFO', 'podinfo')).toBeDefined();
    expect(fuzzyMatch('fp', 'podinfo')).toBeUndefined();
    expect(fuzzyMatch('', 'anything')?.positions).toEqual([]);
  });

  it('prefers runs, word starts and short texts', () => {
    const names = ['payments-ledger', 'playground-eu', 'podinfo', 'frontend-pool'];
    expect(fuzzyFilter('pod', names, (n) => n)[0]?.item).toBe('podinfo');
    expect(fuzzyFilter('pe', names, (n) => n)[0]?.item).toBe('playground-eu');
    expect(fuzzyFilter('led', names, (n) => n).map((r) => r.item)).toEqual(['payments-ledger']);
    // The best alignment wins, not the first one found.
    expect(fuzzyMatch('eu', 'staging-europe')?.positions).toEqual([8, 9]);
  });

  it('splits text into highlighted runs', () => {
    expect(highlightRuns('podinfo', [0, 1, 5])).toEqual([
      { text: 'po', hit: true },
      { text: 'din', hit: false },
      { text: 'f', hit: true },
      { text: 'o', hit: false },
    ]);
  });
});

describe('CommandPalette', () => {
  afterEach(cleanup);

  const since = '2025-01-01T10:00:00.000Z';
  function renderPalette() {
    const onpick = vi.fn<(route: Route) => void>();
    const onclose = vi.fn<() => void>();
    render(CommandPalette, {
      props: {
        contexts: [
          context({ id: 'playground-eu', connection: { state: 'connected', since } }),
          context({ id: 'arn:aws:eks:eu-west-1:1:cluster/prod' }),
        ],
        canaries: [
          summary('playground-eu', 'test', 'podinfo'),
          summary('playground-eu', 'shop', 'cart', { phase: 'Failed' }),
          summary('arn:aws:eks:eu-west-1:1:cluster/prod', 'test', 'podinfo'),
        ],
        onpick,
        onclose,
      },
    });
    return { onpick, onclose, input: screen.getByRole('combobox') };
  }
  const options = () => screen.getAllByRole('option');
  const activeOption = (input: HTMLElement) =>
    document.getElementById(input.getAttribute('aria-activedescendant') ?? '');

  it('is a modal dialog with a combobox driving a listbox', () => {
    const { input } = renderPalette();
    expect(screen.getByRole('dialog').getAttribute('aria-modal')).toBe('true');
    expect(document.activeElement).toBe(input);
    const list = screen.getByRole('listbox');
    expect(input.getAttribute('aria-controls')).toBe(list.id);
    expect(input.getAttribute('aria-expanded')).toBe('true');
    expect(activeOption(input)?.getAttribute('aria-selected')).toBe('true');
    // Fleet, two clusters, namespaces (test in two clusters + per cluster), three canaries.
    expect(options().map((o) => o.dataset.entry)).toEqual([
      'fleet',
      'c:playground-eu',
      'c:arn:aws:eks:eu-west-1:1:cluster/prod',
      'n:*:test',
      'n:playground-eu:shop',
      'n:arn:aws:eks:eu-west-1:1:cluster/prod:test',
      'n:playground-eu:test',
      'k:arn:aws:eks:eu-west-1:1:cluster/prod/test/podinfo',
      'k:playground-eu/shop/cart',
      'k:playground-eu/test/podinfo',
    ]);
  });

  it('jumps to a canary by a fuzzy name with arrows and Enter', async () => {
    const { input, onpick } = renderPalette();
    await fireEvent.input(input, { target: { value: 'crt' } });
    expect(options()[0]?.dataset.entry).toBe('k:playground-eu/shop/cart');
    expect(options().map((o) => o.dataset.entry)).not.toContain('k:playground-eu/test/podinfo');
    expect(options()[0]?.querySelector('mark')?.textContent).toBe('c');
    await fireEvent.keyDown(input, { key: 'Enter' });
    expect(onpick).toHaveBeenCalledWith({
      view: 'canary',
      context: 'playground-eu',
      namespace: 'shop',
      name: 'cart',
    });
  });

  it('goes to a namespace as the fleet filtered to it, and to a cluster', async () => {
    const { input, onpick } = renderPalette();
    await fireEvent.input(input, { target: { value: 'shop' } });
    expect(activeOption(input)?.dataset.entry).toBe('n:playground-eu:shop');
    await fireEvent.keyDown(input, { key: 'Enter' });
    expect(onpick).toHaveBeenLastCalledWith({
      view: 'fleet',
      cluster: 'playground-eu',
      namespace: 'shop',
    });

    await fireEvent.input(input, { target: { value: 'prod' } });
    expect(activeOption(input)?.dataset.entry).toBe('c:arn:aws:eks:eu-west-1:1:cluster/prod');
    await fireEvent.keyDown(input, { key: 'ArrowDown' });
    expect(activeOption(input)?.dataset.entry).not.toBe('c:arn:aws:eks:eu-west-1:1:cluster/prod');
    await fireEvent.keyDown(input, { key: 'ArrowUp' });
    await fireEvent.keyDown(input, { key: 'ArrowUp' });
    // Up from the first option wraps to the last.
    expect(activeOption(input)).toBe(options()[options().length - 1]);
    await fireEvent.click(options()[0]!);
    expect(onpick).toHaveBeenLastCalledWith({
      view: 'cluster',
      context: 'arn:aws:eks:eu-west-1:1:cluster/prod',
    });
  });

  it('ranks the canaries of the cluster on screen first among equals', async () => {
    const onpick = vi.fn<(route: Route) => void>();
    render(CommandPalette, {
      props: {
        contexts: [context({ id: 'eu' }), context({ id: 'us' })],
        canaries: [summary('eu', 'test', 'podinfo'), summary('us', 'test', 'podinfo')],
        currentContext: 'us',
        onpick,
        onclose: () => undefined,
      },
    });
    const input = screen.getByRole('combobox');
    await fireEvent.input(input, { target: { value: 'podinfo' } });
    await fireEvent.keyDown(input, { key: 'Enter' });
    expect(onpick).toHaveBeenCalledWith({
      view: 'canary',
      context: 'us',
      namespace: 'test',
      name: 'podinfo',
    });
  });

  it('closes on Escape and on the backdrop, and says when nothing matches', async () => {
    const { input, onclose } = renderPalette();
    await fireEvent.input(input, { target: { value: 'zzzz' } });
    expect(screen.queryAllByRole('option')).toHaveLength(0);
    expect(screen.getByText('Nothing matches “zzzz”.')).toBeTruthy();
    await fireEvent.keyDown(input, { key: 'Escape' });
    expect(onclose).toHaveBeenCalledTimes(1);
    await fireEvent.click(document.querySelector('.backdrop')!);
    expect(onclose).toHaveBeenCalledTimes(2);
  });
});
