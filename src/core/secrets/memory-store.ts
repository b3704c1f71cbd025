/**
 * A SecretStore in memory, for tests: it behaves like a keychain that is there (or, with
 * `unavailable`, like one that is not), and keeps nothing after the process.
 */
import type { SecretStore, SecretStoreStatus } from './secret-store';
import { SecretStoreUnavailableError, checkSecretName } from './secret-store';

export function createMemoryStore(options: { unavailable?: string } = {}): SecretStore {
  const values = new Map<string, string>();
  const status = (): SecretStoreStatus =>
    options.unavailable === undefined ? { ok: true } : { ok: false, reason: options.unavailable };
  return {
    available: async () => status(),
    async get(name) {
      checkSecretName(name);
      return options.unavailable === undefined ? values.get(name) : undefined;
    },
    async set(name, value) {
      checkSecretName(name);
      if (options.unavailable !== undefined)
        throw new SecretStoreUnavailableError(options.unavailable);
      values.set(name, value);
    },
    async delete(name) {
      checkSecretName(name);
      return values.delete(name);
    },
    list: async () => [...values.keys()].sort(),
  };
}
