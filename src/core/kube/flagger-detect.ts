/**
 * Is Flagger itself running in the cluster? Then Aviary observes and operates Flagger's
 * canaries (gates, rollback) instead of driving them: two controllers must never drive
 * one canary.
 *
 * Only a definite answer is returned: any error other than Forbidden (unreachable,
 * timeout, 5xx) is thrown, because "absent" would let Aviary start driving canaries
 * Flagger already drives. Namespaces the user may not list are skipped.
 */
import { KubeApiError, type KubeApi, type KubeObject } from './api';

export interface FlaggerPresence {
  present: boolean;
  /** namespace/name of the Flagger Deployment. */
  where?: string;
}

/** Where Flagger's charts and the mesh guides install it, for users who cannot list cluster-wide. */
export const FLAGGER_NAMESPACES = [
  'flagger-system',
  'istio-system',
  'linkerd',
  'appmesh-system',
  'ingress-nginx',
  'kube-system',
];

export async function detectInClusterFlagger(api: KubeApi): Promise<FlaggerPresence> {
  try {
    return await findIn(api, undefined);
  } catch (err) {
    if (!isForbidden(err)) throw err;
  }
  for (const namespace of FLAGGER_NAMESPACES) {
    try {
      const found = await findIn(api, namespace);
      if (found.present) return found;
    } catch (err) {
      if (!isForbidden(err)) throw err;
    }
  }
  return { present: false };
}

async function findIn(api: KubeApi, namespace: string | undefined): Promise<FlaggerPresence> {
  const [byName, byLabel] = await Promise.all([
    api.list('apps/v1', 'Deployment', namespace, { fieldSelector: 'metadata.name=flagger' }),
    api.list('apps/v1', 'Deployment', namespace, {
      labelSelector: 'app.kubernetes.io/name=flagger',
    }),
  ]);
  const found: KubeObject | undefined = byName[0] ?? byLabel[0];
  if (!found) return { present: false };
  return { present: true, where: `${found.metadata.namespace ?? ''}/${found.metadata.name}` };
}

function isForbidden(err: unknown): boolean {
  return err instanceof KubeApiError && err.reason === 'Forbidden';
}
