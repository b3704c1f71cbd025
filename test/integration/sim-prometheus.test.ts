/**
 * The playground's built-in PromQL evaluator against Debian's real Prometheus: one local
 * exporter with a known traffic split, scraped by both every second, then Flagger's
 * builtin NGINX and http queries (spec §4) and a few others evaluated by both.
 *
 * Two comparisons:
 *  - live: each server scraped on its own (different scrape phases); must agree within 1 %.
 *  - replay: the builtin TSDB loaded with the real server's raw samples; the evaluator
 *    alone must then agree to float precision (this pins down extrapolation and
 *    histogram semantics exactly, independent of scrape timing).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Histogram, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/shared/clock';
import { evaluateInstant, type Value } from '../../src/sim/prometheus/engine';
import { startBuiltinPrometheus, type BuiltinPrometheus } from '../../src/sim/prometheus/http';
import {
  findPrometheusBinary,
  startRealPrometheus,
  type RealPrometheus,
} from '../../src/sim/prometheus/real';
import { SCRAPE_TIMESTAMP_HEADER, Tsdb } from '../../src/sim/prometheus/tsdb';

const binary = findPrometheusBinary();
if (!binary)
  console.warn('sim-prometheus: SKIPPED, no prometheus binary on PATH or at /usr/bin/prometheus');

const RPS = 1000; // synthetic requests per second
const LATENCIES = [0.003, 0.012, 0.02, 0.04, 0.07, 0.09, 0.15, 0.3, 0.6, 1.2]; // seconds, cycled
const CANARY_PODS = ['podinfo-7f9c8d6b5-x2k4p', 'podinfo-7f9c8d6b5-m8n7b'];
// Three segments: Flagger's anchored pod regex must NOT match the primary's pods.
const PRIMARY_PODS = ['podinfo-primary-6c7d8e9f0-q1w2e', 'podinfo-primary-6c7d8e9f0-r5t6y'];

/**
 * An exporter whose counters are a pure function of time: every /metrics request first
 * "serves" the requests due since the last one (deterministically: request i goes to the
 * canary when i % 10 < 3, fails when i % 13 == 0, takes LATENCIES[(7i) % 10]).
 *
 * Each scraper (told apart by User-Agent) gets its own prom-client registry, advanced to
 * the instant its samples will be stamped with rather than to the moment the request
 * happens to be handled: a busy event loop would otherwise add tens of ms of jitter
 * between a sample's timestamp and its content, which irate over 1 s turns into several
 * percent. What is compared is then the PromQL evaluation, not the machine's scheduling.
 */
function startExporter(): Promise<{ url: string; server: Server }> {
  const start = Date.now();
  const perScraper = new Map<
    string,
    { advance: (toMs: number) => void; registry: Registry; phase: number }
  >();

  const makeScraperView = (phase: number) => {
    const registry = new Registry();
    const requests = new Counter({
      name: 'nginx_ingress_controller_requests',
      help: 'requests',
      labelNames: ['ingress', 'namespace', 'canary', 'status', 'method'],
      registers: [registry],
    });
    const nginxDuration = new Histogram({
      name: 'nginx_ingress_controller_response_duration_seconds',
      help: 'response duration',
      labelNames: ['ingress', 'namespace', 'canary'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    const httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'request duration',
      labelNames: ['kubernetes_namespace', 'kubernetes_pod_name', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    let served = 0;
    const advance = (toMs: number) => {
      const due = Math.floor(((toMs - start) / 1000) * RPS);
      for (; served < due; served++) {
        const i = served;
        const canary = i % 10 < 3;
        const status = i % 13 === 0 ? '500' : '200';
        const latency = LATENCIES[(7 * i) % LATENCIES.length] as number;
        const canaryName = canary ? 'podinfo-canary' : '';
        requests.inc({
          ingress: 'podinfo',
          namespace: 'test',
          canary: canaryName,
          status,
          method: 'GET',
        });
        nginxDuration.observe(
          { ingress: 'podinfo', namespace: 'test', canary: canaryName },
          latency,
        );
        const pods = canary ? CANARY_PODS : PRIMARY_PODS;
        const pod = pods[i % 2] as string;
        httpDuration.observe(
          { kubernetes_namespace: 'test', kubernetes_pod_name: pod, status },
          latency,
        );
      }
    };
    return { advance, registry, phase };
  };

  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    const now = Date.now();
    const ua = String(req.headers['user-agent'] ?? '');
    let view = perScraper.get(ua);
    if (!view) perScraper.set(ua, (view = makeScraperView(now)));
    // The built-in scraper says which instant its samples will carry; for Prometheus,
    // snap to its 1 s grid (its first request sets the phase; it aligns timestamps).
    const claimed = Number(req.headers[SCRAPE_TIMESTAMP_HEADER]);
    view.advance(
      Number.isFinite(claimed)
        ? claimed
        : view.phase + Math.round((now - view.phase) / 1000) * 1000,
    );
    const { registry } = view;
    void registry.metrics().then((text) => {
      res.writeHead(200, { 'Content-Type': registry.contentType }).end(text);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`,
        server,
      });
    });
  });
}

const collapse = (q: string) => q.replace(/\s+/g, ' ').trim();

// Flagger's builtin queries (spec §4) rendered for namespace=test, ingress/target=podinfo, interval=15s.
const QUERIES: Record<string, string> = {
  'nginx request-success-rate': `
    sum(rate(nginx_ingress_controller_requests{namespace="test",ingress="podinfo",canary!="",status!~"5.*"}[15s]))
    / sum(rate(nginx_ingress_controller_requests{namespace="test",ingress="podinfo",canary!=""}[15s])) * 100`,
  'nginx request-duration': `
    sum(rate(nginx_ingress_controller_response_duration_seconds_sum{namespace="test",ingress="podinfo",canary!=""}[15s]))
    / sum(rate(nginx_ingress_controller_response_duration_seconds_count{namespace="test",ingress="podinfo",canary!=""}[15s])) * 1000`,
  'http request-success-rate': `
    sum(rate(http_request_duration_seconds_count{kubernetes_namespace="test",kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)",status!~"5.*"}[15s]))
    / sum(rate(http_request_duration_seconds_count{kubernetes_namespace="test",kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[15s])) * 100`,
  'http request-duration p99': `
    histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{kubernetes_namespace="test",kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[15s])) by (le))`,
  // 0.55, not 0.5: with this cyclic traffic a pod's median sits exactly on a bucket edge,
  // where a single request of scrape-phase difference flips the bucket.
  'http p55 by pod': `histogram_quantile(0.55, sum by (le, kubernetes_pod_name) (rate(http_request_duration_seconds_bucket[15s])))`,
  'nginx p90 by canary': `histogram_quantile(0.9, sum(rate(nginx_ingress_controller_response_duration_seconds_bucket[10s])) by (le, canary))`,
  'canary share %': `sum(rate(nginx_ingress_controller_requests{canary!=""}[15s])) / sum(rate(nginx_ingress_controller_requests[15s])) * 100`,
  'irate canary': `sum(irate(nginx_ingress_controller_requests{canary!=""}[10s]))`,
  'increase by canary,status': `sum(increase(nginx_ingress_controller_requests{namespace="test"}[15s])) by (canary, status)`,
  'avg by pod': `avg by (kubernetes_pod_name) (rate(http_request_duration_seconds_count[15s]))`,
  'rate without': `sum without (instance, method) (rate(nginx_ingress_controller_requests{status=~"2.."}[10s]))`,
  'errors > 0': `sum(rate(nginx_ingress_controller_requests{status="500"}[15s])) by (canary) > 0`,
  'vector(1)': `vector(1)`,
  up: `count(up{job="sim"} == 1)`,
};

// Further constructs, compared on the replayed samples only (some read scrape metadata,
// which each server produces itself).
const REPLAY_QUERIES: Record<string, string> = {
  offset: 'sum(rate(nginx_ingress_controller_requests[5s] offset 5s))',
  'on()': `sum by (canary) (rate(nginx_ingress_controller_requests[10s]))
    / on (canary) sum by (canary, method) (rate(nginx_ingress_controller_requests[10s]))`,
  'ignoring()': `sum by (canary, status, method) (rate(nginx_ingress_controller_requests[10s]))
    / ignoring (method) sum by (canary, status) (increase(nginx_ingress_controller_requests[15s]))`,
  'or vector(0)': 'sum(rate(nginx_ingress_controller_requests{status="404"}[10s])) or vector(0)',
  unless: `sum by (canary) (rate(nginx_ingress_controller_requests[10s]))
    unless sum by (canary) (rate(nginx_ingress_controller_requests{status="500"}[10s])) < 30`,
  and: 'nginx_ingress_controller_requests and nginx_ingress_controller_requests{status="500"}',
  'comparison keeps name': 'nginx_ingress_controller_requests > 100',
  bool: 'sum by (canary) (rate(nginx_ingress_controller_requests[10s])) > bool 500',
  unary: '-sum(rate(nginx_ingress_controller_requests[10s]))',
  avg_over_time: 'avg_over_time(scrape_duration_seconds[10s])',
  'max/min/sum/count_over_time': `max_over_time(up[10s]) + min_over_time(up[10s])
    + sum_over_time(scrape_samples_scraped[10s]) + count_over_time(up[10s])`,
  last_over_time: 'last_over_time(scrape_samples_scraped[10s])',
  stddev: 'stddev(rate(http_request_duration_seconds_count[10s]))',
  stdvar: 'stdvar by (status) (rate(http_request_duration_seconds_count[10s]))',
  'count+min-max': `count(rate(http_request_duration_seconds_count[10s]))
    + min(rate(http_request_duration_seconds_count[10s])) - max(rate(http_request_duration_seconds_count[10s]))`,
  'delta-idelta':
    'delta(nginx_ingress_controller_requests[10s]) - idelta(nginx_ingress_controller_requests[10s])',
  scalar: 'scalar(sum(rate(nginx_ingress_controller_requests[10s]))) * 2',
  time: 'time() - 1',
  'clamp/abs/ceil': 'ceil(abs(clamp_max(rate(nginx_ingress_controller_requests[10s]), 100)))',
  'raw buckets': 'histogram_quantile(0.9, http_request_duration_seconds_bucket)',
  'regex alternation':
    'sum(rate(nginx_ingress_controller_requests{status=~"2..|5..",canary=~".+"}[10s]))',
  'sum without': 'sum without (le) (rate(http_request_duration_seconds_bucket[15s]))',
};

// Both servers must refuse these the same way (HTTP status and errorType).
const ERROR_QUERIES = [
  'rate(up)',
  '1 > 2',
  'up[1m] + 1',
  '{job=~".*"}',
  'sum(rate(up[1m]',
  'up{job="sim"',
  'nginx_ingress_controller_requests / on() nginx_ingress_controller_requests',
  'sum by (canary) (nginx_ingress_controller_requests) / on() nginx_ingress_controller_requests',
];

type Result = Map<string, number>;

function toResult(data: { resultType: string; result: unknown }): Result {
  const out: Result = new Map();
  if (data.resultType === 'scalar') {
    out.set('scalar', Number((data.result as [number, string])[1]));
    return out;
  }
  for (const r of data.result as Array<{
    metric: Record<string, string>;
    value: [number, string];
  }>) {
    out.set(JSON.stringify(Object.entries(r.metric).sort()), Number(r.value[1]));
  }
  return out;
}

async function query(base: string, q: string, timeSec: number): Promise<Result> {
  const res = await fetch(
    `${base}/api/v1/query?${new URLSearchParams({ query: collapse(q), time: String(timeSec) })}`,
  );
  const body = (await res.json()) as {
    status: string;
    data: { resultType: string; result: unknown };
    error?: string;
  };
  if (body.status !== 'success') throw new Error(`${base}: ${q}: ${body.error}`);
  return toResult(body.data);
}

function valueToResult(v: Value): Result {
  if (v.type === 'scalar') return new Map([['scalar', v.v]]);
  if (v.type !== 'vector') throw new Error(`unexpected ${v.type}`);
  return new Map(v.samples.map((s) => [JSON.stringify(Object.entries(s.labels).sort()), s.v]));
}

function relDiff(a: number, b: number): number {
  if (a === b) return 0;
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
}

/** Worst relative difference; fails on differing label sets. */
function compare(name: string, real: Result, builtin: Result): number {
  expect([...builtin.keys()].sort(), `${name}: label sets`).toEqual([...real.keys()].sort());
  expect(real.size, `${name}: non-empty`).toBeGreaterThan(0);
  let worst = 0;
  for (const [k, v] of real) worst = Math.max(worst, relDiff(v, builtin.get(k) as number));
  return worst;
}

describe.skipIf(!binary)('built-in PromQL vs real Prometheus', () => {
  let exporter: { url: string; server: Server };
  let real: RealPrometheus;
  let builtin: BuiltinPrometheus;
  let evalTimeSec = 0;

  beforeAll(async () => {
    exporter = await startExporter();
    [real, builtin] = await Promise.all([
      startRealPrometheus({
        binary,
        targets: [{ job: 'sim', url: exporter.url }],
        scrapeIntervalMs: 1000,
      }),
      startBuiltinPrometheus({
        targets: () => [{ job: 'sim', url: exporter.url }],
        clock: systemClock,
        scrapeIntervalMs: 1000,
      }),
    ]);
    await real.waitForFirstScrape();
    // 15 s windows need >16 s of samples; one more second so both have scraped past T.
    await new Promise((r) => setTimeout(r, 17_500));
    evalTimeSec = Math.floor(Date.now() / 1000) - 1;
  });

  afterAll(async () => {
    await Promise.all([real?.stop(), builtin?.stop()]);
    exporter?.server.close();
  });

  it('agrees within 1 % on live, independently scraped data', async () => {
    const figures: Record<string, string> = {};
    for (const [name, q] of Object.entries(QUERIES)) {
      const [r, b] = await Promise.all([
        query(real.url, q, evalTimeSec),
        query(builtin.url, q, evalTimeSec),
      ]);
      const worst = compare(name, r, b);
      figures[name] = `real=${[...r.values()].map((v) => v.toFixed(4)).join('|')} builtin=${[
        ...b.values(),
      ]
        .map((v) => v.toFixed(4))
        .join('|')} maxRelDiff=${(worst * 100).toFixed(4)}%`;
      expect(worst, `${name}: ${figures[name]}`).toBeLessThan(0.01);
    }
    console.log(
      'live agreement:\n' +
        Object.entries(figures)
          .map(([k, v]) => `  ${k}: ${v}`)
          .join('\n'),
    );

    // And against ground truth: the split the exporter generates.
    const share = await query(builtin.url, QUERIES['canary share %'] as string, evalTimeSec);
    expect([...share.values()][0]).toBeCloseTo(30, 0);
    const success = await query(
      builtin.url,
      QUERIES['nginx request-success-rate'] as string,
      evalTimeSec,
    );
    expect(relDiff([...success.values()][0] as number, (1 - 1 / 13) * 100)).toBeLessThan(0.01);
  });

  it("agrees to float precision when evaluating the real server's own samples", async () => {
    const res = await fetch(
      `${real.url}/api/v1/query?${new URLSearchParams({ query: '{job="sim"}[1m]', time: String(evalTimeSec) })}`,
    );
    const body = (await res.json()) as {
      data: { result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> };
    };
    const db = new Tsdb();
    for (const s of body.data.result) {
      for (const [t, v] of s.values) db.append(s.metric, Math.round(t * 1000), Number(v));
    }
    const figures: string[] = [];
    for (const [name, q] of Object.entries({ ...QUERIES, ...REPLAY_QUERIES })) {
      const r = await query(real.url, q, evalTimeSec);
      const b = valueToResult(evaluateInstant(db, collapse(q), evalTimeSec * 1000));
      const worst = compare(name, r, b);
      figures.push(`  ${name}: maxRelDiff=${worst.toExponential(2)}`);
      expect(worst, name).toBeLessThan(1e-9);
    }
    console.log('replay agreement:\n' + figures.join('\n'));
  });

  it('rejects what it does not support, like Prometheus, instead of answering wrongly', async () => {
    const res = await fetch(
      `${builtin.url}/api/v1/query?query=${encodeURIComponent('topk(1, up)')}`,
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ status: 'error', errorType: 'bad_data' });
    // Both refuse invalid PromQL and impossible matches with the same status and errorType.
    for (const q of ERROR_QUERIES) {
      const [r, b] = await Promise.all(
        [real.url, builtin.url].map(async (base) => {
          const params = new URLSearchParams({ query: q, time: String(evalTimeSec) });
          const res = await fetch(`${base}/api/v1/query?${params}`);
          const body = (await res.json()) as { errorType: string; error: string };
          return { status: res.status, errorType: body.errorType, error: body.error };
        }),
      );
      expect(r?.status, `${q}: ${r?.error}`).toBeGreaterThanOrEqual(400);
      expect(
        { status: b?.status, errorType: b?.errorType },
        `${q}: real said ${r?.error}; builtin said ${b?.error}`,
      ).toEqual({ status: r?.status, errorType: r?.errorType });
    }
  });

  it('adds and removes scrape targets with a config reload', async () => {
    await real.addTarget({ job: 'extra', url: exporter.url });
    const cfg = (await (await fetch(`${real.url}/api/v1/status/config`)).json()) as {
      data: { yaml: string };
    };
    expect(cfg.data.yaml).toContain('job_name: extra');
    await real.removeTarget('extra');
    const cfg2 = (await (await fetch(`${real.url}/api/v1/status/config`)).json()) as {
      data: { yaml: string };
    };
    expect(cfg2.data.yaml).not.toContain('job_name: extra');
  });

  it('stops the process', async () => {
    const pid = real.pid;
    await real.stop();
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
