/**
 * Where Aviary keeps the user's own secrets (a personal alert webhook, API keys, a Prometheus
 * token): the OS keychain, never a file. A store either reaches a keychain or says why not;
 * it never falls back to plain text, so set() throws when no keychain is there.
 */

export interface SecretStoreStatus {
  ok: boolean;
  /** Why there is no keychain, in words a person can act on (only when !ok). */
  reason?: string;
}

export interface SecretStore {
  available(): Promise<SecretStoreStatus>;
  /** The value, or undefined when there is none (or no keychain to hold one). */
  get(name: string): Promise<string | undefined>;
  /** Stores the value; throws SecretStoreUnavailableError without a keychain. */
  set(name: string, value: string): Promise<void>;
  /** True when a value was removed. */
  delete(name: string): Promise<boolean>;
  /** The names that have a value; never the values. */
  list(): Promise<string[]>;
}

/** No keychain: nothing was stored, and nothing will be stored in plain text instead. */
export class SecretStoreUnavailableError extends Error {
  constructor(reason: string) {
    super(`No OS keychain available: ${reason}. Aviary will not store secrets in plain text.`);
    this.name = 'SecretStoreUnavailableError';
  }
}

/** Secret names: short, lower-case, safe to show and to log. */
export const SECRET_NAME = /^[a-z0-9]([-a-z0-9]{0,62}[a-z0-9])?$/;

export function checkSecretName(name: string): void {
  if (!SECRET_NAME.test(name)) throw new Error(`invalid secret name "${name.slice(0, 64)}"`);
}

/** An error text with every occurrence of the value masked, in case a backend echoes it. */
export function withoutValue(text: string, value: string): string {
  return value.length > 0 ? text.split(value).join('***') : text;
}
