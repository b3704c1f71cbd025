/**
 * The InfluxDB metrics provider (pkg/metrics/providers/influxdb.go): a Flux query through the
 * InfluxDB 2 query API (`POST /api/v2/query?org=`), token and org from the secret. The value
 * is `_value` of the first record of the first table, which must be a float.
 *
 * The official client (@influxdata/influxdb-client) builds the request and parses the
 * annotated CSV; its transport is ClusterHttp, so an in-cluster address
 * (`http://influxdb.monitoring:8086`) goes through the API server's service proxy and the
 * timeout runs on the engine's clock.
 *
 * One deliberate difference: Flagger returns 0 (no error) for a query without records, which
 * passes a `max` threshold on a query that matched nothing; Aviary reports ErrNoValuesFound,
 * as every other provider does.
 */
import {
  InfluxDB,
  createTextDecoderCombiner,
  type CommunicationObserver,
  type FluxTableMetaData,
  type Row,
  type SendOptions,
  type Transport,
} from '@influxdata/influxdb-client';
import type { HttpResult } from '../kube/api';
import type { ClusterHttp } from '../kube/cluster-address';
import { HttpTransportError, httpStatusText } from '../kube/cluster-address';
import type { MetricsProvider, MetricsProviderContext } from './provider';
import { NoValuesFoundError, noValuesIn } from './provider';
import { field, parseGoJson } from './support';

export const INFLUXDB_TIMEOUT_MS = 15_000;
const ONLINE_QUERY = 'from(bucket: "default") |> range(start: -2h)';

/** An HTTP answer outside 2xx, with the Go client's http.Error text. */
class InfluxHttpError extends Error {
  constructor(result: HttpResult) {
    super(influxErrorText(result));
    this.name = 'InfluxHttpError';
  }
}

/** influxdb-client-go's Error(): "code: message", else "Unexpected status code N". */
function influxErrorText(result: HttpResult): string {
  const header = (name: string): string => result.headers[name] ?? '';
  let code = '';
  let message: string;
  if (header('content-type').split(';')[0]?.trim() === 'application/json') {
    try {
      const body = parseGoJson(result.body);
      const c = field(body, 'code');
      const m = field(body, 'message');
      code = typeof c === 'string' ? c : '';
      message = typeof m === 'string' ? m : '';
    } catch (err) {
      return (err as Error).message;
    }
  } else message = result.body;
  if (!code && !message) {
    // InfluxDB 1.x (and proxies) put the reason in headers.
    code =
      header('x-platform-error-code') ||
      (header('x-influxdb-error') ? httpStatusText(result.status) : '');
    message = header('x-influxdb-error');
  }
  return code && message ? `${code}: ${message}` : `Unexpected status code ${result.status}`;
}

/** The client's Transport over ClusterHttp: one request, the whole body as one chunk. */
class ClusterTransport implements Transport {
  readonly chunkCombiner = createTextDecoderCombiner();

  constructor(
    private readonly base: string,
    private readonly token: string,
    private readonly http: ClusterHttp,
    private readonly namespace: string,
  ) {}

  private async call(path: string, body: unknown, options: SendOptions): Promise<HttpResult> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (this.token) headers.Authorization = `Token ${this.token}`;
    const method = options.method === 'GET' ? 'GET' : 'POST';
    const result = await this.http.request({
      url: `${this.base}${path}`,
      namespace: this.namespace,
      method,
      headers,
      ...(method === 'POST'
        ? { body: typeof body === 'string' ? body : JSON.stringify(body) }
        : {}),
      timeoutMs: INFLUXDB_TIMEOUT_MS,
      timeoutKind: 'context',
    });
    if (result.status < 200 || result.status >= 300) throw new InfluxHttpError(result);
    return result;
  }

  send(
    path: string,
    body: string,
    options: SendOptions,
    callbacks?: Partial<CommunicationObserver<Uint8Array>>,
  ): void {
    this.call(path, body, options).then(
      (result) => {
        callbacks?.responseStarted?.(result.headers, result.status);
        callbacks?.next?.(new TextEncoder().encode(result.body));
        callbacks?.complete?.();
      },
      (err: unknown) => callbacks?.error?.(err as Error),
    );
  }

  async request(path: string, body: unknown, options: SendOptions): Promise<unknown> {
    const result = await this.call(path, body, options);
    return (result.headers['content-type'] ?? '').includes('json')
      ? (JSON.parse(result.body) as unknown)
      : result.body;
  }

  async *iterate(
    path: string,
    body: unknown,
    options: SendOptions,
  ): AsyncIterableIterator<Uint8Array> {
    const result = await this.call(path, body, options);
    yield new TextEncoder().encode(result.body);
  }
}

/** Go's %v of a record value (time.Time prints as "2006-01-02 15:04:05.999999999 +0000 UTC"). */
function goValueText(value: unknown, dataType: string): string {
  if (value === null || value === undefined) return '<nil>';
  if (dataType === 'dateTime:RFC3339' && typeof value === 'string') {
    const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(value);
    if (m) {
      const fraction = (m[3] ?? '').replace(/0+$/, '');
      return `${m[1]} ${m[2]}${fraction ? `.${fraction}` : ''} +0000 UTC`;
    }
  }
  return String(value);
}

/** FluxRecord.String(): "column:value" pairs sorted by column, comma-separated. */
function recordText(values: string[], meta: FluxTableMetaData): string {
  return meta.columns
    .filter((c) => c.label !== '')
    .map((c) => [c.label, goValueText(c.get(values), c.dataType)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}:${v}`)
    .join(',');
}

/** The table the server sends instead of results when a query fails while running. */
function isErrorTable(meta: FluxTableMetaData): boolean {
  const labels = meta.columns.map((c) => c.label).filter((l) => l !== '' && l !== 'reference');
  return labels.length === 1 && labels[0] === 'error';
}

/** NewInfluxdbProvider: a valid address; token and org when a secretRef is set. */
export function createInfluxdbProvider(context: MetricsProviderContext): MetricsProvider {
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

  let token = '';
  let org = '';
  if (provider.secretRef) {
    const credentials = context.credentials ?? {};
    if (credentials.token === undefined)
      throw new Error(`${type} credentials does not contain an authentication token`);
    token = credentials.token;
    if (credentials.org === undefined)
      throw new Error(`${type} credentials does not contain an organisation`);
    org = credentials.org;
  }
  const base = addressText.replace(/\/+$/, '');
  const client = new InfluxDB({
    url: base,
    transport: new ClusterTransport(base, token, context.http, context.namespace),
  });
  const queryApi = client.getQueryApi(org);

  /** The rows of a query; an HTTP or transport failure is Flagger's "error accessing ...". */
  const rows = (query: string) => {
    const iterator = queryApi.iterateRows(query)[Symbol.asyncIterator]();
    return {
      async next() {
        let row: IteratorResult<Row>;
        try {
          row = await iterator.next();
        } catch (err) {
          const text = (err as Error).message;
          // The request itself failing is the query API's error; a broken answer the result's.
          if (err instanceof InfluxHttpError || err instanceof HttpTransportError)
            throw new Error(`error accessing influxdb query api: ${text}`, { cause: err });
          throw new Error(`query error: ${text}`, { cause: err });
        }
        // A Flux runtime error arrives as a table of its own (`error`, `reference`).
        if (!row.done && isErrorTable(row.value.tableMeta)) {
          const message = row.value.tableMeta.column('error', false).get(row.value.values);
          throw new Error(`query error: ${String(message)}`);
        }
        return row;
      },
      async close() {
        await iterator.return?.();
      },
    };
  };

  return {
    async runQuery(query) {
      const results = rows(query);
      try {
        const row = await results.next();
        if (row.done) throw new NoValuesFoundError();
        const { values, tableMeta } = row.value;
        const column = tableMeta.column('_value', false);
        const value: unknown = column.get(values);
        if (value === null || value === undefined) throw noValuesIn(recordText(values, tableMeta));
        // The Go client decodes `double` as float64; long, unsignedLong and strings are refused.
        if (column.dataType === 'double' && typeof value === 'number') return value;
        throw new Error(`invalid response: ${recordText(values, tableMeta)}`);
      } finally {
        await results.close();
      }
    },
    async isOnline() {
      const results = rows(ONLINE_QUERY);
      try {
        // Go stops at the first error in the stream and reports the API online all the same.
        for (;;) {
          try {
            if ((await results.next()).done) break;
          } catch (err) {
            if ((err as Error).message.startsWith('error accessing')) throw err;
            break;
          }
        }
      } finally {
        await results.close();
      }
      return true;
    },
  };
}
