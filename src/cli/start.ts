/**
 * `npm start`: build if needed, start the playground (unless --no-playground), then launch
 * Electron when its binary is installed, or web mode when it is not (or when Electron
 * fails to start, e.g. electron >= 45 trying to download itself at first launch).
 *
 *   npm start -- [--web] [--no-open] [--no-playground] [--kubeconfig FILE[:FILE]] [--port N]
 *                [--metrics-address [HOST]:PORT]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { delimiter, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { numberFlag, parseArgs, UsageError } from '../shared/args';
import { createAviaryService } from '../core/service';
import { configDir, SettingsStore } from '../core/settings';
import {
  listenAddressText,
  parseListenAddress,
  startMetricsServer,
} from '../core/controller/metrics-endpoint';
import { startWebMode } from '../server/web';
import { buildApp, buildIsStale } from './build-app';
import { findElectronBinary } from './electron-binary';

interface StartOptions {
  web: boolean;
  open: boolean;
  playground: boolean;
  kubeconfig: string[];
  port: number;
  /** Flagger's /metrics for a Prometheus to scrape (web mode). */
  metricsAddress?: { host: string; port: number };
  help: boolean;
}

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const log = (line: string): void => {
  process.stderr.write(`${new Date().toISOString()} ${line}\n`);
};

export function parseStartArgs(argv: string[]): StartOptions {
  const args = parseArgs(argv, {
    '--web': 'boolean',
    '--no-open': 'boolean',
    '--no-playground': 'boolean',
    '--kubeconfig': 'list',
    '--port': 'string',
    '--metrics-address': 'string',
    '--dev': 'boolean',
    '--help': 'boolean',
    '-h': 'boolean',
  });
  if (args.positionals.length) throw new UsageError(`unexpected argument ${args.positionals[0]}`);
  const metricsAddress = args.strings.get('--metrics-address');
  let metrics: StartOptions['metricsAddress'];
  try {
    metrics = metricsAddress === undefined ? undefined : parseListenAddress(metricsAddress);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return {
    web: args.booleans.has('--web'),
    open: !args.booleans.has('--no-open'),
    playground: !args.booleans.has('--no-playground'),
    kubeconfig: (args.lists.get('--kubeconfig') ?? []).flatMap((list) =>
      list
        .split(delimiter)
        .filter(Boolean)
        .map((p) => resolve(p)),
    ),
    port: numberFlag(args, '--port', 0, { min: 0, max: 65535, integer: true }),
    ...(metrics ? { metricsAddress: metrics } : {}),
    help: args.booleans.has('--help') || args.booleans.has('-h'),
  };
}

const USAGE = `Usage: npm start -- [options]
  --web              web mode even when Electron is installed
  --no-open          do not open a browser in web mode
  --no-playground    do not start the simulated clusters
  --kubeconfig FILE  kubeconfig file(s), ':'-separated; overrides $KUBECONFIG as in kubectl
  --port N           web-mode port on 127.0.0.1 (default: a free one)
  --metrics-address [HOST]:PORT
                     serve Flagger's flagger_* metrics at /metrics for Prometheus
                     (":PORT" listens on 127.0.0.1)`;

/** Starts the playground as its own process and waits for "playground ready: FILE". */
async function startPlayground(
  dir: string,
): Promise<{ kubeconfig: string; child: ChildProcess } | undefined> {
  const entry = join(root, 'src/sim/cli.ts');
  if (!existsSync(entry)) return undefined;
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  const child = spawn(
    process.execPath,
    [
      join(root, 'node_modules/tsx/dist/cli.mjs'),
      entry,
      '--kubeconfig-out',
      kubeconfig,
      '--state',
      join(dir, 'state'),
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const ready = await new Promise<boolean>((resolvePromise) => {
    const timer = setTimeout(() => resolvePromise(false), 60_000);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (line.startsWith('playground ready:')) {
        clearTimeout(timer);
        resolvePromise(true);
      } else process.stderr.write(`[playground] ${line}\n`);
    });
    child.once('exit', () => {
      clearTimeout(timer);
      resolvePromise(false);
    });
  });
  if (!ready) {
    child.kill('SIGTERM');
    log('the playground did not start (see its messages above); continuing without it');
    return undefined;
  }
  return { kubeconfig, child };
}

/** Launches Electron; resolves false when it exits before its window is ready. */
async function launchElectron(binary: string, args: string[]): Promise<boolean> {
  const child = spawn(binary, [root, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = await new Promise<boolean>((resolvePromise) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (line.startsWith('aviary: window ready')) resolvePromise(true);
      else process.stdout.write(`${line}\n`);
    });
    child.once('error', () => resolvePromise(false));
    child.once('exit', () => resolvePromise(false));
  });
  if (!ready) return false;
  await new Promise<void>((resolvePromise) => child.once('exit', () => resolvePromise()));
  return true;
}

function openBrowser(url: string): void {
  const command =
    process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return;
  const child = spawn(command, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => undefined);
  child.unref();
}

async function main(): Promise<void> {
  const options = parseStartArgs(process.argv.slice(2));
  if (options.help) {
    console.log(USAGE);
    return;
  }
  const dir = configDir();
  await mkdir(dir, { recursive: true });
  const version = (
    JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }
  ).version;

  const electron = options.web ? undefined : findElectronBinary(root);
  const target = electron ? 'electron' : 'web';
  if (buildIsStale(root, target)) {
    log(`building the ${target === 'electron' ? 'app' : 'renderer'}...`);
    await buildApp(root, target, true);
  }

  const playground = options.playground
    ? await startPlayground(join(dir, 'playground'))
    : undefined;
  const stopPlayground = (): void => {
    playground?.child.kill('SIGTERM');
  };
  // The playground saves its state as it stops: wait for it (bounded), so nothing is still
  // writing under the config directory once `npm start` has exited.
  const stopPlaygroundAndWait = async (): Promise<void> => {
    const child = playground?.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolvePromise) =>
      child.once('exit', () => resolvePromise()),
    );
    child.kill('SIGTERM');
    const timer = new Promise<void>((resolvePromise) => setTimeout(resolvePromise, 10_000).unref());
    await Promise.race([exited, timer]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', stopPlayground);

  if (electron) {
    const args = [
      ...options.kubeconfig.flatMap((k) => ['--kubeconfig', k]),
      ...(playground ? ['--playground-kubeconfig', playground.kubeconfig] : []),
      ...(options.metricsAddress
        ? ['--metrics-address', listenAddressText(options.metricsAddress)]
        : []),
    ];
    if (await launchElectron(electron.path, args)) {
      await stopPlaygroundAndWait();
      return;
    }
    log('Electron could not start here; falling back to web mode');
  }

  const settings = SettingsStore.inDir(dir);
  await settings.load();
  const service = createAviaryService({
    host: { mode: 'web', version },
    settings,
    kubeconfigFlag: options.kubeconfig.length ? options.kubeconfig : undefined,
    playgroundKubeconfig: playground?.kubeconfig,
    log,
  });
  await service.start();
  const web = await startWebMode({
    backend: service,
    rendererDir: join(root, 'out/renderer'),
    port: options.port,
    log,
  });
  const metrics = options.metricsAddress
    ? await startMetricsServer({
        ...options.metricsAddress,
        render: () => service.flaggerMetrics.render(),
      })
    : undefined;
  if (metrics) log(`Flagger metrics at ${metrics.url}`);
  // The one line a person needs; it carries the token, so it is printed, never logged elsewhere.
  console.log(`Aviary web mode: ${web.url}`);
  if (options.open) openBrowser(web.url);

  const shutdown = async (): Promise<void> => {
    await web.close();
    await metrics?.close();
    await service.stop();
    await stopPlaygroundAndWait();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
}

main().catch((err: unknown) => {
  log(`aviary: ${(err as Error).message}`);
  process.exit(1);
});
