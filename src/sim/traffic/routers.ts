/**
 * The traffic providers of a simulated cluster, in the order they are asked. Istio,
 * SMI, App Mesh, APISIX, ... are one more file each, added here; service.ts stays last.
 */
import { createApisixRouters } from './apisix';
import { createAppMeshRouters } from './appmesh';
import { createContourRouters } from './contour';
import { createGatewayApiRouter } from './gateway-api';
import { createGlooRouters } from './gloo';
import { createIstioRouters } from './istio';
import { createKnativeRouters } from './knative';
import { createKumaRouter } from './kuma';
import { createNginxRouter } from './nginx';
import type { TrafficRouter } from './router';
import { serviceRouter } from './service';
import { createSkipperRouters } from './skipper';
import { createSmiRouter } from './smi';
import { createTraefikRouters } from './traefik';

/** Fresh routers for one cluster (routers may cache indexes of that cluster's objects). */
export function createTrafficRouters(): TrafficRouter[] {
  return [
    createNginxRouter(),
    ...createApisixRouters(),
    createSmiRouter(),
    ...createAppMeshRouters(),
    ...createIstioRouters(),
    createGatewayApiRouter(),
    ...createContourRouters(),
    ...createGlooRouters(),
    createKumaRouter(),
    ...createTraefikRouters(),
    ...createSkipperRouters(),
    ...createKnativeRouters(),
    serviceRouter,
  ];
}
