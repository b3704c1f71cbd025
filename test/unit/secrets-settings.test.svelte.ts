import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import SecretsSettings from '../../src/renderer/src/components/SecretsSettings.svelte';
import { createDesktopSecrets } from '../../src/core/secrets/desktop';
import { createMemoryStore } from '../../src/core/secrets/memory-store';
import type { SecretStore } from '../../src/core/secrets/secret-store';
import type {
  ApiHandlers,
  AviaryApi,
  MethodArgs,
  MethodName,
  MethodResults,
} from '../../src/shared/api';
import { dispatchInvoke, outcomeValue } from '../../src/shared/dispatch';

const SECRET = 'xoxb-v3ry-s3cret';

/** The contract over the real secrets handlers and a store, as a transport would carry it. */
function backend(store: SecretStore = createMemoryStore()) {
  const handlers = createDesktopSecrets(store).handlers as unknown as ApiHandlers;
  const calls: Array<[MethodName, unknown]> = [];
  const api: AviaryApi = {
    invoke: async <M extends MethodName>(method: M, args: MethodArgs<M>) => {
      calls.push([method, args]);
      const outcome = await dispatchInvoke(handlers, method, args);
      return outcomeValue(outcome as never, method) as MethodResults[M];
    },
    subscribe: () => () => undefined,
  };
  return { api, calls, store };
}

const row = (name: string): HTMLElement => {
  const el = document.querySelector<HTMLElement>(`[data-secret="${name}"]`);
  if (!el) throw new Error(`no row ${name}`);
  return el;
};

describe('SecretsSettings', () => {
  afterEach(cleanup);

  it('sets, replaces and removes a secret without ever showing its value', async () => {
    const { api, calls, store } = backend();
    const onclose = vi.fn();
    render(SecretsSettings, { props: { api, onclose } });
    expect(await screen.findByText('Personal Slack webhook')).toBeTruthy();
    expect(screen.getByRole('dialog', { name: 'Secrets' })).toBeTruthy();
    for (const name of ['slack-webhook', 'metrics-api-key', 'prometheus-token'])
      expect(within(row(name)).getByText('Not set')).toBeTruthy();

    await fireEvent.click(screen.getByRole('button', { name: 'Set Personal Slack webhook' }));
    const field = screen.getByLabelText<HTMLInputElement>('New value for Personal Slack webhook');
    expect(field.type).toBe('password');
    expect(document.activeElement).toBe(field);
    await fireEvent.input(field, { target: { value: SECRET } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await vi.waitFor(() => expect(within(row('slack-webhook')).getByText('Set')).toBeTruthy());

    expect(calls).toContainEqual(['secrets.set', { name: 'slack-webhook', value: SECRET }]);
    expect(await store.get('slack-webhook')).toBe(SECRET);
    expect(screen.queryByLabelText('New value for Personal Slack webhook')).toBeNull();
    expect(document.body.innerHTML).not.toContain('s3cret');
    expect(screen.getByRole('button', { name: 'Replace Personal Slack webhook' })).toBeTruthy();

    await fireEvent.click(screen.getByRole('button', { name: 'Remove Personal Slack webhook' }));
    await vi.waitFor(() => expect(within(row('slack-webhook')).getByText('Not set')).toBeTruthy());
    expect(calls).toContainEqual(['secrets.delete', { name: 'slack-webhook' }]);
    expect(await store.list()).toEqual([]);
    expect(onclose).not.toHaveBeenCalled();
  });

  it('says there is no keychain, and offers nothing to store', async () => {
    const { api, calls } = backend(
      createMemoryStore({ unavailable: 'no Secret Service on D-Bus' }),
    );
    render(SecretsSettings, { props: { api, onclose: vi.fn() } });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent?.replace(/\s+/g, ' ').trim()).toBe(
      'No OS keychain available: no Secret Service on D-Bus. Aviary will not store secrets in plain text.',
    );
    for (const button of screen.getAllByRole<HTMLButtonElement>('button', { name: /^Set / }))
      expect(button.disabled).toBe(true);
    expect(calls.map(([m]) => m)).toEqual(['secrets.status']);
  });

  it("shows the engine's error when storing fails, and keeps the field open, emptied", async () => {
    const store = createMemoryStore();
    const failing: SecretStore = {
      ...store,
      set: async () => {
        throw new Error('the keyring is locked');
      },
    };
    const { api } = backend(failing);
    render(SecretsSettings, { props: { api, onclose: vi.fn() } });
    await fireEvent.click(await screen.findByRole('button', { name: 'Set Prometheus token' }));
    const field = screen.getByLabelText<HTMLInputElement>('New value for Prometheus token');
    await fireEvent.input(field, { target: { value: SECRET } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe(
      'could not store secret prometheus-token: the keyring is locked',
    );
    // The typed value is not kept in the page once sent.
    expect(field.value).toBe('');
    expect(within(row('prometheus-token')).getByText('Not set')).toBeTruthy();
  });

  it('Esc cancels the field first, then closes the dialog', async () => {
    const { api } = backend();
    const onclose = vi.fn();
    render(SecretsSettings, { props: { api, onclose } });
    await fireEvent.click(await screen.findByRole('button', { name: 'Set Metrics API key' }));
    const field = screen.getByLabelText('New value for Metrics API key');
    await fireEvent.keyDown(field, { key: 'Escape' });
    expect(screen.queryByLabelText('New value for Metrics API key')).toBeNull();
    expect(onclose).not.toHaveBeenCalled();
    await fireEvent.keyDown(screen.getByRole('dialog'), { key: 'Escape' });
    expect(onclose).toHaveBeenCalledTimes(1);
  });
});
