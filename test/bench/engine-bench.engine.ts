/**
 * The engine side of the engine benchmark (engine.bench.ts): Aviary's service, as the app
 * builds it, against the playground kubeconfig given as argv[2], in a process of its own so
 * its CPU time and memory are the engine's. Real time (the system clock) and the engine's
 * default job jitter. Driven over IPC:
 *
 *   {cmd: 'mark'}     starts a measurement window
 *   {cmd: 'measure'}  ends it: tick lateness samples, ticks, API requests, CPU, memory
 *   {cmd: 'totals'}   API requests and ticks since the start, the canaries known, the clusters controlled
 *
 * Tick lateness comes from the engine's onTickStart hook (timer due time → tick start).
 * API requests are every HTTP request this process sends (node:diagnostics_channel), which
 * are exactly the ClusterClients' requests (watch connects included, as in their stats()).
 */
import { subscribe } from 'node:diagnostics_channel';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../src/shared/clock';
import { createAviaryService } from '../../src/core/service';
import { SettingsStore } from '../../src/core/settings';

export type EngineCommand =
  { id: number; cmd: 'mark' } | { id: number; cmd: 'measure' } | { id: number; cmd: 'totals' };

export interface EngineTotals {
  requests: number;
  ticks: number;
  canaries: number;
  controlling: number;
}

export interface EngineWindow {
  wallMs: number;
  /** Lateness of each tick started in the window, ms, sorted. */
  latenessMs: number[];
  requests: number;
  /** TCP (TLS) connections opened in the window: keep-alive should make these rare. */
  sockets: number;
  /** User + system CPU time of this process in the window, ms. */
  cpuMs: number;
  rssBytes: number;
  /** After a full GC. */
  heapUsedBytes: number;
}

export type EngineMessage =
  { ready: true } | { id: number; result: unknown } | { id: number; error: string };

const send = (message: EngineMessage): void => {
  process.send?.(message);
};

async function main(): Promise<void> {
  const kubeconfig = process.argv[2];
  if (!kubeconfig) throw new Error('usage: engine-bench.engine.ts KUBECONFIG');
  let requests = 0;
  let sockets = 0;
  subscribe('http.client.request.start', () => {
    requests++;
  });
  // A response on a request that did not reuse a kept-alive socket: a new TLS connection.
  subscribe('http.client.response.finish', (message) => {
    if (!(message as { request: { reusedSocket: boolean } }).request.reusedSocket) sockets++;
  });

  const dir = await mkdtemp(join(tmpdir(), 'aviary-bench-engine-'));
  const settings = SettingsStore.inDir(join(dir, 'config'));
  await settings.load();
  let ticks = 0;
  let window = {
    start: performance.now(),
    cpu: process.cpuUsage(),
    requests: 0,
    sockets: 0,
    lateness: [] as number[],
  };
  const service = createAviaryService({
    host: { mode: 'web', version: 'bench' },
    settings,
    kubeconfigFlag: [],
    playgroundKubeconfig: kubeconfig,
    env: {},
    homeDir: dir,
    clock: systemClock,
    onTickStart: (_key, scheduledAt, startedAt) => {
      ticks++;
      window.lateness.push(startedAt - scheduledAt);
    },
  });
  await service.start();

  const stop = async (): Promise<void> => {
    await service.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('disconnect', () => void stop());
  process.once('SIGTERM', () => void stop());

  const gc = (globalThis as { gc?: () => void }).gc;
  process.on('message', (message: EngineCommand) => {
    switch (message.cmd) {
      case 'mark':
        window = {
          start: performance.now(),
          cpu: process.cpuUsage(),
          requests,
          sockets,
          lateness: [],
        };
        send({ id: message.id, result: true });
        break;
      case 'measure': {
        const wallMs = performance.now() - window.start;
        const cpu = process.cpuUsage(window.cpu);
        const lateness = window.lateness.sort((a, b) => a - b);
        const windowRequests = requests - window.requests;
        gc?.();
        const memory = process.memoryUsage();
        const result: EngineWindow = {
          wallMs,
          latenessMs: lateness,
          requests: windowRequests,
          sockets: sockets - window.sockets,
          cpuMs: (cpu.user + cpu.system) / 1000,
          rssBytes: memory.rss,
          heapUsedBytes: memory.heapUsed,
        };
        send({ id: message.id, result });
        break;
      }
      case 'totals': {
        const result: EngineTotals = {
          requests,
          ticks,
          canaries: service.fleet.canaries().length,
          controlling: service.fleet.clusters().filter((c) => c.mode === 'controlling').length,
        };
        send({ id: message.id, result });
        break;
      }
    }
  });
  send({ ready: true });
}

main().catch((err: unknown) => {
  process.stderr.write(`bench engine: ${(err as Error).message}\n`);
  process.exit(1);
});
