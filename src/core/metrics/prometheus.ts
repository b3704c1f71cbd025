/**
 * The Prometheus metrics provider (pkg/metrics/providers/prometheus.go): GET
 * `./api/v1/query?query=...` relative to the address, 5 s timeout, the vector result's value.
 * A cluster address (`http://prometheus.monitoring:9090`) goes through the service proxy.
 * Error texts are the Go provider's, so events read as Flagger's.
 */

import { collapseQueryWhitespace } from '../canary';
import type { MetricTemplateProvider } from '../canary';
import type { ClusterHttp } from '../kube/cluster-address';
import { HttpTransportError, httpStatusText } from '../kube/cluster-address';
import type { MetricsProvider } from './provider';
import { MultipleValuesError, NoValuesFoundError, wrapError } from './provider';
import { goParseFloatError, goQueryEscape, joinAddressPath, parseGoFloat } from './support';

export type { MetricsProvider } from './provider';
export { MultipleValuesError, NoValuesFoundError, isNoValuesFound, wrapError } from './provider';

export const PROMETHEUS_TIMEOUT_MS = 5_000;
const ONLINE_QUERY = 'vector(1)';

export interface PrometheusProviderOptions {
  provider: MetricTemplateProvider;
  /** The secret's data, base64-decoded (undefined without secretRef). */
  credentials?: Record<string, string>;
  http: ClusterHttp;
  /** Where a bare `http://svc:9090` resolves (the canary's namespace). */
  namespace: string;
  timeoutMs?: number;
}

/** RunQuery's `./api/v1/query?query=...` under the address's path. */
function queryUrl(address: URL, query: string): string {
  return `${joinAddressPath(address, 'api/v1/query')}?query=${goQueryEscape(query)}`;
}

/** NewPrometheusProvider: throws with Flagger's text for a bad address or credentials. */
export function createPrometheusProvider(options: PrometheusProviderOptions): MetricsProvider {
  const { provider, credentials } = options;
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

  let token = '';
  let username = '';
  let password = '';
  if (provider.secretRef) {
    const data = credentials ?? {};
    if (data.token !== undefined) token = data.token;
    else {
      if (data.username === undefined)
        throw new Error(`${type} credentials does not contain a username`);
      if (data.password === undefined)
        throw new Error(`${type} credentials does not contain a password`);
      username = data.username;
      password = data.password;
    }
  }

  const runQuery = async (query: string): Promise<number> => {
    const url = queryUrl(base, collapseQueryWhitespace(query));
    const headers: Record<string, string> = {};
    for (const [k, values] of Object.entries(provider.headers ?? {})) {
      if (values.length > 0) headers[k] = values.join(', ');
    }
    if (token) headers.Authorization = `Bearer ${token}`;
    else if (username && password)
      headers.Authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

    let result;
    try {
      result = await options.http.request({
        url,
        namespace: options.namespace,
        method: 'GET',
        headers,
        timeoutMs: options.timeoutMs ?? PROMETHEUS_TIMEOUT_MS,
        timeoutKind: 'context',
        insecureSkipVerify: provider.insecureSkipVerify === true,
      });
    } catch (err) {
      if (err instanceof HttpTransportError) throw wrapError('request failed', err);
      throw err;
    }
    if (result.status >= 400) {
      throw new Error(
        `error response: Status ${result.status} ${httpStatusText(result.status)}: ${result.body}`,
      );
    }
    let body: { data?: { result?: Array<{ value?: unknown[]; values?: unknown }> } };
    try {
      body = JSON.parse(result.body) as typeof body;
    } catch (err) {
      throw new Error(`error unmarshaling result: ${(err as Error).message}, '${result.body}'`, {
        cause: err,
      });
    }
    // As the Go loop: a matrix fails at once; otherwise the last string value wins.
    let value: number | undefined;
    for (const r of body?.data?.result ?? []) {
      if (r.values !== undefined && r.values !== null) throw new MultipleValuesError();
      const v = r.value?.[1];
      if (typeof v === 'string') {
        const f = parseGoFloat(v);
        if (f === undefined) throw goParseFloatError(v);
        value = f;
      }
    }
    if (value === undefined || Number.isNaN(value)) throw new NoValuesFoundError();
    return value;
  };

  return {
    runQuery,
    async isOnline() {
      let value: number;
      try {
        value = await runQuery(ONLINE_QUERY);
      } catch (err) {
        throw wrapError('running query failed', err);
      }
      if (value !== 1) throw new Error(`value is not 1 for query: ${ONLINE_QUERY}`);
      return true;
    },
  };
}
