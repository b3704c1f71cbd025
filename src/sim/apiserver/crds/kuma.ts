/**
 * Kuma's v1alpha1 policies as its Kubernetes CRDs define them: cluster-scoped, with the mesh
 * a top-level `mesh` field beside `spec` (not under it). Flagger's kuma router writes one
 * `<apex>` TrafficRoute per canary (traffic/kuma.ts splits requests by it).
 */
import { defineCrd } from './define';

const policySchema = {
  type: 'object',
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    mesh: { type: 'string' },
    spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  },
};

export const trafficRouteCrd = defineCrd({
  group: 'kuma.io',
  kind: 'TrafficRoute',
  plural: 'trafficroutes',
  scope: 'Cluster',
  categories: ['kuma'],
  versions: ['v1alpha1'],
  schema: policySchema,
});

export const meshCrd = defineCrd({
  group: 'kuma.io',
  kind: 'Mesh',
  plural: 'meshes',
  scope: 'Cluster',
  categories: ['kuma'],
  versions: ['v1alpha1'],
  schema: policySchema,
});

export const kumaCrds = [trafficRouteCrd, meshCrd];
