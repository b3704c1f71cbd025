/**
 * The flags `aviary run|status|wait` share: where the kubeconfig comes from, which
 * contexts count, who controls them, and the hidden --speed for tests.
 */
import { delimiter, resolve } from 'node:path';
import { numberFlag, UsageError, type FlagKind, type ParsedArgs } from '../../shared/args';

/**
 * Which contexts this process drives. `default`: the playground's contexts (from
 * --playground FILE) and nothing else; `none`: observe everything; `all`: every selected
 * context; `list`: exactly the named ones.
 */
export type ControlChoice =
  { kind: 'default' } | { kind: 'none' } | { kind: 'all' } | { kind: 'list'; contexts: string[] };

export interface CommonOptions {
  /** --kubeconfig files (kubectl's rules: they replace $KUBECONFIG and ~/.kube/config). */
  kubeconfig: string[];
  /** --playground FILE: a kubeconfig the playground wrote; its contexts are the playground's. */
  playground?: string;
  /** --context: only these contexts (empty: all). */
  contexts: string[];
  control: ControlChoice;
  json: boolean;
  /** Hidden: run the engine's clock this many times faster (tests, with the playground's --speed). */
  speed: number;
  help: boolean;
}

export const COMMON_FLAGS: Record<string, FlagKind> = {
  '--kubeconfig': 'list',
  '--playground': 'string',
  '--context': 'list',
  '--json': 'boolean',
  '--speed': 'string',
  '--help': 'boolean',
  '-h': 'boolean',
};

export const CONTROL_FLAG: Record<string, FlagKind> = { '--control': 'list' };

export function parseCommon(args: ParsedArgs): CommonOptions {
  const kubeconfig = (args.lists.get('--kubeconfig') ?? []).flatMap((list) =>
    list
      .split(delimiter)
      .filter(Boolean)
      .map((p) => resolve(p)),
  );
  const playgroundFlag = args.strings.get('--playground');
  const playground = playgroundFlag ? resolve(playgroundFlag) : undefined;
  const contexts = (args.lists.get('--context') ?? []).flatMap((c) =>
    c
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  return {
    // A file named both ways is the playground's (kubectl would read it once, as a flag file).
    kubeconfig: kubeconfig.filter((p) => p !== playground),
    ...(playground ? { playground } : {}),
    contexts: [...new Set(contexts)],
    control: parseControl(args.lists.get('--control')),
    json: args.booleans.has('--json'),
    speed: numberFlag(args, '--speed', 1, { min: 0.01, max: 1000 }),
    help: args.booleans.has('--help') || args.booleans.has('-h'),
  };
}

function parseControl(values: string[] | undefined): ControlChoice {
  if (!values?.length) return { kind: 'default' };
  const names = [
    ...new Set(
      values.flatMap((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
    ),
  ];
  if (names.includes('all') || names.includes('none')) {
    if (names.length > 1) throw new UsageError('--control all/none cannot be combined with names');
    return { kind: names[0] === 'all' ? 'all' : 'none' };
  }
  if (!names.length) throw new UsageError('--control needs a context name, "all" or "none"');
  return { kind: 'list', contexts: names };
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go-style duration ("10m", "1h30m", "90s", "500ms"); a bare number is seconds. */
export function parseDuration(text: string, flag: string): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = part.exec(trimmed); m; m = part.exec(trimmed)) {
    total += Number(m[1]) * (UNITS[m[2] ?? 's'] ?? 1000);
    matched = part.lastIndex;
  }
  if (!trimmed || matched !== trimmed.length || total <= 0)
    throw new UsageError(`${flag} must be a duration like 30s, 10m or 1h30m (got "${text}")`);
  return total;
}
