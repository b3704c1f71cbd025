/**
 * The traffic providers of a simulated cluster, in the order they are asked. Istio,
 * SMI, App Mesh, APISIX, ... are one more file each, added here; service.ts stays last.
 */
import { createNginxRouter } from './nginx';
import type { TrafficRouter } from './router';
import { serviceRouter } from './service';

/** Fresh routers for one cluster (routers may cache indexes of that cluster's objects). */
export function createTrafficRouters(): TrafficRouter[] {
  return [createNginxRouter(), serviceRouter];
}
