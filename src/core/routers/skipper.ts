/**
 * Flagger's SkipperRouter (pkg/router/skipper.go). The user's (apex) Ingress is left as it is;
 * a `<ingress>-canary` clone has, for every path to the apex Service, one path to `-primary`
 * and one to `-canary`, and Skipper's annotations steer it:
 *
 * - `zalando.org/backend-weights`: `{"<apex>-canary":W,"<apex>-primary":W}` (Go's sorted JSON);
 * - `zalando.org/skipper-predicate`: `Weight(100)` first, so the clone's routes beat the apex
 *   Ingress's; `False()` first instead once the canary weight is back to 0, which switches the
 *   clone off and leaves the apex Ingress serving.
 *
 * A/B testing is not implemented by Flagger for Skipper (its own TODO), so match is ignored.
 */
import type { Canary, StringMap } from '../canary';
import { canonicalJson, serviceNames } from '../canary';
import type { RoutingObjectRef, Routes, TrafficRouter } from '../controller/ports';
import type { KubeApi, KubeObject, ObjectRef } from '../kube/api';
import { errorText } from '../workloads/common';
import { notFoundText } from './apex-object';
import { flaggerManagedAnnotations } from './metadata';
import { ownedBy, withFlaggerError } from './upsert';

export const SKIPPER_PREDICATE = 'zalando.org/skipper-predicate';
export const SKIPPER_BACKEND_WEIGHTS = 'zalando.org/backend-weights';
const ROUTE_WEIGHT = 'Weight(100)';
const ROUTE_DISABLE = 'False()';

export interface SkipperRouterOptions {
  setOwnerRefs?: boolean;
}

interface IngressPath {
  backend?: { service?: { name: string; [field: string]: unknown }; [field: string]: unknown };
  [field: string]: unknown;
}

interface Ingress extends KubeObject {
  spec?: {
    rules?: { http?: { paths?: IngressPath[] }; [field: string]: unknown }[];
    [field: string]: unknown;
  };
}

const t = {
  ingressSelectorEmpty: () => 'ingress selector is empty',
  apexGetQueryError: (name: string, ns: string, err: string) =>
    `apexIngress ${name}.${ns} get query error: ${err}`,
  createError: (name: string, ns: string, err: string) =>
    `ingress ${name}.${ns} create error: ${err}`,
  queryError: (name: string, ns: string, err: string) =>
    `ingress ${name}.${ns} query error: ${err}`,
  updateError: (name: string, ns: string, err: string) =>
    `ingress ${name}.${ns} update error: ${err}`,
  getQueryError: (name: string, ns: string, err: string) =>
    `ingress ${name}.${ns} get query error: ${err}`,
  backendWeightsError: (name: string, ns: string, err: string) =>
    `ingress ${name}.${ns} get backendWeights error: ${err}`,
  weightMissing: (name: string, ns: string, which: 'primarySvcName' | 'canarySvcName') =>
    `ingress ${name}.${ns} could not get weights[${which}]`,
  /** SetRoutes' own format: no colon before the cause. */
  setRoutesUpdateError: (name: string, ns: string, err: string) =>
    `ingress ${name}.${ns} update error ${err}`,
  removeError: (name: string, ns: string, err: string) =>
    `ingress ${name}.${ns} unable to remove canary ingress: ${err}`,
  /** errors.NewNotFound(GroupResource{"Skipper Canary Ingress", "Annotation"}, key). */
  annotationNotFound: () =>
    `Annotation.Skipper Canary Ingress "${SKIPPER_BACKEND_WEIGHTS}" not found`,
};

export class SkipperRouter implements TrafficRouter {
  private readonly setOwnerRefs: boolean;

  constructor(
    private readonly api: KubeApi,
    options: SkipperRouterOptions = {},
  ) {
    this.setOwnerRefs = options.setOwnerRefs ?? true;
  }

  objects(canary: Canary): RoutingObjectRef[] {
    const name = `${canary.spec.ingressRef?.name ?? ''}-canary`;
    return [{ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name, role: 'canary ingress' }];
  }

  async reconcile(canary: Canary): Promise<void> {
    const apexIngressName = canary.spec.ingressRef?.name ?? '';
    if (apexIngressName === '') throw new Error(t.ingressSelectorEmpty());
    const ns = canary.metadata.namespace;
    const names = serviceNames(canary);
    const canaryIngressName = `${apexIngressName}-canary`;

    const apexIngress: Ingress | undefined = await withFlaggerError(
      () => this.api.get<Ingress>(ingressRef(ns, apexIngressName)),
      (err) => t.apexGetQueryError(apexIngressName, ns, err),
    );
    if (!apexIngress) {
      throw new Error(
        t.apexGetQueryError(
          apexIngressName,
          ns,
          notFoundText('ingresses.networking.k8s.io', apexIngressName),
        ),
      );
    }

    const clone = structuredClone(apexIngress);
    for (const rule of clone.spec?.rules ?? []) {
      const paths = rule.http?.paths;
      if (!paths) continue;
      for (const path of [...paths]) {
        if (path.backend?.service?.name === names.apex) {
          path.backend.service.name = names.primary;
          const canaryPath = structuredClone(path);
          canaryPath.backend!.service!.name = names.canary;
          paths.push(canaryPath);
        }
      }
    }
    // Flagger's "backend not found" check compares two pointers and never fires: an Ingress
    // without the apex backend still gets a clone.
    clone.metadata = {
      name: canaryIngressName,
      namespace: ns,
      ...(clone.metadata.labels ? { labels: clone.metadata.labels } : {}),
      annotations: makeAnnotations(clone.metadata.annotations, {
        [names.primary]: 100,
        [names.canary]: 0,
      }),
      ...ownedBy(canary, this.setOwnerRefs),
    };
    delete clone.status;

    const existing: Ingress | undefined = await withFlaggerError(
      () => this.api.get<Ingress>(ingressRef(ns, canaryIngressName)),
      (err) => t.queryError(canaryIngressName, ns, err),
    );
    if (!existing) {
      await withFlaggerError(
        () => this.api.create(clone),
        (err) => t.createError(canaryIngressName, ns, err),
      );
      return;
    }
    // Only a spec change updates it, and then the weights go back to 100/0 with the spec.
    if (canonicalJson(clone.spec ?? null) !== canonicalJson(existing.spec ?? null)) {
      const next = structuredClone(existing);
      if (clone.spec) next.spec = clone.spec;
      else delete next.spec;
      next.metadata.annotations = flaggerManagedAnnotations(clone.metadata.annotations);
      await withFlaggerError(
        () => this.api.replace(next),
        (err) => t.updateError(canaryIngressName, ns, err),
      );
    }
  }

  async getRoutes(canary: Canary): Promise<Routes> {
    const ns = canary.metadata.namespace;
    const { primary, canary: canaryName } = serviceNames(canary);
    const name = `${canary.spec.ingressRef?.name ?? ''}-canary`;
    const ingress = await this.getCanaryIngress(ns, name);
    let weights: Record<string, unknown>;
    try {
      weights = backendWeights(ingress.metadata.annotations);
    } catch (err) {
      throw new Error(t.backendWeightsError(name, ns, errorText(err)), { cause: err });
    }
    const primaryWeight = weights[primary];
    if (typeof primaryWeight !== 'number')
      throw new Error(t.weightMissing(name, ns, 'primarySvcName'));
    const canaryWeight = weights[canaryName];
    if (typeof canaryWeight !== 'number')
      throw new Error(t.weightMissing(name, ns, 'canarySvcName'));
    return { primaryWeight, canaryWeight, mirrored: false };
  }

  async setRoutes(canary: Canary, routes: Routes): Promise<void> {
    const ns = canary.metadata.namespace;
    const { primary, canary: canaryName } = serviceNames(canary);
    const name = `${canary.spec.ingressRef?.name ?? ''}-canary`;
    const ingress = await this.getCanaryIngress(ns, name);
    const clone = structuredClone(ingress);
    const annotations = makeAnnotations(clone.metadata.annotations, {
      [primary]: routes.primaryWeight,
      [canaryName]: routes.canaryWeight,
    });
    if (routes.canaryWeight === 0) {
      annotations[SKIPPER_PREDICATE] = insertPredicate(
        annotations[SKIPPER_PREDICATE],
        ROUTE_DISABLE,
      );
    }
    clone.metadata.annotations = annotations;
    await withFlaggerError(
      () => this.api.replace(clone),
      (err) => t.setRoutesUpdateError(name, ns, err),
    );
  }

  /** Deletes the canary Ingress (the apex one was never changed). */
  async finalize(canary: Canary): Promise<void> {
    const ns = canary.metadata.namespace;
    const name = `${canary.spec.ingressRef?.name ?? ''}-canary`;
    await withFlaggerError(
      () => this.api.delete(ingressRef(ns, name)),
      (err) => t.removeError(name, ns, err),
    );
  }

  private async getCanaryIngress(ns: string, name: string): Promise<Ingress> {
    const ingress: Ingress | undefined = await withFlaggerError(
      () => this.api.get<Ingress>(ingressRef(ns, name)),
      (err) => t.getQueryError(name, ns, err),
    );
    if (!ingress) {
      throw new Error(t.getQueryError(name, ns, notFoundText('ingresses.networking.k8s.io', name)));
    }
    return ingress;
  }
}

function ingressRef(namespace: string, name: string): ObjectRef {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace, name };
}

/** json.Marshal of a map[string]int: keys sorted. */
function weightsJson(weights: Record<string, number>): string {
  const keys = Object.keys(weights).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${weights[k]}`).join(',')}}`;
}

function makeAnnotations(
  annotations: StringMap | undefined,
  weights: Record<string, number>,
): StringMap {
  const res: StringMap = { ...(annotations ?? {}) };
  res[SKIPPER_BACKEND_WEIGHTS] = weightsJson(weights);
  res[SKIPPER_PREDICATE] = insertPredicate(res[SKIPPER_PREDICATE], ROUTE_WEIGHT);
  return res;
}

function backendWeights(annotations: StringMap | undefined): Record<string, unknown> {
  const raw = annotations?.[SKIPPER_BACKEND_WEIGHTS];
  if (raw === undefined) throw new Error(t.annotationNotFound());
  const parsed: unknown = JSON.parse(raw);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(
      `json: cannot unmarshal ${Array.isArray(parsed) ? 'array' : typeof parsed} into Go value of type map[string]int`,
    );
  }
  for (const [k, v] of Object.entries(parsed)) {
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      throw new Error(`json: cannot unmarshal ${typeof v} into Go value of type int (${k})`);
    }
  }
  return parsed as Record<string, unknown>;
}

/** insertPredicate: `insert` first, then the others but Weight(100) and False(), joined by ` && `. */
export function insertPredicate(raw: string | undefined, insert: string): string {
  const predicates = [insert];
  for (const part of (raw ?? '').split('&&')) {
    const predicate = part.trim();
    if (predicate === '' || predicate === ROUTE_WEIGHT || predicate === ROUTE_DISABLE) continue;
    predicates.push(predicate);
  }
  return predicates.join(' && ');
}
