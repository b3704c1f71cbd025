/**
 * The real path, in real time: no scaled clock anywhere. Flagger's minimum interval is
 * 10 s, so this one test takes about a minute: a canary initializes, then a release with
 * skipAnalysis is promoted. Everything else runs on a faster clock (engine-rollout etc.).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngineBed, type EngineBed } from './engine-playground.helpers';

let bed: EngineBed;
const KEY = 'playground-staging/test/podinfo';

beforeAll(async () => {
  bed = await startEngineBed({ speed: 1 });
});

afterAll(async () => {
  await bed?.stop();
});

describe('the engine on the system clock', () => {
  it('initializes, then promotes a release with skipAnalysis', async () => {
    await bed.waitFor(
      () => bed.canary(KEY)?.phase === 'Initialized',
      'podinfo Initialized',
      45_000,
    );
    const staging = bed.playground.cluster('staging');
    staging.api.store.mutate(
      { group: 'flagger.app', resource: 'canaries' },
      'test',
      'podinfo',
      (canary) => {
        (canary.spec as { skipAnalysis?: boolean }).skipAnalysis = true;
      },
    );
    const released = Date.now();
    staging.sim.release('test', 'podinfo', 'ghcr.io/stefanprodan/podinfo:6.0.1');
    await bed.waitFor(() => bed.canary(KEY)?.phase === 'Succeeded', 'podinfo Succeeded', 60_000);
    const messages = bed.messages('podinfo.test');
    expect(messages).toContain('New revision detected! Scaling up podinfo.test');
    expect(messages).toContain('Copying podinfo.test template spec to podinfo-primary.test');
    expect(messages).toContain('Promotion completed! Canary analysis was skipped for podinfo.test');
    // The scale-up tick and the promotion tick are one real 10 s interval apart (less the time the first spent before logging).
    const at = (message: string): number =>
      Date.parse(bed.log.find((r) => r.message === message)?.time ?? '');
    const gap =
      at('Promotion completed! Canary analysis was skipped for podinfo.test') -
      at('New revision detected! Scaling up podinfo.test');
    expect(gap).toBeGreaterThanOrEqual(8_000);
    expect(gap).toBeLessThan(25_000);
    expect(Date.now() - released).toBeLessThan(60_000);
  }, 120_000);
});
