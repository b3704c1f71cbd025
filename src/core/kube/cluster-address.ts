/**
 * Reaching the URLs a Canary names (webhooks, Prometheus, alert hooks) from a laptop.
 *
 * Flagger runs in the cluster, so `http://flagger-loadtester.test/` resolves through cluster
 * DNS. Aviary runs outside: a cluster address goes through the API server's service proxy
 * with the user's credentials (design.md, "Reaching a cluster from a laptop"); anything else
 * (`https://hooks.slack.com/...`, `http://127.0.0.1:9090`) is fetched directly. Errors read
 * as Go's net/http prints them (`Post "URL": dial tcp ...: connect: connection refused`), so
 * events carry the texts people know from Flagger.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { Clock, TimerHandle } from '../../shared/clock';
import { systemClock } from '../../shared/clock';
import type { HttpResult, KubeApi, ServiceProxyRequest } from './api';

export const CLUSTER_DOMAIN = 'cluster.local';

/** A Service reached through `/api/v1/namespaces/NS/services/[https:]NAME:PORT/proxy/PATH`. */
export interface ClusterAddress {
  namespace: string;
  service: string;
  port: number;
  scheme: 'http' | 'https';
  /** Path and query, starting with "/". */
  path: string;
  /**
   * `svc.ns` could also be a public two-label host (`example.com`): the resolver then
   * checks that the Service exists, as cluster DNS would find it first through the search path.
   */
  ambiguous: boolean;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The cluster address a URL names, or undefined for a URL to fetch directly. `svc` resolves in
 * `namespace` (the canary's), `svc.ns`, `svc.ns.svc` and `svc.ns.svc.cluster.local` in `ns`.
 */
export function parseClusterAddress(url: string, namespace: string): ClusterAddress | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
  const host = u.hostname.replace(/\.$/, '').toLowerCase();
  if (!host || host === 'localhost' || isIP(host.replace(/^\[|\]$/g, '')) !== 0) return undefined;
  let labels = host.split('.');
  let certain = false;
  const suffix = ['svc', ...CLUSTER_DOMAIN.split('.')];
  for (const n of [suffix.length, 1]) {
    if (labels.length === 2 + n && labels.slice(2).join('.') === suffix.slice(0, n).join('.')) {
      labels = labels.slice(0, 2);
      certain = true;
      break;
    }
  }
  if (labels.length > 2 || !labels.every((l) => DNS_LABEL.test(l))) return undefined;
  const scheme = u.protocol === 'https:' ? 'https' : 'http';
  return {
    service: labels[0] ?? '',
    namespace: labels[1] ?? namespace,
    port: u.port ? Number(u.port) : scheme === 'https' ? 443 : 80,
    scheme,
    path: `${u.pathname || '/'}${u.search}`,
    ambiguous: labels.length === 2 && !certain,
  };
}

// --- Go-shaped errors --------------------------------------------------------------------------

/** A request that got no HTTP answer; `message` is Go's url.Error text. */
export class HttpTransportError extends Error {
  constructor(
    message: string,
    /** go-retryablehttp retries everything but bad schemes and certificate failures. */
    readonly retriable: boolean,
  ) {
    super(message);
    this.name = 'HttpTransportError';
  }
}

/** Query parameters whose values are likely credentials. */
const SECRET_PARAM = /token|key|secret|pass|auth|sig|credential|session|code/i;

/**
 * A URL as Go's net/http prints it in errors, minus what may be a secret: the password (Go
 * prints "***" too), credential-like query values, and for `secretPath` (alert hooks carry
 * their token in the path) the path. Anything else is left exactly as written.
 */
export function redactUrl(url: string, options: { secretPath?: boolean } = {}): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return options.secretPath ? '***' : url;
  }
  let changed = false;
  if (u.password) {
    u.password = '***';
    changed = true;
  }
  if (options.secretPath && u.pathname !== '/' && u.pathname !== '') {
    u.pathname = '/***';
    changed = true;
  }
  for (const key of [...u.searchParams.keys()]) {
    if (SECRET_PARAM.test(key)) {
      u.searchParams.set(key, '***');
      changed = true;
    }
  }
  return changed ? u.toString().replace(/=%2A%2A%2A/g, '=***') : url;
}

/** Go's url.Error Op: "Post", "Get". */
const goOp = (method: string): string => method.charAt(0) + method.slice(1).toLowerCase();

// prettier-ignore
const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 301: 'Moved Permanently',
  302: 'Found', 304: 'Not Modified', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden',
  404: 'Not Found', 405: 'Method Not Allowed', 406: 'Not Acceptable', 408: 'Request Timeout',
  409: 'Conflict', 410: 'Gone', 413: 'Request Entity Too Large', 415: 'Unsupported Media Type',
  422: 'Unprocessable Entity', 429: 'Too Many Requests', 500: 'Internal Server Error',
  501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

/** Go's http.StatusText ("" for codes it does not know). */
export function httpStatusText(status: number): string {
  return STATUS_TEXT[status] ?? '';
}

/**
 * json.Marshal's output for a JSON-able value: HTML characters escaped as \u003c etc. Key order
 * is the caller's (struct fields in declaration order; maps through sortedMap).
 */
export function goJsonMarshal(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** A string map with its keys sorted, as json.Marshal writes a map[string]string. */
export function sortedMap(map: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(map).sort()) out[k] = map[k] ?? '';
  return out;
}

// --- the requests ------------------------------------------------------------------------------

export interface ClusterHttpRequest {
  url: string;
  /** Where a bare `http://svc/` resolves: the canary's namespace. */
  namespace: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /**
   * How Go reports the timeout: `client` is http.Client.Timeout (webhooks), `context` a
   * context.WithTimeout (Prometheus, notifiers).
   */
  timeoutKind?: 'client' | 'context';
  /** disableTLS / insecureSkipVerify, for direct https. */
  insecureSkipVerify?: boolean;
  /** Redact the URL path in error texts (alert hooks carry their token there). */
  secretPath?: boolean;
}

export interface ClusterHttp {
  /** Resolves with any HTTP answer; rejects with HttpTransportError when there is none. */
  request(request: ClusterHttpRequest): Promise<HttpResult>;
}

export interface ClusterHttpOptions {
  api: KubeApi;
  clock?: Clock;
  /** How long a Service lookup for an ambiguous `svc.ns` host is remembered (default 60 s). */
  lookupTtlMs?: number;
}

/** The k8s Status body of an API server's own proxy failure (not the upstream's answer). */
function proxyFailure(result: HttpResult): string | undefined {
  if (result.status < 400) return undefined;
  try {
    const body = JSON.parse(result.body) as {
      kind?: unknown;
      apiVersion?: unknown;
      status?: unknown;
      message?: unknown;
    };
    if (body.kind !== 'Status' || body.apiVersion !== 'v1' || body.status !== 'Failure')
      return undefined;
    const message = typeof body.message === 'string' ? body.message : `status ${result.status}`;
    // "error trying to reach service: dial tcp ...": the part after the prefix is Go's own text.
    return message.replace(/^error trying to reach service: /, '');
  } catch {
    return undefined;
  }
}

export function createClusterHttp(options: ClusterHttpOptions): ClusterHttp {
  const clock = options.clock ?? systemClock;
  const ttl = options.lookupTtlMs ?? 60_000;
  const known = new Map<string, { exists: boolean; at: number }>();

  /** Whether the ambiguous `svc.ns` host is a Service (cluster DNS would answer it first). */
  const serviceExists = async (address: ClusterAddress): Promise<boolean> => {
    const key = `${address.namespace}/${address.service}`;
    const cached = known.get(key);
    if (cached && clock.now() - cached.at < ttl) return cached.exists;
    let exists: boolean;
    try {
      exists =
        (await options.api.get({
          apiVersion: 'v1',
          kind: 'Service',
          namespace: address.namespace,
          name: address.service,
        })) !== undefined;
    } catch {
      // Not knowing (RBAC, API trouble): the proxy will say what is wrong.
      exists = true;
    }
    known.set(key, { exists, at: clock.now() });
    return exists;
  };

  const timeoutText = (req: ClusterHttpRequest): string =>
    req.timeoutKind === 'context'
      ? 'context deadline exceeded'
      : 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)';

  /** Races `work` against the request's timeout on the injected clock. */
  const withTimeout = async <T>(
    req: ClusterHttpRequest,
    work: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> => {
    const controller = new AbortController();
    let timer: TimerHandle | undefined;
    const expired = new Promise<never>((_resolve, reject) => {
      timer = clock.setTimeout(() => {
        controller.abort();
        reject(
          new HttpTransportError(
            `${goOp(req.method)} "${redactUrl(req.url, req)}": ${timeoutText(req)}`,
            true,
          ),
        );
      }, req.timeoutMs);
    });
    try {
      return await Promise.race([work(controller.signal), expired]);
    } finally {
      clock.clearTimeout(timer);
    }
  };

  const viaProxy = async (req: ClusterHttpRequest, address: ClusterAddress) => {
    const proxyRequest: ServiceProxyRequest = {
      namespace: address.namespace,
      service: address.service,
      port: address.port,
      ...(address.scheme === 'https' ? { scheme: 'https' as const } : {}),
      method: req.method,
      path: address.path,
      ...(req.headers ? { headers: req.headers } : {}),
      ...(req.body !== undefined ? { body: req.body } : {}),
      timeoutMs: req.timeoutMs,
    };
    let result: HttpResult;
    try {
      result = await options.api.serviceProxy(proxyRequest);
    } catch (err) {
      throw new HttpTransportError(
        `${goOp(req.method)} "${redactUrl(req.url, req)}": ${(err as Error).message}`,
        true,
      );
    }
    const failure = proxyFailure(result);
    if (failure !== undefined)
      throw new HttpTransportError(
        `${goOp(req.method)} "${redactUrl(req.url, req)}": ${failure}`,
        true,
      );
    return result;
  };

  return {
    async request(req) {
      const address = parseClusterAddress(req.url, req.namespace);
      const proxied = address && (!address.ambiguous || (await serviceExists(address)));
      return withTimeout(req, (signal) =>
        proxied ? viaProxy(req, address) : direct(req, req.url, signal, 0),
      );
    },
  };
}

// --- direct HTTP (node:http, so disableTLS can skip verification) --------------------------------

const CERT_ERROR =
  /^(CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|ERR_TLS_CERT_ALTNAME_INVALID)/;

function goTransportText(err: NodeJS.ErrnoException, u: URL): { text: string; retriable: boolean } {
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  const code = err.code ?? '';
  if (code === 'ECONNREFUSED')
    return { text: `dial tcp ${u.hostname}:${port}: connect: connection refused`, retriable: true };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return { text: `dial tcp: lookup ${u.hostname}: no such host`, retriable: true };
  if (code === 'ECONNRESET') return { text: 'EOF', retriable: true };
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return {
      text: `tls: failed to verify certificate: x509: certificate is not valid for ${u.hostname}`,
      retriable: false,
    };
  if (CERT_ERROR.test(code))
    return {
      text: 'tls: failed to verify certificate: x509: certificate signed by unknown authority',
      retriable: false,
    };
  return { text: err.message, retriable: true };
}

const MAX_REDIRECTS = 10;

/** One request as Go's http.Client sends it, following up to 10 redirects. */
async function direct(
  req: ClusterHttpRequest,
  url: string,
  signal: AbortSignal,
  redirects: number,
): Promise<HttpResult> {
  const fail = (text: string, retriable: boolean): HttpTransportError =>
    new HttpTransportError(`${goOp(req.method)} "${redactUrl(url, req)}": ${text}`, retriable);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw fail(`unsupported protocol scheme ""`, false);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw fail(`unsupported protocol scheme "${u.protocol.replace(/:$/, '')}"`, false);
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const outgoing = send(
      u,
      {
        method: req.method,
        headers: {
          'user-agent': 'Go-http-client/1.1',
          ...(req.headers ?? {}),
          ...(req.body !== undefined ? { 'content-length': Buffer.byteLength(req.body) } : {}),
        },
        signal,
        ...(u.protocol === 'https:' && req.insecureSkipVerify ? { rejectUnauthorized: false } : {}),
      },
      resolve,
    );
    outgoing.on('error', (err: NodeJS.ErrnoException) => {
      const { text, retriable } = goTransportText(err, u);
      reject(fail(text, retriable));
    });
    outgoing.end(req.body);
  });
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  const status = response.statusCode ?? 0;
  const location = response.headers.location;
  if ([301, 302, 303, 307, 308].includes(status) && location) {
    if (redirects + 1 >= MAX_REDIRECTS) throw fail('stopped after 10 redirects', false);
    const next = new URL(location, u).toString();
    // 301/302/303 turn a POST into a GET without a body, as Go's client does.
    const keep = status === 307 || status === 308 || req.method === 'GET';
    const { body: _dropped, ...rest } = req;
    return direct(keep ? req : { ...rest, method: 'GET' }, next, signal, redirects + 1);
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(response.headers)) {
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return { status, headers, body: Buffer.concat(chunks).toString('utf8') };
}
