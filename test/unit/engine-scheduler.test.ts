import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock';
import { advanceCanary, type TickObservation } from '../../src/core/controller/scheduler';
import { CanaryEngine, type EngineLogRecord } from '../../src/core/controller/engine';
import { texts } from '../../src/core/canary';
import { FakeCluster, Killed, gate, notReady, podinfoCanary } from './engine-scheduler-fakes';

const ref = { name: 'podinfo', namespace: 'test' };

function setup(analysis: Record<string, unknown> = {}, spec: Record<string, unknown> = {}) {
  const cluster = new FakeCluster();
  const clock = new ManualClock();
  cluster.kube.put(podinfoCanary(analysis, spec));
  const ports = cluster.ports();
  const tick = async (): Promise<TickObservation> => {
    await clock.advance(60_000);
    return advanceCanary(ports, ref, { clock });
  };
  /** Ticks until the phase is reached (at most n ticks); returns the observations. */
  const until = async (phase: string, n = 30): Promise<TickObservation[]> => {
    const seen: TickObservation[] = [];
    for (let i = 0; i < n; i++) {
      seen.push(await tick());
      if (cluster.status().phase === phase) return seen;
    }
    throw new Error(`phase ${phase} not reached: ${String(cluster.status().phase)}`);
  };
  /** Initializes the canary, then publishes a new revision of the target. */
  const newRevision = async () => {
    await until('Initialized');
    cluster.events = [];
    cluster.workload.target = 'rev-2';
  };
  return { cluster, clock, ports, tick, until, newRevision };
}

describe('advanceCanary: progressive canary', () => {
  it('runs a successful rollout with Flagger’s events and statuses', async () => {
    const { cluster, tick } = setup();
    const first = await tick();
    expect(cluster.messages()).toEqual([
      'all the metrics providers are available!',
      'Initialization done! podinfo.test',
    ]);
    expect(first.phase).toBe('Initialized');
    expect(cluster.status()).toMatchObject({
      phase: 'Initialized',
      lastAppliedSpec: 'rev-1',
      lastPromotedSpec: 'rev-1',
      conditions: [{ type: 'Promoted', status: 'True', reason: 'Initialized' }],
    });
    expect(cluster.workload.canaryReplicas).toBe(0);
    expect(cluster.alerts[0]).toEqual({
      message: 'New Deployment detected, initialization completed.',
      metadata: true,
      severity: 'info',
    });

    // Idle: no writes, a single GET of the Canary from the scheduler itself.
    const writes = cluster.kube.statusWrites;
    const reads = cluster.kube.reads;
    await tick();
    expect(cluster.kube.statusWrites).toBe(writes);
    expect(cluster.kube.reads - reads).toBe(1);

    cluster.events = [];
    cluster.workload.target = 'rev-2';
    await tick();
    expect(cluster.status()).toMatchObject({
      phase: 'Progressing',
      canaryWeight: 0,
      lastAppliedSpec: 'rev-2',
    });
    expect(cluster.workload.canaryReplicas).toBe(1);
    const weights: number[] = [];
    for (let i = 0; i < 3; i++) {
      await tick();
      weights.push(cluster.status().canaryWeight as number);
    }
    expect(weights).toEqual([10, 20, 30]);
    await tick();
    expect(cluster.status()).toMatchObject({ phase: 'Promoting' });
    expect(cluster.workload.primary).toBe('rev-2');
    await tick();
    expect(cluster.status()).toMatchObject({ phase: 'Finalising', canaryWeight: 0 });
    expect(cluster.routes).toEqual({ primaryWeight: 100, canaryWeight: 0, mirrored: false });
    const last = await tick();
    expect(last.phase).toBe('Succeeded');
    expect(cluster.status()).toMatchObject({
      phase: 'Succeeded',
      lastPromotedSpec: 'rev-2',
      conditions: [{ type: 'Promoted', status: 'True', reason: 'Succeeded' }],
    });
    expect(cluster.workload.canaryReplicas).toBe(0);
    expect(cluster.messages()).toEqual([
      'New revision detected! Scaling up podinfo.test',
      'Starting canary analysis for podinfo.test',
      'Advance podinfo.test canary weight 10',
      'Advance podinfo.test canary weight 20',
      'Advance podinfo.test canary weight 30',
      'Copying podinfo.test template spec to podinfo-primary.test',
      'Routing all traffic to primary',
      'Promotion completed! Scaling down podinfo.test',
    ]);
    expect(cluster.routeHistory.map((r) => r.canaryWeight)).toEqual([10, 20, 30, 0]);
    expect(cluster.alerts.map((a) => a.message)).toContain(
      'Canary analysis completed successfully, promotion finished.',
    );
    // The Succeeded event carries the Succeeded phase (event webhooks read it).
    expect(cluster.events.at(-1)?.phase).toBe('Succeeded');
  });

  it('rolls back when the failed checks reach the threshold', async () => {
    const { cluster, tick, newRevision } = setup({ threshold: 5 });
    await newRevision();
    await tick(); // Progressing
    await tick(); // weight 10
    cluster.analysis = () => ({
      passed: false,
      samples: [
        {
          metric: 'request-success-rate',
          value: 98,
          min: 99,
          passed: false,
          message: 'Halt podinfo.test advancement success rate 98.00% < 99%',
        },
      ],
    });
    const halts: (string | undefined)[] = [];
    for (let i = 0; i < 5; i++) halts.push((await tick()).halted);
    expect(cluster.status()).toMatchObject({ phase: 'Progressing', failedChecks: 5 });
    expect(halts[0]).toBe('Halt podinfo.test advancement success rate 98.00% < 99%');
    cluster.events = [];
    const obs = await tick();
    expect(cluster.messages()).toEqual([
      'Rolling back podinfo.test failed checks threshold reached 5',
      'Canary failed! Scaling down podinfo.test',
    ]);
    expect(cluster.events[1]).toMatchObject({ type: 'warning', phase: 'Failed' });
    expect(obs.phase).toBe('Failed');
    expect(cluster.status()).toMatchObject({
      phase: 'Failed',
      canaryWeight: 0,
      failedChecks: 0,
      conditions: [
        {
          type: 'Promoted',
          status: 'False',
          message: 'Canary analysis failed, Deployment scaled to zero.',
        },
      ],
    });
    expect(cluster.routes).toEqual({ primaryWeight: 100, canaryWeight: 0, mirrored: false });
    expect(cluster.workload.canaryReplicas).toBe(0);
    expect(cluster.alerts.at(-1)).toEqual({
      message: 'Failed checks threshold reached 5',
      metadata: false,
      severity: 'error',
    });
    // The same bad revision is not analysed again.
    cluster.events = [];
    await tick();
    await tick();
    expect(cluster.messages()).toEqual([]);
    expect(cluster.status().phase).toBe('Failed');
  });

  it('holds at the confirm-rollout gate, then goes on once it opens', async () => {
    let open = false;
    const { cluster, tick, newRevision } = setup({
      webhooks: [{ name: 'approve', type: 'confirm-rollout', url: 'http://lt.test/gate/check' }],
    });
    cluster.hooks.set(
      'approve',
      gate(() => open),
    );
    await newRevision();
    const held = await tick();
    expect(cluster.messages()).toEqual([
      'Halt podinfo.test advancement waiting for approval approve',
    ]);
    expect(held.halted).toBe('Halt podinfo.test advancement waiting for approval approve');
    expect(cluster.status()).toMatchObject({ phase: 'Waiting' });
    expect(cluster.alerts.at(-1)).toMatchObject({
      message: 'Canary is waiting for approval.',
      severity: 'warn',
    });
    const still = await tick();
    expect(still.halted).toBe('Halt podinfo.test advancement waiting for approval approve');
    expect(cluster.messages()).toHaveLength(1);
    open = true;
    await tick();
    expect(cluster.messages().slice(1)).toEqual([
      'Confirm-rollout check approve passed',
      'New revision detected! Scaling up podinfo.test',
    ]);
    expect(cluster.status().phase).toBe('Progressing');
    // The payload phase is the canary's phase at the time.
    expect(cluster.hookCalls.map((c) => c.phase)).toEqual(['Initialized', 'Waiting', 'Waiting']);
  });

  it('waits for confirm-promotion in WaitingPromotion', async () => {
    let open = false;
    const { cluster, tick, newRevision } = setup({
      webhooks: [{ name: 'promote', type: 'confirm-promotion', url: 'http://lt.test/gate/check' }],
    });
    cluster.hooks.set(
      'promote',
      gate(() => open),
    );
    await newRevision();
    for (let i = 0; i < 4; i++) await tick();
    expect(cluster.status()).toMatchObject({ phase: 'Progressing', canaryWeight: 30 });
    await tick();
    expect(cluster.messages().at(-1)).toBe(
      'Halt podinfo.test advancement waiting for promotion approval promote',
    );
    // setStatusPhase(WaitingPromotion): weight 0, iterations = analysis.iterations - 1; routes stay.
    expect(cluster.status()).toMatchObject({
      phase: 'WaitingPromotion',
      canaryWeight: 0,
      iterations: -1,
    });
    expect(cluster.routes.canaryWeight).toBe(30);
    await tick();
    expect(cluster.status().phase).toBe('WaitingPromotion');
    open = true;
    await tick();
    expect(cluster.messages().slice(-2)).toEqual([
      'Confirm-promotion check promote passed',
      'Copying podinfo.test template spec to podinfo-primary.test',
    ]);
    expect(cluster.status().phase).toBe('Promoting');
    expect(cluster.hookCalls.every((c) => c.phase === 'Progressing')).toBe(true);
  });

  it('halts on a failing pre-rollout hook and rolls back at the threshold', async () => {
    const { cluster, tick, newRevision } = setup({
      webhooks: [{ name: 'smoke', type: 'pre-rollout', url: 'http://lt.test/' }],
    });
    cluster.hooks.set('smoke', () => {
      throw new Error('exit status 1');
    });
    await newRevision();
    await tick();
    await tick();
    await tick();
    expect(cluster.messages()).toEqual([
      'New revision detected! Scaling up podinfo.test',
      'Starting canary analysis for podinfo.test',
      'Halt podinfo.test advancement pre-rollout check smoke failed exit status 1',
      'Starting canary analysis for podinfo.test',
      'Halt podinfo.test advancement pre-rollout check smoke failed exit status 1',
    ]);
    expect(cluster.status()).toMatchObject({
      phase: 'Progressing',
      failedChecks: 2,
      canaryWeight: 0,
    });
    await tick();
    expect(cluster.messages().slice(-2)).toEqual([
      'Rolling back podinfo.test failed checks threshold reached 2',
      'Canary failed! Scaling down podinfo.test',
    ]);
  });

  it('restarts the analysis when the revision changes mid-analysis', async () => {
    const { cluster, tick, newRevision } = setup();
    await newRevision();
    await tick();
    await tick();
    await tick();
    expect(cluster.status().canaryWeight).toBe(20);
    cluster.workload.target = 'rev-3';
    cluster.events = [];
    await tick();
    expect(cluster.messages()).toEqual([
      'New revision detected! Restarting analysis for podinfo.test',
    ]);
    expect(cluster.routes).toEqual({ primaryWeight: 100, canaryWeight: 0, mirrored: false });
    expect(cluster.status()).toMatchObject({
      phase: 'Progressing',
      canaryWeight: 0,
      lastAppliedSpec: 'rev-3',
    });
    await tick();
    expect(cluster.messages().slice(1)).toEqual([
      'Starting canary analysis for podinfo.test',
      'Advance podinfo.test canary weight 10',
    ]);
  });

  it('follows stepWeights', async () => {
    const { cluster, until, newRevision } = setup({
      stepWeight: undefined,
      maxWeight: undefined,
      stepWeights: [5, 25, 50],
    });
    await newRevision();
    await until('Succeeded');
    expect(cluster.messages().filter((m) => m.startsWith('Advance'))).toEqual([
      'Advance podinfo.test canary weight 5',
      'Advance podinfo.test canary weight 25',
      'Advance podinfo.test canary weight 50',
    ]);
  });

  it('shifts traffic back in steps with stepWeightPromotion', async () => {
    const { cluster, until, newRevision } = setup({ stepWeightPromotion: 20 });
    await newRevision();
    await until('Succeeded');
    expect(cluster.messages().slice(-5)).toEqual([
      'Advance podinfo.test canary weight 30',
      'Copying podinfo.test template spec to podinfo-primary.test',
      'Advance podinfo.test primary weight 90',
      'Advance podinfo.test primary weight 100',
      'Promotion completed! Scaling down podinfo.test',
    ]);
    expect(cluster.routeHistory.slice(-2)).toEqual([
      { primaryWeight: 90, canaryWeight: 10, mirrored: false },
      { primaryWeight: 100, canaryWeight: 0, mirrored: false },
    ]);
  });

  it('promotes at once with skipAnalysis', async () => {
    const { cluster, tick, newRevision } = setup({}, { skipAnalysis: true });
    await newRevision();
    await tick();
    await tick();
    expect(cluster.messages()).toEqual([
      'New revision detected! Scaling up podinfo.test',
      'Copying podinfo.test template spec to podinfo-primary.test',
      'Promotion completed! Canary analysis was skipped for podinfo.test',
    ]);
    expect(cluster.status()).toMatchObject({ phase: 'Succeeded', lastPromotedSpec: 'rev-2' });
    expect(cluster.workload.primary).toBe('rev-2');
    expect(cluster.workload.calls).not.toContain('isPrimaryReady');
    expect(cluster.alerts.at(-1)?.message).toBe('Canary analysis was skipped, promotion finished.');
  });

  it('rolls back when the canary misses its progress deadline', async () => {
    const { cluster, tick, newRevision } = setup();
    await newRevision();
    await tick();
    const text =
      'canary deployment podinfo.test not ready: deployment "podinfo" exceeded its progress deadline';
    cluster.workload.canaryReady = notReady(text, false);
    await tick();
    expect(cluster.messages().slice(1)).toEqual([text, 'Canary failed! Scaling down podinfo.test']);
    expect(cluster.status().phase).toBe('Failed');
  });

  it('keeps traffic on the canary when the primary fails during promotion', async () => {
    const { cluster, tick, until, newRevision } = setup();
    await newRevision();
    await until('Promoting');
    cluster.workload.primaryReady = notReady('primary gone', false);
    await tick();
    expect(cluster.messages().slice(-2)).toEqual([
      'primary gone',
      'Promotion of podinfo.test failed, primary not ready: primary gone',
    ]);
    expect(cluster.routes).toEqual({ primaryWeight: 0, canaryWeight: 100, mirrored: false });
    expect(cluster.status()).toMatchObject({ phase: 'Failed', canaryWeight: 100 });
  });

  it('rolls back when a rollback hook signals it', async () => {
    const { cluster, tick, newRevision } = setup({
      webhooks: [{ name: 'rb', type: 'rollback', url: 'http://lt.test/rollback/check' }],
    });
    let rollback = false;
    cluster.hooks.set(
      'rb',
      gate(() => rollback),
    );
    await newRevision();
    await tick();
    await tick();
    expect(cluster.messages().at(-1)).toBe('Advance podinfo.test canary weight 10');
    expect(cluster.messages()).toContain('Rollback hook rb not signaling a rollback');
    rollback = true;
    await tick();
    expect(cluster.messages().slice(-3)).toEqual([
      'Rollback check rb passed',
      'Rolling back podinfo.test manual webhook invoked',
      'Canary failed! Scaling down podinfo.test',
    ]);
  });

  it('skips the run while suspended', async () => {
    const { cluster, tick } = setup({}, { suspend: true });
    await tick();
    expect(cluster.messages()).toEqual(['skipping canary run as object is suspended']);
    expect(cluster.workload.calls).toEqual([]);
  });

  it('adds the finalizer with revertOnDeletion and finalizes on delete', async () => {
    const { cluster, tick } = setup({}, { revertOnDeletion: true });
    await tick();
    expect(cluster.kube.canary().metadata.finalizers).toEqual(['finalizer.flagger.app']);
    expect(cluster.status().phase).toBe('Initialized');
    cluster.events = [];
    const c = cluster.kube.canary();
    cluster.kube.put({
      ...c,
      metadata: { ...c.metadata, deletionTimestamp: '2026-01-01T01:00:00Z' },
    });
    await tick();
    expect(cluster.messages()).toEqual([
      'Terminating canary podinfo.test',
      'Terminated canary podinfo.test',
    ]);
    expect(cluster.workload.calls).toContain('finalize');
    expect(cluster.kube.canary().metadata.finalizers).toBeUndefined();
    expect(cluster.status().phase).toBe('Terminating');
  });

  it('re-applies a status write once on a Conflict', async () => {
    const { cluster, tick, newRevision } = setup();
    await newRevision();
    cluster.kube.conflicts = 1;
    await tick();
    expect(cluster.status()).toMatchObject({ phase: 'Progressing', lastAppliedSpec: 'rev-2' });
  });
});

describe('advanceCanary: A/B, blue/green, kubernetes', () => {
  it('runs A/B iterations with all matched traffic on the canary', async () => {
    const { cluster, until, newRevision } = setup({
      stepWeight: undefined,
      maxWeight: undefined,
      iterations: 3,
      match: [{ headers: { 'x-canary': { exact: 'insider' } } }],
    });
    await newRevision();
    await until('Succeeded');
    expect(cluster.messages()).toEqual([
      'New revision detected! Scaling up podinfo.test',
      'Starting canary analysis for podinfo.test',
      'Advance podinfo.test canary iteration 1/3',
      'Advance podinfo.test canary iteration 2/3',
      'Advance podinfo.test canary iteration 3/3',
      'Copying podinfo.test template spec to podinfo-primary.test',
      'Routing all traffic to primary',
      'Promotion completed! Scaling down podinfo.test',
    ]);
    expect(cluster.routeHistory[0]).toEqual({
      primaryWeight: 0,
      canaryWeight: 100,
      mirrored: false,
    });
  });

  it('runs blue/green with the extra tick that routes all traffic to the canary', async () => {
    const { cluster, tick, newRevision } = setup({
      stepWeight: undefined,
      maxWeight: undefined,
      iterations: 2,
    });
    await newRevision();
    for (let i = 0; i < 4; i++) await tick();
    expect(cluster.status()).toMatchObject({ phase: 'Progressing', iterations: 3 });
    expect(cluster.routes).toEqual({ primaryWeight: 0, canaryWeight: 100, mirrored: false });
    await tick();
    expect(cluster.status().phase).toBe('Promoting');
    await tick();
    await tick();
    expect(cluster.status().phase).toBe('Succeeded');
    expect(cluster.messages()).toEqual([
      'New revision detected! Scaling up podinfo.test',
      'Starting canary analysis for podinfo.test',
      'Advance podinfo.test canary iteration 1/2',
      'Advance podinfo.test canary iteration 2/2',
      'Routing all traffic to canary',
      'Copying podinfo.test template spec to podinfo-primary.test',
      'Routing all traffic to primary',
      'Promotion completed! Scaling down podinfo.test',
    ]);
  });

  it('forces blue/green with 10 iterations for the kubernetes provider', async () => {
    const { cluster, until, newRevision } = setup({}, { provider: 'kubernetes' });
    await newRevision();
    await until('Succeeded', 40);
    const m = cluster.messages();
    expect(m.slice(0, 5)).toEqual([
      'New revision detected! Scaling up podinfo.test',
      'Starting canary analysis for podinfo.test',
      'Progressive traffic is not supported when using the kubernetes provider',
      'Setting canaryAnalysis.iterations: 10',
      'Advance podinfo.test canary iteration 1/10',
    ]);
    expect(m).toContain('Advance podinfo.test canary iteration 10/10');
    expect(m).not.toContain('Routing all traffic to primary');
    expect(m).not.toContain('Routing all traffic to canary');
    expect(m.at(-1)).toBe('Promotion completed! Scaling down podinfo.test');
    // The spec is never written: iterations stay 0 in the cluster.
    expect(
      (cluster.kube.canary().spec as { analysis: { iterations?: number } }).analysis.iterations,
    ).toBeUndefined();
    expect(cluster.routeHistory).toEqual([]);
  });
});

describe('kill at any line', () => {
  /** Every write point of a clean rollout, then a crash at each one. */
  async function rollout(crashAt: number) {
    const { cluster, clock, ports } = setup();
    cluster.crash.at = crashAt;
    let published = false;
    let crashed = false;
    for (let i = 0; i < 40; i++) {
      await clock.advance(60_000);
      try {
        await advanceCanary(ports, ref, { clock });
      } catch (err) {
        if (!(err instanceof Killed)) throw err;
      }
      if (cluster.crash.dead) {
        crashed = true;
        // A fresh process: nothing survives but the cluster.
        cluster.crash.revive();
        continue;
      }
      const phase = cluster.status().phase;
      if (!published && phase === 'Initialized') {
        published = true;
        cluster.workload.target = 'rev-2';
      }
      if (published && phase === 'Succeeded') break;
    }
    return { cluster, crashed, writes: cluster.crash.writes };
  }

  it('finishes every rollout correctly whatever write the process died at', async () => {
    const clean = await rollout(Infinity);
    expect(clean.cluster.status().phase).toBe('Succeeded');
    const total = clean.writes;
    expect(total).toBeGreaterThan(10);
    for (let n = 1; n <= total; n++) {
      const { cluster, crashed } = await rollout(n);
      expect(crashed, `crash at write ${n}`).toBe(true);
      expect(cluster.status(), `crash at write ${n}`).toMatchObject({
        phase: 'Succeeded',
        lastPromotedSpec: 'rev-2',
      });
      expect(cluster.workload.primary).toBe('rev-2');
      expect(cluster.workload.canaryReplicas).toBe(0);
      expect(cluster.routes).toEqual({ primaryWeight: 100, canaryWeight: 0, mirrored: false });
      expect(
        cluster.messages().some((m) => m.includes('Rolling back') || m.includes('failed')),
      ).toBe(false);
      expect(Math.max(...cluster.routeHistory.map((r) => r.canaryWeight))).toBeLessThanOrEqual(30);
    }
  });
});

describe('CanaryEngine', () => {
  function engineSetup(options: { concurrency?: number } = {}) {
    const cluster = new FakeCluster();
    const clock = new ManualClock();
    const logs: EngineLogRecord[] = [];
    const ticks: string[] = [];
    const engine = new CanaryEngine({
      ports: cluster.ports(),
      clock,
      clusterName: 'kind-a',
      log: (r) => logs.push(r),
      jitter: () => 0,
      user: 'alice',
      concurrency: options.concurrency,
      onTick: (key) => ticks.push(key),
    });
    return { cluster, clock, logs, ticks, engine };
  }
  const settle = async (clock: ManualClock, ms = 0) => {
    await clock.advance(ms);
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  };

  it('writes the field errors of an invalid canary to its status while another proceeds', async () => {
    const { cluster, clock, logs, engine } = engineSetup();
    cluster.kube.put(podinfoCanary());
    cluster.kube.put(podinfoCanary({ stepWeight: 'ten' }, {}, 'broken'));
    engine.start();
    await settle(clock);
    expect(cluster.status('podinfo').phase).toBe('Initialized');
    const broken = cluster.status('broken');
    expect(broken.phase).toBeUndefined();
    expect(broken.conditions).toEqual([
      expect.objectContaining({
        type: 'Valid',
        status: 'False',
        reason: 'ValidationFailed',
        message: expect.stringContaining('spec.analysis.stepWeight'),
      }),
    ]);
    expect(logs.filter((l) => l.canary === 'broken.test' && l.level === 'error')).toHaveLength(1);
    // Fixing it clears the condition and schedules it.
    const fixed = cluster.kube.canary('broken');
    cluster.kube.put({ ...fixed, spec: podinfoCanary().spec });
    await settle(clock, 60_000);
    expect(cluster.status('broken')).toMatchObject({ phase: 'Initialized' });
    expect((cluster.status('broken').conditions as { type: string }[]).map((c) => c.type)).toEqual([
      'Promoted',
    ]);
    expect(logs.some((l) => l.message === texts.duplicateTarget('podinfo.test'))).toBe(true);
    engine.stop();
  });

  it('shares the worker pool fairly: a hung canary never holds up the others', async () => {
    const { cluster, clock, ticks, engine } = engineSetup({ concurrency: 2 });
    let release!: () => void;
    const hung = new Promise<void>((r) => (release = r));
    let slowCalls = 0;
    cluster.workload.delay = async (cd) => {
      if (cd.metadata.name === 'slow') {
        slowCalls++;
        await hung;
      }
    };
    for (const name of ['slow', 'b', 'c']) cluster.kube.put(podinfoCanary({}, {}, name));
    engine.start();
    for (let i = 0; i < 5; i++) {
      cluster.deployment(); // keeps b and c ticking in full (not quiet)
      await settle(clock, 60_000);
    }
    expect(ticks.filter((k) => k === 'b.test').length).toBeGreaterThanOrEqual(5);
    expect(ticks.filter((k) => k === 'c.test').length).toBeGreaterThanOrEqual(5);
    expect(slowCalls).toBe(1); // never overlapping itself
    release();
    await settle(clock);
    expect(slowCalls).toBe(2); // one pending tick, not one per missed interval
    engine.stop();
  });

  it('rolls back on request: 100 % primary before the call returns, then Failed', async () => {
    const { cluster, clock, logs, engine } = engineSetup();
    cluster.kube.put(podinfoCanary());
    engine.start();
    await settle(clock);
    cluster.deployment('rev-2');
    for (let i = 0; i < 3; i++) await settle(clock, 60_000);
    expect(cluster.routes.canaryWeight).toBe(20);
    const obs = await engine.rollback('podinfo.test', { user: 'bob' });
    expect(cluster.routes).toEqual({ primaryWeight: 100, canaryWeight: 0, mirrored: false });
    expect(obs.phase).toBe('Failed');
    expect(cluster.status().phase).toBe('Failed');
    expect(logs).toContainEqual(
      expect.objectContaining({ user: 'bob', message: 'bob requested rollback of podinfo.test' }),
    );
    expect(engine.series('podinfo.test').markers.map((m) => m.kind)).toContain('rollback');

    // retry: the same revision is analysed again.
    await engine.retry('podinfo.test');
    expect(cluster.status().phase).toBe('Waiting');
    cluster.events = [];
    await engine.tickNow('podinfo.test');
    expect(cluster.messages()).toEqual(['New revision detected! Scaling up podinfo.test']);
    await engine.tickNow('podinfo.test');
    expect(cluster.status()).toMatchObject({ phase: 'Progressing', canaryWeight: 10 });
    await expect(engine.retry('podinfo.test')).rejects.toThrow(/phase Progressing/);
    engine.stop();
  });

  it('promotes on request through confirm-promotion, or forced', async () => {
    const { cluster, clock, engine } = engineSetup();
    cluster.kube.put(
      podinfoCanary({
        webhooks: [{ name: 'gate', type: 'confirm-promotion', url: 'http://lt.test/gate' }],
      }),
    );
    cluster.hooks.set(
      'gate',
      gate(() => false),
    );
    engine.start();
    await settle(clock);
    cluster.deployment('rev-2');
    for (let i = 0; i < 3; i++) await settle(clock, 60_000);
    expect(cluster.status()).toMatchObject({ phase: 'Progressing', canaryWeight: 20 });
    await engine.promote('podinfo.test');
    expect(cluster.status().phase).toBe('WaitingPromotion');
    await engine.promote('podinfo.test', { force: true });
    expect(cluster.status().phase).toBe('Promoting');
    expect(cluster.workload.primary).toBe('rev-2');
    await engine.tickNow('podinfo.test');
    await engine.tickNow('podinfo.test');
    expect(cluster.status().phase).toBe('Succeeded');
    const series = engine.series('podinfo.test');
    expect(series.weights.length).toBeGreaterThan(3);
    expect(series.checks['request-success-rate']?.[0]).toMatchObject({ value: 99.5, min: 99 });
    engine.stop();
  });

  it('pauses and resumes through spec.suspend', async () => {
    const { cluster, clock, engine } = engineSetup();
    cluster.kube.put(podinfoCanary());
    engine.start();
    await settle(clock);
    await engine.pause('podinfo.test');
    expect((cluster.kube.canary().spec as { suspend?: boolean }).suspend).toBe(true);
    cluster.events = [];
    await settle(clock, 60_000);
    expect(cluster.messages()).toEqual(['skipping canary run as object is suspended']);
    await engine.resume('podinfo.test');
    expect((cluster.kube.canary().spec as { suspend?: boolean }).suspend).toBe(false);
    engine.stop();
  });

  /** Counts every call a tick could make: KubeApi reads and writes, workload calls. */
  const calls = (cluster: FakeCluster) =>
    cluster.kube.reads + cluster.kube.statusWrites + cluster.workload.calls.length;

  it('skips the scheduled ticks of a quiet canary with no API call until its target changes', async () => {
    const { cluster, clock, ticks, engine } = engineSetup();
    cluster.kube.put(podinfoCanary());
    cluster.deployment('rev-1');
    engine.start();
    await settle(clock);
    expect(cluster.status().phase).toBe('Initialized');
    // The status write of the initialization comes back through the watch: one more full tick.
    await settle(clock, 60_000);
    const before = calls(cluster);
    const ticked = ticks.length;
    for (let i = 0; i < 4; i++) await settle(clock, 60_000);
    expect(calls(cluster)).toBe(before);
    expect(ticks.length).toBe(ticked);
    expect(engine.quietStats().skipped).toBe(4);

    // A new revision of the target: the next scheduled tick runs in full and finds it.
    cluster.events = [];
    cluster.deployment('rev-2');
    await settle(clock, 60_000);
    expect(cluster.messages()).toEqual(['New revision detected! Scaling up podinfo.test']);
    expect(cluster.status()).toMatchObject({ phase: 'Progressing', lastAppliedSpec: 'rev-2' });
    // Progressing: every tick runs.
    const progressing = ticks.length;
    await settle(clock, 60_000);
    expect(ticks.length).toBe(progressing + 1);
    engine.stop();
  });

  it('runs a quiet canary in full when a tracked ConfigMap changes, and every 5 min', async () => {
    const { cluster, clock, ticks, engine } = engineSetup();
    cluster.workload.trackedConfigs = { 'configmap/podinfo-config': 'c1' };
    cluster.kube.put(podinfoCanary());
    engine.start();
    await settle(clock);
    await settle(clock, 60_000);
    expect(cluster.status().trackedConfigs).toEqual({ 'configmap/podinfo-config': 'c1' });
    const config = (name: string) =>
      cluster.kube.put({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, namespace: 'test' },
        data: { color: 'blue' },
      });

    // Untracked configs and other workloads do not concern it.
    const before = calls(cluster);
    config('other-config');
    cluster.deployment('rev-1', 'frontend');
    await settle(clock, 60_000);
    expect(calls(cluster)).toBe(before);

    // The safety tick: 5 min after the last full tick, with no event at all.
    const ticked = ticks.length;
    for (let i = 0; i < 4; i++) await settle(clock, 60_000);
    expect(ticks.length).toBe(ticked + 1);
    expect(engine.quietStats()).toEqual({ skipped: 4, safety: 1 });
    expect(calls(cluster)).toBeGreaterThan(before);

    // A change of the tracked ConfigMap.
    cluster.events = [];
    cluster.workload.dependenciesChanged = true;
    cluster.workload.trackedConfigs = { 'configmap/podinfo-config': 'c2' };
    config('podinfo-config');
    await settle(clock, 60_000);
    expect(cluster.messages()).toEqual(['New revision detected! Scaling up podinfo.test']);
    expect(cluster.status().phase).toBe('Progressing');
    engine.stop();
  });

  it('runs tickNow in full and marks a quiet canary dirty on a watch error', async () => {
    const { cluster, clock, ticks, engine } = engineSetup();
    cluster.kube.put(podinfoCanary());
    engine.start();
    await settle(clock);
    await settle(clock, 60_000);
    const before = calls(cluster);
    await engine.tickNow('podinfo.test');
    expect(calls(cluster)).toBeGreaterThan(before);
    const ticked = ticks.length;
    await settle(clock, 60_000);
    expect(ticks.length).toBe(ticked);
    cluster.kube.failWatches(new Error('connection reset'));
    await settle(clock, 60_000);
    expect(ticks.length).toBe(ticked + 1);
    engine.stop();
  });

  it('restarts the job when the interval changes and stops it on delete', async () => {
    const { cluster, clock, ticks, engine } = engineSetup();
    cluster.kube.put(podinfoCanary());
    engine.start();
    await settle(clock);
    const c = cluster.kube.canary();
    cluster.kube.put({ ...c, spec: podinfoCanary({ interval: '10s' }).spec });
    await settle(clock);
    const before = ticks.length;
    for (let i = 0; i < 3; i++) {
      cluster.deployment(); // not quiet
      await settle(clock, 10_000);
    }
    expect(ticks.length - before).toBeGreaterThanOrEqual(3);
    cluster.kube.remove('Canary', 'test', 'podinfo');
    const after = ticks.length;
    for (let i = 0; i < 6; i++) await settle(clock, 20_000);
    expect(ticks.length).toBe(after);
    expect(clock.pendingTimers()).toBe(0);
    engine.stop();
  });
});
