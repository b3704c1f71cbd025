/**
 * Flagger's SMI routers (pkg/router/smi.go, smi_v1alpha2.go, smi_v1alpha3.go): one
 * TrafficSplit named `<apex>` whose backends `<apex>-canary` and `<apex>-primary` carry the
 * weights. The three API versions differ only in how a weight is written (v1alpha1: a
 * resource.Quantity string; v1alpha2/v1alpha3: an int) and in v1alpha3's `matches`, so one
 * router takes the version as data.
 *
 * factory.go: `linkerd` uses v1alpha1, `osm` v1alpha2, `smi:<version>[:<mesh>]` the version
 * named. Flagger's SMI routers ignore analysis.match (no HTTPRouteGroup is written); its Linkerd
 * A/B tutorial uses the nginx provider instead.
 */
import type { Canary } from '../canary';
import { canonicalJson, serviceNames } from '../canary';
import type { RoutingObjectRef, Routes, TrafficRouter } from '../controller/ports';
import type { KubeApi, KubeObject, ObjectRef } from '../kube/api';
import { quantityAsInt } from '../../shared/quantity';
import { ownedBy, reconcileObject, withFlaggerError } from './upsert';

export type SmiApiVersion = 'v1alpha1' | 'v1alpha2' | 'v1alpha3';

export interface SmiRouterOptions {
  version: SmiApiVersion;
  /** The mesh behind the SMI API; `istio` adds the VirtualService gateways annotation. */
  targetMesh: string;
  setOwnerRefs?: boolean;
}

interface TrafficSplitBackend {
  service?: string;
  /** v1alpha1: a Quantity ("100", or a number written by hand); later versions: an int. */
  weight?: string | number;
  [field: string]: unknown;
}

export interface TrafficSplit extends KubeObject {
  spec?: {
    service?: string;
    backends?: TrafficSplitBackend[];
    matches?: unknown[];
    [field: string]: unknown;
  };
}

const ISTIO_GATEWAYS_ANNOTATION = 'VirtualService.v1alpha3.networking.istio.io/spec.gateways';

// Flagger's words (fmt.Errorf in smi*.go): Reconcile wraps with `: %w`, Get/SetRoutes use ` %v`.
const createError = (name: string, ns: string, err: string): string =>
  `TrafficSplit ${name}.${ns} create error: ${err}`;
const reconcileGetError = (name: string, ns: string, err: string): string =>
  `TrafficSplit ${name}.${ns} get query error: ${err}`;
const reconcileUpdateError = (name: string, ns: string, err: string): string =>
  `TrafficSplit ${name}.${ns} update error: ${err}`;
const getQueryError = (name: string, ns: string, err: string): string =>
  `TrafficSplit ${name}.${ns} get query error ${err}`;
const updateError = (name: string, ns: string, err: string): string =>
  `TrafficSplit ${name}.${ns} update error ${err}`;
const noRoutes = (name: string, ns: string, primary: string, canary: string): string =>
  `TrafficSplit ${name}.${ns} does not contain routes for ${primary} and ${canary}`;
const notFound = (name: string): string => `trafficsplits.split.smi-spec.io "${name}" not found`;

export class SmiRouter implements TrafficRouter {
  private readonly apiVersion: string;
  private readonly setOwnerRefs: boolean;

  constructor(
    private readonly api: KubeApi,
    private readonly options: SmiRouterOptions,
  ) {
    this.apiVersion = `split.smi-spec.io/${options.version}`;
    this.setOwnerRefs = options.setOwnerRefs ?? true;
  }

  objects(canary: Canary): RoutingObjectRef[] {
    const name = serviceNames(canary).apex;
    return [{ apiVersion: this.apiVersion, kind: 'TrafficSplit', name, role: 'split' }];
  }

  async reconcile(canary: Canary): Promise<void> {
    const ns = canary.metadata.namespace ?? '';
    const { apex, primary, canary: canaryName } = serviceNames(canary);
    const host = canary.spec.service.hosts?.[0] ?? apex;
    const spec: NonNullable<TrafficSplit['spec']> = {
      service: host,
      backends: [
        { service: canaryName, weight: this.weight(0) },
        { service: primary, weight: this.weight(100) },
      ],
    };

    const annotations = this.makeAnnotations(canary.spec.service.gateways);
    await reconcileObject<TrafficSplit>(this.api, {
      ref: this.ref(ns, apex),
      create: () => ({
        apiVersion: this.apiVersion,
        kind: 'TrafficSplit',
        metadata: {
          name: apex,
          namespace: ns,
          ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
          ...ownedBy(canary, this.setOwnerRefs),
        },
        spec,
      }),
      // cmp.Diff with the weights ignored: the split's routing state is not reset here.
      drifted: (existing) => this.comparable(spec) !== this.comparable(existing.spec),
      updated: (existing) => ({ ...structuredClone(existing), spec }),
      texts: {
        get: (err) => reconcileGetError(apex, ns, err),
        create: (err) => createError(apex, ns, err),
        update: (err) => reconcileUpdateError(apex, ns, err),
      },
    });
  }

  async getRoutes(canary: Canary): Promise<Routes> {
    const ns = canary.metadata.namespace ?? '';
    const { apex, primary, canary: canaryName } = serviceNames(canary);
    const split = await this.getSplit(ns, apex);
    let primaryWeight = 0;
    let canaryWeight = 0;
    for (const backend of split.spec?.backends ?? []) {
      const weight = this.readWeight(backend.weight);
      if (backend.service === primary) primaryWeight = weight;
      if (backend.service === canaryName) canaryWeight = weight;
    }
    if (primaryWeight === 0 && canaryWeight === 0) {
      throw new Error(noRoutes(apex, ns, primary, canaryName));
    }
    return { primaryWeight, canaryWeight, mirrored: false };
  }

  /** Backends become exactly [canary, primary]; the rest of the split is kept. */
  async setRoutes(canary: Canary, routes: Routes): Promise<void> {
    const ns = canary.metadata.namespace ?? '';
    const { apex, primary, canary: canaryName } = serviceNames(canary);
    const split = await this.getSplit(ns, apex);
    const next = structuredClone(split);
    next.spec = {
      ...(next.spec ?? {}),
      backends: [
        { service: canaryName, weight: this.weight(routes.canaryWeight) },
        { service: primary, weight: this.weight(routes.primaryWeight) },
      ],
    };
    await withFlaggerError(
      () => this.api.replace(next),
      (err) => updateError(apex, ns, err),
    );
  }

  async finalize(_canary: Canary): Promise<void> {}

  private async getSplit(ns: string, name: string): Promise<TrafficSplit> {
    const split: TrafficSplit | undefined = await withFlaggerError(
      () => this.api.get<TrafficSplit>(this.ref(ns, name)),
      (err) => getQueryError(name, ns, err),
    );
    if (!split) throw new Error(getQueryError(name, ns, notFound(name)));
    return split;
  }

  /** resource.NewQuantity(w, DecimalExponent) marshals as the decimal string. */
  private weight(value: number): string | number {
    return this.options.version === 'v1alpha1' ? String(value) : value;
  }

  private readWeight(value: unknown): number {
    if (this.options.version === 'v1alpha1') return quantityAsInt(value);
    return typeof value === 'number' && Number.isInteger(value) ? value : 0;
  }

  /** The spec fields Flagger's typed cmp.Diff sees, weights left out. */
  private comparable(spec: TrafficSplit['spec']): string {
    return canonicalJson({
      service: spec?.service ?? '',
      backends: (spec?.backends ?? []).map((b) => b.service ?? ''),
      ...(this.options.version === 'v1alpha3' ? { matches: spec?.matches ?? [] } : {}),
    });
  }

  private makeAnnotations(gateways: string[] | undefined): Record<string, string> {
    if (this.options.targetMesh === 'istio' && gateways && gateways.length > 0) {
      return { [ISTIO_GATEWAYS_ANNOTATION]: JSON.stringify(gateways) };
    }
    return {};
  }

  private ref(namespace: string, name: string): ObjectRef {
    return { apiVersion: this.apiVersion, kind: 'TrafficSplit', namespace, name };
  }
}

/** factory.go's MeshRouter cases for the SMI family; undefined for other providers. */
export function smiRouterOptionsFor(provider: string): SmiRouterOptions | undefined {
  if (provider === 'linkerd') return { version: 'v1alpha1', targetMesh: 'linkerd' };
  if (provider === 'osm') return { version: 'v1alpha2', targetMesh: 'osm' };
  for (const version of ['v1alpha1', 'v1alpha2', 'v1alpha3'] as const) {
    const prefix = `smi:${version}`;
    // strings.TrimPrefix(provider, "smi:<version>:"): without a mesh, the provider itself.
    if (provider.startsWith(prefix)) {
      const mesh = provider.startsWith(`${prefix}:`) ? provider.slice(prefix.length + 1) : provider;
      return { version, targetMesh: mesh };
    }
  }
  return undefined;
}
