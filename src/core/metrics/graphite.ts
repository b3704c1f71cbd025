/**
 * The Graphite metrics provider (pkg/metrics/providers/graphite.go): the template's query is
 * the render API's query string (`target=...&from=-5min`), sent as
 * `GET <address path>/render?<query>&format=json` with basic auth from the secret. The value is
 * the last non-null datapoint over all returned series; none is ErrNoValuesFound, which
 * IsOnline (`target=test`) accepts as online.
 */
import { collapseQueryWhitespace } from '../canary';
import type { MetricsProvider, MetricsProviderContext } from './provider';
import { NoValuesFoundError, wrapError } from './provider';
import {
  PROVIDER_TIMEOUT_MS,
  goEncodeValues,
  goParseFloatError,
  goParseQuery,
  joinAddressPath,
  parseGoFloat,
  parseGoJson,
  send,
  unmarshalError,
} from './support';

const ONLINE_QUERY = 'target=test';

/** graphiteDataPoint.UnmarshalJSON's value: a number, a numeric string, or null. */
function datapointValue(point: unknown): number | null {
  if (!Array.isArray(point) || point.length !== 2)
    throw new Error(`error unmarshaling data point: ${JSON.stringify(point)}`);
  const [v, ts] = point as [unknown, unknown];
  let value: number | null = null;
  if (typeof v === 'number') value = v;
  else if (typeof v === 'string') {
    const f = parseGoFloat(v);
    if (f === undefined) throw goParseFloatError(v);
    value = f;
  } else if (v !== null) throw new Error(`error unmarshaling value: ${JSON.stringify(v)}`);
  if (typeof ts === 'string' && !/^[+-]?\d+$/.test(ts))
    throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(ts)}: invalid syntax`);
  if (ts !== null && typeof ts !== 'number' && typeof ts !== 'string')
    throw new Error(`error unmarshaling timestamp: ${JSON.stringify(v)}`);
  return value;
}

/** graphiteResponse: every series' datapoint values, in order. */
function decodeResponse(body: string): Array<number | null> {
  const parsed = parseGoJson(body);
  if (parsed === null) return [];
  if (!Array.isArray(parsed))
    throw new Error(
      `json: cannot unmarshal ${typeof parsed} into Go value of type providers.graphiteResponse`,
    );
  const values: Array<number | null> = [];
  for (const series of parsed) {
    const points = (series as { datapoints?: unknown } | null)?.datapoints;
    if (points === undefined || points === null) continue;
    if (!Array.isArray(points))
      throw new Error(
        `json: cannot unmarshal ${typeof points} into Go struct field graphiteTargetResp.datapoints`,
      );
    for (const point of points) values.push(datapointValue(point));
  }
  return values;
}

/** NewGraphiteProvider: a valid address; username and password when a secretRef is set. */
export function createGraphiteProvider(context: MetricsProviderContext): MetricsProvider {
  const { provider } = context;
  const type = provider.type ?? '';
  const addressText = provider.address ?? '';
  let address: URL | undefined;
  try {
    address = addressText ? new URL(addressText) : undefined;
  } catch {
    address = undefined;
  }
  if (!address) throw new Error(`${type} address ${addressText} is not a valid URL`);
  const base = address;

  let authorization: string | undefined;
  if (provider.secretRef) {
    const { username, password } = context.credentials ?? {};
    if (username === undefined) throw new Error(`${type} credentials does not contain a username`);
    if (password === undefined) throw new Error(`${type} credentials does not contain a password`);
    if (username && password)
      authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }

  const runQuery = async (query: string): Promise<number> => {
    const params = goParseQuery(collapseQueryWhitespace(query)).filter(([k]) => k !== 'format');
    params.push(['format', 'json']);
    const url = `${joinAddressPath(base, 'render')}?${goEncodeValues(params)}`;
    const result = await send(context.http, {
      url,
      namespace: context.namespace,
      method: 'GET',
      ...(authorization ? { headers: { Authorization: authorization } } : {}),
      timeoutMs: PROVIDER_TIMEOUT_MS,
      insecureSkipVerify: provider.insecureSkipVerify === true,
    });
    if (result.status >= 400) throw new Error(`error response: ${result.body}`);
    let values: Array<number | null>;
    try {
      values = decodeResponse(result.body);
    } catch (err) {
      throw unmarshalError(err, result.body);
    }
    let value: number | null = null;
    for (const v of values) if (v !== null) value = v;
    if (value === null) throw new NoValuesFoundError();
    return value;
  };

  return {
    runQuery,
    async isOnline() {
      try {
        await runQuery(ONLINE_QUERY);
      } catch (err) {
        // Only the bare ErrNoValuesFound counts as online (Go compares with !=).
        if (!(err instanceof NoValuesFoundError)) throw wrapError('running query failed', err);
      }
      return true;
    },
  };
}
