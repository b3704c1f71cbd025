/**
 * The engine's "Done means" scenarios, part 1: the analysis and its gates, on podinfo.test
 * of the playground's default scenario (NGINX, HPA, the loadtester webhooks, the in-cluster
 * Prometheus), over real HTTPS on a 20x clock. One bed; each scenario starts from where the
 * previous one left the canary (Succeeded or Failed) with a new podinfo revision, and
 * asserts Flagger's texts in the log of that rollout only.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEngineBed, type EngineBed } from './engine-playground.helpers';
import {
  CONFIGMAPS,
  DEPLOYMENTS,
  canaryIngressWeight,
  editCanary,
  editDeployment,
  gate,
  get,
  image,
  mark,
  release,
  staging,
  waitMessage,
  until,
  waitPhase,
  type DeploymentDraft,
} from './engine-scenarios.helpers';

let bed: EngineBed;
const KEY = 'playground-staging/test/podinfo';
const C = 'podinfo.test';
const GATE_URL = 'http://flagger-loadtester.test/gate/check';

beforeAll(async () => {
  bed = await startEngineBed();
  await waitPhase(bed, KEY, 'Initialized');
});

afterAll(async () => {
  await bed?.stop();
});

afterEach(({ task }) => {
  if (task.result?.state === 'fail')
    console.log(
      bed.log
        .filter((r) => r.canary === C || !r.canary)
        .slice(-60)
        .map((r) => `${r.time} ${r.level} ${r.message}`)
        .join('\n'),
    );
});

describe('analysis scenarios on podinfo.test', () => {
  it('halts on request duration and rolls back at the threshold', async () => {
    const log = mark(bed, C);
    // A fresh bed: the canary ingress has seen no other traffic, so the mean is the release's.
    release(bed, '6.0.1', { 'playground.aviary.dev/latency-ms': '800' });
    await waitPhase(bed, KEY, 'Failed');
    const messages = log.since();
    const halts = messages.filter((m) => m.startsWith('Halt podinfo.test advancement request'));
    expect(halts.length).toBeGreaterThanOrEqual(1);
    for (const halt of halts) {
      // Go's time.Duration of the mean: "812ms", or "1.161s" past a second (the release answers
      // in 400-1200 ms; under load the simulated clock adds some).
      const d =
        /^Halt podinfo\.test advancement request duration (\d+)ms > 500ms$|^Halt podinfo\.test advancement request duration (\d+(?:\.\d+)?)s > 500ms$/.exec(
          halt,
        );
      expect(d, halt).not.toBeNull();
      const ms = d?.[1] !== undefined ? Number(d[1]) : Number(d?.[2]) * 1000;
      expect(ms).toBeGreaterThanOrEqual(600);
      expect(ms).toBeLessThan(2000);
    }
    expect(messages).toContain('Advance podinfo.test canary weight 10');
    expect(messages).not.toContain('Advance podinfo.test canary weight 20');
    expect(messages).toContain('Rolling back podinfo.test failed checks threshold reached 5');
    expect(messages).toContain('Canary failed! Scaling down podinfo.test');
    expect(canaryIngressWeight(bed)).toBe('0');
    expect(image(get(bed, DEPLOYMENTS, 'test', 'podinfo-primary'))).toBe(
      'ghcr.io/stefanprodan/podinfo:6.0.0',
    );
  });

  it('holds a release at a closed confirm-rollout gate until the loadtester opens it', async () => {
    editCanary(bed, 'test', 'podinfo', (spec) => {
      spec.analysis.webhooks.unshift({
        name: 'ask-rollout',
        type: 'confirm-rollout',
        url: GATE_URL,
      });
    });
    const log = mark(bed, C);
    release(bed, '6.0.2');
    await waitPhase(bed, KEY, 'Waiting');
    await waitMessage(
      bed,
      log.since,
      'Halt podinfo.test advancement waiting for approval ask-rollout',
    );
    // Still waiting a few ticks later: nothing started, the target stays scaled down.
    await new Promise((r) => setTimeout(r, 1500));
    expect(bed.canary(KEY)?.phase).toBe('Waiting');
    expect(log.since()).not.toContain('New revision detected! Scaling up podinfo.test');
    expect(
      log
        .since()
        .filter((m) => m === 'Halt podinfo.test advancement waiting for approval ask-rollout'),
    ).toHaveLength(1);

    await gate(bed, 'open');
    await waitPhase(bed, KEY, 'Progressing');
    await waitPhase(bed, KEY, 'Succeeded');
    const messages = log.since();
    const opened = messages.indexOf('Confirm-rollout check ask-rollout passed');
    expect(opened).toBeGreaterThan(0);
    expect(messages.slice(opened)).toEqual(
      expect.arrayContaining([
        'New revision detected! Scaling up podinfo.test',
        'Starting canary analysis for podinfo.test',
        'Advance podinfo.test canary weight 50',
        'Promotion completed! Scaling down podinfo.test',
      ]),
    );
    expect(messages.indexOf('New revision detected! Scaling up podinfo.test')).toBeGreaterThan(
      opened,
    );
    await gate(bed, 'close');
    editCanary(bed, 'test', 'podinfo', (spec) => {
      spec.analysis.webhooks = spec.analysis.webhooks.filter((h) => h.name !== 'ask-rollout');
    });
  });

  it('waits for promotion approval at max weight (WaitingPromotion), then promotes', async () => {
    editCanary(bed, 'test', 'podinfo', (spec) => {
      spec.analysis.webhooks.push({
        name: 'ask-promotion',
        type: 'confirm-promotion',
        url: GATE_URL,
      });
    });
    const log = mark(bed, C);
    release(bed, '6.0.3');
    await waitPhase(bed, KEY, 'WaitingPromotion');
    await waitMessage(
      bed,
      log.since,
      'Halt podinfo.test advancement waiting for promotion approval ask-promotion',
    );
    expect(log.since()).toContain('Advance podinfo.test canary weight 50');
    // WaitingPromotion zeroes the status weight; the routes keep the canary at max weight.
    expect(bed.canary(KEY)?.canaryWeight).toBe(0);
    expect(canaryIngressWeight(bed)).toBe('50');
    await new Promise((r) => setTimeout(r, 1000));
    expect(bed.canary(KEY)?.phase).toBe('WaitingPromotion');
    expect(log.since()).not.toContain('Copying podinfo.test template spec to podinfo-primary.test');

    await gate(bed, 'open');
    await waitPhase(bed, KEY, 'Succeeded');
    const messages = log.since();
    const passed = messages.indexOf('Confirm-promotion check ask-promotion passed');
    expect(passed).toBeGreaterThan(0);
    const after = messages.slice(passed);
    expect(
      after.indexOf('Copying podinfo.test template spec to podinfo-primary.test'),
    ).toBeLessThan(after.indexOf('Routing all traffic to primary'));
    expect(after).toContain('Promotion completed! Scaling down podinfo.test');
    expect(image(get(bed, DEPLOYMENTS, 'test', 'podinfo-primary'))).toBe(
      'ghcr.io/stefanprodan/podinfo:6.0.3',
    );
    await gate(bed, 'close');
    editCanary(bed, 'test', 'podinfo', (spec) => {
      spec.analysis.webhooks = spec.analysis.webhooks.filter((h) => h.name !== 'ask-promotion');
    });
  });

  it('counts failed pre-rollout checks and rolls back at the threshold', async () => {
    editCanary(bed, 'test', 'podinfo', (spec) => {
      spec.analysis.threshold = 3;
      const hook = spec.analysis.webhooks.find((h) => h.name === 'acceptance-test');
      if (hook) hook.url = 'http://flagger-loadtester.test/gate/halt';
    });
    const log = mark(bed, C);
    const failedChecks = new Set<number>();
    release(bed, '6.0.4');
    await until(() => {
      const c = bed.canary(KEY);
      if (c?.phase === 'Progressing') failedChecks.add(c.failedChecks);
      return c?.phase === 'Failed';
    }, 'podinfo Failed');
    const messages = log.since();
    const halts = messages.filter(
      (m) =>
        m === 'Halt podinfo.test advancement pre-rollout check acceptance-test failed Forbidden',
    );
    // One halt per failed check; a status write lost to a conflict under load costs one more.
    expect(halts.length).toBeGreaterThanOrEqual(3);
    expect(halts.length).toBeLessThanOrEqual(4);
    expect(messages.filter((m) => m === 'Starting canary analysis for podinfo.test')).toHaveLength(
      halts.length,
    );
    expect([...failedChecks].sort()).toEqual(expect.arrayContaining([1, 2]));
    expect(messages).toContain('Rolling back podinfo.test failed checks threshold reached 3');
    expect(messages).toContain('Canary failed! Scaling down podinfo.test');
    expect(messages.some((m) => m.startsWith('Advance '))).toBe(false);
    editCanary(bed, 'test', 'podinfo', (spec) => {
      spec.analysis.threshold = 5;
      const hook = spec.analysis.webhooks.find((h) => h.name === 'acceptance-test');
      if (hook) hook.url = 'http://flagger-loadtester.test/';
    });
  });

  it('promotes at once with skipAnalysis', async () => {
    editCanary(bed, 'test', 'podinfo', (spec) => {
      spec.skipAnalysis = true;
    });
    const log = mark(bed, C);
    release(bed, '6.0.5');
    await waitPhase(bed, KEY, 'Succeeded');
    const messages = log.since();
    expect(messages).toEqual(
      expect.arrayContaining([
        'New revision detected! Scaling up podinfo.test',
        'Copying podinfo.test template spec to podinfo-primary.test',
        'Promotion completed! Canary analysis was skipped for podinfo.test',
      ]),
    );
    expect(messages).not.toContain('Starting canary analysis for podinfo.test');
    expect(messages.some((m) => m.startsWith('Advance '))).toBe(false);
    expect(image(get(bed, DEPLOYMENTS, 'test', 'podinfo-primary'))).toBe(
      'ghcr.io/stefanprodan/podinfo:6.0.5',
    );
  });

  it('analyses a change of a ConfigMap the template uses (envFrom) as a new revision', async () => {
    const store = staging(bed).api.store;
    store.create(CONFIGMAPS, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'podinfo-config', namespace: 'test' },
      data: { PODINFO_UI_MESSAGE: 'hello one' },
    });
    // Referencing the ConfigMap is itself a new revision: promoted without analysis (skipAnalysis).
    let log = mark(bed, C);
    editDeployment(bed, 'test', 'podinfo', (d) => {
      const container = d.spec.template.spec.containers[0];
      if (container) container.envFrom = [{ configMapRef: { name: 'podinfo-config' } }];
    });
    await waitMessage(
      bed,
      log.since,
      'Promotion completed! Canary analysis was skipped for podinfo.test',
    );
    await waitPhase(bed, KEY, 'Succeeded');
    editCanary(bed, 'test', 'podinfo', (spec) => {
      spec.skipAnalysis = false;
    });
    const primary = get(bed, DEPLOYMENTS, 'test', 'podinfo-primary') as unknown as DeploymentDraft;
    expect(primary.spec.template.spec.containers[0]?.envFrom).toEqual([
      { configMapRef: { name: 'podinfo-config-primary' } },
    ]);
    expect(get(bed, CONFIGMAPS, 'test', 'podinfo-config-primary')?.data).toEqual({
      PODINFO_UI_MESSAGE: 'hello one',
    });
    const tracked = () =>
      (
        get(bed, { group: 'flagger.app', resource: 'canaries' }, 'test', 'podinfo')?.status as {
          trackedConfigs?: Record<string, string>;
        }
      ).trackedConfigs?.['configmap/podinfo-config'];
    const before = tracked();
    expect(before).toMatch(/^[0-9a-f]{16}$/);

    // Now only the ConfigMap changes: the Deployment template is the promoted one.
    log = mark(bed, C);
    store.mutate(CONFIGMAPS, 'test', 'podinfo-config', (cm) => {
      cm.data = { PODINFO_UI_MESSAGE: 'hello two' };
    });
    await waitPhase(bed, KEY, 'Progressing');
    await waitPhase(bed, KEY, 'Succeeded');
    const messages = log.since();
    expect(messages).toEqual(
      expect.arrayContaining([
        'New revision detected! Scaling up podinfo.test',
        'Starting canary analysis for podinfo.test',
        'Pre-rollout check acceptance-test passed',
        'Advance podinfo.test canary weight 10',
        'Advance podinfo.test canary weight 50',
        'Copying podinfo.test template spec to podinfo-primary.test',
        'Promotion completed! Scaling down podinfo.test',
      ]),
    );
    expect(get(bed, CONFIGMAPS, 'test', 'podinfo-config-primary')?.data).toEqual({
      PODINFO_UI_MESSAGE: 'hello two',
    });
    expect(tracked()).not.toBe(before);
  });

  it('rolls back a release that never gets ready when its progress deadline passes', async () => {
    const promoted = image(get(bed, DEPLOYMENTS, 'test', 'podinfo-primary'));
    const log = mark(bed, C);
    release(bed, '6.0.6', { 'playground.aviary.dev/ready': 'false' });
    await waitPhase(bed, KEY, 'Failed', 40_000);
    const messages = log.since();
    // Flagger (scheduler.go, IsCanaryReady): the readiness error as a warning, retried while
    // retriable; once the deadline passed it is not, and rollback() follows at once. The
    // "Rolling back ... progress deadline exceeded" text is only on the skipAnalysis path.
    expect(messages).toContain('New revision detected! Scaling up podinfo.test');
    expect(messages).toContain(
      'canary deployment podinfo.test not ready: waiting for rollout to finish: 0 of 2 (readyThreshold 100%) updated replicas are available',
    );
    // The non-retriable one: the Progressing condition's ProgressDeadlineExceeded, or an Available
    // condition (MinimumReplicasUnavailable) older than progressDeadlineSeconds.
    const failed = messages.indexOf('Canary failed! Scaling down podinfo.test');
    expect(failed).toBeGreaterThan(1);
    expect(messages[failed - 1]).toMatch(
      /^canary deployment podinfo\.test not ready: (deployment "podinfo" exceeded its progress deadline|waiting for rollout to finish: 0 of 2 \(readyThreshold 100%\) updated replicas are available)$/,
    );
    expect(messages.some((m) => m.startsWith('Rolling back'))).toBe(false);
    expect(messages).not.toContain('Starting canary analysis for podinfo.test');
    expect(image(get(bed, DEPLOYMENTS, 'test', 'podinfo-primary'))).toBe(promoted);
    expect(get(bed, DEPLOYMENTS, 'test', 'podinfo')?.spec).toMatchObject({ replicas: 0 });
  });
});
