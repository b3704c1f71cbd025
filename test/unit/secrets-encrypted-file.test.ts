/**
 * The second keychain backend (safeStorage inside Electron): values encrypted by an
 * OS-held key in one 0600 file, never plain text; and the choice between it and keytar.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  EncryptedFileStore,
  firstAvailableStore,
  type SecretCipher,
} from '../../src/core/secrets/encrypted-file-store';
import { createMemoryStore } from '../../src/core/secrets/memory-store';
import { SecretStoreUnavailableError, type SecretStore } from '../../src/core/secrets/secret-store';

/** AES-GCM with a key held in memory: what safeStorage does with the OS's key. */
function osCipher(ok = true): SecretCipher {
  const key = randomBytes(32);
  return {
    available: () => (ok ? { ok: true } : { ok: false, reason: 'no Secret Service running' }),
    encrypt: (plain) => {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), body]);
    },
    decrypt: (data) => {
      const d = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
      d.setAuthTag(data.subarray(12, 28));
      return Buffer.concat([d.update(data.subarray(28)), d.final()]).toString('utf8');
    },
  };
}

const WEBHOOK = 'https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aviary-secrets-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('EncryptedFileStore', () => {
  it('keeps values encrypted in a 0600 file, and reads them back', async () => {
    const file = join(dir, 'config', 'secrets.json');
    const store = new EncryptedFileStore(file, osCipher());
    expect(await store.available()).toEqual({ ok: true });
    expect(await store.list()).toEqual([]);
    await store.set('slack-webhook', WEBHOOK);
    await store.set('prometheus-token', 'tok-123456');
    expect(await store.get('slack-webhook')).toBe(WEBHOOK);
    expect(await store.list()).toEqual(['prometheus-token', 'slack-webhook']);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain('hooks.slack.com');
    expect(text).not.toContain('tok-123456');
    expect(JSON.parse(text)).toMatchObject({ format: 'aviary-secrets/v1' });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await store.delete('slack-webhook')).toBe(true);
    expect(await store.delete('slack-webhook')).toBe(false);
    expect(await store.get('slack-webhook')).toBeUndefined();
    expect(await store.list()).toEqual(['prometheus-token']);
  });

  it('keeps every change when several arrive at once', async () => {
    const store = new EncryptedFileStore(join(dir, 'secrets.json'), osCipher());
    const names = ['a-1', 'b-2', 'c-3', 'd-4', 'e-5'];
    await Promise.all(names.map((n) => store.set(n, `value of ${n}`)));
    expect(await store.list()).toEqual(names);
  });

  it('stores nothing, in plain text or otherwise, without an OS key', async () => {
    const file = join(dir, 'secrets.json');
    const store = new EncryptedFileStore(file, osCipher(false));
    expect(await store.available()).toEqual({ ok: false, reason: 'no Secret Service running' });
    const err = await store.set('slack-webhook', WEBHOOK).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretStoreUnavailableError);
    expect((err as Error).message).toContain('will not store secrets in plain text');
    expect((err as Error).message).not.toContain(WEBHOOK);
    await expect(stat(file)).rejects.toThrow(/ENOENT/);
    expect(await store.get('slack-webhook')).toBeUndefined();
  });

  it('leaves a file it did not write alone, and says so', async () => {
    const file = join(dir, 'secrets.json');
    await writeFile(file, 'token: hunter2\n');
    const store = new EncryptedFileStore(file, osCipher());
    await expect(store.set('slack-webhook', WEBHOOK)).rejects.toThrow(
      /is not a secrets file Aviary wrote.*left as is/,
    );
    expect(await readFile(file, 'utf8')).toBe('token: hunter2\n');
  });

  it('a value the key cannot open is an error naming the secret, not the value', async () => {
    const file = join(dir, 'secrets.json');
    await new EncryptedFileStore(file, osCipher()).set('slack-webhook', WEBHOOK);
    // Another key (the OS keychain was reset): the value cannot be decrypted.
    const err = await new EncryptedFileStore(file, osCipher())
      .get('slack-webhook')
      .catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^secret "slack-webhook" cannot be decrypted: /);
    expect((err as Error).message).not.toContain('hooks.slack.com');
  });

  it('refuses names that are not secret names', async () => {
    const store = new EncryptedFileStore(join(dir, 'secrets.json'), osCipher());
    await expect(store.set('../etc/passwd', 'x')).rejects.toThrow(/invalid secret name/);
  });
});

describe('firstAvailableStore', () => {
  const unavailable = (reason: string): SecretStore => ({
    available: async () => ({ ok: false, reason }),
    get: async () => undefined,
    set: async () => {
      throw new SecretStoreUnavailableError(reason);
    },
    delete: async () => false,
    list: async () => [],
  });

  it('uses keytar when it answers, else the next backend', async () => {
    const keytar = createMemoryStore();
    const file = new EncryptedFileStore(join(dir, 'secrets.json'), osCipher());
    const store = firstAvailableStore([keytar, file]);
    await store.set('slack-webhook', WEBHOOK);
    expect(await keytar.get('slack-webhook')).toBe(WEBHOOK);
    expect(await file.list()).toEqual([]);

    const fallback = firstAvailableStore([unavailable('no Secret Service'), file]);
    expect(await fallback.available()).toEqual({ ok: true });
    await fallback.set('prometheus-token', 'tok');
    expect(await file.get('prometheus-token')).toBe('tok');
  });

  it('with no backend, says what each one lacked and stores nothing', async () => {
    const store = firstAvailableStore([
      unavailable('keytar is not installed'),
      new EncryptedFileStore(join(dir, 'secrets.json'), osCipher(false)),
    ]);
    expect(await store.available()).toEqual({
      ok: false,
      reason: 'keytar is not installed; no Secret Service running',
    });
    await expect(store.set('slack-webhook', WEBHOOK)).rejects.toBeInstanceOf(
      SecretStoreUnavailableError,
    );
  });
});
