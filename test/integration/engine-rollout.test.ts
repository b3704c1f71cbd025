/**
 * Flagger's NGINX tutorial, driven by Aviary's engine against the playground: the
 * canary initializes, a release is analysed with the builtin checks on the in-cluster
 * Prometheus and the loadtester webhooks, and is promoted with Flagger's event sequence;
 * a release that answers 500s is rolled back after `threshold` failed checks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngineBed, type EngineBed } from './engine-playground.helpers';

let bed: EngineBed;
const KEY = 'playground-staging/test/podinfo';

beforeAll(async () => {
  bed = await startEngineBed();
});

afterAll(async () => {
  await bed?.stop();
});

describe('a progressive NGINX rollout on the playground', () => {
  it('initializes the canary: primary, services, canary ingress, phase Initialized', async () => {
    await bed.waitFor(() => bed.canary(KEY)?.phase === 'Initialized', 'podinfo Initialized');
    const staging = bed.playground.cluster('staging');
    const store = staging.api.store;
    expect(
      store.get({ group: 'apps', resource: 'deployments' }, 'test', 'podinfo-primary'),
    ).toBeDefined();
    for (const svc of ['podinfo', 'podinfo-primary', 'podinfo-canary']) {
      expect(store.get({ group: '', resource: 'services' }, 'test', svc), svc).toBeDefined();
    }
    const ingress = store.get(
      { group: 'networking.k8s.io', resource: 'ingresses' },
      'test',
      'podinfo-canary',
    );
    expect(ingress?.metadata.annotations?.['nginx.ingress.kubernetes.io/canary']).toBe('true');
    expect(bed.messages('podinfo.test')).toContain('Initialization done! podinfo.test');
    expect(bed.canary(KEY)?.controller).toBe('aviary');
  });

  it('analyses a release and promotes it with Flagger event sequence', async () => {
    const staging = bed.playground.cluster('staging');
    // A release as the UI's button makes it: through the API contract, on a playground cluster.
    expect(await bed.service.handlers['canaries.release']({ key: KEY })).toEqual({
      image: 'ghcr.io/stefanprodan/podinfo:6.0.1',
    });
    await bed.waitFor(() => bed.canary(KEY)?.phase === 'Succeeded', 'podinfo Succeeded', 120_000);
    const messages = bed.messages('podinfo.test');
    const start = messages.indexOf('New revision detected! Scaling up podinfo.test');
    expect(start).toBeGreaterThanOrEqual(0);
    const rollout = messages.slice(start);
    const expected = [
      'New revision detected! Scaling up podinfo.test',
      'Starting canary analysis for podinfo.test',
      'Pre-rollout check acceptance-test passed',
      'Advance podinfo.test canary weight 10',
      'Advance podinfo.test canary weight 20',
      'Advance podinfo.test canary weight 30',
      'Advance podinfo.test canary weight 40',
      'Advance podinfo.test canary weight 50',
      'Copying podinfo.test template spec to podinfo-primary.test',
      'Routing all traffic to primary',
      'Promotion completed! Scaling down podinfo.test',
    ];
    expect(rollout.filter((m) => expected.includes(m))).toEqual(expected);
    const primary = staging.api.store.get(
      { group: 'apps', resource: 'deployments' },
      'test',
      'podinfo-primary',
    ) as unknown as {
      spec: { template: { spec: { containers: { image: string }[] } } };
    };
    expect(primary.spec.template.spec.containers[0]?.image).toBe(
      'ghcr.io/stefanprodan/podinfo:6.0.1',
    );
    const series = bed.service.fleet.series(KEY);
    expect(series.some((p) => p.marker === 'promotion')).toBe(true);
    expect(Math.max(...series.map((p) => p.canaryWeight))).toBe(50);
  });

  it('rolls back a release that answers 500s after the failed-checks threshold', async () => {
    const staging = bed.playground.cluster('staging');
    // The acceptance test would hit the failing canary too and could use up the threshold
    // before any metric check; without it every failed check is the success rate's.
    staging.api.store.mutate(
      { group: 'flagger.app', resource: 'canaries' },
      'test',
      'podinfo',
      (canary) => {
        const analysis = (canary.spec as { analysis: { webhooks?: { type?: string }[] } }).analysis;
        analysis.webhooks = (analysis.webhooks ?? []).filter((w) => w.type !== 'pre-rollout');
      },
    );
    staging.sim.release('test', 'podinfo', 'ghcr.io/stefanprodan/podinfo:6.0.2', {
      errorRate: 0.5,
    });
    await bed.waitFor(() => bed.canary(KEY)?.phase === 'Failed', 'podinfo Failed', 120_000);
    const messages = bed.messages('podinfo.test');
    expect(
      messages.some((m) =>
        /^Halt podinfo\.test advancement success rate \d+\.\d\d% < 99%$/.test(m),
      ),
    ).toBe(true);
    expect(messages).toContain('Rolling back podinfo.test failed checks threshold reached 5');
    expect(messages).toContain('Canary failed! Scaling down podinfo.test');
    const ingress = staging.api.store.get(
      { group: 'networking.k8s.io', resource: 'ingresses' },
      'test',
      'podinfo-canary',
    );
    expect(ingress?.metadata.annotations?.['nginx.ingress.kubernetes.io/canary-weight']).toBe('0');
  });
});
