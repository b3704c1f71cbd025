/**
 * The resource types one simulated cluster serves: the built-in kinds the app, kubectl and
 * the simulations touch, plus whatever CustomResourceDefinitions are installed. Discovery,
 * routing, Table output and the store's status/generation rules all read this registry, so
 * a CRD created at runtime is served everywhere at once.
 */
import type { KubeObject, ResourceRef } from '../store';

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  format?: string;
  description?: string;
  priority?: number;
}

export interface ScaleSubresource {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

export interface ResourceType {
  group: string;
  /** Served versions; the first one is the preferred (storage) version. */
  versions: string[];
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  /** Has a /status subresource: PUT keeps status, /status writes only status. */
  status: boolean;
  scale?: ScaleSubresource;
  /** metadata.generation is maintained (bumped when anything outside metadata/status changes). */
  generation: boolean;
  /** Printer columns per served version, from a CRD. */
  printerColumns?: Record<string, PrinterColumn[]>;
  /** Set when the type comes from a CustomResourceDefinition. */
  crdName?: string;
  /** Served from another resource's storage (events.k8s.io/v1 events over core/v1 events). */
  storedAs?: ResourceRef;
  /** Create-only review resources (SelfSubjectAccessReview...): nothing is stored. */
  virtual?: boolean;
  /** Extra subresources advertised in discovery (e.g. services/proxy). */
  extraSubresources?: { name: string; kind: string; verbs: string[] }[];
}

export const STANDARD_VERBS = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];

export function refKey(ref: ResourceRef): string {
  return `${ref.group}/${ref.resource}`;
}

interface BuiltinSpec {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced?: boolean;
  shortNames?: string[];
  categories?: string[];
  status?: boolean;
  scale?: boolean;
  generation?: boolean;
  verbs?: string[];
  storedAs?: ResourceRef;
  virtual?: boolean;
  extraSubresources?: ResourceType['extraSubresources'];
}

const replicaScale: ScaleSubresource = {
  specReplicasPath: '.spec.replicas',
  statusReplicasPath: '.status.replicas',
  labelSelectorPath: '.spec.selector',
};

const builtinSpecs: BuiltinSpec[] = [
  {
    group: '',
    version: 'v1',
    kind: 'Namespace',
    plural: 'namespaces',
    namespaced: false,
    shortNames: ['ns'],
    status: true,
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  },
  {
    group: '',
    version: 'v1',
    kind: 'Pod',
    plural: 'pods',
    shortNames: ['po'],
    categories: ['all'],
    status: true,
  },
  {
    group: '',
    version: 'v1',
    kind: 'Service',
    plural: 'services',
    shortNames: ['svc'],
    categories: ['all'],
    status: true,
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    extraSubresources: [
      {
        name: 'proxy',
        kind: 'ServiceProxyOptions',
        verbs: ['create', 'delete', 'get', 'patch', 'update'],
      },
    ],
  },
  { group: '', version: 'v1', kind: 'Endpoints', plural: 'endpoints', shortNames: ['ep'] },
  { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', shortNames: ['cm'] },
  { group: '', version: 'v1', kind: 'Secret', plural: 'secrets' },
  { group: '', version: 'v1', kind: 'Event', plural: 'events', shortNames: ['ev'] },
  {
    group: '',
    version: 'v1',
    kind: 'ServiceAccount',
    plural: 'serviceaccounts',
    shortNames: ['sa'],
  },
  {
    group: '',
    version: 'v1',
    kind: 'Node',
    plural: 'nodes',
    namespaced: false,
    shortNames: ['no'],
    status: true,
  },
  {
    group: 'apps',
    version: 'v1',
    kind: 'Deployment',
    plural: 'deployments',
    shortNames: ['deploy'],
    categories: ['all'],
    status: true,
    scale: true,
    generation: true,
  },
  {
    group: 'apps',
    version: 'v1',
    kind: 'ReplicaSet',
    plural: 'replicasets',
    shortNames: ['rs'],
    categories: ['all'],
    status: true,
    scale: true,
    generation: true,
  },
  {
    group: 'apps',
    version: 'v1',
    kind: 'DaemonSet',
    plural: 'daemonsets',
    shortNames: ['ds'],
    categories: ['all'],
    status: true,
    generation: true,
  },
  {
    group: 'apps',
    version: 'v1',
    kind: 'StatefulSet',
    plural: 'statefulsets',
    shortNames: ['sts'],
    categories: ['all'],
    status: true,
    scale: true,
    generation: true,
  },
  {
    group: 'autoscaling',
    version: 'v2',
    kind: 'HorizontalPodAutoscaler',
    plural: 'horizontalpodautoscalers',
    shortNames: ['hpa'],
    categories: ['all'],
    status: true,
    generation: true,
  },
  {
    group: 'networking.k8s.io',
    version: 'v1',
    kind: 'Ingress',
    plural: 'ingresses',
    shortNames: ['ing'],
    status: true,
    generation: true,
  },
  {
    group: 'networking.k8s.io',
    version: 'v1',
    kind: 'IngressClass',
    plural: 'ingressclasses',
    namespaced: false,
  },
  { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases' },
  {
    group: 'events.k8s.io',
    version: 'v1',
    kind: 'Event',
    plural: 'events',
    shortNames: ['ev'],
    storedAs: { group: '', resource: 'events' },
  },
  {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    kind: 'CustomResourceDefinition',
    plural: 'customresourcedefinitions',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
    status: true,
    generation: true,
  },
  {
    group: 'authorization.k8s.io',
    version: 'v1',
    kind: 'SelfSubjectAccessReview',
    plural: 'selfsubjectaccessreviews',
    namespaced: false,
    verbs: ['create'],
    virtual: true,
  },
  {
    group: 'authorization.k8s.io',
    version: 'v1',
    kind: 'SelfSubjectRulesReview',
    plural: 'selfsubjectrulesreviews',
    namespaced: false,
    verbs: ['create'],
    virtual: true,
  },
  {
    group: 'authentication.k8s.io',
    version: 'v1',
    kind: 'SelfSubjectReview',
    plural: 'selfsubjectreviews',
    namespaced: false,
    verbs: ['create'],
    virtual: true,
  },
];

function fromBuiltin(spec: BuiltinSpec): ResourceType {
  return {
    group: spec.group,
    versions: [spec.version],
    kind: spec.kind,
    listKind: `${spec.kind}List`,
    plural: spec.plural,
    singular: spec.kind.toLowerCase(),
    namespaced: spec.namespaced ?? true,
    shortNames: spec.shortNames ?? [],
    categories: spec.categories ?? [],
    verbs: spec.verbs ?? STANDARD_VERBS,
    status: spec.status ?? false,
    ...(spec.scale ? { scale: replicaScale } : {}),
    generation: spec.generation ?? false,
    ...(spec.storedAs ? { storedAs: spec.storedAs } : {}),
    ...(spec.virtual ? { virtual: true } : {}),
    ...(spec.extraSubresources ? { extraSubresources: spec.extraSubresources } : {}),
  };
}

/** Reads a CRD object (apiextensions.k8s.io/v1) into the type it makes served. */
export function resourceTypeFromCrd(crd: KubeObject): ResourceType {
  const spec = (crd.spec ?? {}) as CrdSpec;
  const names = spec.names ?? ({} as CrdSpec['names']);
  const served = (spec.versions ?? []).filter((v) => v.served !== false);
  // The storage version is preferred, as kube-apiserver sorts it first in discovery.
  served.sort((a, b) => Number(b.storage === true) - Number(a.storage === true));
  const statusOn = served.some((v) => v.subresources?.status !== undefined);
  const scaleVersion = served.find((v) => v.subresources?.scale);
  const printerColumns: Record<string, PrinterColumn[]> = {};
  for (const v of served) printerColumns[v.name] = v.additionalPrinterColumns ?? [];
  return {
    group: spec.group,
    versions: served.map((v) => v.name),
    kind: names.kind,
    listKind: names.listKind ?? `${names.kind}List`,
    plural: names.plural,
    singular: names.singular ?? names.kind.toLowerCase(),
    namespaced: spec.scope !== 'Cluster',
    shortNames: names.shortNames ?? [],
    categories: names.categories ?? [],
    verbs: STANDARD_VERBS,
    status: statusOn,
    ...(scaleVersion?.subresources?.scale ? { scale: scaleVersion.subresources.scale } : {}),
    generation: true,
    printerColumns,
    crdName: crd.metadata.name,
  };
}

export interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  subresources?: { status?: object; scale?: ScaleSubresource };
  additionalPrinterColumns?: PrinterColumn[];
  schema?: object;
}

export interface CrdSpec {
  group: string;
  scope: 'Namespaced' | 'Cluster';
  names: {
    kind: string;
    listKind?: string;
    plural: string;
    singular?: string;
    shortNames?: string[];
    categories?: string[];
  };
  versions: CrdVersion[];
}

/** Built-in types plus CRD-defined ones, looked up by group+plural, by group+version, or by kind. */
export class ResourceRegistry {
  private readonly types = new Map<string, ResourceType>();
  private changeListeners: (() => void)[] = [];

  constructor() {
    for (const spec of builtinSpecs) this.add(fromBuiltin(spec));
  }

  add(type: ResourceType): void {
    this.types.set(refKey({ group: type.group, resource: type.plural }), type);
    for (const l of this.changeListeners) l();
  }

  remove(ref: ResourceRef): void {
    this.types.delete(refKey(ref));
    for (const l of this.changeListeners) l();
  }

  get(ref: ResourceRef): ResourceType | undefined {
    return this.types.get(refKey(ref));
  }

  /** The type served at group/version with this plural name. */
  served(group: string, version: string, plural: string): ResourceType | undefined {
    const type = this.types.get(`${group}/${plural}`);
    return type && type.versions.includes(version) ? type : undefined;
  }

  all(): ResourceType[] {
    return [...this.types.values()];
  }

  /** The storage behind a type (itself, unless it is an alias like events.k8s.io events). */
  storageOf(type: ResourceType): ResourceType {
    return type.storedAs ? (this.get(type.storedAs) ?? type) : type;
  }

  onChange(listener: () => void): void {
    this.changeListeners.push(listener);
  }
}
