/**
 * A compact way to write a CustomResourceDefinition: one call per CRD, so adding a mesh's
 * CRDs (Istio, SMI, App Mesh...) is a new file of defineCrd() calls plus one line in
 * crds/index.ts.
 */
import type { KubeObject } from '../../store';
import type { PrinterColumn, ScaleSubresource } from '../resources';

export interface CrdDefinition {
  group: string;
  kind: string;
  plural: string;
  singular?: string;
  listKind?: string;
  scope?: 'Namespaced' | 'Cluster';
  shortNames?: string[];
  categories?: string[];
  /** Served versions; the first is the storage version. */
  versions: string[];
  status?: boolean;
  scale?: ScaleSubresource;
  printerColumns?: PrinterColumn[];
  /** An openAPIV3Schema; by default one that keeps every field (x-kubernetes-preserve-unknown-fields). */
  schema?: object;
}

const openSchema = {
  type: 'object',
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  },
};

export function defineCrd(d: CrdDefinition): KubeObject {
  const subresources: Record<string, object> = {};
  if (d.status) subresources.status = {};
  if (d.scale) subresources.scale = d.scale;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${d.plural}.${d.group}` },
    spec: {
      group: d.group,
      names: {
        kind: d.kind,
        listKind: d.listKind ?? `${d.kind}List`,
        plural: d.plural,
        singular: d.singular ?? d.kind.toLowerCase(),
        ...(d.shortNames ? { shortNames: d.shortNames } : {}),
        ...(d.categories ? { categories: d.categories } : {}),
      },
      scope: d.scope ?? 'Namespaced',
      versions: d.versions.map((name, i) => ({
        name,
        served: true,
        storage: i === 0,
        ...(Object.keys(subresources).length ? { subresources } : {}),
        ...(d.printerColumns ? { additionalPrinterColumns: d.printerColumns } : {}),
        schema: { openAPIV3Schema: d.schema ?? openSchema },
      })),
    },
  };
}
