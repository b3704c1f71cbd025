/**
 * The desktop's secrets behind the API contract: secrets.status / set / delete over a
 * SecretStore, and the values the engine reads (the personal Slack webhook as the global
 * notifier). Values are read from the keychain once and remembered until they change here,
 * so an alert does not ask the keychain each time (which may prompt to unlock it).
 * No value is ever logged, returned, or put in an error.
 */
import {
  ApiError,
  SECRET_NAMES,
  type ApiHandlers,
  type SecretName,
  type SecretsStatus,
} from '../../shared/api';
import type { GlobalNotifierSettings } from '../alerts/notifier';
import type { SecretStore } from './secret-store';
import { SecretStoreUnavailableError, withoutValue } from './secret-store';

export type SecretsHandlers = Pick<
  ApiHandlers,
  'secrets.status' | 'secrets.set' | 'secrets.delete'
>;

export interface DesktopSecrets {
  handlers: SecretsHandlers;
  /** The value, or undefined when unset or without a keychain (never throws). */
  value(name: SecretName): Promise<string | undefined>;
  /** The global notifier for canaries without alerts: the personal Slack webhook, if set. */
  globalNotifier(): Promise<GlobalNotifierSettings | undefined>;
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export function createDesktopSecrets(
  store: SecretStore,
  log: (line: string) => void = () => undefined,
): DesktopSecrets {
  const cache = new Map<SecretName, Promise<string | undefined>>();

  const value = (name: SecretName): Promise<string | undefined> => {
    let cached = cache.get(name);
    if (!cached) {
      cached = store.get(name).catch(() => undefined);
      cache.set(name, cached);
    }
    return cached;
  };

  const status = async (): Promise<SecretsStatus> => {
    const available = await store.available();
    if (!available.ok)
      return { available: false, reason: available.reason ?? 'unknown reason', names: [] };
    let stored: string[];
    try {
      stored = await store.list();
    } catch (err) {
      return { available: false, reason: messageOf(err), names: [] };
    }
    const names = SECRET_NAMES.filter((n) => stored.includes(n));
    return { available: true, names };
  };

  /** A store failure as the contract's error, with the value masked. */
  const apiError = (action: string, name: SecretName, err: unknown, secret = ''): ApiError => {
    if (err instanceof SecretStoreUnavailableError)
      return new ApiError('unavailable', withoutValue(err.message, secret));
    return new ApiError(
      'internal',
      `could not ${action} secret ${name}: ${withoutValue(messageOf(err), secret)}`,
    );
  };

  const handlers: SecretsHandlers = {
    'secrets.status': status,
    'secrets.set': async ({ name, value: secret }) => {
      try {
        await store.set(name, secret);
      } catch (err) {
        throw apiError('store', name, err, secret);
      }
      cache.set(name, Promise.resolve(secret));
      log(`secret ${name} stored in the OS keychain`);
      return status();
    },
    'secrets.delete': async ({ name }) => {
      try {
        await store.delete(name);
      } catch (err) {
        throw apiError('remove', name, err);
      }
      cache.set(name, Promise.resolve(undefined));
      log(`secret ${name} removed from the OS keychain`);
      return status();
    },
  };

  return {
    handlers,
    value,
    async globalNotifier() {
      const url = await value('slack-webhook');
      // Slack's incoming webhooks post to their own channel; Flagger needs a channel name.
      return url ? { type: 'slack', url, username: 'flagger', channel: 'general' } : undefined;
    },
  };
}
