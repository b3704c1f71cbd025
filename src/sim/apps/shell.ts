/**
 * A small POSIX-shell interpreter for the loadtester's `bash -c` / `sh -c` tasks. Nothing
 * runs on the host: commands are simulated (curl and hey send through the traffic
 * simulation, sleep waits on the clock). It covers what webhook commands use:
 * pipelines, && || ; and newlines, quotes and escapes, $VAR / ${VAR} / $? / $(...) and
 * `...`, assignments, redirections to files kept in memory (> >> 2> 2>&1 &> <), and
 * the commands echo, printf, grep, jq (paths only), cat, head, tail, wc, test/[, sleep,
 * true, false, exit, export, curl and hey. Control structures (if, for, while, functions)
 * are not supported and fail with a syntax error.
 */
import type { Clock } from '../../shared/clock';
import type { PodNetwork } from './app';
import { curlCommand, heyCommand } from './tools';

export interface ShellOptions {
  clock: Clock;
  network: PodNetwork;
  /** 'bash' (bash -c) or 'sh' (the loadtester's cmd tasks run sh -c) for error texts. */
  dialect: 'bash' | 'sh';
}

export interface ShellResult {
  code: number;
  /** stdout and stderr interleaved in the order written, as Go's CombinedOutput. */
  output: string;
}

/** What a simulated command gets: arguments, stdin, and its two output streams. */
export interface CommandIO {
  args: string[];
  stdin: string;
  out(text: string): void;
  err(text: string): void;
  clock: Clock;
  network: PodNetwork;
}

export type SimCommand = (io: CommandIO) => Promise<number> | number;

type Part =
  | { kind: 'lit'; text: string; quoted: boolean }
  | { kind: 'var'; name: string; quoted: boolean }
  | { kind: 'sub'; script: string; quoted: boolean };
type Word = Part[];
type Token = { kind: 'word'; word: Word } | { kind: 'op'; op: string };

interface Redirect {
  op: string;
  target?: Word;
}
interface SimpleCommand {
  words: Word[];
  redirects: Redirect[];
}
interface Pipeline {
  negate: boolean;
  commands: SimpleCommand[];
}
interface AndOr {
  first: Pipeline;
  rest: { op: '&&' | '||'; pipeline: Pipeline }[];
}

class ShellSyntaxError extends Error {}
class ShellExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

const REDIRECT_OPS = ['2>&1', '>&2', '2>>', '&>', '>>', '2>', '>', '<'];
const CONTROL_OPS = ['&&', '||', '|', ';', '&', '(', ')'];
const RESERVED = new Set([
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'for',
  'while',
  'until',
  'do',
  'done',
  'case',
  'esac',
  'function',
  '{',
  '}',
]);

/** Finds the end of a $( ... ) body starting after "$(", honouring nesting and quotes. */
function matchParen(src: string, start: number): number {
  let depth = 1;
  for (let i = start; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') i++;
    else if (c === "'") i = src.indexOf("'", i + 1);
    else if (c === '"') {
      for (i++; i < src.length && src[i] !== '"'; i++) if (src[i] === '\\') i++;
    } else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
    if (i < 0) break;
  }
  throw new ShellSyntaxError("unexpected EOF while looking for matching `)'");
}

export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let word: Word | undefined;
  const lit = (text: string, quoted: boolean) => {
    word ??= [];
    const last = word[word.length - 1];
    if (last && last.kind === 'lit' && last.quoted === quoted) last.text += text;
    else word.push({ kind: 'lit', text, quoted });
  };
  const endWord = () => {
    if (word) tokens.push({ kind: 'word', word });
    word = undefined;
  };
  // Reads $NAME, ${NAME}, $?, $(...) at src[i] === '$'; returns the index after it.
  const dollar = (i: number, quoted: boolean): number => {
    const next = src[i + 1] ?? '';
    word ??= [];
    if (next === '(') {
      const end = matchParen(src, i + 2);
      word.push({ kind: 'sub', script: src.slice(i + 2, end), quoted });
      return end + 1;
    }
    if (next === '{') {
      const end = src.indexOf('}', i + 2);
      if (end < 0) throw new ShellSyntaxError('bad substitution');
      word.push({ kind: 'var', name: src.slice(i + 2, end), quoted });
      return end + 1;
    }
    const name = /^(\?|[A-Za-z_][A-Za-z0-9_]*|[0-9#@*$])/.exec(src.slice(i + 1))?.[0];
    if (!name) {
      lit('$', quoted);
      return i + 1;
    }
    word.push({ kind: 'var', name, quoted });
    return i + 1 + name.length;
  };

  let i = 0;
  while (i < src.length) {
    const c = src[i] ?? '';
    if (c === ' ' || c === '\t') {
      endWord();
      i++;
    } else if (c === '\n') {
      endWord();
      tokens.push({ kind: 'op', op: ';' });
      i++;
    } else if (c === '#' && !word) {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (c === '\\') {
      if (src[i + 1] !== '\n') lit(src[i + 1] ?? '', true);
      i += 2;
    } else if (c === "'") {
      const end = src.indexOf("'", i + 1);
      if (end < 0) throw new ShellSyntaxError("unexpected EOF while looking for matching `''");
      lit(src.slice(i + 1, end), true);
      i = end + 1;
    } else if (c === '"') {
      word ??= [];
      i++;
      while (i < src.length && src[i] !== '"') {
        const d = src[i] ?? '';
        if (d === '\\' && '"\\$`\n'.includes(src[i + 1] ?? '')) {
          if (src[i + 1] !== '\n') lit(src[i + 1] ?? '', true);
          i += 2;
        } else if (d === '$') i = dollar(i, true);
        else if (d === '`') {
          const end = src.indexOf('`', i + 1);
          if (end < 0) throw new ShellSyntaxError("unexpected EOF while looking for matching ``'");
          word.push({ kind: 'sub', script: src.slice(i + 1, end), quoted: true });
          i = end + 1;
        } else {
          lit(d, true);
          i++;
        }
      }
      if (i >= src.length)
        throw new ShellSyntaxError('unexpected EOF while looking for matching `"\'');
      i++;
    } else if (c === '$') {
      i = dollar(i, false);
    } else if (c === '`') {
      const end = src.indexOf('`', i + 1);
      if (end < 0) throw new ShellSyntaxError("unexpected EOF while looking for matching ``'");
      word ??= [];
      word.push({ kind: 'sub', script: src.slice(i + 1, end), quoted: false });
      i = end + 1;
    } else {
      const atWordStart = !word;
      const redirect = REDIRECT_OPS.find(
        (op) => src.startsWith(op, i) && (atWordStart || !op.startsWith('2')),
      );
      const control = CONTROL_OPS.find((op) => src.startsWith(op, i));
      const op = redirect ?? control;
      if (op && (atWordStart || !op.startsWith('2'))) {
        endWord();
        tokens.push({ kind: 'op', op });
        i += op.length;
      } else {
        lit(c, false);
        i++;
      }
    }
  }
  endWord();
  return tokens;
}

function literalText(word: Word): string | undefined {
  return word.every((p) => p.kind === 'lit')
    ? word.map((p) => (p.kind === 'lit' ? p.text : '')).join('')
    : undefined;
}

export function parse(tokens: Token[]): AndOr[] {
  let pos = 0;
  const peekOp = () => {
    const t = tokens[pos];
    return t?.kind === 'op' ? t.op : undefined;
  };
  const unexpected = (): never => {
    const t = tokens[pos];
    const text = !t ? 'newline' : t.kind === 'op' ? t.op : (literalText(t.word) ?? 'word');
    throw new ShellSyntaxError(`syntax error near unexpected token \`${text}'`);
  };
  const command = (): SimpleCommand => {
    const cmd: SimpleCommand = { words: [], redirects: [] };
    for (;;) {
      const t = tokens[pos];
      if (!t) break;
      if (t.kind === 'word') {
        const text = literalText(t.word);
        if (cmd.words.length === 0 && text !== undefined && RESERVED.has(text)) {
          throw new ShellSyntaxError(
            `syntax error near unexpected token \`${text}' (the playground shell runs simple commands only)`,
          );
        }
        cmd.words.push(t.word);
        pos++;
      } else if (REDIRECT_OPS.includes(t.op)) {
        pos++;
        if (t.op === '2>&1' || t.op === '>&2') cmd.redirects.push({ op: t.op });
        else {
          const target = tokens[pos];
          if (target?.kind !== 'word') unexpected();
          cmd.redirects.push({ op: t.op, target: (target as { word: Word }).word });
          pos++;
        }
      } else break;
    }
    if (cmd.words.length === 0 && cmd.redirects.length === 0) unexpected();
    return cmd;
  };
  const pipeline = (): Pipeline => {
    let negate = false;
    const first = tokens[pos];
    if (first?.kind === 'word' && literalText(first.word) === '!') {
      negate = true;
      pos++;
    }
    const commands = [command()];
    while (peekOp() === '|') {
      pos++;
      commands.push(command());
    }
    return { negate, commands };
  };
  const list: AndOr[] = [];
  while (pos < tokens.length) {
    if (peekOp() === ';' || peekOp() === '&') {
      pos++;
      continue;
    }
    if (peekOp() === '(' || peekOp() === ')') unexpected();
    const andOr: AndOr = { first: pipeline(), rest: [] };
    for (let op = peekOp(); op === '&&' || op === '||'; op = peekOp()) {
      pos++;
      while (peekOp() === ';' && tokens[pos - 1]?.kind === 'op') pos++; // a newline may follow && / ||
      andOr.rest.push({ op, pipeline: pipeline() });
    }
    list.push(andOr);
    const op = peekOp();
    if (op !== undefined && op !== ';' && op !== '&') unexpected();
  }
  return list;
}

type Sink = (text: string) => void;

class Shell {
  readonly vars = new Map<string, string>();
  status = 0;

  constructor(
    readonly options: ShellOptions,
    readonly files: Map<string, string>,
    readonly commands: Record<string, SimCommand>,
  ) {}

  errorPrefix(): string {
    return this.options.dialect === 'bash' ? 'bash: line 1: ' : 'sh: 1: ';
  }

  async run(script: string, stdout: Sink, stderr: Sink): Promise<number> {
    const list = parse(tokenize(script));
    for (const andOr of list) {
      let status = await this.pipeline(andOr.first, stdout, stderr);
      for (const { op, pipeline } of andOr.rest) {
        if ((op === '&&' && status === 0) || (op === '||' && status !== 0)) {
          status = await this.pipeline(pipeline, stdout, stderr);
        }
      }
      this.status = status;
    }
    return this.status;
  }

  private async pipeline(p: Pipeline, stdout: Sink, stderr: Sink): Promise<number> {
    let input = '';
    let status = 0;
    for (let i = 0; i < p.commands.length; i++) {
      const last = i === p.commands.length - 1;
      let piped = '';
      const out: Sink = last ? stdout : (text) => (piped += text);
      status = await this.simple(p.commands[i] as SimpleCommand, input, out, stderr);
      input = piped;
    }
    const result = p.negate ? Number(status === 0) : status;
    this.status = result;
    return result;
  }

  private async expand(word: Word, stderr: Sink): Promise<string[]> {
    let text = '';
    let split = false;
    for (const part of word) {
      if (part.kind === 'lit') text += part.text;
      else {
        const value =
          part.kind === 'var'
            ? part.name === '?'
              ? String(this.status)
              : (this.vars.get(part.name) ?? '')
            : await this.substitute(part.script, stderr);
        text += value;
        if (!part.quoted) split = true;
      }
    }
    // Unquoted expansions are split into fields; an empty unquoted expansion vanishes.
    if (split) return text.split(/[ \t\n]+/).filter((f) => f !== '');
    return [text];
  }

  private async substitute(script: string, stderr: Sink): Promise<string> {
    const sub = new Shell(this.options, this.files, this.commands);
    for (const [k, v] of this.vars) sub.vars.set(k, v);
    let captured = '';
    try {
      await sub.run(script, (t) => (captured += t), stderr);
    } catch (error) {
      if (!(error instanceof ShellExit)) throw error;
    }
    this.status = sub.status;
    return captured.replace(/\n+$/, '');
  }

  private async simple(
    cmd: SimpleCommand,
    stdin: string,
    stdout: Sink,
    stderr: Sink,
  ): Promise<number> {
    const args: string[] = [];
    const assignments: [string, string][] = [];
    for (const word of cmd.words) {
      const first = word[0];
      if (
        args.length === 0 &&
        first?.kind === 'lit' &&
        !first.quoted &&
        /^[A-Za-z_][A-Za-z0-9_]*=/.test(first.text)
      ) {
        const eq = first.text.indexOf('=');
        const rest: Word = [{ ...first, text: first.text.slice(eq + 1) }, ...word.slice(1)];
        assignments.push([first.text.slice(0, eq), (await this.expand(rest, stderr)).join(' ')]);
        continue;
      }
      args.push(...(await this.expand(word, stderr)));
    }
    let out = stdout;
    let err = stderr;
    let input = stdin;
    for (const r of cmd.redirects) {
      if (r.op === '2>&1') err = out;
      else if (r.op === '>&2') out = err;
      else {
        const target = (await this.expand(r.target ?? [], stderr)).join(' ');
        if (r.op === '<') {
          const content = this.files.get(target);
          if (content === undefined) {
            stderr(`${this.errorPrefix()}${target}: No such file or directory\n`);
            return 1;
          }
          input = content;
          continue;
        }
        const sink = this.fileSink(target, r.op.endsWith('>>'));
        if (r.op === '&>') out = err = sink;
        else if (r.op.startsWith('2')) err = sink;
        else out = sink;
      }
    }
    if (args.length === 0) {
      for (const [k, v] of assignments) this.vars.set(k, v);
      return 0;
    }
    const [name = '', ...rest] = args;
    if (name === 'exit') {
      const code = rest[0] === undefined ? this.status : Number(rest[0]) & 255;
      throw new ShellExit(Number.isNaN(code) ? 2 : code);
    }
    if (name === 'export') {
      for (const a of rest) {
        const eq = a.indexOf('=');
        if (eq > 0) this.vars.set(a.slice(0, eq), a.slice(eq + 1));
      }
      return 0;
    }
    const command = this.commands[name];
    if (!command) {
      err(
        this.options.dialect === 'bash'
          ? `${this.errorPrefix()}${name}: command not found\n`
          : `${this.errorPrefix()}${name}: not found\n`,
      );
      return 127;
    }
    return command({
      args: rest,
      stdin: input,
      out,
      err,
      clock: this.options.clock,
      network: this.options.network,
    });
  }

  private fileSink(path: string, append: boolean): Sink {
    if (path === '/dev/null') return () => undefined;
    if (path === '/dev/stderr') return (t) => this.files.set('/dev/stderr', t);
    if (!append) this.files.set(path, '');
    return (text) => this.files.set(path, (this.files.get(path) ?? '') + text);
  }
}

/** Runs a script (the text after `bash -c`) against the simulated cluster. */
export async function runShell(script: string, options: ShellOptions): Promise<ShellResult> {
  let output = '';
  const sink: Sink = (text) => (output += text);
  const shell = new Shell(options, new Map(), builtinCommands());
  try {
    const code = await shell.run(script, sink, sink);
    return { code, output };
  } catch (error) {
    if (error instanceof ShellExit) return { code: error.code, output };
    if (error instanceof ShellSyntaxError) {
      const where = options.dialect === 'bash' ? 'bash: -c: line 1: ' : 'sh: 1: ';
      return { code: 2, output: `${output}${where}${error.message}\n` };
    }
    throw error;
  }
}

// --- the simulated commands ---------------------------------------------------------

function builtinCommands(): Record<string, SimCommand> {
  return {
    echo,
    printf,
    grep,
    jq,
    cat,
    head: headTail(true),
    tail: headTail(false),
    wc,
    test: (io) => testCommand(io, false),
    '[': (io) => testCommand(io, true),
    sleep,
    true: () => 0,
    false: () => 1,
    ':': () => 0,
    curl: curlCommand,
    hey: heyCommand,
    kubectl: notSimulated('kubectl'),
    helm: notSimulated('helm'),
    helmv3: notSimulated('helmv3'),
  };
}

function notSimulated(name: string): SimCommand {
  return (io) => {
    io.err(`${name}: not simulated in the playground loadtester\n`);
    return 1;
  };
}

function unescapeEcho(text: string): string {
  return text.replace(
    /\\(n|t|\\|r)/g,
    (_m, c: string) => ({ n: '\n', t: '\t', r: '\r', '\\': '\\' })[c] ?? c,
  );
}

function echo(io: CommandIO): number {
  let args = io.args;
  let newline = true;
  let escapes = false;
  while (args[0] && /^-[neE]+$/.test(args[0])) {
    if (args[0].includes('n')) newline = false;
    if (args[0].includes('e')) escapes = true;
    args = args.slice(1);
  }
  const text = args.join(' ');
  io.out((escapes ? unescapeEcho(text) : text) + (newline ? '\n' : ''));
  return 0;
}

function printf(io: CommandIO): number {
  const [format = '', ...values] = io.args;
  let i = 0;
  const text = unescapeEcho(format).replace(/%([sd%])/g, (_m, c: string) => {
    if (c === '%') return '%';
    const v = values[i++] ?? '';
    return c === 'd' ? String(Number.parseInt(v, 10) || 0) : v;
  });
  io.out(text);
  return 0;
}

/** Turns a POSIX basic regular expression into a JavaScript one (BRE's \( \| \+ are special). */
function basicToJs(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? '';
    if (c === '\\' && i + 1 < pattern.length) {
      const n = pattern[++i] ?? '';
      out += '(){}|+?'.includes(n) ? n : `\\${n}`;
    } else out += '(){}|+?'.includes(c) ? `\\${c}` : c;
  }
  return out;
}

function grep(io: CommandIO): number {
  let quiet = false;
  let invert = false;
  let ignoreCase = false;
  let mode: 'basic' | 'extended' | 'fixed' = 'basic';
  let count = false;
  let onlyMatching = false;
  let word = false;
  const patterns: string[] = [];
  const files: string[] = [];
  const args = [...io.args];
  while (args.length) {
    const a = args.shift() ?? '';
    if (a === '--') {
      files.push(...args.splice(0));
    } else if (a === '-e') patterns.push(args.shift() ?? '');
    else if (a.startsWith('-') && a.length > 1 && !/^-\d/.test(a)) {
      for (const f of a.slice(1)) {
        if (f === 'q' || f === 's') quiet ||= f === 'q';
        else if (f === 'v') invert = true;
        else if (f === 'i') ignoreCase = true;
        else if (f === 'E') mode = 'extended';
        else if (f === 'F') mode = 'fixed';
        else if (f === 'c') count = true;
        else if (f === 'o') onlyMatching = true;
        else if (f === 'w') word = true;
        else {
          io.err(`grep: invalid option -- '${f}'\nUsage: grep [OPTION]... PATTERNS [FILE]...\n`);
          return 2;
        }
      }
    } else if (patterns.length === 0) patterns.push(a);
    else files.push(a);
  }
  if (patterns.length === 0) {
    io.err('Usage: grep [OPTION]... PATTERNS [FILE]...\n');
    return 2;
  }
  if (files.length) {
    io.err(`grep: ${files[0]}: No such file or directory\n`);
    return 2;
  }
  let regexes: RegExp[];
  try {
    regexes = patterns.map((p) => {
      let source =
        mode === 'fixed'
          ? p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
          : mode === 'basic'
            ? basicToJs(p)
            : p;
      if (word) source = `\\b(?:${source})\\b`;
      return new RegExp(source, ignoreCase ? 'gi' : 'g');
    });
  } catch {
    io.err('grep: Unmatched ( or \\(\n');
    return 2;
  }
  const lines = io.stdin.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let matched = 0;
  for (const line of lines) {
    const hits = regexes.flatMap((r) => [...line.matchAll(r)].map((m) => m[0]));
    const selected = invert ? hits.length === 0 : hits.length > 0;
    if (!selected) continue;
    matched++;
    if (quiet) return 0;
    if (!count) io.out(onlyMatching && !invert ? hits.map((h) => `${h}\n`).join('') : `${line}\n`);
  }
  if (count) io.out(`${matched}\n`);
  return matched > 0 ? 0 : 1;
}

/** jq with path filters: ., .a, .a.b, .a[0], .["k"], .a?, and `length`, `keys`. */
function jq(io: CommandIO): number {
  let raw = false;
  let exitStatus = false;
  let compact = false;
  let filter: string | undefined;
  for (const a of io.args) {
    if (/^-[rejcMCn]+$/.test(a)) {
      raw ||= a.includes('r');
      exitStatus ||= a.includes('e');
      compact ||= a.includes('c');
    } else if (a === '--raw-output') raw = true;
    else if (filter === undefined) filter = a;
  }
  filter ??= '.';
  const inputs: unknown[] = [];
  const text = io.stdin.trim();
  if (text) {
    try {
      inputs.push(JSON.parse(text) as unknown);
    } catch {
      io.err(`jq: error (at <stdin>:${io.stdin.split('\n').length}): Cannot parse input as JSON\n`);
      return 2;
    }
  }
  let last: unknown = null;
  for (const input of inputs) {
    let value: unknown = input;
    try {
      for (const stage of filter.split('|').map((s) => s.trim())) value = applyPath(value, stage);
    } catch (error) {
      io.err(`jq: error (at <stdin>:0): ${(error as Error).message}\n`);
      return 5;
    }
    last = value;
    io.out(
      `${raw && typeof value === 'string' ? value : JSON.stringify(value, null, compact ? undefined : 2)}\n`,
    );
  }
  if (exitStatus) return last === null || last === false ? 1 : 0;
  return 0;
}

function applyPath(value: unknown, filter: string): unknown {
  if (filter === 'length') {
    if (Array.isArray(value) || typeof value === 'string') return value.length;
    return value && typeof value === 'object' ? Object.keys(value).length : 0;
  }
  if (filter === 'keys')
    return value && typeof value === 'object' ? Object.keys(value).sort() : null;
  if (!filter.startsWith('.')) throw new Error(`${filter}/0 is not defined`);
  const steps =
    filter.match(/\.[A-Za-z_][A-Za-z0-9_-]*\??|\[\d+\]\??|\.?\["[^"]*"\]\??|\.$/g) ?? [];
  let current = value;
  for (const step of steps) {
    if (step === '.') continue;
    const optional = step.endsWith('?');
    const s = optional ? step.slice(0, -1) : step;
    const index = /^\[(\d+)\]$/.exec(s);
    const quoted = /^\.?\["([^"]*)"\]$/.exec(s);
    const key = index ? Number(index[1]) : quoted ? (quoted[1] ?? '') : s.slice(1);
    if (current === null || current === undefined) current = null;
    else if (typeof key === 'number') {
      if (!Array.isArray(current)) {
        if (optional) return null;
        throw new Error(`Cannot index ${typeof current} with number`);
      }
      current = current[key] ?? null;
    } else if (typeof current === 'object' && !Array.isArray(current)) {
      current = (current as Record<string, unknown>)[key] ?? null;
    } else {
      if (optional) return null;
      throw new Error(
        `Cannot index ${Array.isArray(current) ? 'array' : typeof current} with "${key}"`,
      );
    }
  }
  return current;
}

function cat(io: CommandIO): number {
  io.out(io.stdin);
  return 0;
}

function headTail(head: boolean): SimCommand {
  return (io) => {
    let n = 10;
    const a = io.args;
    for (let i = 0; i < a.length; i++) {
      if (a[i] === '-n') n = Number(a[++i]) || 0;
      else if (/^-\d+$/.test(a[i] ?? '')) n = Number((a[i] ?? '').slice(1));
    }
    const lines = io.stdin.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    const picked = head ? lines.slice(0, n) : lines.slice(Math.max(0, lines.length - n));
    io.out(picked.map((l) => `${l}\n`).join(''));
    return 0;
  };
}

function wc(io: CommandIO): number {
  const lines = (io.stdin.match(/\n/g) ?? []).length;
  const words = io.stdin.split(/\s+/).filter(Boolean).length;
  const flags = io.args.join('');
  if (flags.includes('l')) io.out(`${lines}\n`);
  else if (flags.includes('w')) io.out(`${words}\n`);
  else if (flags.includes('c')) io.out(`${Buffer.byteLength(io.stdin)}\n`);
  else io.out(`${lines} ${words} ${Buffer.byteLength(io.stdin)}\n`);
  return 0;
}

function testCommand(io: CommandIO, bracket: boolean): number {
  let args = io.args;
  if (bracket) {
    if (args[args.length - 1] !== ']') {
      io.err("bash: [: missing `]'\n");
      return 2;
    }
    args = args.slice(0, -1);
  }
  const evaluate = (a: string[]): boolean => {
    if (a[0] === '!') return !evaluate(a.slice(1));
    if (a.length === 0) return false;
    if (a.length === 1) return (a[0] ?? '') !== '';
    if (a.length === 2) {
      const [op, v = ''] = a;
      if (op === '-z') return v === '';
      if (op === '-n') return v !== '';
      if (op === '-f' || op === '-e') return false;
      throw new Error(`${op}: unary operator expected`);
    }
    const [l = '', op, r = ''] = a;
    const ln = Number(l);
    const rn = Number(r);
    const numeric = () => {
      if (!/^-?\d+$/.test(l.trim()) || !/^-?\d+$/.test(r.trim())) {
        throw new Error(`${/^-?\d+$/.test(l.trim()) ? r : l}: integer expression expected`);
      }
    };
    switch (op) {
      case '=':
      case '==':
        return l === r;
      case '!=':
        return l !== r;
      case '-eq':
        numeric();
        return ln === rn;
      case '-ne':
        numeric();
        return ln !== rn;
      case '-lt':
        numeric();
        return ln < rn;
      case '-le':
        numeric();
        return ln <= rn;
      case '-gt':
        numeric();
        return ln > rn;
      case '-ge':
        numeric();
        return ln >= rn;
      default:
        throw new Error(`${op ?? ''}: binary operator expected`);
    }
  };
  try {
    return evaluate(args) ? 0 : 1;
  } catch (error) {
    io.err(`bash: ${bracket ? '[' : 'test'}: ${(error as Error).message}\n`);
    return 2;
  }
}

/** Go-style and sleep(1)-style durations: "500ms", "1m30s", "2", "1.5s", "1h". */
export function parseDuration(text: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let rest = text;
  while (rest) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)/.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * (units[m[2] ?? 's'] ?? 1000);
    rest = rest.slice(m[0].length);
  }
  return text ? total : undefined;
}

async function sleep(io: CommandIO): Promise<number> {
  if (io.args.length === 0) {
    io.err('sleep: missing operand\n');
    return 1;
  }
  let total = 0;
  for (const a of io.args) {
    const ms = parseDuration(a.replace(/d$/, ''));
    if (ms === undefined) {
      io.err(`sleep: invalid time interval '${a}'\n`);
      return 1;
    }
    total += a.endsWith('d') ? ms * 86400 : ms;
  }
  await io.clock.sleep(total);
  return 0;
}
