/**
 * Parser for the Prometheus text exposition format (0.0.4), the format prom-client writes.
 * Types and help lines are skipped: Prometheus 2.x stores bare samples too, and histograms
 * arrive as their `_bucket{le}`, `_sum` and `_count` series.
 */

export type Labels = Record<string, string>;

export interface ExposedSample {
  /** Includes `__name__`. */
  labels: Labels;
  value: number;
  /** Milliseconds, when the exporter set an explicit timestamp. */
  timestampMs?: number;
}

export class ExpositionError extends Error {
  constructor(line: number, message: string) {
    super(`text format parsing error in line ${line}: ${message}`);
  }
}

const NAME_START = /[a-zA-Z_:]/;
const NAME_CHAR = /[a-zA-Z0-9_:]/;

/** Parses a float the way Go's strconv.ParseFloat does for exposition values. */
export function parseGoFloat(text: string): number | undefined {
  const s = text.trim();
  if (/^[+]?inf(inity)?$/i.test(s)) return Infinity;
  if (/^-inf(inity)?$/i.test(s)) return -Infinity;
  if (/^[+-]?nan$/i.test(s)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) && !/^[+-]?0[xX][0-9a-fA-F]+$/.test(s))
    return undefined;
  const v = Number(s.startsWith('+') ? s.slice(1) : s);
  return Number.isNaN(v) ? undefined : v;
}

export function parseExposition(text: string): ExposedSample[] {
  const out: ExposedSample[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').replace(/\r$/, '');
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    out.push(parseSampleLine(trimmed, i + 1));
  }
  return out;
}

function parseSampleLine(line: string, lineNo: number): ExposedSample {
  let pos = 0;
  const fail = (msg: string): never => {
    throw new ExpositionError(lineNo, msg);
  };
  if (!NAME_START.test(line[0] ?? '')) fail(`invalid metric name in ${JSON.stringify(line)}`);
  while (pos < line.length && NAME_CHAR.test(line[pos] ?? '')) pos++;
  const labels: Labels = { __name__: line.slice(0, pos) };
  const skipSpaces = () => {
    while (line[pos] === ' ' || line[pos] === '\t') pos++;
  };
  skipSpaces();
  if (line[pos] === '{') {
    pos++;
    for (;;) {
      skipSpaces();
      if (line[pos] === '}') {
        pos++;
        break;
      }
      const start = pos;
      while (pos < line.length && NAME_CHAR.test(line[pos] ?? '')) pos++;
      const name = line.slice(start, pos);
      if (!name || !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) fail('invalid label name');
      skipSpaces();
      if (line[pos] !== '=') fail(`expected '=' after label name ${name}`);
      pos++;
      skipSpaces();
      if (line[pos] !== '"') fail(`expected '"' to start the value of label ${name}`);
      pos++;
      let value = '';
      for (;;) {
        const c = line[pos];
        if (c === undefined) fail('unterminated label value');
        pos++;
        if (c === '"') break;
        if (c === '\\') {
          const e = line[pos++];
          if (e === 'n') value += '\n';
          else if (e === '\\' || e === '"') value += e;
          else fail(`invalid escape sequence '\\${e ?? ''}'`);
        } else value += c;
      }
      if (name in labels) fail(`duplicate label name ${name}`);
      labels[name] = value;
      skipSpaces();
      if (line[pos] === ',') pos++;
      else if (line[pos] !== '}') fail("expected ',' or '}' after label value");
    }
  }
  const rest = line
    .slice(pos)
    .trim()
    .split(/[ \t]+/);
  const valueText = rest[0];
  if (valueText === undefined || valueText === '') fail('missing value');
  const value = parseGoFloat(valueText ?? '');
  if (value === undefined) fail(`invalid value ${JSON.stringify(valueText)}`);
  const sample: ExposedSample = { labels, value: value as number };
  if (rest.length > 1) {
    const ts = rest[1] ?? '';
    if (!/^-?\d+$/.test(ts) || rest.length > 2) fail(`invalid timestamp ${JSON.stringify(ts)}`);
    sample.timestampMs = Number(ts);
  }
  return sample;
}
