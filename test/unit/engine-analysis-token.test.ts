/**
 * The user's Prometheus token (from the keychain) goes only to the metrics server they
 * configured, never to a server a Canary names: whoever can edit a Canary could otherwise
 * collect it.
 */
import { describe, expect, it } from 'vitest';
import type { EventRecorder } from '../../src/core/controller/ports';
import { createAnalysisRunner } from '../../src/core/metrics/analysis';
import type { MetricsProviderContext } from '../../src/core/metrics/provider';
import { MemoryClusterStore } from '../../src/sim/apiserver/memory-store';
import { storeKubeApi } from '../support/store-kube-api';
import { canaryOf } from './engine-fixtures';

const events: EventRecorder = {
  info: async () => undefined,
  warning: async () => undefined,
  error: async () => undefined,
};

function runnerSeeing(seen: MetricsProviderContext[], metricsServer?: string) {
  return createAnalysisRunner({
    api: storeKubeApi(new MemoryClusterStore()),
    ...(metricsServer ? { metricsServer } : {}),
    metricsServerToken: async () => 'user-token',
    providers: {
      prometheus: (context) => {
        seen.push(context);
        return { runQuery: async () => 100, isOnline: async () => true };
      },
    },
  });
}

const analysis = {
  interval: '10s',
  threshold: 2,
  metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1m' }],
};

describe("the user's metrics server token", () => {
  it('is sent to the metrics server the user configured', async () => {
    const seen: MetricsProviderContext[] = [];
    const runner = runnerSeeing(seen, 'https://prometheus.example.com');
    const result = await runner.runMetricChecks(canaryOf({ provider: 'nginx', analysis }), events);
    expect(result.passed).toBe(true);
    expect(seen.map((c) => [c.provider.address, c.credentials])).toEqual([
      ['https://prometheus.example.com', { token: 'user-token' }],
    ]);
  });

  it("is not sent to a Canary's own metricsServer", async () => {
    const seen: MetricsProviderContext[] = [];
    const runner = runnerSeeing(seen, 'https://prometheus.example.com');
    const canary = canaryOf({
      provider: 'nginx',
      metricsServer: 'http://collector.attacker:9090',
      analysis,
    });
    await runner.runMetricChecks(canary, events);
    await runner.checkProviders(canary);
    expect(seen.length).toBe(2);
    expect(seen.every((c) => c.credentials === undefined)).toBe(true);
  });

  it('is not sent to the in-cluster default when the user configured no server', async () => {
    const seen: MetricsProviderContext[] = [];
    await runnerSeeing(seen).runMetricChecks(canaryOf({ provider: 'nginx', analysis }), events);
    expect(seen[0]?.credentials).toBeUndefined();
  });
});
