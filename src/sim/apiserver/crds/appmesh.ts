/**
 * The AWS App Mesh controller's CRDs (aws-app-mesh-controller-for-k8s,
 * config/crd/bases/appmesh.k8s.aws_*.yaml): scope, categories, status subresource and the
 * ARN/AGE printer columns, so `kubectl get virtualnodes` looks as it does on EKS.
 *
 * v1beta2 is the storage version. Mesh, VirtualNode and VirtualService also serve v1beta1,
 * the first controller's API that Flagger's bare `appmesh` provider still writes (objects are
 * stored as given, without conversion, as for the Canary's v1alpha3).
 */
import { defineCrd } from './define';

const GROUP = 'appmesh.k8s.aws';

function arnColumns(kind: string, arnField: string) {
  return [
    {
      name: 'ARN',
      type: 'string',
      jsonPath: `.status.${arnField}`,
      description: `The AppMesh ${kind} object's Amazon Resource Name`,
    },
    { name: 'AGE', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ];
}

export const meshCrd = defineCrd({
  group: GROUP,
  kind: 'Mesh',
  plural: 'meshes',
  scope: 'Cluster',
  versions: ['v1beta2', 'v1beta1'],
  status: true,
  printerColumns: arnColumns('Mesh', 'meshARN'),
});

export const virtualNodeCrd = defineCrd({
  group: GROUP,
  kind: 'VirtualNode',
  plural: 'virtualnodes',
  categories: ['all'],
  versions: ['v1beta2', 'v1beta1'],
  status: true,
  printerColumns: arnColumns('VirtualNode', 'virtualNodeARN'),
});

export const virtualRouterCrd = defineCrd({
  group: GROUP,
  kind: 'VirtualRouter',
  plural: 'virtualrouters',
  categories: ['all'],
  versions: ['v1beta2'],
  status: true,
  printerColumns: arnColumns('VirtualRouter', 'virtualRouterARN'),
});

export const virtualServiceCrd = defineCrd({
  group: GROUP,
  kind: 'VirtualService',
  plural: 'virtualservices',
  categories: ['all'],
  versions: ['v1beta2', 'v1beta1'],
  status: true,
  printerColumns: arnColumns('VirtualService', 'virtualServiceARN'),
});

export const virtualGatewayCrd = defineCrd({
  group: GROUP,
  kind: 'VirtualGateway',
  plural: 'virtualgateways',
  categories: ['all'],
  versions: ['v1beta2'],
  status: true,
  printerColumns: arnColumns('VirtualGateway', 'virtualGatewayARN'),
});

export const gatewayRouteCrd = defineCrd({
  group: GROUP,
  kind: 'GatewayRoute',
  plural: 'gatewayroutes',
  categories: ['all'],
  versions: ['v1beta2'],
  status: true,
  printerColumns: arnColumns('GatewayRoute', 'gatewayRouteARN'),
});

export const appMeshCrds = [
  meshCrd,
  virtualNodeCrd,
  virtualRouterCrd,
  virtualServiceCrd,
  virtualGatewayCrd,
  gatewayRouteCrd,
];
