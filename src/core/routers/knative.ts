/**
 * Flagger's KnativeRouter (pkg/router/knative.go): the split is the Knative Service's own
 * `spec.traffic`, the latest revision (the canary) and the revision in the
 * `flagger.app/primary-revision` annotation. Routes are read back from `status.traffic`, what
 * Knative actually programmed, so a weight shows once the ingress serves it.
 */
import type { Canary } from '../canary';
import type { Routes, RoutingObjectRef, TrafficRouter } from '../controller/ports';
import type { KubeApi } from '../kube/api';
import {
  getKnativeService,
  knativeTraffic,
  PRIMARY_REVISION_ANNOTATION,
  updateKnativeService,
} from '../workloads/knative';

const dotName = (canary: Canary): string =>
  `${canary.spec.targetRef.name}.${canary.metadata.namespace ?? 'default'}`;

export class KnativeRouter implements TrafficRouter {
  constructor(private readonly api: KubeApi) {}

  objects(canary: Canary): RoutingObjectRef[] {
    return [
      {
        apiVersion: 'serving.knative.dev/v1',
        kind: 'Service',
        name: canary.spec.targetRef.name,
        role: 'traffic split (spec.traffic)',
      },
    ];
  }

  /** Names the current revision the primary when no run has yet. */
  async reconcile(canary: Canary): Promise<void> {
    const service = await getKnativeService(this.api, canary);
    if (service.metadata.annotations?.[PRIMARY_REVISION_ANNOTATION] !== undefined) return;
    service.metadata.annotations = {
      ...(service.metadata.annotations ?? {}),
      [PRIMARY_REVISION_ANNOTATION]: service.status?.latestCreatedRevisionName ?? '',
    };
    await updateKnativeService(this.api, canary, service);
  }

  async setRoutes(canary: Canary, routes: Routes): Promise<void> {
    const service = await getKnativeService(this.api, canary);
    const primary = service.metadata.annotations?.[PRIMARY_REVISION_ANNOTATION];
    if (primary === undefined)
      throw new Error(`Knative Service ${dotName(canary)} annotation not found`);
    service.spec = {
      ...(service.spec ?? {}),
      traffic: knativeTraffic(primary, routes.primaryWeight, routes.canaryWeight),
    };
    await updateKnativeService(this.api, canary, service);
  }

  async getRoutes(canary: Canary): Promise<Routes> {
    const name = dotName(canary);
    let service;
    try {
      service = await getKnativeService(this.api, canary);
    } catch (err) {
      // Flagger's GetRoutes words this one differently.
      throw new Error((err as Error).message.replace(/^Knative Service/, 'service'), {
        cause: err,
      });
    }
    const primary = service.metadata.annotations?.[PRIMARY_REVISION_ANNOTATION];
    if (primary === undefined) throw new Error(`service ${name} annotation not found`);
    const traffic = service.status?.traffic ?? [];
    const canaryTarget = traffic.find((t) => t.latestRevision === true);
    // Knative fills in revisionName on the latest entry too: right after a promotion both
    // entries name the same revision, and the primary's share is the other one's.
    const primaryTarget =
      traffic.find((t) => t.revisionName === primary && t.latestRevision !== true) ??
      traffic.find((t) => t.revisionName === primary);
    if (!canaryTarget || !primaryTarget)
      throw new Error(`Knative Service ${name} traffic spec invalid`);
    if (primaryTarget.percent === undefined)
      throw new Error(`Knative Service ${name} primary revision traffic percent does not exist`);
    if (canaryTarget.percent === undefined)
      throw new Error(`Knative Service ${name} canary revision traffic percent does not exist`);
    return {
      primaryWeight: primaryTarget.percent,
      canaryWeight: canaryTarget.percent,
      mirrored: false,
    };
  }

  /** Drops the annotation; the traffic stays as the last run left it. */
  async finalize(canary: Canary): Promise<void> {
    const service = await getKnativeService(this.api, canary);
    if (service.metadata.annotations?.[PRIMARY_REVISION_ANNOTATION] === undefined) return;
    const annotations = { ...service.metadata.annotations };
    delete annotations[PRIMARY_REVISION_ANNOTATION];
    service.metadata.annotations = annotations;
    await updateKnativeService(this.api, canary, service);
  }
}
