/**
 * The real path, in real time: the system clock everywhere, Debian's Prometheus scraping
 * the playground (when installed), Flagger's minimum interval of 10 s. A canary
 * initializes; a release with skipAnalysis is promoted; then a release is analysed with the
 * builtin NGINX success-rate check against the real Prometheus and promoted. About two
 * minutes; everything else runs on a faster clock (engine-rollout, engine-scenarios-*).
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngineBed, type EngineBed } from './engine-playground.helpers';

let bed: EngineBed;
const KEY = 'playground-staging/test/podinfo';
const CANARIES = { group: 'flagger.app', resource: 'canaries' };
const realPrometheus = existsSync('/usr/bin/prometheus');

beforeAll(async () => {
  // No `prometheus` option: the playground takes the real binary when it finds one.
  bed = await startEngineBed({
    speed: 1,
    playground: { prometheus: undefined, scrapeIntervalMs: 2000 },
  });
});

afterAll(async () => {
  await bed?.stop();
});

const at = (message: string): number =>
  Date.parse(bed.log.findLast((r) => r.message === message)?.time ?? '');

describe('the engine on the system clock', () => {
  it('runs the playground on the real Prometheus when it is installed', () => {
    expect(bed.playground.cluster('staging').prometheus?.kind).toBe(
      realPrometheus ? 'real' : 'builtin',
    );
  });

  it('initializes, then promotes a release with skipAnalysis', async () => {
    await bed.waitFor(
      () => bed.canary(KEY)?.phase === 'Initialized',
      'podinfo Initialized',
      45_000,
    );
    const staging = bed.playground.cluster('staging');
    staging.api.store.mutate(CANARIES, 'test', 'podinfo', (canary) => {
      (canary.spec as { skipAnalysis?: boolean }).skipAnalysis = true;
    });
    staging.sim.release('test', 'podinfo', 'ghcr.io/stefanprodan/podinfo:6.0.1');
    await bed.waitFor(() => bed.canary(KEY)?.phase === 'Succeeded', 'podinfo Succeeded', 60_000);
    const messages = bed.messages('podinfo.test');
    expect(messages).toContain('New revision detected! Scaling up podinfo.test');
    expect(messages).toContain('Copying podinfo.test template spec to podinfo-primary.test');
    expect(messages).toContain('Promotion completed! Canary analysis was skipped for podinfo.test');
    // The scale-up tick and the promotion tick are one real 10 s interval apart (less the
    // time the first spent before logging).
    const gap =
      at('Promotion completed! Canary analysis was skipped for podinfo.test') -
      at('New revision detected! Scaling up podinfo.test');
    expect(gap).toBeGreaterThanOrEqual(8_000);
    expect(gap).toBeLessThan(25_000);
  }, 120_000);

  it('analyses a release with the builtin success-rate check on Prometheus and promotes it', async () => {
    const staging = bed.playground.cluster('staging');
    staging.api.store.mutate(CANARIES, 'test', 'podinfo', (canary) => {
      const spec = canary.spec as {
        skipAnalysis?: boolean;
        analysis: { stepWeight?: number; maxWeight?: number; metrics?: unknown[] };
      };
      spec.skipAnalysis = false;
      spec.analysis.stepWeight = 50;
      spec.analysis.maxWeight = 50;
      spec.analysis.metrics = [
        { name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '30s' },
      ];
    });
    const started = bed.log.length;
    staging.sim.release('test', 'podinfo', 'ghcr.io/stefanprodan/podinfo:6.0.2');
    await bed.waitFor(
      () =>
        bed.log
          .slice(started)
          .some((r) => r.message === 'Promotion completed! Scaling down podinfo.test'),
      'promotion',
      150_000,
    );
    const messages = bed.log
      .slice(started)
      .filter((r) => r.canary === 'podinfo.test')
      .map((r) => r.message);
    const expected = [
      'New revision detected! Scaling up podinfo.test',
      'Starting canary analysis for podinfo.test',
      'Advance podinfo.test canary weight 50',
      'Copying podinfo.test template spec to podinfo-primary.test',
      'Routing all traffic to primary',
      'Promotion completed! Scaling down podinfo.test',
    ];
    expect(messages.filter((m) => expected.includes(m))).toEqual(expected);
    // The check read real numbers: the point before promotion holds the success rate.
    const checks = bed.service.fleet.series(KEY).flatMap((p) => p.checks);
    const rates = checks.filter(
      (c) => c.metric === 'request-success-rate' && c.value !== undefined,
    );
    expect(rates.length).toBeGreaterThan(0);
    expect(rates.at(-1)?.value).toBeGreaterThanOrEqual(99);
    expect(rates.at(-1)?.passed).toBe(true);
  }, 180_000);
});
