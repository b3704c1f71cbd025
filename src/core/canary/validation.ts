/**
 * A small reader for untyped Kubernetes objects that collects every problem with its field path
 * instead of stopping at the first, so a user sees all that is wrong with a manifest at once.
 */
import type { FieldError, JsonObject, JsonValue, StringMap } from './types';

export type Raw = Record<string, unknown>;

export function isObject(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `a.b` + `c` → `a.b.c`; `a.b` + 2 → `a.b[2]`. */
export function at(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

interface IntRange {
  min?: number;
  max?: number;
}

export class FieldReader {
  readonly errors: FieldError[] = [];
  readonly warnings: FieldError[] = [];

  error(path: string, message: string): void {
    this.errors.push({ path, message });
  }

  warn(path: string, message: string): void {
    this.warnings.push({ path, message });
  }

  /** Kubernetes drops nulls before validation; so do we. */
  private absent(value: unknown): value is undefined | null {
    return value === undefined || value === null;
  }

  required(value: unknown, path: string): boolean {
    if (this.absent(value)) {
      this.error(path, 'is required');
      return false;
    }
    return true;
  }

  object(value: unknown, path: string, required = false): Raw | undefined {
    if (this.absent(value)) {
      if (required) this.error(path, 'is required');
      return undefined;
    }
    if (!isObject(value)) {
      this.error(path, 'must be an object');
      return undefined;
    }
    return value;
  }

  string(
    value: unknown,
    path: string,
    opts: {
      required?: boolean;
      nonEmpty?: boolean;
      oneOf?: readonly string[];
      pattern?: RegExp;
    } = {},
  ): string | undefined {
    if (this.absent(value)) {
      if (opts.required) this.error(path, 'is required');
      return undefined;
    }
    if (typeof value !== 'string') {
      this.error(path, 'must be a string');
      return undefined;
    }
    if (opts.nonEmpty && value === '') {
      this.error(path, 'must not be empty');
      return undefined;
    }
    if (opts.oneOf && !opts.oneOf.includes(value)) {
      const shown = opts.oneOf.map((v) => (v === '' ? '""' : v)).join(', ');
      this.error(path, `must be one of: ${shown} (got "${value}")`);
      return undefined;
    }
    if (opts.pattern && !opts.pattern.test(value)) {
      this.error(path, `must match ${opts.pattern.source} (got "${value}")`);
      return undefined;
    }
    return value;
  }

  boolean(value: unknown, path: string): boolean | undefined {
    if (this.absent(value)) return undefined;
    if (typeof value !== 'boolean') {
      this.error(path, 'must be a boolean');
      return undefined;
    }
    return value;
  }

  number(value: unknown, path: string): number | undefined {
    if (this.absent(value)) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.error(path, 'must be a number');
      return undefined;
    }
    return value;
  }

  /** Flagger decodes these fields into Go ints: a fraction would fail the whole canary's decoding. */
  integer(
    value: unknown,
    path: string,
    range: IntRange & { required?: boolean } = {},
  ): number | undefined {
    if (this.absent(value)) {
      if (range.required) this.error(path, 'is required');
      return undefined;
    }
    const ok =
      typeof value === 'number' &&
      Number.isInteger(value) &&
      (range.min === undefined || value >= range.min) &&
      (range.max === undefined || value <= range.max);
    if (!ok) {
      this.error(path, integerMessage(range));
      return undefined;
    }
    return value;
  }

  stringMap(value: unknown, path: string): StringMap | undefined {
    const obj = this.object(value, path);
    if (!obj) return undefined;
    const out: StringMap = {};
    for (const [k, v] of Object.entries(obj)) {
      if (typeof v !== 'string') this.error(at(path, k), 'must be a string');
      else out[k] = v;
    }
    return out;
  }

  stringArray(value: unknown, path: string): string[] | undefined {
    return this.array(value, path, (item, p) => this.string(item, p, { required: true }));
  }

  array<T>(
    value: unknown,
    path: string,
    item: (value: unknown, path: string) => T | undefined,
  ): T[] | undefined {
    if (this.absent(value)) return undefined;
    if (!Array.isArray(value)) {
      this.error(path, 'must be an array');
      return undefined;
    }
    const out: T[] = [];
    value.forEach((v: unknown, i) => {
      const parsed = item(v, at(path, i));
      if (parsed !== undefined) out.push(parsed);
    });
    return out;
  }

  /** A free-form object passed through to a router (istio TrafficPolicy and the like). */
  json(value: unknown, path: string): JsonObject | undefined {
    const obj = this.object(value, path);
    return obj ? (toJson(obj) as JsonObject) : undefined;
  }
}

function integerMessage(range: IntRange): string {
  if (range.min !== undefined && range.max !== undefined) {
    return `must be an integer between ${range.min} and ${range.max}`;
  }
  if (range.min !== undefined) return `must be an integer of at least ${range.min}`;
  if (range.max !== undefined) return `must be an integer of at most ${range.max}`;
  return 'must be an integer';
}

function toJson(value: unknown): JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return value;
  if (Array.isArray(value)) return value.map(toJson);
  if (isObject(value)) {
    const out: { [key: string]: JsonValue } = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJson(v);
    return out;
  }
  return null;
}

/** Drop undefined members so parsed objects compare and serialise cleanly. */
export function compact<T extends object>(value: T): T {
  for (const key of Object.keys(value) as Array<keyof T>) {
    if (value[key] === undefined) delete value[key];
  }
  return value;
}
