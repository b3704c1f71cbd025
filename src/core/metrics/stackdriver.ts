/**
 * The Google Cloud Monitoring (Stackdriver) metrics provider
 * (pkg/metrics/providers/stackdriver.go): an MQL query through QueryTimeSeries on the
 * secret's `project`, with the secret's `serviceAccountKey` or, without one, Application
 * Default Credentials. The value is the first value of the first point of the first series
 * (its double value, as GetDoubleValue reads it). IsOnline sends an empty query: the API's
 * InvalidArgument means reachable and authorised.
 *
 * Flagger uses the gRPC client; Aviary calls the same method over REST
 * (`POST /v3/projects/{project}/timeSeries:query`) and prints errors as gRPC statuses
 * (`rpc error: code = PermissionDenied desc = ...`) so events read the same. A service
 * account key signs its own JWT (google-auth-library's self-signed JWT with the scope, as
 * Google's Go client does), so no token endpoint is involved. `provider.address` overrides
 * the API endpoint (https://monitoring.googleapis.com), an Aviary addition.
 */
import type { GoogleAuth } from 'google-auth-library';
import type { HttpResult } from '../kube/api';
import type { MetricsProvider, MetricsProviderContext } from './provider';
import { noValuesIn } from './provider';
import { field, send } from './support';

export const STACKDRIVER_DEFAULT_ENDPOINT = 'https://monitoring.googleapis.com';
const SCOPES = ['https://www.googleapis.com/auth/monitoring.read'];
const TIMEOUT_MS = 15_000;
/** Pages followed while they carry no series (the Go iterator's Next). */
const MAX_PAGES = 20;

/** google.rpc.Code names in JSON, as codes.Code prints them. */
const GRPC_CODES: Record<string, string> = {
  CANCELLED: 'Canceled',
  UNKNOWN: 'Unknown',
  INVALID_ARGUMENT: 'InvalidArgument',
  DEADLINE_EXCEEDED: 'DeadlineExceeded',
  NOT_FOUND: 'NotFound',
  ALREADY_EXISTS: 'AlreadyExists',
  PERMISSION_DENIED: 'PermissionDenied',
  RESOURCE_EXHAUSTED: 'ResourceExhausted',
  FAILED_PRECONDITION: 'FailedPrecondition',
  ABORTED: 'Aborted',
  OUT_OF_RANGE: 'OutOfRange',
  UNIMPLEMENTED: 'Unimplemented',
  INTERNAL: 'Internal',
  UNAVAILABLE: 'Unavailable',
  DATA_LOSS: 'DataLoss',
  UNAUTHENTICATED: 'Unauthenticated',
};

/** The gRPC code an HTTP status maps to when the body names none (google.rpc mapping). */
function codeForHttpStatus(status: number): string {
  const byStatus: Record<number, string> = {
    400: 'InvalidArgument',
    401: 'Unauthenticated',
    403: 'PermissionDenied',
    404: 'NotFound',
    409: 'Aborted',
    429: 'ResourceExhausted',
    499: 'Canceled',
    501: 'Unimplemented',
    503: 'Unavailable',
    504: 'DeadlineExceeded',
  };
  return byStatus[status] ?? (status >= 500 ? 'Internal' : 'Unknown');
}

/** A failed call as a gRPC status. */
class RpcError extends Error {
  constructor(
    readonly code: string,
    readonly desc: string,
  ) {
    super(`rpc error: code = ${code} desc = ${desc}`);
    this.name = 'RpcError';
  }
}

function rpcErrorOf(result: HttpResult): RpcError {
  let status: unknown;
  let message: unknown;
  try {
    const error = field(JSON.parse(result.body) as unknown, 'error');
    status = field(error, 'status');
    message = field(error, 'message');
  } catch {
    // Not Google's JSON error (a proxy's page): the HTTP status is all there is.
  }
  const code =
    (typeof status === 'string' ? GRPC_CODES[status] : undefined) ??
    codeForHttpStatus(result.status);
  return new RpcError(code, typeof message === 'string' ? message : result.body);
}

/** proto3 JSON of a double: a number, or "NaN" / "Infinity" / "-Infinity". */
function protoDouble(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return NaN;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  return 0;
}

/** NewStackDriverProvider: with a secretRef, `project` is required, `serviceAccountKey` optional. */
export function createStackdriverProvider(context: MetricsProviderContext): MetricsProvider {
  const { provider } = context;
  let project = '';
  let serviceAccountKey: string | undefined;
  if (provider.secretRef) {
    const credentials = context.credentials ?? {};
    if (credentials.project === undefined)
      throw new Error(`${provider.type ?? ''} credentials does not contain a project id`);
    project = `projects/${credentials.project}`;
    serviceAccountKey = credentials.serviceAccountKey;
  }
  let keyJson: Record<string, unknown> | undefined;
  if (serviceAccountKey !== undefined) {
    try {
      keyJson = JSON.parse(serviceAccountKey) as Record<string, unknown>;
    } catch {
      // The key's text may be a secret: only its shape is named.
      throw new Error('invalid character in credentials JSON: the serviceAccountKey is not JSON');
    }
  }
  // google-auth-library loads on first use: most engines never talk to Cloud Monitoring.
  let auth: Promise<GoogleAuth> | undefined;
  const googleAuth = (): Promise<GoogleAuth> =>
    (auth ??= import('google-auth-library').then(
      (lib) => new lib.GoogleAuth({ scopes: SCOPES, ...(keyJson ? { credentials: keyJson } : {}) }),
    ));
  const endpoint = (provider.address || STACKDRIVER_DEFAULT_ENDPOINT).replace(/\/+$/, '');
  const url = `${endpoint}/v3/${project}/timeSeries:query`;

  const authorization = async (): Promise<Record<string, string>> => {
    try {
      const { JWT } = await import('google-auth-library');
      const client = await (await googleAuth()).getClient();
      // A service account key signs its own JWT, as Google's Go client does (no token call).
      if (client instanceof JWT) client.useJWTAccessWithScope = true;
      const headers = await client.getRequestHeaders(url);
      const value = headers.get('authorization');
      return value ? { Authorization: value } : {};
    } catch (err) {
      throw new RpcError(
        'Unauthenticated',
        `transport: per-RPC creds failed due to error: ${(err as Error).message}`,
      );
    }
  };

  /** One QueryTimeSeries page; a non-2xx answer or no answer is a gRPC status error. */
  const call = async (query: string, pageToken?: string): Promise<unknown> => {
    const headers = await authorization();
    let result: HttpResult;
    try {
      result = await send(context.http, {
        url,
        namespace: context.namespace,
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'application/json' },
        body: JSON.stringify({ query, ...(pageToken ? { pageToken } : {}) }),
        timeoutMs: TIMEOUT_MS,
      });
    } catch (err) {
      throw new RpcError('Unavailable', (err as Error).message.replace(/^request failed: /, ''));
    }
    if (result.status < 200 || result.status >= 300) throw rpcErrorOf(result);
    try {
      return JSON.parse(result.body) as unknown;
    } catch (err) {
      throw new RpcError('Internal', `error unmarshalling response: ${(err as Error).message}`);
    }
  };

  /** it.Next(): the first series, following pages that carry none; undefined is Done. */
  const firstSeries = async (query: string): Promise<unknown> => {
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const body = await call(query, pageToken);
      const data = field(body, 'timeSeriesData');
      if (Array.isArray(data) && data.length > 0) return data[0];
      const next = field(body, 'nextPageToken');
      if (typeof next !== 'string' || next === '') return undefined;
      pageToken = next;
    }
    return undefined;
  };

  return {
    async runQuery(query) {
      let series: unknown;
      try {
        series = await firstSeries(query);
      } catch (err) {
        throw new Error(`error requesting stackdriver: ${(err as Error).message}`, { cause: err });
      }
      if (series === undefined) throw noValuesIn('<nil>');
      // resp.String() is protobuf text in Go; its JSON here.
      const text = JSON.stringify(series);
      const points = field(series, 'pointData');
      const values = Array.isArray(points) ? field(points[0], 'values') : undefined;
      if (!Array.isArray(values) || values.length < 1) throw noValuesIn(text);
      return protoDouble(field(values[0], 'doubleValue'));
    },
    async isOnline() {
      try {
        await call('');
        return true;
      } catch (err) {
        if (!(err instanceof RpcError))
          throw new Error(`unexpected error: ${(err as Error).message}`, { cause: err });
        if (err.code !== 'InvalidArgument')
          throw new Error(`unexpected status code: ${err.code}`, { cause: err });
        return true;
      }
    },
  };
}
