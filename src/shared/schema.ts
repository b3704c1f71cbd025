/**
 * A tiny runtime validator for the API contract. The contract is checked at every
 * transport edge (Electron IPC, the web-mode WebSocket), so it must not pull in a
 * dependency: src/shared has none.
 */

export class SchemaError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path || 'value'}: ${reason}`);
    this.name = 'SchemaError';
  }
}

export interface Schema<T> {
  /** Returns the value typed as T, or throws SchemaError naming the bad field. */
  parse(value: unknown, path?: string): T;
  readonly optional?: boolean;
}

export interface OptionalSchema<T> extends Schema<T | undefined> {
  readonly optional: true;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

export interface StringRules {
  min?: number;
  max?: number;
  pattern?: RegExp;
}

export const s = {
  string(rules: StringRules = {}): Schema<string> {
    const max = rules.max ?? 4096;
    return {
      parse(value, path = '') {
        if (typeof value !== 'string')
          throw new SchemaError(path, `expected a string, got ${describe(value)}`);
        if (value.length > max) throw new SchemaError(path, `longer than ${max} characters`);
        if (rules.min !== undefined && value.length < rules.min)
          throw new SchemaError(path, `shorter than ${rules.min} characters`);
        if (rules.pattern && !rules.pattern.test(value))
          throw new SchemaError(path, `does not match ${rules.pattern}`);
        return value;
      },
    };
  },

  number(rules: { min?: number; max?: number; integer?: boolean } = {}): Schema<number> {
    return {
      parse(value, path = '') {
        if (typeof value !== 'number' || !Number.isFinite(value))
          throw new SchemaError(path, `expected a finite number, got ${describe(value)}`);
        if (rules.integer && !Number.isInteger(value))
          throw new SchemaError(path, 'expected an integer');
        if (rules.min !== undefined && value < rules.min)
          throw new SchemaError(path, `less than ${rules.min}`);
        if (rules.max !== undefined && value > rules.max)
          throw new SchemaError(path, `greater than ${rules.max}`);
        return value;
      },
    };
  },

  boolean(): Schema<boolean> {
    return {
      parse(value, path = '') {
        if (typeof value !== 'boolean')
          throw new SchemaError(path, `expected a boolean, got ${describe(value)}`);
        return value;
      },
    };
  },

  literal<const T extends string | number | boolean>(expected: T): Schema<T> {
    return {
      parse(value, path = '') {
        if (value !== expected) throw new SchemaError(path, `expected ${JSON.stringify(expected)}`);
        return expected;
      },
    };
  },

  enum<const T extends readonly string[]>(values: T): Schema<T[number]> {
    return {
      parse(value, path = '') {
        if (typeof value !== 'string' || !values.includes(value))
          throw new SchemaError(path, `expected one of ${values.join(', ')}`);
        return value as T[number];
      },
    };
  },

  array<T>(item: Schema<T>, rules: { max?: number } = {}): Schema<T[]> {
    const max = rules.max ?? 10_000;
    return {
      parse(value, path = '') {
        if (!Array.isArray(value))
          throw new SchemaError(path, `expected an array, got ${describe(value)}`);
        if (value.length > max) throw new SchemaError(path, `more than ${max} items`);
        return value.map((v, i) => item.parse(v, `${path}[${i}]`));
      },
    };
  },

  optional<T>(inner: Schema<T>): OptionalSchema<T> {
    return {
      optional: true,
      parse(value, path = '') {
        return value === undefined ? undefined : inner.parse(value, path);
      },
    };
  },

  /** A closed object: unknown keys are refused, so nothing unexpected crosses a transport. */
  object<Shape extends Record<string, Schema<unknown>>>(
    shape: Shape,
  ): Schema<
    { [K in keyof Shape as Shape[K]['optional'] extends true ? never : K]: Infer<Shape[K]> } & {
      [K in keyof Shape as Shape[K]['optional'] extends true ? K : never]?: Infer<Shape[K]>;
    }
  > {
    return {
      parse(value, path = '') {
        if (typeof value !== 'object' || value === null || Array.isArray(value))
          throw new SchemaError(path, `expected an object, got ${describe(value)}`);
        const record = value as Record<string, unknown>;
        for (const key of Object.keys(record)) {
          if (!(key in shape))
            throw new SchemaError(path ? `${path}.${key}` : key, 'unknown field');
        }
        const out: Record<string, unknown> = {};
        for (const [key, schema] of Object.entries(shape)) {
          const parsed = schema.parse(record[key], path ? `${path}.${key}` : key);
          if (parsed !== undefined) out[key] = parsed;
        }
        // The mapped return type is what `shape` describes; TypeScript cannot follow the loop.
        return out as never;
      },
    };
  },
};

/** The empty argument object of methods that take nothing. */
export const noArgs = s.object({});
