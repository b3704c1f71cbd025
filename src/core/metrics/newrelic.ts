/**
 * The New Relic metrics provider (pkg/metrics/providers/newrelic.go): the Insights query API,
 * `GET /v1/accounts/{newrelic_account_id}/query?nrql=<query> SINCE <interval seconds> seconds
 * ago` with the `X-Query-Key` header; the value is `results[0].result`. IsOnline runs
 * `SELECT * FROM Metric`.
 */
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

export const NEWRELIC_DEFAULT_HOST = 'https://insights-api.newrelic.com';
const ONLINE_QUERY = 'SELECT * FROM Metric';

/** newRelicResponse's `results[].result` (*float64): null or absent stays null. */
function decodeResults(body: string): Array<number | null> {
  const results = field(parseGoJson(body), 'results');
  if (results === undefined || results === null) return [];
  if (!Array.isArray(results))
    throw new Error(`json: cannot unmarshal ${typeof results} into Go struct field .results`);
  return results.map((r: unknown) => {
    const v = field(r, 'result');
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number')
      throw new Error(
        `json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v} into Go struct field .results.result of type float64`,
      );
    return v;
  });
}

/** NewNewRelicProvider: throws Flagger's text (its typos included) for missing keys. */
export function createNewRelicProvider(context: MetricsProviderContext): MetricsProvider {
  const address = context.provider.address || NEWRELIC_DEFAULT_HOST;
  const credentials = context.credentials ?? {};
  const accountId = credentials.newrelic_account_id;
  if (accountId === undefined)
    throw new Error("newrelic credentials does not contain the key 'newrelic_account_id'");
  const endpoint = `${address}/v1/accounts/${accountId}/query`;
  const queryKey = credentials.newrelic_query_key;
  if (queryKey === undefined)
    throw new Error("newrelic credentials does not contain the key ''newrelic_query_key");
  const fromDelta = Math.trunc(metricIntervalSeconds(context.metricInterval));

  const get = (query: string) =>
    send(context.http, {
      url: `${endpoint}?${goEncodeValues([['nrql', `${query} SINCE ${fromDelta} seconds ago`]])}`,
      namespace: context.namespace,
      method: 'GET',
      headers: { 'X-Query-Key': queryKey },
      timeoutMs: PROVIDER_TIMEOUT_MS,
    });

  return {
    async runQuery(query) {
      const result = await get(query);
      const body = result.body;
      // Go wraps a nil error here (`%w` of nil): Flagger's events read exactly so.
      if (result.status !== 200) throw new Error(`error response: ${body}: %!w(<nil>)`);
      let results: Array<number | null>;
      try {
        results = decodeResults(body);
      } catch (err) {
        throw unmarshalError(err, body);
      }
      const [value] = results;
      if (results.length !== 1 || value === null || value === undefined) throw noValuesIn(body);
      return value;
    },
    async isOnline() {
      const result = await get(ONLINE_QUERY);
      if (result.status !== 200) throw new Error(`error response: ${result.body}`);
      return true;
    },
  };
}
