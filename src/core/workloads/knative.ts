/**
 * Flagger's KnativeController (pkg/canary/knative_controller.go): a Knative Service is its own
 * primary and canary. The primary is the revision named in the Service's
 * `flagger.app/primary-revision` annotation, the canary is the latest created revision, and a
 * revision's name stands for its spec hash. There is nothing to copy, scale or track: traffic
 * between the two revisions is the Service's `spec.traffic` (routers/knative.ts).
 */
import type { Canary } from '../canary';
import { hasSpecChanged } from '../canary';
import type { Revision, WorkloadController, WorkloadMetadata } from '../controller/ports';
import { ReadinessError } from '../controller/ports';
import type { KubeApi, KubeObject, ObjectRef } from '../kube/api';
import { errorText } from './common';

export const PRIMARY_REVISION_ANNOTATION = 'flagger.app/primary-revision';

export interface KnativeTrafficTarget {
  revisionName?: string;
  latestRevision?: boolean;
  percent?: number;
  tag?: string;
  [field: string]: unknown;
}

export interface KnativeService extends KubeObject {
  spec?: { template?: unknown; traffic?: KnativeTrafficTarget[]; [field: string]: unknown };
  status?: {
    latestCreatedRevisionName?: string;
    latestReadyRevisionName?: string;
    traffic?: KnativeTrafficTarget[];
    [field: string]: unknown;
  };
}

interface KnativeRevision extends KubeObject {
  status?: { conditions?: { type?: string; status?: string }[] };
}

export const knativeServiceRef = (canary: Canary): ObjectRef => ({
  apiVersion: 'serving.knative.dev/v1',
  kind: 'Service',
  namespace: canary.metadata.namespace ?? 'default',
  name: canary.spec.targetRef.name,
});

/** Flagger's texts name the Service `<name>.<namespace>`. */
const dotName = (canary: Canary): string =>
  `${canary.spec.targetRef.name}.${canary.metadata.namespace ?? 'default'}`;

/** Gets the canary's Knative Service; errors read "Knative Service x.ns get query error: ...". */
export async function getKnativeService(api: KubeApi, canary: Canary): Promise<KnativeService> {
  let service: KnativeService | undefined;
  try {
    service = await api.get<KnativeService>(knativeServiceRef(canary));
  } catch (err) {
    throw new Error(`Knative Service ${dotName(canary)} get query error: ${errorText(err)}`, {
      cause: err,
    });
  }
  if (!service) {
    throw new Error(
      `Knative Service ${dotName(canary)} get query error: services.serving.knative.dev "${canary.spec.targetRef.name}" not found`,
    );
  }
  return service;
}

/** Updates the Service (PUT with its resourceVersion); "... update query error <err>" as Flagger. */
export async function updateKnativeService(
  api: KubeApi,
  canary: Canary,
  service: KnativeService,
): Promise<void> {
  try {
    await api.replace(service);
  } catch (err) {
    throw new Error(`Knative Service ${dotName(canary)} update query error ${errorText(err)}`, {
      cause: err,
    });
  }
}

/** [latest revision: canary %, primary revision: primary %], in Flagger's order. */
export function knativeTraffic(
  primaryRevision: string,
  primaryPercent: number,
  canaryPercent: number,
): KnativeTrafficTarget[] {
  return [
    { latestRevision: true, percent: canaryPercent },
    { revisionName: primaryRevision, percent: primaryPercent },
  ];
}

export class KnativeController implements WorkloadController {
  constructor(private readonly api: KubeApi) {}

  /** No selector or ports: Knative routes by revision, and Flagger creates no Services. */
  async getMetadata(_canary: Canary): Promise<WorkloadMetadata> {
    return { labelSelector: '', labelValue: '', ports: {} };
  }

  /** Marks the current revision as the primary, with all the traffic, on first sight. */
  async initialize(canary: Canary): Promise<void> {
    const phase = canary.status?.phase ?? '';
    if (phase !== '' && phase !== 'Initializing') return;
    const service = await getKnativeService(this.api, canary);
    const latest = service.status?.latestCreatedRevisionName ?? '';
    service.metadata.annotations = {
      ...(service.metadata.annotations ?? {}),
      [PRIMARY_REVISION_ANNOTATION]: latest,
    };
    service.spec = { ...(service.spec ?? {}), traffic: knativeTraffic(latest, 100, 0) };
    await updateKnativeService(this.api, canary, service);
  }

  /** The latest revision becomes the primary. */
  async promote(canary: Canary): Promise<void> {
    const service = await getKnativeService(this.api, canary);
    service.metadata.annotations = {
      ...(service.metadata.annotations ?? {}),
      [PRIMARY_REVISION_ANNOTATION]: service.status?.latestCreatedRevisionName ?? '',
    };
    await updateKnativeService(this.api, canary, service);
  }

  /** The latest created revision's name is the "spec hash" Flagger stores. */
  async revision(canary: Canary): Promise<Revision> {
    const service = await getKnativeService(this.api, canary);
    return { hash: service.status?.latestCreatedRevisionName ?? '', trackedConfigs: {} };
  }

  async hasTargetChanged(canary: Canary): Promise<boolean> {
    const service = await getKnativeService(this.api, canary);
    return hasSpecChanged(canary.status, service.status?.latestCreatedRevisionName ?? '');
  }

  async haveDependenciesChanged(_canary: Canary): Promise<boolean> {
    return false;
  }

  async isPrimaryReady(canary: Canary): Promise<void> {
    const service = await this.readService(canary);
    const name = service.metadata.annotations?.[PRIMARY_REVISION_ANNOTATION];
    if (name === undefined) {
      throw new ReadinessError(
        `Knative Service ${dotName(canary)} primary revision annotation not found`,
        true,
      );
    }
    await this.revisionReady(canary, name);
  }

  async isCanaryReady(canary: Canary): Promise<void> {
    const service = await this.readService(canary);
    await this.revisionReady(canary, service.status?.latestCreatedRevisionName ?? '');
  }

  async scaleToZero(_canary: Canary): Promise<void> {}
  async scaleFromZero(_canary: Canary): Promise<void> {}
  async finalize(_canary: Canary): Promise<void> {}

  /** Readiness errors are retriable, as Flagger's (true, err). */
  private async readService(canary: Canary): Promise<KnativeService> {
    try {
      return await getKnativeService(this.api, canary);
    } catch (err) {
      throw new ReadinessError(errorText(err), true);
    }
  }

  private async revisionReady(canary: Canary, name: string): Promise<void> {
    const ns = canary.metadata.namespace ?? 'default';
    let revision: KnativeRevision | undefined;
    let problem: string | undefined;
    try {
      revision = await this.api.get<KnativeRevision>({
        apiVersion: 'serving.knative.dev/v1',
        kind: 'Revision',
        namespace: ns,
        name,
      });
      if (!revision) problem = `revisions.serving.knative.dev "${name}" not found`;
    } catch (err) {
      problem = errorText(err);
    }
    if (problem || !revision) {
      throw new ReadinessError(
        `Knative Revision ${name}.${ns} get query error: ${problem ?? 'not found'}`,
        true,
      );
    }
    const ready = revision.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready?.status !== 'True')
      throw new ReadinessError(`Knative Revision ${name}.${ns} is not ready`, true);
  }
}
