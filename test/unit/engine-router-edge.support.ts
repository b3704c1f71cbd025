/**
 * Shared rig of the contour, gloo, kuma, traefik and skipper router tests: Flagger's podinfo
 * tutorial with the provider's Canary and routing objects in the in-process playground, a
 * started release (6.0.1 canary next to the 6.0.0 primary), and the canary's share of
 * requests sent the way the provider's tutorial sends them.
 */
import type { KubeObject, ResourceRef } from '../../src/sim/store';
import { R } from '../../src/sim/store';
import { deployment, parseExposition, service } from '../support/sim-cluster';
import type { Rig } from './engine-support';
import {
  NS,
  podinfoCanary,
  podinfoConfig,
  podinfoDeployment,
  podinfoHpa,
  startRig,
} from './engine-support';
import { releaseShare } from './engine-router-release.support';

export const FLUX = {
  'kustomize.toolkit.fluxcd.io/reconcile': 'disabled',
  'helm.toolkit.fluxcd.io/driftDetection': 'disabled',
};

/** The tutorial with `provider` (no ingressRef unless given) and the provider's own objects. */
export function edgeRig(
  provider: string,
  options: {
    spec?: Record<string, unknown>;
    objects?: { ref: ResourceRef; object: KubeObject }[];
    canaryAnnotations?: Record<string, string>;
  } = {},
): Rig {
  const canary = podinfoCanary({ provider, ...options.spec });
  if (!options.spec?.['ingressRef']) delete (canary.spec as Record<string, unknown>).ingressRef;
  if (options.canaryAnnotations) canary.metadata.annotations = options.canaryAnnotations;
  const r = startRig([
    { ref: R.configmaps, object: podinfoConfig },
    { ref: R.deployments, object: podinfoDeployment() },
    { ref: R.hpas, object: podinfoHpa },
  ]);
  for (const { ref, object } of options.objects ?? [])
    r.cluster.apply(ref, structuredClone(object));
  r.cluster.apply(R.canaries, canary);
  return r;
}

/** The proxy's Deployment and Service (the generic app; its routing is the provider's). */
export function installProxy(r: Rig, namespace: string, name: string, image: string): void {
  if (!r.cluster.store.get(R.namespaces, undefined, namespace)) {
    r.cluster.apply(R.namespaces, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace },
    });
  }
  r.cluster.apply(R.deployments, deployment(namespace, name, { image, port: 8080 }));
  r.cluster.apply(R.services, service(namespace, name, name, 80));
}

/** Initializes, then releases 6.0.1 and waits until both versions serve. */
export {
  /** The share of n requests the 6.0.1 canary answers. */
  startCanary,
} from './engine-router-release.support';

/** The share of n requests the 6.0.1 canary answers, sent from the test namespace. */
export function canaryShare(
  r: Rig,
  n: number,
  url: string,
  headers: Record<string, string> = {},
): Promise<number> {
  return releaseShare(r, n, { url, headers, fromNamespace: NS });
}

export async function samples(r: Rig) {
  return parseExposition(await r.cluster.sim.metricsText());
}
