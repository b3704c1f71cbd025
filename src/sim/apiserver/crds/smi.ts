/**
 * The SMI CRDs Linkerd's SMI extension and Open Service Mesh install: TrafficSplit
 * (split.smi-spec.io, every version Flagger's routers write) and HTTPRouteGroup
 * (specs.smi-spec.io, the A/B route matches a v1alpha3+ TrafficSplit may name). Objects keep
 * the version they were written in (the CRDs convert with strategy None).
 */
import { defineCrd } from './define';

export const trafficSplitCrd = defineCrd({
  group: 'split.smi-spec.io',
  kind: 'TrafficSplit',
  plural: 'trafficsplits',
  shortNames: ['ts'],
  versions: ['v1alpha2', 'v1alpha1', 'v1alpha3', 'v1alpha4'],
  printerColumns: [{ name: 'Service', type: 'string', jsonPath: '.spec.service' }],
});

export const httpRouteGroupCrd = defineCrd({
  group: 'specs.smi-spec.io',
  kind: 'HTTPRouteGroup',
  plural: 'httproutegroups',
  shortNames: ['htr'],
  versions: ['v1alpha4', 'v1alpha1', 'v1alpha2', 'v1alpha3'],
});

export const smiCrds = [trafficSplitCrd, httpRouteGroupCrd];
