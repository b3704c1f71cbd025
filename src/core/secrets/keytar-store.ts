/**
 * The OS keychain through `keytar` (macOS Keychain, Windows Credential Manager, the Secret
 * Service over D-Bus on Linux), under the service name "Aviary". keytar is an optional native
 * module: it is loaded on first use, and a missing or broken build, or a Linux session without
 * a Secret Service, makes available() say why instead of failing the app. Inside Electron,
 * safeStorage is the second backend (encrypted-file-store.ts, wired in src/main).
 */
import type { SecretStore, SecretStoreStatus } from './secret-store';
import { SecretStoreUnavailableError, checkSecretName, withoutValue } from './secret-store';

export const KEYCHAIN_SERVICE = 'Aviary';

/** The part of keytar's API Aviary uses. */
export interface KeytarApi {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
  findCredentials(service: string): Promise<Array<{ account: string; password: string }>>;
}

export interface KeytarStoreOptions {
  service?: string;
  /** Loads the module (default: import('keytar')); tests pass one that throws. */
  load?: () => Promise<unknown>;
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function asKeytar(mod: unknown): KeytarApi | undefined {
  // An ES import of a CommonJS module puts module.exports on `default`.
  const candidates = [mod, (mod as { default?: unknown } | null)?.default];
  for (const c of candidates) {
    const k = c as Partial<KeytarApi> | null | undefined;
    if (
      k &&
      typeof k.getPassword === 'function' &&
      typeof k.setPassword === 'function' &&
      typeof k.deletePassword === 'function' &&
      typeof k.findCredentials === 'function'
    )
      return k as KeytarApi;
  }
  return undefined;
}

export function createKeytarStore(options: KeytarStoreOptions = {}): SecretStore {
  const service = options.service ?? KEYCHAIN_SERVICE;
  const load = options.load ?? (() => import('keytar'));
  let loading: Promise<KeytarApi | string> | undefined;

  /** keytar, or the reason it cannot be used (the load is tried once per process). */
  const module = (): Promise<KeytarApi | string> =>
    (loading ??= load().then(
      (mod) => asKeytar(mod) ?? 'the keytar module does not have the expected functions',
      (err: unknown) => `the keytar module could not be loaded (${messageOf(err)})`,
    ));

  /**
   * A keychain call; its failure says the keychain is not there. keytar's errors do not carry
   * the value being stored, but `value` is masked anyway should one ever do.
   */
  const keychain = async <T>(use: (k: KeytarApi) => Promise<T>, value = ''): Promise<T> => {
    const k = await module();
    if (typeof k === 'string') throw new SecretStoreUnavailableError(k);
    try {
      return await use(k);
    } catch (err) {
      const detail = withoutValue(messageOf(err), value);
      throw new SecretStoreUnavailableError(`the OS keychain did not answer (${detail})`);
    }
  };

  const status = async (): Promise<SecretStoreStatus> => {
    const k = await module();
    if (typeof k === 'string') return { ok: false, reason: k };
    try {
      // The cheapest call that needs the keychain (on Linux: D-Bus and a Secret Service).
      await k.findCredentials(service);
      return { ok: true };
    } catch (err) {
      return { ok: false, reason: `the OS keychain did not answer (${messageOf(err)})` };
    }
  };

  return {
    available: status,
    async get(name) {
      checkSecretName(name);
      return (await keychain((k) => k.getPassword(service, name))) ?? undefined;
    },
    async set(name, value) {
      checkSecretName(name);
      await keychain((k) => k.setPassword(service, name, value), value);
    },
    async delete(name) {
      checkSecretName(name);
      return keychain((k) => k.deletePassword(service, name));
    },
    async list() {
      const found = await keychain((k) => k.findCredentials(service));
      return found.map((c) => c.account).sort();
    },
  };
}
