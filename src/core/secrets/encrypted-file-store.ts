/**
 * A second keychain backend for the desktop app: values encrypted by the OS (Electron's
 * safeStorage, whose key lives in the Keychain, DPAPI or the Secret Service) and kept in one
 * file in Aviary's config directory (mode 0600, replaced atomically). The cipher is injected,
 * since only src/main may load Electron; a cipher that is not backed by the OS (safeStorage's
 * "basic_text" on Linux) must report itself unavailable, and then nothing is stored: no
 * plain text, ever.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SecretStore, SecretStoreStatus } from './secret-store';
import { SecretStoreUnavailableError, checkSecretName } from './secret-store';

/** What safeStorage offers, as the store needs it. */
export interface SecretCipher {
  /** ok only when the OS holds the key (not a hard-coded fallback). */
  available(): SecretStoreStatus;
  encrypt(plain: string): Buffer;
  decrypt(encrypted: Buffer): string;
}

interface SecretsFile {
  format: 'aviary-secrets/v1';
  /** name → base64 of the encrypted value */
  values: Record<string, string>;
}

const FORMAT = 'aviary-secrets/v1';
const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export class EncryptedFileStore implements SecretStore {
  /** Writes queue behind each other, so two changes never race on the file. */
  private writing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly cipher: SecretCipher,
  ) {}

  async available(): Promise<SecretStoreStatus> {
    try {
      return this.cipher.available();
    } catch (err) {
      return { ok: false, reason: messageOf(err) };
    }
  }

  async get(name: string): Promise<string | undefined> {
    checkSecretName(name);
    if (!(await this.available()).ok) return undefined;
    const encrypted = (await this.read()).values[name];
    if (encrypted === undefined) return undefined;
    try {
      return this.cipher.decrypt(Buffer.from(encrypted, 'base64'));
    } catch (err) {
      // The value is not repeated: the cipher's message is about the key, not the secret.
      throw new Error(`secret "${name}" cannot be decrypted: ${messageOf(err)}`, { cause: err });
    }
  }

  async set(name: string, value: string): Promise<void> {
    checkSecretName(name);
    const status = await this.available();
    if (!status.ok) throw new SecretStoreUnavailableError(status.reason ?? 'unknown reason');
    const encrypted = this.cipher.encrypt(value).toString('base64');
    await this.change((values) => {
      values[name] = encrypted;
    });
  }

  async delete(name: string): Promise<boolean> {
    checkSecretName(name);
    let removed = false;
    await this.change((values) => {
      removed = name in values;
      delete values[name];
    });
    return removed;
  }

  async list(): Promise<string[]> {
    if (!(await this.available()).ok) return [];
    return Object.keys((await this.read()).values).sort();
  }

  private async read(): Promise<SecretsFile> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { format: FORMAT, values: {} };
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`${this.path} is not a secrets file Aviary wrote (not JSON); left as is`);
    }
    const file = parsed as Partial<SecretsFile> | null;
    if (file?.format !== FORMAT || typeof file.values !== 'object' || file.values === null)
      throw new Error(`${this.path} is not a secrets file Aviary wrote (${FORMAT}); left as is`);
    return { format: FORMAT, values: { ...file.values } };
  }

  private change(edit: (values: Record<string, string>) => void): Promise<void> {
    const run = this.writing.then(async () => {
      const file = await this.read();
      edit(file.values);
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      const temp = `${this.path}.${process.pid}.tmp`;
      try {
        await writeFile(temp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
        await rename(temp, this.path);
      } catch (err) {
        await rm(temp, { force: true });
        throw err;
      }
    });
    this.writing = run.catch(() => undefined);
    return run;
  }
}

/**
 * The first store that reaches a keychain, chosen once, at first use: keytar when the
 * Secret Service (or Keychain, or Credential Manager) answers, else the next one. Choosing
 * once keeps every secret in one place for the life of the app.
 */
export function firstAvailableStore(stores: readonly SecretStore[]): SecretStore {
  let chosen: Promise<SecretStore> | undefined;
  const pick = (): Promise<SecretStore> =>
    (chosen ??= (async () => {
      for (const store of stores) if ((await store.available()).ok) return store;
      // None: the first one says why (and refuses to store).
      return stores[0]!;
    })());
  return {
    available: async () => {
      const store = await pick();
      const status = await store.available();
      if (status.ok || stores.length < 2) return status;
      // Every reason, so a person knows what each backend lacked.
      const reasons = await Promise.all(stores.map((s) => s.available()));
      return {
        ok: false,
        reason: reasons
          .map((r) => r.reason)
          .filter(Boolean)
          .join('; '),
      };
    },
    get: async (name) => (await pick()).get(name),
    set: async (name, value) => (await pick()).set(name, value),
    delete: async (name) => (await pick()).delete(name),
    list: async () => (await pick()).list(),
  };
}
