/**
 * The engine's "Done means" scenarios, part 3: who drives a cluster. Two Aviary services on
 * one playground cluster agree on one writer through the Lease, the standby refuses actions
 * naming the holder and takes over when the leader stops; and an engine killed abruptly
 * (SIGKILL of a child process running the service) in the middle of a rollout is replaced
 * by a fresh one that, once the dead one's Lease expired, finishes the rollout without a
 * wrong step.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, type ClusterControl, type LogRecord } from '../../src/shared/api';
import { ScaledClock } from '../../src/shared/clock';
import { createAviaryService, type AviaryService } from '../../src/core/service';
import { SettingsStore } from '../../src/core/settings';
import { startPlayground, type Playground } from '../../src/sim/playground';
import type { StoreEvent } from '../../src/sim/store';
import { startEngineBed, type EngineBed } from './engine-playground.helpers';
import {
  CANARIES,
  DEPLOYMENTS,
  INGRESSES,
  NGINX,
  image,
  release,
  until,
  waitPhase,
} from './engine-scenarios.helpers';

const KEY = 'playground-staging/test/podinfo';
const C = 'podinfo.test';
const SPEED = 20;
const CHILD = fileURLToPath(new URL('./fixtures/engine-child.ts', import.meta.url));

/** One more Aviary service on the playground's kubeconfig (its own settings, its own identity). */
async function startService(
  playground: Playground,
  clock: ScaledClock,
  dir: string,
  log: LogRecord[],
): Promise<AviaryService> {
  const settings = SettingsStore.inDir(join(dir, 'config'));
  await settings.load();
  const service = createAviaryService({
    host: { mode: 'web', version: 'test' },
    settings,
    kubeconfigFlag: [],
    playgroundKubeconfig: playground.kubeconfig,
    env: {},
    homeDir: dir,
    clock,
    jitter: () => 0,
    onLog: (record) => log.push(record),
  });
  await service.start();
  return service;
}

const controlOf = async (service: AviaryService): Promise<ClusterControl | undefined> =>
  (await service.handlers['clusters.control']({})).find((c) => c.context === 'playground-staging');

describe('two Aviary services on one cluster', () => {
  let bed: EngineBed;
  let second: AviaryService | undefined;
  let secondDir: string;
  const secondLog: LogRecord[] = [];

  beforeAll(async () => {
    bed = await startEngineBed();
    await waitPhase(bed, KEY, 'Initialized');
    secondDir = await mkdtemp(join(tmpdir(), 'aviary-second-'));
    second = await startService(bed.playground, bed.clock as ScaledClock, secondDir, secondLog);
  });

  afterAll(async () => {
    await second?.stop();
    await bed?.stop().catch(() => undefined);
    if (secondDir) await rm(secondDir, { recursive: true, force: true });
  });

  it('has one controlling, the other on standby naming the holder; the standby refuses actions', async () => {
    const standby = second as AviaryService;
    await until(() => standby.fleet.clusters().some((c) => c.mode === 'standby'), 'standby mode');
    const leader = await controlOf(bed.service);
    const follower = await controlOf(standby);
    expect(leader?.mode).toBe('controlling');
    expect(follower?.mode).toBe('standby');
    expect(leader?.holder).toBeTruthy();
    expect(follower?.holder).toBe(leader?.holder);
    const modes = [leader?.mode, follower?.mode];
    expect(modes.filter((m) => m === 'controlling')).toHaveLength(1);
    // The standby shows the canary, driven by someone else.
    await until(() => standby.fleet.canaries().some((c) => c.key === KEY), 'the canary listed');
    expect(standby.fleet.canaries().find((c) => c.key === KEY)?.controller).toBe('observed');

    for (const action of ['rollback', 'promote', 'pause'] as const) {
      const refused = standby.handlers['canaries.action']({ key: KEY, action });
      await expect(refused, action).rejects.toBeInstanceOf(ApiError);
      await expect(refused, action).rejects.toThrow(leader?.holder ?? 'no holder');
    }
    expect(
      (
        bed.playground.cluster('staging').api.store.get(CANARIES, 'test', 'podinfo')?.spec as {
          suspend?: boolean;
        }
      ).suspend,
    ).toBeUndefined();
  });

  it('takes over when the leader stops and finishes a rollout', async () => {
    const standby = second as AviaryService;
    const before = (await controlOf(bed.service))?.holder;
    await bed.service.stop();
    await until(
      () => standby.fleet.clusters().some((c) => c.mode === 'controlling'),
      'the standby controlling',
      10_000,
    );
    const now = await controlOf(standby);
    expect(now?.holder).toBeTruthy();
    expect(now?.holder).not.toBe(before);
    const from = secondLog.length;
    release(bed, '6.0.1');
    await until(
      () => standby.fleet.canaries().find((c) => c.key === KEY)?.phase === 'Progressing',
      'Progressing',
    );
    await until(
      () => standby.fleet.canaries().find((c) => c.key === KEY)?.phase === 'Succeeded',
      'Succeeded',
    );
    const messages = secondLog
      .slice(from)
      .filter((r) => r.canary === C)
      .map((r) => r.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        'New revision detected! Scaling up podinfo.test',
        'Advance podinfo.test canary weight 50',
        'Copying podinfo.test template spec to podinfo-primary.test',
        'Promotion completed! Scaling down podinfo.test',
      ]),
    );
    expect(
      image(
        bed.playground.cluster('staging').api.store.get(DEPLOYMENTS, 'test', 'podinfo-primary'),
      ),
    ).toBe('ghcr.io/stefanprodan/podinfo:6.0.1');
  });
});

/** A service in a child process, killed with SIGKILL: no lease release, a tick cut anywhere. */
interface ChildEngine {
  process: ChildProcess;
  log: LogRecord[];
  controlling: boolean;
  stderr: string;
}

function startChild(kubeconfig: string, dir: string): ChildEngine {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CHILD, kubeconfig, dir, String(SPEED)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const engine: ChildEngine = { process: child, log: [], controlling: false, stderr: '' };
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => (engine.stderr += chunk));
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  lines.on('line', (line) => {
    try {
      const message = JSON.parse(line) as { log?: LogRecord; control?: ClusterControl[] };
      if (message.log) engine.log.push(message.log);
      if (message.control)
        engine.controlling = message.control.some(
          (c) => c.context === 'playground-staging' && c.mode === 'controlling',
        );
    } catch {
      // not a line of ours
    }
  });
  return engine;
}

describe('an engine killed at any phase', () => {
  let playground: Playground;
  let clock: ScaledClock;
  let dir: string;
  const children: ChildEngine[] = [];
  const services: AviaryService[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aviary-kill-'));
    clock = new ScaledClock(SPEED);
    playground = await startPlayground({
      clusters: ['staging'],
      kubeconfigOut: join(dir, 'kubeconfig.yaml'),
      prometheus: 'builtin',
      clock,
      scrapeIntervalMs: 5000,
    });
  });

  afterEach(async () => {
    for (const child of children.splice(0)) child.process.kill('SIGKILL');
    for (const service of services.splice(0)) await service.stop();
  });

  afterAll(async () => {
    await playground?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const store = () => playground.cluster('staging').api.store;
  const phase = () =>
    (store().get(CANARIES, 'test', 'podinfo')?.status as { phase?: string })?.phase;
  const bedLike = () => ({ playground }) as unknown as EngineBed;

  /**
   * Drives a release with a child engine, SIGKILLs it right after the write `killAt` picks,
   * then lets a fresh in-process service finish. Returns both logs of podinfo.test.
   */
  async function killAndTakeOver(
    tag: string,
    killAt: (event: StoreEvent) => boolean,
    n: number,
  ): Promise<{ first: string[]; second: string[] }> {
    const child = startChild(playground.kubeconfig, join(dir, `child-${n}`));
    children.push(child);
    await until(() => child.controlling, 'the child engine controlling', 20_000).catch((err) => {
      throw new Error(`${String(err)}; the child said: ${child.stderr}`);
    });
    await until(() => phase() === 'Initialized' || phase() === 'Succeeded', 'podinfo idle', 20_000);
    let killed = false;
    const unsubscribe = store().subscribe((event) => {
      if (!killed && killAt(event)) {
        killed = true;
        child.process.kill('SIGKILL');
      }
    });
    try {
      release(bedLike(), tag);
      await until(() => killed, 'the kill point', 30_000);
    } finally {
      unsubscribe();
    }
    await new Promise((resolve) => child.process.once('exit', resolve));
    const killedPhase = phase();

    const log: LogRecord[] = [];
    const fresh = await startService(playground, clock, join(dir, `fresh-${n}`), log);
    services.push(fresh);
    await until(
      () =>
        fresh.fleet.canaries().find((c) => c.key === KEY)?.phase === 'Succeeded' &&
        log.some((r) => r.message === 'Promotion completed! Scaling down podinfo.test'),
      'the fresh engine finishing the rollout',
      30_000,
    );
    const control = await controlOf(fresh);
    expect(control?.mode).toBe('controlling');
    const first = child.log.filter((r) => r.canary === C).map((r) => r.message);
    const second = log.filter((r) => r.canary === C).map((r) => r.message);
    const all = [...first, ...second];
    const said = `killed in ${killedPhase}: ${JSON.stringify({ first: first.slice(-14), second }, null, 1)}`;
    // The revision of this release only (the first child also initialized the canary).
    const start = all.lastIndexOf('New revision detected! Scaling up podinfo.test');
    const rollout = all.slice(start);
    expect(start, said).toBeGreaterThanOrEqual(0);
    const count = (message: string) => rollout.filter((m) => m === message).length;
    expect(count('Copying podinfo.test template spec to podinfo-primary.test'), said).toBe(1);
    expect(count('Promotion completed! Scaling down podinfo.test'), said).toBe(1);
    expect(count('Starting canary analysis for podinfo.test'), said).toBe(1);
    // A check may halt once while the canary's first samples reach Prometheus; nothing fails.
    expect(
      rollout.some((m) => /^(Rolling back|Canary failed!)/.test(m)),
      said,
    ).toBe(false);
    const weights = rollout
      .map((m) => /^Advance podinfo\.test canary weight (\d+)$/.exec(m)?.[1])
      .filter((w): w is string => w !== undefined)
      .map(Number);
    expect(weights.length, said).toBeGreaterThanOrEqual(4);
    expect(
      weights.every((w, i) => i === 0 || w > (weights[i - 1] ?? 0)),
      said,
    ).toBe(true);
    expect(weights.at(-1), said).toBe(50);
    expect(image(store().get(DEPLOYMENTS, 'test', 'podinfo-primary'))).toBe(
      `ghcr.io/stefanprodan/podinfo:${tag}`,
    );
    expect(
      store().get(INGRESSES, 'test', 'podinfo-canary')?.metadata.annotations?.[
        `${NGINX}canary-weight`
      ],
    ).toBe('0');
    expect(phase()).toBe('Succeeded');
    return { first, second };
  }

  it('Progressing: killed between routing weight 30 and recording it', async () => {
    const { first, second } = await killAndTakeOver(
      '6.0.1',
      (e) =>
        e.ref.resource === 'ingresses' &&
        e.object.metadata.name === 'podinfo-canary' &&
        e.object.metadata.annotations?.[`${NGINX}canary-weight`] === '30',
      1,
    );
    expect(first).toContain('Advance podinfo.test canary weight 20');
    expect(first).not.toContain('Advance podinfo.test canary weight 30');
    // The fresh engine reads the routes (30) and carries on from there.
    expect(second.filter((m) => m.startsWith('Advance '))).toEqual([
      'Advance podinfo.test canary weight 40',
      'Advance podinfo.test canary weight 50',
    ]);
    expect(second).not.toContain('New revision detected! Scaling up podinfo.test');
  });

  it('Promoting: killed right after the Promoting status write', async () => {
    const { first, second } = await killAndTakeOver(
      '6.0.2',
      (e) =>
        e.ref.resource === 'canaries' &&
        (e.object.status as { phase?: string } | undefined)?.phase === 'Promoting',
      2,
    );
    expect(first).toContain('Copying podinfo.test template spec to podinfo-primary.test');
    expect(second[0]).toBe('Routing all traffic to primary');
    expect(second).toContain('Promotion completed! Scaling down podinfo.test');
  });

  it('Finalising: killed right after the Finalising status write', async () => {
    const { first, second } = await killAndTakeOver(
      '6.0.3',
      (e) =>
        e.ref.resource === 'canaries' &&
        (e.object.status as { phase?: string } | undefined)?.phase === 'Finalising',
      3,
    );
    expect(first).toContain('Routing all traffic to primary');
    expect(second).toEqual(['Promotion completed! Scaling down podinfo.test']);
  });
});
