import { describe, expect, it } from 'vitest';
import { ApiError, methods, type ApiHandlers } from '../../src/shared/api';
import { dispatchInvoke } from '../../src/shared/dispatch';
import { s, SchemaError } from '../../src/shared/schema';

describe('schema', () => {
  const shape = s.object({
    name: s.string({ min: 1, max: 5 }),
    count: s.optional(s.number({ integer: true, min: 0 })),
    mode: s.enum(['a', 'b'] as const),
    tags: s.array(s.string(), { max: 2 }),
  });

  it('accepts a valid value and drops absent optionals', () => {
    expect(shape.parse({ name: 'x', mode: 'a', tags: [] })).toEqual({
      name: 'x',
      mode: 'a',
      tags: [],
    });
  });

  it.each([
    [{ name: '', mode: 'a', tags: [] }, 'name: shorter than 1'],
    [{ name: 'toolong', mode: 'a', tags: [] }, 'name: longer than 5'],
    [{ name: 'x', mode: 'c', tags: [] }, 'mode: expected one of a, b'],
    [{ name: 'x', mode: 'a', tags: [1] }, 'tags[0]: expected a string'],
    [{ name: 'x', mode: 'a', tags: ['1', '2', '3'] }, 'tags: more than 2 items'],
    [{ name: 'x', mode: 'a', tags: [], count: 1.5 }, 'count: expected an integer'],
    [{ name: 'x', mode: 'a', tags: [], extra: true }, 'extra: unknown field'],
    [null, 'expected an object, got null'],
  ])('refuses %j naming the field', (value, message) => {
    expect(() => shape.parse(value)).toThrow(SchemaError);
    expect(() => shape.parse(value)).toThrow(message);
  });

  it('refuses NaN and Infinity as numbers', () => {
    expect(() => s.number().parse(Number.NaN)).toThrow('finite');
    expect(() => s.number().parse(Infinity)).toThrow('finite');
  });
});

describe('dispatchInvoke', () => {
  const calls: unknown[] = [];
  const handlers = {
    'app.info': async () => ({ name: 'Aviary' }),
    'contexts.select': async (args: unknown) => {
      calls.push(args);
      return { contexts: [], files: [] };
    },
    'contexts.reconnect': async () => {
      throw new ApiError('not-found', 'no context named "x"');
    },
    'contexts.list': async () => {
      throw new Error('boom');
    },
  } as unknown as ApiHandlers;

  it('every method has an argument schema that refuses unknown fields', () => {
    for (const schema of Object.values(methods)) {
      expect(() => schema.parse({ definitelyUnknownField: 1 })).toThrow(SchemaError);
    }
  });

  it('validates before calling the handler', async () => {
    expect(await dispatchInvoke(handlers, 'contexts.select', { context: '' })).toEqual({
      ok: false,
      error: { code: 'invalid-argument', message: 'args.context: shorter than 1 characters' },
    });
    expect(calls).toEqual([]);
    expect(await dispatchInvoke(handlers, 'contexts.select', { context: 'prod' })).toMatchObject({
      ok: true,
    });
    expect(calls).toEqual([{ context: 'prod' }]);
  });

  it('refuses unknown and inherited method names', async () => {
    for (const name of ['nope', 'toString', '__proto__', 42]) {
      expect(await dispatchInvoke(handlers, name, {})).toMatchObject({
        ok: false,
        error: { code: 'invalid-argument' },
      });
    }
  });

  it('turns handler errors into codes and messages without stacks', async () => {
    expect(await dispatchInvoke(handlers, 'contexts.reconnect', { context: 'x' })).toEqual({
      ok: false,
      error: { code: 'not-found', message: 'no context named "x"' },
    });
    const internal = await dispatchInvoke(handlers, 'contexts.list', {});
    expect(internal).toEqual({ ok: false, error: { code: 'internal', message: 'boom' } });
  });

  it('treats missing args as an empty object', async () => {
    expect(await dispatchInvoke(handlers, 'app.info', undefined)).toMatchObject({ ok: true });
  });
});

describe('nextImage (playground releases)', () => {
  it('bumps a semver patch, else numbers a -next suffix', async () => {
    const { nextImage } = await import('../../src/core/fleet/cluster-runtime');
    expect(nextImage('ghcr.io/stefanprodan/podinfo:6.0.1')).toBe(
      'ghcr.io/stefanprodan/podinfo:6.0.2',
    );
    expect(nextImage('registry:5000/app:v1.2.9')).toBe('registry:5000/app:v1.2.10');
    expect(nextImage('nginx:latest')).toBe('nginx:latest-next-1');
    expect(nextImage('nginx:latest-next-1')).toBe('nginx:latest-next-2');
    expect(nextImage('registry:5000/app')).toBe('registry:5000/app:next-1');
  });
});

describe('canary detail methods', () => {
  it('canaries.detail and canaries.object take a canary key; actions include the gates', () => {
    const key = 'playground-staging/test/podinfo';
    expect(methods['canaries.detail'].parse({ key })).toEqual({ key });
    expect(() => methods['canaries.detail'].parse({ key: 'podinfo' })).toThrow(SchemaError);
    expect(
      methods['canaries.object'].parse({ key, kind: 'Ingress', name: 'podinfo-canary' }),
    ).toEqual({ key, kind: 'Ingress', name: 'podinfo-canary' });
    expect(() => methods['canaries.object'].parse({ key, kind: '', name: 'x' })).toThrow(
      SchemaError,
    );
    for (const action of ['openGate', 'closeGate', 'promote'] as const)
      expect(methods['canaries.action'].parse({ key, action })).toEqual({ key, action });
    expect(() => methods['canaries.action'].parse({ key, action: 'release' })).toThrow(SchemaError);
  });
});
