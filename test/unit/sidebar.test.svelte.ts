import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import Sidebar from '../../src/renderer/src/components/Sidebar.svelte';
import { shortenPath, splitPath } from '../../src/renderer/src/lib/format';
import { sampleSnapshot } from './renderer-fixtures';

function renderSidebar(overrides: { canPickFiles?: boolean; selectedId?: string } = {}) {
  const snapshot = sampleSnapshot();
  const props = {
    files: snapshot.files,
    contexts: snapshot.contexts,
    selectedId: overrides.selectedId ?? snapshot.selectedContext,
    canPickFiles: overrides.canPickFiles ?? false,
    onselect: vi.fn<(id: string) => void>(),
    onremove: vi.fn<(path: string) => void>(),
    onadd: vi.fn<(path: string) => Promise<string | undefined>>(async () => undefined),
    onpick: vi.fn<() => void>(),
  };
  const result = render(Sidebar, { props });
  return { ...result, props };
}

const option = (name: string): HTMLElement => {
  const row = document.querySelector<HTMLElement>(`[role="option"][data-context-id="${name}"]`);
  if (!row) throw new Error(`no row ${name}`);
  return row;
};

describe('Sidebar', () => {
  afterEach(cleanup);

  it('groups contexts under their kubeconfig file, with ~ paths and origin badges', () => {
    renderSidebar();
    const lists = screen.getAllByRole('listbox');
    expect(lists).toHaveLength(2);
    const [first, second] = lists as [HTMLElement, HTMLElement];
    expect(screen.getByRole('listbox', { name: '~/.kube/config' })).toBe(first);
    expect(screen.getByRole('listbox', { name: '/tmp/other.yaml' })).toBe(second);
    expect(
      within(first)
        .getAllByRole('option')
        .map((o) => o.dataset.contextId),
    ).toEqual(['prod', 'staging']);
    expect(
      within(second)
        .getAllByRole('option')
        .map((o) => o.dataset.contextId),
    ).toEqual(['dev', 'broken']);
    const sections = document.querySelectorAll('section.file');
    expect([...sections].map((s) => s.querySelector('.badge')?.textContent)).toEqual([
      '$KUBECONFIG',
      'added',
      'flag',
    ]);
  });

  it('shows each state as text beside its icon, and the version when connected', () => {
    renderSidebar();
    expect(option('prod').textContent).toContain('connected v1.32.4');
    expect(option('staging').dataset.state).toBe('unauthorized');
    expect(option('staging').textContent).toContain('unauthorized');
    expect(option('dev').textContent).toContain('unreachable');
    expect(option('broken').textContent).toContain('invalid');
    for (const id of ['prod', 'staging', 'dev', 'broken']) {
      expect(option(id).querySelector('svg.state-icon')).not.toBeNull();
    }
  });

  it("shows a row's message as a tooltip, and on the row once selected", () => {
    renderSidebar({ selectedId: 'dev' });
    expect(option('broken').title).toContain('user "ghost" is not defined');
    expect(option('broken').textContent).not.toContain('ghost');
    expect(option('dev').textContent).toContain('connect ECONNREFUSED 127.0.0.1:1');
    expect(option('dev').getAttribute('aria-selected')).toBe('true');
    expect(option('prod').getAttribute('aria-selected')).toBe('false');
  });

  it("marks the kubeconfig's current-context", () => {
    renderSidebar();
    expect(within(option('prod')).getByText('current')).toBeTruthy();
    expect(within(option('staging')).queryByText('current')).toBeNull();
  });

  it("shows a missing file's message, and names shadowed contexts", () => {
    renderSidebar();
    expect(screen.getByText('File not found').parentElement?.textContent).toContain(
      'ENOENT: no such file',
    );
    expect(screen.getByText(/Also defines dev, already defined by an earlier file/)).toBeTruthy();
  });

  it('offers remove only for removable files', async () => {
    const { props } = renderSidebar();
    const remove = screen.getAllByRole('button', { name: /^Remove / });
    expect(remove).toHaveLength(1);
    await fireEvent.click(remove[0]!);
    expect(props.onremove).toHaveBeenCalledWith('/tmp/other.yaml');
  });

  it('has one tab stop, moves with arrows across files, selects with Enter', async () => {
    const { props } = renderSidebar();
    const tabbable = document.querySelectorAll('[role="option"][tabindex="0"]');
    expect([...tabbable].map((e) => (e as HTMLElement).dataset.contextId)).toEqual(['prod']);

    option('prod').focus();
    await fireEvent.keyDown(option('prod'), { key: 'ArrowDown' });
    expect(document.activeElement).toBe(option('staging'));
    await fireEvent.keyDown(option('staging'), { key: 'ArrowDown' });
    expect(document.activeElement).toBe(option('dev'));
    expect(option('dev').tabIndex).toBe(0);
    expect(option('prod').tabIndex).toBe(-1);
    await fireEvent.keyDown(option('dev'), { key: 'End' });
    expect(document.activeElement).toBe(option('broken'));
    await fireEvent.keyDown(option('broken'), { key: 'ArrowDown' });
    expect(document.activeElement).toBe(option('broken'));
    await fireEvent.keyDown(option('broken'), { key: 'Home' });
    expect(document.activeElement).toBe(option('prod'));
    await fireEvent.keyDown(option('prod'), { key: 'ArrowDown' });
    expect(props.onselect).not.toHaveBeenCalled();
    await fireEvent.keyDown(option('staging'), { key: 'Enter' });
    expect(props.onselect).toHaveBeenCalledWith('staging');
  });

  it('selects on click', async () => {
    const { props } = renderSidebar();
    await fireEvent.click(option('broken'));
    expect(props.onselect).toHaveBeenCalledWith('broken');
  });

  it('adds a file by path when there is no native picker, showing the error inline', async () => {
    const { props } = renderSidebar();
    props.onadd.mockResolvedValueOnce('no such file: /nope');
    await fireEvent.click(screen.getByRole('button', { name: /Add kubeconfig/ }));
    const input = screen.getByLabelText('Kubeconfig file path');
    expect(document.activeElement).toBe(input);
    await fireEvent.input(input, { target: { value: ' /nope ' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    expect(props.onadd).toHaveBeenCalledWith('/nope');
    expect((await screen.findByRole('alert')).textContent).toContain('no such file: /nope');

    await fireEvent.input(input, { target: { value: '/home/dev/ok.yaml' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    await vi.waitFor(() => expect(screen.queryByLabelText('Kubeconfig file path')).toBeNull());
    expect(props.onpick).not.toHaveBeenCalled();
  });

  it('uses the native picker when the host has one', async () => {
    const { props } = renderSidebar({ canPickFiles: true });
    await fireEvent.click(screen.getByRole('button', { name: /Add kubeconfig/ }));
    expect(props.onpick).toHaveBeenCalledOnce();
    expect(screen.queryByLabelText('Kubeconfig file path')).toBeNull();
  });
});

describe('paths', () => {
  it('shortens home folders to ~ and keeps the file name apart', () => {
    expect(shortenPath('/home/dev/.kube/config')).toBe('~/.kube/config');
    expect(shortenPath('/Users/ana/k.yaml')).toBe('~/k.yaml');
    expect(shortenPath('C:\\Users\\ana\\.kube\\config')).toBe('~\\.kube\\config');
    expect(shortenPath('/home/devops-not-home')).toBe('~');
    expect(shortenPath('/etc/kube/config')).toBe('/etc/kube/config');
    expect(splitPath('/root/.kube/config')).toEqual({ dir: '~/.kube/', base: 'config' });
    expect(splitPath('config')).toEqual({ dir: '', base: 'config' });
  });
});
