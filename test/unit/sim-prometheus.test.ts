import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock';
import {
  bucketQuantile,
  evaluateInstant,
  evaluateRange,
  parseQuery,
  PromQLError,
  type Sample,
  type Value,
} from '../../src/sim/prometheus/engine';
import { parseExposition } from '../../src/sim/prometheus/exposition';
import {
  createPrometheusHandler,
  formatGoFloat,
  formatTimestamp,
  startBuiltinPrometheus,
} from '../../src/sim/prometheus/http';
import { startPlaygroundPrometheus } from '../../src/sim/prometheus';
import { renderConfig } from '../../src/sim/prometheus/real';
import { ScrapeIngester, Tsdb, type Labels } from '../../src/sim/prometheus/tsdb';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const s = (sec: number) => T0 + sec * 1000;

/** Adds a series with [secondsAfterT0, value] samples. */
function series(db: Tsdb, labels: Labels, points: Array<[number, number | null]>): void {
  for (const [t, v] of points) db.append(labels, s(t), v);
}

function vec(db: Tsdb, q: string, atSec: number): Sample[] {
  const v = evaluateInstant(db, q, s(atSec));
  if (v.type !== 'vector') throw new Error(`expected a vector, got ${v.type}`);
  return v.samples;
}

function one(db: Tsdb, q: string, atSec: number): number {
  const v: Value = evaluateInstant(db, q, s(atSec));
  if (v.type === 'scalar') return v.v;
  if (v.type !== 'vector' || v.samples.length !== 1)
    throw new Error(`expected one sample: ${JSON.stringify(v)}`);
  return (v.samples[0] as Sample).v;
}

function badData(q: string): string {
  try {
    parseQuery(q);
  } catch (err) {
    expect(err).toBeInstanceOf(PromQLError);
    expect((err as PromQLError).errorType).toBe('bad_data');
    return (err as PromQLError).message;
  }
  throw new Error(`expected ${q} to be refused`);
}

describe('rate/increase extrapolation (Prometheus 2.x extrapolatedRate)', () => {
  const linear = (from: number, to: number, every: number, v0: number, slope: number) => {
    const out: Array<[number, number]> = [];
    for (let t = from; t <= to; t += every) out.push([t, v0 + slope * (t - from)]);
    return out;
  };

  it('samples on both window edges: no extrapolation, closed window', () => {
    const db = new Tsdb();
    series(db, { __name__: 'c' }, linear(0, 60, 10, 0, 1));
    expect(one(db, 'rate(c[1m])', 60)).toBeCloseTo(1, 12);
    expect(one(db, 'increase(c[1m])', 60)).toBeCloseTo(60, 12);
  });

  it('extrapolates to both edges when samples come within 1.1 intervals of them', () => {
    const db = new Tsdb();
    series(db, { __name__: 'c' }, linear(5, 55, 10, 100, 1));
    // increase 50 over 50 s sampled, extrapolated by 5 s each side.
    expect(one(db, 'increase(c[1m])', 60)).toBeCloseTo(60, 12);
    expect(one(db, 'rate(c[1m])', 60)).toBeCloseTo(1, 12);
  });

  it('does not extrapolate a counter below zero', () => {
    const db = new Tsdb();
    series(db, { __name__: 'c' }, linear(30, 60, 10, 5, 1));
    // durationToStart 30 s, but the zero point is 5 s before the first sample.
    expect(one(db, 'increase(c[1m])', 60)).toBeCloseTo(35, 12);
    expect(one(db, 'rate(c[1m])', 60)).toBeCloseTo(35 / 60, 12);
  });

  it('extrapolates by half an interval when the series ends well before the window', () => {
    const db = new Tsdb();
    series(db, { __name__: 'c' }, linear(0, 30, 10, 0, 1));
    expect(one(db, 'increase(c[1m])', 60)).toBeCloseTo(35, 12);
  });

  it('adds back counter resets; delta does not', () => {
    const db = new Tsdb();
    series(db, { __name__: 'c' }, [
      [0, 10],
      [10, 20],
      [20, 5],
      [30, 15],
    ]);
    expect(one(db, 'increase(c[30s])', 30)).toBeCloseTo(25, 12);
    expect(one(db, 'delta(c[30s])', 30)).toBeCloseTo(5, 12);
    expect(one(db, 'irate(c[30s])', 30)).toBeCloseTo(1, 12);
    expect(one(db, 'idelta(c[30s])', 30)).toBeCloseTo(10, 12);
  });

  it('needs two samples; irate uses the last two', () => {
    const db = new Tsdb();
    series(db, { __name__: 'c' }, [
      [0, 0],
      [50, 10],
      [55, 30],
    ]);
    expect(vec(db, 'rate(c[4s])', 57)).toEqual([]);
    expect(one(db, 'irate(c[1m])', 57)).toBeCloseTo(4, 12);
  });

  it('drops the metric name and honours offset', () => {
    const db = new Tsdb();
    series(db, { __name__: 'c', a: 'x' }, linear(0, 120, 10, 0, 2));
    expect(vec(db, 'rate(c[1m] offset 1m)', 120)).toEqual([{ labels: { a: 'x' }, v: 2 }]);
    expect(vec(db, 'last_over_time(c[1m])', 120)[0]?.labels).toEqual({ __name__: 'c', a: 'x' });
  });
});

describe('histogram_quantile (bucketQuantile)', () => {
  const b = (upperBound: number, count: number) => ({ upperBound, count });

  it('interpolates linearly inside the bucket', () => {
    const h = [b(0.1, 10), b(0.5, 50), b(1, 90), b(Infinity, 100)];
    expect(bucketQuantile(0.5, h)).toBeCloseTo(0.5, 12);
    expect(bucketQuantile(0.05, h)).toBeCloseTo(0.05, 12);
    expect(bucketQuantile(0.7, h)).toBeCloseTo(0.75, 12);
  });

  it('returns the highest finite bound when the rank falls in +Inf', () => {
    expect(bucketQuantile(0.99, [b(0.1, 10), b(1, 90), b(Infinity, 100)])).toBe(1);
  });

  it('is NaN without +Inf, with no observations or with one bucket; ±Inf out of [0,1]', () => {
    expect(bucketQuantile(0.5, [b(0.1, 1), b(1, 2)])).toBeNaN();
    expect(bucketQuantile(0.5, [b(0.1, 0), b(Infinity, 0)])).toBeNaN();
    expect(bucketQuantile(0.5, [b(Infinity, 5)])).toBeNaN();
    expect(bucketQuantile(1.5, [b(1, 1), b(Infinity, 1)])).toBe(Infinity);
    expect(bucketQuantile(-1, [b(1, 1), b(Infinity, 1)])).toBe(-Infinity);
  });

  it('repairs non-monotonic buckets and merges equal bounds', () => {
    expect(bucketQuantile(0.5, [b(1, 6), b(2, 4), b(Infinity, 10)])).toBeCloseTo(5 / 6, 12);
    expect(bucketQuantile(0.5, [b(1, 2), b(1, 3), b(2, 10), b(Infinity, 10)])).toBeCloseTo(1, 12);
  });

  it('groups by labels without le over sum by (le) of rates', () => {
    const db = new Tsdb();
    const bounds: Array<[string, number]> = [
      ['0.1', 10],
      ['0.5', 50],
      ['1', 90],
      ['+Inf', 100],
    ];
    for (const pod of ['a', 'b']) {
      for (const [le, per10s] of bounds) {
        series(db, { __name__: 'h_bucket', pod, le }, [
          [0, 0],
          [10, per10s],
          [20, 2 * per10s],
        ]);
      }
    }
    const q = 'histogram_quantile(0.5, sum(rate(h_bucket[20s])) by (le))';
    expect(vec(db, q, 20)).toEqual([{ labels: {}, v: expect.closeTo(0.5, 12) as number }]);
    const perPod = vec(db, 'histogram_quantile(0.05, rate(h_bucket[20s]))', 20);
    expect(
      perPod.map((x) => x.labels).sort((p, q2) => (p.pod ?? '').localeCompare(q2.pod ?? '')),
    ).toEqual([{ pod: 'a' }, { pod: 'b' }]);
  });
});

describe('selectors and matchers', () => {
  const db = new Tsdb();
  const add = (labels: Labels, v: number) => series(db, { __name__: 'req', ...labels }, [[0, v]]);
  add({ ingress: 'podinfo', canary: 'podinfo-canary', status: '200' }, 1);
  add({ ingress: 'podinfo', canary: 'podinfo-canary', status: '500' }, 2);
  add({ ingress: 'podinfo', status: '200' }, 4);
  add({ ingress: 'podinfo-two', canary: '', status: '503' }, 8);
  const total = (q: string) => vec(db, q, 10).reduce((a, x) => a + x.v, 0);

  it('supports = != =~ !~ with absent labels as empty', () => {
    expect(total('req{ingress="podinfo"}')).toBe(7);
    expect(total('req{canary!=""}')).toBe(3);
    expect(total('req{canary=""}')).toBe(12);
    expect(total('req{status!~"5.*"}')).toBe(5);
    expect(total('req{status=~"5.."}')).toBe(10);
  });

  it('anchors regexes as Prometheus does', () => {
    expect(total('req{ingress=~"podinfo"}')).toBe(7);
    expect(total('req{ingress=~"pod"}')).toBe(0);
    expect(total('req{ingress=~"pod.*|x"}')).toBe(15);
    expect(total('{__name__=~"re.",status="200"}')).toBe(5);
  });

  it('translates RE2 flags and refuses what JS would read differently', () => {
    expect(total('req{status=~"(?i)5\\\\d+"}')).toBe(10);
    expect(total('req{ingress=~"(?P<x>pod)info"}')).toBe(7);
    expect(() => parseQuery('req{a=~"x(?i)y"}')).toThrow(PromQLError);
    expect(() => parseQuery('req{a=~"\\\\Qa.b\\\\E"}')).toThrow(/unsupported RE2/);
    // Go string escapes: "\d" is not a valid PromQL string, as in Prometheus.
    expect(() => parseQuery('req{a=~"\\d"}')).toThrow(/parse error/);
  });

  it('looks back 5 minutes and stops at stale markers', () => {
    const d = new Tsdb();
    series(d, { __name__: 'g' }, [[0, 1]]);
    expect(one(d, 'g', 300)).toBe(1);
    expect(vec(d, 'g', 301)).toEqual([]);
    series(d, { __name__: 'g' }, [
      [310, 2],
      [320, null],
    ]);
    expect(one(d, 'g', 315)).toBe(2);
    expect(vec(d, 'g', 325)).toEqual([]);
    // Range functions skip stale markers.
    expect(one(d, 'count_over_time(g[1m])', 325)).toBe(1);
  });
});

describe('aggregation and arithmetic', () => {
  const db = new Tsdb();
  for (const [pod, ns, v] of [
    ['a', 'x', 1],
    ['b', 'x', 3],
    ['c', 'y', 8],
  ] as const) {
    series(db, { __name__: 'm', pod, ns }, [[0, v]]);
    series(db, { __name__: 'n', pod, ns }, [[0, 2 * v]]);
  }
  const byNs = (q: string) =>
    Object.fromEntries(vec(db, q, 1).map((x) => [x.labels.ns ?? JSON.stringify(x.labels), x.v]));

  it('sum/avg/min/max/count by and without', () => {
    expect(byNs('sum by (ns) (m)')).toEqual({ x: 4, y: 8 });
    expect(byNs('avg(m) by (ns)')).toEqual({ x: 2, y: 8 });
    expect(byNs('min by (ns) (m)')).toEqual({ x: 1, y: 8 });
    expect(byNs('max by (ns) (m)')).toEqual({ x: 3, y: 8 });
    expect(byNs('count by (ns) (m)')).toEqual({ x: 2, y: 1 });
    expect(vec(db, 'sum without (pod) (m)', 1).map((x) => x.labels)).toEqual([
      { ns: 'x' },
      { ns: 'y' },
    ]);
    expect(one(db, 'sum(m)', 1)).toBe(12);
  });

  it('matches one-to-one on identical label sets and drops the name', () => {
    expect(byNs('sum by (ns) (m) / sum by (ns) (n) * 100')).toEqual({ x: 50, y: 50 });
    expect(vec(db, 'm{pod="a"} + n', 1)).toEqual([{ labels: { ns: 'x', pod: 'a' }, v: 3 }]);
    expect(vec(db, 'sum(m) / sum(n{ns="nope"})', 1)).toEqual([]);
    expect(byNs('sum by (ns) (m) / on (ns) sum by (ns, pod) (n{pod!="b"})')).toEqual({
      x: 2,
      y: 0.5,
    });
  });

  it('scalars, vector(), precedence, comparisons and set operators', () => {
    expect(one(db, '1 + 2 * 3 ^ 2', 1)).toBe(19);
    expect(one(db, '-2 ^ 2', 1)).toBe(-4);
    expect(one(db, '(1 + 2) * 3', 1)).toBe(9);
    expect(one(db, 'vector(1)', 1)).toBe(1);
    expect(one(db, 'scalar(sum(m)) / 4', 1)).toBe(3);
    expect(one(db, '2 > bool 1', 1)).toBe(1);
    expect(vec(db, 'm > 2', 1).map((x) => x.labels.pod)).toEqual(['b', 'c']);
    expect(vec(db, 'm > bool 2', 1).map((x) => x.v)).toEqual([0, 1, 1]);
    expect(vec(db, 'm{pod="a"} and n', 1)).toHaveLength(1);
    expect(vec(db, 'm{pod="a"} or m{pod="b"}', 1)).toHaveLength(2);
    expect(vec(db, 'm unless m{pod="a"}', 1)).toHaveLength(2);
    expect(one(db, 'sum(m) / 0', 1)).toBe(Infinity);
  });

  it('refuses many-to-many matches at execution', () => {
    expect(() => evaluateInstant(db, 'm / on(ns) n', s(1))).toThrow(
      /many-to-many|multiple matches/,
    );
  });
});

describe('parsing', () => {
  it("accepts Flagger's rendered queries with Go-template whitespace", () => {
    const q = `
      sum(
        rate(
          http_request_duration_seconds_count{
            kubernetes_namespace="test",
            kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)",
            status!~"5.*"
          }[1m]
        )
      )
      /
      sum(rate(envoy_cluster_upstream_rq{envoy_cluster_name=~"test_podinfo-canary_[0-9a-zA-Z-]+",}[1m])) * 100`;
    expect(() => parseQuery(q)).not.toThrow();
    expect(() => parseQuery(q.replace(/\s+/g, ' '))).not.toThrow();
  });

  it('refuses unsupported constructs with bad_data, never a guess', () => {
    expect(badData('rate(x[5m:1m])')).toMatch(/subquery/);
    expect(badData('topk(3, x)')).toMatch(/topk/);
    expect(badData('x @ 100')).toMatch(/@ modifier/);
    expect(badData('x / on(a) group_left y')).toMatch(/group_left/);
    expect(badData('label_replace(x, "a", "b", "c", "d")')).toMatch(/label_replace/);
    expect(badData('x[1m] + 1')).toMatch(/scalar and instant vector/);
    expect(badData('rate(x)')).toMatch(/expected type range vector/);
    expect(badData('sum(rate(x[1m]))[5m]')).toMatch(/ranges only allowed for vector selectors/);
    expect(badData('{a=~".*"}')).toMatch(/non-empty matcher/);
    expect(() => parseQuery('{a!=""}')).not.toThrow();
    expect(badData('x{a="b"')).toMatch(/parse error/);
    expect(badData('x{a="b}')).toMatch(/parse error/);
    expect(badData('1 > 2')).toMatch(/BOOL/);
    expect(badData('x{a=~"[[:alpha:]]"}')).toMatch(/unsupported RE2/);
    expect(badData('x[1m+1s]')).toMatch(/duration arithmetic/);
    expect(badData('x{__name__="y"}')).toMatch(/set twice/);
    expect(badData('')).toMatch(/parse error/);
  });
});

describe('exposition and scraping', () => {
  it('parses prom-client text with escapes, +Inf and timestamps', () => {
    const text = [
      '# HELP r requests',
      '# TYPE r counter',
      'r{path="/a\\"b\\\\c\\n",code="200"} 12',
      'h_bucket{le="+Inf"} 3',
      'g -1.5e3 1700000000000',
      'nan_metric NaN',
      '',
    ].join('\n');
    expect(parseExposition(text)).toEqual([
      { labels: { __name__: 'r', path: '/a"b\\c\n', code: '200' }, value: 12 },
      { labels: { __name__: 'h_bucket', le: '+Inf' }, value: 3 },
      { labels: { __name__: 'g' }, value: -1500, timestampMs: 1700000000000 },
      { labels: { __name__: 'nan_metric' }, value: NaN },
    ]);
    expect(() => parseExposition('bad{a="x} 1')).toThrow(/line 1/);
  });

  it('adds job/instance like honor_labels: false, drops empty labels, and marks vanished series stale', () => {
    const db = new Tsdb();
    const ing = new ScrapeIngester(db);
    const target = { job: 'c1', instance: '127.0.0.1:1' };
    ing.ingest(target, s(0), parseExposition('a{job="inner",canary=""} 1\nb 2\n'));
    expect(vec(db, 'a', 1)[0]?.labels).toEqual({
      __name__: 'a',
      exported_job: 'inner',
      instance: '127.0.0.1:1',
      job: 'c1',
    });
    ing.ingest(target, s(5), parseExposition('a{job="inner"} 1\n'));
    expect(vec(db, 'b', 6)).toEqual([]);
    expect(one(db, 'up', 6)).toBe(1);
    ing.ingest(target, s(10), new Error('connection refused'));
    expect(vec(db, 'a', 11)).toEqual([]);
    expect(one(db, 'up', 11)).toBe(0);
  });

  it('scrapes on the injected clock and stamps samples with its time', async () => {
    const clock = new ManualClock(T0);
    let n = 0;
    const stamps: number[] = [];
    const prom = await startBuiltinPrometheus({
      clock,
      scrapeIntervalMs: 1000,
      listen: false,
      targets: () => [
        {
          job: 'c1',
          instance: 'sim:80',
          fetch: async (ts) => {
            stamps.push(ts);
            return `reqs_total ${(n += 10)}\n`;
          },
        },
      ],
    });
    try {
      for (let i = 0; i < 10; i++) await clock.advance(1000);
      const samples = [...prom.db.allSeries()].find((x) => x.labels.__name__ === 'reqs_total');
      expect(samples?.ts.slice(0, 3)).toEqual([T0, T0 + 1000, T0 + 2000]);
      expect(stamps.slice(0, 3)).toEqual([T0, T0 + 1000, T0 + 2000]);
      expect(one(prom.db, 'rate(reqs_total[5s])', 10)).toBeCloseTo(10, 9);
    } finally {
      await prom.stop();
    }
  });
});

describe('HTTP API shape', () => {
  it('formats floats like Go and timestamps like Prometheus', () => {
    expect(formatGoFloat(1e-7)).toBe('0.0000001');
    expect(formatGoFloat(1.5e21)).toBe('1500000000000000000000');
    expect(formatGoFloat(-2.5e-8)).toBe('-0.000000025');
    expect(formatGoFloat(99.5)).toBe('99.5');
    expect(formatGoFloat(NaN)).toBe('NaN');
    expect(formatGoFloat(Infinity)).toBe('+Inf');
    expect(formatTimestamp(1767225600000)).toBe('1767225600');
    expect(formatTimestamp(1767225600050)).toBe('1767225600.050');
  });

  it('serves query, query_range and errors with Prometheus JSON', async () => {
    const clock = new ManualClock(T0);
    const prom = await startBuiltinPrometheus({ clock, targets: () => [] });
    series(prom.db, { __name__: 'x', a: 'b' }, [
      [0, 1],
      [10, 2],
    ]);
    try {
      const get = async (path: string) => {
        const res = await fetch(prom.url + path);
        return { status: res.status, body: await res.text() };
      };
      const t = T0 / 1000 + 10;
      expect(await get(`/api/v1/query?query=vector(1)&time=${t}`)).toEqual({
        status: 200,
        body: `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[${t},"1"]}]}}`,
      });
      expect((await get(`/api/v1/query?query=x&time=${t}.5`)).body).toBe(
        `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"x","a":"b"},"value":[${t}.500,"2"]}]}}`,
      );
      expect((await get(`/api/v1/query?query=1%2B1&time=${t}`)).body).toBe(
        `{"status":"success","data":{"resultType":"scalar","result":[${t},"2"]}}`,
      );
      expect(
        (await get(`/api/v1/query_range?query=x*2&start=${t - 10}&end=${t}&step=5s`)).body,
      ).toBe(
        `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"b"},"values":[[${t - 10},"2"],[${t - 5},"2"],[${t},"4"]]}]}}`,
      );
      const bad = await get('/api/v1/query?query=topk(1,x)');
      expect(bad.status).toBe(400);
      expect(JSON.parse(bad.body)).toMatchObject({ status: 'error', errorType: 'bad_data' });
      expect(JSON.parse(bad.body).error).toMatch(/^invalid parameter "query": /);
      const post = await fetch(prom.url + '/api/v1/query', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ query: 'sum(x)', time: String(t) }).toString(),
      });
      expect(await post.text()).toContain('"value":[' + t + ',"2"]');
      expect((await get('/-/ready')).status).toBe(200);
      expect((await get('/api/v1/query_range?query=x&start=2&end=1&step=1')).status).toBe(400);
    } finally {
      await prom.stop();
    }
  });

  it('is mountable as a handler with an explicit path', async () => {
    const db = new Tsdb();
    const handler = createPrometheusHandler({ db, clock: new ManualClock(T0) });
    const { createServer } = await import('node:http');
    const srv = createServer(
      (req, res) => void handler(req, res, (req.url ?? '').replace(/^\/proxy/, '').split('?')[0]),
    );
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const port = (srv.address() as { port: number }).port;
      const res = await fetch(`http://127.0.0.1:${port}/proxy/api/v1/query?query=vector(2)`);
      expect(await res.json()).toMatchObject({ status: 'success', data: { resultType: 'vector' } });
    } finally {
      srv.close();
    }
  });
});

describe('choosing the playground Prometheus', () => {
  it('uses the built-in one off the system clock (a real server stamps wall time)', async () => {
    const prom = await startPlaygroundPrometheus({ targets: () => [], clock: new ManualClock(T0) });
    try {
      expect(prom.kind).toBe('builtin');
      expect((await fetch(`${prom.url}/-/healthy`)).status).toBe(200);
    } finally {
      await prom.stop();
    }
  });
});

describe('real Prometheus config', () => {
  it('renders targets as JSON-YAML with a timeout no longer than the interval', () => {
    const cfg = JSON.parse(
      renderConfig([{ job: 'c1', url: 'http://127.0.0.1:1234/metrics' }], 1000),
    );
    expect(cfg.global).toMatchObject({ scrape_interval: '1s', scrape_timeout: '1s' });
    expect(cfg.scrape_configs[0]).toMatchObject({
      job_name: 'c1',
      metrics_path: '/metrics',
      static_configs: [{ targets: ['127.0.0.1:1234'] }],
    });
  });
});

it('range queries evaluate each step', () => {
  const db = new Tsdb();
  series(db, { __name__: 'c' }, [
    [0, 0],
    [10, 10],
    [20, 20],
  ]);
  const out = evaluateRange(db, 'c', s(0), s(20), 10_000);
  expect(out[0]?.points.map((p) => p.v)).toEqual([0, 10, 20]);
});
