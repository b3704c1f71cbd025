/**
 * `aviary run`: the engine headless, printing the Flagger-style log until SIGINT/SIGTERM,
 * then releasing the Leases it holds.
 */
import { parseArgs, UsageError } from '../../shared/args';
import { COMMON_FLAGS, CONTROL_FLAG, parseCommon } from './options';
import { formatJson, formatText, fromRecord, type StreamLine } from './format';
import { openHeadless } from './headless';
import type { CommandIo } from './io';
import { watchClusterChanges } from './stream';
import { parseListenAddress, startMetricsServer } from '../../core/controller/metrics-endpoint';

export const RUN_USAGE = `Usage: aviary run [--kubeconfig FILE] [--playground FILE] [--context C ...]
                  [--control CONTEXT ...|--control all|--control none] [--json]
                  [--metrics-server URL] [--metrics-address [HOST]:PORT]

Runs Aviary's canary controller without a window and prints its log, one line per record:
  TIME LEVEL CONTEXT CANARY MESSAGE
  (CANARY is "-" for a cluster's control and connection changes)

  --kubeconfig FILE   kubeconfig file(s), ':'-separated or repeated; kubectl's rules apply
                      (default: $KUBECONFIG, else ~/.kube/config)
  --playground FILE   the kubeconfig the playground wrote (npm run playground -- --kubeconfig-out FILE)
  --context C         only these contexts (repeat or comma-separate); the others are ignored
  --control C         drive exactly these contexts' canaries; "all" or "none" for every or no
                      context. Default: the --playground contexts only, as in the app; every
                      other context is observed. Driving needs the cluster's Lease: another
                      Aviary holding it leaves this one on standby; an in-cluster Flagger is
                      never competed with.
  --metrics-server URL  default Prometheus for builtin checks (Flagger's -metrics-server)
  --metrics-address [HOST]:PORT
                      serve Flagger's own metrics (flagger_canary_status, _weight, ...) at
                      /metrics for Prometheus; ":PORT" listens on 127.0.0.1 only
  --json              one JSON object per line, Flagger's log keys (level, ts, msg, canary)
                      plus context, seq, actor (control lines add control/holder)

Stops on SIGINT/SIGTERM, releasing the Leases it holds.`;

export async function runCommand(argv: string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, {
    ...COMMON_FLAGS,
    ...CONTROL_FLAG,
    '--metrics-server': 'string',
    '--metrics-address': 'string',
  });
  const common = parseCommon(args);
  if (common.help) {
    io.out(RUN_USAGE);
    return 0;
  }
  if (args.positionals.length) throw new UsageError(`unexpected argument ${args.positionals[0]}`);
  const print = (line: StreamLine): void =>
    io.out(common.json ? formatJson(line) : formatText(line));
  const metricsServer = args.strings.get('--metrics-server');
  const metricsText = args.strings.get('--metrics-address');
  let metricsAddress: { host: string; port: number } | undefined;
  try {
    metricsAddress = metricsText === undefined ? undefined : parseListenAddress(metricsText);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }

  const headless = await openHeadless({
    common,
    version: io.version,
    env: io.env,
    onLog: (record) => print(fromRecord(record)),
    ...(metricsServer ? { metricsServer } : {}),
  });
  const metrics = metricsAddress
    ? await startMetricsServer({
        ...metricsAddress,
        render: () => headless.service.flaggerMetrics.render(),
      }).catch(async (err: unknown) => {
        await headless.stop();
        throw new UsageError(`--metrics-address: ${(err as Error).message}`);
      })
    : undefined;
  if (metrics) io.err(`aviary run: Flagger metrics at ${metrics.url}`);
  const unwatch = watchClusterChanges(headless, print);
  const driven = headless.selected().filter((c) => headless.controls(c));
  io.err(
    `aviary run: ${headless.selected().length} context(s), driving ${
      driven.length ? driven.map((c) => c.id).join(', ') : 'none (observing only)'
    }; Ctrl-C stops`,
  );

  // The engine's timers do not keep a process alive on their own (they are unref'd): this does.
  const keepAlive = setInterval(() => undefined, 3_600_000);
  const signal = await io.stopRequested;
  clearInterval(keepAlive);
  io.err(`aviary run: ${signal}, stopping (releasing leases)`);
  unwatch();
  await metrics?.close();
  await headless.stop();
  io.err('aviary run: stopped');
  return 0;
}
