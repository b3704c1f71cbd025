/**
 * The real KubeApi: raw HTTP(S) to one cluster's API server with the user's own
 * credentials (client-node applies them: CA, client certificates, bearer tokens, exec
 * and auth-provider plugins, insecure-skip-tls-verify, proxy-url).
 *
 * Why raw HTTP instead of client-node's typed clients: the engine needs any kind (CRDs of
 * every mesh) resolved through discovery, service proxy answers passed through untouched,
 * watches it can resume and relist itself, and timeouts on everything. Each client has
 * its own request budget, keep-alive agent and timers, so a slow or unreachable cluster
 * is contained here and never delays another cluster's client.
 *
 * Errors are KubeApiErrors: the server's Status reason and message for HTTP errors, and
 * for transport failures a message built from the error code (never from the request
 * options, which hold the credentials).
 */
import http from 'node:http';
import https from 'node:https';
import { createHash } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import { systemClock, type Clock, type TimerHandle } from '../../shared/clock';
import {
  KubeApiError,
  type HttpResult,
  type KubeApi,
  type KubeErrorReason,
  type KubeObject,
  type ListOptions,
  type ObjectRef,
  type ServiceProxyRequest,
  type WatchEventType,
} from './api';
import { describeCredentialError, describeRequestError, formatDuration } from './connection';
import { RequestBudget } from './request-budget';

export interface ClusterClientOptions {
  /** Sustained requests per second to this cluster (default 100, Flagger's -kubeconfig-qps). */
  qps?: number;
  /** Requests allowed at once before qps applies (default 250, Flagger's -kubeconfig-burst). */
  burst?: number;
  /** Drives the request budget and watch backoff; request timeouts run on real time. */
  clock?: Clock;
  /** Bound on every non-watch request, credentials included (default 10 s). */
  requestTimeoutMs?: number;
  userAgent?: string;
}

export interface ClusterClientStats {
  /** HTTP requests sent (discovery and watch (re)connects included). */
  requests: number;
  /** Total time requests waited for the budget, in clock milliseconds. */
  throttledMs: number;
  /** Requests sent and not answered yet (an open watch counts until its headers arrive). */
  inflight: number;
}

export interface ClusterClient extends KubeApi {
  stats(): ClusterClientStats;
  /** Stops every watch, fails waiting and in-flight requests, drops the connections. */
  close(): void;
}

export function createClusterClient(
  context: string,
  kc: KubeConfig,
  options: ClusterClientOptions = {},
): ClusterClient {
  return new HttpClusterClient(context, kc, options);
}

// ---- tunables -----------------------------------------------------------------------------

const MAX_BODY_BYTES = 64 * 1024 * 1024;
const MAX_PROXY_BODY_BYTES = 16 * 1024 * 1024;
const LIST_PAGE_SIZE = 500;
const WATCH_BACKOFF_FIRST_MS = 500;
const WATCH_BACKOFF_MAX_MS = 30_000;
/** A stream that lived this long was healthy: the next drop starts the backoff afresh. */
const WATCH_HEALTHY_MS = 60_000;
/** Servers end watches after timeoutSeconds; 5-10 min, randomized like client-go. */
const WATCH_TIMEOUT_MIN_S = 300;
/** A stream that outlives its timeoutSeconds by this much is dead (a half-open socket). */
const WATCH_GRACE_MS = 30_000;

// ---- internals ----------------------------------------------------------------------------

interface ResourceInfo {
  plural: string;
  namespaced: boolean;
  hasStatus: boolean;
}

interface DiscoveryEntry {
  promise: Promise<Map<string, ResourceInfo>>;
  settled: boolean;
}

interface Credentials {
  agent: http.Agent;
  headers: Record<string, string>;
  basicAuth?: string;
  /** Values that must never appear in a message: tokens, passwords. */
  secrets: string[];
}

interface HttpCall {
  method: string;
  /** Path and query below the server URL. */
  path: string;
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
  maxBytes?: number;
  /** Describes the call in timeout messages (no query: it may carry secrets). */
  what?: string;
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface StatusBody {
  kind?: unknown;
  reason?: unknown;
  message?: unknown;
  code?: unknown;
  details?: { name?: unknown };
}

interface ListBody {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: KubeObject[];
}

class HttpClusterClient implements ClusterClient {
  private readonly clock: Clock;
  private readonly budget: RequestBudget;
  private readonly requestTimeoutMs: number;
  private readonly userAgent: string;
  private readonly server: string;
  private readonly discovery = new Map<string, DiscoveryEntry>();
  private readonly agents = new Map<string, http.Agent>();
  private readonly openRequests = new Set<http.ClientRequest>();
  private readonly watches = new Set<WatchStream>();
  private requests = 0;
  private inflight = 0;
  private closed = false;

  constructor(
    readonly context: string,
    private readonly kc: KubeConfig,
    options: ClusterClientOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.budget = new RequestBudget(options.qps ?? 100, options.burst ?? 250, this.clock);
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.userAgent = options.userAgent ?? `aviary/0.1 (${process.platform}) ${context}`;
    const server = kc.getCurrentCluster()?.server;
    if (!server) throw new Error(`context "${context}" has no cluster server`);
    this.server = server.replace(/\/+$/, '');
  }

  stats(): ClusterClientStats {
    return {
      requests: this.requests,
      throttledMs: this.budget.throttledMs,
      inflight: this.inflight,
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.watches]) w.stop();
    this.budget.close();
    for (const req of this.openRequests) req.destroy(closedError());
    this.openRequests.clear();
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }

  // ---- KubeApi ----------------------------------------------------------------------------

  async get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    const info = await this.resource(ref.apiVersion, ref.kind);
    try {
      const object = await this.json<T>(ref.apiVersion, {
        method: 'GET',
        path: this.objectPath(ref.apiVersion, ref.kind, info, ref.namespace, ref.name),
      });
      return withType(object, ref.apiVersion, ref.kind);
    } catch (err) {
      if (err instanceof KubeApiError && err.reason === 'NotFound') return undefined;
      throw err;
    }
  }

  async list<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    namespace?: string,
    options?: ListOptions,
  ): Promise<T[]> {
    return (await this.listAll<T>(apiVersion, kind, namespace, options)).items;
  }

  async create<T extends KubeObject = KubeObject>(object: T): Promise<T> {
    const { apiVersion, kind } = object;
    const info = await this.resource(apiVersion, kind);
    const created = await this.json<T>(apiVersion, {
      method: 'POST',
      path: this.collectionPath(apiVersion, info, this.requireNamespace(kind, info, object)),
      body: JSON.stringify(object),
      contentType: 'application/json',
    });
    return withType(created, apiVersion, kind);
  }

  async replace<T extends KubeObject = KubeObject>(object: T): Promise<T> {
    return this.put(object, false);
  }

  async replaceStatus<T extends KubeObject = KubeObject>(object: T): Promise<T> {
    return this.put(object, true);
  }

  async mergePatch<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: unknown): Promise<T> {
    const info = await this.resource(ref.apiVersion, ref.kind);
    const path = this.objectPath(ref.apiVersion, ref.kind, info, ref.namespace, ref.name);
    const send = (subPath: string, body: unknown) =>
      this.json<T>(ref.apiVersion, {
        method: 'PATCH',
        path: subPath,
        body: JSON.stringify(body),
        contentType: 'application/merge-patch+json',
      });
    // With a status subresource the server ignores `status` in a main-resource patch; send
    // it to /status too, so a patch means what it says (as the in-process KubeApi does).
    if (info.hasStatus && isRecord(patch) && patch.status !== undefined) {
      const { status, ...rest } = patch;
      if (Object.keys(rest).length > 0) await send(path, rest);
      return withType(await send(`${path}/status`, { status }), ref.apiVersion, ref.kind);
    }
    return withType(await send(path, patch), ref.apiVersion, ref.kind);
  }

  async delete(ref: ObjectRef): Promise<void> {
    try {
      const info = await this.resource(ref.apiVersion, ref.kind);
      await this.json(ref.apiVersion, {
        method: 'DELETE',
        path: this.objectPath(ref.apiVersion, ref.kind, info, ref.namespace, ref.name),
        body: JSON.stringify({
          kind: 'DeleteOptions',
          apiVersion: 'v1',
          propagationPolicy: 'Background',
        }),
        contentType: 'application/json',
      });
    } catch (err) {
      // A kind the cluster does not serve has no objects either.
      if (err instanceof KubeApiError && err.reason === 'NotFound') return;
      throw err;
    }
  }

  async serviceProxy(request: ServiceProxyRequest): Promise<HttpResult> {
    const target = [
      request.scheme ? encodeURIComponent(request.scheme) : undefined,
      encodeURIComponent(request.service),
      request.port !== undefined && request.port !== ''
        ? encodeURIComponent(String(request.port))
        : undefined,
    ]
      .filter((p) => p !== undefined)
      .join(':');
    const rest = request.path.startsWith('/') ? request.path : `/${request.path}`;
    const base = `/api/v1/namespaces/${encodeURIComponent(request.namespace)}/services/${target}/proxy`;
    const answer = await this.send({
      method: request.method,
      path: base + rest,
      ...(request.body !== undefined ? { body: request.body } : {}),
      headers: { Accept: '*/*', ...(request.headers ?? {}) },
      timeoutMs: request.timeoutMs,
      maxBytes: MAX_PROXY_BODY_BYTES,
      what: `service proxy to ${request.namespace}/${request.service}`,
    });
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(answer.headers)) {
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    return { status: answer.status, headers, body: answer.body };
  }

  watch(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    handler: (type: WatchEventType, object: KubeObject) => void,
    options: ListOptions & { onError?: (err: Error) => void } = {},
  ): () => void {
    const stream = new WatchStream(this, apiVersion, kind, namespace, handler, options);
    if (this.closed) return () => undefined;
    this.watches.add(stream);
    stream.start();
    return () => {
      stream.stop();
      this.watches.delete(stream);
    };
  }

  // ---- helpers for WatchStream --------------------------------------------------------------

  /** Every page of a list, with the list's resourceVersion (the point a watch starts from). */
  async listAll<T extends KubeObject>(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    options: ListOptions = {},
  ): Promise<{ items: T[]; resourceVersion: string }> {
    const info = await this.resource(apiVersion, kind);
    const path = this.collectionPath(apiVersion, info, info.namespaced ? namespace : undefined);
    for (let attempt = 0; ; attempt++) {
      const items: T[] = [];
      let continueToken: string | undefined;
      try {
        for (;;) {
          const query = listQuery(options, { limit: String(LIST_PAGE_SIZE) });
          if (continueToken) query.set('continue', continueToken);
          const page = await this.json<ListBody>(apiVersion, {
            method: 'GET',
            path: `${path}?${query.toString()}`,
          });
          for (const item of page.items ?? []) items.push(withType(item as T, apiVersion, kind));
          continueToken = page.metadata?.continue;
          if (!continueToken)
            return { items, resourceVersion: page.metadata?.resourceVersion ?? '' };
        }
      } catch (err) {
        // An expired continue token (410): the paged snapshot is gone, list again from the start.
        if (attempt === 0 && continueToken && err instanceof KubeApiError && err.status === 410)
          continue;
        throw err;
      }
    }
  }

  async watchPath(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
  ): Promise<string> {
    const info = await this.resource(apiVersion, kind);
    return this.collectionPath(apiVersion, info, info.namespaced ? namespace : undefined);
  }

  get watchClock(): Clock {
    return this.clock;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Opens a watch stream: resolves with the response once its headers arrive (bounded by
   * the request timeout); the body then stays open until the server ends it, bounded by
   * maxLifeMs. Counts against the budget like any request.
   */
  async openStream(
    path: string,
    maxLifeMs: number,
  ): Promise<{ response: http.IncomingMessage; request: http.ClientRequest }> {
    await this.budget.take();
    const creds = await this.credentials();
    this.requests++;
    this.inflight++;
    let counted = true;
    const done = () => {
      if (counted) this.inflight--;
      counted = false;
    };
    return new Promise((resolve, reject) => {
      let req: http.ClientRequest;
      try {
        req = this.request('GET', path, creds, {});
      } catch (err) {
        done();
        throw err;
      }
      const headerTimer = setTimeout(
        () => req.destroy(timeoutError(this.requestTimeoutMs, `watch ${stripQuery(path)}`)),
        this.requestTimeoutMs,
      );
      headerTimer.unref();
      const lifeTimer = setTimeout(
        () => req.destroy(timeoutError(maxLifeMs, `watch ${stripQuery(path)}`)),
        maxLifeMs,
      );
      lifeTimer.unref();
      req.on('response', (response) => {
        clearTimeout(headerTimer);
        done();
        resolve({ response, request: req });
      });
      req.on('error', (err) => {
        done();
        reject(this.transportError(err, creds));
      });
      req.on('close', () => {
        clearTimeout(headerTimer);
        clearTimeout(lifeTimer);
        done();
        this.openRequests.delete(req);
      });
      req.end();
    });
  }

  statusError(status: number, body: string, secrets: string[] = []): KubeApiError {
    let parsed: StatusBody | undefined;
    try {
      const value: unknown = JSON.parse(body);
      if (isRecord(value)) parsed = value as StatusBody;
    } catch {
      parsed = undefined;
    }
    const serverReason = typeof parsed?.reason === 'string' ? parsed.reason : '';
    const message =
      parsed?.kind === 'Status' && typeof parsed.message === 'string' && parsed.message
        ? redact(parsed.message, secrets)
        : `${this.server} answered HTTP ${status}${HTTP_TEXT[status] ? ` ${HTTP_TEXT[status]}` : ''}`;
    return new KubeApiError(status, reasonFor(status, serverReason), message);
  }

  // ---- discovery --------------------------------------------------------------------------

  /** The resource of a kind, from the group-version's discovery list (refreshed on a miss). */
  private async resource(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const cached = await this.discover(apiVersion, false);
    const found = cached.get(kind);
    if (found) return found;
    const fresh = await this.discover(apiVersion, true);
    const info = fresh.get(kind);
    if (!info) {
      throw new KubeApiError(
        404,
        'NotFound',
        `the server doesn't have a resource type "${kind}" in ${apiVersion}`,
      );
    }
    return info;
  }

  private discover(apiVersion: string, refresh: boolean): Promise<Map<string, ResourceInfo>> {
    const existing = this.discovery.get(apiVersion);
    // A refresh joins a fetch still under way: it started after the miss was seen.
    if (existing && (!refresh || !existing.settled)) return existing.promise;
    const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const entry: DiscoveryEntry = {
      settled: false,
      promise: this.send({ method: 'GET', path }).then((answer) => {
        if (answer.status === 404) return new Map<string, ResourceInfo>();
        if (answer.status !== 200) throw this.statusError(answer.status, answer.body);
        return parseResourceList(answer.body);
      }),
    };
    entry.promise.then(
      () => {
        entry.settled = true;
      },
      () => {
        // Failures are not cached: the next call asks again.
        if (this.discovery.get(apiVersion) === entry) this.discovery.delete(apiVersion);
      },
    );
    this.discovery.set(apiVersion, entry);
    return entry.promise;
  }

  // ---- paths ------------------------------------------------------------------------------

  private collectionPath(apiVersion: string, info: ResourceInfo, namespace?: string): string {
    const prefix = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const ns =
      info.namespaced && namespace !== undefined && namespace !== ''
        ? `/namespaces/${encodeURIComponent(namespace)}`
        : '';
    return `${prefix}${ns}/${info.plural}`;
  }

  private objectPath(
    apiVersion: string,
    kind: string,
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
  ): string {
    if (!name) throw new KubeApiError(400, 'Invalid', `${kind}: a name is required`);
    if (info.namespaced && !namespace)
      throw new KubeApiError(
        400,
        'Invalid',
        `${kind} "${name}" is namespaced: a namespace is required`,
      );
    return `${this.collectionPath(apiVersion, info, namespace)}/${encodeURIComponent(name)}`;
  }

  private requireNamespace(
    kind: string,
    info: ResourceInfo,
    object: KubeObject,
  ): string | undefined {
    if (!info.namespaced) return undefined;
    const ns = object.metadata.namespace;
    if (!ns) {
      throw new KubeApiError(
        400,
        'Invalid',
        `${kind} "${object.metadata.name}" is namespaced: metadata.namespace is required`,
      );
    }
    return ns;
  }

  private async put<T extends KubeObject>(object: T, status: boolean): Promise<T> {
    const { apiVersion, kind, metadata } = object;
    const info = await this.resource(apiVersion, kind);
    if (status && !info.hasStatus)
      throw new KubeApiError(404, 'NotFound', `${kind} has no status subresource`);
    const path = this.objectPath(apiVersion, kind, info, metadata.namespace, metadata.name);
    const written = await this.json<T>(apiVersion, {
      method: 'PUT',
      path: status ? `${path}/status` : path,
      body: JSON.stringify(object),
      contentType: 'application/json',
    });
    return withType(written, apiVersion, kind);
  }

  // ---- HTTP -------------------------------------------------------------------------------

  /** A JSON API call: 2xx parsed, anything else a KubeApiError from the server's Status. */
  private async json<T>(apiVersion: string, call: HttpCall): Promise<T> {
    const answer = await this.send(call);
    if (answer.status >= 200 && answer.status < 300) {
      try {
        return JSON.parse(answer.body) as T;
      } catch {
        throw new KubeApiError(
          answer.status,
          'Unknown',
          `${this.server} answered ${call.method} ${stripQuery(call.path)} with a body that is not JSON`,
        );
      }
    }
    const err = this.statusError(answer.status, answer.body);
    // A 404 naming no object means the path itself is unknown: the kind went away (CRD
    // deleted or a version no longer served), so the next call asks discovery again.
    if (answer.status === 404 && !statusNamesObject(answer.body)) {
      const entry = this.discovery.get(apiVersion);
      if (entry?.settled) this.discovery.delete(apiVersion);
    }
    throw err;
  }

  /** One bounded HTTP exchange. Throws only on transport errors and timeouts. */
  private async send(call: HttpCall): Promise<RawResponse> {
    await this.budget.take();
    const creds = await this.credentials();
    const timeoutMs = call.timeoutMs ?? this.requestTimeoutMs;
    const maxBytes = call.maxBytes ?? MAX_BODY_BYTES;
    const what = call.what ?? `${call.method} ${stripQuery(call.path)}`;
    this.requests++;
    this.inflight++;
    try {
      return await new Promise<RawResponse>((resolve, reject) => {
        const req = this.request(call.method, call.path, creds, {
          ...(call.headers ?? {}),
          ...(call.contentType ? { 'Content-Type': call.contentType } : {}),
          ...(call.body !== undefined
            ? { 'Content-Length': String(Buffer.byteLength(call.body)) }
            : {}),
        });
        // Why the exchange was cut short, when we cut it: the socket errors that follow
        // ("aborted", "socket hang up") must not replace it.
        let cause: KubeApiError | undefined;
        const cut = (err: KubeApiError) => {
          cause ??= err;
          req.destroy(err);
        };
        const fail = (err: unknown) => {
          clearTimeout(timer);
          reject(cause ?? this.transportError(err, creds));
        };
        // Real time on purpose: this bounds network I/O, which a ManualClock never advances.
        const timer = setTimeout(() => cut(timeoutError(timeoutMs, what)), timeoutMs);
        timer.unref();
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBytes) {
              cut(
                new KubeApiError(
                  0,
                  'Unknown',
                  `${what}: the answer is larger than ${maxBytes} bytes`,
                ),
              );
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => {
            clearTimeout(timer);
            if (cause) return reject(cause);
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            });
          });
          res.on('error', fail);
          res.on('aborted', () =>
            fail(
              new KubeApiError(
                0,
                'Unavailable',
                `${what}: the connection to ${this.server} was reset`,
              ),
            ),
          );
        });
        req.on('error', fail);
        req.on('close', () => {
          clearTimeout(timer);
          this.openRequests.delete(req);
        });
        req.end(call.body);
      });
    } finally {
      this.inflight--;
    }
  }

  private request(
    method: string,
    path: string,
    creds: Credentials,
    headers: Record<string, string>,
  ): http.ClientRequest {
    if (this.closed) throw closedError();
    const url = new URL(this.server + path);
    const options: https.RequestOptions = {
      method,
      agent: creds.agent,
      headers: {
        Accept: 'application/json',
        'User-Agent': this.userAgent,
        ...headers,
        ...creds.headers,
      },
      ...(creds.basicAuth ? { auth: creds.basicAuth } : {}),
    };
    const req = url.protocol === 'http:' ? http.request(url, options) : https.request(url, options);
    this.openRequests.add(req);
    return req;
  }

  /**
   * The credentials for the next request. client-node applies them fresh each time (exec
   * and OIDC tokens expire; client-node caches them until then); the TLS material decides
   * the keep-alive agent, rebuilt only when it changes (e.g. an exec plugin's new cert).
   */
  private async credentials(): Promise<Credentials> {
    if (this.closed) throw closedError();
    const opts: https.RequestOptions & { headers: Record<string, string> } = { headers: {} };
    const applied = this.kc.applyToHTTPSOptions(opts);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.requestTimeoutMs);
      timer.unref();
    });
    applied.catch(() => undefined); // settled below or abandoned after the deadline
    try {
      if ((await Promise.race([applied, deadline])) === 'timeout') {
        const user = this.kc.getCurrentUser();
        const source = user?.exec?.command
          ? `the exec plugin of user "${user.name}"`
          : `the credentials of user "${user?.name ?? ''}"`;
        throw new KubeApiError(
          0,
          'Timeout',
          `${source} did not answer within ${formatDuration(this.requestTimeoutMs)}`,
        );
      }
    } catch (err) {
      if (err instanceof KubeApiError) throw err;
      const user = this.kc.getCurrentUser();
      const outcome = describeCredentialError(err, {
        server: this.server,
        ...(user?.name ? { userName: user.name } : {}),
        ...(user?.exec?.command ? { execCommand: user.exec.command } : {}),
        secrets: [user?.token ?? '', user?.password ?? ''],
      });
      throw new KubeApiError(
        0,
        'Unauthorized',
        'message' in outcome ? outcome.message : 'invalid credentials',
      );
    } finally {
      clearTimeout(timer);
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers)) headers[k] = String(v);
    const user = this.kc.getCurrentUser();
    const secrets = [
      ...Object.values(headers).map((v) => v.replace(/^(Bearer|Basic)\s+/i, '')),
      user?.token ?? '',
      user?.password ?? '',
    ].filter((s) => s.length >= 4);
    return {
      agent: this.agentFor(opts),
      headers,
      ...(typeof opts.auth === 'string' ? { basicAuth: opts.auth } : {}),
      secrets,
    };
  }

  private agentFor(opts: https.RequestOptions): http.Agent {
    const key = createHash('sha256')
      .update(
        JSON.stringify([
          bufferText(opts.ca),
          bufferText(opts.cert),
          bufferText(opts.key),
          opts.rejectUnauthorized,
          opts.servername,
        ]),
      )
      .digest('hex');
    const existing = this.agents.get(key);
    if (existing) return existing;
    const cluster = this.kc.getCurrentCluster();
    let agent: http.Agent;
    if (cluster?.proxyUrl && opts.agent instanceof http.Agent) {
      // client-node built a proxy agent (http(s)/socks) with the TLS options: keep that one.
      agent = opts.agent;
    } else if (this.server.startsWith('http:')) {
      agent = new http.Agent({ keepAlive: true });
    } else {
      agent = new https.Agent({
        keepAlive: true,
        ...(opts.ca ? { ca: opts.ca } : {}),
        ...(opts.cert ? { cert: opts.cert } : {}),
        ...(opts.key ? { key: opts.key } : {}),
        ...(opts.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
        ...(opts.servername ? { servername: opts.servername } : {}),
      });
    }
    // Rotated credentials: the old agent's idle sockets go; streams on it reconnect.
    for (const old of this.agents.values()) old.destroy();
    this.agents.clear();
    this.agents.set(key, agent);
    return agent;
  }

  private transportError(err: unknown, creds: Credentials): KubeApiError {
    if (err instanceof KubeApiError) return err;
    const outcome = describeRequestError(err, { server: this.server, secrets: creds.secrets });
    const message = 'message' in outcome ? outcome.message : `could not reach ${this.server}`;
    const reason: KubeErrorReason =
      outcome.state === 'unauthorized' ? 'Unauthorized' : 'Unavailable';
    return new KubeApiError(0, reason, redact(message, creds.secrets));
  }
}

// ---- watch --------------------------------------------------------------------------------

/**
 * One list+watch loop, like client-go's reflector: list, watch from the list's
 * resourceVersion, resume from the last seen one after a drop (backoff 0.5 s doubling to
 * 30 s, with jitter, on the client's clock), relist on 410 Gone and hand the handler the
 * differences, so its view of the objects stays right across any gap.
 */
class WatchStream {
  /** What the handler has been told exists, by namespace/name. */
  private readonly known = new Map<string, KubeObject>();
  private resourceVersion: string | undefined;
  private stopped = false;
  private failures = 0;
  private timer: TimerHandle | undefined;
  private wake: (() => void) | undefined;
  private current: http.ClientRequest | undefined;

  constructor(
    private readonly client: HttpClusterClient,
    private readonly apiVersion: string,
    private readonly kind: string,
    private readonly namespace: string | undefined,
    private readonly handler: (type: WatchEventType, object: KubeObject) => void,
    private readonly options: ListOptions & { onError?: (err: Error) => void },
  ) {}

  start(): void {
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.client.watchClock.clearTimeout(this.timer);
    this.wake?.();
    this.current?.destroy();
  }

  private async run(): Promise<void> {
    while (!this.stopped && !this.client.isClosed) {
      let delay: number;
      try {
        if (this.resourceVersion === undefined) await this.relist();
        if (this.stopped) return;
        const started = this.client.watchClock.now();
        const outcome = await this.watchOnce();
        if (outcome === 'gone') {
          // The server no longer has our resourceVersion: relist at once.
          this.resourceVersion = undefined;
          continue;
        }
        // A clean end (server timeout or a drop): resume, backing off if it keeps happening.
        if (this.client.watchClock.now() - started >= WATCH_HEALTHY_MS) this.failures = 0;
        delay = this.backoff();
      } catch (err) {
        if (this.stopped) return;
        this.report(err);
        delay = this.backoff();
      }
      await this.sleep(delay);
    }
  }

  private backoff(): number {
    const base = Math.min(WATCH_BACKOFF_MAX_MS, WATCH_BACKOFF_FIRST_MS * 2 ** this.failures);
    this.failures++;
    return Math.round(base * (1 + 0.2 * Math.random()));
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = this.client.watchClock.setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
    });
  }

  private async relist(): Promise<void> {
    const { items, resourceVersion } = await this.client.listAll(
      this.apiVersion,
      this.kind,
      this.namespace,
      this.selectors(),
    );
    if (this.stopped) return;
    const seen = new Set<string>();
    for (const item of items) {
      const key = keyOf(item);
      seen.add(key);
      const before = this.known.get(key);
      this.known.set(key, item);
      if (!before) this.emit('ADDED', item);
      else if (before.metadata.resourceVersion !== item.metadata.resourceVersion)
        this.emit('MODIFIED', item);
    }
    for (const [key, object] of [...this.known]) {
      if (seen.has(key)) continue;
      this.known.delete(key);
      this.emit('DELETED', object);
    }
    this.resourceVersion = resourceVersion;
  }

  private async watchOnce(): Promise<'closed' | 'gone'> {
    const path = await this.client.watchPath(this.apiVersion, this.kind, this.namespace);
    const timeoutSeconds = WATCH_TIMEOUT_MIN_S + Math.floor(Math.random() * WATCH_TIMEOUT_MIN_S);
    const query = listQuery(this.selectors(), {
      watch: '1',
      allowWatchBookmarks: 'true',
      timeoutSeconds: String(timeoutSeconds),
      resourceVersion: this.resourceVersion ?? '',
    });
    const { response, request } = await this.client.openStream(
      `${path}?${query.toString()}`,
      timeoutSeconds * 1000 + WATCH_GRACE_MS,
    );
    this.current = request;
    if (this.stopped) {
      request.destroy();
      return 'closed';
    }
    if (response.statusCode !== 200) {
      const body = await readSome(response, 64 * 1024);
      if (response.statusCode === 410) return 'gone';
      throw this.client.statusError(response.statusCode ?? 0, body);
    }
    return new Promise((resolve, reject) => {
      let buffer = '';
      let settled = false;
      const finish = (outcome: 'closed' | 'gone' | Error) => {
        if (settled) return;
        settled = true;
        this.current = undefined;
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline).trim();
          buffer = buffer.slice(newline + 1);
          if (!line) continue;
          const outcome = this.onLine(line);
          if (outcome) {
            finish(outcome);
            request.destroy();
            return;
          }
        }
        if (buffer.length > MAX_BODY_BYTES) {
          finish(new KubeApiError(0, 'Unknown', `watch ${this.kind}: an event larger than 64 MiB`));
          request.destroy();
        }
      });
      response.on('end', () => finish('closed'));
      response.on('error', (err) => finish(this.stopped ? 'closed' : asError(err)));
      request.on('error', (err) => finish(this.stopped ? 'closed' : asError(err)));
      request.on('close', () => finish('closed'));
    });
  }

  /** Handles one watch event; returns how the stream ends when it must end. */
  private onLine(line: string): 'gone' | Error | undefined {
    let event: { type?: unknown; object?: unknown };
    try {
      event = JSON.parse(line) as { type?: unknown; object?: unknown };
    } catch {
      return new KubeApiError(
        0,
        'Unknown',
        `watch ${this.kind}: the server sent a line that is not JSON`,
      );
    }
    const object = event.object;
    if (!isRecord(object)) return undefined;
    const type = event.type;
    if (type === 'ERROR') {
      const code = typeof object.code === 'number' ? object.code : 0;
      if (code === 410) return 'gone';
      return this.client.statusError(code, JSON.stringify(object));
    }
    const metadata = isRecord(object.metadata) ? object.metadata : {};
    const rv = typeof metadata.resourceVersion === 'string' ? metadata.resourceVersion : undefined;
    if (type === 'BOOKMARK') {
      if (rv) this.resourceVersion = rv;
      // A bookmark proves the stream is alive and current.
      this.failures = 0;
      return undefined;
    }
    if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') return undefined;
    const kubeObject = withType(object as KubeObject, this.apiVersion, this.kind);
    if (rv) this.resourceVersion = rv;
    const key = keyOf(kubeObject);
    if (type === 'DELETED') this.known.delete(key);
    else this.known.set(key, kubeObject);
    this.failures = 0;
    this.emit(type, kubeObject);
    return undefined;
  }

  private emit(type: WatchEventType, object: KubeObject): void {
    if (this.stopped) return;
    try {
      this.handler(type, object);
    } catch (err) {
      this.report(err);
    }
  }

  private report(err: unknown): void {
    try {
      this.options.onError?.(asError(err));
    } catch {
      // A failing error handler must not end the watch.
    }
  }

  private selectors(): ListOptions {
    return {
      ...(this.options.labelSelector ? { labelSelector: this.options.labelSelector } : {}),
      ...(this.options.fieldSelector ? { fieldSelector: this.options.fieldSelector } : {}),
    };
  }
}

// ---- small helpers ------------------------------------------------------------------------

const HTTP_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** The HTTP status decides; the Status reason refines (409 is AlreadyExists or Conflict). */
function reasonFor(status: number, serverReason: string): KubeErrorReason {
  switch (status) {
    case 400:
    case 422:
      return 'Invalid';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'NotFound';
    case 409:
      return serverReason === 'AlreadyExists' ? 'AlreadyExists' : 'Conflict';
    case 429:
    case 502:
    case 503:
      return 'Unavailable';
    case 504:
      return 'Timeout';
  }
  if (serverReason === 'Timeout' || serverReason === 'ServerTimeout') return 'Timeout';
  return 'Unknown';
}

function statusNamesObject(body: string): boolean {
  try {
    const value: unknown = JSON.parse(body);
    if (!isRecord(value) || !isRecord(value.details)) return false;
    return typeof value.details.name === 'string' && value.details.name !== '';
  } catch {
    return false;
  }
}

function parseResourceList(body: string): Map<string, ResourceInfo> {
  const out = new Map<string, ResourceInfo>();
  const value: unknown = JSON.parse(body);
  const resources = isRecord(value) && Array.isArray(value.resources) ? value.resources : [];
  const withStatus = new Set<string>();
  for (const r of resources) {
    if (!isRecord(r) || typeof r.name !== 'string') continue;
    const [plural, sub] = r.name.split('/');
    if (sub === 'status' && plural) withStatus.add(plural);
  }
  for (const r of resources) {
    if (!isRecord(r) || typeof r.name !== 'string' || typeof r.kind !== 'string') continue;
    if (r.name.includes('/')) continue;
    // Two resources of one kind (e.g. a legacy alias): the first, as discovery orders them.
    if (out.has(r.kind)) continue;
    out.set(r.kind, {
      plural: r.name,
      namespaced: r.namespaced === true,
      hasStatus: withStatus.has(r.name),
    });
  }
  return out;
}

function listQuery(options: ListOptions, extra: Record<string, string>): URLSearchParams {
  const query = new URLSearchParams();
  if (options.labelSelector) query.set('labelSelector', options.labelSelector);
  if (options.fieldSelector) query.set('fieldSelector', options.fieldSelector);
  for (const [k, v] of Object.entries(extra)) if (v !== '') query.set(k, v);
  return query;
}

/** List items come without apiVersion/kind; callers always get them. */
function withType<T extends KubeObject>(object: T, apiVersion: string, kind: string): T {
  if (object.apiVersion === apiVersion && object.kind === kind) return object;
  return { ...object, apiVersion, kind };
}

function keyOf(object: KubeObject): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function stripQuery(path: string): string {
  const i = path.indexOf('?');
  return i >= 0 ? path.slice(0, i) : path;
}

function bufferText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (Array.isArray(value)) return value.map(bufferText).join(',');
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Removes known credential values from text that came from outside. */
function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join('[redacted]');
  return out;
}

function timeoutError(ms: number, what: string): KubeApiError {
  return new KubeApiError(0, 'Timeout', `${what} timed out after ${formatDuration(ms)}`);
}

function closedError(): KubeApiError {
  return new KubeApiError(0, 'Unavailable', 'the cluster client was closed');
}

function readSome(response: http.IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    const done = () => resolve(Buffer.concat(chunks).toString('utf8'));
    response.on('end', done);
    response.on('error', done);
    response.on('close', done);
  });
}
