import { describe, expect, it } from 'vitest';
import { numberFlag, parseArgs, UsageError } from '../../src/shared/args';

const spec = { '--web': 'boolean', '--port': 'string', '--kubeconfig': 'list' } as const;

describe('parseArgs', () => {
  it('reads booleans, values in both spellings, repeated lists and positionals', () => {
    const args = parseArgs(
      ['run', '--web', '--port=8080', '--kubeconfig', 'a', '--kubeconfig=b'],
      spec,
    );
    expect(args.booleans.has('--web')).toBe(true);
    expect(args.strings.get('--port')).toBe('8080');
    expect(args.lists.get('--kubeconfig')).toEqual(['a', 'b']);
    expect(args.positionals).toEqual(['run']);
  });

  it('refuses unknown flags, missing values and values on booleans', () => {
    expect(() => parseArgs(['--nope'], spec)).toThrow(new UsageError('unknown option --nope'));
    expect(() => parseArgs(['--port'], spec)).toThrow('--port needs a value');
    expect(() => parseArgs(['--web=1'], spec)).toThrow('--web takes no value');
  });

  it('checks number bounds', () => {
    expect(
      numberFlag(parseArgs(['--port', '0'], spec), '--port', 5, {
        min: 0,
        max: 65535,
        integer: true,
      }),
    ).toBe(0);
    expect(numberFlag(parseArgs([], spec), '--port', 5)).toBe(5);
    expect(() =>
      numberFlag(parseArgs(['--port', '1.5'], spec), '--port', 0, { integer: true }),
    ).toThrow('integer');
    expect(() => numberFlag(parseArgs(['--port', 'x'], spec), '--port', 0, { max: 9 })).toThrow(
      'from -Infinity to 9',
    );
  });
});
