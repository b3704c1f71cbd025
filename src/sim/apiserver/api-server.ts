/**
 * One simulated cluster's Kubernetes HTTP API on 127.0.0.1 over TLS with a bearer token:
 * discovery, the REST verbs (list/get/create/update/patch/delete/deletecollection),
 * /status and /scale, watch streams, Table output for kubectl, service proxy, and fault
 * injection. Everything is read from and written to a MemoryClusterStore, which the
 * simulations share in-process.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { parse as parseYaml } from 'yaml';
import type { KubeObject, ResourceRef } from '../store';
import { StoreError } from '../store';
import {
  KUBE_VERSION,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  groupVersion,
} from './discovery';
import { ApiError, conflict, failure, notFound, toStatus } from './errors';
import { ApiFaults } from './faults';
import type { MemoryClusterStore, PropagationPolicy, StoredChange } from './memory-store';
import { openApiV3Group, openApiV3Root } from './openapi';
import { decodeKubeProtobuf } from './protobuf';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from './patch';
import type { ResourceType } from './resources';
import { compileSelectors, formatLabelSelector, getPath } from './selectors';
import { toTable } from './table';
import type { Table } from './table';

export interface ServiceProxyRequest {
  namespace: string;
  service: string;
  /** The port name or number from NAME:PORT ('' when absent). */
  port: string;
  /** 'http' or 'https' from SCHEME:NAME:PORT ('' when absent). */
  scheme: string;
  method: string;
  /** The path after /proxy, always starting with '/'. */
  path: string;
  /** The raw query string without '?' ('' when none). */
  query: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface ServiceProxyResponse {
  status: number;
  headers?: Record<string, string | string[]>;
  body?: Buffer | string;
}

/** Answers requests sent through /api/v1/namespaces/NS/services/NAME[:PORT]/proxy/PATH. */
export type ServiceProxyHandler = (request: ServiceProxyRequest) => Promise<ServiceProxyResponse>;

export interface ApiServerOptions {
  store: MemoryClusterStore;
  token: string;
  tls: { certPem: string; keyPem: string };
  serviceProxy?: ServiceProxyHandler;
  /** How often watches that asked for bookmarks get one (real servers: about a minute). */
  bookmarkIntervalMs?: number;
}

interface OpenWatch {
  end(): void;
}

const MAX_BODY = 16 * 1024 * 1024;
const ANONYMOUS_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz']);
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
  'te',
  'trailer',
  'content-length',
]);

interface Route {
  type: ResourceType;
  version: string;
  storage: ResourceRef;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
  /** Raw path after the subresource (service proxy). */
  rest: string;
  watchPath: boolean;
}

export class ClusterApiServer {
  readonly faults: ApiFaults;
  private readonly server: https.Server;
  private readonly sockets = new Set<Socket>();
  private readonly watches = new Set<OpenWatch>();
  private serviceProxy: ServiceProxyHandler | undefined;
  private boundPort = 0;
  private readonly bookmarkIntervalMs: number;

  constructor(private readonly options: ApiServerOptions) {
    this.serviceProxy = options.serviceProxy;
    this.bookmarkIntervalMs = options.bookmarkIntervalMs ?? 15_000;
    this.server = https.createServer(
      { cert: options.tls.certPem, key: options.tls.keyPem },
      (req, res) => {
        void this.handle(req, res);
      },
    );
    this.server.keepAliveTimeout = 30_000;
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.faults = new ApiFaults({
      dropWatches: () => this.dropWatches(),
      setReachable: async (reachable) => {
        if (reachable) await this.listen(this.boundPort);
        else await this.stopListening();
      },
    });
  }

  get store(): MemoryClusterStore {
    return this.options.store;
  }

  get port(): number {
    return this.boundPort;
  }

  setServiceProxy(handler: ServiceProxyHandler | undefined): void {
    this.serviceProxy = handler;
  }

  async listen(port = 0): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    const address = this.server.address();
    this.boundPort = typeof address === 'object' && address ? address.port : port;
    return this.boundPort;
  }

  async close(): Promise<void> {
    await this.stopListening();
  }

  private async stopListening(): Promise<void> {
    this.dropWatches();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await closed;
  }

  private dropWatches(): number {
    const open = [...this.watches];
    for (const w of open) w.end();
    return open.length;
  }

  // ---- request handling ---------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      const latency = this.faults.latencyMs;
      if (latency > 0) await new Promise((r) => setTimeout(r, latency));
      // Like kube-apiserver: a request without credentials is anonymous and may read the
      // public paths, but a bearer token that does not authenticate is a 401 everywhere.
      const anonymousAllowed =
        ANONYMOUS_PATHS.has(url.pathname) && req.headers.authorization === undefined;
      if (!anonymousAllowed && !this.authorized(req)) {
        sendJson(res, 401, failure(401, 'Unauthorized', 'Unauthorized'));
        return;
      }
      const injected = this.faults.injectedError(url.pathname);
      if (injected !== undefined) {
        sendJson(res, injected, injectedFailure(injected));
        return;
      }
      await this.route(req, res, url);
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const status = toStatus(err);
      // Expected API errors are answers; anything else is a bug worth a log line.
      if (!(err instanceof ApiError) && !(err instanceof StoreError))
        console.error('playground apiserver error', err);
      sendJson(res, status.code, status);
    }
  }

  private authorized(req: IncomingMessage): boolean {
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(header);
    return m !== null && m[1] === this.options.token;
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    const registry = this.store.resources;
    if (method === 'GET') {
      switch (path) {
        case '/version':
          return sendJson(res, 200, KUBE_VERSION);
        case '/healthz':
        case '/livez':
        case '/readyz':
          res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
          res.end('ok');
          return;
        case '/api':
          return sendJson(res, 200, apiVersions(`127.0.0.1:${this.boundPort}`));
        case '/apis':
          return sendJson(res, 200, apiGroupList(registry));
        case '/openapi/v3':
          return sendJson(res, 200, openApiV3Root(registry));
      }
      if (path.startsWith('/openapi/v3/')) {
        const doc = openApiV3Group(registry, path.slice('/openapi/v3/'.length));
        if (doc) return sendJson(res, 200, doc);
        throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
      }
    }
    const segments = path.split('/').filter((s) => s !== '');
    if (segments[0] === 'api' && segments.length === 2 && method === 'GET') {
      const doc = apiResourceList(registry, '', segments[1] ?? '');
      if (doc) return sendJson(res, 200, doc);
    }
    if (
      segments[0] === 'apis' &&
      method === 'GET' &&
      (segments.length === 2 || segments.length === 3)
    ) {
      const doc =
        segments.length === 2
          ? apiGroup(registry, segments[1] ?? '')
          : apiResourceList(registry, segments[1] ?? '', segments[2] ?? '');
      if (doc) return sendJson(res, 200, doc);
    }
    const route = this.parseRoute(url.pathname);
    if (!route)
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    await this.serveResource(req, res, url, route);
  }

  private parseRoute(rawPath: string): Route | undefined {
    const raw = rawPath.split('/').slice(1);
    const segments = raw.map((s) => decodeURIComponent(s));
    let group: string;
    let version: string;
    let rest: string[];
    let offset: number;
    if (segments[0] === 'api' && segments[1]) {
      group = '';
      version = segments[1];
      offset = 2;
    } else if (segments[0] === 'apis' && segments[1] && segments[2]) {
      group = segments[1];
      version = segments[2];
      offset = 3;
    } else return undefined;
    rest = segments.slice(offset);
    let watchPath = false;
    if (rest[0] === 'watch') {
      watchPath = true;
      rest = rest.slice(1);
      offset++;
    }
    let namespace: string | undefined;
    if (
      rest[0] === 'namespaces' &&
      rest.length >= 3 &&
      !(group === '' && (rest[2] === 'status' || rest[2] === 'finalize'))
    ) {
      namespace = rest[1];
      rest = rest.slice(2);
      offset += 2;
    }
    const [resource, name, subresource] = rest;
    if (!resource) return undefined;
    const type = this.store.resources.served(group, version, resource);
    if (!type) return undefined;
    if (namespace !== undefined && !type.namespaced) return undefined;
    const storageType = this.store.resources.storageOf(type);
    const restPath = '/' + raw.slice(offset + 3).join('/');
    return {
      type,
      version,
      storage: { group: storageType.group, resource: storageType.plural },
      namespace,
      name,
      subresource,
      rest: subresource ? restPath : '',
      watchPath,
    };
  }

  private async serveResource(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    route: Route,
  ): Promise<void> {
    const method = req.method ?? 'GET';
    const q = url.searchParams;
    const { type, name, subresource } = route;
    if (
      subresource === 'proxy' &&
      type.group === '' &&
      type.plural === 'services' &&
      name &&
      route.namespace
    ) {
      return this.proxyToService(req, res, url, route.namespace, name, route.rest);
    }
    if (type.namespaced && name && route.namespace === undefined && !type.virtual) {
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    }
    const isWatch = route.watchPath || q.get('watch') === 'true' || q.get('watch') === '1';
    const asTable = wantsTable(req.headers.accept);
    const dryRun = q.getAll('dryRun').includes('All');

    if (type.virtual) {
      if (method !== 'POST' || name) throw methodNotAllowed(method);
      // kubectl's typed clients send reviews as protobuf; the answer does not depend on the body.
      const protobuf = (req.headers['content-type'] ?? '').includes('protobuf');
      return sendJson(
        res,
        201,
        this.review(type, protobuf ? (await readBody(req), {}) : await readJson(req)),
      );
    }
    if (!name) {
      if (method === 'GET' && isWatch) return this.serveWatch(req, res, route, q, asTable);
      if (method === 'GET') return this.serveList(res, route, q, asTable);
      if (method === 'POST') return this.serveCreate(req, res, route, dryRun);
      if (method === 'DELETE') return this.serveDeleteCollection(req, res, route, q, dryRun);
      throw methodNotAllowed(method);
    }
    if (isWatch && method === 'GET') {
      // GET .../watch/RES/NAME: a watch on one object.
      q.set(
        'fieldSelector',
        [q.get('fieldSelector'), `metadata.name=${name}`].filter((s) => s).join(','),
      );
      return this.serveWatch(req, res, { ...route, name: undefined }, q, asTable);
    }
    if (subresource === 'scale' && type.scale) return this.serveScale(req, res, route, dryRun);
    if (subresource !== undefined && !(subresource === 'status' && type.status)) {
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    }
    const statusOnly = subresource === 'status';
    switch (method) {
      case 'GET': {
        const o = this.store.peek(route.storage, route.namespace, name);
        if (!o) throw notFound(publicRef(type), name);
        if (asTable) return sendJson(res, 200, this.table(route, [o], q));
        return sendJson(res, 200, this.toServed(route, o));
      }
      case 'PUT':
        return this.serveUpdate(req, res, route, name, statusOnly, dryRun);
      case 'PATCH':
        return this.servePatch(req, res, route, name, statusOnly, dryRun);
      case 'DELETE':
        if (statusOnly) throw methodNotAllowed(method);
        return this.serveDelete(req, res, route, name, q, dryRun);
      default:
        throw methodNotAllowed(method);
    }
  }

  // ---- conversion between the served version and storage -------------------------------

  private toServed(route: Route, o: KubeObject): KubeObject {
    const apiVersion = groupVersion(route.type.group, route.version);
    if (route.type.storedAs) return coreEventToEventsV1(o, apiVersion);
    return { ...o, apiVersion, kind: route.type.kind };
  }

  private fromServed(route: Route, o: KubeObject): KubeObject {
    if (route.type.storedAs) return eventsV1ToCoreEvent(o);
    return o;
  }

  private table(route: Route, objects: KubeObject[], q: URLSearchParams, noHeaders = false): Table {
    const include = q.get('includeObject');
    return toTable(route.type, objects, {
      version: route.version,
      now: this.store.clock.now(),
      includeObject: include === 'Object' ? 'Object' : include === 'None' ? 'None' : 'Metadata',
      noHeaders,
    });
  }

  // ---- verbs --------------------------------------------------------------------------

  private serveList(res: ServerResponse, route: Route, q: URLSearchParams, asTable: boolean): void {
    const limit = Number(q.get('limit') ?? '0');
    const page = this.store.listPage(route.storage, route.namespace, {
      labelSelector: q.get('labelSelector') ?? undefined,
      fieldSelector: this.storageFieldSelector(route, q.get('fieldSelector')),
      limit: Number.isFinite(limit) ? limit : 0,
      continue: q.get('continue') ?? undefined,
    });
    const metadata = {
      resourceVersion: page.resourceVersion,
      ...(page.continue ? { continue: page.continue } : {}),
      ...(page.remainingItemCount !== undefined
        ? { remainingItemCount: page.remainingItemCount }
        : {}),
    };
    if (asTable) {
      const table = this.table(route, page.items, q);
      table.metadata = metadata;
      return sendJson(res, 200, table);
    }
    sendJson(res, 200, {
      kind: route.type.listKind,
      apiVersion: groupVersion(route.type.group, route.version),
      metadata,
      items: page.items.map((o) => this.toServed(route, o)),
    });
  }

  /** events.k8s.io field selectors name events.k8s.io fields; storage has core/v1 ones. */
  private storageFieldSelector(route: Route, selector: string | null): string | undefined {
    if (!selector) return undefined;
    if (!route.type.storedAs) return selector;
    return selector
      .replace(/\bregarding\./g, 'involvedObject.')
      .replace(/\breportingController\b/g, 'reportingComponent');
  }

  private async serveCreate(
    req: IncomingMessage,
    res: ServerResponse,
    route: Route,
    dryRun: boolean,
  ): Promise<void> {
    const body = this.checkBody(route, await readJson(req));
    const meta = body.metadata;
    if (route.type.namespaced) {
      if (!route.namespace)
        throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
      if (meta.namespace && meta.namespace !== route.namespace) {
        throw new ApiError(
          400,
          'BadRequest',
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      meta.namespace = route.namespace;
    }
    const object = this.fromServed(route, body);
    // Status is the controllers' to write: a create through the API starts without one.
    if (route.type.status && !(route.type.group === '' && route.type.plural === 'nodes'))
      delete object.status;
    delete object.metadata.resourceVersion;
    const created = this.store.create(route.storage, object, { dryRun });
    sendJson(res, 201, this.toServed(route, created));
  }

  private async serveUpdate(
    req: IncomingMessage,
    res: ServerResponse,
    route: Route,
    name: string,
    statusOnly: boolean,
    dryRun: boolean,
  ): Promise<void> {
    const body = this.checkBody(route, await readJson(req));
    if (body.metadata.name && body.metadata.name !== name) {
      throw new ApiError(
        400,
        'BadRequest',
        `the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    if (route.namespace && body.metadata.namespace && body.metadata.namespace !== route.namespace) {
      throw new ApiError(
        400,
        'BadRequest',
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    body.metadata.name = name;
    if (route.namespace) body.metadata.namespace = route.namespace;
    if (this.faults.injectConflict()) throw conflict(publicRef(route.type), name);
    const object = this.fromServed(route, body);
    const updated = statusOnly
      ? this.store.updateStatus(route.storage, object, { dryRun })
      : this.store.update(route.storage, object, { dryRun });
    sendJson(res, 200, this.toServed(route, updated));
  }

  private async servePatch(
    req: IncomingMessage,
    res: ServerResponse,
    route: Route,
    name: string,
    statusOnly: boolean,
    dryRun: boolean,
  ): Promise<void> {
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
    const raw = await readBody(req);
    const current = this.store.peek(route.storage, route.namespace, name);
    if (contentType === 'application/apply-patch+yaml') {
      return this.serveApply(
        res,
        route,
        name,
        current,
        parseYaml(raw.toString('utf8')) as unknown,
        dryRun,
      );
    }
    if (!current) throw notFound(publicRef(route.type), name);
    const patch = parseJson(raw);
    const patched = this.applyPatch(
      route.type,
      contentType,
      this.toServed(route, current),
      patch,
    ) as KubeObject;
    if (this.faults.injectConflict()) throw conflict(publicRef(route.type), name);
    const object = this.fromServed(route, this.pinIdentity(patched, route, name));
    const updated = statusOnly
      ? this.store.updateStatus(route.storage, object, { dryRun })
      : this.store.update(route.storage, object, { dryRun });
    sendJson(res, 200, this.toServed(route, updated));
  }

  private applyPatch(
    type: ResourceType,
    contentType: string,
    current: unknown,
    patch: unknown,
  ): unknown {
    switch (contentType) {
      case 'application/merge-patch+json':
        return applyMergePatch(current, patch);
      case 'application/json-patch+json':
        return applyJsonPatch(current, patch);
      case 'application/strategic-merge-patch+json':
        if (type.crdName) {
          throw new ApiError(
            415,
            'UnsupportedMediaType',
            `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
          );
        }
        return applyStrategicMergePatch(current, patch);
      default:
        throw new ApiError(
          415,
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`,
        );
    }
  }

  /**
   * Server-side apply, approximated: create when missing, otherwise a strategic (built-ins)
   * or merge (custom resources) patch of the applied configuration. Field ownership and
   * removal of fields a manager stopped applying are not modelled.
   */
  private serveApply(
    res: ServerResponse,
    route: Route,
    name: string,
    current: KubeObject | undefined,
    applied: unknown,
    dryRun: boolean,
  ): void {
    const body = this.checkBody(route, applied);
    body.metadata.name = name;
    if (route.namespace) body.metadata.namespace = route.namespace;
    if (!current) {
      const created = this.store.create(route.storage, this.fromServed(route, body), { dryRun });
      return sendJson(res, 201, this.toServed(route, created));
    }
    const served = this.toServed(route, current);
    const merged = (
      route.type.crdName ? applyMergePatch(served, body) : applyStrategicMergePatch(served, body)
    ) as KubeObject;
    const updated = this.store.update(
      route.storage,
      this.fromServed(route, this.pinIdentity(merged, route, name)),
      { dryRun },
    );
    sendJson(res, 200, this.toServed(route, updated));
  }

  /** A patch may not rename or move the object. */
  private pinIdentity(o: KubeObject, route: Route, name: string): KubeObject {
    const metadata = { ...(o.metadata ?? {}), name };
    if (route.namespace) metadata.namespace = route.namespace;
    return { ...o, metadata };
  }

  private async serveDelete(
    req: IncomingMessage,
    res: ServerResponse,
    route: Route,
    name: string,
    q: URLSearchParams,
    dryRun: boolean,
  ): Promise<void> {
    const options = deleteOptions(await readBody(req), q);
    const deleted = this.store.delete(route.storage, route.namespace, name, {
      ...options,
      dryRun: dryRun || options.dryRun,
    });
    if (!deleted) throw notFound(publicRef(route.type), name);
    if (this.store.peek(route.storage, route.namespace, name) && !dryRun) {
      // Still there (finalizers): kube-apiserver answers with the object marked for deletion.
      return sendJson(res, 200, this.toServed(route, deleted));
    }
    sendJson(res, 200, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: {
        name,
        ...(route.type.group ? { group: route.type.group } : {}),
        kind: route.type.plural,
        uid: deleted.metadata.uid,
      },
    });
  }

  private async serveDeleteCollection(
    req: IncomingMessage,
    res: ServerResponse,
    route: Route,
    q: URLSearchParams,
    dryRun: boolean,
  ): Promise<void> {
    if (!route.type.verbs.includes('deletecollection')) throw methodNotAllowed('DELETE');
    const options = deleteOptions(await readBody(req), q);
    const targets = this.store.listStored(route.storage, route.namespace, {
      labelSelector: q.get('labelSelector') ?? undefined,
      fieldSelector: this.storageFieldSelector(route, q.get('fieldSelector')),
    });
    const items: KubeObject[] = [];
    for (const o of targets) {
      const deleted = this.store.delete(route.storage, o.metadata.namespace, o.metadata.name, {
        ...options,
        dryRun: dryRun || options.dryRun,
      });
      if (deleted) items.push(this.toServed(route, deleted));
    }
    sendJson(res, 200, {
      kind: route.type.listKind,
      apiVersion: groupVersion(route.type.group, route.version),
      metadata: { resourceVersion: this.store.resourceVersion },
      items,
    });
  }

  // ---- scale subresource --------------------------------------------------------------

  private toScale(type: ResourceType, o: KubeObject): KubeObject {
    const scale = type.scale;
    const specPath = (scale?.specReplicasPath ?? '.spec.replicas').slice(1);
    const statusPath = (scale?.statusReplicasPath ?? '.status.replicas').slice(1);
    const selectorPath = scale?.labelSelectorPath?.slice(1);
    const selectorValue = selectorPath ? getPath(o, selectorPath) : undefined;
    const selector =
      typeof selectorValue === 'string' ? selectorValue : formatLabelSelector(selectorValue);
    const replicas = getPath(o, specPath);
    const statusReplicas = getPath(o, statusPath);
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: o.metadata.name,
        ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
        uid: o.metadata.uid,
        resourceVersion: o.metadata.resourceVersion,
        creationTimestamp: o.metadata.creationTimestamp,
      },
      spec: { replicas: typeof replicas === 'number' ? replicas : 0 },
      status: {
        replicas: typeof statusReplicas === 'number' ? statusReplicas : 0,
        ...(selector ? { selector } : {}),
      },
    };
  }

  private async serveScale(
    req: IncomingMessage,
    res: ServerResponse,
    route: Route,
    dryRun: boolean,
  ): Promise<void> {
    const name = route.name ?? '';
    const method = req.method ?? 'GET';
    const current = this.store.peek(route.storage, route.namespace, name);
    if (!current) throw notFound(publicRef(route.type), name);
    const scale = this.toScale(route.type, current);
    if (method === 'GET') return sendJson(res, 200, scale);
    let desired: KubeObject;
    if (method === 'PUT') desired = (await readJson(req)) as KubeObject;
    else if (method === 'PATCH') {
      const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
      desired = this.applyPatch(
        { ...route.type, crdName: undefined },
        contentType,
        scale,
        parseJson(await readBody(req)),
      ) as KubeObject;
    } else throw methodNotAllowed(method);
    const replicas = (desired.spec as { replicas?: unknown } | undefined)?.replicas;
    if (typeof replicas !== 'number' || replicas < 0 || !Number.isInteger(replicas)) {
      throw new StoreError(
        422,
        'Invalid',
        `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${String(replicas)}: must be greater than or equal to 0`,
      );
    }
    if (this.faults.injectConflict()) throw conflict(publicRef(route.type), name);
    const next = structuredClone(current);
    setPath(next, (route.type.scale?.specReplicasPath ?? '.spec.replicas').slice(1), replicas);
    next.metadata.resourceVersion =
      desired.metadata?.resourceVersion || current.metadata.resourceVersion;
    const updated = this.store.update(route.storage, next, { dryRun });
    sendJson(res, 200, this.toScale(route.type, updated));
  }

  // ---- watch --------------------------------------------------------------------------

  private serveWatch(
    req: IncomingMessage,
    res: ServerResponse,
    route: Route,
    q: URLSearchParams,
    asTable: boolean,
  ): void {
    const matches = compileSelectors(
      q.get('labelSelector') ?? undefined,
      this.storageFieldSelector(route, q.get('fieldSelector')),
    );
    const inScope = (o: KubeObject) =>
      route.namespace === undefined || o.metadata.namespace === route.namespace;
    const storageKey = `${route.storage.group}/${route.storage.resource}`;
    const rvParam = q.get('resourceVersion') ?? '';
    const sendInitial = q.get('sendInitialEvents') === 'true';
    let backlog: StoredChange[] = [];
    let initial: KubeObject[] = [];
    let expired: unknown;
    if (rvParam === '' || rvParam === '0' || sendInitial) {
      initial = this.store.listStored(route.storage, route.namespace).filter(matches);
    } else {
      const since = Number(rvParam);
      if (!Number.isInteger(since) || since < 0) {
        throw new ApiError(400, 'BadRequest', `invalid resource version "${rvParam}"`);
      }
      try {
        backlog = this.store.changesSince(since);
      } catch (err) {
        expired = err;
      }
    }

    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
    });
    res.flushHeaders();
    let sentHeaders = false;
    const servedAs = `${groupVersion(route.type.group, route.version)}/${route.type.kind}`;
    const write = (type: string, object: KubeObject) => {
      let payload: unknown = object;
      if (asTable && type !== 'ERROR' && type !== 'BOOKMARK') {
        // The first Table carries the column definitions; later ones only rows, as kube-apiserver does.
        payload = this.table(route, [object], q, sentHeaders);
        sentHeaders = true;
      } else if (type !== 'ERROR' && type !== 'BOOKMARK') {
        // Many watchers see the same stored object: serialize it once per event type and version.
        const key = `${type} ${servedAs}`;
        let perObject = encodedEvents.get(object);
        const cached = perObject?.get(key);
        if (cached !== undefined) {
          res.write(cached);
          return;
        }
        const line = JSON.stringify({ type, object: this.toServed(route, object) }) + '\n';
        if (!perObject) encodedEvents.set(object, (perObject = new Map()));
        perObject.set(key, line);
        res.write(line);
        return;
      }
      res.write(JSON.stringify({ type, object: payload }) + '\n');
    };
    if (expired !== undefined) {
      write('ERROR', toStatus(expired) as unknown as KubeObject);
      res.end();
      return;
    }

    const deliver = (change: StoredChange) => {
      if (`${change.ref.group}/${change.ref.resource}` !== storageKey) return;
      const now = inScope(change.object) && matches(change.object);
      if (change.type === 'MODIFIED') {
        const before =
          change.previous !== undefined && inScope(change.previous) && matches(change.previous);
        if (now && before) write('MODIFIED', change.object);
        else if (now) write('ADDED', change.object);
        else if (before) write('DELETED', change.object);
      } else if (now) write(change.type, change.object);
    };

    for (const o of initial) write('ADDED', o);
    if (sendInitial) this.writeBookmark(res, route, true);
    for (const change of backlog) deliver(change);
    const unsubscribe = this.store.onChange(deliver);

    const timers: ReturnType<typeof setTimeout>[] = [];
    let ended = false;
    const watch: OpenWatch = {
      end: () => {
        if (ended) return;
        ended = true;
        unsubscribe();
        for (const t of timers) clearTimeout(t);
        this.watches.delete(watch);
        res.end();
      },
    };
    this.watches.add(watch);
    const timeoutSeconds = Number(q.get('timeoutSeconds') ?? '0');
    if (timeoutSeconds > 0) timers.push(setTimeout(() => watch.end(), timeoutSeconds * 1000));
    if (q.get('allowWatchBookmarks') === 'true' || q.get('allowWatchBookmarks') === '1') {
      const interval = setInterval(
        () => this.writeBookmark(res, route, false),
        this.bookmarkIntervalMs,
      );
      timers.push(interval);
    }
    req.on('close', () => watch.end());
    res.on('close', () => watch.end());
  }

  private writeBookmark(res: ServerResponse, route: Route, initialEventsEnd: boolean): void {
    const object = {
      kind: route.type.kind,
      apiVersion: groupVersion(route.type.group, route.version),
      metadata: {
        resourceVersion: this.store.resourceVersion,
        ...(initialEventsEnd ? { annotations: { 'k8s.io/initial-events-end': 'true' } } : {}),
      },
    };
    res.write(JSON.stringify({ type: 'BOOKMARK', object }) + '\n');
  }

  // ---- service proxy ------------------------------------------------------------------

  private async proxyToService(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    namespace: string,
    target: string,
    rest: string,
  ): Promise<void> {
    const parts = target.split(':');
    const [scheme, service, port] =
      parts.length >= 3
        ? [parts[0] ?? '', parts[1] ?? '', parts[2] ?? '']
        : ['', parts[0] ?? '', parts[1] ?? ''];
    if (!this.store.peek({ group: '', resource: 'services' }, namespace, service)) {
      throw notFound({ group: '', resource: 'services' }, service);
    }
    const body = await readBody(req);
    const handler = this.serviceProxy;
    if (!handler) {
      throw new ApiError(
        503,
        'ServiceUnavailable',
        `no endpoints available for service "${target}"`,
      );
    }
    const headers = { ...req.headers };
    delete headers.authorization;
    let answer: ServiceProxyResponse;
    try {
      answer = await handler({
        namespace,
        service,
        port,
        scheme,
        method: req.method ?? 'GET',
        path: rest === '' ? '/' : rest,
        query: url.search.replace(/^\?/, ''),
        headers,
        body,
      });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new ApiError(503, 'ServiceUnavailable', `error trying to reach service: ${message}`);
    }
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(answer.headers ?? {}))
      if (!HOP_BY_HOP.has(k.toLowerCase())) out[k] = v;
    const payload =
      answer.body === undefined
        ? Buffer.alloc(0)
        : Buffer.isBuffer(answer.body)
          ? answer.body
          : Buffer.from(answer.body);
    out['Content-Length'] = String(payload.length);
    res.writeHead(answer.status, out);
    res.end(payload);
  }

  // ---- reviews ------------------------------------------------------------------------

  private review(type: ResourceType, body: unknown): object {
    const input = (body && typeof body === 'object' ? body : {}) as KubeObject;
    const base = {
      ...input,
      apiVersion: groupVersion(type.group, type.versions[0] ?? 'v1'),
      kind: type.kind,
      metadata: { ...(input.metadata ?? {}), creationTimestamp: null },
    };
    switch (type.kind) {
      case 'SelfSubjectAccessReview': {
        const spec = (input as { spec?: { resourceAttributes?: Record<string, unknown> } }).spec;
        const attributes = spec?.resourceAttributes ?? {};
        const text = (key: string): string | undefined =>
          typeof attributes[key] === 'string' ? attributes[key] : undefined;
        const denied = this.faults.deniedAccess({
          verb: text('verb'),
          group: text('group'),
          resource: text('resource'),
          subresource: text('subresource'),
          namespace: text('namespace'),
        });
        if (denied)
          return {
            ...base,
            status: {
              allowed: false,
              denied: true,
              reason: 'denied by the playground (test RBAC)',
            },
          };
        return { ...base, status: { allowed: true, reason: 'the playground allows everything' } };
      }
      case 'SelfSubjectRulesReview':
        return {
          ...base,
          status: {
            resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
            nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
            incomplete: false,
          },
        };
      default:
        return {
          ...base,
          status: {
            userInfo: {
              username: 'playground-admin',
              groups: ['system:masters', 'system:authenticated'],
            },
          },
        };
    }
  }

  private checkBody(route: Route, body: unknown): KubeObject {
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      throw new ApiError(400, 'BadRequest', 'the body of the request must be an object');
    }
    const o = body as KubeObject;
    const expected = groupVersion(route.type.group, route.version);
    if (o.kind && o.kind !== route.type.kind) {
      throw new ApiError(
        400,
        'BadRequest',
        `the kind in the data (${o.kind}) does not match the expected kind (${route.type.kind})`,
      );
    }
    if (o.apiVersion && o.apiVersion !== expected) {
      throw new ApiError(
        400,
        'BadRequest',
        `the API version in the data (${o.apiVersion}) does not match the expected API version (${expected})`,
      );
    }
    o.apiVersion = expected;
    o.kind = route.type.kind;
    o.metadata ??= { name: '' };
    return o;
  }
}

// ---- helpers ------------------------------------------------------------------------------

/** Stored objects are never mutated once committed, so their encoded watch lines can be shared. */
const encodedEvents = new WeakMap<KubeObject, Map<string, string>>();

function publicRef(type: ResourceType): ResourceRef {
  return { group: type.group, resource: type.plural };
}

function methodNotAllowed(method: string): ApiError {
  return new ApiError(
    405,
    'MethodNotAllowed',
    `the server does not allow this method on the requested resource (${method})`,
  );
}

function injectedFailure(code: number): ReturnType<typeof failure> {
  switch (code) {
    case 429:
      return failure(
        429,
        'TooManyRequests',
        'the server has received too many requests and has asked us to try again later',
        { retryAfterSeconds: 1 },
      );
    case 503:
      return failure(
        503,
        'ServiceUnavailable',
        'the server is currently unable to handle the request',
      );
    case 504:
      return failure(
        504,
        'Timeout',
        'the server was unable to return a response in the time allotted, but may still be processing the request',
      );
    default:
      return failure(
        code,
        'InternalError',
        'Internal error occurred: injected fault (aviary playground)',
      );
  }
}

function wantsTable(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept
    .split(',')
    .some((part) => /;\s*as=Table/.test(part) && /g=meta\.k8s\.io/.test(part));
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(data),
  });
  res.end(data);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new ApiError(413, 'RequestEntityTooLarge', 'the request is too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJson(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ApiError(
      400,
      'BadRequest',
      `error decoding request body: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const raw = await readBody(req);
  const type = req.headers['content-type'] ?? '';
  if (type.includes('protobuf')) return decodeKubeProtobuf(raw);
  if (type.includes('yaml')) return parseYaml(raw.toString('utf8')) as unknown;
  return parseJson(raw);
}

function deleteOptions(
  raw: Buffer,
  q: URLSearchParams,
): {
  propagationPolicy?: PropagationPolicy;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
} {
  const body = (raw.length ? parseJson(raw) : {}) as {
    propagationPolicy?: string;
    orphanDependents?: boolean;
    preconditions?: { uid?: string; resourceVersion?: string };
    dryRun?: string[];
  };
  const policy =
    q.get('propagationPolicy') ??
    body.propagationPolicy ??
    (body.orphanDependents || q.get('orphanDependents') === 'true' ? 'Orphan' : undefined);
  return {
    ...(policy === 'Background' || policy === 'Foreground' || policy === 'Orphan'
      ? { propagationPolicy: policy }
      : {}),
    ...(body.preconditions ? { preconditions: body.preconditions } : {}),
    ...(body.dryRun?.includes('All') ? { dryRun: true } : {}),
  };
}

function setPath(o: KubeObject, path: string, value: unknown): void {
  const parts = path.split('.');
  let current = o as Record<string, unknown>;
  for (const part of parts.slice(0, -1)) {
    const next = current[part];
    if (!next || typeof next !== 'object') current[part] = {};
    current = current[part] as Record<string, unknown>;
  }
  current[parts[parts.length - 1] ?? ''] = value;
}

// ---- events.k8s.io/v1 <-> core/v1 Event ---------------------------------------------------

function coreEventToEventsV1(o: KubeObject, apiVersion: string): KubeObject {
  const e = o as Record<string, unknown>;
  const out: Record<string, unknown> = { apiVersion, kind: 'Event', metadata: o.metadata };
  const copy = (from: string, to: string) => {
    if (e[from] !== undefined) out[to] = e[from];
  };
  copy('eventTime', 'eventTime');
  copy('series', 'series');
  copy('reportingComponent', 'reportingController');
  copy('reportingInstance', 'reportingInstance');
  copy('action', 'action');
  copy('reason', 'reason');
  copy('involvedObject', 'regarding');
  copy('related', 'related');
  copy('message', 'note');
  copy('type', 'type');
  copy('source', 'deprecatedSource');
  copy('firstTimestamp', 'deprecatedFirstTimestamp');
  copy('lastTimestamp', 'deprecatedLastTimestamp');
  copy('count', 'deprecatedCount');
  out.eventTime ??= null;
  return out as KubeObject;
}

function eventsV1ToCoreEvent(o: KubeObject): KubeObject {
  const e = o as Record<string, unknown>;
  const out: Record<string, unknown> = { apiVersion: 'v1', kind: 'Event', metadata: o.metadata };
  const copy = (from: string, to: string) => {
    if (e[from] !== undefined) out[to] = e[from];
  };
  copy('eventTime', 'eventTime');
  copy('series', 'series');
  copy('reportingController', 'reportingComponent');
  copy('reportingInstance', 'reportingInstance');
  copy('action', 'action');
  copy('reason', 'reason');
  copy('regarding', 'involvedObject');
  copy('related', 'related');
  copy('note', 'message');
  copy('type', 'type');
  copy('deprecatedSource', 'source');
  copy('deprecatedFirstTimestamp', 'firstTimestamp');
  copy('deprecatedLastTimestamp', 'lastTimestamp');
  copy('deprecatedCount', 'count');
  out.involvedObject ??= {};
  return out as KubeObject;
}
