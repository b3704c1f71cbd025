/**
 * The ReplicaSet controller: keeps spec.replicas pods of the template, removes extra pods
 * unready-first then newest-first (as Kubernetes ranks them), and reports the counts.
 */
import type { Pod, ReplicaSet } from '../kube';
import { isPodReady, ownedBy, sameJson } from '../kube';
import type { KubeObject } from '../store';
import { R } from '../store';
import type { ControllerContext } from './context';
import { podFromTemplate } from './pods';

export function selectorString(
  matchLabels: Record<string, string> | undefined,
): string | undefined {
  const entries = Object.entries(matchLabels ?? {});
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(',') : undefined;
}

/** The live (not terminating) pods a selector matches; by default only those the owner controls. */
export function podsOf(
  ctx: ControllerContext,
  owner: KubeObject,
  matchLabels: Record<string, string> | undefined,
  ownedOnly = true,
): Pod[] {
  const labelSelector = selectorString(matchLabels);
  const pods = ctx.store.list(
    R.pods,
    owner.metadata.namespace,
    labelSelector ? { labelSelector } : undefined,
  ) as Pod[];
  return pods.filter((p) => (!ownedOnly || ownedBy(p, owner)) && !p.metadata.deletionTimestamp);
}

export function reconcileReplicaSet(ctx: ControllerContext, namespace: string, name: string): void {
  const rs = ctx.store.get(R.replicasets, namespace, name) as ReplicaSet | undefined;
  if (!rs || rs.metadata.deletionTimestamp) return;
  const desired = rs.spec?.replicas ?? 1;
  let pods = podsOf(ctx, rs, rs.spec?.selector?.matchLabels);

  if (pods.length < desired) {
    for (let i = pods.length; i < desired; i++) {
      const pod = podFromTemplate(ctx, rs, rs.spec?.template ?? {}, { nameBase: name });
      pods.push(ctx.store.create(R.pods, pod) as Pod);
    }
  } else if (pods.length > desired) {
    const ranked = [...pods].sort((a, b) => {
      const readyDiff = Number(isPodReady(a)) - Number(isPodReady(b));
      if (readyDiff !== 0) return readyDiff;
      return (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '');
    });
    const victims = new Set(ranked.slice(0, pods.length - desired).map((p) => p.metadata.name));
    for (const victim of victims) ctx.store.delete(R.pods, namespace, victim);
    pods = pods.filter((p) => !victims.has(p.metadata.name));
  }

  const ready = pods.filter(isPodReady).length;
  // Zero counts are omitted, as the API serializes them (omitempty), except replicas.
  const status: NonNullable<ReplicaSet['status']> = { replicas: pods.length };
  if (pods.length) status.fullyLabeledReplicas = pods.length;
  if (ready) status.readyReplicas = ready;
  if (ready) status.availableReplicas = ready;
  status.observedGeneration = rs.metadata.generation ?? 1;
  if (!sameJson(rs.status ?? {}, status)) {
    ctx.store.mutate(R.replicasets, namespace, name, (o) => void (o.status = status), {
      status: true,
    });
  }
}
