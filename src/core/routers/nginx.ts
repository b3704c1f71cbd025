/**
 * Flagger's IngressRouter for ingress-nginx (pkg/router/ingress.go): a `<ingress>-canary` clone
 * of the user's Ingress whose backends point at `<apex>-canary`, steered by ingress-nginx's
 * canary annotations (weight, or header/cookie for A/B testing).
 */
import type { Canary, StringMap } from '../canary';
import { serviceNames } from '../canary';
import type { RoutingObjectRef, Routes, TrafficRouter } from '../controller/ports';
import type { KubeApi, KubeObject, ObjectRef } from '../kube/api';
import { canonicalJson } from '../canary';
import { flaggerManagedAnnotations } from './metadata';
import * as t from './texts';
import { ownedBy, withFlaggerError } from './upsert';

export const DEFAULT_NGINX_ANNOTATIONS_PREFIX = 'nginx.ingress.kubernetes.io';
const KUBECTL_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

export interface NginxRouterOptions {
  /** Flagger's -ingress-annotations-prefix. */
  annotationsPrefix?: string;
  /** Flagger sets owner references unless its router is told not to (-set-owner-refs=false is Flagger's default only with Argo). */
  setOwnerRefs?: boolean;
}

interface IngressPath {
  backend?: { service?: { name: string; [field: string]: unknown }; [field: string]: unknown };
  [field: string]: unknown;
}

export interface Ingress extends KubeObject {
  spec?: {
    rules?: { http?: { paths?: IngressPath[] }; [field: string]: unknown }[];
    [field: string]: unknown;
  };
}

export class NginxRouter implements TrafficRouter {
  private readonly prefix: string;
  private readonly setOwnerRefs: boolean;

  constructor(
    private readonly api: KubeApi,
    options: NginxRouterOptions = {},
  ) {
    this.prefix = options.annotationsPrefix ?? DEFAULT_NGINX_ANNOTATIONS_PREFIX;
    this.setOwnerRefs = options.setOwnerRefs ?? true;
  }

  objects(canary: Canary): RoutingObjectRef[] {
    const name = `${canary.spec.ingressRef?.name ?? ''}-canary`;
    return [{ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name, role: 'canary ingress' }];
  }

  async reconcile(canary: Canary): Promise<void> {
    const ingressName = canary.spec.ingressRef?.name ?? '';
    if (ingressName === '') throw new Error(t.ingressSelectorEmpty());
    const ns = canary.metadata.namespace;
    const { apex, canary: canaryService } = serviceNames(canary);
    const canaryIngressName = `${ingressName}-canary`;

    const ingress = await this.getIngress(ns, ingressName);
    const clone = structuredClone(ingress);
    let backendExists = false;
    for (const rule of clone.spec?.rules ?? []) {
      for (const path of rule.http?.paths ?? []) {
        if (path.backend?.service?.name === apex) {
          path.backend.service.name = canaryService;
          backendExists = true;
        }
      }
    }
    if (!backendExists) throw new Error(t.backendNotFound(apex, ingressName));

    const existing: Ingress | undefined = await withFlaggerError(
      () => this.api.get<Ingress>(ingressRef(ns, canaryIngressName)),
      (err) => t.ingressQueryError(canaryIngressName, ns, err),
    );
    if (!existing) {
      const created: Ingress = {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: {
          name: canaryIngressName,
          namespace: ns,
          annotations: this.makeAnnotations(clone.metadata.annotations),
          ...(clone.metadata.labels ? { labels: clone.metadata.labels } : {}),
          ...ownedBy(canary, this.setOwnerRefs),
        },
        ...(clone.spec ? { spec: clone.spec } : {}),
      };
      await withFlaggerError(
        () => this.api.create(created),
        (err) => t.ingressCreateError(canaryIngressName, ns, err),
      );
      return;
    }
    // Only the spec follows the user's Ingress; the clone's annotations carry the routing state.
    if (canonicalJson(clone.spec ?? null) !== canonicalJson(existing.spec ?? null)) {
      const next = structuredClone(existing);
      if (clone.spec) next.spec = clone.spec;
      else delete next.spec;
      await withFlaggerError(
        () => this.api.replace(next),
        (err) => t.ingressUpdateError(canaryIngressName, ns, err),
      );
    }
  }

  /** Canary weight from `canary-weight`; 100 once A/B header or cookie routing is on. */
  async getRoutes(canary: Canary): Promise<Routes> {
    const ns = canary.metadata.namespace;
    const name = `${canary.spec.ingressRef?.name ?? ''}-canary`;
    const ingress = await this.getIngress(ns, name);
    const annotations = ingress.metadata.annotations ?? {};
    if ((canary.spec.analysis?.match?.length ?? 0) > 0) {
      const ab = [this.annotation('canary-by-cookie'), this.annotation('canary-by-header')];
      if (Object.keys(annotations).some((k) => ab.includes(k))) {
        return { primaryWeight: 0, canaryWeight: 100, mirrored: false };
      }
    }
    const weight = annotations[this.annotation('canary-weight')];
    const canaryWeight = weight === undefined ? 0 : atoi(weight);
    return { primaryWeight: 100 - canaryWeight, canaryWeight, mirrored: false };
  }

  /**
   * Weighted: `canary-weight`. A/B (analysis.match): header / header-value / header-pattern /
   * cookie from the match, on while the canary weight is above zero. Zero resets the clone to
   * `canary: "true"`, `canary-weight: "0"`. The primary weight and mirroring are not used.
   */
  async setRoutes(canary: Canary, routes: Routes): Promise<void> {
    const ns = canary.metadata.namespace;
    const name = `${canary.spec.ingressRef?.name ?? ''}-canary`;
    const ingress = await this.getIngress(ns, name);
    const clone = structuredClone(ingress);
    let annotations: StringMap = { ...(clone.metadata.annotations ?? {}) };

    const match = canary.spec.analysis?.match ?? [];
    if (match.length > 0) {
      let cookie = '';
      let header = '';
      let headerValue = '';
      let headerRegex = '';
      for (const m of match) {
        for (const [key, value] of Object.entries(m.headers ?? {})) {
          if (key === 'cookie') {
            cookie = value.exact ?? '';
          } else {
            header = key;
            headerRegex = value.regex ?? '';
            headerValue = value.exact ?? '';
          }
        }
      }
      annotations = this.makeHeaderAnnotations(
        annotations,
        header,
        headerValue,
        headerRegex,
        cookie,
      );
    } else {
      annotations[this.annotation('canary-weight')] = String(routes.canaryWeight);
    }

    if (routes.canaryWeight > 0) annotations[this.annotation('canary')] = 'true';
    else annotations = this.makeAnnotations(annotations);
    clone.metadata.annotations = annotations;

    await withFlaggerError(
      () => this.api.replace(clone),
      (err) => t.ingressSetRoutesUpdateError(name, ns, err),
    );
  }

  /** Nothing to undo: the clone is owned by the canary and goes with it. */
  async finalize(_canary: Canary): Promise<void> {}

  private annotation(suffix: string): string {
    return `${this.prefix}/${suffix}`;
  }

  /** makeAnnotations: every canary annotation and kubectl's last-applied dropped, then weight 0. */
  private makeAnnotations(annotations: StringMap | undefined): StringMap {
    const canaryKey = this.annotation('canary');
    const res: StringMap = {};
    for (const [k, v] of Object.entries(flaggerManagedAnnotations(annotations))) {
      // `<prefix>/canary` is a prefix of every other canary-* key.
      if (!k.includes(canaryKey) && !k.includes(KUBECTL_ANNOTATION)) res[k] = v;
    }
    res[canaryKey] = 'true';
    res[this.annotation('canary-weight')] = '0';
    return res;
  }

  /**
   * makeHeaderAnnotations. Flagger filters on the annotation *value* containing
   * `<prefix>/canary` (not the key), so earlier canary-* annotations, `canary-weight` included,
   * survive until the weight returns to zero; kept as is.
   */
  private makeHeaderAnnotations(
    annotations: StringMap,
    header: string,
    headerValue: string,
    headerRegex: string,
    cookie: string,
  ): StringMap {
    const canaryKey = this.annotation('canary');
    const res: StringMap = {};
    for (const [k, v] of Object.entries(flaggerManagedAnnotations(annotations))) {
      if (!v.includes(canaryKey)) res[k] = v;
    }
    res[canaryKey] = 'true';
    if (cookie !== '') res[this.annotation('canary-by-cookie')] = cookie;
    if (header !== '') res[this.annotation('canary-by-header')] = header;
    if (headerValue !== '') res[this.annotation('canary-by-header-value')] = headerValue;
    if (headerRegex !== '') res[this.annotation('canary-by-header-pattern')] = headerRegex;
    return res;
  }

  private async getIngress(ns: string, name: string): Promise<Ingress> {
    const ingress: Ingress | undefined = await withFlaggerError(
      () => this.api.get<Ingress>(ingressRef(ns, name)),
      (err) => t.ingressGetQueryError(name, ns, err),
    );
    if (!ingress) {
      throw new Error(
        t.ingressGetQueryError(name, ns, `ingresses.networking.k8s.io "${name}" not found`),
      );
    }
    return ingress;
  }
}

function ingressRef(namespace: string, name: string): ObjectRef {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace, name };
}

/** strconv.Atoi: optional sign and decimal digits, within int64. */
function atoi(value: string): number {
  if (!/^[+-]?[0-9]+$/.test(value)) throw new Error(t.weightNotAnInt(value, 'invalid syntax'));
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(t.weightNotAnInt(value, 'value out of range'));
  return n;
}
