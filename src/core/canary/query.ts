/**
 * Metric query rendering (pkg/metrics/observers/render.go) and the builtin query table.
 *
 * Flagger renders queries with Go's text/template, `missingkey=error`, no data (`.` is nil) and
 * one function per model field. This is the subset those templates use: the model functions,
 * `{{ variables.x }}`, `{{-`/`-}}` trimming, `$v := ...` / `$v` variables, pipes, string and
 * number literals, and the builtins printf/print/println/index/len. Anything else (if, range,
 * parentheses...) is refused with an error naming it rather than rendered differently from Go.
 * Errors carry Go's text (`template: tmpl:1:12: executing "tmpl" at <variables.x>: map has no
 * entry for key "x"`) wrapped as RenderQuery wraps them, so events read as Flagger's do.
 */
import { BUILTIN_QUERIES } from './builtin-queries';
import type { Observer } from './builtin-queries';
import { Millisecond, goFloat, goSprintf } from './go-format';
import { isKnativeService, metricInterval, serviceNames } from './spec';
import type {
  BuiltinMetricName,
  Canary,
  CanaryMetric,
  MetricTemplateModel,
  StringMap,
} from './types';

export { BUILTIN_QUERIES, OBSERVERS } from './builtin-queries';
export type { Observer } from './builtin-queries';

export type RenderResult = { ok: true; query: string } | { ok: false; error: string };

const TEMPLATE_NAME = 'tmpl';

type Value = string | number | boolean | StringMap;

class TemplateError extends Error {}

interface Token {
  kind: 'ident' | 'field' | 'var' | 'string' | 'number' | 'bool' | 'pipe' | 'declare' | 'assign';
  text: string;
  /** Byte offset in the template (Go positions are byte offsets; ours are UTF-16, equal for ASCII). */
  pos: number;
  value?: string | number | boolean;
}

interface Operand {
  head: Token;
  fields: Token[];
  source: string;
}

interface Action {
  kind: 'action';
  declare?: string;
  commands: Operand[][];
  pos: number;
}

type Node = { kind: 'text'; text: string } | Action;

const MODEL_FUNCTIONS = [
  'name',
  'namespace',
  'target',
  'service',
  'ingress',
  'route',
  'interval',
  'variables',
];
const SUPPORTED_BUILTINS = ['printf', 'print', 'println', 'index', 'len'];
/** Go's other builtins and keywords: valid Go templates, but not rendered here. */
// prettier-ignore
const UNSUPPORTED = [
  'and', 'or', 'not', 'call', 'html', 'js', 'urlquery', 'slice', 'eq', 'ne', 'lt', 'le', 'gt', 'ge',
  'if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue', 'nil',
];

const isSpace = (c: string | undefined): boolean =>
  c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isAlnum = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_]/.test(c);

function lineOf(text: string, pos: number): number {
  let line = 1;
  for (let i = 0; i < pos && i < text.length; i++) if (text[i] === '\n') line++;
  return line;
}

/** ErrorContext's "tmpl:LINE:COL" (COL is the 0-based byte offset within the line). */
function location(text: string, pos: number): string {
  const before = text.slice(0, pos);
  const nl = before.lastIndexOf('\n');
  return `${TEMPLATE_NAME}:${lineOf(text, pos)}:${nl === -1 ? pos : pos - nl - 1}`;
}

function parseError(text: string, pos: number, message: string): TemplateError {
  return new TemplateError(`template: ${TEMPLATE_NAME}:${lineOf(text, pos)}: ${message}`);
}

function parse(text: string): Node[] {
  const nodes: Node[] = [];
  const declared = new Set<string>(['$']);
  let i = 0;
  let trimNext = false;
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    let chunk = open === -1 ? text.slice(i) : text.slice(i, open);
    if (trimNext) chunk = chunk.replace(/^[ \t\r\n]+/, '');
    trimNext = false;
    if (open === -1) {
      if (chunk) nodes.push({ kind: 'text', text: chunk });
      break;
    }
    let p = open + 2;
    if (text[p] === '-' && isSpace(text[p + 1])) {
      chunk = chunk.replace(/[ \t\r\n]+$/, '');
      p += 2;
    }
    if (chunk) nodes.push({ kind: 'text', text: chunk });
    // A comment: {{/* ... */}}, optionally with trim markers.
    if (text.startsWith('/*', p)) {
      const close = text.indexOf('*/', p + 2);
      if (close === -1) throw parseError(text, open, 'unclosed comment');
      let q = close + 2;
      if (text.startsWith(' -}}', q)) {
        trimNext = true;
        q += 4;
      } else if (text.startsWith('}}', q)) {
        q += 2;
      } else {
        throw parseError(text, open, 'comment ends before closing delimiter');
      }
      i = q;
      continue;
    }
    const { tokens, end, trimRight } = lexAction(text, p, open);
    trimNext = trimRight;
    i = end;
    nodes.push(parseAction(text, tokens, open, declared));
  }
  return nodes;
}

function lexAction(
  text: string,
  start: number,
  open: number,
): { tokens: Token[]; end: number; trimRight: boolean } {
  const tokens: Token[] = [];
  let p = start;
  for (;;) {
    if (p >= text.length) throw parseError(text, open, 'unclosed action');
    const c = text[p];
    if (isSpace(c)) {
      if (text.startsWith('-}}', p + 1)) return { tokens, end: p + 4, trimRight: true };
      p++;
      continue;
    }
    if (text.startsWith('}}', p)) return { tokens, end: p + 2, trimRight: false };
    if (c === '|') {
      tokens.push({ kind: 'pipe', text: '|', pos: p });
      p++;
    } else if (c === ':' && text[p + 1] === '=') {
      tokens.push({ kind: 'declare', text: ':=', pos: p });
      p += 2;
    } else if (c === '=') {
      tokens.push({ kind: 'assign', text: '=', pos: p });
      p++;
    } else if (c === '"') {
      let q = p + 1;
      while (q < text.length && text[q] !== '"') {
        if (text[q] === '\n') throw parseError(text, p, 'unterminated quoted string');
        q += text[q] === '\\' ? 2 : 1;
      }
      if (q >= text.length) throw parseError(text, p, 'unterminated quoted string');
      const raw = text.slice(p, q + 1);
      let value: string;
      try {
        value = JSON.parse(raw) as string;
      } catch {
        throw parseError(text, p, `invalid syntax: ${raw}`);
      }
      tokens.push({ kind: 'string', text: raw, pos: p, value });
      p = q + 1;
    } else if (c === '`') {
      const q = text.indexOf('`', p + 1);
      if (q === -1) throw parseError(text, p, 'unterminated raw quoted string');
      tokens.push({
        kind: 'string',
        text: text.slice(p, q + 1),
        pos: p,
        value: text.slice(p + 1, q),
      });
      p = q + 1;
    } else if (c === '$') {
      let q = p + 1;
      while (isAlnum(text[q])) q++;
      tokens.push({ kind: 'var', text: text.slice(p, q), pos: p });
      p = q;
    } else if (c === '.' && /[A-Za-z_]/.test(text[p + 1] ?? '')) {
      let q = p + 1;
      while (isAlnum(text[q])) q++;
      tokens.push({ kind: 'field', text: text.slice(p, q), pos: p });
      p = q;
    } else if (
      /[0-9]/.test(c ?? '') ||
      ((c === '-' || c === '+') && /[0-9]/.test(text[p + 1] ?? ''))
    ) {
      const m = /^[-+]?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(text.slice(p));
      const lit = m?.[0] ?? c ?? '';
      tokens.push({ kind: 'number', text: lit, pos: p, value: Number(lit) });
      p += lit.length;
    } else if (/[A-Za-z_]/.test(c ?? '')) {
      let q = p;
      while (isAlnum(text[q])) q++;
      const word = text.slice(p, q);
      if (word === 'true' || word === 'false') {
        tokens.push({ kind: 'bool', text: word, pos: p, value: word === 'true' });
      } else {
        tokens.push({ kind: 'ident', text: word, pos: p });
      }
      p = q;
    } else if (c === '(' || c === ')') {
      throw parseError(
        text,
        p,
        "parenthesized pipelines are not supported by Aviary's query renderer",
      );
    } else {
      throw parseError(text, p, `unexpected ${JSON.stringify(c)} in command`);
    }
  }
}

function parseAction(text: string, tokens: Token[], open: number, declared: Set<string>): Action {
  let rest = tokens;
  let declare: string | undefined;
  const [t0, t1] = tokens;
  if (t0?.kind === 'var' && (t1?.kind === 'declare' || t1?.kind === 'assign')) {
    if (t1.kind === 'assign' && !declared.has(t0.text))
      throw parseError(text, t0.pos, `undefined variable "${t0.text}"`);
    declare = t0.text;
    rest = tokens.slice(2);
  }
  const commands: Operand[][] = [[]];
  for (const token of rest) {
    if (token.kind === 'pipe') {
      if ((commands[commands.length - 1] ?? []).length === 0)
        throw parseError(text, token.pos, 'missing value for command');
      commands.push([]);
      continue;
    }
    if (token.kind === 'declare' || token.kind === 'assign')
      throw parseError(text, token.pos, `unexpected "${token.text}" in operand`);
    const current = commands[commands.length - 1] ?? [];
    const last = current[current.length - 1];
    if (token.kind === 'field') {
      if (
        !last ||
        last.head.kind === 'string' ||
        last.head.kind === 'number' ||
        last.head.kind === 'bool'
      ) {
        throw parseError(
          text,
          token.pos,
          `field access (${token.text}) on data is not supported: the query template has no data`,
        );
      }
      last.fields.push(token);
      last.source += token.text;
      continue;
    }
    if (token.kind === 'ident') {
      if (UNSUPPORTED.includes(token.text)) {
        throw parseError(
          text,
          token.pos,
          `"${token.text}" is not supported by Aviary's query renderer`,
        );
      }
      if (!MODEL_FUNCTIONS.includes(token.text) && !SUPPORTED_BUILTINS.includes(token.text)) {
        throw parseError(text, token.pos, `function "${token.text}" not defined`);
      }
    }
    if (token.kind === 'var' && !declared.has(token.text)) {
      throw parseError(text, token.pos, `undefined variable "${token.text}"`);
    }
    current.push({ head: token, fields: [], source: token.text });
  }
  if ((commands[commands.length - 1] ?? []).length === 0)
    throw parseError(text, open, 'missing value for command');
  if (declare) declared.add(declare);
  return { kind: 'action', declare, commands, pos: open };
}

class Execution {
  private readonly vars = new Map<string, Value>([['$', '']]);

  constructor(
    private readonly text: string,
    private readonly model: MetricTemplateModel,
  ) {}

  fail(pos: number, context: string, message: string): TemplateError {
    return new TemplateError(
      `template: ${location(this.text, pos)}: executing "${TEMPLATE_NAME}" at <${context}>: ${message}`,
    );
  }

  run(nodes: Node[]): string {
    let out = '';
    for (const node of nodes) {
      if (node.kind === 'text') {
        out += node.text;
        continue;
      }
      let value: Value | undefined;
      for (const command of node.commands) value = this.command(command, value);
      if (node.declare) this.vars.set(node.declare, value ?? '');
      else out += printValue(value ?? '');
    }
    return out;
  }

  private command(operands: Operand[], piped: Value | undefined): Value {
    const [first, ...rest] = operands;
    if (!first) return '';
    if (first.head.kind === 'ident' && first.fields.length === 0) {
      const args = rest.map((op) => this.operand(op));
      if (piped !== undefined) args.push(piped);
      return this.call(first, args);
    }
    if (rest.length > 0 || piped !== undefined) {
      throw this.fail(
        first.head.pos,
        first.source,
        `can't give argument to non-function ${first.source}`,
      );
    }
    return this.operand(first);
  }

  private operand(op: Operand): Value {
    let value: Value;
    switch (op.head.kind) {
      case 'ident':
        value = this.call({ ...op, fields: [], source: op.head.text }, []);
        break;
      case 'var':
        value = this.vars.get(op.head.text) ?? '';
        break;
      default:
        value = op.head.value ?? '';
    }
    // A chain's position is its first field's (parse.newChain(t.peek().pos, node)).
    const chainPos = op.fields[0]?.pos ?? op.head.pos;
    for (const field of op.fields) {
      const key = field.text.slice(1);
      if (typeof value === 'object') {
        if (!(key in value))
          throw this.fail(chainPos, op.source, `map has no entry for key "${key}"`);
        value = value[key] ?? '';
      } else {
        throw this.fail(
          chainPos,
          op.source,
          `can't evaluate field ${key} in type ${goType(value)}`,
        );
      }
    }
    return value;
  }

  private call(fn: Operand, args: Value[]): Value {
    const name = fn.head.text;
    const wrongArgs = (want: string): TemplateError =>
      this.fail(
        fn.head.pos,
        name,
        `wrong number of args for ${name}: want ${want} got ${args.length}`,
      );
    if (MODEL_FUNCTIONS.includes(name)) {
      if (args.length > 0) throw wrongArgs('0');
      return name === 'variables'
        ? { ...this.model.variables }
        : this.model[name as Exclude<keyof MetricTemplateModel, 'variables'>];
    }
    switch (name) {
      case 'printf': {
        const [format, ...rest] = args;
        if (format === undefined) throw wrongArgs('at least 1');
        return goSprintf(
          printValue(format),
          ...rest.map((a) => (typeof a === 'number' ? a : printValue(a))),
        );
      }
      case 'print':
        // fmt.Sprint: spaces only between operands when neither is a string.
        return args.reduce<string>((acc, a, k) => {
          const prev = args[k - 1];
          const space = k > 0 && typeof a !== 'string' && typeof prev !== 'string' ? ' ' : '';
          return acc + space + printValue(a);
        }, '');
      case 'println':
        return `${args.map(printValue).join(' ')}\n`;
      case 'len': {
        if (args.length !== 1) throw wrongArgs('1');
        const [a] = args;
        if (typeof a === 'string') return new TextEncoder().encode(a).length;
        if (typeof a === 'object') return Object.keys(a).length;
        throw this.fail(fn.head.pos, name, `error calling len: len of type ${goType(a ?? '')}`);
      }
      case 'index': {
        const [target, ...keys] = args;
        if (target === undefined) throw wrongArgs('at least 1');
        let v: Value = target;
        for (const key of keys) {
          // index on a map returns the zero value for a missing key (no missingkey check).
          if (typeof v === 'object') v = v[printValue(key)] ?? '';
          else
            throw this.fail(
              fn.head.pos,
              name,
              `error calling index: can't index item of type ${goType(v)}`,
            );
        }
        return v;
      }
      default:
        throw this.fail(fn.head.pos, name, `function "${name}" not defined`);
    }
  }
}

function goType(value: Value): string {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float64';
  if (typeof value === 'boolean') return 'bool';
  return 'map[string]string';
}

/** How text/template prints a value (fmt.Fprint). */
function printValue(value: Value): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : goFloat(value);
  if (typeof value === 'boolean') return String(value);
  const keys = Object.keys(value).sort();
  return `map[${keys.map((k) => `${k}:${value[k] ?? ''}`).join(' ')}]`;
}

/**
 * RenderQuery: the query with the model filled in, or Flagger's error text
 * ("template parsing failed: ..." / "template excution failed: ..." [sic]).
 */
export function renderQuery(template: string, model: MetricTemplateModel): RenderResult {
  let nodes: Node[];
  try {
    nodes = parse(template);
  } catch (e) {
    if (e instanceof TemplateError)
      return { ok: false, error: `template parsing failed: ${e.message}` };
    throw e;
  }
  try {
    return { ok: true, query: new Execution(template, model).run(nodes) };
  } catch (e) {
    if (e instanceof TemplateError)
      return { ok: false, error: `template excution failed: ${e.message}` };
    throw e;
  }
}

/** The Prometheus provider's trimQuery: every run of whitespace (RE2 `\s`) becomes one space. */
export function collapseQueryWhitespace(query: string): string {
  return query.replace(/[\t\n\f\r ]+/g, ' ');
}

/**
 * toMetricModel (scheduler_metrics.go). `knativeRevision` is the Knative Service's
 * latestCreatedRevisionName, which Flagger puts in `route` for the knative provider.
 */
export function metricTemplateModel(
  canary: Pick<Canary, 'metadata' | 'spec'>,
  metric: Pick<CanaryMetric, 'interval' | 'templateVariables'>,
  knativeRevision?: string,
): MetricTemplateModel {
  const target = canary.spec.targetRef.name;
  return {
    name: canary.metadata.name,
    namespace: canary.metadata.namespace,
    target,
    service: serviceNames(canary).apex,
    ingress: canary.spec.ingressRef?.name ?? target,
    route: knativeRevision ?? canary.spec.routeRef?.name ?? target,
    interval: metricInterval(metric),
    variables: { ...(metric.templateVariables ?? {}) },
  };
}

export const METRICS_PROVIDER_SERVICE_SUFFIX = ':service';

/**
 * The metrics provider name for a canary (runBuiltinMetricChecks): the global mesh provider
 * (`crossover` when it contains "crossover"), overridden by spec.provider unless the global one
 * contains "linkerd"; `:service` is appended for a plain Kubernetes Service target.
 */
export function metricsProviderFor(canary: Pick<Canary, 'spec'>, meshProvider = 'istio'): string {
  let provider = meshProvider.includes('crossover') ? 'crossover' : meshProvider;
  if (canary.spec.provider) {
    provider = meshProvider.includes('linkerd') ? 'linkerd' : canary.spec.provider;
  }
  if (canary.spec.targetRef.kind === 'Service' && !isKnativeService(canary.spec.targetRef)) {
    provider += METRICS_PROVIDER_SERVICE_SUFFIX;
  }
  return provider;
}

/**
 * observers.Factory.Observer: prefixes appmesh and gloo, kubernetes or a gatewayapi prefix → http,
 * exact names for the rest, anything else (crossover, smi:*, `istio:service`...) → istio.
 */
export function observerFor(metricsProvider: string): Observer {
  const p = metricsProvider;
  if (p.startsWith('appmesh')) return 'appmesh';
  if (p === 'linkerd') return 'linkerd';
  if (p === 'istio') return 'istio';
  if (p === 'contour') return 'contour';
  if (p.startsWith('gloo')) return 'gloo';
  if (p === 'nginx') return 'nginx';
  if (p === 'kubernetes' || p.startsWith('gatewayapi')) return 'http';
  if (p === 'skipper') return 'skipper';
  if (p === 'traefik') return 'traefik';
  if (p === 'osm') return 'osm';
  if (p === 'kuma') return 'kuma';
  if (p === 'apisix') return 'apisix';
  if (p === 'knative') return 'knative';
  return 'istio';
}

/** The builtin query template for a metrics provider (see metricsProviderFor) and metric. */
export function builtinQuery(provider: string, metric: BuiltinMetricName): string {
  return BUILTIN_QUERIES[observerFor(provider)][metric];
}

/**
 * encodeModelForSkipper: skipper route names replace non-word characters with `_`, so the
 * model's name, namespace, target, service and ingress are encoded before rendering.
 */
export function observerModel(observer: Observer, model: MetricTemplateModel): MetricTemplateModel {
  if (observer !== 'skipper') return model;
  const enc = (s: string): string => s.replace(/[^0-9A-Za-z_]/g, '_');
  return {
    ...model,
    name: enc(model.name),
    namespace: enc(model.namespace),
    service: enc(model.service),
    target: enc(model.target),
    ingress: enc(model.ingress),
  };
}

/** Render a builtin query as the observer does (skipper's model encoding included). */
export function renderBuiltinQuery(
  provider: string,
  metric: BuiltinMetricName,
  model: MetricTemplateModel,
): RenderResult {
  const observer = observerFor(provider);
  return renderQuery(BUILTIN_QUERIES[observer][metric], observerModel(observer, model));
}

/**
 * The request-duration result as a Go Duration (ns). Observers read the value as milliseconds
 * (`time.Duration(int64(v)) * time.Millisecond`), except http, whose query returns seconds
 * (`time.Duration(int64(v*1000)) * time.Millisecond`).
 */
export function requestDurationFromQueryValue(observer: Observer, value: number): number {
  const ms = observer === 'http' ? value * 1000 : value;
  return Math.trunc(ms) * Millisecond;
}
