/**
 * Knative Serving's controllers, after knative.dev/serving, as far as Flagger, kubectl and the
 * playground's traffic see them. For each Knative Service:
 *
 * - a Configuration `<svc>` holding its template; every template change (not a traffic or
 *   metadata change) bumps the Configuration's generation and creates a Revision
 *   `<svc>-<generation, 5 digits>` (or `spec.template.metadata.name`), owned by it;
 * - per Revision a Deployment `<rev>-deployment` (pods labelled `serving.knative.dev/revision`
 *   and `app: <rev>`) and a Service `<rev>` (port 80 to the container port), and the Revision's
 *   Ready condition once the Deployment is available; revisions no traffic names scale to zero
 *   after a grace period, keeping Ready, as Knative's autoscaler does;
 * - a Route `<svc>` with the traffic resolved: `latestRevision` targets get the latest *ready*
 *   revision; while a named revision is not ready, the previous status.traffic stays;
 * - an ExternalName Service `<svc>` to Kourier's internal gateway, as net-kourier creates, so
 *   `http://<svc>.<ns>` resolves in the cluster (traffic/knative.ts routes it);
 * - the Service's status: URL `http://<svc>.<ns>.example.com` (Knative's default domain),
 *   latest created / ready revisions, traffic, and the Ready, ConfigurationsReady and
 *   RoutesReady conditions.
 */
import type { Condition, Deployment, PodSpec, Service } from '../kube';
import { controllerOf, isoTime, ownedBy, ownerReference, sameJson, setCondition } from '../kube';
import type { KubeObject, ResourceRef, StoreEvent } from '../store';
import { R } from '../store';
import type { ControllerContext } from './context';

export const KNATIVE = {
  services: { group: 'serving.knative.dev', resource: 'services' },
  configurations: { group: 'serving.knative.dev', resource: 'configurations' },
  revisions: { group: 'serving.knative.dev', resource: 'revisions' },
  routes: { group: 'serving.knative.dev', resource: 'routes' },
} as const satisfies Record<string, ResourceRef>;

const API_VERSION = 'serving.knative.dev/v1';
export const SERVICE_LABEL = 'serving.knative.dev/service';
export const CONFIGURATION_LABEL = 'serving.knative.dev/configuration';
export const CONFIGURATION_GENERATION_LABEL = 'serving.knative.dev/configurationGeneration';
export const REVISION_LABEL = 'serving.knative.dev/revision';
const ROUTE_LABEL = 'serving.knative.dev/route';
const ROUTING_STATE_LABEL = 'serving.knative.dev/routingState';
/** `cluster-local` on a Knative Service: no external URL, only the cluster address. */
export const VISIBILITY_LABEL = 'networking.knative.dev/visibility';
const PROGRESS_DEADLINE_ANNOTATION = 'serving.knative.dev/progress-deadline';

/** config-domain's default: `<svc>.<ns>.example.com`. */
export const DEFAULT_DOMAIN = 'example.com';
/** Where net-kourier points each Knative Service's placeholder Service. */
export const KOURIER_INTERNAL = 'kourier-internal.kourier-system.svc.cluster.local';
export const KOURIER_NAMESPACE = 'kourier-system';
/** The autoscaler's stable window plus scale-to-zero-grace-period, shortened for the playground. */
export const SCALE_TO_ZERO_AFTER_MS = 30_000;
const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;
const DEFAULT_CONTAINER_PORT = 8080;
const QUEUE_PROXY_IMAGE = 'gcr.io/knative-releases/knative.dev/serving/cmd/queue:v1.17.0';

export interface TrafficTarget {
  revisionName?: string;
  configurationName?: string;
  latestRevision?: boolean;
  percent?: number;
  tag?: string;
  url?: string;
}

interface RevisionTemplate {
  metadata?: {
    name?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: PodSpec;
}

export interface KnativeService extends KubeObject {
  spec?: { template?: RevisionTemplate; traffic?: TrafficTarget[] };
  status?: {
    observedGeneration?: number;
    url?: string;
    address?: { url?: string };
    latestCreatedRevisionName?: string;
    latestReadyRevisionName?: string;
    traffic?: TrafficTarget[];
    conditions?: Condition[];
  };
}

interface Configuration extends KubeObject {
  spec?: { template?: RevisionTemplate };
  status?: KnativeService['status'];
}

export interface Revision extends KubeObject {
  spec?: PodSpec;
  status?: {
    conditions?: Condition[];
    actualReplicas?: number;
    desiredReplicas?: number;
    serviceName?: string;
    observedGeneration?: number;
  };
}

interface Route extends KubeObject {
  spec?: { traffic?: TrafficTarget[] };
  status?: KnativeService['status'];
}

const DEFAULT_TRAFFIC: TrafficTarget[] = [{ latestRevision: true, percent: 100 }];

export function conditionOf(
  object: { status?: { conditions?: Condition[] } } | undefined,
  type: string,
): Condition | undefined {
  return object?.status?.conditions?.find((c) => c.type === type);
}

export function isRevisionReady(revision: Revision | undefined): boolean {
  return conditionOf(revision, 'Ready')?.status === 'True';
}

/** What a Knative Service asks for: its spec.traffic, or all to the latest revision. */
export function specTraffic(ksvc: KnativeService): TrafficTarget[] {
  const traffic = ksvc.spec?.traffic;
  return traffic && traffic.length > 0 ? traffic : DEFAULT_TRAFFIC;
}

export type TrafficResolution =
  { ok: true; traffic: TrafficTarget[] } | { ok: false; reason: string; message: string };

/**
 * Resolves spec.traffic as Knative's Route does: `latestRevision` targets name the latest ready
 * revision (and keep `latestRevision: true`), `revisionName` targets get `latestRevision: false`;
 * a target whose revision is missing or not ready fails the whole resolution.
 */
export function resolveTraffic(
  serviceName: string,
  targets: readonly TrafficTarget[],
  revisionOf: (name: string) => Revision | undefined,
  latestReady: string | undefined,
): TrafficResolution {
  const out: TrafficTarget[] = [];
  for (const target of targets) {
    const { configurationName: _configuration, url: _url, ...rest } = target;
    if (target.revisionName) {
      const revision = revisionOf(target.revisionName);
      if (!revision) {
        return {
          ok: false,
          reason: 'RevisionMissing',
          message: `Revision "${target.revisionName}" referenced in traffic not found.`,
        };
      }
      if (!isRevisionReady(revision)) {
        return {
          ok: false,
          reason: 'RevisionMissing',
          message: `Revision "${target.revisionName}" failed to become ready.`,
        };
      }
      out.push({ ...rest, latestRevision: false, percent: target.percent ?? 0 });
    } else {
      if (!latestReady) {
        return {
          ok: false,
          reason: 'RevisionMissing',
          message: `Configuration "${serviceName}" is waiting for a Revision to become ready.`,
        };
      }
      out.push({
        ...rest,
        revisionName: latestReady,
        latestRevision: true,
        percent: target.percent ?? 0,
      });
    }
  }
  return { ok: true, traffic: out };
}

export function knativeUrls(ksvc: KubeObject): { url: string; address: string } {
  const { name } = ksvc.metadata;
  const ns = ksvc.metadata.namespace ?? 'default';
  const address = `http://${name}.${ns}.svc.cluster.local`;
  const local = ksvc.metadata.labels?.[VISIBILITY_LABEL] === 'cluster-local';
  return { url: local ? address : `http://${name}.${ns}.${DEFAULT_DOMAIN}`, address };
}

const revisionName = (service: string, generation: number) =>
  `${service}-${String(generation).padStart(5, '0')}`;

const generationOf = (revision: KubeObject) =>
  Number(revision.metadata.labels?.[CONFIGURATION_GENERATION_LABEL] ?? 0) || 0;

function containerPort(spec: PodSpec | undefined): number {
  return spec?.containers?.[0]?.ports?.[0]?.containerPort ?? DEFAULT_CONTAINER_PORT;
}

function progressDeadlineSeconds(revision: Revision): number {
  const raw = revision.metadata.annotations?.[PROGRESS_DEADLINE_ANNOTATION];
  const m = raw ? /^(\d+)(s|m)?$/.exec(raw) : null;
  if (!m) return DEFAULT_PROGRESS_DEADLINE_SECONDS;
  return Number(m[1]) * (m[2] === 'm' ? 60 : 1);
}

function knativeCondition(
  type: string,
  status: Condition['status'],
  reason?: string,
  message?: string,
): Condition {
  return {
    type,
    status,
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
  };
}

export class KnativeServing {
  /** When each revision lost its last traffic reference (ns/name), for scale to zero. */
  private readonly unroutedSince = new Map<string, number>();

  constructor(private readonly ctx: ControllerContext) {}

  /** The refs whose objects seed the work queue on start. */
  initial(): [kind: 'knative-service' | 'knative-revision', ref: ResourceRef][] {
    return [
      ['knative-service', KNATIVE.services],
      ['knative-revision', KNATIVE.revisions],
    ];
  }

  /** Wakes the reconciles a change touches, as Knative's informers do. */
  onEvent(event: StoreEvent): void {
    const { ref, object } = event;
    const namespace = object.metadata.namespace ?? '';
    const owner = controllerOf(object.metadata);
    const serviceLabel = object.metadata.labels?.[SERVICE_LABEL];
    if (ref.group === 'serving.knative.dev') {
      if (ref.resource === 'services') {
        this.ctx.enqueue('knative-service', namespace, object.metadata.name);
        // Which revisions the traffic names decides which may scale to zero.
        if (event.type !== 'DELETED') {
          for (const rev of this.revisionsOf(namespace, object.metadata.name))
            this.ctx.enqueue('knative-revision', namespace, rev.metadata.name);
        }
      } else if (ref.resource === 'revisions') {
        if (event.type === 'DELETED')
          this.unroutedSince.delete(`${namespace}/${object.metadata.name}`);
        else this.ctx.enqueue('knative-revision', namespace, object.metadata.name);
        if (serviceLabel) this.ctx.enqueue('knative-service', namespace, serviceLabel);
      } else if (serviceLabel) {
        this.ctx.enqueue('knative-service', namespace, serviceLabel);
      }
    } else if (
      ref.group === 'apps' &&
      ref.resource === 'deployments' &&
      owner?.kind === 'Revision'
    ) {
      this.ctx.enqueue('knative-revision', namespace, owner.name);
    } else if (ref.group === '' && ref.resource === 'services' && owner?.kind === 'Route') {
      this.ctx.enqueue('knative-service', namespace, owner.name);
    }
  }

  private revisionsOf(namespace: string, service: string): Revision[] {
    return this.ctx.store.list(KNATIVE.revisions, namespace, {
      labelSelector: `${SERVICE_LABEL}=${service}`,
    }) as Revision[];
  }

  reconcileService(namespace: string, name: string): void {
    const { store } = this.ctx;
    const ksvc = store.get(KNATIVE.services, namespace, name) as KnativeService | undefined;
    if (!ksvc || ksvc.metadata.deletionTimestamp) return;
    const nowIso = isoTime(this.ctx.clock.now());

    const config = this.reconcileConfiguration(ksvc, nowIso);
    const route = this.reconcileRoute(ksvc, config, nowIso);
    this.reconcilePlaceholder(ksvc, route);

    const urls = knativeUrls(ksvc);
    const configReady = conditionOf(config, 'Ready');
    const routeReady = conditionOf(route, 'Ready');
    const previous = ksvc.status ?? {};
    let conditions = previous.conditions ?? [];
    const copy = (type: string, from: Condition | undefined) =>
      knativeCondition(type, from?.status ?? 'Unknown', from?.reason, from?.message);
    conditions = setCondition(conditions, copy('ConfigurationsReady', configReady), nowIso, {
      updateTime: false,
    });
    conditions = setCondition(conditions, copy('RoutesReady', routeReady), nowIso, {
      updateTime: false,
    });
    const notReady = [configReady, routeReady].find((c) => c?.status !== 'True');
    conditions = setCondition(
      conditions,
      notReady ? copy('Ready', notReady) : knativeCondition('Ready', 'True'),
      nowIso,
      { updateTime: false },
    );
    const status: KnativeService['status'] = {
      observedGeneration: ksvc.metadata.generation ?? 1,
      conditions: sortConditions(conditions),
      ...(config.status?.latestCreatedRevisionName
        ? { latestCreatedRevisionName: config.status.latestCreatedRevisionName }
        : {}),
      ...(config.status?.latestReadyRevisionName
        ? { latestReadyRevisionName: config.status.latestReadyRevisionName }
        : {}),
      url: urls.url,
      address: { url: urls.address },
      ...(route.status?.traffic ? { traffic: route.status.traffic } : {}),
    };
    if (!sameJson(previous, status)) {
      store.mutate(KNATIVE.services, namespace, name, (o) => void (o.status = status), {
        status: true,
      });
    }
  }

  /** The Configuration `<svc>`, a Revision for its current generation, and its status. */
  private reconcileConfiguration(ksvc: KnativeService, nowIso: string): Configuration {
    const { store } = this.ctx;
    const namespace = ksvc.metadata.namespace ?? '';
    const name = ksvc.metadata.name;
    const template = ksvc.spec?.template ?? {};
    let config = store.get(KNATIVE.configurations, namespace, name) as Configuration | undefined;
    if (!config) {
      config = store.create(KNATIVE.configurations, {
        apiVersion: API_VERSION,
        kind: 'Configuration',
        metadata: {
          name,
          namespace,
          labels: {
            ...(ksvc.metadata.labels ?? {}),
            [SERVICE_LABEL]: name,
            'serving.knative.dev/serviceUID': ksvc.metadata.uid ?? '',
          },
          annotations: { 'serving.knative.dev/routes': name },
          ownerReferences: [ownerReference(ksvc)],
        },
        spec: { template: structuredClone(template) },
      }) as Configuration;
    } else if (!sameJson(config.spec?.template ?? {}, template)) {
      // The store bumps the generation: the next Revision's number.
      config = (store.mutate(KNATIVE.configurations, namespace, name, (o) => {
        (o as Configuration).spec = { template: structuredClone(template) };
      }) ?? config) as Configuration;
    }

    const generation = config.metadata.generation ?? 1;
    const revisions = this.revisionsOf(namespace, name);
    let latest = revisions.find((r) => generationOf(r) === generation);
    if (!latest) {
      const wanted = template.metadata?.name ?? revisionName(name, generation);
      latest =
        revisions.find((r) => r.metadata.name === wanted) ??
        (store.create(
          KNATIVE.revisions,
          this.newRevision(ksvc, config, wanted, generation, nowIso),
        ) as Revision);
    }
    const ready = [latest, ...revisions.filter((r) => r !== latest)]
      .filter((r) => isRevisionReady(r) && generationOf(r) <= generationOf(latest))
      .sort((a, b) => generationOf(b) - generationOf(a))[0];

    const latestState = conditionOf(latest, 'Ready');
    const readyCondition =
      latestState?.status === 'True'
        ? knativeCondition('Ready', 'True')
        : latestState?.status === 'False'
          ? knativeCondition(
              'Ready',
              'False',
              'RevisionFailed',
              `Revision "${latest.metadata.name}" failed with message: ${latestState.message ?? ''}.`,
            )
          : knativeCondition(
              'Ready',
              'Unknown',
              ready ? undefined : 'RevisionMissing',
              ready
                ? undefined
                : `Configuration "${name}" is waiting for a Revision to become ready.`,
            );
    const previous = config.status ?? {};
    const status: Configuration['status'] = {
      observedGeneration: generation,
      latestCreatedRevisionName: latest.metadata.name,
      ...(ready ? { latestReadyRevisionName: ready.metadata.name } : {}),
      conditions: setCondition(previous.conditions ?? [], readyCondition, nowIso, {
        updateTime: false,
      }),
    };
    if (!sameJson(previous, status)) {
      config = (store.mutate(
        KNATIVE.configurations,
        namespace,
        name,
        (o) => void (o.status = status),
        {
          status: true,
        },
      ) ?? config) as Configuration;
    }
    return config;
  }

  private newRevision(
    ksvc: KnativeService,
    config: Configuration,
    name: string,
    generation: number,
    nowIso: string,
  ): Revision {
    const template = structuredClone(ksvc.spec?.template ?? {});
    const containers = (template.spec?.containers ?? []).map((c, i) => ({
      ...c,
      name: c.name || (i === 0 ? 'user-container' : `container-${i}`),
    }));
    return {
      apiVersion: API_VERSION,
      kind: 'Revision',
      metadata: {
        name,
        namespace: ksvc.metadata.namespace,
        labels: {
          ...(template.metadata?.labels ?? {}),
          [CONFIGURATION_LABEL]: config.metadata.name,
          [CONFIGURATION_GENERATION_LABEL]: String(generation),
          'serving.knative.dev/configurationUID': config.metadata.uid ?? '',
          [ROUTING_STATE_LABEL]: 'active',
          [SERVICE_LABEL]: ksvc.metadata.name,
          'serving.knative.dev/serviceUID': ksvc.metadata.uid ?? '',
        },
        annotations: {
          ...(template.metadata?.annotations ?? {}),
          'serving.knative.dev/routes': ksvc.metadata.name,
          'serving.knative.dev/routingStateModified': nowIso,
        },
        ownerReferences: [ownerReference(config)],
      },
      spec: {
        containerConcurrency: 0,
        enableServiceLinks: false,
        timeoutSeconds: 300,
        ...(template.spec ?? {}),
        containers,
      },
    };
  }

  /** The Route `<svc>`: spec.traffic mirrored, status.traffic resolved (or kept). */
  private reconcileRoute(ksvc: KnativeService, config: Configuration, nowIso: string): Route {
    const { store } = this.ctx;
    const namespace = ksvc.metadata.namespace ?? '';
    const name = ksvc.metadata.name;
    // The Service controller hands the Route its Configuration's name for `latestRevision`.
    const spec = {
      traffic: specTraffic(ksvc).map((t) =>
        t.revisionName ? { ...t } : { configurationName: name, ...t, latestRevision: true },
      ),
    };
    let route = store.get(KNATIVE.routes, namespace, name) as Route | undefined;
    if (!route) {
      route = store.create(KNATIVE.routes, {
        apiVersion: API_VERSION,
        kind: 'Route',
        metadata: {
          name,
          namespace,
          labels: { ...(ksvc.metadata.labels ?? {}), [SERVICE_LABEL]: name },
          ownerReferences: [ownerReference(ksvc)],
        },
        spec,
      }) as Route;
    } else if (!sameJson(route.spec ?? {}, spec)) {
      route = (store.mutate(KNATIVE.routes, namespace, name, (o) => {
        (o as Route).spec = spec;
      }) ?? route) as Route;
    }

    const resolution = resolveTraffic(
      name,
      specTraffic(ksvc),
      (rev) => store.get(KNATIVE.revisions, namespace, rev) as Revision | undefined,
      config.status?.latestReadyRevisionName,
    );
    const previous = route.status ?? {};
    const urls = knativeUrls(ksvc);
    let conditions = previous.conditions ?? [];
    const assigned = resolution.ok
      ? knativeCondition('AllTrafficAssigned', 'True')
      : knativeCondition('AllTrafficAssigned', 'Unknown', resolution.reason, resolution.message);
    conditions = setCondition(conditions, assigned, nowIso, { updateTime: false });
    conditions = setCondition(conditions, knativeCondition('IngressReady', 'True'), nowIso, {
      updateTime: false,
    });
    conditions = setCondition(
      conditions,
      resolution.ok ? knativeCondition('Ready', 'True') : { ...assigned, type: 'Ready' },
      nowIso,
      { updateTime: false },
    );
    // Like Knative, an unresolvable target keeps the traffic the ingress serves now.
    const traffic = resolution.ok ? resolution.traffic : previous.traffic;
    const status: Route['status'] = {
      observedGeneration: route.metadata.generation ?? 1,
      url: urls.url,
      address: { url: urls.address },
      conditions: sortConditions(conditions),
      ...(traffic ? { traffic } : {}),
    };
    if (!sameJson(previous, status)) {
      route = (store.mutate(KNATIVE.routes, namespace, name, (o) => void (o.status = status), {
        status: true,
      }) ?? route) as Route;
    }
    return route;
  }

  /** net-kourier's placeholder Service `<svc>`, so the cluster name resolves. */
  private reconcilePlaceholder(ksvc: KnativeService, route: Route): void {
    const { store } = this.ctx;
    const namespace = ksvc.metadata.namespace ?? '';
    const name = ksvc.metadata.name;
    const existing = store.get(R.services, namespace, name) as Service | undefined;
    if (existing) return; // ours already, or the user's own: never taken over
    store.create(R.services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name,
        namespace,
        labels: { [SERVICE_LABEL]: name, [ROUTE_LABEL]: name },
        ownerReferences: [ownerReference(route)],
      },
      spec: {
        type: 'ExternalName',
        externalName: KOURIER_INTERNAL,
        ports: [{ name: 'http2', port: 80, protocol: 'TCP', targetPort: 80 }],
        sessionAffinity: 'None',
      },
    });
  }

  /** A Revision's Deployment and Service, its scale (1, or 0 when unrouted), and its status. */
  reconcileRevision(namespace: string, name: string): void {
    const { store, clock } = this.ctx;
    const revision = store.get(KNATIVE.revisions, namespace, name) as Revision | undefined;
    if (!revision || revision.metadata.deletionTimestamp) return;
    const key = `${namespace}/${name}`;
    const now = clock.now();

    let desired = 1;
    if (this.isRouted(revision)) this.unroutedSince.delete(key);
    else {
      const since = this.unroutedSince.get(key) ?? now;
      this.unroutedSince.set(key, since);
      if (now - since >= SCALE_TO_ZERO_AFTER_MS) desired = 0;
      else
        this.ctx.after(since + SCALE_TO_ZERO_AFTER_MS - now, 'knative-revision', namespace, name);
    }
    const routingState = desired > 0 ? 'active' : 'reserve';
    if (revision.metadata.labels?.[ROUTING_STATE_LABEL] !== routingState) {
      store.mutate(KNATIVE.revisions, namespace, name, (o) => {
        o.metadata.labels = { ...(o.metadata.labels ?? {}), [ROUTING_STATE_LABEL]: routingState };
      });
    }

    const deployment = this.reconcileDeployment(revision, desired);
    this.reconcileRevisionService(revision);

    const available = Number(deployment.status?.['availableReplicas'] ?? 0);
    const actual = Number(deployment.status?.['readyReplicas'] ?? 0);
    const previous = revision.status ?? {};
    const wasReady = conditionOf(revision, 'Ready')?.status === 'True';
    const progressing = (deployment.status?.['conditions'] as Condition[] | undefined)?.find(
      (c) => c.type === 'Progressing',
    );
    const nowIso = isoTime(now);
    let health: Condition;
    if (available > 0 || wasReady) health = knativeCondition('Ready', 'True');
    else if (progressing?.reason === 'ProgressDeadlineExceeded')
      health = knativeCondition(
        'Ready',
        'False',
        'ProgressDeadlineExceeded',
        'Initial scale was never achieved',
      );
    else health = knativeCondition('Ready', 'Unknown', 'Deploying');
    let conditions = previous.conditions ?? [];
    for (const type of ['ResourcesAvailable', 'ContainerHealthy', 'Ready']) {
      conditions = setCondition(conditions, { ...health, type }, nowIso, { updateTime: false });
    }
    conditions = setCondition(
      conditions,
      actual > 0
        ? knativeCondition('Active', 'True')
        : desired === 0
          ? knativeCondition('Active', 'False', 'NoTraffic', 'The target is not receiving traffic.')
          : knativeCondition('Active', 'Unknown', 'Deploying'),
      nowIso,
      { updateTime: false },
    );
    const status: Revision['status'] = {
      observedGeneration: revision.metadata.generation ?? 1,
      actualReplicas: actual,
      desiredReplicas: desired,
      serviceName: name,
      conditions: sortConditions(conditions),
    };
    if (!sameJson(previous, status)) {
      store.mutate(KNATIVE.revisions, namespace, name, (o) => void (o.status = status), {
        status: true,
      });
    }
  }

  /** Whether traffic names the revision, or it is the latest: those never scale to zero. */
  private isRouted(revision: Revision): boolean {
    const name = revision.metadata.name;
    const service = revision.metadata.labels?.[SERVICE_LABEL];
    const ksvc = service
      ? (this.ctx.store.get(KNATIVE.services, revision.metadata.namespace, service) as
          KnativeService | undefined)
      : undefined;
    if (!ksvc) return false;
    // Until the Service has a status, its newest revision is the one about to be latest.
    if (!ksvc.status?.latestCreatedRevisionName) return true;
    const named = [
      ...specTraffic(ksvc).map((t) => t.revisionName),
      ...(ksvc.status?.traffic ?? [])
        .filter((t) => (t.percent ?? 0) > 0)
        .map((t) => t.revisionName),
      ksvc.status?.latestCreatedRevisionName,
      ksvc.status?.latestReadyRevisionName,
    ];
    return named.includes(name);
  }

  private reconcileDeployment(revision: Revision, replicas: number): Deployment {
    const { store } = this.ctx;
    const namespace = revision.metadata.namespace ?? '';
    const name = `${revision.metadata.name}-deployment`;
    const existing = store.get(R.deployments, namespace, name) as Deployment | undefined;
    if (existing && ownedBy(existing, revision)) {
      if ((existing.spec?.replicas ?? 1) === replicas) return existing;
      return (store.mutate(R.deployments, namespace, name, (o) => {
        const d = o as Deployment;
        d.spec = { ...(d.spec ?? {}), replicas };
      }) ?? existing) as Deployment;
    }
    if (existing) return existing;
    const rev = revision.metadata.name;
    const labels: Record<string, string> = {
      // Knative names the app after the revision unless the template says otherwise.
      app: rev,
      ...(revision.metadata.labels ?? {}),
      [REVISION_LABEL]: rev,
      'serving.knative.dev/revisionUID': revision.metadata.uid ?? '',
    };
    delete labels[ROUTING_STATE_LABEL];
    const spec = revision.spec ?? {};
    const port = containerPort(spec);
    const containers = (spec.containers ?? []).map((c, i) =>
      i === 0
        ? {
            ...c,
            env: [
              ...(c.env ?? []),
              { name: 'PORT', value: String(port) },
              { name: 'K_REVISION', value: rev },
              { name: 'K_CONFIGURATION', value: labels[CONFIGURATION_LABEL] ?? '' },
              { name: 'K_SERVICE', value: labels[SERVICE_LABEL] ?? '' },
            ],
          }
        : c,
    );
    containers.push({
      name: 'queue-proxy',
      image: QUEUE_PROXY_IMAGE,
      ports: [
        { name: 'http-queueadm', containerPort: 8022 },
        { name: 'http-autometric', containerPort: 9090 },
        { name: 'http-usermetric', containerPort: 9091 },
        { name: 'queue-port', containerPort: 8012 },
      ],
    });
    const podSpec: PodSpec = { ...spec, containers };
    delete podSpec['containerConcurrency'];
    delete podSpec['timeoutSeconds'];
    return store.create(R.deployments, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name,
        namespace,
        labels,
        annotations: { ...(revision.metadata.annotations ?? {}) },
        ownerReferences: [ownerReference(revision)],
      },
      spec: {
        replicas,
        progressDeadlineSeconds: progressDeadlineSeconds(revision),
        selector: { matchLabels: { [REVISION_LABEL]: rev } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
        template: {
          // The template's annotations carry the playground's behaviour (error rate, latency).
          metadata: { labels, annotations: { ...(revision.metadata.annotations ?? {}) } },
          spec: podSpec,
        },
      },
    }) as Deployment;
  }

  private reconcileRevisionService(revision: Revision): void {
    const { store } = this.ctx;
    const namespace = revision.metadata.namespace ?? '';
    const rev = revision.metadata.name;
    if (store.get(R.services, namespace, rev)) return;
    store.create(R.services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: rev,
        namespace,
        labels: {
          [REVISION_LABEL]: rev,
          [CONFIGURATION_LABEL]: revision.metadata.labels?.[CONFIGURATION_LABEL] ?? '',
          [SERVICE_LABEL]: revision.metadata.labels?.[SERVICE_LABEL] ?? '',
        },
        ownerReferences: [ownerReference(revision)],
      },
      spec: {
        selector: { [REVISION_LABEL]: rev },
        ports: [
          { name: 'http', port: 80, protocol: 'TCP', targetPort: containerPort(revision.spec) },
        ],
      },
    });
  }
}

/** Knative's condition sets keep their conditions sorted by type. */
function sortConditions(conditions: Condition[]): Condition[] {
  return [...conditions].sort((a, b) => a.type.localeCompare(b.type));
}
