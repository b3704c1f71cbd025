import { describe, expect, it } from 'vitest';
import {
  Hour,
  Microsecond,
  Millisecond,
  Minute,
  Second,
  formatGoDuration,
  goFixed,
  goFloat,
  goSprintf,
  millisecondsToGoDuration,
  parseGoDuration,
} from '../../src/core/canary/go-format';

describe("Go's time.Duration String()", () => {
  it.each([
    [0, '0s'],
    [1, '1ns'],
    [999, '999ns'],
    [Microsecond, '1µs'],
    [1500, '1.5µs'],
    [Millisecond, '1ms'],
    [500 * Millisecond, '500ms'],
    [1_234_567, '1.234567ms'],
    [Second, '1s'],
    [1500 * Millisecond, '1.5s'],
    [1200 * Millisecond, '1.2s'],
    [Minute, '1m0s'],
    [90 * Second, '1m30s'],
    [2 * Hour + 3 * Minute + 4 * Second, '2h3m4s'],
    [Hour, '1h0m0s'],
    [Minute + 500 * Millisecond, '1m0.5s'],
    [-1500 * Millisecond, '-1.5s'],
    [100 * Hour, '100h0m0s'],
  ])('%i ns → %s', (ns, text) => {
    expect(formatGoDuration(ns)).toBe(text);
  });
});

describe("Go's time.ParseDuration", () => {
  it.each([
    ['0', 0],
    ['1m30s', 90 * Second],
    ['1.5s', 1500 * Millisecond],
    ['500ms', 500 * Millisecond],
    ['.5s', 500 * Millisecond],
    ['1.s', Second],
    ['-2m', -2 * Minute],
    ['+10s', 10 * Second],
    ['2h45m', 2 * Hour + 45 * Minute],
    ['1µs', Microsecond],
    ['1μs', Microsecond],
    ['3us', 3 * Microsecond],
    ['7ns', 7],
    ['1h1m1s1ms1us1ns', Hour + Minute + Second + Millisecond + Microsecond + 1],
  ])('%s → %i ns', (text, ns) => {
    expect(parseGoDuration(text)).toBe(ns);
  });

  it.each([
    ['', 'time: invalid duration ""'],
    ['abc', 'time: invalid duration "abc"'],
    ['.s', 'time: invalid duration ".s"'],
    ['1', 'time: missing unit in duration "1"'],
    ['1d', 'time: unknown unit "d" in duration "1d"'],
    ['5 s', 'time: unknown unit " s" in duration "5 s"'],
    ['-', 'time: invalid duration "-"'],
  ])('%j fails with Go’s message', (text, message) => {
    expect(() => parseGoDuration(text)).toThrow(message);
  });

  it('round-trips through String()', () => {
    for (const text of ['1m30s', '1.5s', '500ms', '2h3m4s', '1µs']) {
      expect(formatGoDuration(parseGoDuration(text))).toBe(text);
    }
  });

  it('converts millisecond floats as time.Duration(int64(v)) * time.Millisecond', () => {
    expect(millisecondsToGoDuration(500.9)).toBe(500 * Millisecond);
    expect(formatGoDuration(millisecondsToGoDuration(1500))).toBe('1.5s');
  });
});

describe("Go's fmt", () => {
  it.each([
    [99, '99'],
    [99.5, '99.5'],
    [0.1, '0.1'],
    [100000, '100000'],
    [1e6, '1e+06'],
    [1234567, '1.234567e+06'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [-2.5, '-2.5'],
    [0, '0'],
    [1e21, '1e+21'],
    [Number.NaN, 'NaN'],
    [Infinity, '+Inf'],
  ])('%%v of float64 %s → %s', (value, text) => {
    expect(goFloat(value)).toBe(text);
  });

  it.each([
    [69.1666, '69.17'],
    [99, '99.00'],
    [0.125, '0.12'],
    [0.375, '0.38'],
    [2.675, '2.67'],
    [99.995, '100.00'],
    [-0.001, '-0.00'],
    [1e22, '10000000000000000000000.00'],
  ])('%%.2f of %s → %s', (value, text) => {
    expect(goFixed(value, 2)).toBe(text);
  });

  it('implements the Sprintf verbs templates use', () => {
    expect(goSprintf('kube(ew)?_%s__%s_canary', 'test', 'podinfo')).toBe(
      'kube(ew)?_test__podinfo_canary',
    );
    expect(goSprintf('%d%% of %v', 5, 'x')).toBe('5% of x');
    expect(goSprintf('%q', 'a"b')).toBe('"a\\"b"');
    expect(goSprintf('%s and %s', 'a')).toBe('a and %!s(MISSING)');
    expect(goSprintf('%s', 'a', 'b')).toBe('a%!(EXTRA string=b)');
    expect(goSprintf('%.1f', 2.25)).toBe('2.2');
  });
});
