/**
 * Aviary's own settings (added kubeconfig files, the selected context, window bounds),
 * one JSON file in the user's config directory, shared by Electron and web mode.
 * Secrets never go here: they belong in the OS keychain (core/secrets).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { s, type Infer } from '../shared/schema';

const windowBounds = s.object({
  x: s.optional(s.number({ integer: true })),
  y: s.optional(s.number({ integer: true })),
  width: s.number({ integer: true, min: 200, max: 20_000 }),
  height: s.number({ integer: true, min: 200, max: 20_000 }),
  maximized: s.optional(s.boolean()),
});

const settingsSchema = s.object({
  version: s.literal(1),
  addedKubeconfigs: s.array(s.string({ min: 1, max: 4096 }), { max: 200 }),
  selectedContext: s.optional(s.string({ max: 253 })),
  /** Contexts the user turned Aviary's control on or off for (default: on for the playground only). */
  control: s.optional(
    s.array(s.object({ context: s.string({ min: 1, max: 253 }), enabled: s.boolean() }), {
      max: 1000,
    }),
  ),
  window: s.optional(windowBounds),
});

export type Settings = Infer<typeof settingsSchema>;
export type WindowBounds = Infer<typeof windowBounds>;

export const defaultSettings = (): Settings => ({ version: 1, addedKubeconfigs: [] });

/** The per-user config directory: $AVIARY_CONFIG_DIR, else the platform's convention. */
export function configDir(
  env: NodeJS.ProcessEnv = process.env,
  platform = process.platform,
): string {
  if (env.AVIARY_CONFIG_DIR) return env.AVIARY_CONFIG_DIR;
  const home = env.HOME ?? homedir();
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Aviary');
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Aviary');
  return join(env.XDG_CONFIG_HOME ?? join(home, '.config'), 'aviary');
}

export class SettingsStore {
  private current: Settings = defaultSettings();
  private writing: Promise<void> = Promise.resolve();
  /** Set when the file on disk could not be read; the UI and log say so. */
  loadProblem: string | undefined;

  constructor(readonly file: string) {}

  static inDir(dir: string): SettingsStore {
    return new SettingsStore(join(dir, 'settings.json'));
  }

  async load(): Promise<Settings> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        this.loadProblem = `cannot read ${this.file}: ${String(err)}`;
      return this.current;
    }
    try {
      this.current = settingsSchema.parse(JSON.parse(text));
    } catch (err) {
      // Keep the unreadable file for the user instead of overwriting what they had.
      const aside = `${this.file}.unreadable-${Date.now()}`;
      await rename(this.file, aside).catch(() => undefined);
      this.loadProblem = `settings file was unreadable (${(err as Error).message}); kept as ${aside}`;
      this.current = defaultSettings();
    }
    return this.current;
  }

  get(): Settings {
    return this.current;
  }

  /** Applies a change and writes it atomically (temp file + rename), one write at a time. */
  update(change: (draft: Settings) => void): Promise<void> {
    const draft = structuredClone(this.current);
    change(draft);
    this.current = settingsSchema.parse(draft);
    const snapshot = JSON.stringify(this.current, null, 2) + '\n';
    this.writing = this.writing.then(async () => {
      await mkdir(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      await writeFile(tmp, snapshot, { mode: 0o600 });
      await rename(tmp, this.file);
    });
    return this.writing;
  }
}
