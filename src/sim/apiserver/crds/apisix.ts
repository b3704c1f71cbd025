/**
 * The APISIX ingress controller's CRDs Flagger's apisix provider works with: ApisixRoute
 * (the user's route and Flagger's `<route>-<apex>-canary` clone) and ApisixUpstream.
 */
import { defineCrd } from './define';

export const apisixRouteCrd = defineCrd({
  group: 'apisix.apache.org',
  kind: 'ApisixRoute',
  plural: 'apisixroutes',
  shortNames: ['ar'],
  categories: ['apisix-ingress-controller'],
  versions: ['v2'],
  status: true,
  printerColumns: [
    { name: 'Hosts', type: 'string', jsonPath: '.spec.http[*].match.hosts', priority: 0 },
    { name: 'URIs', type: 'string', jsonPath: '.spec.http[*].match.paths', priority: 0 },
    {
      name: 'Target Service',
      type: 'string',
      jsonPath: '.spec.http[*].backends[*].serviceName',
      priority: 1,
    },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', priority: 0 },
  ],
});

export const apisixUpstreamCrd = defineCrd({
  group: 'apisix.apache.org',
  kind: 'ApisixUpstream',
  plural: 'apisixupstreams',
  shortNames: ['au'],
  categories: ['apisix-ingress-controller'],
  versions: ['v2'],
  status: true,
});

export const apisixCrds = [apisixRouteCrd, apisixUpstreamCrd];
