/**
 * A KubeApi over the playground's in-process store, for fast engine tests: the same
 * Kubernetes semantics as the playground's HTTP API (409 on stale writes, status kept on
 * PUT, GC...) without HTTP. Integration tests use the real ClusterClient over HTTPS.
 */
import type {
  HttpResult,
  KubeApi,
  KubeObject,
  ListOptions,
  ObjectRef,
  ServiceProxyRequest,
  WatchEventType,
} from '../../src/core/kube/api';
import { KubeApiError, type KubeErrorReason } from '../../src/core/kube/api';
import { applyMergePatch } from '../../src/sim/apiserver/patch';
import type { MemoryClusterStore, ServiceProxyHandler } from '../../src/sim/apiserver/index';
import type { KubeObject as SimObject, ResourceRef } from '../../src/sim/store';
import { StoreError } from '../../src/sim/store';

export function storeKubeApi(
  store: MemoryClusterStore,
  options: { context?: string; proxy?: ServiceProxyHandler } = {},
): KubeApi {
  const refOf = (apiVersion: string, kind: string): ResourceRef => {
    const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
    const type = store.resources.all().find((t) => t.group === group && t.kind === kind);
    if (!type)
      throw new KubeApiError(
        404,
        'NotFound',
        `the server doesn't have a resource type ${kind} in ${apiVersion}`,
      );
    return { group, resource: type.plural };
  };
  const wrap = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof StoreError) {
        const reason: KubeErrorReason =
          err.reason === 'BadRequest' || err.reason === 'Gone' || err.reason === 'InternalError'
            ? 'Unknown'
            : err.reason;
        throw new KubeApiError(err.status, reason, err.message);
      }
      throw err;
    }
  };
  const clone = <T>(value: T): T => structuredClone(value);
  // The store keeps the apiVersion it was given; clients see the version they asked for.
  const asSeen = <T extends KubeObject>(object: SimObject, apiVersion: string): T =>
    ({ ...clone(object), apiVersion }) as unknown as T;

  return {
    context: options.context ?? 'in-process',
    async get<T extends KubeObject>(ref: ObjectRef) {
      const found = wrap(() => store.get(refOf(ref.apiVersion, ref.kind), ref.namespace, ref.name));
      return found ? asSeen<T>(found, ref.apiVersion) : undefined;
    },
    async list<T extends KubeObject>(
      apiVersion: string,
      kind: string,
      namespace?: string,
      list?: ListOptions,
    ) {
      return wrap(() => store.list(refOf(apiVersion, kind), namespace, list)).map((o) =>
        asSeen<T>(o, apiVersion),
      );
    },
    async create<T extends KubeObject>(object: T) {
      return asSeen<T>(
        wrap(() => store.create(refOf(object.apiVersion, object.kind), clone(object) as SimObject)),
        object.apiVersion,
      );
    },
    async replace<T extends KubeObject>(object: T) {
      return asSeen<T>(
        wrap(() => store.update(refOf(object.apiVersion, object.kind), clone(object) as SimObject)),
        object.apiVersion,
      );
    },
    async replaceStatus<T extends KubeObject>(object: T) {
      return asSeen<T>(
        wrap(() =>
          store.updateStatus(refOf(object.apiVersion, object.kind), clone(object) as SimObject),
        ),
        object.apiVersion,
      );
    },
    async mergePatch<T extends KubeObject>(ref: ObjectRef, patch: unknown) {
      const resource = refOf(ref.apiVersion, ref.kind);
      return wrap(() => {
        const current = store.get(resource, ref.namespace, ref.name);
        if (!current)
          throw new KubeApiError(404, 'NotFound', `${ref.kind} "${ref.name}" not found`);
        const next = applyMergePatch(clone(current), patch) as SimObject;
        const status = (patch as { status?: unknown }).status !== undefined;
        const written = store.update(resource, {
          ...next,
          metadata: { ...next.metadata, resourceVersion: undefined },
        });
        return asSeen<T>(
          status
            ? store.updateStatus(resource, { ...next, metadata: { ...written.metadata } })
            : written,
          ref.apiVersion,
        );
      });
    },
    async delete(ref: ObjectRef) {
      wrap(() => store.delete(refOf(ref.apiVersion, ref.kind), ref.namespace, ref.name));
    },
    async serviceProxy(request: ServiceProxyRequest): Promise<HttpResult> {
      if (!options.proxy) return { status: 503, headers: {}, body: 'no endpoints available' };
      const [path, query = ''] = request.path.split('?');
      const answer = await options.proxy({
        namespace: request.namespace,
        service: request.service,
        port: String(request.port ?? ''),
        scheme: request.scheme ?? '',
        method: request.method,
        path: path ?? '/',
        query,
        headers: request.headers ?? {},
        body: Buffer.from(request.body ?? ''),
      });
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(answer.headers ?? {}))
        if (v !== undefined) headers[k] = String(v);
      return {
        status: answer.status,
        headers,
        body: answer.body === undefined ? '' : String(answer.body),
      };
    },
    watch(
      apiVersion,
      kind,
      namespace,
      handler: (type: WatchEventType, object: KubeObject) => void,
    ) {
      const resource = refOf(apiVersion, kind);
      for (const o of store.list(resource, namespace)) handler('ADDED', asSeen(o, apiVersion));
      return store.subscribe((event) => {
        if (event.ref.group !== resource.group || event.ref.resource !== resource.resource) return;
        if (namespace && event.object.metadata.namespace !== namespace) return;
        handler(event.type, asSeen(event.object, apiVersion));
      });
    },
  };
}
