/** The places the command palette can go to: the fleet, clusters, namespaces, canaries. */
import type { CanarySummary, ContextInfo } from '../../../shared/api';
import type { Route } from './routes';

export interface PaletteEntry {
  id: string;
  kind: 'Fleet' | 'Cluster' | 'Namespace' | 'Canary';
  label: string;
  detail: string;
  /** Everything the query may match, beyond the label. */
  text: string;
  route: Route;
  context?: ContextInfo;
  canary?: CanarySummary;
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * A namespace is offered per cluster (the fleet filtered to both) and, when several
 * clusters have it, across all of them.
 */
export function paletteEntries(
  contexts: readonly ContextInfo[],
  canaries: readonly CanarySummary[],
): PaletteEntry[] {
  const out: PaletteEntry[] = [
    {
      id: 'fleet',
      kind: 'Fleet',
      label: 'Fleet',
      detail: 'every canary of every cluster',
      text: 'fleet home all',
      route: { view: 'fleet' },
    },
  ];
  for (const context of contexts)
    out.push({
      id: `c:${context.id}`,
      kind: 'Cluster',
      label: context.name,
      detail: context.server ?? '',
      text: `${context.name} ${context.cluster ?? ''}`,
      route: { view: 'cluster', context: context.id },
      context,
    });
  const pairs = new Map<string, { context: string; namespace: string }>();
  const clustersOf = new Map<string, Set<string>>();
  for (const c of canaries) {
    pairs.set(`${c.context}\n${c.namespace}`, { context: c.context, namespace: c.namespace });
    const set = clustersOf.get(c.namespace) ?? new Set<string>();
    set.add(c.context);
    clustersOf.set(c.namespace, set);
  }
  for (const [namespace, clusters] of [...clustersOf].sort(([a], [b]) => byText(a, b))) {
    if (clusters.size > 1)
      out.push({
        id: `n:*:${namespace}`,
        kind: 'Namespace',
        label: namespace,
        detail: `in ${clusters.size} clusters`,
        text: namespace,
        route: { view: 'fleet', namespace },
      });
  }
  for (const { context, namespace } of [...pairs.values()].sort(
    (a, b) => byText(a.namespace, b.namespace) || byText(a.context, b.context),
  ))
    out.push({
      id: `n:${context}:${namespace}`,
      kind: 'Namespace',
      label: namespace,
      detail: context,
      text: `${namespace} ${context}`,
      route: { view: 'fleet', cluster: context, namespace },
    });
  for (const c of [...canaries].sort((a, b) => byText(a.key, b.key)))
    out.push({
      id: `k:${c.key}`,
      kind: 'Canary',
      label: c.name,
      detail: `${c.context} · ${c.namespace}`,
      text: `${c.namespace}/${c.name} ${c.context}`,
      route: { view: 'canary', context: c.context, namespace: c.namespace, name: c.name },
      canary: c,
    });
  return out;
}
