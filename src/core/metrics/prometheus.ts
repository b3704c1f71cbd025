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

/** providers.Interface. */
export interface MetricsProvider {
  /** The query's single value; rejects with NoValuesFoundError (possibly wrapped) when empty. */
  runQuery(query: string): Promise<number>;
  /** Resolves true, or rejects with the reason (IsOnline's `(false, err)`). */
  isOnline(): Promise<boolean>;
}

/** providers.ErrNoValuesFound. */
export class NoValuesFoundError extends Error {
  constructor() {
    super('no values found');
    this.name = 'NoValuesFoundError';
  }
}

/** providers.ErrMultipleValuesReturned. */
export class MultipleValuesError extends Error {
  constructor() {
    super('query returned multiple values');
    this.name = 'MultipleValuesError';
  }
}

/** fmt.Errorf("prefix: %w", err): the text of both, the cause kept for isNoValuesFound. */
export function wrapError(prefix: string, err: unknown): Error {
  const cause = err instanceof Error ? err : new Error(String(err));
  return new Error(`${prefix}: ${cause.message}`, { cause });
}

/** errors.Is(err, ErrNoValuesFound). */
export function isNoValuesFound(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof NoValuesFoundError) return true;
  }
  return false;
}

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

/** url.QueryEscape: spaces as '+', everything but [A-Za-z0-9-_.~] percent-encoded. */
function goQueryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** path.Join(base.Path, "api/v1/query") resolved against the address, as RunQuery builds it. */
function queryUrl(address: URL, query: string): string {
  const parts = `${address.pathname}/api/v1/query`.split('/').filter((p) => p && p !== '.');
  const clean: string[] = [];
  for (const p of parts) {
    if (p === '..') clean.pop();
    else clean.push(p);
  }
  return `${address.origin}/${clean.join('/')}?query=${goQueryEscape(query)}`;
}

/** strconv.ParseFloat's accepted forms (incl. "NaN", "+Inf"), or undefined. */
function parseGoFloat(s: string): number | undefined {
  const t = s.trim() === s ? s : '';
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(t)) return NaN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(t)) return Number(t.replace(/^([+-]?)0x/i, '$10x'));
  return undefined;
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
        if (f === undefined) throw new Error(`strconv.ParseFloat: parsing "${v}": invalid syntax`);
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
