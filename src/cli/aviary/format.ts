/**
 * What `aviary` prints. The log is one line per record, greppable:
 *
 *   TIME LEVEL CONTEXT CANARY MESSAGE
 *   2026-11-23T12:32:25.581Z info playground-staging podinfo.test Advance podinfo.test canary weight 10
 *
 * (CANARY is "-" for cluster-wide lines such as control changes). With --json each record is
 * one JSON object per line with Flagger's own log keys (`level`, `ts`, `msg`, `canary`), so
 * tools written for Flagger's logs read it, plus Aviary's `context`, `seq` and `actor`.
 */
import type {
  CanarySummary,
  ClusterControl,
  ContextInfo,
  LogLevel,
  LogRecord,
} from '../../shared/api';

/** One line of the stream: an engine record, or a control/connection change (no seq). */
export interface StreamLine {
  time: string;
  level: LogLevel;
  context: string;
  canary?: string;
  message: string;
  actor?: string;
  seq?: number;
  /** Control changes carry the new mode and holder. */
  control?: ClusterControl['mode'];
  holder?: string;
  /** Connection changes carry the new state. */
  connection?: ContextInfo['connection']['state'];
}

export function formatText(line: StreamLine): string {
  return `${line.time} ${line.level} ${line.context} ${line.canary ?? '-'} ${oneLine(line.message)}`;
}

export function formatJson(line: StreamLine): string {
  return JSON.stringify({
    level: line.level,
    ts: line.time,
    msg: line.message,
    ...(line.canary ? { canary: line.canary } : {}),
    context: line.context,
    ...(line.actor ? { actor: line.actor } : {}),
    ...(line.seq !== undefined ? { seq: line.seq } : {}),
    ...(line.control ? { control: line.control } : {}),
    ...(line.holder ? { holder: line.holder } : {}),
    ...(line.connection ? { connection: line.connection } : {}),
  });
}

export function fromRecord(record: LogRecord): StreamLine {
  return {
    time: record.time,
    level: record.level,
    context: record.context,
    ...(record.canary ? { canary: record.canary } : {}),
    message: record.message,
    ...(record.actor ? { actor: record.actor } : {}),
    seq: record.seq,
  };
}

/** "controlling (lease held by ...)", "standby: held by X", "flagger: observed (...)". */
export function describeControl(control: ClusterControl): string {
  switch (control.mode) {
    case 'controlling':
      return `controlling (lease held by ${control.holder ?? 'this process'})`;
    case 'standby':
      return `standby: held by ${control.holder ?? 'another Aviary'} (observing until it lets go)`;
    case 'flagger':
      return `flagger: observed (${control.message ?? 'an in-cluster Flagger drives its canaries'})`;
    case 'observing':
      return `observing (control is off; --control ${control.context} drives it)`;
    case 'offline':
      return `offline${control.message ? `: ${control.message}` : ''}`;
  }
}

export function controlLine(control: ClusterControl, time: string): StreamLine {
  return {
    time,
    level: control.mode === 'offline' ? 'warn' : 'info',
    context: control.context,
    message: describeControl(control),
    control: control.mode,
    ...(control.holder ? { holder: control.holder } : {}),
  };
}

export function describeConnection(context: ContextInfo): string {
  const c = context.connection;
  switch (c.state) {
    case 'connected':
      return `connected${c.serverVersion ? ` (${c.serverVersion})` : ''}`;
    case 'connecting':
      return 'connecting';
    default:
      return `${c.state}${c.message ? `: ${c.message}` : ''}`;
  }
}

export function connectionLine(context: ContextInfo, time: string): StreamLine {
  const state = context.connection.state;
  return {
    time,
    level: state === 'connected' || state === 'connecting' ? 'info' : 'warn',
    context: context.id,
    message: describeConnection(context),
    connection: state,
  };
}

export const STATUS_COLUMNS = [
  'CONTEXT',
  'NAMESPACE',
  'NAME',
  'STATUS',
  'WEIGHT',
  'FAILEDCHECKS',
  'LASTTRANSITIONTIME',
] as const;

/** `kubectl get canaries -A` with a context column in front. */
export function statusTable(canaries: CanarySummary[]): string {
  const rows = canaries.map((c) => [
    c.context,
    c.namespace,
    c.name,
    c.phase === 'Unknown' ? '' : c.phase,
    String(c.canaryWeight),
    String(c.failedChecks),
    c.lastTransitionTime ?? '',
  ]);
  return table([[...STATUS_COLUMNS], ...rows]);
}

/** Columns padded as kubectl pads them: three spaces between, none after the last. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd((widths[i] ?? 0) + 3)))
        .join('')
        .trimEnd(),
    )
    .join('\n');
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}
