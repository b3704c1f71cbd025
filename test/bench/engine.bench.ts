/**
 * Benchmark of the canary engine: N canaries across 20 playground clusters, in real time at
 * Flagger's minimum analysis interval (10 s), for N up a ladder.
 *
 * Three processes, so that the engine's figures are its own: this one orchestrates; the
 * playground (engine-bench.playground.ts: 20 simulated API servers, no Prometheus, no
 * synthetic traffic) and the engine (engine-bench.engine.ts: Aviary's service as the app
 * builds it, system clock, default jitter) each run in a child. On this 2-core machine the
 * playground and the engine get a core each.
 *
 * Each canary is a podinfo Deployment (1 replica) and a Canary (provider kubernetes,
 * Blue/Green, interval 10s, no metrics: the analysis of an idle canary queries nothing, so
 * what is measured is the engine, not Prometheus), N/20 per cluster over 5 namespaces.
 * For each N:
 *   1. warm-up: the engine starts and initializes every canary (primary Deployment, services);
 *      its API requests per canary are reported apart ("init req/canary");
 *   2. one interval to settle, then a window of WINDOW_S seconds with every canary idle
 *      (Initialized): every scheduled tick's lateness = tick start − the time its timer was
 *      due (real time, the real 10 s interval, speed 1: lateness is a real-time property), as
 *      a share of the interval; API requests per canary per tick (requests in the window /
 *      ticks started in the window); the engine's CPU time over the window as % of one core;
 *      its RSS and, after a full GC, its heap;
 *   3. with PROGRESSING_SHARE of the apps released (a new image → Blue/Green Progressing, one
 *      iteration per tick), once they all are Progressing, the same figures over 20 s.
 * The playground's CPU over each window is shown too ("pg CPU"): it shares the 2 cores.
 * "ticks/due" compares the ticks that started in a window with those due in it (N × window /
 * mean period): a backlog the window does not see shows there, not in the percentiles.
 *
 * The ladder stops after the first N whose p99 exceeds STOP_P99_PCT (or whose warm-up
 * does not finish in INIT_TIMEOUT_S). Environment overrides:
 *   BENCH_ENGINE_LADDER=1000,2000  BENCH_ENGINE_WINDOW_S=30  BENCH_ENGINE_PROGRESSING=0.1
 *   BENCH_ENGINE_CPU_PROF=DIR  (the engine process writes a .cpuprofile there)
 *
 *   npm run bench -- engine
 */
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineCommand, EngineTotals, EngineWindow } from './engine-bench.engine';
import type { PlaygroundCommand } from './engine-bench.playground';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');

const CLUSTERS = 20;
const NAMESPACES = 5;
const INTERVAL_MS = 10_000;
/** The engine's default jitter adds 0-1 s to every period: 0.5 s on average. */
const MEAN_PERIOD_MS = INTERVAL_MS + 500;
const LADDER = (process.env.BENCH_ENGINE_LADDER ?? '1000,2000')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const WINDOW_S = Number(process.env.BENCH_ENGINE_WINDOW_S ?? 30);
const PROGRESSING_WINDOW_S = Math.min(WINDOW_S, 20);
const PROGRESSING_SHARE = Number(process.env.BENCH_ENGINE_PROGRESSING ?? 0.1);
const INIT_TIMEOUT_S = 120;
const STOP_P99_PCT = 5;

type Command = { cmd: string } & Record<string, unknown>;

/** A child process spoken to over IPC: call() sends a command and resolves with its answer. */
class Child {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  readonly ready: Promise<unknown>;

  private constructor(private readonly process: ChildProcess) {
    this.ready = new Promise((resolveReady, rejectReady) => {
      process.on(
        'message',
        (message: { ready?: unknown; id?: number; result?: unknown; error?: string }) => {
          if (message.ready !== undefined) return resolveReady(message.ready);
          const waiter = message.id !== undefined ? this.pending.get(message.id) : undefined;
          if (!waiter || message.id === undefined) return;
          this.pending.delete(message.id);
          if (message.error !== undefined) waiter.reject(new Error(message.error));
          else waiter.resolve(message.result);
        },
      );
      process.on('exit', (code) => {
        const err = new Error(`${process.spawnfile} exited with ${String(code)}`);
        rejectReady(err);
        for (const waiter of this.pending.values()) waiter.reject(err);
        this.pending.clear();
      });
    });
  }

  static start(file: string, args: string[], execArgv: string[] = []): Child {
    return new Child(
      fork(join(here, file), args, {
        cwd: repo,
        execArgv: ['--import', 'tsx', ...execArgv],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
  }

  call<T>(command: Command): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolveCall, rejectCall) => {
      this.pending.set(id, { resolve: (v) => resolveCall(v as T), reject: rejectCall });
      this.process.send({ id, ...command });
    });
  }

  async stop(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.process.once('exit', () => r()));
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

type Cmd<T> = T extends unknown ? Omit<T, 'id'> : never;
const playgroundCall = <T>(child: Child, command: Cmd<PlaygroundCommand>) =>
  child.call<T>(command as Command);
const engineCall = <T>(child: Child, command: Cmd<EngineCommand>) =>
  child.call<T>(command as Command);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export interface WindowFigures {
  p50Pct: number;
  p99Pct: number;
  maxPct: number;
  ticks: number;
  /** Ticks started / ticks due in the window. */
  ticksPerDue: number;
  requestsPerCanaryTick: number;
  /** Connections the engine opened in the window. */
  connections: number;
  cpuPctOfCore: number;
  rssMiB: number;
  heapMiB: number;
  /** The playground process (20 API servers), for context: it shares the 2 cores. */
  playgroundCpuPctOfCore?: number;
}

export interface StepFigures {
  canaries: number;
  initSeconds: number;
  initRequestsPerCanary: number;
  idle: WindowFigures;
  progressing?: WindowFigures & { progressing: number };
  failure?: string;
}

function windowFigures(n: number, w: EngineWindow): WindowFigures {
  const pct = (ms: number) => (ms / INTERVAL_MS) * 100;
  const ticks = w.latenessMs.length;
  // The clock has whole milliseconds: a timer on time can read as -1 ms.
  const late = w.latenessMs.map((ms) => Math.max(0, ms));
  return {
    p50Pct: pct(percentile(late, 50)),
    p99Pct: pct(percentile(late, 99)),
    maxPct: pct(late[ticks - 1] ?? NaN),
    ticks,
    ticksPerDue: ticks / ((n * w.wallMs) / MEAN_PERIOD_MS),
    requestsPerCanaryTick: ticks ? w.requests / ticks : NaN,
    connections: w.sockets,
    cpuPctOfCore: (w.cpuMs / w.wallMs) * 100,
    rssMiB: w.rssBytes / 1024 / 1024,
    heapMiB: w.heapUsedBytes / 1024 / 1024,
  };
}

interface Usage {
  cpu: NodeJS.CpuUsage;
  rss: number;
}

async function measureWindow(
  engine: Child,
  playground: Child,
  n: number,
  seconds: number,
): Promise<WindowFigures> {
  const before = await playgroundCall<Usage>(playground, { cmd: 'usage' });
  await engineCall(engine, { cmd: 'mark' });
  await sleep(seconds * 1000);
  const window = await engineCall<EngineWindow>(engine, { cmd: 'measure' });
  const after = await playgroundCall<Usage>(playground, { cmd: 'usage' });
  const playgroundCpuMs =
    (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1000;
  return {
    ...windowFigures(n, window),
    playgroundCpuPctOfCore: (playgroundCpuMs / window.wallMs) * 100,
  };
}

async function waitForPhase(
  playground: Child,
  phase: string,
  count: number,
  timeoutS: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutS * 1000;
  while (Date.now() < deadline) {
    const phases = await playgroundCall<Record<string, number>>(playground, { cmd: 'phases' });
    if ((phases[phase] ?? 0) >= count) return true;
    await sleep(1000);
  }
  return false;
}

const log = (line: string): void => {
  process.stderr.write(`  [engine bench] ${line}\n`);
};

/** One rung of the ladder: fresh playground and engine processes, N canaries. */
export async function benchEngineStep(n: number): Promise<StepFigures> {
  const perCluster = Math.ceil(n / CLUSTERS);
  const canaries = perCluster * CLUSTERS;
  const playground = Child.start('engine-bench.playground.ts', [String(CLUSTERS)]);
  let engine: Child | undefined;
  try {
    const kubeconfig = (await playground.ready) as string;
    await playgroundCall(playground, { cmd: 'populate', perCluster, namespaces: NAMESPACES });
    const started = performance.now();
    const profile = process.env.BENCH_ENGINE_CPU_PROF;
    engine = Child.start(
      'engine-bench.engine.ts',
      [kubeconfig],
      ['--expose-gc', ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${resolve(profile)}`] : [])],
    );
    await engine.ready;
    const initialized = await waitForPhase(playground, 'Initialized', canaries, INIT_TIMEOUT_S);
    const initSeconds = (performance.now() - started) / 1000;
    const totals = await engineCall<EngineTotals>(engine, { cmd: 'totals' });
    const initRequestsPerCanary = totals.requests / canaries;
    log(
      `N=${canaries}: ${initialized ? 'initialized' : 'NOT initialized'} in ${initSeconds.toFixed(1)} s, ` +
        `${totals.requests} requests, ${totals.controlling}/${CLUSTERS} clusters controlled`,
    );
    // One interval for the ticks of the last initializations to pass.
    await sleep(INTERVAL_MS);
    const idle = await measureWindow(engine, playground, canaries, WINDOW_S);
    log(`N=${canaries} idle: ${JSON.stringify(idle)}`);
    const step: StepFigures = {
      canaries,
      initSeconds,
      initRequestsPerCanary,
      idle,
      ...(initialized ? {} : { failure: `not all Initialized after ${INIT_TIMEOUT_S} s` }),
    };
    if (PROGRESSING_SHARE > 0 && initialized) {
      const released = await playgroundCall<number>(playground, {
        cmd: 'release',
        share: PROGRESSING_SHARE,
      });
      const progressing = await waitForPhase(
        playground,
        'Progressing',
        released,
        (2 * INTERVAL_MS) / 1000 + 10,
      );
      if (progressing) {
        step.progressing = {
          ...(await measureWindow(engine, playground, canaries, PROGRESSING_WINDOW_S)),
          progressing: released,
        };
        log(`N=${canaries} progressing: ${JSON.stringify(step.progressing)}`);
      } else {
        log(`N=${canaries}: the released canaries did not all reach Progressing`);
      }
    }
    return step;
  } finally {
    await engine?.stop();
    await playground.stop();
  }
}

const fixed = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : '-');

function row(w: WindowFigures): string {
  return [
    fixed(w.p50Pct, 3).padStart(8),
    fixed(w.p99Pct, 3).padStart(8),
    fixed(w.maxPct, 2).padStart(8),
    fixed(w.ticksPerDue, 2).padStart(9),
    fixed(w.requestsPerCanaryTick, 2).padStart(9),
    fixed(w.cpuPctOfCore, 1).padStart(7),
    fixed(w.rssMiB, 0).padStart(6),
    fixed(w.heapMiB, 0).padStart(6),
    fixed(w.playgroundCpuPctOfCore ?? NaN, 0).padStart(6),
  ].join(' ');
}

export const title =
  'Canary engine: N canaries over 20 playground clusters, real time, 10 s interval (engine and playground in separate processes)';

export async function run(): Promise<Record<string, string>> {
  const steps: StepFigures[] = [];
  for (const n of LADDER) {
    const step = await benchEngineStep(n);
    steps.push(step);
    if (step.failure || !(step.idle.p99Pct < STOP_P99_PCT)) break;
  }
  const figures: Record<string, string> = {
    'window, s': String(WINDOW_S),
    lateness: 'tick start − timer due, real time, % of the 10 s interval',
    'N (state)':
      '   p50 %    p99 %    max % ticks/due req/tick  CPU %c RSS MB heap MB  pg CPU | init s  init req/canary',
  };
  for (const s of steps) {
    figures[`${s.canaries} (idle)`] =
      `${row(s.idle)}  | ${fixed(s.initSeconds, 1).padStart(6)} ${fixed(s.initRequestsPerCanary, 1).padStart(8)}` +
      (s.failure ? `  (${s.failure})` : '');
    if (s.progressing)
      figures[`${s.canaries} (${s.progressing.progressing} Progressing)`] = row(s.progressing);
  }
  // Quiet (idle) canaries do not tick at all, so a step passes when every window that had
  // ticks kept p99 lateness under 1 % of the interval.
  const ticked = (w: (typeof steps)[number]['idle'] | undefined): boolean =>
    Boolean(w && w.ticks > 0);
  const passing = steps.filter(
    (s) =>
      !s.failure &&
      (!ticked(s.idle) || s.idle.p99Pct < 1) &&
      (!ticked(s.progressing) || (s.progressing?.p99Pct ?? 0) < 1) &&
      (ticked(s.idle) || ticked(s.progressing)),
  );
  const best = passing[passing.length - 1];
  figures['largest N with p99 < 1 %'] = best ? String(best.canaries) : 'none';
  return figures;
}
