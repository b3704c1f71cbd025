/**
 * `aviary status`: every canary of the selected contexts, as `kubectl get canaries` shows
 * them plus a CONTEXT column. Observe-only: no Lease, no engine, no writes. It waits until
 * every selected context has connected or failed (bounded by --timeout), lists once, exits.
 */
import type { CanarySummary } from '../../shared/api';
import { parseArgs, UsageError } from '../../shared/args';
import { summarize } from '../../core/fleet/summary';
import { createClusterClient } from '../../core/kube/cluster-client';
import { isNotFound } from '../../core/kube/api';
import { COMMON_FLAGS, parseCommon, parseDuration } from './options';
import { describeConnection, statusTable } from './format';
import { openHeadless } from './headless';
import type { CommandIo } from './io';

export const STATUS_USAGE = `Usage: aviary status [--kubeconfig FILE] [--playground FILE] [--context C ...]
                     [-A|--all-namespaces | -n NS] [--timeout 30s] [--json]

Lists the canaries of every context (observe-only: never takes a Lease, never writes):
  CONTEXT   NAMESPACE   NAME   STATUS   WEIGHT   FAILEDCHECKS   LASTTRANSITIONTIME

  --kubeconfig FILE     kubeconfig file(s), kubectl's rules (default: $KUBECONFIG, ~/.kube/config)
  --playground FILE     the kubeconfig the playground wrote
  --context C           only these contexts
  -A, --all-namespaces  every namespace
  -n, --namespace NS    this namespace (default: each context's own namespace, as kubectl)
  --timeout D           how long to wait for the contexts to answer (default 30s)
  --json                {"items": [CanarySummary...], "contexts": [{context, state, message}]}

Exit status: 0 when every context answered, 1 when one could not be read, 2 on usage errors.`;

export async function statusCommand(argv: string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, {
    ...COMMON_FLAGS,
    '-A': 'boolean',
    '--all-namespaces': 'boolean',
    '-n': 'string',
    '--namespace': 'string',
    '--timeout': 'string',
  });
  const common = parseCommon(args);
  if (common.help) {
    io.out(STATUS_USAGE);
    return 0;
  }
  if (args.positionals.length) throw new UsageError(`unexpected argument ${args.positionals[0]}`);
  const all = args.booleans.has('-A') || args.booleans.has('--all-namespaces');
  const namespace = args.strings.get('-n') ?? args.strings.get('--namespace');
  if (all && namespace) throw new UsageError('-A and -n cannot be combined');
  const timeoutMs = parseDuration(args.strings.get('--timeout') ?? '30s', '--timeout');

  const headless = await openHeadless({
    common,
    control: { kind: 'none' },
    engine: false,
    version: io.version,
    env: io.env,
  });
  try {
    const contexts = await headless.settled(timeoutMs);
    const items: CanarySummary[] = [];
    const states: { context: string; state: string; message?: string }[] = [];
    let failed = false;
    await Promise.all(
      contexts.map(async (context) => {
        const kc = headless.service.catalog.kubeConfigFor(context.id);
        if (context.connection.state !== 'connected' || !kc) {
          failed = true;
          const message =
            context.connection.state === 'connecting'
              ? `no answer within ${args.strings.get('--timeout') ?? '30s'}`
              : describeConnection(context);
          states.push({ context: context.id, state: context.connection.state, message });
          io.err(`aviary status: ${context.id}: ${message}`);
          return;
        }
        const api = createClusterClient(context.id, kc, { clock: headless.clock });
        try {
          const ns = all ? undefined : (namespace ?? context.namespace);
          const objects = await api.list('flagger.app/v1beta1', 'Canary', ns);
          for (const object of objects) items.push(summarize(context.id, object, 'observed'));
          states.push({ context: context.id, state: 'connected' });
        } catch (err) {
          if (isNotFound(err)) {
            // No Canary CRD: a cluster without Flagger's API has no canaries.
            states.push({ context: context.id, state: 'connected', message: 'no Canary CRD' });
            return;
          }
          failed = true;
          const message = `cannot list canaries: ${(err as Error).message}`;
          states.push({ context: context.id, state: 'error', message });
          io.err(`aviary status: ${context.id}: ${message}`);
        } finally {
          api.close();
        }
      }),
    );
    items.sort(
      (a, b) =>
        a.context.localeCompare(b.context) ||
        a.namespace.localeCompare(b.namespace) ||
        a.name.localeCompare(b.name),
    );
    states.sort((a, b) => a.context.localeCompare(b.context));
    if (common.json) io.out(JSON.stringify({ items, contexts: states }, null, 2));
    else if (items.length) io.out(statusTable(items));
    else
      io.err(
        `No canaries found${all ? '' : ` in namespace ${namespace ?? "each context's own"}`}${
          all || namespace ? '' : ' (-A lists every namespace)'
        }.`,
      );
    return failed ? 1 : 0;
  } finally {
    await headless.stop();
  }
}
