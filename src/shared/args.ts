/**
 * Command-line flags for Aviary's programs (`npm start`, `npm run playground`,
 * `npm run aviary`): `--flag`, `--flag value`, `--flag=value`, repeatable lists, and
 * positionals, with a clear error for an unknown flag or a missing value.
 */

export type FlagKind = 'boolean' | 'string' | 'list';

export interface ParsedArgs {
  booleans: Set<string>;
  strings: Map<string, string>;
  lists: Map<string, string[]>;
  positionals: string[];
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function parseArgs(argv: readonly string[], spec: Record<string, FlagKind>): ParsedArgs {
  const parsed: ParsedArgs = {
    booleans: new Set(),
    strings: new Map(),
    lists: new Map(),
    positionals: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('-') || arg === '-') {
      parsed.positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    const kind = spec[flag];
    if (!kind) throw new UsageError(`unknown option ${flag}`);
    if (kind === 'boolean') {
      if (inline !== undefined) throw new UsageError(`${flag} takes no value`);
      parsed.booleans.add(flag);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    if (kind === 'string') parsed.strings.set(flag, value);
    else parsed.lists.set(flag, [...(parsed.lists.get(flag) ?? []), value]);
  }
  return parsed;
}

/** A number flag within bounds, or the default. */
export function numberFlag(
  args: ParsedArgs,
  flag: string,
  fallback: number,
  bounds: { min?: number; max?: number; integer?: boolean } = {},
): number {
  const text = args.strings.get(flag);
  if (text === undefined) return fallback;
  const n = Number(text);
  const { min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY } = bounds;
  if (!Number.isFinite(n) || n < min || n > max || (bounds.integer && !Number.isInteger(n))) {
    throw new UsageError(
      `${flag} must be ${bounds.integer ? 'an integer' : 'a number'} from ${min} to ${max}`,
    );
  }
  return n;
}
