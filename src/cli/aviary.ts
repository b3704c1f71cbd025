/**
 * `npm run aviary -- <command>`: Aviary without a window, for terminals and CI.
 *
 *   aviary run     the canary controller headless, printing the Flagger-style log
 *   aviary status  every canary of every context, like `kubectl get canaries -A`
 *   aviary wait    block until a canary's rollout succeeds (0) or fails (1); 2 otherwise
 *
 * Each builds the same AviaryService as the app (src/core/service.ts), with flags in place
 * of the app's settings. Exit status 2 means a usage error (unknown flag, missing
 * kubeconfig file, unknown context).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../shared/args';
import type { CommandIo } from './aviary/io';
import { runCommand, RUN_USAGE } from './aviary/run';
import { statusCommand, STATUS_USAGE } from './aviary/status';
import { waitCommand, WAIT_USAGE } from './aviary/wait';

const USAGE = `Usage: npm run aviary -- <command> [options]

Commands:
  run      run the canary controller headless and print its log
  status   list every canary of every context (observe-only)
  wait     wait for a canary's rollout: exit 0 succeeded, 1 failed, 2 timeout

Contexts come from --kubeconfig FILE (kubectl's rules: else $KUBECONFIG, else
~/.kube/config) and --playground FILE (the kubeconfig \`npm run playground\` wrote). Only
playground contexts are driven by default (by \`run\`); every other context is observed
unless named with --control.

\`aviary <command> --help\` for a command's options.`;

const COMMANDS: Record<
  string,
  { run: (argv: string[], io: CommandIo) => Promise<number>; usage: string }
> = {
  run: { run: runCommand, usage: RUN_USAGE },
  status: { run: statusCommand, usage: STATUS_USAGE },
  wait: { run: waitCommand, usage: WAIT_USAGE },
};

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

function version(): string {
  try {
    return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    const command = topic ? COMMANDS[topic] : undefined;
    process.stdout.write(`${command ? command.usage : USAGE}\n`);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(
      `aviary: unknown command "${name}" (run, status, wait; --help for usage)\n`,
    );
    return 2;
  }

  let signalled: (signal: string) => void = () => undefined;
  const stopRequested = new Promise<string>((r) => (signalled = r));
  const onSignal = (signal: NodeJS.Signals): void => {
    signalled(signal);
    // A second signal means now.
    process.once(signal, () => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const io: CommandIo = {
    out: (line) => void process.stdout.write(`${line}\n`),
    err: (line) => void process.stderr.write(`${line}\n`),
    env: process.env,
    version: version(),
    stopRequested,
  };
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`aviary ${name}: ${err.message}\n(aviary ${name} --help for usage)\n`);
      return 2;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // stdout may be a pipe: let it drain before the exit code is final.
    process.stdout.write('', () => process.exit(code));
  },
  (err: unknown) => {
    process.stderr.write(`aviary: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(2);
  },
);
