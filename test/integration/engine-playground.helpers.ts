/**
 * The engine against the playground over real HTTPS: one process runs the simulated
 * clusters and Aviary's service, sharing one clock that runs faster than real time, so a
 * rollout with 10 s intervals takes a few seconds while every request is real.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { ApiEvent, CanarySummary, LogRecord } from '../../src/shared/api';
import { ScaledClock, systemClock, type Clock } from '../../src/shared/clock';
import { createAviaryService, type AviaryService } from '../../src/core/service';
import { SettingsStore } from '../../src/core/settings';
import { startPlayground, type Playground, type PlaygroundOptions } from '../../src/sim/playground';

export interface EngineBed {
  dir: string;
  clock: Clock;
  playground: Playground;
  service: AviaryService;
  log: LogRecord[];
  events: ApiEvent[];
  /** Log messages about one canary ("name.namespace"), in order. */
  messages(canary: string): string[];
  canary(key: string): CanarySummary | undefined;
  waitFor(predicate: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startEngineBed(
  options: { speed?: number; playground?: Partial<PlaygroundOptions>; metricsServer?: string } = {},
): Promise<EngineBed> {
  const dir = await mkdtemp(join(tmpdir(), 'aviary-engine-'));
  // At speed 1 the system clock itself, so the playground can use the real Prometheus binary.
  const speed = options.speed ?? 20;
  const clock = speed === 1 ? systemClock : new ScaledClock(speed);
  const playground = await startPlayground({
    clusters: ['staging'],
    kubeconfigOut: join(dir, 'kubeconfig.yaml'),
    prometheus: 'builtin',
    clock,
    scrapeIntervalMs: 5000,
    ...options.playground,
  });
  const settings = SettingsStore.inDir(join(dir, 'config'));
  await settings.load();
  const log: LogRecord[] = [];
  const events: ApiEvent[] = [];
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
    ...(options.metricsServer ? { metricsServer: options.metricsServer } : {}),
  });
  service.subscribe((event) => events.push(event));
  await service.start();

  const bed: EngineBed = {
    dir,
    clock,
    playground,
    service,
    log,
    events,
    messages: (canary) => log.filter((r) => r.canary === canary).map((r) => r.message),
    canary: (key) => service.fleet.canaries().find((c) => c.key === key),
    async waitFor(predicate, what, timeoutMs = 60_000) {
      await expect
        .poll(predicate, { timeout: timeoutMs, interval: 50, message: `waiting for ${what}` })
        .toBe(true);
    },
    async stop() {
      await service.stop();
      await playground.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return bed;
}
