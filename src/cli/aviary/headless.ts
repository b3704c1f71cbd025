/**
 * The engine without a window: the one AviaryService every Aviary process builds, with the
 * headless choices made from flags instead of settings.
 *
 * - Kubeconfig: kubectl's rules (--kubeconfig, else $KUBECONFIG, else ~/.kube/config), plus
 *   --playground FILE, loaded as the app loads the playground's kubeconfig (its contexts are
 *   `playground`). The app's settings (added files, control choices) are not read: a
 *   command line means the same thing on every machine.
 * - Contexts: --context keeps only those; the others get no runtime at all.
 * - Control: see ControlChoice. By default only playground contexts are driven, as in the app.
 */
import { join } from 'node:path';
import type { ContextInfo, LogRecord } from '../../shared/api';
import { UsageError } from '../../shared/args';
import { ScaledClock, systemClock, type Clock } from '../../shared/clock';
import { createAviaryService, type AviaryService } from '../../core/service';
import { configDir, SettingsStore } from '../../core/settings';
import type { CommonOptions, ControlChoice } from './options';

export interface Headless {
  service: AviaryService;
  clock: Clock;
  /** The contexts this command works on, as the catalog sees them now. */
  selected(): ContextInfo[];
  /** Whether this process drives a context (it still needs the Lease to actually do it). */
  controls(context: ContextInfo): boolean;
  /**
   * Resolves once every selected context has connected or failed (or after timeoutMs),
   * with the contexts as they are then.
   */
  settled(timeoutMs: number): Promise<ContextInfo[]>;
  /** Stops the engine, releasing held Leases; bounded so a dead cluster cannot hang exit. */
  stop(timeoutMs?: number): Promise<void>;
}

export interface HeadlessOptions {
  common: CommonOptions;
  /** Overrides common.control (status observes whatever the flags say). */
  control?: ControlChoice;
  /** false: no cluster runtimes at all (status reads once with its own client). Default true. */
  engine?: boolean;
  version: string;
  onLog?: (record: LogRecord) => void;
  metricsServer?: string;
  env?: NodeJS.ProcessEnv;
}

export function controlPolicy(
  choice: ControlChoice,
): (context: Pick<ContextInfo, 'id' | 'playground'>) => boolean {
  switch (choice.kind) {
    case 'default':
      return (c) => c.playground;
    case 'none':
      return () => false;
    case 'all':
      return () => true;
    case 'list': {
      const names = new Set(choice.contexts);
      return (c) => names.has(c.id);
    }
  }
}

export async function openHeadless(options: HeadlessOptions): Promise<Headless> {
  const { common } = options;
  const clock: Clock = common.speed === 1 ? systemClock : new ScaledClock(common.speed);
  const choice = options.control ?? common.control;
  const controls = controlPolicy(choice);
  const wanted = new Set(common.contexts);
  const isSelected = (c: ContextInfo): boolean => wanted.size === 0 || wanted.has(c.id);

  // Never loaded, never written: the defaults, in memory.
  const settings = SettingsStore.inDir(join(configDir(options.env), 'cli-unused'));
  const service = createAviaryService({
    host: { mode: 'web', version: options.version },
    settings,
    ...(common.kubeconfig.length ? { kubeconfigFlag: common.kubeconfig } : {}),
    ...(common.playground ? { playgroundKubeconfig: common.playground } : {}),
    env: options.env ?? process.env,
    clock,
    ...(options.onLog ? { onLog: options.onLog } : {}),
    ...(options.metricsServer ? { metricsServer: options.metricsServer } : {}),
    contextFilter: options.engine === false ? () => false : isSelected,
    controlEnabled: (c) => isSelected(c) && controls(c),
  });
  await service.start();

  try {
    validate(service, common, choice);
  } catch (err) {
    await service.stop();
    throw err;
  }

  const selected = (): ContextInfo[] => service.catalog.snapshot().contexts.filter(isSelected);
  return {
    service,
    clock,
    selected,
    controls: (c) => isSelected(c) && controls(c),
    async settled(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const contexts = selected();
        if (contexts.every((c) => c.connection.state !== 'connecting') || Date.now() >= deadline)
          return contexts;
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async stop(timeoutMs = 10_000) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        service.stop(),
        new Promise<void>((r) => {
          timer = setTimeout(r, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
    },
  };
}

/** Usage errors a person can fix: files that are not there, names that do not exist. */
function validate(service: AviaryService, common: CommonOptions, choice: ControlChoice): void {
  const { files, contexts } = service.catalog.snapshot();
  for (const file of files) {
    if (file.origin !== 'flag' && file.origin !== 'playground') continue;
    if (file.status === 'missing') throw new UsageError(`kubeconfig ${file.path}: no such file`);
    if (file.status === 'invalid')
      throw new UsageError(`kubeconfig ${file.path}: ${file.message ?? 'not a valid kubeconfig'}`);
  }
  if (contexts.length === 0) {
    const read = files.filter((f) => f.status === 'ok').map((f) => f.path);
    throw new UsageError(
      read.length
        ? `no contexts in ${read.join(', ')}`
        : 'no kubeconfig: pass --kubeconfig FILE (or set $KUBECONFIG)',
    );
  }
  const names = contexts.map((c) => c.id);
  const known = new Set(names);
  const list = `known contexts: ${names.join(', ')}`;
  for (const name of common.contexts) {
    if (!known.has(name)) throw new UsageError(`--context ${name}: no such context (${list})`);
  }
  if (choice.kind === 'list') {
    for (const name of choice.contexts) {
      if (!known.has(name)) throw new UsageError(`--control ${name}: no such context (${list})`);
      if (common.contexts.length && !common.contexts.includes(name))
        throw new UsageError(`--control ${name}: not one of the --context contexts`);
    }
  }
}
