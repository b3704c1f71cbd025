/**
 * The Keptn metrics provider (pkg/metrics/providers/keptn.go): no HTTP endpoint of its own;
 * it reads Keptn's objects through the cluster's API. The query is
 * `<keptnmetric|analysis>/<namespace>/<name>[/<duration>[/<k=v;k=v>]]`:
 * - a KeptnMetric (metrics.keptn.sh/v1beta1) gives `status.value`;
 * - an AnalysisDefinition is run by creating an Analysis (`recent` = duration, default 1m),
 *   polling it every second for up to 10 s until `status.state` is Completed, and reading
 *   `status.pass` as 1 or 0; the Analysis is deleted afterwards.
 * IsOnline is always true, as in Flagger.
 */
import { randomUUID } from 'node:crypto';
import type { KubeApi, KubeObject } from '../kube/api';
import { systemClock } from '../../shared/clock';
import type { MetricsProvider, MetricsProviderContext } from './provider';
import { goParseFloatError, parseGoFloat } from './support';

const API_VERSION = 'metrics.keptn.sh/v1beta1';
const ANALYSIS_TIMEOUT_MS = 10_000;
const POLL_MS = 1_000;

interface KeptnQuery {
  kind: 'KeptnMetric' | 'Analysis';
  namespace: string;
  name: string;
  duration: string;
  args: Record<string, string>;
}

/** parseQuery: lower-cased, trimmed, split on "/". */
export function parseKeptnQuery(query: string): KeptnQuery {
  const split = query.toLowerCase().replace(/\n$/, '').trim().split('/');
  if (split.length < 3)
    throw new Error(
      'unexpected query format. query must be in the format <keptnmetric|analysis>/<namespace>/<resourceName>/<duration>/<arguments>',
    );
  const [resource = '', namespace = '', name = ''] = split;
  if (resource === 'keptnmetric' || resource === 'keptnmetrics')
    return { kind: 'KeptnMetric', namespace, name, duration: '', args: {} };
  if (resource === 'analysis' || resource === 'analyses') {
    const args: Record<string, string> = {};
    for (const pair of (split[4] ?? '').split(';')) {
      const kv = pair.split('=');
      if (kv.length === 2) args[kv[0] ?? ''] = kv[1] ?? '';
    }
    return { kind: 'Analysis', namespace, name, duration: split[3] ?? '1m', args };
  }
  throw new Error(
    "unexpected resource kind provided in the query. must be one of: ['keptnmetric', 'analysis']",
  );
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** NewKeptnProvider: needs the cluster's API. */
export function createKeptnProvider(context: MetricsProviderContext): MetricsProvider {
  const api: KubeApi | undefined = context.api;
  if (!api) throw new Error('could not initialize KeptnProvider: no KubeConfig provided');
  const clock = context.clock ?? systemClock;

  const keptnMetric = async (q: KeptnQuery): Promise<number> => {
    const where = `${q.namespace}/${q.name}`;
    let metric: KubeObject | undefined;
    try {
      metric = await api.get({
        apiVersion: API_VERSION,
        kind: 'KeptnMetric',
        namespace: q.namespace,
        name: q.name,
      });
      if (!metric) throw new Error(`keptnmetrics.metrics.keptn.sh "${q.name}" not found`);
    } catch (err) {
      throw new Error(`could not retrieve KeptnMetric ${where}: ${errorText(err)}`, { cause: err });
    }
    const value = (metric as { status?: { value?: unknown } }).status?.value;
    if (typeof value !== 'string')
      throw new Error(`could not retrieve KeptnMetric - no value found in resource ${where}`);
    const f = parseGoFloat(value);
    if (f === undefined)
      throw new Error(
        `could not parse value of KeptnMetric ${where} to float: ${goParseFloatError(value).message}`,
      );
    return f;
  };

  const analysis = async (q: KeptnQuery): Promise<number> => {
    const where = `${q.namespace}/${q.name}`;
    const deadline = clock.now() + ANALYSIS_TIMEOUT_MS;
    let created: KubeObject;
    try {
      created = await api.create({
        apiVersion: API_VERSION,
        kind: 'Analysis',
        metadata: { name: `${q.name}-${randomUUID().slice(0, 6)}`, namespace: q.namespace },
        spec: {
          analysisDefinition: { name: q.name },
          timeframe: { recent: q.duration },
          args: q.args,
        },
      } as KubeObject);
    } catch (err) {
      throw new Error(`could not create Keptn Analysis ${where}: ${errorText(err)}`, {
        cause: err,
      });
    }
    const ref = {
      apiVersion: API_VERSION,
      kind: 'Analysis',
      namespace: q.namespace,
      name: created.metadata.name,
    };
    try {
      for (;;) {
        await clock.sleep(POLL_MS);
        if (clock.now() >= deadline)
          throw new Error(
            `encountered timeout while waiting for Keptn Analysis ${where} to be finished`,
          );
        let current: KubeObject | undefined;
        try {
          current = await api.get(ref);
          if (!current)
            throw new Error(`analyses.metrics.keptn.sh "${created.metadata.name}" not found`);
        } catch (err) {
          throw new Error(
            `could not check status of created Keptn Analysis ${where}: ${errorText(err)}`,
            { cause: err },
          );
        }
        const status = (current as { status?: { state?: unknown; pass?: unknown } }).status;
        if (status?.state === 'Completed' && typeof status.pass === 'boolean')
          return status.pass ? 1 : 0;
      }
    } finally {
      // Flagger only logs a failed delete.
      await api.delete(ref).catch(() => undefined);
    }
  };

  return {
    async runQuery(query) {
      const q = parseKeptnQuery(query);
      return q.kind === 'KeptnMetric' ? keptnMetric(q) : analysis(q);
    },
    async isOnline() {
      return true;
    },
  };
}
