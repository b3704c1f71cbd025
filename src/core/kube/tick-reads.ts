/**
 * Reads shared within one canary tick. A Flagger tick reads the same objects several times:
 * an idle canary's tick GETs its target Deployment six times (getMetadata, the service and
 * workload initialization, the router, hasTargetChanged, haveDependenciesChanged), which made
 * 11 requests per idle tick and, at 100 canaries per cluster, more than the cluster's request
 * budget (the engine benchmark, test/bench/engine.bench.ts).
 *
 * Inside runWithTickReads (the engine runs each scheduled tick in it), the KubeApi returned by
 * withTickReads answers a repeated GET of the same object from the tick's first answer (a
 * copy: callers may mutate it). Every write through it forgets all answers, before and after
 * the write, so a read after the tick's own write is fresh. Outside a tick (operator actions,
 * watches) and for everything but GET it passes straight through. Nothing outlives the tick,
 * so the next tick starts from the cluster as before (level-triggered).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type {
  HttpResult,
  KubeApi,
  KubeObject,
  ListOptions,
  ObjectRef,
  ServiceProxyRequest,
} from './api';

type Answers = Map<string, Promise<KubeObject | undefined>>;

const tick = new AsyncLocalStorage<Answers>();

/** Runs one tick: repeated GETs inside `fn` through withTickReads share one answer. */
export function runWithTickReads<T>(fn: () => Promise<T>): Promise<T> {
  return tick.run(new Map(), fn);
}

export function withTickReads(api: KubeApi): KubeApi {
  const write = async <T>(call: () => Promise<T>): Promise<T> => {
    const answers = tick.getStore();
    answers?.clear();
    try {
      return await call();
    } finally {
      answers?.clear();
    }
  };
  return {
    get context() {
      return api.context;
    },
    async get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T | undefined> {
      const answers = tick.getStore();
      if (!answers) return api.get<T>(ref);
      const key = `${ref.apiVersion}\n${ref.kind}\n${ref.namespace ?? ''}\n${ref.name}`;
      let answer = answers.get(key);
      if (!answer) {
        const sent = api.get(ref);
        answer = sent;
        answers.set(key, sent);
        // A failed read is not remembered: the next one asks again.
        sent.catch(() => {
          if (answers.get(key) === sent) answers.delete(key);
        });
      }
      const object = await answer;
      return object && (structuredClone(object) as T);
    },
    list<T extends KubeObject = KubeObject>(
      apiVersion: string,
      kind: string,
      namespace?: string,
      options?: ListOptions,
    ): Promise<T[]> {
      return api.list<T>(apiVersion, kind, namespace, options);
    },
    create<T extends KubeObject = KubeObject>(object: T): Promise<T> {
      return write(() => api.create<T>(object));
    },
    replace<T extends KubeObject = KubeObject>(object: T): Promise<T> {
      return write(() => api.replace<T>(object));
    },
    replaceStatus<T extends KubeObject = KubeObject>(object: T): Promise<T> {
      return write(() => api.replaceStatus<T>(object));
    },
    mergePatch<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: unknown): Promise<T> {
      return write(() => api.mergePatch<T>(ref, patch));
    },
    delete(ref: ObjectRef): Promise<void> {
      return write(() => api.delete(ref));
    },
    // A webhook may change objects too: only a GET through the proxy keeps the answers.
    serviceProxy(request: ServiceProxyRequest): Promise<HttpResult> {
      return request.method === 'GET' || request.method === 'HEAD'
        ? api.serviceProxy(request)
        : write(() => api.serviceProxy(request));
    },
    watch: (apiVersion, kind, namespace, handler, options) =>
      api.watch(apiVersion, kind, namespace, handler, options),
  };
}
