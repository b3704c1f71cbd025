/**
 * Flagger's IstioRouter (pkg/router/istio.go): DestinationRules `<apex>-canary` and
 * `<apex>-primary`, and a VirtualService `<apex>` whose route weighs `<apex>-primary` against
 * `<apex>-canary`; A/B testing puts the analysis match on a first route to the canary,
 * mirroring adds `mirror` (+ `mirrorPercentage`), session affinity adds cookie-matched sticky
 * routes and a Set-Cookie header on the canary destination.
 *
 * Session affinity writes the cookies into `canary.status` in memory, as Flagger's SetRoutes
 * does; the status writer stores them with the tick's next status write.
 */
import type { Canary, CanaryStatus, HTTPMatchRequest, JsonObject, StringMap } from '../canary';
import {
  buildSessionCookie,
  canonicalJson,
  parseGoDuration,
  Second,
  serviceNames,
  sessionAffinityMaxAge,
} from '../canary';
import type { RoutingObjectRef, Routes, TrafficRouter } from '../controller/ports';
import type { KubeApi, KubeObject, ObjectRef } from '../kube/api';
import { errorText } from '../workloads/common';
import { apexMetadata, apexObjectMetadata } from './apex-object';
import { flaggerManagedAnnotations } from './metadata';
import { getOrCreate, ownedBy, withFlaggerError } from './upsert';

export const ISTIO_API_VERSION = 'networking.istio.io/v1beta1';
const KUBECTL_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
/** router.go's configAnnotation: the VirtualService spec before Flagger first changed it. */
export const CONFIG_ANNOTATION = 'flagger.kubernetes.io/original-configuration';
const COOKIE_HEADER = 'Cookie';
const SET_COOKIE_HEADER = 'Set-Cookie';
const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** istio.go's error texts (reported as `%v` warning events, so kept word for word). */
const t = {
  reconcileDestinationRule: (err: string) => `reconcileDestinationRule failed: ${err}`,
  reconcileVirtualService: (err: string) => `reconcileVirtualService failed: ${err}`,
  drCreate: (name: string, ns: string, err: string) =>
    `DestinationRule ${name}.${ns} create error: ${err}`,
  drGet: (name: string, ns: string, err: string) =>
    `DestinationRule ${name}.${ns} get query error: ${err}`,
  drUpdate: (name: string, ns: string, err: string) =>
    `DestinationRule ${name}.${ns} update error: ${err}`,
  delegation: (name: string, ns: string) =>
    `VirtualService ${name}.${ns} cannot have hosts and gateways when delegation enabled`,
  vsCreate: (name: string, ns: string, err: string) =>
    `VirtualService ${name}.${ns} create error: ${err}`,
  /** Reconcile, GetRoutes and SetRoutes use `%v` without a colon. */
  vsGet: (name: string, ns: string, err: string) =>
    `VirtualService ${name}.${ns} get query error ${err}`,
  vsFinalizeGet: (name: string, ns: string, err: string) =>
    `VirtualService ${name}.${ns} get query error: ${err}`,
  vsUpdate: (name: string, ns: string, err: string) =>
    `VirtualService ${name}.${ns} update error: ${err}`,
  vsSetRoutes: (name: string, ns: string, err: string) =>
    `VirtualService ${name}.${ns} update failed: ${err}`,
  noRoutes: (name: string, ns: string) =>
    `VirtualService ${name}.${ns} does not contain routes for ${name}-primary and ${name}-canary`,
  unmarshal: (name: string, ns: string, annotation: string) =>
    `VirtualService ${name}.${ns} failed to unMarshal annotation ${annotation}`,
  interval: (err: string) => `failed to parse canary interval: ${err}`,
};

export interface IstioDestination {
  host: string;
  subset?: string;
  port?: { number?: number; name?: string };
}

export interface IstioHeaderOperations {
  set?: StringMap;
  add?: StringMap;
  remove?: string[];
}

export interface IstioHeaders {
  request?: IstioHeaderOperations;
  response?: IstioHeaderOperations;
}

export interface IstioRouteDestination {
  destination: IstioDestination;
  weight: number;
  headers?: IstioHeaders;
}

export interface IstioHTTPRoute {
  name?: string;
  match?: HTTPMatchRequest[];
  route?: IstioRouteDestination[];
  rewrite?: { uri?: string; authority?: string };
  timeout?: string;
  retries?: JsonObject;
  mirror?: IstioDestination;
  mirrorPercentage?: { value?: number };
  corsPolicy?: JsonObject;
  headers?: IstioHeaders;
  [field: string]: unknown;
}

export interface IstioTCPRoute {
  match?: { port?: number }[];
  route: IstioRouteDestination[];
}

export interface VirtualServiceSpec {
  hosts: string[];
  gateways?: string[];
  http?: IstioHTTPRoute[];
  tcp?: IstioTCPRoute[];
  [field: string]: unknown;
}

export interface VirtualService extends KubeObject {
  spec: VirtualServiceSpec;
}

export interface DestinationRule extends KubeObject {
  spec: { host: string; trafficPolicy?: JsonObject; [field: string]: unknown };
}

export interface IstioRouterOptions {
  setOwnerRefs?: boolean;
  /** The cookie value generator (Flagger's randSeq: 10 random letters). */
  random?: () => number;
}

const vsRef = (namespace: string, name: string): ObjectRef => ({
  apiVersion: ISTIO_API_VERSION,
  kind: 'VirtualService',
  namespace,
  name,
});
const drRef = (namespace: string, name: string): ObjectRef => ({
  apiVersion: ISTIO_API_VERSION,
  kind: 'DestinationRule',
  namespace,
  name,
});

/** isTcp: appProtocol tcp (any case). */
function isTcp(canary: Canary): boolean {
  return (canary.spec.service.appProtocol ?? '').toLowerCase() === 'tcp';
}

/** Go's omitempty over JSON: drops undefined, null, "", 0-length arrays and empty maps. */
function pruned(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(pruned);
    return items.length === 0 ? undefined : items;
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const p = pruned(v);
      if (p !== undefined) out[k] = p;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  if (value === null || value === '' || value === false) return undefined;
  return value;
}

function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(pruned(a)) === canonicalJson(pruned(b));
}

/** mergeMatchConditions: the analysis match's headers and sourceLabels on each service match. */
export function mergeMatchConditions(
  canary: HTTPMatchRequest[],
  defaults: HTTPMatchRequest[] | undefined,
): HTTPMatchRequest[] {
  if (!defaults || defaults.length === 0) return canary;
  const merged: HTTPMatchRequest[] = [];
  for (const c of canary) {
    for (const d of defaults) {
      const m = structuredClone(d);
      if (c.headers) m.headers = c.headers;
      if (c.sourceLabels) m.sourceLabels = c.sourceLabels;
      merged.push(m);
    }
  }
  return merged;
}

function cookieRegexMatch(cookie: string): HTTPMatchRequest {
  const [key = '', value = ''] = cookie.split('=');
  return { headers: { [COOKIE_HEADER]: { regex: `.*${key}.*${value}.*` } } };
}

export class IstioRouter implements TrafficRouter {
  private readonly setOwnerRefs: boolean;
  private readonly random: () => number;

  constructor(
    private readonly api: KubeApi,
    options: IstioRouterOptions = {},
  ) {
    this.setOwnerRefs = options.setOwnerRefs ?? true;
    this.random = options.random ?? Math.random;
  }

  objects(canary: Canary): RoutingObjectRef[] {
    const { apex, primary, canary: canaryName } = serviceNames(canary);
    const apiVersion = ISTIO_API_VERSION;
    return [
      { apiVersion, kind: 'VirtualService', name: apex, role: 'route' },
      { apiVersion, kind: 'DestinationRule', name: primary, role: 'primary destination rule' },
      { apiVersion, kind: 'DestinationRule', name: canaryName, role: 'canary destination rule' },
    ];
  }

  async reconcile(canary: Canary): Promise<void> {
    const { primary, canary: canaryName } = serviceNames(canary);
    for (const name of [canaryName, primary]) {
      await withFlaggerError(
        () => this.reconcileDestinationRule(canary, name),
        (err) => t.reconcileDestinationRule(err),
      );
    }
    await withFlaggerError(
      () => this.reconcileVirtualService(canary),
      (err) => t.reconcileVirtualService(err),
    );
  }

  private async reconcileDestinationRule(canary: Canary, name: string): Promise<void> {
    const ns = canary.metadata.namespace;
    const trafficPolicy = canary.spec.service.trafficPolicy;
    const spec: DestinationRule['spec'] = {
      host: name,
      ...(trafficPolicy ? { trafficPolicy } : {}),
    };
    const existing = await getOrCreate<DestinationRule>(
      this.api,
      drRef(ns, name),
      () => ({
        apiVersion: ISTIO_API_VERSION,
        kind: 'DestinationRule',
        metadata: {
          name,
          namespace: ns,
          ...ownedBy(canary, this.setOwnerRefs),
        },
        spec,
      }),
      {
        get: (err) => t.drGet(name, ns, err),
        create: (err) => t.drCreate(name, ns, err),
      },
    );
    if (!existing) return;
    const current = { host: existing.spec?.host, trafficPolicy: existing.spec?.trafficPolicy };
    if (!sameJson(spec, current)) {
      const clone = structuredClone(existing);
      clone.spec = spec;
      await withFlaggerError(
        () => this.api.replace(clone),
        (err) => t.drUpdate(name, ns, err),
      );
    }
  }

  /** makeDestination: with the service port when a gateway other than mesh (or delegation) is used. */
  private destination(canary: Canary, host: string, weight: number): IstioRouteDestination {
    const s = canary.spec.service;
    const gateways = s.gateways ?? [];
    const withPort =
      s.portDiscovery === true &&
      ((gateways.length > 0 && gateways[0] !== 'mesh') || s.delegation === true);
    return {
      destination: withPort ? { host, port: { number: s.port } } : { host },
      weight,
    };
  }

  /** An HTTPRoute with the service's match, rewrite, timeout, retries, CORS and headers. */
  private httpRoute(
    canary: Canary,
    match: HTTPMatchRequest[] | undefined,
    route: IstioRouteDestination[],
  ): IstioHTTPRoute {
    const s = canary.spec.service;
    const r: IstioHTTPRoute = {};
    if (match && match.length > 0) r.match = structuredClone(match);
    if (s.rewrite) {
      // GetIstioRewrite: uri and authority only.
      r.rewrite = {
        ...(s.rewrite.authority ? { authority: s.rewrite.authority } : {}),
        ...(s.rewrite.uri ? { uri: s.rewrite.uri } : {}),
      };
    }
    if (s.timeout) r.timeout = s.timeout;
    if (s.retries) r.retries = structuredClone(s.retries);
    if (s.corsPolicy) r.corsPolicy = structuredClone(s.corsPolicy);
    if (s.headers) r.headers = structuredClone(s.headers) as IstioHeaders;
    r.route = route;
    return r;
  }

  private async reconcileVirtualService(canary: Canary): Promise<void> {
    const ns = canary.metadata.namespace;
    const { apex, primary, canary: canaryName } = serviceNames(canary);
    const s = canary.spec.service;
    if (s.delegation && ((s.hosts?.length ?? 0) > 0 || (s.gateways?.length ?? 0) > 0)) {
      throw new Error(t.delegation(apex, ns));
    }
    let hosts = [...(s.hosts ?? [])];
    if (!hosts.some((h) => h === apex || h === '*')) hosts.push(apex);
    let gateways = [...(s.gateways ?? [])];
    if (!gateways.includes('mesh') && (s.gateways?.length ?? 0) === 0) gateways.push('mesh');
    const weighted = () => [
      this.destination(canary, primary, 100),
      this.destination(canary, canaryName, 0),
    ];
    if (s.delegation) {
      hosts = [];
      gateways = [];
    }

    let spec: VirtualServiceSpec;
    const analysisMatch = canary.spec.analysis?.match ?? [];
    if (isTcp(canary)) {
      const l4 = (s.match ?? []).map((m) => ({ port: m.port ?? 0 }));
      spec = {
        hosts,
        ...(gateways.length ? { gateways } : {}),
        tcp: [{ ...(l4.length ? { match: l4 } : {}), route: weighted() }],
      };
    } else if (analysisMatch.length > 0) {
      spec = {
        hosts,
        ...(gateways.length ? { gateways } : {}),
        http: [
          this.httpRoute(canary, mergeMatchConditions(analysisMatch, s.match), weighted()),
          this.httpRoute(canary, s.match, [this.destination(canary, primary, 100)]),
        ],
      };
    } else {
      spec = {
        hosts,
        ...(gateways.length ? { gateways } : {}),
        http: [this.httpRoute(canary, s.match, weighted())],
      };
    }

    const { labels, annotations } = apexMetadata(canary);

    const existing = await getOrCreate<VirtualService>(
      this.api,
      vsRef(ns, apex),
      () => ({
        apiVersion: ISTIO_API_VERSION,
        kind: 'VirtualService',
        metadata: apexObjectMetadata(
          canary,
          { name: apex, namespace: ns },
          { labels, annotations },
          this.setOwnerRefs,
        ),
        spec,
      }),
      {
        get: (err) => t.vsGet(apex, ns, err),
        create: (err) => t.vsCreate(apex, ns, err),
      },
    );
    if (!existing) return;

    const current = structuredClone(existing.spec ?? { hosts: [] });
    if (s.delegation) {
      current.gateways = [];
      current.hosts = [];
    }
    const existingAnnotations = existing.metadata.annotations ?? {};
    for (const key of [KUBECTL_ANNOTATION, CONFIG_ANNOTATION]) {
      const v = existingAnnotations[key];
      if (v !== undefined) annotations[key] = v;
    }
    const specDiff = !sameJson(
      this.comparable(canary, spec),
      this.comparable(canary, current as VirtualServiceSpec),
    );
    const labelsDiff = !sameJson(labels, existing.metadata.labels ?? {});
    const annotationsDiff = !sameJson(annotations, existingAnnotations);
    if (!specDiff && !labelsDiff && !annotationsDiff) return;

    const clone = structuredClone(existing);
    clone.spec = spec;
    clone.metadata.labels = labels;
    clone.metadata.annotations = annotations;
    // Without kubectl's last-applied, the spec as it was is kept for Finalize to put back.
    if (annotations[KUBECTL_ANNOTATION] === undefined && specDiff) {
      clone.metadata.annotations = {
        ...flaggerManagedAnnotations(clone.metadata.annotations),
        [CONFIG_ANNOTATION]: JSON.stringify(existing.spec),
      };
    }
    await withFlaggerError(
      () => this.api.replace(clone),
      (err) => t.vsUpdate(apex, ns, err),
    );
  }

  /**
   * The spec as Reconcile's cmp.Diff sees it: destination weights, mirror and mirrorPercentage
   * ignored; with session affinity also the sticky cookie routes and destination headers.
   */
  private comparable(canary: Canary, spec: VirtualServiceSpec): unknown {
    const affinity = canary.spec.analysis?.sessionAffinity;
    const isStickyRoute = (r: IstioHTTPRoute, name: string) =>
      // strings.Contains(match.Headers["Cookie"].Regex, name): an empty name matches any match.
      (r.match ?? []).some((m) => (m.headers?.[COOKIE_HEADER]?.regex ?? '').includes(name));
    const dest = (d: IstioRouteDestination) => ({
      destination: d.destination,
      ...(affinity ? {} : { headers: d.headers }),
    });
    let http = spec.http ?? [];
    if (affinity) {
      http = http.filter(
        (r) =>
          !isStickyRoute(r, affinity.cookieName) &&
          !isStickyRoute(r, affinity.primaryCookieName ?? ''),
      );
    }
    return {
      hosts: spec.hosts,
      gateways: spec.gateways,
      http: http.map((r) => {
        const { mirror: _m, mirrorPercentage: _p, route, ...rest } = r;
        return { ...rest, route: (route ?? []).map(dest) };
      }),
      tcp: (spec.tcp ?? []).map((r) => ({ match: r.match, route: r.route.map(dest) })),
    };
  }

  async getRoutes(canary: Canary): Promise<Routes> {
    const ns = canary.metadata.namespace;
    const { apex, primary, canary: canaryName } = serviceNames(canary);
    const vs = await this.getVirtualService(canary);
    let primaryWeight = 0;
    let canaryWeight = 0;
    let mirrored = false;
    const readWeights = (route: IstioRouteDestination[] | undefined) => {
      for (const r of route ?? []) {
        if (r.destination?.host === primary) primaryWeight = r.weight ?? 0;
        if (r.destination?.host === canaryName) canaryWeight = r.weight ?? 0;
      }
    };
    if (isTcp(canary)) {
      // The last TCP route that names the canary.
      const routes = vs.spec?.tcp ?? [];
      const tcp = [...routes]
        .reverse()
        .find((r) => (r.route ?? []).some((d) => d.destination?.host === canaryName));
      readWeights(tcp?.route);
    } else {
      const routes = vs.spec?.http ?? [];
      const http = [...routes]
        .reverse()
        .find((r) => (r.route ?? []).some((d) => d.destination?.host === canaryName));
      readWeights(http?.route);
      if (http?.mirror?.host) mirrored = true;
      if (canary.spec.analysis?.sessionAffinity) {
        // The route whose destinations set the cookie is the one that does weighted routing.
        for (const r of routes) {
          readWeights((r.route ?? []).filter((d) => d.headers !== undefined && d.headers !== null));
        }
      }
    }
    if (primaryWeight === 0 && canaryWeight === 0) throw new Error(t.noRoutes(apex, ns));
    return { primaryWeight, canaryWeight, mirrored };
  }

  async setRoutes(canary: Canary, routes: Routes): Promise<void> {
    const ns = canary.metadata.namespace;
    const { apex, primary, canary: canaryName } = serviceNames(canary);
    const s = canary.spec.service;
    const vs = await this.getVirtualService(canary);
    const clone = structuredClone(vs);
    const weighted = (): IstioRouteDestination[] => [
      this.destination(canary, primary, routes.primaryWeight),
      this.destination(canary, canaryName, routes.canaryWeight),
    ];

    if (isTcp(canary)) {
      const l4 = (s.match ?? []).map((m) => ({ port: m.port ?? 0 }));
      clone.spec.tcp = [{ ...(l4.length ? { match: l4 } : {}), route: weighted() }];
    } else {
      const weightedRoute = this.httpRoute(canary, s.match, weighted());
      clone.spec.http = [weightedRoute];
      if (canary.spec.analysis?.sessionAffinity) {
        clone.spec.http = this.sessionAffinityRoutes(canary, routes.canaryWeight, weightedRoute);
      }
      const first = clone.spec.http[0];
      if (routes.mirrored && first) {
        first.mirror = { host: canaryName };
        const mirrorWeight = canary.spec.analysis?.mirrorWeight ?? 0;
        if (mirrorWeight > 0) first.mirrorPercentage = { value: mirrorWeight };
      }
      const analysisMatch = canary.spec.analysis?.match ?? [];
      if (analysisMatch.length > 0) {
        clone.spec.http = [
          this.httpRoute(canary, mergeMatchConditions(analysisMatch, s.match), weighted()),
          this.httpRoute(canary, s.match, [
            this.destination(canary, primary, routes.primaryWeight),
          ]),
        ];
      }
    }
    await withFlaggerError(
      () => this.api.replace(clone),
      (err) => t.vsSetRoutes(apex, ns, err),
    );
  }

  /** getSessionAffinityRouteRules. */
  private sessionAffinityRoutes(
    canary: Canary,
    canaryWeight: number,
    weightedRoute: IstioHTTPRoute,
  ): IstioHTTPRoute[] {
    const affinity = canary.spec.analysis?.sessionAffinity;
    if (!affinity) return [weightedRoute];
    const { primary, canary: canaryName } = serviceNames(canary);
    const status = mutableStatus(canary);
    const stickyCanary: IstioHTTPRoute = { ...weightedRoute };
    const service = canary.spec.service;
    if (canaryWeight !== 0) {
      const cookie = (status.sessionAffinityCookie ||= `${affinity.cookieName}=${this.randSeq()}`);
      const primaryCookie =
        (status.primarySessionAffinityCookie ||= `${affinity.primaryCookieName ?? ''}=${this.randSeq()}`);

      const canaryDest = weightedRoute.route?.find((d) => d.destination.host === canaryName);
      if (canaryDest) {
        canaryDest.headers ??= { response: {} };
        canaryDest.headers.response ??= {};
        canaryDest.headers.response.add = {
          [SET_COOKIE_HEADER]: buildSessionCookie(
            affinity,
            cookie,
            sessionAffinityMaxAge(affinity),
          ),
        };
      }
      if (affinity.primaryCookieName) {
        const primaryDest = weightedRoute.route?.find((d) => d.destination.host === primary);
        let intervalSeconds: number;
        try {
          intervalSeconds = Math.trunc(
            parseGoDuration(canary.spec.analysis?.interval ?? '') / Second,
          );
        } catch (err) {
          throw new Error(t.interval(errorText(err)), { cause: err });
        }
        if (primaryDest) {
          primaryDest.headers ??= { response: {} };
          primaryDest.headers.response ??= {};
          primaryDest.headers.response.add = {
            [SET_COOKIE_HEADER]: buildSessionCookie(affinity, primaryCookie, intervalSeconds),
          };
        }
      }
      stickyCanary.match = mergeMatchConditions([cookieRegexMatch(cookie)], service.match);
      stickyCanary.route = [
        this.destination(canary, primary, 0),
        this.destination(canary, canaryName, 100),
      ];
      if (affinity.primaryCookieName) {
        const stickyPrimary: IstioHTTPRoute = {
          ...weightedRoute,
          match: mergeMatchConditions([cookieRegexMatch(primaryCookie)], service.match),
          route: [this.destination(canary, primary, 100), this.destination(canary, canaryName, 0)],
        };
        return [stickyCanary, stickyPrimary, weightedRoute];
      }
      return [stickyCanary, weightedRoute];
    }
    // Weight 0: a cookie still in the status belongs to the previous run; expire it.
    if (status.sessionAffinityCookie)
      status.previousSessionAffinityCookie = status.sessionAffinityCookie;
    const previous = status.previousSessionAffinityCookie;
    if (previous) {
      stickyCanary.match = mergeMatchConditions([cookieRegexMatch(previous)], service.match);
      const headers: IstioHeaders = structuredClone(stickyCanary.headers ?? {});
      headers.response ??= {};
      headers.response.add = {
        ...(headers.response.add ?? {}),
        [SET_COOKIE_HEADER]: `${previous}; Max-Age=-1`,
      };
      stickyCanary.headers = headers;
    }
    delete status.sessionAffinityCookie;
    return [stickyCanary, weightedRoute];
  }

  /** Revert on deletion: the spec from kubectl's last-applied, else from original-configuration. */
  async finalize(canary: Canary): Promise<void> {
    const ns = canary.metadata.namespace;
    const { apex } = serviceNames(canary);
    const vs: VirtualService | undefined = await withFlaggerError(
      () => this.api.get<VirtualService>(vsRef(ns, apex)),
      (err) => t.vsFinalizeGet(apex, ns, err),
    );
    if (!vs) {
      throw new Error(
        t.vsFinalizeGet(apex, ns, `virtualservices.networking.istio.io "${apex}" not found`),
      );
    }
    const annotations = vs.metadata.annotations ?? {};
    let stored: VirtualServiceSpec;
    const lastApplied = annotations[KUBECTL_ANNOTATION];
    const original = annotations[CONFIG_ANNOTATION];
    if (lastApplied !== undefined) {
      try {
        stored = (JSON.parse(lastApplied) as { spec?: VirtualServiceSpec }).spec ?? { hosts: [] };
      } catch (err) {
        throw new Error(t.unmarshal(apex, ns, KUBECTL_ANNOTATION), { cause: err });
      }
    } else if (original !== undefined) {
      try {
        stored = JSON.parse(original) as VirtualServiceSpec;
      } catch (err) {
        throw new Error(t.unmarshal(apex, ns, CONFIG_ANNOTATION), { cause: err });
      }
    } else {
      // Flagger only logs "original configuration not found, unable to revert".
      return;
    }
    const clone = structuredClone(vs);
    clone.spec = stored;
    await withFlaggerError(
      () => this.api.replace(clone),
      (err) => t.vsUpdate(apex, ns, err),
    );
  }

  private async getVirtualService(canary: Canary): Promise<VirtualService> {
    const ns = canary.metadata.namespace;
    const { apex } = serviceNames(canary);
    const vs: VirtualService | undefined = await withFlaggerError(
      () => this.api.get<VirtualService>(vsRef(ns, apex)),
      (err) => t.vsGet(apex, ns, err),
    );
    if (!vs) {
      throw new Error(t.vsGet(apex, ns, `virtualservices.networking.istio.io "${apex}" not found`));
    }
    vs.spec ??= { hosts: [] };
    return vs;
  }

  private randSeq(): string {
    let out = '';
    for (let i = 0; i < 10; i++) out += LETTERS[Math.floor(this.random() * LETTERS.length)];
    return out;
  }
}

/** The canary's status object, created when missing, for the router's in-memory cookie writes. */
export function mutableStatus(canary: Canary): CanaryStatus {
  canary.status ??= { phase: '', failedChecks: 0, canaryWeight: 0, iterations: 0 };
  return canary.status;
}
