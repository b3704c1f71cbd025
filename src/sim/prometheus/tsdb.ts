/**
 * The built-in Prometheus' storage: an in-memory TSDB with bounded retention, fed by
 * scraping exposition text on the injectable Clock. It mirrors what the evaluator can
 * observe of Prometheus 2.x storage: float samples per series, stale markers when a
 * series or target disappears, `job`/`instance` target labels and an `up` series.
 */
import type { Clock, TimerHandle } from '../../shared/clock';
import { parseExposition, type ExposedSample, type Labels } from './exposition';

export type { Labels } from './exposition';

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  name: string;
  op: MatchOp;
  value: string;
  /** Compiled, anchored regex for =~ and !~. */
  re?: RegExp;
}

export class RegexError extends Error {}

/**
 * Compiles an RE2 pattern, anchored as Prometheus does (`^(?:re)$`), into a JS RegExp.
 * Constructs whose meaning differs between RE2 and JS are rejected rather than guessed.
 */
export function compileAnchoredRegex(pattern: string): RegExp {
  let body = pattern;
  let flags = '';
  const leading = /^\(\?([is]+)\)/.exec(body);
  if (leading) {
    flags = [...new Set(leading[1])].join('');
    body = body.slice(leading[0].length);
  }
  if (/\(\?[a-zA-Z-]*[):]/.test(body.replace(/\(\?P?</g, ''))) {
    throw new RegexError(`unsupported regex flag group in ${JSON.stringify(pattern)}`);
  }
  if (/\[\[?:\^?[a-z]+:\]/.test(body) || /\\[QEC]/.test(body)) {
    throw new RegexError(`unsupported RE2 construct in ${JSON.stringify(pattern)}`);
  }
  body = body
    .replace(/\(\?P</g, '(?<')
    .replace(/\\A/g, '^')
    .replace(/\\z/g, '(?![\\s\\S])');
  const source = `^(?:${body})$`;
  try {
    // 'u' matches RE2's rune semantics; RE2 also accepts escaped punctuation that
    // unicode mode rejects (e.g. "\@"), so fall back to the legacy mode for those.
    return new RegExp(source, flags + 'u');
  } catch {
    try {
      return new RegExp(source, flags);
    } catch (err) {
      throw new RegexError(
        `invalid regular expression ${JSON.stringify(pattern)}: ${(err as Error).message}`,
      );
    }
  }
}

export function makeMatcher(name: string, op: MatchOp, value: string): LabelMatcher {
  return op === '=~' || op === '!~'
    ? { name, op, value, re: compileAnchoredRegex(value) }
    : { name, op, value };
}

/** An absent label matches as the empty string, as in Prometheus. */
export function matches(m: LabelMatcher, labels: Labels): boolean {
  const v = labels[m.name] ?? '';
  switch (m.op) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return (m.re as RegExp).test(v);
    case '!~':
      return !(m.re as RegExp).test(v);
  }
}

/** A canonical key for a label set: sorted names, JSON-quoted (unambiguous). */
export function labelsKey(labels: Labels): string {
  return JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((k) => [k, labels[k]]),
  );
}

/** Sorted copy with empty values removed (an empty label is an absent label). */
export function normalizeLabels(labels: Labels): Labels {
  const out: Labels = {};
  for (const k of Object.keys(labels).sort()) {
    const v = labels[k];
    if (v !== undefined && v !== '') out[k] = v;
  }
  return out;
}

export interface Series {
  readonly labels: Labels;
  readonly key: string;
  /** Sample timestamps (ms), ascending. */
  readonly ts: number[];
  /** Values; null is a stale marker. */
  readonly vs: Array<number | null>;
}

export const STALE = null;

export class Tsdb {
  private readonly series = new Map<string, Series>();

  /**
   * Appends a sample; like Prometheus it rejects out-of-order samples and silently
   * drops exact duplicates. Returns whether the sample was stored.
   */
  append(labels: Labels, t: number, v: number | null): boolean {
    const norm = normalizeLabels(labels);
    const key = labelsKey(norm);
    let s = this.series.get(key);
    if (!s) {
      if (v === STALE) return false;
      s = { labels: norm, key, ts: [], vs: [] };
      this.series.set(key, s);
    }
    const n = s.ts.length;
    const lastT = n > 0 ? (s.ts[n - 1] as number) : -Infinity;
    // Out-of-order and same-timestamp samples are rejected (an exact duplicate is a no-op).
    if (t <= lastT) return false;
    s.ts.push(t);
    s.vs.push(v);
    return true;
  }

  /** Series whose labels satisfy every matcher. */
  select(matchers: readonly LabelMatcher[]): Series[] {
    const out: Series[] = [];
    for (const s of this.series.values()) {
      if (matchers.every((m) => matches(m, s.labels))) out.push(s);
    }
    return out;
  }

  get(labels: Labels): Series | undefined {
    return this.series.get(labelsKey(normalizeLabels(labels)));
  }

  allSeries(): IterableIterator<Series> {
    return this.series.values();
  }

  /** Drops samples older than minT and series left empty. */
  trim(minT: number): void {
    for (const [key, s] of this.series) {
      let drop = 0;
      while (drop < s.ts.length && (s.ts[drop] as number) < minT) drop++;
      if (drop === 0) continue;
      s.ts.splice(0, drop);
      s.vs.splice(0, drop);
      if (s.ts.length === 0) this.series.delete(key);
    }
  }

  get seriesCount(): number {
    return this.series.size;
  }
}

/**
 * Sent with every built-in scrape: the timestamp (ms, on the scraper's Clock) its samples
 * will carry. A simulated exporter may render its metrics as of that instant, so data
 * stays consistent under a ManualClock or ScaledClock and free of event-loop jitter.
 */
export const SCRAPE_TIMESTAMP_HEADER = 'x-aviary-scrape-timestamp';

/**
 * A scrape target: an HTTP /metrics URL, or a function returning exposition text
 * (in-process exporters; it receives the samples' timestamp, as the header above).
 */
export type ScrapeTarget =
  | { job: string; url: string; instance?: string }
  | { job: string; instance: string; fetch: (timestampMs: number) => Promise<string> };

function targetInstance(t: ScrapeTarget): string {
  if (t.instance) return t.instance;
  return 'url' in t ? new URL(t.url).host : '';
}

function targetId(t: ScrapeTarget): string {
  return JSON.stringify([t.job, targetInstance(t)]);
}

/**
 * Adds target labels like Prometheus with honor_labels: false: the target's `job` and
 * `instance` win, and exposed values are kept as `exported_<name>`.
 */
function withTargetLabels(exposed: Labels, target: Labels): Labels {
  const out: Labels = { ...exposed };
  for (const [name, value] of Object.entries(target)) {
    const existing = exposed[name];
    if (existing !== undefined && existing !== '') {
      let exportedName = `exported_${name}`;
      while (out[exportedName] !== undefined && out[exportedName] !== '')
        exportedName = `exported_${exportedName}`;
      out[exportedName] = existing;
    }
    out[name] = value;
  }
  return out;
}

export interface ScrapeResult {
  ok: boolean;
  error?: string;
  samples: number;
}

/** Per-target memory of the last scrape, for stale markers. */
interface TargetState {
  labels: Labels;
  lastKeys: Map<string, Labels>;
}

/**
 * Ingests one scrape of a target at time t (ms). Series present in the previous scrape
 * but not in this one get a stale marker, and a failed scrape marks all of them stale,
 * which is what makes a vanished canary drop out of instant queries at once.
 */
export class ScrapeIngester {
  private readonly targets = new Map<string, TargetState>();

  constructor(private readonly db: Tsdb) {}

  ingest(
    target: { job: string; instance: string },
    t: number,
    result: ExposedSample[] | Error,
    durationMs = 0,
  ): ScrapeResult {
    const id = JSON.stringify([target.job, target.instance]);
    let state = this.targets.get(id);
    if (!state) {
      state = { labels: { job: target.job, instance: target.instance }, lastKeys: new Map() };
      this.targets.set(id, state);
    }
    const seen = new Map<string, Labels>();
    let ok = true;
    let error: string | undefined;
    if (result instanceof Error) {
      ok = false;
      error = result.message;
    } else {
      for (const s of result) {
        const labels = normalizeLabels(withTargetLabels(s.labels, state.labels));
        const key = labelsKey(labels);
        if (seen.has(key)) continue; // duplicate series in one scrape: Prometheus keeps the first
        seen.set(key, labels);
        this.db.append(labels, s.timestampMs ?? t, s.value);
      }
    }
    for (const [key, labels] of state.lastKeys)
      if (!seen.has(key)) this.db.append(labels, t, STALE);
    state.lastKeys = seen;
    const report = (name: string, v: number) =>
      this.db.append({ __name__: name, ...state.labels }, t, v);
    report('up', ok ? 1 : 0);
    report('scrape_duration_seconds', durationMs / 1000);
    report('scrape_samples_scraped', seen.size);
    return { ok, ...(error !== undefined ? { error } : {}), samples: seen.size };
  }

  /** A target that went away: everything it exported becomes stale at t. */
  forget(target: { job: string; instance: string }, t: number): void {
    const id = JSON.stringify([target.job, target.instance]);
    const state = this.targets.get(id);
    if (!state) return;
    for (const labels of state.lastKeys.values()) this.db.append(labels, t, STALE);
    for (const name of ['up', 'scrape_duration_seconds', 'scrape_samples_scraped']) {
      this.db.append({ __name__: name, ...state.labels }, t, STALE);
    }
    this.targets.delete(id);
  }
}

export interface ScraperOptions {
  targets: () => readonly ScrapeTarget[];
  clock: Clock;
  /** Default 5000. */
  intervalMs?: number;
  /** Default min(intervalMs, 10 s), as Prometheus requires timeout <= interval. */
  timeoutMs?: number;
  /** Samples older than this are dropped. Default 1 h. */
  retentionMs?: number;
}

/** Node timers are looser than Go's (Prometheus uses 2 ms): allow this much lateness. */
const SNAP_TOLERANCE_MS = 25;

/** Scrapes every target each interval of the given clock into a Tsdb. */
export class Scraper {
  readonly ingester: ScrapeIngester;
  private timer: TimerHandle | undefined;
  private running = false;
  private known = new Map<string, { job: string; instance: string }>();
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly retentionMs: number;
  /** Last result per target id, for diagnostics. */
  readonly lastResults = new Map<string, ScrapeResult>();

  constructor(
    readonly db: Tsdb,
    private readonly options: ScraperOptions,
  ) {
    this.ingester = new ScrapeIngester(db);
    this.intervalMs = options.intervalMs ?? 5000;
    this.timeoutMs = options.timeoutMs ?? Math.min(this.intervalMs, 10_000);
    this.retentionMs = options.retentionMs ?? 3_600_000;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const { clock } = this.options;
    // A fixed grid (like Prometheus' ticker), so timer lateness does not accumulate.
    const origin = clock.now();
    let k = 0;
    const tick = () => {
      if (!this.running) return;
      const nominal = origin + k * this.intervalMs;
      k = Math.max(k + 1, Math.floor((clock.now() - origin) / this.intervalMs) + 1);
      this.timer = clock.setTimeout(tick, origin + k * this.intervalMs - clock.now());
      void this.scrapeOnce(nominal);
    };
    tick();
  }

  stop(): void {
    this.running = false;
    this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * Scrapes all current targets once, concurrently. Samples are stamped with the scrape's
   * start time, snapped to the nominal tick when within SNAP_TOLERANCE_MS of it (as
   * Prometheus aligns scrape timestamps), which keeps intervals regular for irate.
   */
  async scrapeOnce(nominalMs?: number): Promise<void> {
    const { clock } = this.options;
    const targets = this.options.targets();
    const current = new Map<string, { job: string; instance: string }>();
    for (const t of targets) current.set(targetId(t), { job: t.job, instance: targetInstance(t) });
    for (const [id, t] of this.known) if (!current.has(id)) this.ingester.forget(t, clock.now());
    this.known = current;
    this.db.trim(clock.now() - this.retentionMs);
    await Promise.all(
      targets.map(async (target) => {
        const id = targetId(target);
        const now = clock.now();
        const started =
          nominalMs !== undefined && Math.abs(now - nominalMs) <= SNAP_TOLERANCE_MS
            ? nominalMs
            : now;
        const wallStart = Date.now();
        let result: ExposedSample[] | Error;
        try {
          result = parseExposition(await this.fetchText(target, started));
        } catch (err) {
          result = err instanceof Error ? err : new Error(String(err));
        }
        // A target removed while this scrape was in flight must not come back.
        if (!this.known.has(id)) return;
        const ident = { job: target.job, instance: targetInstance(target) };
        this.lastResults.set(
          id,
          this.ingester.ingest(ident, started, result, Date.now() - wallStart),
        );
      }),
    );
  }

  private async fetchText(target: ScrapeTarget, timestampMs: number): Promise<string> {
    if ('fetch' in target) return target.fetch(timestampMs);
    const res = await fetch(target.url, {
      headers: {
        Accept: 'text/plain;version=0.0.4;q=1,*/*;q=0.1',
        'User-Agent': 'aviary-playground-prometheus',
        'X-Prometheus-Scrape-Timeout-Seconds': String(this.timeoutMs / 1000),
        [SCRAPE_TIMESTAMP_HEADER]: String(timestampMs),
      },
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!res.ok) throw new Error(`server returned HTTP status ${res.status} ${res.statusText}`);
    return res.text();
  }
}
