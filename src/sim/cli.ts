/**
 * `npm run playground -- [options]`: simulated Kubernetes clusters on 127.0.0.1.
 *
 *   --clusters N            how many clusters (default 3: staging, eu, us)
 *   --kubeconfig-out FILE   where to write the kubeconfig (default .playground/kubeconfig.yaml)
 *   --state DIR             save the clusters here on exit and load them at start
 *   --prometheus PATH       the Prometheus binary; "builtin" for the built-in evaluator, "none" for none
 *   --speed X               run the clusters' clock X times faster (built-in Prometheus then)
 *   --traffic-rate R        synthetic requests per second per app (default 3)
 *   --no-scenario           start empty clusters
 *
 * Prints "playground ready: FILE" when serving; stops cleanly on SIGINT/SIGTERM.
 * While it runs, lines on stdin drive faults: `help` lists them.
 */
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { numberFlag, parseArgs, UsageError } from '../shared/args';
import { ScaledClock } from '../shared/clock';
import { applyFaultCommand, FAULT_HELP } from './faults';
import { startPlayground, type PlaygroundOptions } from './playground';

function parsePlaygroundArgs(argv: string[]): PlaygroundOptions & { help: boolean } {
  const args = parseArgs(argv, {
    '--clusters': 'string',
    '--kubeconfig-out': 'string',
    '--state': 'string',
    '--prometheus': 'string',
    '--speed': 'string',
    '--traffic-rate': 'string',
    '--no-scenario': 'boolean',
    '--help': 'boolean',
    '-h': 'boolean',
  });
  if (args.positionals.length) throw new UsageError(`unexpected argument ${args.positionals[0]}`);
  const speed = numberFlag(args, '--speed', 1, { min: 0.01, max: 1000 });
  const state = args.strings.get('--state');
  const prometheus = args.strings.get('--prometheus');
  return {
    help: args.booleans.has('--help') || args.booleans.has('-h'),
    kubeconfigOut: resolve(args.strings.get('--kubeconfig-out') ?? '.playground/kubeconfig.yaml'),
    ...(args.strings.has('--clusters')
      ? { clusters: numberFlag(args, '--clusters', 3, { min: 1, max: 100, integer: true }) }
      : {}),
    ...(state ? { stateDir: resolve(state) } : {}),
    ...(prometheus ? { prometheus } : {}),
    ...(speed !== 1 ? { clock: new ScaledClock(speed) } : {}),
    ...(args.strings.has('--traffic-rate')
      ? { trafficRate: numberFlag(args, '--traffic-rate', 3, { min: 0, max: 10_000 }) }
      : {}),
    ...(args.booleans.has('--no-scenario') ? { scenario: false } : {}),
  };
}

async function main(): Promise<void> {
  const options = parsePlaygroundArgs(process.argv.slice(2));
  if (options.help) {
    const doc = /\/\*\*([\s\S]*?)\*\//.exec(
      (await import('node:fs')).readFileSync(new URL(import.meta.url), 'utf8'),
    );
    console.log((doc?.[1] ?? '').replace(/^ \* ?/gm, '').trim());
    return;
  }
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const playground = await startPlayground({ ...options, log });
  for (const c of playground.clusters) {
    log(`playground: ${c.context} at ${c.api.url} (metrics ${c.metricsUrl})`);
  }
  console.log(`playground ready: ${playground.kubeconfig}`);

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await playground.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());

  // Faults from stdin, when someone is typing (or a test is piping commands).
  if (!process.stdin.isTTY && process.stdin.readable) {
    const lines = createInterface({ input: process.stdin });
    lines.on('line', (line) => {
      if (!line.trim()) return;
      void applyFaultCommand(playground, line).then(
        (answer) => log(answer),
        (err: unknown) => log(`fault: ${(err as Error).message}\n${FAULT_HELP}`),
      );
    });
  } else if (process.stdin.isTTY) {
    const lines = createInterface({ input: process.stdin, output: process.stderr, prompt: '' });
    lines.on('line', (line) => {
      if (!line.trim()) return;
      void applyFaultCommand(playground, line).then(log, (err: unknown) =>
        log(`fault: ${(err as Error).message}`),
      );
    });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`playground: ${(err as Error).message}\n`);
  process.exit(1);
});
