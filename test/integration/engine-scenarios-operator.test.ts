/**
 * The engine's "Done means" scenarios, part 2: the strategies other than weighted canary
 * (A/B testing on NGINX with a header match, Kubernetes blue/green), the operator's actions
 * mid-rollout (rollback, forced promotion, pause/resume) through the API contract, and an
 * invalid Canary next to a healthy rollout. One playground cluster, real HTTPS, 20x clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourceOf } from '../../src/sim/playground';
import { scenarioManifests } from '../../src/sim/scenario';
import type { KubeObject } from '../../src/sim/store';
import { startEngineBed, type EngineBed } from './engine-playground.helpers';
import {
  CANARIES,
  DEPLOYMENTS,
  INGRESSES,
  NGINX,
  SERVICES,
  canaryIngressWeight,
  editCanary,
  get,
  image,
  mark,
  release,
  staging,
  until,
  versionSeen,
  waitMessage,
  waitPhase,
} from './engine-scenarios.helpers';

let bed: EngineBed;
const KEY = 'playground-staging/test/podinfo';
const C = 'podinfo.test';

beforeAll(async () => {
  bed = await startEngineBed();
  await waitPhase(bed, KEY, 'Initialized');
});

afterAll(async () => {
  await bed?.stop();
});

const act = (key: string, action: 'rollback' | 'promote' | 'pause' | 'resume', force = false) =>
  bed.service.handlers['canaries.action']({ key, action, force });

const weight = (): number => bed.canary(KEY)?.canaryWeight ?? 0;

describe('operator actions mid-rollout', () => {
  it('rolls back at once: the canary ingress weight is 0 right after the call', async () => {
    const log = mark(bed, C);
    release(bed, '6.0.1');
    await until(
      () => bed.canary(KEY)?.phase === 'Progressing' && weight() >= 20,
      'podinfo at weight 20',
    );
    expect(Number(canaryIngressWeight(bed))).toBeGreaterThanOrEqual(20);
    const summary = await act(KEY, 'rollback');
    const returned = Date.now();
    await until(() => canaryIngressWeight(bed) === '0', 'canary-weight "0"', 500);
    expect(Date.now() - returned).toBeLessThan(500);
    expect(summary.phase).toBe('Failed');
    await waitMessage(bed, log.since, 'Canary failed! Scaling down podinfo.test', 5000);
    const messages = log.since();
    expect(messages.some((m) => /requested rollback of podinfo\.test$/.test(m))).toBe(true);
    expect(messages.indexOf('Canary failed! Scaling down podinfo.test')).toBeGreaterThan(
      messages.findIndex((m) => m.endsWith('requested rollback of podinfo.test')),
    );
    await waitPhase(bed, KEY, 'Failed');
    // Nothing moves afterwards: the same revision is not analysed again.
    await new Promise((r) => setTimeout(r, 1000));
    expect(bed.canary(KEY)?.phase).toBe('Failed');
    expect(canaryIngressWeight(bed)).toBe('0');
    expect(image(get(bed, DEPLOYMENTS, 'test', 'podinfo-primary'))).toBe(
      'ghcr.io/stefanprodan/podinfo:6.0.0',
    );
  });

  it('promotes mid-rollout when forced, skipping the remaining steps', async () => {
    const log = mark(bed, C);
    release(bed, '6.0.2');
    await until(
      () => bed.canary(KEY)?.phase === 'Progressing' && weight() >= 20,
      'podinfo at weight 20',
    );
    const summary = await act(KEY, 'promote', true);
    expect(summary.phase).toBe('Promoting');
    expect(log.since()).toContain('Copying podinfo.test template spec to podinfo-primary.test');
    await waitPhase(bed, KEY, 'Succeeded');
    const messages = log.since();
    const copying = messages.indexOf('Copying podinfo.test template spec to podinfo-primary.test');
    const after = messages.slice(copying);
    expect(after).toEqual(
      expect.arrayContaining([
        'Routing all traffic to primary',
        'Promotion completed! Scaling down podinfo.test',
      ]),
    );
    expect(after.some((m) => m.startsWith('Advance '))).toBe(false);
    expect(messages).not.toContain('Advance podinfo.test canary weight 50');
    expect(image(get(bed, DEPLOYMENTS, 'test', 'podinfo-primary'))).toBe(
      'ghcr.io/stefanprodan/podinfo:6.0.2',
    );
    expect(canaryIngressWeight(bed)).toBe('0');
  });

  it('pauses (spec.suspend) and resumes a rollout', async () => {
    const log = mark(bed, C);
    release(bed, '6.0.3');
    await until(
      () => bed.canary(KEY)?.phase === 'Progressing' && weight() >= 10,
      'podinfo at weight 10',
    );
    await act(KEY, 'pause');
    expect((get(bed, CANARIES, 'test', 'podinfo')?.spec as { suspend?: boolean }).suspend).toBe(
      true,
    );
    await waitMessage(bed, log.since, 'skipping canary run as object is suspended', 5000);
    await until(() => bed.canary(KEY)?.suspended === true, 'the summary says suspended', 2000);
    const held = canaryIngressWeight(bed);
    const advances = log.since().filter((m) => m.startsWith('Advance ')).length;
    await new Promise((r) => setTimeout(r, 1500)); // three intervals
    expect(canaryIngressWeight(bed)).toBe(held);
    expect(log.since().filter((m) => m.startsWith('Advance ')).length).toBe(advances);
    expect(
      log.since().filter((m) => m === 'skipping canary run as object is suspended').length,
    ).toBeGreaterThanOrEqual(2);
    expect(bed.canary(KEY)?.phase).toBe('Progressing');

    await act(KEY, 'resume');
    await waitPhase(bed, KEY, 'Succeeded');
    expect(log.since()).toContain('Advance podinfo.test canary weight 50');
    expect(log.since()).toContain('Promotion completed! Scaling down podinfo.test');
    expect(bed.canary(KEY)?.suspended).toBe(false);
  });
});

describe('an invalid Canary next to a healthy one', () => {
  it('reports the field error on the summary, the status and the log; podinfo still rolls out', async () => {
    const WEB = 'playground-staging/frontend/web';
    await waitPhase(bed, WEB, 'Initialized');
    editCanary(bed, 'frontend', 'web', (spec) => {
      delete spec.analysis.stepWeights;
      spec.analysis.stepWeight = 150;
    });
    const log = mark(bed, C);
    release(bed, '6.0.4');
    await until(() => (bed.canary(WEB)?.errors?.length ?? 0) > 0, 'web.frontend errors');
    const errors = bed.canary(WEB)?.errors ?? [];
    expect(errors.map((e) => e.path)).toContain('spec.analysis.stepWeight');
    const stepError = errors.find((e) => e.path === 'spec.analysis.stepWeight');
    const validCondition = () =>
      (
        get(bed, CANARIES, 'frontend', 'web')?.status as {
          conditions?: { type: string; status: string; reason?: string; message?: string }[];
        }
      ).conditions?.find((c) => c.type === 'Valid');
    await until(() => validCondition() !== undefined, 'the Valid condition');
    expect(validCondition()).toMatchObject({ status: 'False', reason: 'ValidationFailed' });
    expect(validCondition()?.message).toContain(`spec.analysis.stepWeight: ${stepError?.message}`);
    const invalid = bed
      .messages('web.frontend')
      .filter((m) => m.startsWith('invalid canary spec: '));
    expect(invalid).toHaveLength(1);
    expect(invalid[0]).toContain('spec.analysis.stepWeight');
    // The Promoted condition and the phase are left as they were.
    expect(bed.canary(WEB)?.phase).toBe('Initialized');

    await waitMessage(bed, log.since, 'Promotion completed! Scaling down podinfo.test');
    expect(bed.canary(KEY)?.phase).toBe('Succeeded');
    expect(image(get(bed, DEPLOYMENTS, 'test', 'podinfo-primary'))).toBe(
      'ghcr.io/stefanprodan/podinfo:6.0.4',
    );
    // Not scheduled meanwhile, and logged once only.
    expect(
      bed.messages('web.frontend').filter((m) => m.startsWith('invalid canary spec: ')),
    ).toHaveLength(1);

    // Fixed: the condition goes away.
    editCanary(bed, 'frontend', 'web', (spec) => {
      delete spec.analysis.stepWeight;
      spec.analysis.stepWeights = [5, 10, 25, 50];
    });
    await until(() => validCondition() === undefined, 'the Valid condition removed');
    await until(() => bed.canary(WEB)?.errors === undefined, 'no errors on the summary');
  });
});

describe('A/B testing on NGINX with a header match', () => {
  it('routes only x-canary: insider to the canary for N iterations, then promotes', async () => {
    editCanary(bed, 'test', 'podinfo', (spec) => {
      delete spec.analysis.maxWeight;
      delete spec.analysis.stepWeight;
      spec.analysis.iterations = 6;
      spec.analysis.match = [{ headers: { 'x-canary': { exact: 'insider' } } }];
      const load = spec.analysis.webhooks.find((h) => h.name === 'load-test');
      if (load)
        load.metadata = {
          cmd: "hey -z 1m -q 10 -c 2 -H 'X-Canary: insider' http://app.example.com/",
        };
    });
    const previous = image(get(bed, DEPLOYMENTS, 'test', 'podinfo-primary'))?.split(':')[1];
    const log = mark(bed, C);
    release(bed, '6.1.0');
    await waitMessage(bed, log.since, 'Advance podinfo.test canary iteration 1/6');
    expect(bed.canary(KEY)?.strategy).toBe('ab-testing');
    const annotations = get(bed, INGRESSES, 'test', 'podinfo-canary')?.metadata.annotations ?? {};
    expect(annotations[`${NGINX}canary-by-header`]).toBe('x-canary');
    expect(annotations[`${NGINX}canary-by-header-value`]).toBe('insider');
    expect(annotations[`${NGINX}canary-weight`]).toBe('0');
    const insiders: string[] = [];
    const others: string[] = [];
    for (let i = 0; i < 15; i++) {
      insiders.push(await versionSeen(bed, { 'x-canary': 'insider' }));
      others.push(await versionSeen(bed, { 'x-canary': 'outsider' }));
      others.push(await versionSeen(bed));
    }
    expect(bed.canary(KEY)?.phase).toBe('Progressing');
    expect(new Set(insiders)).toEqual(new Set(['6.1.0']));
    expect(new Set(others)).toEqual(new Set([previous]));

    await waitPhase(bed, KEY, 'Succeeded');
    const messages = log.since();
    const iterations = messages.filter((m) =>
      m.startsWith('Advance podinfo.test canary iteration'),
    );
    expect(iterations).toEqual(
      [1, 2, 3, 4, 5, 6].map((n) => `Advance podinfo.test canary iteration ${n}/6`),
    );
    expect(messages.some((m) => m.startsWith('Halt '))).toBe(false);
    const copying = messages.indexOf('Copying podinfo.test template spec to podinfo-primary.test');
    expect(copying).toBeGreaterThan(messages.indexOf('Advance podinfo.test canary iteration 6/6'));
    expect(messages.slice(copying)).toEqual(
      expect.arrayContaining([
        'Routing all traffic to primary',
        'Promotion completed! Scaling down podinfo.test',
      ]),
    );
    expect(await versionSeen(bed)).toBe('6.1.0');
    expect(await versionSeen(bed, { 'x-canary': 'insider' })).toBe('6.1.0');
    expect(get(bed, INGRESSES, 'test', 'podinfo-canary')?.metadata.annotations).not.toHaveProperty(
      `${NGINX}canary-by-header`,
    );
  });
});

describe('Kubernetes blue/green (provider kubernetes)', () => {
  const BG = 'playground-staging/test/checkout';
  const B = 'checkout.test';
  const selector = () =>
    (get(bed, SERVICES, 'test', 'checkout')?.spec as { selector?: unknown }).selector;
  const apexVersion = () => versionSeen(bed, {}, 'http://checkout.test:9898/');

  beforeAll(async () => {
    const store = staging(bed).api.store;
    const manifests = scenarioManifests.blueGreen('test', 'checkout');
    const canary = manifests.find((m) => m.kind === 'Canary') as KubeObject;
    (canary.spec as { analysis: { interval: string } }).analysis.interval = '10s';
    for (const m of manifests.filter((o) => o.kind !== 'Canary')) store.create(resourceOf(m), m);
    // The app's own Service, before the canary exists: Flagger takes it over as the apex.
    store.create(SERVICES, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'checkout', namespace: 'test' },
      spec: {
        selector: { app: 'checkout' },
        ports: [{ name: 'http', port: 9898, targetPort: 9898 }],
      },
    });
    await until(
      () =>
        (get(bed, DEPLOYMENTS, 'test', 'checkout')?.status as { readyReplicas?: number })
          ?.readyReplicas === 2,
      'checkout ready',
    );
    expect(await apexVersion()).toBe('6.0.0');
    store.create(CANARIES, canary);
    await waitPhase(bed, BG, 'Initialized');
  });

  it('switches the apex Service to the primary pods, runs the iterations and promotes', async () => {
    expect(selector()).toEqual({ app: 'checkout-primary' });
    expect(await apexVersion()).toBe('6.0.0');
    const log = mark(bed, B);
    release(bed, '6.0.1', {}, 'test', 'checkout');
    await waitMessage(bed, log.since, 'Advance checkout.test canary iteration 1/5');
    expect(bed.canary(BG)?.strategy).toBe('blue-green');
    // No traffic shifting with the kubernetes provider: users stay on the primary.
    for (let i = 0; i < 5; i++) expect(await apexVersion()).toBe('6.0.0');
    expect(await versionSeen(bed, {}, 'http://checkout-canary.test:9898/')).toBe('6.0.1');
    await waitPhase(bed, BG, 'Succeeded');
    const messages = log.since();
    expect(messages.filter((m) => m.startsWith('Advance checkout.test canary iteration'))).toEqual(
      [1, 2, 3, 4, 5].map((n) => `Advance checkout.test canary iteration ${n}/5`),
    );
    expect(messages).toEqual(
      expect.arrayContaining([
        'New revision detected! Scaling up checkout.test',
        'Starting canary analysis for checkout.test',
        'Pre-rollout check conformance-test passed',
        'Copying checkout.test template spec to checkout-primary.test',
        'Promotion completed! Scaling down checkout.test',
      ]),
    );
    expect(messages).not.toContain(
      'Progressive traffic is not supported when using the kubernetes provider',
    );
    expect(messages).not.toContain('Setting canaryAnalysis.iterations: 10');
    expect(messages).not.toContain('Routing all traffic to canary');
    expect(messages).not.toContain('Routing all traffic to primary');
    expect(selector()).toEqual({ app: 'checkout-primary' });
    expect(await apexVersion()).toBe('6.0.1');
  });

  it('warns that progressive traffic is not supported when iterations are missing', async () => {
    editCanary(bed, 'test', 'checkout', (spec) => {
      delete spec.analysis.iterations;
      spec.analysis.stepWeight = 20;
    });
    const log = mark(bed, B);
    release(bed, '6.0.2', {}, 'test', 'checkout');
    await waitMessage(bed, log.since, 'Promotion completed! Scaling down checkout.test', 40_000);
    const messages = log.since();
    const advances = messages.filter((m) => m.startsWith('Advance checkout.test canary'));
    expect(advances).toEqual(
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => `Advance checkout.test canary iteration ${n}/10`),
    );
    // Every analysed tick sets the in-memory iterations again, with both warnings.
    const warned = messages.filter(
      (m) => m === 'Progressive traffic is not supported when using the kubernetes provider',
    ).length;
    expect(warned).toBeGreaterThanOrEqual(10);
    expect(messages.filter((m) => m === 'Setting canaryAnalysis.iterations: 10')).toHaveLength(
      warned,
    );
    expect(messages).toContain('Promotion completed! Scaling down checkout.test');
    expect(await apexVersion()).toBe('6.0.2');
  });
});
