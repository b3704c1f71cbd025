/**
 * The Dynatrace metrics provider (pkg/metrics/providers/dynatrace.go): metrics API v2,
 * `GET /api/v2/metrics/query?metricSelector=<query>&resolution=Inf&from&to` (milliseconds,
 * the last 10 metric intervals) with `Authorization: Api-Token <dynatrace_token>`; the value is
 * the first value of the last data entry of the first result. IsOnline lists one metric.
 */
import { systemClock } from '../../shared/clock';
import type { MetricsProvider, MetricsProviderContext } from './provider';
import { noValuesIn } from './provider';
import {
  PROVIDER_TIMEOUT_MS,
  field,
  goEncodeValues,
  metricIntervalSeconds,
  parseGoJson,
  send,
  unmarshalError,
} from './support';

const DELTA_MULTIPLIER = 10;

/** dynatraceResponse: `result[].data[].values` as []float64 (null is 0). */
function decodeResults(body: string): number[][][] {
  const list = (value: unknown, name: string): unknown[] => {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value))
      throw new Error(`json: cannot unmarshal ${typeof value} into Go struct field ${name}`);
    return value;
  };
  return list(field(parseGoJson(body), 'result'), '.result').map((r) =>
    list(field(r, 'data'), '.result.data').map((d) =>
      list(field(d, 'values'), '.result.data.values').map((v) => {
        if (v === null) return 0;
        if (typeof v !== 'number')
          throw new Error(
            `json: cannot unmarshal ${typeof v} into Go struct field .result.data.values of type float64`,
          );
        return v;
      }),
    ),
  );
}

/** NewDynatraceProvider: an address and the dynatrace_token are required. */
export function createDynatraceProvider(context: MetricsProviderContext): MetricsProvider {
  const address = context.provider.address ?? '';
  if (address === '') throw new Error('dynatrace endpoint is not set');
  const token = (context.credentials ?? {}).dynatrace_token;
  if (token === undefined)
    throw new Error('dynatrace credentials does not contain dynatrace_token');
  // md.Milliseconds() is an integer before the multiplication.
  const fromDelta =
    DELTA_MULTIPLIER * Math.trunc(metricIntervalSeconds(context.metricInterval) * 1000);
  const clock = context.clock ?? systemClock;
  const get = (url: string) =>
    send(context.http, {
      url,
      namespace: context.namespace,
      method: 'GET',
      headers: { Authorization: `Api-Token ${token}` },
      timeoutMs: PROVIDER_TIMEOUT_MS,
    });

  return {
    async runQuery(query) {
      const now = Math.floor(clock.now() / 1000) * 1000;
      const params = goEncodeValues([
        ['metricSelector', query],
        ['resolution', 'Inf'],
        ['from', String(now - fromDelta)],
        ['to', String(now)],
      ]);
      const result = await get(`${address}/api/v2/metrics/query?${params}`);
      const body = result.body;
      // Go wraps a nil error here (`%w` of nil): Flagger's events read exactly so.
      if (result.status !== 200) throw new Error(`error response: ${body}: %!w(<nil>)`);
      let results: number[][][];
      try {
        results = decodeResults(body);
      } catch (err) {
        throw unmarshalError(err, body);
      }
      const data = results[0] ?? [];
      const value = data[data.length - 1]?.[0];
      if (value === undefined) throw noValuesIn(body);
      return value;
    },
    async isOnline() {
      const result = await get(`${address}/api/v2/metrics?pageSize=1`);
      if (result.status !== 200) throw new Error(`error response: ${result.body}`);
      return true;
    },
  };
}
