/**
 * The Gateway API's standard-channel CRDs (gateway.networking.k8s.io): GatewayClass, Gateway
 * and HTTPRoute, served as v1 (storage) and v1beta1, with the upstream printer columns and
 * short names.
 */
import { defineCrd } from './define';

const GROUP = 'gateway.networking.k8s.io';
const VERSIONS = ['v1', 'v1beta1'];
const CATEGORIES = ['gateway-api'];
const AGE = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

export const gatewayClassCrd = defineCrd({
  group: GROUP,
  kind: 'GatewayClass',
  plural: 'gatewayclasses',
  shortNames: ['gc'],
  categories: CATEGORIES,
  scope: 'Cluster',
  versions: VERSIONS,
  status: true,
  printerColumns: [
    { name: 'Controller', type: 'string', jsonPath: '.spec.controllerName' },
    {
      name: 'Accepted',
      type: 'string',
      jsonPath: '.status.conditions[?(@.type=="Accepted")].status',
    },
    AGE,
    { name: 'Description', type: 'string', jsonPath: '.spec.description', priority: 1 },
  ],
});

export const gatewayCrd = defineCrd({
  group: GROUP,
  kind: 'Gateway',
  plural: 'gateways',
  shortNames: ['gtw'],
  categories: CATEGORIES,
  versions: VERSIONS,
  status: true,
  printerColumns: [
    { name: 'Class', type: 'string', jsonPath: '.spec.gatewayClassName' },
    { name: 'Address', type: 'string', jsonPath: '.status.addresses[*].value' },
    {
      name: 'Programmed',
      type: 'string',
      jsonPath: '.status.conditions[?(@.type=="Programmed")].status',
    },
    AGE,
  ],
});

export const httpRouteCrd = defineCrd({
  group: GROUP,
  kind: 'HTTPRoute',
  plural: 'httproutes',
  categories: CATEGORIES,
  versions: VERSIONS,
  status: true,
  printerColumns: [{ name: 'Hostnames', type: 'string', jsonPath: '.spec.hostnames' }, AGE],
});

export const gatewayApiCrds = [gatewayClassCrd, gatewayCrd, httpRouteCrd];
