/**
 * Istio's networking CRDs as its base chart installs them (names, short names, categories,
 * printer columns): VirtualService, DestinationRule and Gateway, served as v1, v1beta1 and
 * v1alpha3 (objects are stored as given; the versions share one schema).
 */
import { defineCrd } from './define';

const VERSIONS = ['v1', 'v1beta1', 'v1alpha3'];
const CATEGORIES = ['istio-io', 'networking-istio-io'];
const AGE = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

export const virtualServiceCrd = defineCrd({
  group: 'networking.istio.io',
  kind: 'VirtualService',
  plural: 'virtualservices',
  shortNames: ['vs'],
  categories: CATEGORIES,
  versions: VERSIONS,
  status: true,
  printerColumns: [
    {
      name: 'Gateways',
      type: 'string',
      jsonPath: '.spec.gateways',
      description: 'The names of gateways and sidecars that should apply these routes',
    },
    {
      name: 'Hosts',
      type: 'string',
      jsonPath: '.spec.hosts',
      description: 'The destination hosts to which traffic is being sent',
    },
    AGE,
  ],
});

export const destinationRuleCrd = defineCrd({
  group: 'networking.istio.io',
  kind: 'DestinationRule',
  plural: 'destinationrules',
  shortNames: ['dr'],
  categories: CATEGORIES,
  versions: VERSIONS,
  status: true,
  printerColumns: [
    {
      name: 'Host',
      type: 'string',
      jsonPath: '.spec.host',
      description: 'The name of a service from the service registry',
    },
    AGE,
  ],
});

export const istioGatewayCrd = defineCrd({
  group: 'networking.istio.io',
  kind: 'Gateway',
  plural: 'gateways',
  shortNames: ['gw'],
  categories: CATEGORIES,
  versions: VERSIONS,
  status: true,
  printerColumns: [AGE],
});

export const istioCrds = [virtualServiceCrd, destinationRuleCrd, istioGatewayCrd];
