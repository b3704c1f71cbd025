/**
 * The Deployment controller, after kube-controller-manager's: one ReplicaSet per pod
 * template (named <deployment>-<pod-template-hash>, revision annotation), a rolling
 * replacement bounded by maxSurge/maxUnavailable (or Recreate), old ReplicaSets kept up
 * to revisionHistoryLimit, and the status `kubectl rollout status` and Flagger read:
 * observedGeneration, the replica counts, and the Progressing / Available conditions,
 * including ProgressDeadlineExceeded when no progress was made for
 * spec.progressDeadlineSeconds.
 */
import type { Condition, Deployment, ReplicaSet } from '../kube';
import {
  POD_TEMPLATE_HASH,
  isPodReady,
  REVISION_ANNOTATION,
  isoTime,
  ownedBy,
  ownerReference,
  sameJson,
  scaledValue,
  setCondition,
  templateHash,
} from '../kube';
import { R } from '../store';
import type { ControllerContext } from './context';
import { podsOf, selectorString } from './replicasets';

const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;

const replicasOf = (rs: ReplicaSet) => rs.spec?.replicas ?? 0;
const revisionOf = (rs: ReplicaSet) =>
  Number(rs.metadata.annotations?.[REVISION_ANNOTATION] ?? 0) || 0;
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

interface DeploymentStatusCounts {
  replicas: number;
  updatedReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
}

export function reconcileDeployment(ctx: ControllerContext, namespace: string, name: string): void {
  const d = ctx.store.get(R.deployments, namespace, name) as Deployment | undefined;
  if (!d || d.metadata.deletionTimestamp) return;
  const spec = d.spec ?? {};
  const desired = spec.replicas ?? 1;
  const template = spec.template ?? {};
  const hash = templateHash(template);
  const labelSelector = selectorString(spec.selector?.matchLabels);
  const owned = (
    ctx.store.list(
      R.replicasets,
      namespace,
      labelSelector ? { labelSelector } : undefined,
    ) as ReplicaSet[]
  ).filter((rs) => ownedBy(rs, d));
  const maxRevision = Math.max(0, ...owned.map(revisionOf));
  const now = ctx.clock.now();
  let note: Condition | undefined;

  // Pod counts come from the pods themselves: a ReplicaSet's status may not yet show the
  // pods it just lost or gained, and acting on it would scale old versions down too far.
  const pods = podsOf(ctx, d, spec.selector?.matchLabels, false);
  const podCount = (rs: ReplicaSet) => pods.filter((p) => ownedBy(p, rs)).length;
  const readyOf = (rs: ReplicaSet) => pods.filter((p) => ownedBy(p, rs) && isPodReady(p)).length;
  // A pod its ReplicaSet is about to delete no longer counts (Kubernetes' "expectations").
  const availableOf = (rs: ReplicaSet) => Math.min(readyOf(rs), replicasOf(rs));

  let newRS = owned.find((rs) => rs.metadata.labels?.[POD_TEMPLATE_HASH] === hash);
  if (!newRS) {
    newRS = ctx.store.create(R.replicasets, newReplicaSet(d, hash, maxRevision + 1)) as ReplicaSet;
    note = progressing(
      'True',
      'NewReplicaSetCreated',
      `Created new replica set "${newRS.metadata.name}"`,
    );
  } else if (revisionOf(newRS) < maxRevision) {
    // A rollback to an older template reuses its ReplicaSet under the next revision.
    newRS = ctx.store.mutate(R.replicasets, namespace, newRS.metadata.name, (o) => {
      o.metadata.annotations = {
        ...(o.metadata.annotations ?? {}),
        [REVISION_ANNOTATION]: String(maxRevision + 1),
      };
    }) as ReplicaSet;
    note = progressing(
      'True',
      'FoundNewReplicaSet',
      `Found new replica set "${newRS.metadata.name}"`,
    );
  }
  const newName = newRS.metadata.name;
  const olds = owned
    .filter((rs) => rs.metadata.name !== newName)
    .sort((a, b) => revisionOf(a) - revisionOf(b));

  const recreate = spec.strategy?.type === 'Recreate';
  const rolling = spec.strategy?.rollingUpdate;
  const maxSurge = recreate ? 0 : scaledValue(rolling?.maxSurge, desired, '25%', true);
  let maxUnavailable = recreate ? 0 : scaledValue(rolling?.maxUnavailable, desired, '25%', false);
  if (!recreate && maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;

  const scale = (rs: ReplicaSet, replicas: number): ReplicaSet => {
    if (replicasOf(rs) === replicas) return rs;
    return (ctx.store.mutate(R.replicasets, namespace, rs.metadata.name, (o) => {
      const r = o as ReplicaSet;
      r.spec = { ...(r.spec ?? {}), replicas };
      r.metadata.annotations = {
        ...(r.metadata.annotations ?? {}),
        'deployment.kubernetes.io/desired-replicas': String(desired),
        'deployment.kubernetes.io/max-replicas': String(desired + maxSurge),
      };
    }) ?? rs) as ReplicaSet;
  };

  let current = newRS;
  let previous = olds;
  if (!spec.paused) {
    const activeOlds = olds.filter((rs) => replicasOf(rs) > 0);
    if (recreate) {
      previous = olds.map((rs) => scale(rs, 0));
      // Recreate starts the new pods only once every old pod is gone.
      const oldPodsLeft = sum(olds.map(podCount));
      current = scale(
        newRS,
        oldPodsLeft === 0 && activeOlds.length === 0 ? desired : replicasOf(newRS),
      );
    } else if (activeOlds.length === 0) {
      current = scale(newRS, desired);
    } else {
      const total = replicasOf(newRS) + sum(olds.map(replicasOf));
      let newReplicas = replicasOf(newRS);
      if (newReplicas < desired)
        newReplicas = Math.min(desired, newReplicas + Math.max(0, desired + maxSurge - total));
      else newReplicas = desired;
      current = scale(newRS, newReplicas);

      const minAvailable = desired - maxUnavailable;
      const newUnavailable = newReplicas - availableOf(current);
      const oldReplicas = new Map(olds.map((rs) => [rs.metadata.name, replicasOf(rs)]));
      let budget = newReplicas + sum(olds.map(replicasOf)) - minAvailable - newUnavailable;
      if (budget > 0) {
        // First drop old pods that are not available anyway.
        for (const rs of olds) {
          const cut = Math.min(Math.max(0, replicasOf(rs) - availableOf(rs)), budget);
          if (cut > 0) {
            oldReplicas.set(rs.metadata.name, replicasOf(rs) - cut);
            budget -= cut;
          }
        }
        // Then scale old ReplicaSets down as far as the available pods allow, oldest first.
        let removable = availableOf(current) + sum(olds.map(availableOf)) - minAvailable;
        for (const rs of olds) {
          const left = oldReplicas.get(rs.metadata.name) ?? 0;
          const cut = Math.min(left, Math.max(0, removable));
          if (cut > 0) {
            oldReplicas.set(rs.metadata.name, left - cut);
            removable -= cut;
          }
        }
      }
      previous = olds.map((rs) => scale(rs, oldReplicas.get(rs.metadata.name) ?? 0));
    }
  }

  cleanupHistory(ctx, namespace, previous, spec.revisionHistoryLimit ?? 10);

  const revision = String(revisionOf(current));
  if (d.metadata.annotations?.[REVISION_ANNOTATION] !== revision) {
    ctx.store.mutate(R.deployments, namespace, name, (o) => {
      o.metadata.annotations = {
        ...(o.metadata.annotations ?? {}),
        [REVISION_ANNOTATION]: revision,
      };
    });
  }

  const all = [current, ...previous];
  const counts: DeploymentStatusCounts = {
    replicas: sum(all.map(podCount)),
    updatedReplicas: podCount(current),
    readyReplicas: sum(all.map(readyOf)),
    availableReplicas: sum(all.map(availableOf)),
  };
  const unavailableReplicas = Math.max(0, sum(all.map(replicasOf)) - counts.availableReplicas);
  const nowIso = isoTime(now);
  const previousStatus = d.status ?? {};
  let conditions = (previousStatus['conditions'] as Condition[] | undefined) ?? [];

  const minimumAvailable = counts.availableReplicas >= desired - maxUnavailable;
  conditions = setCondition(
    conditions,
    minimumAvailable
      ? {
          type: 'Available',
          status: 'True',
          reason: 'MinimumReplicasAvailable',
          message: 'Deployment has minimum availability.',
        }
      : {
          type: 'Available',
          status: 'False',
          reason: 'MinimumReplicasUnavailable',
          message: 'Deployment does not have minimum availability.',
        },
    nowIso,
    { updateTime: true },
  );

  const deadlineSeconds = spec.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS;
  if (note) conditions = setCondition(conditions, note, nowIso, { updateTime: true });
  const complete =
    counts.updatedReplicas === desired &&
    counts.replicas === desired &&
    counts.availableReplicas === desired;
  const before: DeploymentStatusCounts = {
    replicas: Number(previousStatus['replicas'] ?? 0),
    updatedReplicas: Number(previousStatus['updatedReplicas'] ?? 0),
    readyReplicas: Number(previousStatus['readyReplicas'] ?? 0),
    availableReplicas: Number(previousStatus['availableReplicas'] ?? 0),
  };
  const madeProgress =
    counts.updatedReplicas > before.updatedReplicas ||
    counts.readyReplicas > before.readyReplicas ||
    counts.availableReplicas > before.availableReplicas ||
    before.replicas - before.updatedReplicas > counts.replicas - counts.updatedReplicas;
  if (!spec.paused) {
    if (complete) {
      conditions = setCondition(
        conditions,
        progressing(
          'True',
          'NewReplicaSetAvailable',
          `ReplicaSet "${newName}" has successfully progressed.`,
        ),
        nowIso,
        { updateTime: true },
      );
    } else if (madeProgress) {
      conditions = setCondition(
        conditions,
        progressing('True', 'ReplicaSetUpdated', `ReplicaSet "${newName}" is progressing.`),
        nowIso,
        { updateTime: true, touch: true },
      );
    } else {
      const cond = conditions.find((c) => c.type === 'Progressing');
      const lastUpdate = Date.parse(cond?.lastUpdateTime ?? '') || now;
      const due = lastUpdate + deadlineSeconds * 1000;
      if (
        cond &&
        cond.reason !== 'NewReplicaSetAvailable' &&
        cond.reason !== 'ProgressDeadlineExceeded'
      ) {
        if (now > due) {
          conditions = setCondition(
            conditions,
            progressing(
              'False',
              'ProgressDeadlineExceeded',
              `ReplicaSet "${newName}" has timed out progressing.`,
            ),
            nowIso,
            { updateTime: true },
          );
        } else {
          ctx.after(due - now + 1000, 'deployment', namespace, name);
        }
      }
    }
  }

  // Zero counts are omitted from the JSON, as the API serializes them.
  const status: Record<string, unknown> = { observedGeneration: d.metadata.generation ?? 1 };
  for (const [k, v] of Object.entries({ ...counts, unavailableReplicas })) if (v) status[k] = v;
  status['conditions'] = conditions;
  if (!sameJson(previousStatus, status)) {
    ctx.store.mutate(R.deployments, namespace, name, (o) => void (o.status = status), {
      status: true,
    });
  }
}

function progressing(status: Condition['status'], reason: string, message: string): Condition {
  return { type: 'Progressing', status, reason, message };
}

function newReplicaSet(d: Deployment, hash: string, revision: number): ReplicaSet {
  const template = structuredClone(d.spec?.template ?? {});
  const labels = { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH]: hash };
  template.metadata = { ...(template.metadata ?? {}), labels };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata.name}-${hash}`,
      namespace: d.metadata.namespace,
      labels,
      annotations: { [REVISION_ANNOTATION]: String(revision) },
      ownerReferences: [ownerReference(d)],
    },
    spec: {
      replicas: 0,
      selector: {
        ...(d.spec?.selector ?? {}),
        matchLabels: { ...(d.spec?.selector?.matchLabels ?? {}), [POD_TEMPLATE_HASH]: hash },
      },
      template,
    },
  };
}

/** Deletes the oldest scaled-down ReplicaSets beyond revisionHistoryLimit. */
function cleanupHistory(
  ctx: ControllerContext,
  namespace: string,
  olds: ReplicaSet[],
  limit: number,
): void {
  const idle = olds.filter((rs) => replicasOf(rs) === 0 && (rs.status?.replicas ?? 0) === 0);
  for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) {
    ctx.store.delete(R.replicasets, namespace, rs.metadata.name);
  }
}
