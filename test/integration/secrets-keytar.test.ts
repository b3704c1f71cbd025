/**
 * The keytar SecretStore against a real Secret Service: a child process in its own D-Bus
 * session (dbus-run-session) with a gnome-keyring unlocked by a throwaway password, and HOME
 * and XDG dirs in a temporary directory, so the user's own keyring is never touched.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const CHILD = fileURLToPath(new URL('./fixtures/keytar-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function onPath(binary: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      return readdirSync(dir).includes(binary);
    } catch {
      return false;
    }
  });
}

const missing = ['dbus-run-session', 'gnome-keyring-daemon'].filter((b) => !onPath(b));
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh HOME with XDG dirs; the environment has no D-Bus session of the parent. */
function isolatedEnv(): { env: NodeJS.ProcessEnv; home: string } {
  const home = mkdtempSync(join(tmpdir(), 'aviary-keytar-'));
  dirs.push(home);
  mkdirSync(join(home, 'run'), { mode: 0o700 });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_DATA_HOME: join(home, 'data'),
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_RUNTIME_DIR: join(home, 'run'),
  };
  return { env, home };
}

function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { env, cwd: ROOT, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const childCommand = `exec "${process.execPath}" --import tsx "${CHILD}" Aviary-test`;

describe('keytar SecretStore (OS keychain)', () => {
  it.skipIf(missing.length > 0)(
    `stores, reads, lists and deletes secrets in gnome-keyring over D-Bus${missing.length ? ` (skipped: ${missing.join(', ')} not installed)` : ''}`,
    async () => {
      const { env, home } = isolatedEnv();
      const result = await run(
        'dbus-run-session',
        [
          '--',
          'sh',
          '-c',
          `echo -n pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null; ${childCommand}`,
        ],
        env,
      );
      expect(result.stderr).not.toContain('keytar-child:');
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout.trim())).toEqual({
        available: { ok: true },
        afterSet: ['prometheus-token', 'slack-webhook'],
        webhook: 'https://hooks.example.com/services/s3cret',
        token: 'tok-2',
        deleted: true,
        deletedAgain: false,
        afterDelete: ['slack-webhook'],
        missing: null,
      });
      // The keyring on disk is encrypted: the value is nowhere in plain text.
      const keyrings = join(home, 'data', 'keyrings');
      const files = readdirSync(keyrings);
      expect(files.length).toBeGreaterThan(0);
      for (const f of files) expect(readFileSync(join(keyrings, f)).includes('s3cret')).toBe(false);
    },
  );

  it('without a D-Bus session the store is unavailable and says why', async () => {
    const { env } = isolatedEnv();
    const result = await run(process.execPath, ['--import', 'tsx', CHILD, 'Aviary-test'], env);
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout.trim()) as { available: { ok: boolean; reason: string } };
    expect(out.available.ok).toBe(false);
    expect(out.available.reason).toMatch(
      /^the (OS keychain did not answer|keytar module could not be loaded) \(.+\)$/,
    );
  });
});
