/**
 * Flagger's NopRouter (pkg/router/nop.go), the `kubernetes` provider: no traffic splitting, so
 * the scheduler runs blue/green. The routes it reports follow the analysis: all on the primary
 * until the first iteration, then all on the canary (the apex Service still selects the primary;
 * load tests hit `<apex>-canary` directly).
 */
import type { Canary } from '../canary';
import type { Routes, TrafficRouter } from '../controller/ports';

export class KubernetesRouter implements TrafficRouter {
  async reconcile(_canary: Canary): Promise<void> {}

  async setRoutes(_canary: Canary, _routes: Routes): Promise<void> {}

  async getRoutes(canary: Canary): Promise<Routes> {
    return (canary.status?.iterations ?? 0) > 0
      ? { primaryWeight: 0, canaryWeight: 100, mirrored: false }
      : { primaryWeight: 100, canaryWeight: 0, mirrored: false };
  }

  async finalize(_canary: Canary): Promise<void> {}
}
