/** Flagger's own metrics (pkg/metrics/recorder.go) in the text exposition format, and /metrics. */
import { afterEach, describe, expect, it } from 'vitest';
import { FlaggerMetrics, statusValue } from '../../src/core/controller/recorder';
import {
  listenAddressText,
  parseListenAddress,
  startMetricsServer,
  type MetricsServer,
} from '../../src/core/controller/metrics-endpoint';

const podinfo = { cluster: 'kind-a', namespace: 'test', target: 'podinfo' };

const lines = (m: FlaggerMetrics, prefix: string): string[] =>
  m
    .render()
    .split('\n')
    .filter((l) => l.startsWith(prefix));

describe('FlaggerMetrics', () => {
  it("maps phases as Flagger's SetStatus does", () => {
    expect(statusValue('Progressing')).toBe(0);
    expect(statusValue('Failed')).toBe(2);
    for (const phase of ['', 'Initialized', 'Waiting', 'Promoting', 'Succeeded'] as const)
      expect(statusValue(phase)).toBe(1);
  });

  it('renders info, total, status, both weights and the last value of each check', () => {
    const m = new FlaggerMetrics();
    m.setInfo('1.2.3', 'istio');
    m.setTotal('kind-a', 'test', 2);
    m.setStatus(podinfo, 'Progressing');
    m.setWeight(podinfo, 70, 30);
    m.setAnalysis(podinfo, 'request-success-rate', 99.5);
    m.setAnalysis(podinfo, 'request-success-rate', 98);
    m.setAnalysis(podinfo, 'request-duration', 0.42);
    expect(lines(m, 'flagger_info')).toEqual([
      'flagger_info{version="1.2.3",mesh_provider="istio"} 1',
    ]);
    expect(lines(m, 'flagger_canary_total')).toEqual([
      'flagger_canary_total{cluster="kind-a",namespace="test"} 2',
    ]);
    expect(lines(m, 'flagger_canary_status')).toEqual([
      'flagger_canary_status{cluster="kind-a",name="podinfo",namespace="test"} 0',
    ]);
    expect(lines(m, 'flagger_canary_weight')).toEqual([
      'flagger_canary_weight{cluster="kind-a",namespace="test",workload="podinfo-primary"} 70',
      'flagger_canary_weight{cluster="kind-a",namespace="test",workload="podinfo"} 30',
    ]);
    expect(lines(m, 'flagger_canary_metric_analysis')).toEqual([
      'flagger_canary_metric_analysis{cluster="kind-a",name="podinfo",namespace="test",metric="request-success-rate"} 98',
      'flagger_canary_metric_analysis{cluster="kind-a",name="podinfo",namespace="test",metric="request-duration"} 0.42',
    ]);
    expect(m.render()).toContain('# TYPE flagger_canary_weight gauge\n');
  });

  it('keeps cumulative histogram buckets and counts outcomes by strategy and status', () => {
    const m = new FlaggerMetrics();
    m.setDuration(podinfo, 0.02);
    m.setDuration(podinfo, 0.3);
    m.setDuration(podinfo, 12);
    const h = lines(m, 'flagger_canary_duration_seconds');
    const base = 'cluster="kind-a",name="podinfo",namespace="test"';
    expect(h).toContain(`flagger_canary_duration_seconds_bucket{${base},le="0.01"} 0`);
    expect(h).toContain(`flagger_canary_duration_seconds_bucket{${base},le="0.025"} 1`);
    expect(h).toContain(`flagger_canary_duration_seconds_bucket{${base},le="0.5"} 2`);
    expect(h).toContain(`flagger_canary_duration_seconds_bucket{${base},le="10"} 2`);
    expect(h).toContain(`flagger_canary_duration_seconds_bucket{${base},le="+Inf"} 3`);
    expect(h).toContain(`flagger_canary_duration_seconds_sum{${base}} 12.32`);
    expect(h).toContain(`flagger_canary_duration_seconds_count{${base}} 3`);
    expect(m.render()).toContain('# TYPE flagger_canary_duration_seconds histogram\n');

    m.incSuccesses(podinfo, 'canary', 'completed');
    m.incSuccesses(podinfo, 'canary', 'completed');
    m.incSuccesses(podinfo, 'canary', 'skipped');
    m.incFailures(podinfo, 'ab-testing', 'completed');
    expect(lines(m, 'flagger_canary_successes_total')).toEqual([
      `flagger_canary_successes_total{${base},deployment_strategy="canary",analysis_status="completed"} 2`,
      `flagger_canary_successes_total{${base},deployment_strategy="canary",analysis_status="skipped"} 1`,
    ]);
    expect(lines(m, 'flagger_canary_failures_total')).toEqual([
      `flagger_canary_failures_total{${base},deployment_strategy="ab-testing",analysis_status="completed"} 1`,
    ]);
  });

  it('escapes label values and forgets a cluster', () => {
    const m = new FlaggerMetrics();
    const odd = { cluster: 'arn:aws:eks:x:1:cluster/"prod"\\a\nb', namespace: 'n', target: 't' };
    m.setStatus(odd, 'Failed');
    m.setStatus(podinfo, 'Succeeded');
    m.setTotal('kind-a', 'test', 1);
    expect(lines(m, 'flagger_canary_status')).toContain(
      'flagger_canary_status{cluster="arn:aws:eks:x:1:cluster/\\"prod\\"\\\\a\\nb",name="t",namespace="n"} 2',
    );
    m.forgetCluster('kind-a');
    expect(lines(m, 'flagger_canary_status')).toHaveLength(1);
    expect(lines(m, 'flagger_canary_total')).toEqual([]);
    m.setTotal('other', 'ns', 0);
    expect(m.render()).not.toContain('flagger_canary_total');
  });
});

describe('/metrics', () => {
  let server: MetricsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('parses listen addresses, loopback unless a host is named', () => {
    expect(parseListenAddress(':9797')).toEqual({ host: '127.0.0.1', port: 9797 });
    expect(parseListenAddress('9797')).toEqual({ host: '127.0.0.1', port: 9797 });
    expect(parseListenAddress('0.0.0.0:8080')).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(parseListenAddress('[::1]:8080')).toEqual({ host: '::1', port: 8080 });
    for (const text of ['127.0.0.1:9797', '0.0.0.0:80', '[::1]:8080'])
      expect(listenAddressText(parseListenAddress(text))).toBe(text);
    for (const bad of ['', 'host', ':99999', 'a:b:1', 'http://x:1'])
      expect(() => parseListenAddress(bad), bad).toThrow(/HOST:PORT/);
  });

  it('serves the text format at /metrics only', async () => {
    const m = new FlaggerMetrics();
    m.setInfo('test', 'istio');
    server = await startMetricsServer({ host: '127.0.0.1', port: 0, render: () => m.render() });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const res = await fetch(server.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await res.text()).toContain('flagger_info{version="test",mesh_provider="istio"} 1\n');
    expect((await fetch(server.url.replace('/metrics', '/'))).status).toBe(404);
    expect((await fetch(server.url, { method: 'POST' })).status).toBe(405);
  });
});
