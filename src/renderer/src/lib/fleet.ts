/**
 * The fleet table's logic, free of the DOM: phase groups, the counts strip, the "needs
 * attention" inbox, filtering, sorting, and the flat list of rows (cluster groups, canaries
 * and per-cluster notes) that the virtualised table draws a window of.
 */
import type {
  CanaryController,
  CanaryPhaseName,
  CanarySummary,
  ConnectionState,
  ContextInfo,
} from '../../../shared/api';
import { stateWords } from './format';
import type { FleetFilter, PhaseFilter } from './routes';

const phaseGroups: Record<CanaryPhaseName, PhaseFilter> = {
  Progressing: 'progressing',
  Promoting: 'progressing',
  Finalising: 'progressing',
  Waiting: 'waiting',
  WaitingPromotion: 'waiting',
  Failed: 'failed',
  Succeeded: 'succeeded',
  Initializing: 'idle',
  Initialized: 'idle',
  Terminating: 'idle',
  Terminated: 'idle',
  Unknown: 'idle',
};

export const phaseFilterLabels: Record<PhaseFilter, string> = {
  progressing: 'Progressing',
  waiting: 'Waiting for approval',
  failed: 'Failed',
  succeeded: 'Succeeded',
  idle: 'Idle',
};

export function phaseGroup(phase: CanaryPhaseName): PhaseFilter {
  return phaseGroups[phase] ?? 'idle';
}

/** Waiting at a gate, failed, or invalid: a person should look. */
export function needsAttention(c: CanarySummary): boolean {
  return (
    c.phase === 'Waiting' ||
    c.phase === 'WaitingPromotion' ||
    c.phase === 'Failed' ||
    (c.errors?.length ?? 0) > 0
  );
}

export type PhaseCounts = Record<PhaseFilter, number>;

export function countPhases(canaries: Iterable<CanarySummary>): PhaseCounts {
  const counts: PhaseCounts = { progressing: 0, waiting: 0, failed: 0, succeeded: 0, idle: 0 };
  for (const c of canaries) counts[phaseGroup(c.phase)]++;
  return counts;
}

/** Code-unit order: stable, and far cheaper than localeCompare over a thousand rows. */
const text = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The inbox: failures first, then gates; newest transition first within each. */
export function attentionList(canaries: Iterable<CanarySummary>): CanarySummary[] {
  const rank = (c: CanarySummary): number => (c.phase === 'Failed' || c.errors?.length ? 0 : 1);
  return [...canaries]
    .filter(needsAttention)
    .sort(
      (a, b) =>
        rank(a) - rank(b) ||
        text(b.lastTransitionTime ?? '', a.lastTransitionTime ?? '') ||
        text(a.key, b.key),
    );
}

export const controllerLabels: Record<CanaryController, { label: string; title: string }> = {
  aviary: { label: 'Aviary', title: 'This Aviary drives the canary' },
  flagger: { label: 'Flagger', title: 'An in-cluster Flagger drives the canary' },
  observed: { label: 'observed', title: 'Nobody Aviary can act for drives it: observed only' },
};

/** "3/10" for A/B and blue/green (analysis.iterations), "—" for weight-stepped canaries. */
export function iterationText(c: CanarySummary): string {
  if (c.totalIterations) return `${c.iterations}/${c.totalIterations}`;
  return c.strategy === 'canary' ? '—' : String(c.iterations);
}

export function hasFilter(filter: FleetFilter): boolean {
  return Boolean(filter.cluster || filter.namespace || filter.phase || filter.q?.trim());
}

export function matchesFilter(c: CanarySummary, filter: FleetFilter): boolean {
  if (filter.cluster && c.context !== filter.cluster) return false;
  if (filter.namespace && c.namespace !== filter.namespace) return false;
  if (filter.phase && phaseGroup(c.phase) !== filter.phase) return false;
  const q = filter.q?.trim().toLowerCase();
  if (q) {
    const hay = `${c.context} ${c.namespace} ${c.name} ${c.namespace}/${c.name} ${c.target.name} ${c.phase} ${c.provider}`;
    for (const word of q.split(/\s+/)) if (!hay.toLowerCase().includes(word)) return false;
  }
  return true;
}

export type SortKey =
  | 'cluster'
  | 'namespace'
  | 'name'
  | 'phase'
  | 'provider'
  | 'weight'
  | 'iteration'
  | 'checks'
  | 'transition'
  | 'controller';

export interface SortOrder {
  key: SortKey;
  dir: 'asc' | 'desc';
}

/** Phase sorts by urgency: failed, waiting, moving, idle, done. */
const phaseRank: Record<PhaseFilter, number> = {
  failed: 0,
  waiting: 1,
  progressing: 2,
  idle: 3,
  succeeded: 4,
};

const comparators: Record<SortKey, (a: CanarySummary, b: CanarySummary) => number> = {
  cluster: (a, b) => text(a.context, b.context),
  namespace: (a, b) => text(a.namespace, b.namespace),
  name: (a, b) => text(a.name, b.name),
  phase: (a, b) =>
    phaseRank[phaseGroup(a.phase)] - phaseRank[phaseGroup(b.phase)] || text(a.phase, b.phase),
  provider: (a, b) => text(a.provider, b.provider),
  weight: (a, b) => a.canaryWeight - b.canaryWeight,
  iteration: (a, b) => a.iterations - b.iterations,
  checks: (a, b) => a.failedChecks - b.failedChecks || a.threshold - b.threshold,
  // ISO times sort as text; a canary that never moved sorts as the oldest.
  transition: (a, b) => text(a.lastTransitionTime ?? '', b.lastTransitionTime ?? ''),
  controller: (a, b) => text(a.controller, b.controller),
};

export function compareCanaries(order: SortOrder): (a: CanarySummary, b: CanarySummary) => number {
  const by = comparators[order.key];
  const sign = order.dir === 'asc' ? 1 : -1;
  return (a, b) =>
    sign * by(a, b) ||
    text(a.context, b.context) ||
    text(a.namespace, b.namespace) ||
    text(a.name, b.name);
}

export interface GroupItem {
  kind: 'group';
  context: string;
  /** Canaries of this cluster shown (after filters) and known in all. */
  shown: number;
  total: number;
  attention: number;
  collapsed: boolean;
  state: ConnectionState;
}

export interface CanaryItem {
  kind: 'canary';
  canary: CanarySummary;
}

export interface NoteItem {
  kind: 'note';
  context: string;
  text: string;
  tone: 'info' | 'problem';
  state: ConnectionState;
}

export type FleetItem = GroupItem | CanaryItem | NoteItem;

// One row item per canary object: while a canary does not change, its item stays the same
// object from layout to layout, so the table leaves its row alone.
const canaryItems = new WeakMap<CanarySummary, CanaryItem>();

function canaryItem(canary: CanarySummary): CanaryItem {
  let item = canaryItems.get(canary);
  if (!item) canaryItems.set(canary, (item = { kind: 'canary', canary }));
  return item;
}

/** Why a cluster shows no canaries: connecting, unreachable, or simply empty. */
function clusterNote(context: ContextInfo | undefined, total: number): NoteItem | undefined {
  const state = context?.connection.state ?? 'connected';
  const name = context?.id ?? '';
  if (state === 'connecting')
    return { kind: 'note', context: name, text: 'Connecting…', tone: 'info', state };
  if (state !== 'connected') {
    const why = context?.connection.message;
    const text = `Cluster ${stateWords[state]}${why ? `: ${why}` : ''}`;
    return { kind: 'note', context: name, text, tone: 'problem', state };
  }
  if (total === 0)
    return {
      kind: 'note',
      context: name,
      text: 'No Canary objects in this cluster.',
      tone: 'info',
      state,
    };
  return undefined;
}

export interface LayoutOptions {
  contexts: readonly ContextInfo[];
  filter: FleetFilter;
  order: SortOrder;
  grouped: boolean;
  collapsed: ReadonlySet<string>;
}

/**
 * The rows to draw, in order. Grouped: one header per cluster (in the sidebar's order),
 * then its canaries or a note saying why there are none; clusters with no match are left
 * out while a filter is set, except the one the cluster filter names.
 */
export function layoutFleet(
  canaries: readonly CanarySummary[],
  options: LayoutOptions,
): FleetItem[] {
  const { filter, order } = options;
  const compare = compareCanaries(order);
  const shown = canaries.filter((c) => matchesFilter(c, filter));
  if (!options.grouped) return shown.sort(compare).map(canaryItem);

  const byContext = new Map<string, { all: number; attention: number; rows: CanarySummary[] }>();
  const bucket = (context: string) => {
    let entry = byContext.get(context);
    if (!entry) byContext.set(context, (entry = { all: 0, attention: 0, rows: [] }));
    return entry;
  };
  for (const c of canaries) {
    const entry = bucket(c.context);
    entry.all++;
    if (needsAttention(c)) entry.attention++;
  }
  for (const c of shown) bucket(c.context).rows.push(c);

  const known = new Map(options.contexts.map((c) => [c.id, c]));
  const ids = [...options.contexts.map((c) => c.id)];
  for (const id of byContext.keys()) if (!known.has(id)) ids.push(id);

  const filtering = hasFilter(filter);
  const items: FleetItem[] = [];
  for (const id of ids) {
    if (filter.cluster && filter.cluster !== id) continue;
    const entry = byContext.get(id) ?? { all: 0, attention: 0, rows: [] };
    const context = known.get(id);
    const note = clusterNote(context, entry.all);
    if (filtering && entry.rows.length === 0 && filter.cluster !== id) continue;
    const collapsed = options.collapsed.has(id);
    items.push({
      kind: 'group',
      context: id,
      shown: entry.rows.length,
      total: entry.all,
      attention: entry.attention,
      collapsed,
      state: context?.connection.state ?? 'connected',
    });
    if (collapsed) continue;
    if (note && (note.tone === 'problem' || entry.rows.length === 0)) items.push(note);
    else if (entry.rows.length === 0 && filtering)
      items.push({
        kind: 'note',
        context: id,
        text: 'No canary matches the filter.',
        tone: 'info',
        state: 'connected',
      });
    for (const canary of entry.rows.sort(compare)) items.push(canaryItem(canary));
  }
  return items;
}

/** "12s ago", "5m ago", "3h ago", "2d ago"; "—" when unknown. */
export function relativeTime(iso: string | undefined, now: number): string {
  if (!iso) return '—';
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return '—';
  const s = Math.max(0, Math.round((now - then) / 1000));
  if (s < 5) return 'just now';
  if (s < 60) return `${s}s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ago`;
  return `${Math.floor(h / 24)}d ago`;
}
