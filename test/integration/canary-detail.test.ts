/**
 * The canary detail through the API contract against the playground: YAML, events,
 * generated objects, allowed actions with RBAC answered by SelfSubjectAccessReview, the
 * loadtester gate opened from Aviary, and an action's effect on the series at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngineBed, type EngineBed } from './engine-playground.helpers';
import { editCanary, mark, release, staging, until, waitPhase } from './engine-scenarios.helpers';

let bed: EngineBed;
const KEY = 'playground-staging/test/podinfo';
const WEB = 'playground-staging/frontend/web';
const C = 'podinfo.test';

beforeAll(async () => {
  bed = await startEngineBed();
  await waitPhase(bed, KEY, 'Initialized');
  await waitPhase(bed, WEB, 'Initialized');
});

afterAll(async () => {
  await bed?.stop();
});

const detail = (key: string) => bed.service.handlers['canaries.detail']({ key });

describe('canaries.detail', () => {
  it('shows the YAML, the events, the generated objects and what may be done', async () => {
    const d = await detail(KEY);
    expect(d.yaml).toMatch(/^apiVersion: flagger.app\/v1beta1\nkind: Canary\n/);
    expect(d.yaml).not.toContain('managedFields');
    expect(d.summary.phase).toBe('Initialized');
    expect(d.control.mode).toBe('controlling');
    expect(d.events.map((e) => e.message)).toContain('Initialization done! podinfo.test');
    expect(d.events[0]).toMatchObject({ type: 'Normal', reason: 'Synced' });
    expect(d.objects.map((o) => `${o.kind}/${o.name}:${o.exists}`)).toEqual([
      'Deployment/podinfo-primary:true',
      'Service/podinfo:true',
      'Service/podinfo-primary:true',
      'Service/podinfo-canary:true',
      'Ingress/podinfo-canary:true',
      'HorizontalPodAutoscaler/podinfo-primary:true',
    ]);
    expect(d.objects[0]?.status).toMatch(/^2\/2 ready · podinfo:6\.0\.0$/);
    expect(d.revision.lastAppliedSpec).toMatch(/\w+/);
    expect(d.checks).toEqual([
      { name: 'request-success-rate', min: 99, interval: '1m' },
      { name: 'request-duration', max: 500, interval: '1m' },
    ]);
    expect(d.actions.promote).toEqual({
      allowed: false,
      reason:
        'cannot promote podinfo.test in phase Initialized: only while Progressing or WaitingPromotion',
    });
    expect(d.actions.pause).toEqual({ allowed: true });
    expect(d.actions.release).toEqual({ allowed: true });
    expect(d.actions.openGate.allowed).toBe(false);

    const yaml = await bed.service.handlers['canaries.object']({
      key: KEY,
      kind: 'Ingress',
      name: 'podinfo-canary',
    });
    expect(yaml.yaml).toContain('nginx.ingress.kubernetes.io/canary: "true"');
    // Only the canary's own generated objects can be read this way.
    await expect(
      bed.service.handlers['canaries.object']({ key: KEY, kind: 'Secret', name: 'podinfo' }),
    ).rejects.toThrow('Secret podinfo is not generated for');
  });

  it('RBAC: a denied write disables its action with the reason', async () => {
    staging(bed).api.faults.denyAccess([{ verb: 'patch', resource: 'canaries' }]);
    try {
      const d = await detail(WEB);
      expect(d.actions.pause).toEqual({
        allowed: false,
        reason:
          'RBAC denies patch canaries.flagger.app in frontend (denied by the playground (test RBAC))',
      });
      expect(d.actions.release.allowed).toBe(true);
    } finally {
      staging(bed).api.faults.denyAccess([]);
    }
  });

  it('opens the loadtester gate of a halted canary, which then promotes promptly', async () => {
    editCanary(bed, 'test', 'podinfo', (spec) => {
      spec.analysis.webhooks.push({
        name: 'ask-before-promotion',
        type: 'confirm-promotion',
        url: 'http://flagger-loadtester.test/gate/check',
      });
    });
    const log = mark(bed, C);
    release(bed, '6.0.1');
    await until(
      () =>
        log
          .since()
          .includes(
            'Halt podinfo.test advancement waiting for promotion approval ask-before-promotion',
          ),
      'the promotion gate halt',
      40_000,
    );
    const d = await detail(KEY);
    expect(d.gates).toEqual([
      {
        name: 'ask-before-promotion',
        type: 'confirm-promotion',
        url: 'http://flagger-loadtester.test/gate/check',
        operable: true,
      },
    ]);
    expect(d.actions.openGate).toEqual({ allowed: true });
    await bed.service.handlers['canaries.action']({ key: KEY, action: 'openGate' });
    expect(log.since()).toContain(
      'Gate of podinfo.test opened at http://flagger-loadtester.test/gate/open',
    );
    await waitPhase(bed, KEY, 'Succeeded', 30_000);
    await bed.service.handlers['canaries.action']({ key: KEY, action: 'closeGate' });
    expect(log.since()).toContain(
      'Gate of podinfo.test closed at http://flagger-loadtester.test/gate/close',
    );
  });

  it('a rollback shows on the series and in the log at once', async () => {
    editCanary(bed, 'test', 'podinfo', (spec) => {
      spec.analysis.webhooks = spec.analysis.webhooks.filter((h) => h.type !== 'confirm-promotion');
    });
    release(bed, '6.0.2');
    await until(
      () => bed.canary(KEY)?.phase === 'Progressing' && (bed.canary(KEY)?.canaryWeight ?? 0) >= 10,
      'podinfo progressing',
    );
    const log = mark(bed, C);
    const before = bed.service.fleet.series(KEY).length;
    const started = Date.now();
    await bed.service.handlers['canaries.action']({ key: KEY, action: 'rollback' });
    const points = bed.service.fleet.series(KEY).slice(before);
    expect(points.some((p) => p.marker === 'rollback' && p.canaryWeight === 0)).toBe(true);
    await until(
      () => log.since().includes('Canary failed! Scaling down podinfo.test'),
      'Canary failed!',
      1000,
    );
    expect(Date.now() - started).toBeLessThan(1500);
  });
});
