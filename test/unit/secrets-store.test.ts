import { describe, expect, it } from 'vitest';
import { createDesktopSecrets } from '../../src/core/secrets/desktop';
import { createKeytarStore, type KeytarApi } from '../../src/core/secrets/keytar-store';
import { createMemoryStore } from '../../src/core/secrets/memory-store';
import { SecretStoreUnavailableError, type SecretStore } from '../../src/core/secrets/secret-store';
import { methods, type ApiHandlers } from '../../src/shared/api';
import { dispatchInvoke } from '../../src/shared/dispatch';

const SECRET = 'https://hooks.slack.com/services/T0/B0/v3ry-s3cret';

/** A keytar double over a Map, recording the service names it was called with. */
function fakeKeytar(fail?: string): KeytarApi & { services: string[] } {
  const values = new Map<string, string>();
  const services: string[] = [];
  const guard = (service: string) => {
    services.push(service);
    if (fail) throw new Error(fail);
  };
  return {
    services,
    async getPassword(service, account) {
      guard(service);
      return values.get(account) ?? null;
    },
    async setPassword(service, account, password) {
      guard(service);
      values.set(account, password);
    },
    async deletePassword(service, account) {
      guard(service);
      return values.delete(account);
    },
    async findCredentials(service) {
      guard(service);
      return [...values].map(([account, password]) => ({ account, password }));
    },
  };
}

async function exercise(store: SecretStore): Promise<void> {
  expect(await store.available()).toEqual({ ok: true });
  expect(await store.list()).toEqual([]);
  expect(await store.get('slack-webhook')).toBeUndefined();
  await store.set('slack-webhook', SECRET);
  await store.set('prometheus-token', 'tok');
  expect(await store.get('slack-webhook')).toBe(SECRET);
  expect(await store.list()).toEqual(['prometheus-token', 'slack-webhook']);
  expect(await store.delete('prometheus-token')).toBe(true);
  expect(await store.delete('prometheus-token')).toBe(false);
  expect(await store.list()).toEqual(['slack-webhook']);
  await expect(store.set('../etc/passwd', 'x')).rejects.toThrow('invalid secret name');
}

describe('SecretStore', () => {
  it('memory store: set, get, list (names only), delete', async () => {
    await exercise(createMemoryStore());
  });

  it('keytar store: uses the "Aviary" service of the loaded module', async () => {
    const keytar = fakeKeytar();
    await exercise(createKeytarStore({ load: async () => ({ default: keytar }) }));
    expect(new Set(keytar.services)).toEqual(new Set(['Aviary']));
  });

  it('keytar store: a module that fails to load makes it unavailable, and set() throws', async () => {
    let loads = 0;
    const store = createKeytarStore({
      load: async () => {
        loads++;
        throw new Error('Cannot find module keytar.node');
      },
    });
    expect(await store.available()).toEqual({
      ok: false,
      reason: 'the keytar module could not be loaded (Cannot find module keytar.node)',
    });
    const failure = store.set('slack-webhook', SECRET);
    await expect(failure).rejects.toBeInstanceOf(SecretStoreUnavailableError);
    await expect(failure).rejects.toThrow(
      'No OS keychain available: the keytar module could not be loaded (Cannot find module keytar.node). Aviary will not store secrets in plain text.',
    );
    await expect(store.get('slack-webhook')).rejects.toBeInstanceOf(SecretStoreUnavailableError);
    expect(loads).toBe(1);
  });

  it('keytar store: a module without the keychain functions is unavailable', async () => {
    const store = createKeytarStore({ load: async () => ({ default: { getPassword: 1 } }) });
    expect(await store.available()).toMatchObject({
      ok: false,
      reason: 'the keytar module does not have the expected functions',
    });
  });

  it('keytar store: no D-Bus Secret Service makes it unavailable, with the reason', async () => {
    const keytar = fakeKeytar('Cannot autolaunch D-Bus without X11 $DISPLAY');
    const store = createKeytarStore({ load: async () => keytar });
    expect(await store.available()).toEqual({
      ok: false,
      reason: 'the OS keychain did not answer (Cannot autolaunch D-Bus without X11 $DISPLAY)',
    });
    await expect(store.set('slack-webhook', SECRET)).rejects.toThrow(
      /^No OS keychain available: the OS keychain did not answer \(Cannot autolaunch D-Bus without X11 \$DISPLAY\)\. Aviary will not store secrets in plain text\.$/,
    );
  });

  it('keytar store: masks the value should a backend error echo it', async () => {
    const keytar = fakeKeytar();
    keytar.setPassword = async (_s, _a, password) => {
      throw new Error(`refused ${password}`);
    };
    const store = createKeytarStore({ load: async () => keytar });
    const err = await store.set('slack-webhook', SECRET).catch((e: Error) => e);
    expect(err).toBeInstanceOf(SecretStoreUnavailableError);
    expect((err as Error).message).toContain('refused ***');
    expect((err as Error).message).not.toContain('s3cret');
  });
});

describe('secrets over the contract', () => {
  function setup(store: SecretStore = createMemoryStore()) {
    const lines: string[] = [];
    const secrets = createDesktopSecrets(store, (l) => lines.push(l));
    const handlers = secrets.handlers as unknown as ApiHandlers;
    const invoke = (method: string, args: unknown) => dispatchInvoke(handlers, method, args);
    return { secrets, lines, invoke };
  }

  it('status lists names only; set and delete answer with the status, never the value', async () => {
    const { invoke, lines, secrets } = setup();
    expect(await invoke('secrets.status', {})).toEqual({
      ok: true,
      value: { available: true, names: [] },
    });
    const set = await invoke('secrets.set', { name: 'slack-webhook', value: SECRET });
    expect(set).toEqual({ ok: true, value: { available: true, names: ['slack-webhook'] } });
    await invoke('secrets.set', { name: 'prometheus-token', value: 'tok' });
    expect(await invoke('secrets.status', {})).toEqual({
      ok: true,
      value: { available: true, names: ['slack-webhook', 'prometheus-token'] },
    });
    expect(await secrets.value('slack-webhook')).toBe(SECRET);
    expect(await invoke('secrets.delete', { name: 'prometheus-token' })).toEqual({
      ok: true,
      value: { available: true, names: ['slack-webhook'] },
    });
    expect(lines).toEqual([
      'secret slack-webhook stored in the OS keychain',
      'secret prometheus-token stored in the OS keychain',
      'secret prometheus-token removed from the OS keychain',
    ]);
  });

  it('refuses unknown names and bad values without echoing them', async () => {
    const { invoke } = setup();
    const unknown = await invoke('secrets.set', { name: 'aws-key', value: SECRET });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    const huge = await invoke('secrets.set', { name: 'slack-webhook', value: 'x'.repeat(20_000) });
    expect(huge).toEqual({
      ok: false,
      error: { code: 'invalid-argument', message: 'args.value: longer than 16384 characters' },
    });
    const extra = await invoke('secrets.set', { name: 'slack-webhook', value: SECRET, x: SECRET });
    expect(JSON.stringify([unknown, extra])).not.toContain('s3cret');
    expect(() => methods['secrets.delete'].parse({ name: 'slack-webhook', value: 'x' })).toThrow();
  });

  it('without a keychain: status says why, set fails as unavailable, nothing is stored', async () => {
    const keytar = fakeKeytar('Cannot autolaunch D-Bus without X11 $DISPLAY');
    const { invoke, secrets, lines } = setup(createKeytarStore({ load: async () => keytar }));
    expect(await invoke('secrets.status', {})).toEqual({
      ok: true,
      value: {
        available: false,
        reason: 'the OS keychain did not answer (Cannot autolaunch D-Bus without X11 $DISPLAY)',
        names: [],
      },
    });
    const set = await invoke('secrets.set', { name: 'slack-webhook', value: SECRET });
    expect(set).toEqual({
      ok: false,
      error: {
        code: 'unavailable',
        message:
          'No OS keychain available: the OS keychain did not answer (Cannot autolaunch D-Bus without X11 $DISPLAY). Aviary will not store secrets in plain text.',
      },
    });
    expect(await secrets.value('slack-webhook')).toBeUndefined();
    expect(await secrets.globalNotifier()).toBeUndefined();
    expect(lines).toEqual([]);
  });

  it('the personal Slack webhook is the global notifier, read once and updated on change', async () => {
    const store = createMemoryStore();
    await store.set('slack-webhook', SECRET);
    let reads = 0;
    const counting: SecretStore = {
      ...store,
      get: (name) => {
        reads++;
        return store.get(name);
      },
    };
    const { secrets, invoke } = setup(counting);
    expect(await secrets.globalNotifier()).toEqual({
      type: 'slack',
      url: SECRET,
      username: 'flagger',
      channel: 'general',
    });
    await secrets.globalNotifier();
    expect(reads).toBe(1);
    await invoke('secrets.set', { name: 'slack-webhook', value: `${SECRET}2` });
    expect((await secrets.globalNotifier())?.url).toBe(`${SECRET}2`);
    await invoke('secrets.delete', { name: 'slack-webhook' });
    expect(await secrets.globalNotifier()).toBeUndefined();
    expect(reads).toBe(1);
  });
});
