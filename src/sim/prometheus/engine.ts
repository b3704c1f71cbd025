/**
 * The built-in PromQL evaluator: the subset Flagger's builtin checks and typical
 * MetricTemplates use, evaluated over the lezer-promql syntax tree with the semantics of
 * Prometheus 2.x (the Debian binary the integration tests compare against): closed
 * range windows, extrapolatedRate, bucketQuantile, one-to-one vector matching.
 *
 * Anything outside the subset is refused with a Prometheus-style bad_data error rather
 * than approximated: a canary analysis must never act on a wrong number.
 */
import { parser } from '@prometheus-io/lezer-promql';
import {
  labelsKey,
  makeMatcher,
  RegexError,
  type LabelMatcher,
  type Labels,
  type MatchOp,
  type Tsdb,
} from './tsdb';

type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

export type ValueType = 'scalar' | 'vector' | 'matrix' | 'string';

/** errorType as in Prometheus' API: bad_data (HTTP 400) or execution (HTTP 422). */
export class PromQLError extends Error {
  constructor(
    readonly errorType: 'bad_data' | 'execution',
    message: string,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------
// AST

export interface VectorSelectorExpr {
  kind: 'vectorSelector';
  matchers: LabelMatcher[];
  offsetMs: number;
}

type BinOp =
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '^'
  | '=='
  | '!='
  | '>'
  | '<'
  | '>='
  | '<='
  | 'and'
  | 'or'
  | 'unless';
type AggOp = 'sum' | 'avg' | 'min' | 'max' | 'count' | 'group' | 'stddev' | 'stdvar';

export type Expr =
  | { kind: 'number'; value: number }
  | { kind: 'string'; value: string }
  | VectorSelectorExpr
  | { kind: 'matrixSelector'; vs: VectorSelectorExpr; rangeMs: number }
  | { kind: 'call'; fn: FunctionDef; args: Expr[] }
  | { kind: 'aggregate'; op: AggOp; grouping: string[]; without: boolean; expr: Expr }
  | {
      kind: 'binary';
      op: BinOp;
      lhs: Expr;
      rhs: Expr;
      returnBool: boolean;
      matching: { on: boolean; labels: string[] };
    }
  | { kind: 'unary'; negate: boolean; expr: Expr };

interface FunctionDef {
  name: string;
  args: ValueType[];
  ret: 'vector' | 'scalar';
}

const ARITHMETIC = new Set<BinOp>(['+', '-', '*', '/', '%', '^']);
const COMPARISON = new Set<BinOp>(['==', '!=', '>', '<', '>=', '<=']);
const SET_OPS = new Set<BinOp>(['and', 'or', 'unless']);

const BINARY_NODES: Record<string, BinOp> = {
  Add: '+',
  Sub: '-',
  Mul: '*',
  Div: '/',
  Mod: '%',
  Pow: '^',
  Eql: '==',
  Neq: '!=',
  Gtr: '>',
  Lss: '<',
  Gte: '>=',
  Lte: '<=',
  And: 'and',
  Or: 'or',
  Unless: 'unless',
};

const AGGREGATIONS = new Set<string>([
  'sum',
  'avg',
  'min',
  'max',
  'count',
  'group',
  'stddev',
  'stdvar',
]);

const FUNCTIONS: Record<string, FunctionDef> = Object.fromEntries(
  (
    [
      ['rate', ['matrix'], 'vector'],
      ['irate', ['matrix'], 'vector'],
      ['increase', ['matrix'], 'vector'],
      ['delta', ['matrix'], 'vector'],
      ['idelta', ['matrix'], 'vector'],
      ['avg_over_time', ['matrix'], 'vector'],
      ['sum_over_time', ['matrix'], 'vector'],
      ['min_over_time', ['matrix'], 'vector'],
      ['max_over_time', ['matrix'], 'vector'],
      ['count_over_time', ['matrix'], 'vector'],
      ['last_over_time', ['matrix'], 'vector'],
      ['histogram_quantile', ['scalar', 'vector'], 'vector'],
      ['vector', ['scalar'], 'vector'],
      ['scalar', ['vector'], 'scalar'],
      ['time', [], 'scalar'],
      ['abs', ['vector'], 'vector'],
      ['ceil', ['vector'], 'vector'],
      ['floor', ['vector'], 'vector'],
      ['sqrt', ['vector'], 'vector'],
      ['exp', ['vector'], 'vector'],
      ['ln', ['vector'], 'vector'],
      ['log2', ['vector'], 'vector'],
      ['log10', ['vector'], 'vector'],
      ['clamp_min', ['vector', 'scalar'], 'vector'],
      ['clamp_max', ['vector', 'scalar'], 'vector'],
    ] as const
  ).map(([name, args, ret]) => [name, { name, args: [...args], ret }]),
);

const TYPE_NAMES: Record<ValueType, string> = {
  scalar: 'scalar',
  vector: 'instant vector',
  matrix: 'range vector',
  string: 'string',
};

export function typeOf(e: Expr): ValueType {
  switch (e.kind) {
    case 'number':
      return 'scalar';
    case 'string':
      return 'string';
    case 'vectorSelector':
    case 'aggregate':
      return 'vector';
    case 'matrixSelector':
      return 'matrix';
    case 'call':
      return e.fn.ret;
    case 'binary':
      return typeOf(e.lhs) === 'scalar' && typeOf(e.rhs) === 'scalar' ? 'scalar' : 'vector';
    case 'unary':
      return typeOf(e.expr);
  }
}

// ---------------------------------------------------------------------------------------
// Parsing: lezer tree -> checked AST

/** Parses and type-checks a query; throws PromQLError(bad_data) with Prometheus-like messages. */
export function parseQuery(query: string): Expr {
  const tree = parser.parse(query);
  let errorAt = -1;
  tree.iterate({
    enter: (n) => {
      if (errorAt < 0 && n.type.isError) errorAt = n.from;
      return errorAt < 0;
    },
  });
  const fail = (pos: number, msg: string): never => {
    throw new PromQLError('bad_data', `${position(query, pos)}: parse error: ${msg}`);
  };
  if (errorAt >= 0) {
    const rest = query.slice(errorAt).trimStart();
    fail(
      errorAt,
      rest
        ? `unexpected character or token at ${JSON.stringify(rest.slice(0, 20))}`
        : 'unexpected end of input',
    );
  }
  const root = tree.topNode.firstChild;
  if (!root) return fail(0, 'no expression found in input');
  return new Compiler(query).compile(root);
}

function position(query: string, pos: number): string {
  const before = query.slice(0, pos);
  const line = before.split('\n').length;
  const col = pos - (before.lastIndexOf('\n') + 1) + 1;
  return `${line}:${col}`;
}

function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
}

function isExprNode(node: SyntaxNode): boolean {
  return node.type.is('Expr');
}

class Compiler {
  constructor(private readonly query: string) {}

  private text(node: SyntaxNode): string {
    return this.query.slice(node.from, node.to);
  }

  private fail(node: SyntaxNode, msg: string): never {
    throw new PromQLError('bad_data', `${position(this.query, node.from)}: parse error: ${msg}`);
  }

  private unsupported(node: SyntaxNode, what: string): never {
    throw new PromQLError(
      'bad_data',
      `${position(this.query, node.from)}: ${what} is not supported by the playground's built-in Prometheus`,
    );
  }

  private exprChildren(node: SyntaxNode): SyntaxNode[] {
    return children(node).filter(isExprNode);
  }

  compile(node: SyntaxNode): Expr {
    return this.compileNode(node);
  }

  private compileNode(node: SyntaxNode): Expr {
    switch (node.name) {
      case 'ParenExpr': {
        const [inner] = this.exprChildren(node);
        if (!inner) return this.fail(node, 'empty parentheses');
        return this.compileNode(inner);
      }
      case 'NumberDurationLiteral':
        return { kind: 'number', value: this.number(node) };
      case 'StringLiteral':
        return { kind: 'string', value: this.string(node) };
      case 'VectorSelector':
        return this.vectorSelector(node);
      case 'MatrixSelector':
        return this.matrixSelector(node);
      case 'OffsetExpr':
        return this.offset(node);
      case 'FunctionCall':
        return this.call(node);
      case 'AggregateExpr':
        return this.aggregate(node);
      case 'BinaryExpr':
        return this.binary(node);
      case 'UnaryExpr': {
        const op = children(node).find((c) => c.name === 'UnaryOp');
        const [inner] = this.exprChildren(node);
        if (!op || !inner) return this.fail(node, 'malformed unary expression');
        const expr = this.compileNode(inner);
        const t = typeOf(expr);
        if (t !== 'scalar' && t !== 'vector') {
          this.fail(
            node,
            `unary expression only allowed on expressions of type scalar or instant vector, got "${TYPE_NAMES[t]}"`,
          );
        }
        return { kind: 'unary', negate: this.text(op) === '-', expr };
      }
      case 'SubqueryExpr':
        return this.unsupported(node, 'a subquery');
      case 'StepInvariantExpr':
        return this.unsupported(node, 'the @ modifier');
      default:
        return this.unsupported(node, `the ${node.name} construct`);
    }
  }

  private number(node: SyntaxNode): number {
    const raw = this.text(node).replace(/_/g, '').trim();
    const sign = raw.startsWith('-') ? -1 : 1;
    const body = raw.replace(/^[+-]\s*/, '');
    let v: number;
    if (/^inf$/i.test(body)) v = Infinity;
    else if (/^nan$/i.test(body)) v = NaN;
    else if (/^0x[0-9a-f]+$/i.test(body)) v = parseInt(body.slice(2), 16);
    else if (/^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(body)) v = Number(body);
    else {
      // Newer PromQL accepts a duration where a number is expected: its value in seconds.
      const ms = parseDurationMs(body);
      if (ms === undefined)
        return this.fail(node, `bad number or duration syntax: ${JSON.stringify(raw)}`);
      v = ms / 1000;
    }
    return sign * v;
  }

  private string(node: SyntaxNode): string {
    const v = unquote(this.text(node));
    if (v === undefined)
      return this.fail(node, `unterminated or invalid quoted string ${this.text(node)}`);
    return v;
  }

  private duration(node: SyntaxNode): number {
    const parts = children(node);
    const lit = parts[0];
    if (parts.length !== 1 || !lit || lit.name !== 'NumberDurationLiteralInDurationContext') {
      return this.unsupported(node, 'duration arithmetic');
    }
    const text = this.text(lit);
    let ms = parseDurationMs(text);
    if (ms === undefined && /^\d+(\.\d+)?$/.test(text)) ms = Math.round(Number(text) * 1000);
    if (ms === undefined) return this.fail(lit, `bad duration syntax: ${JSON.stringify(text)}`);
    return ms;
  }

  private vectorSelector(node: SyntaxNode): VectorSelectorExpr {
    const matchers: LabelMatcher[] = [];
    let name: string | undefined;
    const addMatcher = (at: SyntaxNode, label: string, op: MatchOp, value: string) => {
      try {
        matchers.push(makeMatcher(label, op, value));
      } catch (err) {
        if (err instanceof RegexError) this.fail(at, err.message);
        throw err;
      }
    };
    for (const c of children(node)) {
      if (c.name === 'Identifier') {
        name = this.text(c);
        addMatcher(c, '__name__', '=', name);
      } else if (c.name === 'LabelMatchers') {
        for (const m of children(c)) {
          if (m.name === 'QuotedLabelName') {
            // {"metric_name"}: the quoted metric name form.
            const s = m.firstChild;
            if (!s) this.fail(m, 'malformed metric name');
            if (name !== undefined) this.fail(m, 'metric name must not be set twice');
            name = this.string(s as SyntaxNode);
            addMatcher(m, '__name__', '=', name);
            continue;
          }
          if (m.name !== 'UnquotedLabelMatcher' && m.name !== 'QuotedLabelMatcher')
            this.fail(m, 'unexpected token in label matchers');
          const [labelNode, opNode, valueNode] = children(m);
          if (!labelNode || !opNode || !valueNode) return this.fail(m, 'malformed label matcher');
          const label =
            labelNode.name === 'QuotedLabelName'
              ? this.string(labelNode.firstChild ?? labelNode)
              : this.text(labelNode);
          const op = this.text(opNode) as MatchOp;
          if (label === '__name__' && name !== undefined) {
            this.fail(
              m,
              `metric name must not be set twice: ${JSON.stringify(name)} or ${JSON.stringify(this.string(valueNode))}`,
            );
          }
          addMatcher(m, label, op, this.string(valueNode));
        }
      }
    }
    // Prometheus refuses selectors that would match every series.
    if (!matchers.some((m) => !matchesEmpty(m))) {
      this.fail(node, 'vector selector must contain at least one non-empty matcher');
    }
    return { kind: 'vectorSelector', matchers, offsetMs: 0 };
  }

  private matrixSelector(node: SyntaxNode): Expr {
    const [inner] = this.exprChildren(node);
    const dur = children(node).find((c) => c.name === 'DurationExpr');
    if (!inner || !dur) return this.fail(node, 'malformed range selector');
    if (inner.name === 'OffsetExpr')
      return this.fail(node, 'no offset modifiers allowed before range');
    if (inner.name !== 'VectorSelector')
      return this.fail(node, 'ranges only allowed for vector selectors');
    const rangeMs = this.duration(dur);
    if (rangeMs <= 0) this.fail(dur, 'duration must be greater than 0');
    return { kind: 'matrixSelector', vs: this.vectorSelector(inner), rangeMs };
  }

  private offset(node: SyntaxNode): Expr {
    const [inner] = this.exprChildren(node);
    const durNode = children(node).find((c) => c.name === 'OffsetDurationExpr');
    if (!inner || !durNode) return this.fail(node, 'malformed offset');
    let sign = 1;
    let d: SyntaxNode = durNode;
    for (;;) {
      const parts = children(d);
      if (parts[0]?.name === 'UnaryOp' && parts[1]?.name === 'OffsetDurationExpr') {
        if (this.text(parts[0]) === '-') sign = -sign;
        d = parts[1];
        continue;
      }
      break;
    }
    const offsetMs = sign * this.duration(d);
    const target = this.compileNode(inner);
    const vs =
      target.kind === 'vectorSelector'
        ? target
        : target.kind === 'matrixSelector'
          ? target.vs
          : undefined;
    if (!vs)
      return this.fail(
        node,
        'offset modifier must be preceded by an instant vector selector or range vector selector',
      );
    if (vs.offsetMs !== 0) this.fail(node, 'offset may not be set multiple times');
    vs.offsetMs = offsetMs;
    return target;
  }

  private call(node: SyntaxNode): Expr {
    const idNode = children(node).find((c) => c.name === 'FunctionIdentifier');
    const body = children(node).find((c) => c.name === 'FunctionCallBody');
    if (!idNode || !body) return this.fail(node, 'malformed function call');
    const name = this.text(idNode);
    const fn = FUNCTIONS[name];
    if (!fn) return this.unsupported(idNode, `function "${name}"`);
    const args = this.exprChildren(body).map((a) => this.compileNode(a));
    if (args.length !== fn.args.length) {
      this.fail(
        node,
        `expected ${fn.args.length} argument(s) in call to "${name}", got ${args.length}`,
      );
    }
    args.forEach((a, i) => {
      const want = fn.args[i] as ValueType;
      const got = typeOf(a);
      if (got !== want) {
        this.fail(
          node,
          `expected type ${TYPE_NAMES[want]} in call to function "${name}", got ${TYPE_NAMES[got]}`,
        );
      }
    });
    return { kind: 'call', fn, args };
  }

  private aggregate(node: SyntaxNode): Expr {
    const opNode = children(node).find((c) => c.name === 'AggregateOp');
    const body = children(node).find((c) => c.name === 'FunctionCallBody');
    if (!opNode || !body) return this.fail(node, 'malformed aggregation');
    const op = this.text(opNode).toLowerCase();
    if (!AGGREGATIONS.has(op)) return this.unsupported(opNode, `the ${op} aggregation`);
    let grouping: string[] = [];
    let without = false;
    const modifier = children(node).find((c) => c.name === 'AggregateModifier');
    if (modifier) {
      without = modifier.firstChild?.name === 'Without';
      const labelsNode = children(modifier).find((c) => c.name === 'GroupingLabels');
      grouping = labelsNode ? this.groupingLabels(labelsNode) : [];
    }
    const args = this.exprChildren(body);
    if (args.length !== 1) {
      this.fail(
        body,
        `wrong number of arguments for aggregate expression provided, expected 1, got ${args.length}`,
      );
    }
    const expr = this.compileNode(args[0] as SyntaxNode);
    if (typeOf(expr) !== 'vector') {
      this.fail(
        body,
        `expected type instant vector in aggregation expression, got ${TYPE_NAMES[typeOf(expr)]}`,
      );
    }
    return {
      kind: 'aggregate',
      op: op as AggOp,
      grouping: [...new Set(grouping)].sort(),
      without,
      expr,
    };
  }

  private groupingLabels(node: SyntaxNode): string[] {
    return children(node).map((c) =>
      c.name === 'QuotedLabelName' ? this.string(c.firstChild ?? c) : this.text(c),
    );
  }

  private binary(node: SyntaxNode): Expr {
    const parts = children(node);
    const operands = parts.filter(isExprNode);
    const opNode = parts.find((c) => c.name in BINARY_NODES);
    const [lhsNode, rhsNode] = operands;
    if (!lhsNode || !rhsNode || operands.length !== 2)
      return this.fail(node, 'malformed binary expression');
    if (!opNode) {
      const other = parts.find((c) => !isExprNode(c)) ?? node;
      return this.unsupported(other, `the binary operator "${this.text(other)}"`);
    }
    const op = BINARY_NODES[opNode.name] as BinOp;
    const returnBool = parts.some((c) => c.name === 'BoolModifier');
    if (parts.some((c) => c.name === 'FillModifier')) this.unsupported(node, 'fill modifiers');
    let matching = { on: false, labels: [] as string[] };
    const clause = parts.find((c) => c.name === 'MatchingModifierClause');
    if (clause) {
      const cparts = children(clause);
      if (cparts.some((c) => c.name === 'GroupLeft' || c.name === 'GroupRight')) {
        this.unsupported(clause, 'group_left/group_right (many-to-one matching)');
      }
      const labelsNode = cparts.find((c) => c.name === 'GroupingLabels');
      matching = {
        on: cparts[0]?.name === 'On',
        labels: labelsNode ? [...new Set(this.groupingLabels(labelsNode))].sort() : [],
      };
    }
    let lhs = this.compileNode(lhsNode);
    const rhs = this.compileNode(rhsNode);
    // lezer folds the sign into a number literal, but in PromQL unary minus binds looser
    // than ^: -2^2 is -(2^2).
    if (
      op === '^' &&
      lhsNode.name === 'NumberDurationLiteral' &&
      /^\s*[-+]/.test(this.text(lhsNode))
    ) {
      const negate = this.text(lhsNode).trimStart().startsWith('-');
      const abs = lhs.kind === 'number' ? Math.abs(lhs.value) : NaN;
      lhs = { kind: 'number', value: abs };
      return {
        kind: 'unary',
        negate,
        expr: this.checkBinary(
          node,
          { kind: 'binary', op, lhs, rhs, returnBool, matching },
          !!clause,
        ),
      };
    }
    return this.checkBinary(node, { kind: 'binary', op, lhs, rhs, returnBool, matching }, !!clause);
  }

  private checkBinary(node: SyntaxNode, e: Expr & { kind: 'binary' }, hasMatching: boolean): Expr {
    const lt = typeOf(e.lhs);
    const rt = typeOf(e.rhs);
    if (e.returnBool && !COMPARISON.has(e.op))
      this.fail(node, 'bool modifier can only be used on comparison operators');
    if ((lt !== 'scalar' && lt !== 'vector') || (rt !== 'scalar' && rt !== 'vector')) {
      this.fail(node, 'binary expression must contain only scalar and instant vector types');
    }
    if (SET_OPS.has(e.op) && (lt !== 'vector' || rt !== 'vector')) {
      this.fail(node, `set operator "${e.op}" not allowed in binary scalar expression`);
    }
    if (COMPARISON.has(e.op) && lt === 'scalar' && rt === 'scalar' && !e.returnBool) {
      this.fail(node, 'comparisons between scalars must use BOOL modifier');
    }
    if (hasMatching && (lt !== 'vector' || rt !== 'vector')) {
      this.fail(node, 'vector matching only allowed between instant vectors');
    }
    return e;
  }
}

function matchesEmpty(m: LabelMatcher): boolean {
  switch (m.op) {
    case '=':
      return m.value === '';
    case '!=':
      return m.value !== '';
    case '=~':
      return (m.re as RegExp).test('');
    case '!~':
      return !(m.re as RegExp).test('');
  }
}

const DURATION_RE =
  /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const DURATION_UNITS = [365 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1];

/** Prometheus' model.ParseDuration: units y w d h m s ms, largest first, or "0". */
export function parseDurationMs(text: string): number | undefined {
  if (text === '0') return 0;
  const m = DURATION_RE.exec(text);
  if (!m || text === '') return undefined;
  let ms = 0;
  DURATION_UNITS.forEach((unit, i) => {
    const part = m[i + 1];
    if (part !== undefined) ms += Number(part) * unit;
  });
  return ms;
}

/** Go's strconv.Unquote for "..." and '...' (escapes) and `...` (raw). */
export function unquote(s: string): string | undefined {
  const q = s[0];
  if (s.length < 2 || (q !== '"' && q !== "'" && q !== '`') || s[s.length - 1] !== q)
    return undefined;
  const body = s.slice(1, -1);
  if (q === '`') return body.includes('`') ? undefined : body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c === q || c === '\n') return undefined;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    const simple: Record<string, string> = {
      a: '\x07',
      b: '\b',
      f: '\f',
      n: '\n',
      r: '\r',
      t: '\t',
      v: '\v',
      '\\': '\\',
      '"': '"',
      "'": "'",
    };
    if (e === undefined) return undefined;
    if (e in simple) {
      out += simple[e];
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + len);
      if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) return undefined;
      const code = parseInt(hex, 16);
      if (code > 0x10ffff) return undefined;
      out += e === 'x' ? String.fromCharCode(code) : String.fromCodePoint(code);
      i += len;
    } else if (/[0-7]/.test(e)) {
      const oct = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(oct)) return undefined;
      out += String.fromCharCode(parseInt(oct, 8));
      i += 2;
    } else return undefined;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Values and evaluation

export interface Sample {
  labels: Labels;
  v: number;
}
export interface Point {
  t: number;
  v: number;
}
export interface SeriesValue {
  labels: Labels;
  points: Point[];
}

export type Value =
  | { type: 'scalar'; v: number }
  | { type: 'string'; s: string }
  | { type: 'vector'; samples: Sample[] }
  | { type: 'matrix'; series: SeriesValue[] };

export interface EvalOptions {
  /** How far back an instant selector looks for a sample. Default 5 min, as Prometheus. */
  lookbackMs?: number;
}

const DEFAULT_LOOKBACK_MS = 5 * 60_000;

/** Evaluates a query at one instant (ms). */
export function evaluateInstant(
  db: Tsdb,
  query: string | Expr,
  timeMs: number,
  opts: EvalOptions = {},
): Value {
  const expr = typeof query === 'string' ? parseQuery(query) : query;
  return new Evaluator(db, opts.lookbackMs ?? DEFAULT_LOOKBACK_MS).eval(expr, timeMs);
}

/** Evaluates a query at start, start+step, ... <= end (ms); the result is a matrix. */
export function evaluateRange(
  db: Tsdb,
  query: string | Expr,
  startMs: number,
  endMs: number,
  stepMs: number,
  opts: EvalOptions = {},
): SeriesValue[] {
  const expr = typeof query === 'string' ? parseQuery(query) : query;
  const t = typeOf(expr);
  if (t !== 'scalar' && t !== 'vector') {
    throw new PromQLError(
      'bad_data',
      `invalid expression type "${TYPE_NAMES[t]}" for range query, must be Scalar or instant Vector`,
    );
  }
  const ev = new Evaluator(db, opts.lookbackMs ?? DEFAULT_LOOKBACK_MS);
  const out = new Map<string, SeriesValue>();
  for (let ts = startMs; ts <= endMs; ts += stepMs) {
    const v = ev.eval(expr, ts);
    const samples =
      v.type === 'scalar' ? [{ labels: {}, v: v.v }] : v.type === 'vector' ? v.samples : [];
    for (const s of samples) {
      const key = labelsKey(s.labels);
      let series = out.get(key);
      if (!series) out.set(key, (series = { labels: s.labels, points: [] }));
      series.points.push({ t: ts, v: s.v });
    }
  }
  return sortByLabels([...out.values()]);
}

export function sortByLabels<T extends { labels: Labels }>(items: T[]): T[] {
  return items
    .map((item) => ({ item, key: labelsKey(item.labels) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((x) => x.item);
}

function dropName(labels: Labels): Labels {
  if (!('__name__' in labels)) return labels;
  const { __name__: _, ...rest } = labels;
  return rest;
}

function execError(msg: string): never {
  throw new PromQLError('execution', msg);
}

function labelsString(labels: Labels): string {
  return `{${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(', ')}}`;
}

function assertUniqueLabelsets(samples: Sample[]): Sample[] {
  const seen = new Set<string>();
  for (const s of samples) {
    const key = labelsKey(s.labels);
    if (seen.has(key)) execError('vector cannot contain metrics with the same labelset');
    seen.add(key);
  }
  return samples;
}

/** Index of the last element of ts that is <= t, or -1. */
function lastAtOrBefore(ts: readonly number[], t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((ts[mid] as number) <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

class Evaluator {
  constructor(
    private readonly db: Tsdb,
    private readonly lookbackMs: number,
  ) {}

  eval(e: Expr, t: number): Value {
    switch (e.kind) {
      case 'number':
        return { type: 'scalar', v: e.value };
      case 'string':
        return { type: 'string', s: e.value };
      case 'vectorSelector':
        return { type: 'vector', samples: this.instantSelect(e, t) };
      case 'matrixSelector':
        return { type: 'matrix', series: this.rangeSelect(e.vs, e.rangeMs, t) };
      case 'call':
        return this.call(e.fn, e.args, t);
      case 'aggregate':
        return {
          type: 'vector',
          samples: aggregate(e.op, e.grouping, e.without, this.vector(e.expr, t)),
        };
      case 'binary':
        return this.binary(e, t);
      case 'unary': {
        const v = this.eval(e.expr, t);
        if (!e.negate) return v;
        if (v.type === 'scalar') return { type: 'scalar', v: -v.v };
        if (v.type === 'vector') {
          return {
            type: 'vector',
            samples: assertUniqueLabelsets(
              v.samples.map((s) => ({ labels: dropName(s.labels), v: -s.v })),
            ),
          };
        }
        return execError('unary minus on a non-numeric value');
      }
    }
  }

  private vector(e: Expr, t: number): Sample[] {
    const v = this.eval(e, t);
    if (v.type !== 'vector') return execError(`expected instant vector, got ${v.type}`);
    return v.samples;
  }

  private scalar(e: Expr, t: number): number {
    const v = this.eval(e, t);
    if (v.type !== 'scalar') return execError(`expected scalar, got ${v.type}`);
    return v.v;
  }

  /** The newest sample in (t-offset-lookback, t-offset], unless it is a stale marker. */
  private instantSelect(vs: VectorSelectorExpr, t: number): Sample[] {
    const ref = t - vs.offsetMs;
    const out: Sample[] = [];
    for (const s of this.db.select(vs.matchers)) {
      const i = lastAtOrBefore(s.ts, ref);
      if (i < 0 || (s.ts[i] as number) < ref - this.lookbackMs) continue;
      const v = s.vs[i];
      if (v === null || v === undefined) continue;
      out.push({ labels: s.labels, v });
    }
    return out;
  }

  /** Samples in the closed window [t-offset-range, t-offset] (Prometheus 2.x), stale markers dropped. */
  private rangeSelect(vs: VectorSelectorExpr, rangeMs: number, t: number): SeriesValue[] {
    const maxt = t - vs.offsetMs;
    const mint = maxt - rangeMs;
    const out: SeriesValue[] = [];
    for (const s of this.db.select(vs.matchers)) {
      const points: Point[] = [];
      for (let i = lastAtOrBefore(s.ts, mint - 1) + 1; i < s.ts.length; i++) {
        const ts = s.ts[i] as number;
        if (ts > maxt) break;
        const v = s.vs[i];
        if (v !== null && v !== undefined) points.push({ t: ts, v });
      }
      if (points.length > 0) out.push({ labels: s.labels, points });
    }
    return out;
  }

  private call(fn: FunctionDef, args: Expr[], t: number): Value {
    const arg0 = args[0] as Expr;
    switch (fn.name) {
      case 'time':
        return { type: 'scalar', v: t / 1000 };
      case 'vector':
        return { type: 'vector', samples: [{ labels: {}, v: this.scalar(arg0, t) }] };
      case 'scalar': {
        const v = this.vector(arg0, t);
        return { type: 'scalar', v: v.length === 1 ? (v[0] as Sample).v : NaN };
      }
      case 'histogram_quantile':
        return {
          type: 'vector',
          samples: histogramQuantile(this.scalar(arg0, t), this.vector(args[1] as Expr, t)),
        };
      case 'clamp_min':
      case 'clamp_max': {
        const bound = this.scalar(args[1] as Expr, t);
        const f = fn.name === 'clamp_min' ? Math.max : Math.min;
        return mapVector(this.vector(arg0, t), (v) => f(v, bound));
      }
    }
    const simple = SIMPLE_MATH[fn.name];
    if (simple) return mapVector(this.vector(arg0, t), simple);

    // Range-vector functions.
    if (arg0.kind !== 'matrixSelector') return execError(`unexpected argument to ${fn.name}`);
    const ms = arg0;
    const out: Sample[] = [];
    for (const series of this.rangeSelect(ms.vs, ms.rangeMs, t)) {
      const v = rangeFunction(
        fn.name,
        series.points,
        t - ms.vs.offsetMs - ms.rangeMs,
        t - ms.vs.offsetMs,
        ms.rangeMs,
      );
      if (v === undefined) continue;
      // last_over_time acts like an offset, so it keeps the metric name.
      out.push({
        labels: fn.name === 'last_over_time' ? series.labels : dropName(series.labels),
        v,
      });
    }
    return { type: 'vector', samples: assertUniqueLabelsets(out) };
  }

  private binary(e: Expr & { kind: 'binary' }, t: number): Value {
    const l = this.eval(e.lhs, t);
    const r = this.eval(e.rhs, t);
    if (l.type === 'scalar' && r.type === 'scalar') {
      const { value } = elemBinop(e.op, l.v, r.v);
      return { type: 'scalar', v: COMPARISON.has(e.op) ? (value ? 1 : 0) : value };
    }
    if (l.type === 'vector' && r.type === 'vector') {
      return { type: 'vector', samples: vectorBinop(e, l.samples, r.samples) };
    }
    if (l.type === 'vector' && r.type === 'scalar') {
      return {
        type: 'vector',
        samples: vectorScalarBinop(e.op, l.samples, r.v, false, e.returnBool),
      };
    }
    if (l.type === 'scalar' && r.type === 'vector') {
      return {
        type: 'vector',
        samples: vectorScalarBinop(e.op, r.samples, l.v, true, e.returnBool),
      };
    }
    return execError('binary expression must contain only scalar and instant vector types');
  }
}

const SIMPLE_MATH: Record<string, (v: number) => number> = {
  abs: Math.abs,
  ceil: Math.ceil,
  floor: Math.floor,
  sqrt: Math.sqrt,
  exp: Math.exp,
  ln: Math.log,
  log2: Math.log2,
  log10: Math.log10,
};

function mapVector(samples: Sample[], f: (v: number) => number): Value {
  return {
    type: 'vector',
    samples: assertUniqueLabelsets(samples.map((s) => ({ labels: dropName(s.labels), v: f(s.v) }))),
  };
}

/** Neumaier-compensated summation step, as Prometheus' kahanSumInc. */
function kahanSumInc(inc: number, sum: number, c: number): [number, number] {
  const t = sum + inc;
  if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc;
  else c += inc - t + sum;
  return [t, c];
}

function rangeFunction(
  name: string,
  points: Point[],
  rangeStart: number,
  rangeEnd: number,
  rangeMs: number,
): number | undefined {
  switch (name) {
    case 'rate':
      return extrapolatedRate(points, rangeStart, rangeEnd, rangeMs, true, true);
    case 'increase':
      return extrapolatedRate(points, rangeStart, rangeEnd, rangeMs, true, false);
    case 'delta':
      return extrapolatedRate(points, rangeStart, rangeEnd, rangeMs, false, false);
    case 'irate':
      return instantValue(points, true);
    case 'idelta':
      return instantValue(points, false);
    case 'count_over_time':
      return points.length;
    case 'last_over_time':
      return (points[points.length - 1] as Point).v;
    case 'max_over_time':
    case 'min_over_time': {
      const max = name === 'max_over_time';
      let m = (points[0] as Point).v;
      for (const p of points) if ((max ? p.v > m : p.v < m) || Number.isNaN(m)) m = p.v;
      return m;
    }
    case 'sum_over_time': {
      let sum = 0;
      let c = 0;
      for (const p of points) [sum, c] = kahanSumInc(p.v, sum, c);
      return Number.isFinite(sum) ? sum + c : sum;
    }
    case 'avg_over_time': {
      let mean = 0;
      let c = 0;
      let count = 0;
      for (const p of points) {
        count++;
        if (!Number.isFinite(mean) && !Number.isNaN(mean)) {
          if (!Number.isFinite(p.v) && !Number.isNaN(p.v) && mean > 0 === p.v > 0) continue;
          if (Number.isFinite(p.v)) continue;
        }
        [mean, c] = kahanSumInc(p.v / count - mean / count, mean, c);
      }
      return !Number.isFinite(mean) && !Number.isNaN(mean) ? mean : mean + c;
    }
  }
  return execError(`function ${name} is not implemented`);
}

/**
 * rate/increase/delta as Prometheus 2.x promql/functions.go extrapolatedRate: the
 * increase between the first and last sample (with counter resets added back),
 * extrapolated towards the window edges when the samples reach close to them (within
 * 1.1x the average sample spacing), else by half a spacing; for counters, never
 * extrapolated below zero.
 */
export function extrapolatedRate(
  points: readonly Point[],
  rangeStartMs: number,
  rangeEndMs: number,
  rangeMs: number,
  isCounter: boolean,
  isRate: boolean,
): number | undefined {
  if (points.length < 2) return undefined;
  const first = points[0] as Point;
  const last = points[points.length - 1] as Point;
  let result = last.v - first.v;
  if (isCounter) {
    let prev = first.v;
    for (let i = 1; i < points.length; i++) {
      const cur = (points[i] as Point).v;
      if (cur < prev) result += prev;
      prev = cur;
    }
  }
  let durationToStart = (first.t - rangeStartMs) / 1000;
  const durationToEnd = (rangeEndMs - last.t) / 1000;
  const sampledInterval = (last.t - first.t) / 1000;
  const averageDurationBetweenSamples = sampledInterval / (points.length - 1);
  if (isCounter && result > 0 && first.v >= 0) {
    const durationToZero = sampledInterval * (first.v / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  const threshold = averageDurationBetweenSamples * 1.1;
  let extrapolateToInterval = sampledInterval;
  extrapolateToInterval +=
    durationToStart < threshold ? durationToStart : averageDurationBetweenSamples / 2;
  extrapolateToInterval +=
    durationToEnd < threshold ? durationToEnd : averageDurationBetweenSamples / 2;
  let factor = extrapolateToInterval / sampledInterval;
  if (isRate) factor /= rangeMs / 1000;
  return result * factor;
}

/** irate/idelta: the last two samples only. */
function instantValue(points: readonly Point[], isRate: boolean): number | undefined {
  if (points.length < 2) return undefined;
  const last = points[points.length - 1] as Point;
  const prev = points[points.length - 2] as Point;
  const result = isRate && last.v < prev.v ? last.v : last.v - prev.v;
  const interval = last.t - prev.t;
  if (interval === 0) return undefined;
  return isRate ? result / (interval / 1000) : result;
}

interface Bucket {
  upperBound: number;
  count: number;
}

/** Prometheus' bucketQuantile (promql/quantile.go) over classic `le` buckets. */
export function bucketQuantile(q: number, input: readonly Bucket[]): number {
  if (Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const sorted = [...input].map((b) => ({ ...b })).sort((a, b) => a.upperBound - b.upperBound);
  if (sorted.length === 0 || (sorted[sorted.length - 1] as Bucket).upperBound !== Infinity)
    return NaN;
  // Coalesce buckets with the same bound (e.g. le="1" and le="1.0").
  const buckets: Bucket[] = [];
  for (const b of sorted) {
    const last = buckets[buckets.length - 1];
    if (last && last.upperBound === b.upperBound) last.count += b.count;
    else buckets.push(b);
  }
  // Rates of buckets scraped non-atomically can be slightly non-monotonic.
  let max = (buckets[0] as Bucket).count;
  for (let i = 1; i < buckets.length; i++) {
    const b = buckets[i] as Bucket;
    if (b.count > max) max = b.count;
    else if (b.count < max) b.count = max;
  }
  if (buckets.length < 2) return NaN;
  const observations = (buckets[buckets.length - 1] as Bucket).count;
  if (observations === 0) return NaN;
  let rank = q * observations;
  // sort.Search over all but the +Inf bucket: the first bucket whose count reaches rank.
  let b = buckets.length - 1;
  for (let i = 0; i < buckets.length - 1; i++) {
    if ((buckets[i] as Bucket).count >= rank) {
      b = i;
      break;
    }
  }
  if (b === buckets.length - 1) return (buckets[buckets.length - 2] as Bucket).upperBound;
  if (b === 0 && (buckets[0] as Bucket).upperBound <= 0) return (buckets[0] as Bucket).upperBound;
  let bucketStart = 0;
  const bucketEnd = (buckets[b] as Bucket).upperBound;
  let count = (buckets[b] as Bucket).count;
  if (b > 0) {
    const prev = buckets[b - 1] as Bucket;
    bucketStart = prev.upperBound;
    count -= prev.count;
    rank -= prev.count;
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}

/** Parses an `le` value as Go's strconv.ParseFloat would; undefined means "skip the sample". */
function parseLe(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  if (/^[+]?inf(inity)?$/i.test(s)) return Infinity;
  if (/^-inf(inity)?$/i.test(s)) return -Infinity;
  if (/^[+-]?nan$/i.test(s)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return undefined;
  return Number(s);
}

function histogramQuantile(q: number, samples: Sample[]): Sample[] {
  const groups = new Map<string, { labels: Labels; buckets: Bucket[] }>();
  for (const s of samples) {
    const upperBound = parseLe(s.labels.le);
    if (upperBound === undefined) continue;
    const { le: _, ...rest } = s.labels;
    const key = labelsKey(rest);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { labels: dropName(rest), buckets: [] }));
    g.buckets.push({ upperBound, count: s.v });
  }
  return assertUniqueLabelsets(
    [...groups.values()].map((g) => ({ labels: g.labels, v: bucketQuantile(q, g.buckets) })),
  );
}

function groupingKey(labels: Labels, grouping: readonly string[], without: boolean): string {
  if (without) {
    const rest: Labels = {};
    for (const [k, v] of Object.entries(labels))
      if (k !== '__name__' && !grouping.includes(k)) rest[k] = v;
    return labelsKey(rest);
  }
  return JSON.stringify(grouping.map((g) => labels[g] ?? ''));
}

function groupLabels(labels: Labels, grouping: readonly string[], without: boolean): Labels {
  const out: Labels = {};
  for (const [k, v] of Object.entries(labels)) {
    if (without ? k !== '__name__' && !grouping.includes(k) : grouping.includes(k)) out[k] = v;
  }
  return out;
}

interface Group {
  labels: Labels;
  value: number;
  mean: number;
  count: number;
}

/** Aggregation as Prometheus 2.x engine.aggregation, including its incremental mean. */
function aggregate(
  op: AggOp,
  grouping: readonly string[],
  without: boolean,
  samples: Sample[],
): Sample[] {
  const groups = new Map<string, Group>();
  for (const s of samples) {
    const key = groupingKey(s.labels, grouping, without);
    const g = groups.get(key);
    if (!g) {
      groups.set(key, {
        labels: groupLabels(s.labels, grouping, without),
        value: op === 'stddev' || op === 'stdvar' ? 0 : op === 'group' ? 1 : s.v,
        mean: s.v,
        count: 1,
      });
      continue;
    }
    switch (op) {
      case 'sum':
        g.value += s.v;
        break;
      case 'avg':
        g.count++;
        if (!Number.isFinite(g.mean) && !Number.isNaN(g.mean)) {
          if (!Number.isFinite(s.v) && !Number.isNaN(s.v) && g.mean > 0 === s.v > 0) break;
          if (Number.isFinite(s.v)) break;
        }
        g.mean += s.v / g.count - g.mean / g.count;
        break;
      case 'max':
        if (g.value < s.v || Number.isNaN(g.value)) g.value = s.v;
        break;
      case 'min':
        if (g.value > s.v || Number.isNaN(g.value)) g.value = s.v;
        break;
      case 'count':
        g.count++;
        break;
      case 'group':
        break;
      case 'stddev':
      case 'stdvar': {
        g.count++;
        const delta = s.v - g.mean;
        g.mean += delta / g.count;
        g.value += delta * (s.v - g.mean);
        break;
      }
    }
  }
  return [...groups.values()].map((g) => {
    let v = g.value;
    if (op === 'avg') v = g.mean;
    else if (op === 'count') v = g.count;
    else if (op === 'stdvar') v = g.value / g.count;
    else if (op === 'stddev') v = Math.sqrt(g.value / g.count);
    return { labels: g.labels, v };
  });
}

function elemBinop(op: BinOp, l: number, r: number): { value: number; keep: boolean } {
  switch (op) {
    case '+':
      return { value: l + r, keep: true };
    case '-':
      return { value: l - r, keep: true };
    case '*':
      return { value: l * r, keep: true };
    case '/':
      return { value: l / r, keep: true };
    case '%':
      return { value: goMod(l, r), keep: true };
    case '^':
      return { value: Math.pow(l, r), keep: true };
    case '==':
      return { value: l, keep: l === r };
    case '!=':
      return { value: l, keep: l !== r };
    case '>':
      return { value: l, keep: l > r };
    case '<':
      return { value: l, keep: l < r };
    case '>=':
      return { value: l, keep: l >= r };
    case '<=':
      return { value: l, keep: l <= r };
    default:
      return execError(`operator "${op}" not allowed for scalar operations`);
  }
}

/** Go's math.Mod: the result has the sign of l (JS % agrees, except for infinities handled alike). */
function goMod(l: number, r: number): number {
  return l % r;
}

function vectorScalarBinop(
  op: BinOp,
  vec: Sample[],
  scalar: number,
  swap: boolean,
  returnBool: boolean,
): Sample[] {
  const out: Sample[] = [];
  for (const s of vec) {
    const [l, r] = swap ? [scalar, s.v] : [s.v, scalar];
    let { value, keep } = elemBinop(op, l, r);
    // A comparison keeps the vector element's value even when the scalar is on the left.
    if (COMPARISON.has(op) && swap) value = r;
    if (returnBool) {
      value = keep ? 1 : 0;
      keep = true;
    }
    if (!keep) continue;
    out.push({
      labels: ARITHMETIC.has(op) || returnBool ? dropName(s.labels) : s.labels,
      v: value,
    });
  }
  return assertUniqueLabelsets(out);
}

function signature(labels: Labels, matching: { on: boolean; labels: string[] }): string {
  if (matching.on) return JSON.stringify(matching.labels.map((n) => labels[n] ?? ''));
  const rest: Labels = {};
  for (const [k, v] of Object.entries(labels))
    if (k !== '__name__' && !matching.labels.includes(k)) rest[k] = v;
  return labelsKey(rest);
}

function vectorBinop(e: Expr & { kind: 'binary' }, lhs: Sample[], rhs: Sample[]): Sample[] {
  const { op, matching, returnBool } = e;
  const lsig = lhs.map((s) => signature(s.labels, matching));
  const rsig = rhs.map((s) => signature(s.labels, matching));
  if (op === 'and' || op === 'unless') {
    const right = new Set(rsig);
    return lhs.filter((_, i) => right.has(lsig[i] as string) === (op === 'and'));
  }
  if (op === 'or') {
    const left = new Set(lsig);
    return [...lhs, ...rhs.filter((_, i) => !left.has(rsig[i] as string))];
  }
  if (lhs.length === 0 || rhs.length === 0) return [];
  const right = new Map<string, Sample>();
  rhs.forEach((s, i) => {
    const sig = rsig[i] as string;
    const dup = right.get(sig);
    if (dup) {
      execError(
        `found duplicate series for the match group ${matchGroup(s.labels, matching)} on the right hand-side of the operation: ` +
          `[${labelsString(s.labels)}, ${labelsString(dup.labels)}];many-to-many matching not allowed: matching labels must be unique on one side`,
      );
    }
    right.set(sig, s);
  });
  const matched = new Set<string>();
  const out: Sample[] = [];
  lhs.forEach((ls, i) => {
    const sig = lsig[i] as string;
    const rs = right.get(sig);
    if (!rs) return;
    const r = elemBinop(op, ls.v, rs.v);
    if (!returnBool && !r.keep) return;
    const value = returnBool ? (r.keep ? 1 : 0) : r.value;
    if (matched.has(sig))
      execError(
        'multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)',
      );
    matched.add(sig);
    let labels = ARITHMETIC.has(op) || returnBool ? dropName(ls.labels) : { ...ls.labels };
    if (matching.on) {
      const kept: Labels = {};
      for (const n of matching.labels) if (labels[n] !== undefined) kept[n] = labels[n] as string;
      labels = kept;
    } else if (matching.labels.length > 0) {
      labels = Object.fromEntries(
        Object.entries(labels).filter(([k]) => !matching.labels.includes(k)),
      );
    }
    out.push({ labels, v: value });
  });
  return assertUniqueLabelsets(out);
}

function matchGroup(labels: Labels, matching: { on: boolean; labels: string[] }): string {
  const picked: Labels = {};
  for (const [k, v] of Object.entries(labels)) {
    const listed = matching.labels.includes(k);
    if (matching.on ? listed : !listed && k !== '__name__') picked[k] = v;
  }
  return labelsString(picked);
}
