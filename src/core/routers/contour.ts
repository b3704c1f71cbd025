/**
 * Flagger's ContourRouter (pkg/router/contour.go): one `<apex>` HTTPProxy (projectcontour.io/v1)
 * per canary, with a route whose two services (`<apex>-primary`, `<apex>-canary`) carry the
 * weights. A root HTTPProxy with the virtualhost is the user's and includes this one; Flagger
 * never writes a virtualhost. With analysis.match (A/B), a first route adds the header
 * conditions and carries the weights; a second, prefix-only route keeps everyone else on the
 * primary. Flagger's -ingress-class becomes spec.ingressClassName.
 */
import type { Canary, HTTPMatchRequest } from '../canary';
import { analysisOf, serviceNames } from '../canary';
import type { RoutingObjectRef, Routes, TrafficRouter } from '../controller/ports';
import type { KubeApi, KubeObject, ObjectRef } from '../kube/api';
import { getExisting, reconcileApexObject } from './apex-object';
import { withFlaggerError } from './upsert';

export const CONTOUR_API_VERSION = 'projectcontour.io/v1';
const RESOURCE = 'httpproxies.projectcontour.io';

export interface ContourRouterOptions {
  /** Flagger's -ingress-class: spec.ingressClassName of the HTTPProxy. */
  ingressClass?: string;
  setOwnerRefs?: boolean;
}

interface HeaderMatchCondition {
  name: string;
  contains?: string;
  exact?: string;
}

interface MatchCondition {
  prefix?: string;
  header?: HeaderMatchCondition;
}

interface ContourService {
  name: string;
  port: number;
  /** int64 with omitempty: a zero weight is not written. */
  weight?: number;
  requestHeadersPolicy?: { set?: { name: string; value: string }[] };
}

interface ContourRoute {
  conditions?: MatchCondition[];
  services?: ContourService[];
  timeoutPolicy?: { response?: string; idle?: string };
  retryPolicy?: { count: number; perTryTimeout?: string; retryOn?: string[] };
}

export interface HTTPProxySpec {
  virtualhost?: { fqdn: string; [field: string]: unknown };
  routes?: ContourRoute[];
  includes?: { name: string; namespace?: string; conditions?: MatchCondition[] }[];
  ingressClassName?: string;
  [field: string]: unknown;
}

export interface HTTPProxy extends KubeObject {
  spec: HTTPProxySpec;
}

const t = {
  createError: (name: string, ns: string, err: string) =>
    `HTTPProxy ${name}.${ns} create error: ${err}`,
  getQueryError: (name: string, ns: string, err: string) =>
    `HTTPProxy ${name}.${ns} get query error: ${err}`,
  updateError: (name: string, ns: string, err: string) =>
    `HTTPProxy ${name}.${ns} update error: ${err}`,
  /** GetRoutes' own format: no colon before the cause. */
  getRoutesQueryError: (name: string, ns: string, err: string) =>
    `HTTPProxy ${name}.${ns} get query error ${err}`,
  servicesNotFound: (name: string, ns: string) => `HTTPProxy ${name}.${ns} services not found`,
  noValidWeights: (name: string, ns: string) =>
    `HTTPProxy ${name}.${ns} update failed: no valid weights`,
  queryError: (name: string, ns: string, err: string) =>
    `HTTPProxy ${name}.${ns} query error: ${err}`,
};

export class ContourRouter implements TrafficRouter {
  private readonly ingressClass: string;
  private readonly setOwnerRefs: boolean;

  constructor(
    private readonly api: KubeApi,
    options: ContourRouterOptions = {},
  ) {
    this.ingressClass = options.ingressClass ?? '';
    this.setOwnerRefs = options.setOwnerRefs ?? true;
  }

  objects(canary: Canary): RoutingObjectRef[] {
    const name = serviceNames(canary).apex;
    return [{ apiVersion: CONTOUR_API_VERSION, kind: 'HTTPProxy', name, role: 'route' }];
  }

  async reconcile(canary: Canary): Promise<void> {
    const ns = canary.metadata.namespace;
    const { apex } = serviceNames(canary);
    const spec = this.makeSpec(canary, 100, 0);

    // Flagger's update puts the new spec in whole, weights (100/0) included.
    await reconcileApexObject<HTTPProxy>(this.api, canary, {
      ref: proxyRef(ns, apex),
      ownedByCanary: this.setOwnerRefs,
      create: (metadata) => ({
        apiVersion: CONTOUR_API_VERSION,
        kind: 'HTTPProxy',
        metadata,
        spec,
        // Sent as Flagger sends it; Contour (and the status subresource) own it afterwards.
        status: { currentStatus: 'valid', description: 'valid HTTPProxy' },
      }),
      spec: () => spec,
      texts: t,
    });
  }

  async getRoutes(canary: Canary): Promise<Routes> {
    const ns = canary.metadata.namespace;
    const { apex, primary } = serviceNames(canary);
    const proxy: HTTPProxy = await withFlaggerError(
      () => getExisting<HTTPProxy>(this.api, proxyRef(ns, apex), RESOURCE),
      (err) => t.getRoutesQueryError(apex, ns, err),
    );
    const services = proxy.spec?.routes?.[0]?.services ?? [];
    if (services.length < 2) throw new Error(t.servicesNotFound(apex, ns));
    for (const service of services) {
      if (service.name === primary) {
        const primaryWeight = service.weight ?? 0;
        return { primaryWeight, canaryWeight: 100 - primaryWeight, mirrored: false };
      }
    }
    return { primaryWeight: 0, canaryWeight: 0, mirrored: false };
  }

  async setRoutes(canary: Canary, routes: Routes): Promise<void> {
    const ns = canary.metadata.namespace;
    const { apex } = serviceNames(canary);
    if (routes.primaryWeight === 0 && routes.canaryWeight === 0) {
      throw new Error(t.noValidWeights(apex, ns));
    }
    const proxy: HTTPProxy = await withFlaggerError(
      () => getExisting<HTTPProxy>(this.api, proxyRef(ns, apex), RESOURCE),
      (err) => t.queryError(apex, ns, err),
    );
    proxy.spec = this.makeSpec(canary, routes.primaryWeight, routes.canaryWeight);
    await withFlaggerError(
      () => this.api.replace(proxy),
      (err) => t.updateError(apex, ns, err),
    );
  }

  async finalize(_canary: Canary): Promise<void> {}

  /** The spec Reconcile (100/0) and SetRoutes write. */
  private makeSpec(canary: Canary, primaryWeight: number, canaryWeight: number): HTTPProxySpec {
    const prefix = makePrefix(canary);
    const policies = {
      ...optional('timeoutPolicy', makeTimeoutPolicy(canary)),
      ...optional('retryPolicy', makeRetryPolicy(canary)),
    };
    const services = (p: number, c: number) => this.services(canary, p, c);
    const routes: ContourRoute[] =
      (analysisOf(canary)?.match ?? []).length > 0
        ? [
            {
              ...nonEmpty('conditions', makeConditions(canary, prefix)),
              ...policies,
              services: services(primaryWeight, canaryWeight),
            },
            { conditions: [{ prefix }], ...policies, services: services(100, 0) },
          ]
        : [
            {
              conditions: [{ prefix }],
              ...policies,
              services: services(primaryWeight, canaryWeight),
            },
          ];
    return { routes, ...(this.ingressClass !== '' ? { ingressClassName: this.ingressClass } : {}) };
  }

  private services(canary: Canary, primaryWeight: number, canaryWeight: number): ContourService[] {
    const { primary, canary: canaryName } = serviceNames(canary);
    const port = canary.spec.service.port;
    const service = (name: string, weight: number): ContourService => ({
      name,
      port,
      ...(weight !== 0 ? { weight } : {}),
      // makeLinkerdHeaderValue: lets a Linkerd sidecar behind Envoy route to the right service.
      requestHeadersPolicy: {
        set: [
          {
            name: 'l5d-dst-override',
            value: `${name}.${canary.metadata.namespace}.svc.cluster.local:${port}`,
          },
        ],
      },
    });
    return [service(primary, primaryWeight), service(canaryName, canaryWeight)];
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

/** A slice with omitempty: not written when empty. */
function nonEmpty<K extends string, V>(key: K, list: V[]): Partial<Record<K, V[]>> {
  return list.length > 0 ? ({ [key]: list } as Record<K, V[]>) : {};
}

function proxyRef(namespace: string, name: string): ObjectRef {
  return { apiVersion: CONTOUR_API_VERSION, kind: 'HTTPProxy', namespace, name };
}

/** The first spec.service.match's uri.prefix, else "/". */
function makePrefix(canary: Canary): string {
  return canary.spec.service.match?.[0]?.uri?.prefix || '/';
}

/** One condition per matched header: exact, or `contains` for Istio's suffix and prefix. */
function makeConditions(canary: Canary, prefix: string): MatchCondition[] {
  const match: HTTPMatchRequest[] = analysisOf(canary)?.match ?? [];
  const list: MatchCondition[] = [];
  for (const m of match) {
    for (const [name, value] of Object.entries(m.headers ?? {})) {
      let header: HeaderMatchCondition = { name, ...(value.exact ? { exact: value.exact } : {}) };
      if (value.suffix) header = { name, contains: value.suffix };
      if (value.prefix) header = { name, contains: value.prefix };
      list.push({ prefix, header });
    }
  }
  return list;
}

function makeTimeoutPolicy(canary: Canary): ContourRoute['timeoutPolicy'] {
  const timeout = canary.spec.service.timeout;
  return timeout ? { response: timeout, idle: '5m' } : undefined;
}

/** spec.service.retries (Istio's HTTPRetry): attempts, perTryTimeout, retryOn split on ",". */
function makeRetryPolicy(canary: Canary): ContourRoute['retryPolicy'] {
  const retries = canary.spec.service.retries;
  if (!retries) return undefined;
  const attempts = typeof retries['attempts'] === 'number' ? retries['attempts'] : 0;
  const perTryTimeout =
    typeof retries['perTryTimeout'] === 'string' ? retries['perTryTimeout'] : '';
  const retryOn = typeof retries['retryOn'] === 'string' ? retries['retryOn'] : '';
  return {
    count: attempts,
    ...(perTryTimeout !== '' ? { perTryTimeout } : {}),
    // strings.Split("", ",") is [""], so an empty retryOn is still written as [""].
    retryOn: retryOn.split(','),
  };
}
