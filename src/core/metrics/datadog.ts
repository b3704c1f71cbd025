/**
 * The Datadog metrics provider (pkg/metrics/providers/datadog.go): `GET /api/v1/query` over
 * the last 10 metric intervals with the DD-API-KEY / DD-APPLICATION-KEY headers from the
 * secret; the value is the first (oldest) point of the first series, since the newest bucket
 * is usually incomplete. IsOnline is `GET /api/v1/validate`.
 */
import { httpStatusText } from '../kube/cluster-address';
import { systemClock } from '../../shared/clock';
import type { MetricsProvider, MetricsProviderContext } from './provider';
import { noValuesIn } from './provider';
import {
  PROVIDER_TIMEOUT_MS,
  field,
  goEncodeValues,
  goStatus,
  metricIntervalSeconds,
  parseGoJson,
  send,
  unmarshalError,
} from './support';

export const DATADOG_DEFAULT_HOST = 'https://api.datadoghq.com';
const FROM_DELTA_MULTIPLIER = 10;

/** datadogResponse as json.Unmarshal fills it: each series' `[][]float64` pointlist (null is 0). */
function decodeSeries(body: string): number[][][] {
  const series = field(parseGoJson(body), 'series');
  if (series === undefined || series === null) return [];
  if (!Array.isArray(series))
    throw new Error(`json: cannot unmarshal ${typeof series} into Go struct field .Series`);
  return series.map((s: unknown) => {
    const pointlist = field(s, 'pointlist');
    if (pointlist === undefined || pointlist === null) return [];
    if (!Array.isArray(pointlist))
      throw new Error(
        `json: cannot unmarshal ${typeof pointlist} into Go struct field .Series.pointlist`,
      );
    return pointlist.map((pair: unknown) => {
      if (pair === null) return [];
      if (!Array.isArray(pair))
        throw new Error(
          `json: cannot unmarshal ${typeof pair} into Go struct field .Series.pointlist of type []float64`,
        );
      return pair.map((v: unknown) => {
        if (v === null) return 0;
        if (typeof v !== 'number')
          throw new Error(
            `json: cannot unmarshal ${typeof v} into Go struct field .Series.pointlist of type float64`,
          );
        return v;
      });
    });
  });
}

/** NewDatadogProvider: throws Flagger's text for missing keys or a bad interval. */
export function createDatadogProvider(context: MetricsProviderContext): MetricsProvider {
  const address = context.provider.address || DATADOG_DEFAULT_HOST;
  const credentials = context.credentials ?? {};
  const apiKey = credentials.datadog_api_key;
  if (apiKey === undefined) throw new Error('datadog credentials does not contain datadog_api_key');
  const applicationKey = credentials.datadog_application_key;
  if (applicationKey === undefined)
    throw new Error('datadog credentials does not contain datadog_application_key');
  const fromDelta = Math.trunc(
    FROM_DELTA_MULTIPLIER * metricIntervalSeconds(context.metricInterval),
  );
  const clock = context.clock ?? systemClock;
  const headers = { 'DD-API-KEY': apiKey, 'DD-APPLICATION-KEY': applicationKey };
  const get = (url: string) =>
    send(context.http, {
      url,
      namespace: context.namespace,
      method: 'GET',
      headers,
      timeoutMs: PROVIDER_TIMEOUT_MS,
    });

  return {
    async runQuery(query) {
      const now = Math.floor(clock.now() / 1000);
      const params = goEncodeValues([
        ['query', query],
        ['from', String(now - fromDelta)],
        ['to', String(now)],
      ]);
      const result = await get(`${address}/api/v1/query?${params}`);
      const body = result.body;
      if (result.status !== 200)
        throw new Error(
          `error response: ${body}: ${goStatus(result.status, httpStatusText(result.status))}`,
        );
      let series: number[][][];
      try {
        series = decodeSeries(body);
      } catch (err) {
        throw unmarshalError(err, body);
      }
      // In case of several series, the first; its first (oldest) [timestamp, value] pair.
      const value = series[0]?.[0]?.[1];
      if (value === undefined) throw noValuesIn(body);
      return value;
    },
    async isOnline() {
      const result = await get(`${address}/api/v1/validate`);
      if (result.status !== 200) throw new Error(`error response: ${result.body}`);
      return true;
    },
  };
}
