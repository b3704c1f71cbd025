/**
 * The few pieces of Go's fmt, strconv and time packages that Flagger's texts depend on.
 * Flagger prints values with `%v`, `%.2f` and time.Duration's String(); Aviary must print the
 * same characters, so these follow the Go algorithms rather than JavaScript's defaults.
 */

/** Nanoseconds per unit, as in Go's time package (a Duration is an int64 of nanoseconds). */
export const Nanosecond = 1;
export const Microsecond = 1_000;
export const Millisecond = 1_000_000;
export const Second = 1_000_000_000;
export const Minute = 60 * Second;
export const Hour = 60 * Minute;

/** Go's `%v` of a float64: strconv 'g' with the shortest digits (`99`, `99.5`, `1e+06`, `1e-05`). */
export function goFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const neg = value < 0;
  // toExponential() without an argument gives the shortest digits that round-trip, as Go's shortest mode.
  const [mantissa = '', expText = '0'] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exp = Number(expText);
  let out: string;
  // strconv: "%e is used if the exponent is less than -4 or greater than or equal to the
  // precision; if precision was the shortest possible, use precision 6 for this decision."
  if (exp < -4 || exp >= 6) {
    const frac = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const e = Math.abs(exp);
    out = `${digits[0]}${frac}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  } else if (exp < 0) {
    out = `0.${'0'.repeat(-exp - 1)}${digits}`;
  } else if (digits.length > exp + 1) {
    out = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  } else {
    out = digits + '0'.repeat(exp + 1 - digits.length);
  }
  return neg ? `-${out}` : out;
}

/**
 * Go's `%.<prec>f`. Go rounds the exact binary value and breaks exact ties to even (0.125 → "0.12");
 * JavaScript's toFixed breaks them upwards, so the tie is decided here on the exact expansion.
 */
export function goFixed(value: number, prec: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  const neg = value < 0 || Object.is(value, -0);
  const abs = Math.abs(value);
  // toFixed(100) is the exact decimal expansion of every double below 1e21 (larger ones are integers).
  const exact = abs >= 1e21 ? `${BigInt(abs).toString()}.0` : abs.toFixed(100);
  const [intPart = '0', fracPart = ''] = exact.split('.');
  const kept = intPart + fracPart.padEnd(prec, '0').slice(0, prec);
  const rest = fracPart.slice(prec);
  let roundUp = false;
  if (rest.length > 0) {
    const first = rest.charCodeAt(0) - 48;
    if (first > 5 || (first === 5 && /[1-9]/.test(rest.slice(1)))) roundUp = true;
    else if (first === 5) roundUp = (kept.charCodeAt(kept.length - 1) - 48) % 2 === 1;
  }
  const rounded = roundUp ? incrementDecimal(kept) : kept;
  const whole = rounded.slice(0, rounded.length - prec).replace(/^0+(?=\d)/, '') || '0';
  const out = prec > 0 ? `${whole}.${rounded.slice(rounded.length - prec)}` : whole;
  return neg ? `-${out}` : out;
}

function incrementDecimal(digits: string): string {
  const chars = digits.split('');
  for (let i = chars.length - 1; i >= 0; i--) {
    if (chars[i] === '9') {
      chars[i] = '0';
    } else {
      chars[i] = String.fromCharCode((chars[i] ?? '0').charCodeAt(0) + 1);
      return chars.join('');
    }
  }
  return `1${chars.join('')}`;
}

/**
 * Go's `%v` for the argument types Flagger passes to its format strings. A number that is an
 * integer prints as a Go int would; use goFloat for a float64 argument (1e6 prints `1e+06`).
 */
export function goValue(value: string | number | boolean | Error): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : goFloat(value);
  if (value instanceof Error) return value.message;
  return String(value);
}

/** Go's time.Duration.String() for a whole number of nanoseconds: `1.5s`, `500ms`, `1m0s`, `2h3m4s`, `0s`, `1µs`. */
export function formatGoDuration(nanoseconds: number): string {
  let u = Math.abs(Math.trunc(nanoseconds));
  const neg = nanoseconds < 0 && u !== 0;
  let out: string;
  if (u < Second) {
    if (u === 0) return '0s';
    let unit: string;
    let prec: number;
    if (u < Microsecond) {
      unit = 'ns';
      prec = 0;
    } else if (u < Millisecond) {
      unit = 'µs'; // U+00B5 MICRO SIGN, as Go prints it
      prec = 3;
    } else {
      unit = 'ms';
      prec = 6;
    }
    const [frac, whole] = fmtFrac(u, prec);
    out = `${whole}${frac}${unit}`;
  } else {
    const [frac, wholeSeconds] = fmtFrac(u, 9);
    u = wholeSeconds;
    out = `${u % 60}${frac}s`;
    u = Math.floor(u / 60);
    if (u > 0) {
      out = `${u % 60}m${out}`;
      u = Math.floor(u / 60);
      if (u > 0) out = `${u}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}

/** Go's fmtFrac: the fraction of v/10^prec without trailing zeros (no point when it is 0), and v/10^prec. */
function fmtFrac(v: number, prec: number): [string, number] {
  let frac = '';
  let print = false;
  for (let i = 0; i < prec; i++) {
    const digit = v % 10;
    print = print || digit !== 0;
    if (print) frac = String(digit) + frac;
    v = Math.floor(v / 10);
  }
  return [print ? `.${frac}` : '', v];
}

/** Raised by parseGoDuration with Go's own error text (e.g. `time: invalid duration "abc"`). */
export class GoDurationError extends Error {
  override name = 'GoDurationError';
}

const unitNanos: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5
  μs: 1_000n, // U+03BC
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const maxInt64 = (1n << 63n) - 1n;

/** Go's strconv.Quote for the short strings that appear in duration errors. */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

/**
 * Go's time.ParseDuration (`[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, or a bare "0"), in nanoseconds.
 * Throws GoDurationError with Go's message when the text is not a duration.
 */
export function parseGoDuration(text: string): number {
  const invalid = (): GoDurationError =>
    new GoDurationError(`time: invalid duration ${goQuote(text)}`);
  let s = text;
  let neg = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw invalid();
  let total = 0n;
  while (s !== '') {
    const c = s[0] ?? '';
    if (!(c === '.' || (c >= '0' && c <= '9'))) throw invalid();
    const intMatch = /^[0-9]*/.exec(s)?.[0] ?? '';
    s = s.slice(intMatch.length);
    const pre = intMatch.length > 0;
    let fracDigits = '';
    let post = false;
    if (s.startsWith('.')) {
      s = s.slice(1);
      fracDigits = /^[0-9]*/.exec(s)?.[0] ?? '';
      s = s.slice(fracDigits.length);
      post = fracDigits.length > 0;
    }
    if (!pre && !post) throw invalid();
    let i = 0;
    while (i < s.length && !(s[i] === '.' || ((s[i] ?? '') >= '0' && (s[i] ?? '') <= '9'))) i++;
    if (i === 0) throw new GoDurationError(`time: missing unit in duration ${goQuote(text)}`);
    const unitText = s.slice(0, i);
    s = s.slice(i);
    const unit = unitNanos[unitText];
    if (unit === undefined) {
      throw new GoDurationError(
        `time: unknown unit ${goQuote(unitText)} in duration ${goQuote(text)}`,
      );
    }
    const whole = intMatch === '' ? 0n : BigInt(intMatch);
    if (whole > (1n << 63n) / unit) throw invalid();
    let v = whole * unit;
    if (fracDigits !== '') {
      // Go: v += uint64(float64(f) * (float64(unit) / scale)), with f limited to what fits an int64.
      const f = Number(fracDigits.slice(0, 18));
      const scale = 10 ** Math.min(fracDigits.length, 18);
      v += BigInt(Math.trunc(f * (Number(unit) / scale)));
      if (v > 1n << 63n) throw invalid();
    }
    total += v;
    if (total > 1n << 63n) throw invalid();
  }
  if (!neg && total > maxInt64) throw invalid();
  return Number(neg ? -total : total);
}

/** parseGoDuration, or undefined when the text is not a Go duration. */
export function tryParseGoDuration(text: string): number | undefined {
  try {
    return parseGoDuration(text);
  } catch {
    return undefined;
  }
}

/**
 * `time.Duration(int64(ms)) * time.Millisecond`: how Flagger turns a millisecond float (a
 * threshold or a query result) into a Duration; the fraction is dropped, toward zero.
 */
export function millisecondsToGoDuration(ms: number): number {
  return Math.trunc(ms) * Millisecond;
}

/**
 * A small Go fmt.Sprintf for the verbs templates and texts use: %s %v %d %q %% and %.Nf.
 * Missing and extra arguments print as Go does (`%!s(MISSING)`, `%!(EXTRA string=x)`).
 */
export function goSprintf(format: string, ...args: ReadonlyArray<string | number>): string {
  let out = '';
  let argIndex = 0;
  for (let i = 0; i < format.length; i++) {
    const ch = format[i];
    if (ch !== '%') {
      out += ch;
      continue;
    }
    const m = /^(\.(\d+))?([a-zA-Z%])/.exec(format.slice(i + 1));
    if (!m) {
      out += '%!(NOVERB)';
      break;
    }
    i += m[0].length;
    const verb = m[3] ?? '';
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argIndex >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const arg = args[argIndex++] as string | number;
    switch (verb) {
      case 's':
      case 'v':
        out += typeof arg === 'number' ? goValue(arg) : arg;
        break;
      case 'd':
        out +=
          typeof arg === 'number' && Number.isInteger(arg) ? String(arg) : `%!d(string=${arg})`;
        break;
      case 'q':
        out += JSON.stringify(String(arg));
        break;
      case 'f':
        out +=
          typeof arg === 'number' ? goFixed(arg, m[2] ? Number(m[2]) : 6) : `%!f(string=${arg})`;
        break;
      default:
        out += `%!${verb}(${typeof arg === 'number' ? 'float64' : 'string'}=${String(arg)})`;
    }
  }
  if (argIndex < args.length) {
    const extra = args
      .slice(argIndex)
      .map((a) => `${typeof a === 'number' ? 'float64' : 'string'}=${String(a)}`);
    out += `%!(EXTRA ${extra.join(', ')})`;
  }
  return out;
}
