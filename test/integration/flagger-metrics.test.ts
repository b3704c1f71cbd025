/**
 * Flagger's own metrics for the canaries Aviary drives, scraped by a real Prometheus from
 * Aviary's /metrics: a promotion and a rollback on the playground show up in the series
 * Flagger's Grafana dashboard and alerts query (flagger_canary_status, _weight,
 * _successes_total, _failures_total, _duration_seconds, _metric_analysis).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMetricsServer, type MetricsServer } from '../../src/core/controller/metrics-endpoint';
import {
  findPrometheusBinary,
  startRealPrometheus,
  type RealPrometheus,
} from '../../src/sim/prometheus/real';
import { startEngineBed, type EngineBed } from './engine-playground.helpers';

const KEY = 'playground-staging/test/podinfo';
const binary = findPrometheusBinary();

let bed: EngineBed;
let metrics: MetricsServer;
let prometheus: RealPrometheus;

/** The value of a single-series instant query, or undefined while there is none. */
async function value(query: string): Promise<number | undefined> {
  const res = await fetch(`${prometheus.url}/api/v1/query?${new URLSearchParams({ query })}`);
  const body = (await res.json()) as {
    data: { result: { value: [number, string] }[] };
  };
  const [first, ...rest] = body.data.result;
  if (!first) return undefined;
  if (rest.length) throw new Error(`${query}: ${body.data.result.length} series`);
  return Number(first.value[1]);
}

const scraped = (query: string, expected: number) =>
  expect
    .poll(() => value(query), { timeout: 20_000, interval: 250, message: query })
    .toBe(expected);

describe.skipIf(!binary)("Flagger's metrics at /metrics, scraped by Prometheus", () => {
  beforeAll(async () => {
    bed = await startEngineBed();
    metrics = await startMetricsServer({
      host: '127.0.0.1',
      port: 0,
      render: () => bed.service.flaggerMetrics.render(),
    });
    prometheus = await startRealPrometheus({
      targets: [{ job: 'aviary', url: metrics.url }],
      scrapeIntervalMs: 1000,
    });
  });

  afterAll(async () => {
    await prometheus?.stop();
    await metrics?.close();
    await bed?.stop();
  });

  it('records a promotion: weights, status, analysis values, duration, successes', async () => {
    await bed.waitFor(() => bed.canary(KEY)?.phase === 'Initialized', 'podinfo Initialized');
    await bed.service.handlers['canaries.release']({ key: KEY });
    // While it progresses: status 0 and the canary's share on the target workload.
    await bed.waitFor(() => {
      const text = bed.service.flaggerMetrics.render();
      return (
        text.includes(
          'flagger_canary_status{cluster="playground-staging",name="podinfo",namespace="test"} 0',
        ) &&
        /flagger_canary_weight\{cluster="playground-staging",namespace="test",workload="podinfo"\} [1-9]\d*\n/.test(
          text,
        )
      );
    }, 'podinfo progressing in the metrics');
    await bed.waitFor(() => bed.canary(KEY)?.phase === 'Succeeded', 'podinfo Succeeded', 120_000);

    const sel = 'cluster="playground-staging",name="podinfo",namespace="test"';
    await scraped(
      `flagger_canary_successes_total{${sel},deployment_strategy="canary",analysis_status="completed"}`,
      1,
    );
    await scraped(`flagger_canary_status{${sel}}`, 1);
    await scraped('flagger_canary_weight{namespace="test",workload="podinfo-primary"}', 100);
    await scraped('flagger_canary_weight{namespace="test",workload="podinfo"}', 0);
    await scraped('flagger_info{version="test",mesh_provider="istio"}', 1);
    expect(await value('flagger_canary_total{namespace="test"}')).toBeGreaterThanOrEqual(1);
    expect(await value(`flagger_canary_duration_seconds_count{${sel}}`)).toBeGreaterThan(0);
    const success = await value(
      `flagger_canary_metric_analysis{${sel},metric="request-success-rate"}`,
    );
    expect(success).toBeGreaterThanOrEqual(99);
    expect(success).toBeLessThanOrEqual(100);
    // Flagger records the builtin request duration in seconds.
    const duration = await value(
      `flagger_canary_metric_analysis{${sel},metric="request-duration"}`,
    );
    expect(duration).toBeGreaterThan(0);
    expect(duration).toBeLessThan(0.5);
    expect(await value('flagger_canary_failures_total')).toBeUndefined();
  });

  it('records a rollback: status 2 and one failure', async () => {
    await bed.service.handlers['canaries.release']({ key: KEY, errorRate: 0.6 });
    await bed.waitFor(() => bed.canary(KEY)?.phase === 'Failed', 'podinfo Failed', 120_000);
    const sel = 'cluster="playground-staging",name="podinfo",namespace="test"';
    await scraped(
      `flagger_canary_failures_total{${sel},deployment_strategy="canary",analysis_status="completed"}`,
      1,
    );
    await scraped(`flagger_canary_status{${sel}}`, 2);
    await scraped('flagger_canary_weight{namespace="test",workload="podinfo"}', 0);
    await scraped(
      `flagger_canary_successes_total{${sel},deployment_strategy="canary",analysis_status="completed"}`,
      1,
    );
  });

  it("drops a cluster's series once this desktop stops driving it", async () => {
    expect(bed.service.flaggerMetrics.render()).toContain('cluster="playground-staging"');
    await bed.service.handlers['clusters.setControl']({
      context: 'playground-staging',
      enabled: false,
    });
    await bed.waitFor(
      () => !bed.service.flaggerMetrics.render().includes('cluster="playground-staging"'),
      'the series gone',
    );
    // flagger_info stays: it describes this Aviary, not a cluster.
    expect(bed.service.flaggerMetrics.render()).toContain('flagger_info{');
  });
});
