/**
 * Flagger's GatewayAPIRouter (pkg/router/gateway_api.go, `gatewayapi:v1`) and
 * GatewayAPIV1Beta1Router (gateway_api_v1beta1.go, `gatewayapi:v1beta1`): an HTTPRoute `<apex>`
 * attached to spec.service.gatewayRefs, serving spec.service.hosts, whose rule weighs the
 * `<apex>-primary` backendRef against `<apex>-canary`. A/B testing adds a first rule with the
 * analysis match (headers, query params) and a primary-only rule for the rest; mirroring
 * (blue/green with iterations) adds a RequestMirror filter to the canary.
 *
 * The v1beta1 router is the older one: no timeouts, no CORS filter, no primary session cookie,
 * no parent readiness check in GetRoutes, and service.mirror filters passed through as written.
 */
import type { Canary, HTTPMatchRequest, JsonObject, StringMap, StringMatch } from '../canary';
import {
  buildSessionCookie,
  canonicalJson,
  parseGoDuration,
  Second,
  serviceNames,
  sessionAffinityMaxAge,
  tryParseGoDuration,
} from '../canary';
import type { RoutingObjectRef, Routes, TrafficRouter } from '../controller/ports';
import type { KubeApi, KubeObject, ObjectRef } from '../kube/api';
import { errorText } from '../workloads/common';
import { mutableStatus } from './istio';
import { apexMetadata, apexObjectMetadata } from './apex-object';
import { getOrCreate, withFlaggerError } from './upsert';

export type GatewayApiVersion = 'v1' | 'v1beta1';

const GROUP = 'gateway.networking.k8s.io';
const COOKIE_HEADER = 'Cookie';
const SET_COOKIE_HEADER = 'Set-Cookie';
const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

const t = {
  gatewayRefs: () => 'GatewayRefs must be specified when using Gateway API as a provider.',
  invalidMatch: (err: string) => `Invalid request matching selectors: ${err}`,
  create: (name: string, ns: string, err: string) => `HTTPRoute ${name}.${ns} create error: ${err}`,
  get: (name: string, ns: string, err: string) => `HTTPRoute ${name}.${ns} get error: ${err}`,
  reconcileUpdate: (name: string, ns: string, err: string) =>
    `HTTPRoute ${name}.${ns} update error: ${err} while reconciling`,
  setRoutesUpdate: (name: string, ns: string, err: string) =>
    `HTTPRoute ${name}.${ns} update error: ${err} while setting weights`,
  notReady: (
    name: string,
    ns: string,
    parent: string,
    status: string,
    observed: number,
    current: number,
  ) =>
    `HTTPRoute ${name}.${ns} parent ${parent} is not ready (status: ${status}, observed generation: ${observed}, current generation: ${current})`,
  interval: (err: string) => `failed to parse canary interval: ${err}`,
  unsupported: (what: 'path' | 'header' | 'query', value: string) =>
    `Gateway API doesn't support the specified ${what} matching selector: ${value}\n`,
};

export interface HTTPHeader {
  name: string;
  value: string;
}

export interface HTTPHeaderFilter {
  set?: HTTPHeader[];
  add?: HTTPHeader[];
  remove?: string[];
}

export interface BackendRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
  weight?: number;
  filters?: HTTPRouteFilter[];
}

export interface HTTPRouteFilter {
  type: string;
  requestHeaderModifier?: HTTPHeaderFilter;
  responseHeaderModifier?: HTTPHeaderFilter;
  requestMirror?: { backendRef: Omit<BackendRef, 'weight' | 'filters'>; [field: string]: unknown };
  urlRewrite?: JsonObject;
  cors?: JsonObject;
  [field: string]: unknown;
}

export interface HTTPRouteMatch {
  path?: { type?: string; value?: string };
  headers?: { type?: string; name: string; value: string }[];
  queryParams?: { type?: string; name: string; value: string }[];
  method?: string;
}

export interface HTTPRouteRule {
  matches?: HTTPRouteMatch[];
  filters?: HTTPRouteFilter[];
  backendRefs?: BackendRef[];
  timeouts?: { request?: string; backendRequest?: string };
  [field: string]: unknown;
}

export interface HTTPRouteSpec {
  parentRefs?: JsonObject[];
  hostnames?: string[];
  rules?: HTTPRouteRule[];
  [field: string]: unknown;
}

export interface HTTPRoute extends KubeObject {
  spec: HTTPRouteSpec;
  status?: {
    parents?: {
      parentRef?: JsonObject;
      conditions?: { type?: string; status?: string; observedGeneration?: number }[];
    }[];
  };
}

export interface GatewayApiRouterOptions {
  version?: GatewayApiVersion;
  setOwnerRefs?: boolean;
  random?: () => number;
}

/** Go's %+v of an Istio StringMatch. */
function goStringMatch(m: StringMatch | undefined): string {
  return `{Exact:${m?.exact ?? ''} Prefix:${m?.prefix ?? ''} Suffix:${m?.suffix ?? ''} Regex:${m?.regex ?? ''}}`;
}

function goStringMatchMap(m: Record<string, StringMatch> | undefined): string {
  const keys = Object.keys(m ?? {}).sort();
  return `map[${keys.map((k) => `${k}:${goStringMatch(m?.[k])}`).join(' ')}]`;
}

/** Go's omitempty and cmpopts.EquateEmpty: nil, "", empty slices and maps compare alike. */
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
  if (value === null || value === '') return undefined;
  return value;
}

const sameJson = (a: unknown, b: unknown) => canonicalJson(pruned(a)) === canonicalJson(pruned(b));

const sortHeaders = (headers: HTTPHeader[]) =>
  headers.sort((a, b) =>
    a.name === b.name
      ? a.value < b.value
        ? -1
        : a.value > b.value
          ? 1
          : 0
      : a.name < b.name
        ? -1
        : 1,
  );

export class GatewayApiRouter implements TrafficRouter {
  readonly version: GatewayApiVersion;
  private readonly setOwnerRefs: boolean;
  private readonly random: () => number;

  constructor(
    private readonly api: KubeApi,
    options: GatewayApiRouterOptions = {},
  ) {
    this.version = options.version ?? 'v1';
    this.setOwnerRefs = options.setOwnerRefs ?? true;
    this.random = options.random ?? Math.random;
  }

  objects(canary: Canary): RoutingObjectRef[] {
    const apiVersion = `gateway.networking.k8s.io/${this.version}`;
    return [{ apiVersion, kind: 'HTTPRoute', name: serviceNames(canary).apex, role: 'route' }];
  }

  private get apiVersion(): string {
    return `${GROUP}/${this.version}`;
  }

  private ref(namespace: string, name: string): ObjectRef {
    return { apiVersion: this.apiVersion, kind: 'HTTPRoute', namespace, name };
  }

  async reconcile(canary: Canary): Promise<void> {
    const s = canary.spec.service;
    if ((s.gatewayRefs?.length ?? 0) === 0) throw new Error(t.gatewayRefs());
    const ns = canary.metadata.namespace;
    const { apex, primary, canary: canaryName } = serviceNames(canary);
    const matches = this.serviceMatches(canary);
    const rule: HTTPRouteRule = {
      matches,
      ...this.filtersField(canary),
      backendRefs: [this.backendRef(canary, primary, 100), this.backendRef(canary, canaryName, 0)],
    };
    const timeouts = this.timeouts(canary);
    if (timeouts) rule.timeouts = timeouts;
    const spec: HTTPRouteSpec = {
      parentRefs: this.parentRefs(canary),
      ...(s.hosts?.length ? { hostnames: [...s.hosts] } : {}),
      rules: [rule],
    };
    const analysisMatch = canary.spec.analysis?.match ?? [];
    if (analysisMatch.length > 0) {
      // Flagger ignores this mapping's error here.
      const analysisMatches = mapRouteMatchesOrNone(analysisMatch);
      rule.matches = mergeRouteMatches(analysisMatches, matches);
      const primaryRule: HTTPRouteRule = {
        matches,
        ...this.filtersField(canary),
        backendRefs: [this.backendRef(canary, primary, 100)],
      };
      if (timeouts) primaryRule.timeouts = timeouts;
      spec.rules!.push(primaryRule);
    }

    const { labels, annotations } = apexMetadata(canary);

    const existing = await getOrCreate<HTTPRoute>(
      this.api,
      this.ref(ns, apex),
      () => ({
        apiVersion: this.apiVersion,
        kind: 'HTTPRoute',
        metadata: apexObjectMetadata(
          canary,
          { name: apex, namespace: ns },
          { labels, annotations },
          this.setOwnerRefs,
        ),
        spec,
      }),
      {
        get: (err) => t.get(apex, ns, err),
        create: (err) => t.create(apex, ns, err),
      },
    );
    if (!existing) return;

    // Annotations other controllers added are kept.
    const merged: StringMap = { ...(existing.metadata.annotations ?? {}), ...annotations };
    const specDiff = !sameJson(
      this.comparable(canary, existing.spec ?? {}),
      this.comparable(canary, spec),
    );
    const labelsDiff = !sameJson(labels, existing.metadata.labels ?? {});
    const annotationsDiff = !sameJson(merged, existing.metadata.annotations ?? {});
    if (specDiff || labelsDiff || annotationsDiff) {
      const clone = structuredClone(existing);
      clone.spec = spec;
      clone.metadata.annotations = merged;
      clone.metadata.labels = labels;
      await withFlaggerError(
        () => this.api.replace(clone),
        (err) => t.reconcileUpdate(apex, ns, err),
      );
    }
  }

  /**
   * The spec as Reconcile's cmp.Diff sees it: backend weights ignored; with session affinity
   * the sticky cookie rules and backend filters; during a mirrored run the rule filters.
   */
  private comparable(canary: Canary, spec: HTTPRouteSpec): unknown {
    const analysis = canary.spec.analysis;
    const affinity = analysis?.sessionAffinity;
    const phase = canary.status?.phase ?? '';
    const ignoreRuleFilters =
      analysis?.mirror === true &&
      (phase === 'Waiting' || phase === 'Progressing' || phase === 'WaitingPromotion');
    const names =
      affinity === undefined
        ? []
        : this.version === 'v1'
          ? [affinity.cookieName, affinity.primaryCookieName ?? '']
          : [affinity.cookieName];
    const sticky = (r: HTTPRouteRule) =>
      (r.matches ?? []).some((m) =>
        (m.headers ?? []).some(
          (h) =>
            h.type === 'RegularExpression' &&
            h.name === COOKIE_HEADER &&
            names.some((n) => h.value.includes(n)),
        ),
      );
    const rules = (spec.rules ?? [])
      .filter((r) => !(affinity && sticky(r)))
      .map((r) => {
        const { filters, backendRefs, ...rest } = r;
        return {
          ...rest,
          ...(ignoreRuleFilters ? {} : { filters }),
          backendRefs: (backendRefs ?? []).map((b) => {
            const { weight: _w, filters: backendFilters, ...ref } = b;
            return affinity ? ref : { ...ref, filters: backendFilters };
          }),
        };
      });
    return { ...spec, rules };
  }

  async getRoutes(canary: Canary): Promise<Routes> {
    const ns = canary.metadata.namespace;
    const { apex, primary, canary: canaryName } = serviceNames(canary);
    const route = await this.getRoute(canary);
    if (this.version === 'v1') {
      const generation = route.metadata.generation ?? 0;
      for (const parentRef of route.spec.parentRefs ?? []) {
        for (const parent of route.status?.parents ?? []) {
          if (!sameJson(parent.parentRef, parentRef)) continue;
          for (const c of parent.conditions ?? []) {
            const observed = c.observedGeneration ?? 0;
            if (c.type === 'Accepted' && (c.status !== 'True' || observed < generation)) {
              throw new Error(
                t.notReady(
                  apex,
                  ns,
                  String(parentRef['name'] ?? ''),
                  c.status ?? '',
                  observed,
                  generation,
                ),
              );
            }
          }
        }
      }
    }
    let primaryWeight = 0;
    let canaryWeight = 0;
    let mirrored = false;
    let weightedRule: HTTPRouteRule | undefined;
    const read = (refs: BackendRef[] | undefined) => {
      for (const b of refs ?? []) {
        if (b.name === primary) primaryWeight = b.weight ?? 0;
        if (b.name === canaryName) canaryWeight = b.weight ?? 0;
      }
    };
    for (const rule of route.spec.rules ?? []) {
      if (canary.spec.analysis?.sessionAffinity) {
        if ((rule.backendRefs ?? []).some((b) => (b.filters?.length ?? 0) > 0)) weightedRule = rule;
      }
      // A/B testing: the primary-only rule is not the weighted one.
      if (rule.backendRefs?.length === 2) read(rule.backendRefs);
      for (const f of rule.filters ?? []) {
        if (f.type === 'RequestMirror' && f.requestMirror?.backendRef?.name === canaryName)
          mirrored = true;
      }
    }
    if (weightedRule) read(weightedRule.backendRefs);
    return { primaryWeight, canaryWeight, mirrored };
  }

  async setRoutes(canary: Canary, routes: Routes): Promise<void> {
    const ns = canary.metadata.namespace;
    const { apex, primary, canary: canaryName } = serviceNames(canary);
    const s = canary.spec.service;
    const route = await this.getRoute(canary);
    const clone = structuredClone(route);
    const matches = this.serviceMatches(canary);
    const weighted: HTTPRouteRule = {
      matches,
      ...this.filtersField(canary),
      backendRefs: [
        this.backendRef(canary, primary, routes.primaryWeight),
        this.backendRef(canary, canaryName, routes.canaryWeight),
      ],
    };
    const timeouts = this.timeouts(canary);
    if (timeouts) weighted.timeouts = timeouts;
    // Blue/green mirroring: the canary gets a copy of every request.
    if (routes.mirrored && (canary.spec.analysis?.iterations ?? 0) > 0) {
      weighted.filters = [
        ...(weighted.filters ?? []),
        {
          type: 'RequestMirror',
          requestMirror: {
            backendRef: { group: '', kind: 'Service', name: canaryName, port: s.port },
          },
        },
      ];
    }
    clone.spec = {
      parentRefs: this.parentRefs(canary),
      hostnames: [...(s.hosts ?? [])],
      rules: [weighted],
    };
    if (canary.spec.analysis?.sessionAffinity) {
      clone.spec.rules = this.sessionAffinityRules(canary, routes.canaryWeight, weighted);
    }
    const analysisMatch = canary.spec.analysis?.match ?? [];
    if (analysisMatch.length > 0) {
      const analysisMatches = mapRouteMatchesOrNone(analysisMatch);
      const rules = clone.spec.rules!;
      rules[0]!.matches = mergeRouteMatches(analysisMatches, matches);
      const primaryRule: HTTPRouteRule = {
        matches,
        ...this.filtersField(canary),
        backendRefs: [this.backendRef(canary, primary, 100)],
      };
      if (timeouts) primaryRule.timeouts = timeouts;
      rules.push(primaryRule);
    }
    await withFlaggerError(
      () => this.api.replace(clone),
      (err) => t.setRoutesUpdate(apex, ns, err),
    );
  }

  /** Flagger's Gateway API routers have nothing to revert. */
  async finalize(_canary: Canary): Promise<void> {}

  /** getSessionAffinityRouteRules. */
  private sessionAffinityRules(
    canary: Canary,
    canaryWeight: number,
    weighted: HTTPRouteRule,
  ): HTTPRouteRule[] {
    const affinity = canary.spec.analysis!.sessionAffinity!;
    const { primary, canary: canaryName } = serviceNames(canary);
    const status = mutableStatus(canary);
    const sticky: HTTPRouteRule = { ...weighted };
    const v1 = this.version === 'v1';
    const cookieMatch = (cookie: string): HTTPRouteMatch => {
      const [key = '', value = ''] = cookie.split('=');
      return {
        headers: [
          { type: 'RegularExpression', name: COOKIE_HEADER, value: `.*${key}.*${value}.*` },
        ],
      };
    };
    const setCookie = (value: string): HTTPRouteFilter => ({
      type: 'ResponseHeaderModifier',
      responseHeaderModifier: { add: [{ name: SET_COOKIE_HEADER, value }] },
    });
    if (canaryWeight !== 0) {
      const cookie = (status.sessionAffinityCookie ||= `${affinity.cookieName}=${this.randSeq()}`);
      let primaryCookie = '';
      if (v1) {
        primaryCookie =
          status.primarySessionAffinityCookie ||= `${affinity.primaryCookieName ?? ''}=${this.randSeq()}`;
      }
      const canaryRef = weighted.backendRefs?.find((b) => b.name === canaryName);
      if (canaryRef) {
        canaryRef.filters = [
          ...(canaryRef.filters ?? []),
          setCookie(buildSessionCookie(affinity, cookie, sessionAffinityMaxAge(affinity))),
        ];
      }
      if (v1 && affinity.primaryCookieName) {
        let seconds: number;
        try {
          seconds = Math.trunc(parseGoDuration(canary.spec.analysis?.interval ?? '') / Second);
        } catch (err) {
          throw new Error(t.interval(errorText(err)), { cause: err });
        }
        const primaryRef = weighted.backendRefs?.find((b) => b.name === primary);
        if (primaryRef) {
          primaryRef.filters = [
            ...(primaryRef.filters ?? []),
            setCookie(buildSessionCookie(affinity, primaryCookie, seconds)),
          ];
        }
      }
      const svcMatches = mapRouteMatches(canary.spec.service.match ?? []);
      sticky.matches = mergeRouteMatches([cookieMatch(cookie)], svcMatches);
      sticky.backendRefs = [
        this.backendRef(canary, primary, 0),
        this.backendRef(canary, canaryName, 100),
      ];
      if (v1 && affinity.primaryCookieName) {
        const stickyPrimary: HTTPRouteRule = {
          ...weighted,
          matches: mergeRouteMatches([cookieMatch(primaryCookie)], svcMatches),
          backendRefs: [
            this.backendRef(canary, primary, 100),
            this.backendRef(canary, canaryName, 0),
          ],
        };
        return [sticky, stickyPrimary, weighted];
      }
      return [sticky, weighted];
    }
    if (status.sessionAffinityCookie)
      status.previousSessionAffinityCookie = status.sessionAffinityCookie;
    const previous = status.previousSessionAffinityCookie;
    if (previous) {
      const svcMatches = mapRouteMatchesOrNone(canary.spec.service.match ?? []);
      sticky.matches = mergeRouteMatches([cookieMatch(previous)], svcMatches);
      sticky.filters = [...(sticky.filters ?? []), setCookie(`${previous}; Max-Age=-1`)];
    }
    delete status.sessionAffinityCookie;
    return [sticky, weighted];
  }

  private serviceMatches(canary: Canary): HTTPRouteMatch[] {
    let matches: HTTPRouteMatch[];
    try {
      matches = mapRouteMatches(canary.spec.service.match ?? []);
    } catch (err) {
      throw new Error(t.invalidMatch(errorText(err)), { cause: err });
    }
    if (matches.length === 0) matches.push({ path: { type: 'PathPrefix', value: '/' } });
    return matches;
  }

  private parentRefs(canary: Canary): JsonObject[] {
    return (canary.spec.service.gatewayRefs ?? []).map((r) => {
      const ref: JsonObject = { group: r.group, kind: r.kind, name: r.name };
      if (r.namespace !== undefined) ref['namespace'] = r.namespace;
      if (r.sectionName !== undefined) ref['sectionName'] = r.sectionName;
      if (r.port !== undefined) ref['port'] = r.port;
      return ref;
    });
  }

  private backendRef(canary: Canary, name: string, weight: number): BackendRef {
    return { group: '', kind: 'Service', name, port: canary.spec.service.port, weight };
  }

  private timeouts(canary: Canary): HTTPRouteRule['timeouts'] {
    const s = canary.spec.service;
    if (this.version !== 'v1' || (!s.timeout && !s.backendTimeout)) return undefined;
    return {
      ...(s.timeout ? { request: s.timeout } : {}),
      ...(s.backendTimeout ? { backendRequest: s.backendTimeout } : {}),
    };
  }

  /** `filters` as Go serializes makeFilters' slice: omitted when nil. */
  private filtersField(canary: Canary): Pick<HTTPRouteRule, 'filters'> {
    const filters = this.makeFilters(canary);
    return filters.length > 0 ? { filters } : {};
  }

  /** makeFilters: header modifiers, URL rewrite, service.mirror, and (v1) CORS. */
  private makeFilters(canary: Canary): HTTPRouteFilter[] {
    const s = canary.spec.service;
    const filters: HTTPRouteFilter[] = [];
    const headers = s.headers as { request?: HeaderOps; response?: HeaderOps } | undefined;
    const modifier = (ops: HeaderOps): HTTPHeaderFilter => {
      const f: HTTPHeaderFilter = {};
      const add = sortHeaders(
        Object.entries(ops.add ?? {}).map(([name, value]) => ({ name, value })),
      );
      const set = sortHeaders(
        Object.entries(ops.set ?? {}).map(([name, value]) => ({ name, value })),
      );
      if (add.length) f.add = add;
      if (set.length) f.set = set;
      if (ops.remove?.length) f.remove = [...ops.remove];
      return f;
    };
    if (headers?.request) {
      filters.push({
        type: 'RequestHeaderModifier',
        requestHeaderModifier: modifier(headers.request),
      });
    }
    if (headers?.response) {
      filters.push({
        type: 'ResponseHeaderModifier',
        responseHeaderModifier: modifier(headers.response),
      });
    }
    if (s.rewrite) {
      const urlRewrite: JsonObject = {};
      if (s.rewrite.authority) urlRewrite['hostname'] = s.rewrite.authority;
      if (s.rewrite.uri) {
        const type =
          s.rewrite.type === 'ReplacePrefixMatch' ? 'ReplacePrefixMatch' : 'ReplaceFullPath';
        urlRewrite['path'] =
          type === 'ReplaceFullPath'
            ? { type, replaceFullPath: s.rewrite.uri }
            : { type, replacePrefixMatch: s.rewrite.uri };
      }
      filters.push({ type: 'URLRewrite', urlRewrite });
    }
    for (const mirror of s.mirror ?? []) {
      const b = mirror.backendRef;
      const backendRef = {
        group: b.group,
        kind: b.kind,
        name: b.name,
        ...(b.namespace !== undefined ? { namespace: b.namespace } : {}),
        ...(b.port !== undefined ? { port: b.port } : {}),
      };
      filters.push({
        type: 'RequestMirror',
        // toV1RequestMirrorFilter keeps the backend only; v1beta1 passes the filter through.
        requestMirror:
          this.version === 'v1' ? { backendRef } : { ...structuredClone(mirror), backendRef },
      });
    }
    if (this.version === 'v1' && s.corsPolicy)
      filters.push({ type: 'CORS', cors: corsFilter(s.corsPolicy) });
    return filters;
  }

  private async getRoute(canary: Canary): Promise<HTTPRoute> {
    const ns = canary.metadata.namespace;
    const { apex } = serviceNames(canary);
    const route: HTTPRoute | undefined = await withFlaggerError(
      () => this.api.get<HTTPRoute>(this.ref(ns, apex)),
      (err) => t.get(apex, ns, err),
    );
    if (!route) {
      throw new Error(t.get(apex, ns, `httproutes.${GROUP} "${apex}" not found`));
    }
    route.spec ??= {};
    return route;
  }

  private randSeq(): string {
    let out = '';
    for (let i = 0; i < 10; i++) out += LETTERS[Math.floor(this.random() * LETTERS.length)];
    return out;
  }
}

interface HeaderOps {
  set?: StringMap;
  add?: StringMap;
  remove?: string[];
}

/** mapRouteMatches: Istio match requests as HTTPRoute matches (uri, method, headers, query). */
export function mapRouteMatches(requestMatches: HTTPMatchRequest[]): HTTPRouteMatch[] {
  const matches: HTTPRouteMatch[] = [];
  for (const rm of requestMatches) {
    const match: HTTPRouteMatch = {};
    if (rm.uri) {
      if (rm.uri.regex) match.path = { type: 'RegularExpression', value: rm.uri.regex };
      else if (rm.uri.exact) match.path = { type: 'Exact', value: rm.uri.exact };
      else if (rm.uri.prefix) match.path = { type: 'PathPrefix', value: rm.uri.prefix };
      else throw new Error(t.unsupported('path', `&${goStringMatch(rm.uri)}`));
    }
    if (rm.method) {
      if (rm.method.exact) match.method = rm.method.exact;
      else throw new Error(t.unsupported('header', goStringMatchMap(rm.headers)));
    }
    for (const [name, value] of Object.entries(rm.headers ?? {})) {
      if (value.exact) (match.headers ??= []).push({ type: 'Exact', name, value: value.exact });
      else if (value.regex)
        (match.headers ??= []).push({ type: 'RegularExpression', name, value: value.regex });
      else throw new Error(t.unsupported('header', goStringMatchMap(rm.headers)));
    }
    for (const [name, value] of Object.entries(rm.queryParams ?? {})) {
      if (value.exact) (match.queryParams ??= []).push({ type: 'Exact', name, value: value.exact });
      else if (value.regex)
        (match.queryParams ??= []).push({ type: 'RegularExpression', name, value: value.regex });
      else throw new Error(t.unsupported('query', goStringMatchMap(rm.queryParams)));
    }
    if (Object.keys(match).length > 0) matches.push(match);
  }
  return matches;
}

/** mapRouteMatches where Flagger ignores the error (`analysisMatches, _ := ...`). */
function mapRouteMatchesOrNone(requestMatches: HTTPMatchRequest[]): HTTPRouteMatch[] {
  try {
    return mapRouteMatches(requestMatches);
  } catch {
    return [];
  }
}

/** mergeMatchConditions: the analysis headers and query params on each service match. */
export function mergeRouteMatches(
  analysis: HTTPRouteMatch[],
  service: HTTPRouteMatch[],
): HTTPRouteMatch[] {
  if (analysis.length === 0) return service;
  if (service.length === 0) return analysis;
  const merged: HTTPRouteMatch[] = [];
  for (const a of analysis) {
    for (const s of service) {
      const m = structuredClone(s);
      if (a.headers?.length) m.headers = a.headers;
      if (a.queryParams?.length) m.queryParams = a.queryParams;
      merged.push(m);
    }
  }
  return merged;
}

/** toV1CORSFilter: allowOrigin (not the StringMatch allowOrigins), methods, headers, max age. */
function corsFilter(policy: JsonObject): JsonObject {
  const cors: JsonObject = {};
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x) => typeof x === 'string') : []);
  const origins = strings(policy['allowOrigin']);
  if (origins.length) cors['allowOrigins'] = origins;
  const methods = strings(policy['allowMethods']);
  if (methods.length) cors['allowMethods'] = methods;
  const allowHeaders = strings(policy['allowHeaders']);
  if (allowHeaders.length) cors['allowHeaders'] = allowHeaders;
  const expose = strings(policy['exposeHeaders']);
  if (expose.length) cors['exposeHeaders'] = expose;
  if (policy['allowCredentials'] === true) cors['allowCredentials'] = true;
  const maxAge =
    typeof policy['maxAge'] === 'string' ? tryParseGoDuration(policy['maxAge']) : undefined;
  if (maxAge !== undefined) cors['maxAge'] = Math.trunc(maxAge / Second);
  return cors;
}
