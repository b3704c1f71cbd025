/**
 * Gloo Edge's routing CRDs: VirtualService and RouteTable (gateway.solo.io/v1), Upstream
 * (gloo.solo.io/v1). Flagger's gloo router writes the `<apex>` RouteTable and two Upstreams;
 * the user's VirtualService delegates to the RouteTable (traffic/gloo.ts serves it).
 */
import { defineCrd } from './define';

export const virtualServiceCrd = defineCrd({
  group: 'gateway.solo.io',
  kind: 'VirtualService',
  plural: 'virtualservices',
  shortNames: ['vs'],
  versions: ['v1'],
  status: true,
});

export const routeTableCrd = defineCrd({
  group: 'gateway.solo.io',
  kind: 'RouteTable',
  plural: 'routetables',
  shortNames: ['rt'],
  versions: ['v1'],
  status: true,
});

export const upstreamCrd = defineCrd({
  group: 'gloo.solo.io',
  kind: 'Upstream',
  plural: 'upstreams',
  shortNames: ['us'],
  versions: ['v1'],
  status: true,
});

export const glooCrds = [virtualServiceCrd, routeTableCrd, upstreamCrd];
