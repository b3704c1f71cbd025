/**
 * An engine stopped while a tick runs (the cluster's Lease lost) and a new engine started for
 * the same cluster (the Lease won back) must not run the same step twice: the stopped engine's
 * tick runs to its end, and the new engine's first tick of that canary, due at once, waits for
 * it through the cluster's shared CanaryLocks and reads what it wrote.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock';
import {
  CanaryEngine,
  type CanaryLocks,
  type EngineLogRecord,
} from '../../src/core/controller/engine';
import type { ClusterPorts } from '../../src/core/controller/ports';
import { FakeCluster, podinfoCanary } from './engine-scheduler-fakes';

const settle = async (clock: ManualClock, ms = 0) => {
  await clock.advance(ms);
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

function engineOn(ports: ClusterPorts, clock: ManualClock, locks: CanaryLocks, name: string) {
  const order: string[] = [];
  const logs: EngineLogRecord[] = [];
  const engine = new CanaryEngine({
    ports,
    clock,
    clusterName: 'kind-a',
    log: (r) => logs.push(r),
    jitter: () => 0,
    locks,
    onTick: (key, o) => order.push(`${name} ${key} ${o.phase} ${o.canaryWeight}`),
  });
  return { engine, order, logs };
}

describe('CanaryEngine restarted while a tick runs', () => {
  it('runs each step once: the new engine waits for the stopped engine’s tick', async () => {
    const cluster = new FakeCluster();
    const clock = new ManualClock();
    const locks: CanaryLocks = new Map();
    cluster.kube.put(podinfoCanary({ maxWeight: 50 }));
    cluster.deployment('rev-1');

    // The first engine's analysis can be held: its tick has read the Canary (weight 10) and
    // the routes, and has not written yet.
    let release!: () => void;
    const hold = new Promise<void>((r) => (release = r));
    let holdNext = false;
    let held = false;
    const plain = cluster.ports();
    const holding: ClusterPorts = {
      ...plain,
      analysis: {
        ...plain.analysis,
        runMetricChecks: async (cd, events) => {
          if (holdNext) {
            held = true;
            await hold;
          }
          return plain.analysis.runMetricChecks(cd, events);
        },
      },
    };
    const first = engineOn(holding, clock, locks, 'first');
    first.engine.start();
    await settle(clock);
    expect(cluster.status().phase).toBe('Initialized');
    cluster.deployment('rev-2');
    for (let i = 0; i < 4 && cluster.status().canaryWeight !== 10; i++) await settle(clock, 60_000);
    expect(cluster.status()).toMatchObject({ phase: 'Progressing', canaryWeight: 10 });

    holdNext = true;
    await settle(clock, 60_000);
    expect(held).toBe(true);

    // Lease lost, then won back: a new engine for the cluster, whose first tick is due at once.
    first.engine.stop();
    const second = engineOn(plain, clock, locks, 'second');
    second.engine.start();
    await settle(clock);
    expect(second.order).toEqual([]); // waiting for the first engine's tick
    release();
    await settle(clock);

    expect(first.order.at(-1)).toBe('first podinfo.test Progressing 20');
    expect(second.order).toEqual(['second podinfo.test Progressing 30']);
    const advances = cluster.messages().filter((m) => m.startsWith('Advance '));
    expect(advances).toEqual([
      'Advance podinfo.test canary weight 10',
      'Advance podinfo.test canary weight 20',
      'Advance podinfo.test canary weight 30',
    ]);
    expect(cluster.routeHistory.map((r) => r.canaryWeight)).toEqual([10, 20, 30]);
    expect(cluster.status()).toMatchObject({ phase: 'Progressing', canaryWeight: 30 });
    second.engine.stop();
    expect(locks.size).toBe(0);
  });
});
