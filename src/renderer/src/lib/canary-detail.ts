/**
 * The canary detail view's words and rules, free of Svelte: each action's label, shortcut
 * and what its confirm dialog says will happen; the Flagger-style log line; the log filter.
 */
import type {
  CanaryActionName,
  CanaryDetail,
  CanarySummary,
  LogLevel,
  LogRecord,
} from '../../../shared/api';

export interface ActionSpec {
  action: CanaryActionName;
  label: string;
  /** The key that asks for it (KeyboardEvent.key), and how the UI writes it. */
  key: string;
  keyLabel: string;
  /** Destructive or traffic-moving: the confirm button is styled as a warning. */
  danger: boolean;
}

export const ACTION_SPECS: readonly ActionSpec[] = [
  { action: 'promote', label: 'Promote', key: 'p', keyLabel: 'P', danger: false },
  { action: 'rollback', label: 'Rollback', key: 'r', keyLabel: 'R', danger: true },
  { action: 'pause', label: 'Pause', key: ' ', keyLabel: 'Space', danger: false },
  { action: 'resume', label: 'Resume', key: ' ', keyLabel: 'Space', danger: false },
  { action: 'retry', label: 'Retry', key: 't', keyLabel: 'T', danger: false },
  { action: 'openGate', label: 'Open gate', key: 'o', keyLabel: 'O', danger: false },
  { action: 'closeGate', label: 'Close gate', key: 'c', keyLabel: 'C', danger: false },
  { action: 'release', label: 'Release new version', key: 'n', keyLabel: 'N', danger: false },
];

export function actionSpec(action: CanaryActionName): ActionSpec {
  const spec = ACTION_SPECS.find((s) => s.action === action);
  if (!spec) throw new Error(`unknown action ${action}`);
  return spec;
}

/** The action a key press asks for; Space means whichever of pause and resume applies. */
export function actionForKey(key: string, summary: CanarySummary): CanaryActionName | undefined {
  const k = key.length === 1 ? key.toLowerCase() : key;
  if (k === ' ') return summary.suspended ? 'resume' : 'pause';
  return ACTION_SPECS.find((s) => s.key === k && s.key !== ' ')?.action;
}

/** "podinfo.test", as Flagger names a canary. */
export function dotName(summary: Pick<CanarySummary, 'name' | 'namespace'>): string {
  return `${summary.name}.${summary.namespace}`;
}

export interface ActionOptions {
  /** promote: skip the confirm-promotion gates. */
  force?: boolean;
  /** release: the share of requests the new version fails (0..1). */
  errorRate?: number;
}

/** What the confirm dialog says will happen, in the canary's own names. */
export function describeAction(
  action: CanaryActionName,
  detail: Pick<CanaryDetail, 'summary' | 'gates'>,
  options: ActionOptions = {},
): string {
  const s = detail.summary;
  const dot = dotName(s);
  const target = `${s.target.kind.toLowerCase() || 'deployment'}/${s.target.name}`;
  switch (action) {
    case 'promote':
      return `Copy the canary's pod template to ${s.target.name}-primary, route 100 % of ${dot} traffic to primary and scale the canary to 0${
        options.force
          ? ', without asking the confirm-promotion webhooks'
          : detail.gates.some((g) => g.type === 'confirm-promotion')
            ? ' (the confirm-promotion webhooks are asked first)'
            : ''
      }.`;
    case 'rollback':
      return `Route 100 % of ${dot} traffic to primary and scale the canary to 0. The canary is marked Failed; this revision is not analysed again until a new release.`;
    case 'pause':
      return `Set spec.suspend on ${dot}: the analysis stops where it is (canary weight ${s.canaryWeight} %) until it is resumed.`;
    case 'resume':
      return `Clear spec.suspend on ${dot}: the analysis continues from canary weight ${s.canaryWeight} %.`;
    case 'retry':
      return `Analyse the failed revision of ${dot} again from the start: the canary goes back to Waiting, then a new rollout begins.`;
    case 'openGate':
    case 'closeGate': {
      const names = detail.gates.filter((g) => g.operable).map((g) => `${g.name} (${g.type})`);
      return action === 'openGate'
        ? `Open the loadtester gate of ${dot}: ${names.join(', ')} approve at their next check.`
        : `Close the loadtester gate of ${dot}: ${names.join(', ')} halt the rollout at their next check.`;
    }
    case 'release': {
      const rate = options.errorRate ?? 0;
      return `Roll ${target}.${s.namespace} to the next image tag${
        rate > 0 ? `, failing ${formatPercent(rate)} of its requests` : ''
      }. The controller then starts a canary analysis of the new revision.`;
    }
  }
}

export function formatPercent(share: number): string {
  const pct = share * 100;
  return `${Number.isInteger(pct) ? pct : pct.toFixed(1)} %`;
}

// --- the log ---------------------------------------------------------------------------------

/** `2026-01-01T10:00:00.000Z info  Advance podinfo.test canary weight 10` */
export function logLine(record: LogRecord): string {
  return `${record.time} ${record.level.padEnd(5)} ${record.message}`;
}

/** The records about this canary: Flagger's `name.namespace` on its cluster. */
export function isCanaryRecord(
  record: LogRecord,
  summary: Pick<CanarySummary, 'context' | 'name' | 'namespace'>,
): boolean {
  return record.context === summary.context && record.canary === dotName(summary);
}

export interface LogFilter {
  text: string;
  /** The least severe level shown. */
  level: LogLevel;
}

const SEVERITY: Record<LogLevel, number> = { info: 0, warn: 1, error: 2 };

export function filterLog(records: readonly LogRecord[], filter: LogFilter): LogRecord[] {
  const needle = filter.text.trim().toLowerCase();
  const least = SEVERITY[filter.level];
  return records.filter(
    (r) =>
      SEVERITY[r.level] >= least &&
      (needle === '' ||
        r.message.toLowerCase().includes(needle) ||
        (r.actor ?? '').toLowerCase().includes(needle)),
  );
}

/** Who controls the canary, as the header says it. */
export function controllerText(detail: Pick<CanaryDetail, 'control' | 'summary'>): string {
  const c = detail.control;
  switch (c.mode) {
    case 'controlling':
      return 'Aviary (this desktop)';
    case 'standby':
      return `${c.holder ?? 'another Aviary'} (standby here)`;
    case 'flagger':
      return `Flagger in the cluster${c.message ? ` — ${c.message}` : ''}`;
    case 'observing':
      return 'nobody here: observed only';
    case 'offline':
      return 'unknown: cluster offline';
  }
}
