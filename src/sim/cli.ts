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
import { ScaledClock, systemClock } from '../shared/clock';
import { applyFaultCommand, FAULT_HELP } from './faults';
import { startPlayground, type PlaygroundOptions } from './playground';

function parseArgs(argv: string[]): PlaygroundOptions & { help: boolean } {
  const options: PlaygroundOptions & { help: boolean } = {
    kubeconfigOut: resolve('.playground/kubeconfig.yaml'),
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const positive = (name: string, text: string): number => {
      const n = Number(text);
      if (!(n > 0) || !Number.isFinite(n)) throw new Error(`${name} must be a positive number`);
      return n;
    };
    switch (flag) {
      case '--clusters': {
        const n = positive('--clusters', value());
        if (!Number.isInteger(n) || n > 100)
          throw new Error('--clusters must be an integer from 1 to 100');
        options.clusters = n;
        break;
      }
      case '--kubeconfig-out':
        options.kubeconfigOut = resolve(value());
        break;
      case '--state':
        options.stateDir = resolve(value());
        break;
      case '--prometheus':
        options.prometheus = value();
        break;
      case '--speed': {
        const speed = positive('--speed', value());
        options.clock = speed === 1 ? systemClock : new ScaledClock(speed);
        break;
      }
      case '--traffic-rate':
        options.trafficRate = Number(value());
        if (!(options.trafficRate >= 0)) throw new Error('--traffic-rate must be 0 or more');
        break;
      case '--no-scenario':
        options.scenario = false;
        break;
      case '-h':
      case '--help':
        options.help = true;
        break;
      default:
        throw new Error(`unknown option ${arg} (see --help)`);
    }
  }
  return options;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
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
