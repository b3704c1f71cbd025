/**
 * Flagger's KubernetesDefaultRouter (pkg/router/kubernetes_default.go): the ClusterIP Services
 * `<apex>-canary` (target pods), `<apex>-primary` (primary pods) and `<apex>` (primary pods, the
 * one clients use). A Service target (Knative) gets Flagger's KubernetesNoopRouter instead.
 */
import type { Canary, CustomMetadata, StringMap } from '../canary';
import { serviceNames } from '../canary';
import type { ServiceRouter, WorkloadMetadata } from '../controller/ports';
import type { KubeApi, KubeObject, ObjectRef } from '../kube/api';
import { workloadFor } from '../workloads';
import type { WorkloadOptions } from '../workloads';
import { canaryOwnerReference, canaryOwnership } from '../workloads/common';
import { flaggerManagedAnnotations } from './metadata';
import * as t from './texts';
import { withFlaggerError } from './upsert';

export interface ServicePort {
  name?: string;
  protocol?: string;
  appProtocol?: string;
  port: number;
  targetPort?: number | string;
  nodePort?: number;
  [field: string]: unknown;
}

export interface Service extends KubeObject {
  spec?: {
    type?: string;
    clusterIP?: string;
    selector?: StringMap;
    ports?: ServicePort[];
    trafficDistribution?: string;
    [field: string]: unknown;
  };
}

const KUBECTL_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

export interface KubernetesServiceRouterOptions {
  /** GetMetadata for a canary; by default its workload controller's. */
  metadata?: (canary: Canary) => Promise<WorkloadMetadata>;
  workloadOptions?: WorkloadOptions;
}

export class KubernetesServiceRouter implements ServiceRouter {
  private readonly metadata: (canary: Canary) => Promise<WorkloadMetadata>;

  constructor(
    private readonly api: KubeApi,
    options: KubernetesServiceRouterOptions = {},
  ) {
    this.metadata =
      options.metadata ??
      ((canary) => workloadFor(canary, api, options.workloadOptions).getMetadata(canary));
  }

  /** The canary and primary services. */
  async initialize(canary: Canary): Promise<void> {
    if (canary.spec.targetRef.kind === 'Service') return;
    const meta = await this.metadata(canary);
    const names = serviceNames(canary);
    await this.reconcileOrWrap(
      canary,
      meta,
      names.canary,
      meta.labelValue,
      canary.spec.service.canary,
    );
    await this.reconcileOrWrap(
      canary,
      meta,
      names.primary,
      `${meta.labelValue}-primary`,
      canary.spec.service.primary,
    );
  }

  /** The apex service, pointed at the primary's pods (a user's own apex Service is taken over). */
  async reconcile(canary: Canary): Promise<void> {
    if (canary.spec.targetRef.kind === 'Service') return;
    const meta = await this.metadata(canary);
    await this.reconcileOrWrap(
      canary,
      meta,
      serviceNames(canary).apex,
      `${meta.labelValue}-primary`,
      canary.spec.service.apex,
    );
  }

  /**
   * Gives back an apex Service the canary did not create: its selector from kubectl's
   * last-applied configuration when there is one, else pointed at the target's pods. A
   * Service the canary owns is left to garbage collection.
   */
  async finalize(canary: Canary): Promise<void> {
    if (canary.spec.targetRef.kind === 'Service') return;
    const ns = canary.metadata.namespace;
    const apex = serviceNames(canary).apex;
    const svc: Service | undefined = await withFlaggerError(
      () => this.api.get<Service>(serviceRef(ns, apex)),
      (err) => t.serviceFinalizeGetQueryError(apex, ns, err),
    );
    if (!svc) {
      throw new Error(t.serviceFinalizeGetQueryError(apex, ns, `services "${apex}" not found`));
    }
    const { canaryOwned, ownedByThis } = canaryOwnership(svc, canary.metadata.name);
    if (canaryOwned || ownedByThis) return;

    const lastApplied = svc.metadata.annotations?.[KUBECTL_ANNOTATION];
    if (lastApplied !== undefined) {
      let stored: { spec?: { selector?: StringMap } };
      try {
        stored = JSON.parse(lastApplied) as { spec?: { selector?: StringMap } };
      } catch {
        throw new Error(t.unmarshalAnnotationFailed(svc.metadata.name, ns, KUBECTL_ANNOTATION));
      }
      const clone = structuredClone(svc);
      const spec = (clone.spec ??= {});
      if (stored.spec?.selector === undefined) delete spec.selector;
      else spec.selector = stored.spec.selector;
      await withFlaggerError(
        () => this.api.replace(clone),
        (err) => t.serviceUpdateError(clone.metadata.name, err),
      );
      return;
    }
    const meta = await this.metadata(canary);
    await this.reconcileOrWrap(canary, meta, apex, meta.labelValue, undefined);
  }

  private async reconcileOrWrap(
    canary: Canary,
    meta: WorkloadMetadata,
    name: string,
    podSelector: string,
    custom: CustomMetadata | undefined,
  ): Promise<void> {
    await withFlaggerError(
      () => this.reconcileService(canary, meta, name, podSelector, custom),
      (err) => t.reconcileServiceFailed(err),
    );
  }

  private async reconcileService(
    canary: Canary,
    meta: WorkloadMetadata,
    name: string,
    podSelector: string,
    custom: CustomMetadata | undefined,
  ): Promise<void> {
    const ns = canary.metadata.namespace;
    const service = canary.spec.service;
    const targetPort =
      service.targetPort !== undefined && String(service.targetPort) !== '0'
        ? service.targetPort
        : service.port;
    const ports: ServicePort[] = [
      {
        name: service.portName ? service.portName : 'http',
        protocol: 'TCP',
        port: service.port,
        targetPort,
        ...(service.appProtocol ? { appProtocol: service.appProtocol } : {}),
      },
    ];
    // portDiscovery: Go ranges over a map here; sorted by name the result is stable.
    for (const [portName, port] of Object.entries(meta.ports).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    )) {
      ports.push({ name: portName, protocol: 'TCP', port, targetPort: port });
    }
    const selector: StringMap = { [meta.labelSelector]: podSelector };
    const labels: StringMap = { ...(custom?.labels ?? {}), [meta.labelSelector]: name };
    const annotations: StringMap = { ...(custom?.annotations ?? {}) };

    const svc: Service | undefined = await withFlaggerError(
      () => this.api.get<Service>(serviceRef(ns, name)),
      (err) => t.serviceGetQueryError(name, err),
    );

    if (!svc) {
      const created: Service = {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: {
          name,
          namespace: ns,
          labels,
          annotations: flaggerManagedAnnotations(annotations),
          ownerReferences: [canaryOwnerReference(canary)],
        },
        spec: {
          type: 'ClusterIP',
          selector,
          ports,
          ...(service.headless ? { clusterIP: 'None' } : {}),
          ...(service.trafficDistribution
            ? { trafficDistribution: service.trafficDistribution }
            : {}),
        },
      };
      await withFlaggerError(
        () => this.api.create(created),
        (err) => t.serviceCreateError(name, ns, err),
      );
      return;
    }

    // Node ports the cluster assigned stay as they are.
    for (const existing of svc.spec?.ports ?? []) {
      const wanted = ports.find((p) => p.name === existing.name);
      if (wanted && (existing.nodePort ?? 0) > 0) wanted.nodePort = existing.nodePort;
    }
    const clone = structuredClone(svc);
    const cloneSpec = (clone.spec ??= {});
    let update = false;
    // Only ports and selector are compared: clusterIP, type and the rest stay the cluster's.
    if (!samePorts(ports, svc.spec?.ports ?? []) || !sameMap(selector, svc.spec?.selector)) {
      cloneSpec.ports = ports;
      cloneSpec.selector = selector;
      update = true;
    }

    // Labels and annotations are managed only on Services this canary created.
    if (canaryOwnership(svc, canary.metadata.name).ownedByThis) {
      const current = svc.metadata.annotations ?? {};
      const unmanaged = service.unmanagedMetadata;
      const newAnnotations = flaggerManagedAnnotations(annotations);
      for (const key of unmanaged?.annotations ?? []) {
        const value = current[key];
        if (value !== undefined) newAnnotations[key] = value;
      }
      const newLabels = { ...labels };
      for (const key of unmanaged?.labels ?? []) {
        const value = svc.metadata.labels?.[key];
        if (value !== undefined) newLabels[key] = value;
      }
      if (!sameMap(newAnnotations, current)) {
        clone.metadata.annotations = newAnnotations;
        update = true;
      }
      if (!sameMap(newLabels, svc.metadata.labels)) {
        clone.metadata.labels = newLabels;
        update = true;
      }
    }
    if (!update) return;
    clone.metadata.annotations = flaggerManagedAnnotations(clone.metadata.annotations ?? {});
    await withFlaggerError(
      () => this.api.replace(clone),
      (err) => t.serviceUpdateError(name, err),
    );
  }
}

function serviceRef(namespace: string, name: string): ObjectRef {
  return { apiVersion: 'v1', kind: 'Service', namespace, name };
}

/** cmp.Diff of []ServicePort with SortSlices by port, on the fields Flagger sets. */
function samePorts(wanted: ServicePort[], actual: ServicePort[]): boolean {
  const key = (p: ServicePort): string =>
    JSON.stringify([
      p.name ?? '',
      p.protocol ?? '',
      p.appProtocol ?? '',
      p.port,
      // IntOrString: 8080 and "8080" are different values.
      typeof p.targetPort === 'number' ? p.targetPort : `s:${p.targetPort ?? ''}`,
      p.nodePort ?? 0,
    ]);
  const sorted = (ports: ServicePort[]): string[] =>
    [...ports].sort((a, b) => a.port - b.port).map(key);
  const a = sorted(wanted);
  const b = sorted(actual);
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

function sameMap(a: StringMap | undefined, b: StringMap | undefined): boolean {
  const ea = Object.entries(a ?? {});
  if (ea.length !== Object.keys(b ?? {}).length) return false;
  return ea.every(([k, v]) => b?.[k] === v);
}
