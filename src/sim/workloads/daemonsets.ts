/**
 * The DaemonSet controller: one pod per (fake) node, labelled with the template's
 * controller-revision-hash; a template change replaces pods node by node, at most
 * maxUnavailable (default 1) unavailable at a time.
 */
import type { DaemonSet, Pod } from '../kube';
import { CONTROLLER_REVISION_HASH, isPodReady, sameJson, scaledValue, templateHash } from '../kube';
import { R } from '../store';
import type { ControllerContext } from './context';
import { podFromTemplate } from './pods';
import { podsOf } from './replicasets';

export function reconcileDaemonSet(ctx: ControllerContext, namespace: string, name: string): void {
  const ds = ctx.store.get(R.daemonsets, namespace, name) as DaemonSet | undefined;
  if (!ds || ds.metadata.deletionTimestamp) return;
  const template = ds.spec?.template ?? {};
  const hash = templateHash(template);
  const nodes = ctx.nodes;
  const maxUnavailable = Math.max(
    1,
    scaledValue(ds.spec?.updateStrategy?.rollingUpdate?.maxUnavailable, nodes.length, '1', false),
  );
  const onDelete = ds.spec?.updateStrategy?.type === 'OnDelete';
  let pods = podsOf(ctx, ds, ds.spec?.selector?.matchLabels);

  let unavailable = nodes.filter(
    (node) => !pods.some((p) => p.spec?.nodeName === node && isPodReady(p)),
  ).length;
  for (const node of nodes) {
    const here = pods.filter((p) => p.spec?.nodeName === node);
    for (const extra of here.slice(1)) ctx.store.delete(R.pods, namespace, extra.metadata.name);
    const pod = here[0];
    if (!pod) {
      const created = podFromTemplate(ctx, ds, template, {
        nameBase: name,
        nodeName: node,
        extraLabels: {
          [CONTROLLER_REVISION_HASH]: hash,
          'pod-template-generation': String(ds.metadata.generation ?? 1),
        },
      });
      pods.push(ctx.store.create(R.pods, created) as Pod);
    } else if (!onDelete && pod.metadata.labels?.[CONTROLLER_REVISION_HASH] !== hash) {
      // An unready outdated pod costs no availability; a ready one only within the budget.
      if (!isPodReady(pod) || unavailable < maxUnavailable) {
        if (isPodReady(pod)) unavailable++;
        ctx.store.delete(R.pods, namespace, pod.metadata.name);
        pods = pods.filter((p) => p !== pod);
      }
    }
  }

  const scheduled = nodes.filter((n) => pods.some((p) => p.spec?.nodeName === n));
  const ready = pods.filter(isPodReady).length;
  const updated = pods.filter((p) => p.metadata.labels?.[CONTROLLER_REVISION_HASH] === hash).length;
  const status: Record<string, unknown> = {
    currentNumberScheduled: scheduled.length,
    desiredNumberScheduled: nodes.length,
    numberMisscheduled: 0,
    numberReady: ready,
    observedGeneration: ds.metadata.generation ?? 1,
  };
  if (ready) status['numberAvailable'] = ready;
  if (nodes.length - ready) status['numberUnavailable'] = nodes.length - ready;
  if (updated) status['updatedNumberScheduled'] = updated;
  if (!sameJson(ds.status ?? {}, status)) {
    ctx.store.mutate(R.daemonsets, namespace, name, (o) => void (o.status = status), {
      status: true,
    });
  }
}
