/**
 * Runs a real Prometheus binary (Debian's /usr/bin/prometheus) for the playground and
 * the integration tests: loopback only, its own temp storage, a config scraping the
 * simulated clusters, and no orphan left behind when this process goes away.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface PrometheusTarget {
  job: string;
  /** e.g. http://127.0.0.1:PORT/metrics */
  url: string;
}

export interface RealPrometheusOptions {
  /** Explicit binary (the --prometheus PATH option); else PATH, then /usr/bin/prometheus. */
  binary?: string;
  targets?: readonly PrometheusTarget[];
  /** Default 5000; tests use 1000. */
  scrapeIntervalMs?: number;
  /** Default 1 h. */
  retention?: string;
  /** Milliseconds to wait for /-/ready. Default 30 s. */
  readyTimeoutMs?: number;
  /** Log level passed to Prometheus; default "warn". */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

export interface RealPrometheus {
  url: string;
  binary: string;
  pid: number;
  configPath: string;
  targets(): PrometheusTarget[];
  setTargets(targets: readonly PrometheusTarget[]): Promise<void>;
  addTarget(target: PrometheusTarget): Promise<void>;
  removeTarget(job: string): Promise<void>;
  /**
   * Resolves once every target has been scraped at least once. Prometheus 2.x starts
   * scraping ~5 s after /-/ready (its service-discovery update throttle).
   */
  waitForFirstScrape(timeoutMs?: number): Promise<void>;
  /** SIGTERM, then SIGKILL after timeoutMs (default 5 s); removes the temp dir. */
  stop(timeoutMs?: number): Promise<void>;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findExecutable(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return isExecutable(`/usr/bin/${name}`) ? `/usr/bin/${name}` : undefined;
}

/** The binary to run, or undefined when none is installed (then use the built-in one). */
export function findPrometheusBinary(explicit?: string): string | undefined {
  if (explicit) return isExecutable(explicit) ? explicit : undefined;
  return findExecutable('prometheus');
}

/** Reads `--prometheus PATH` / `--prometheus=PATH` from argv. */
export function prometheusOption(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--prometheus') return argv[i + 1];
    if (a.startsWith('--prometheus=')) return a.slice('--prometheus='.length);
  }
  return undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function goDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** The config as JSON, which is valid YAML and needs no quoting rules. */
export function renderConfig(
  targets: readonly PrometheusTarget[],
  scrapeIntervalMs: number,
): string {
  const interval = goDuration(scrapeIntervalMs);
  // Prometheus refuses scrape_timeout > scrape_interval; its default is 10s.
  const timeout = goDuration(Math.min(scrapeIntervalMs, 10_000));
  const config = {
    global: { scrape_interval: interval, scrape_timeout: timeout, evaluation_interval: interval },
    scrape_configs: targets.map((t) => {
      const u = new URL(t.url);
      return {
        job_name: t.job,
        scheme: u.protocol.replace(':', ''),
        metrics_path: u.pathname || '/metrics',
        ...(u.search
          ? { params: Object.fromEntries([...u.searchParams].map(([k, v]) => [k, [v]])) }
          : {}),
        static_configs: [{ targets: [u.host] }],
      };
    }),
  };
  return JSON.stringify(config, null, 2) + '\n';
}

// Children alive in this process, killed synchronously on exit so none is orphaned.
const live = new Set<ChildProcess>();
let exitHooksInstalled = false;

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      for (const child of live) child.kill('SIGKILL');
      // Keep the default behaviour (terminate) unless someone else handles the signal.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

async function waitReady(
  url: string,
  child: ChildProcess,
  timeoutMs: number,
  stderr: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `prometheus exited (${child.exitCode ?? child.signalCode}) before ready: ${stderr().slice(-2000)}`,
      );
    }
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`prometheus was not ready within ${timeoutMs} ms: ${stderr().slice(-2000)}`);
}

function waitExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Starts Prometheus on 127.0.0.1 and a free port; resolves once /-/ready answers. */
export async function startRealPrometheus(
  options: RealPrometheusOptions = {},
): Promise<RealPrometheus> {
  const binary = findPrometheusBinary(options.binary);
  if (!binary) {
    throw new Error(
      options.binary
        ? `prometheus binary not executable: ${options.binary}`
        : 'no prometheus binary found',
    );
  }
  const scrapeIntervalMs = options.scrapeIntervalMs ?? 5000;
  let targets = [...(options.targets ?? [])];
  const dir = await mkdtemp(join(tmpdir(), 'aviary-prometheus-'));
  const configPath = join(dir, 'prometheus.yml');
  await writeFile(configPath, renderConfig(targets, scrapeIntervalMs));
  installExitHooks();
  const setpriv = findExecutable('setpriv');

  // The free port can be taken between probing and binding: retry a few times.
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const args = [
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--storage.tsdb.retention.time=${options.retention ?? '1h'}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-lifecycle',
      `--log.level=${options.logLevel ?? 'warn'}`,
    ];
    // The exit hooks cannot run when this process is SIGKILLed; setpriv's parent-death
    // signal (it execs Prometheus, so the pid is the same) covers that case too.
    const child = setpriv
      ? spawn(setpriv, ['--pdeathsig', 'KILL', '--', binary, ...args], {
          stdio: ['ignore', 'ignore', 'pipe'],
        })
      : spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    live.add(child);
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      stderr = (stderr + d).slice(-20_000);
    });
    child.once('exit', () => live.delete(child));
    child.once('error', () => live.delete(child));
    try {
      await waitReady(url, child, options.readyTimeoutMs ?? 30_000, () => stderr);
    } catch (err) {
      child.kill('SIGKILL');
      await waitExit(child, 2000);
      if (attempt < 2 && /address already in use/.test(stderr)) continue;
      await rm(dir, { recursive: true, force: true });
      throw err;
    }

    const reload = async () => {
      await writeFile(configPath, renderConfig(targets, scrapeIntervalMs));
      const res = await fetch(`${url}/-/reload`, {
        method: 'POST',
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok)
        throw new Error(`prometheus reload failed: HTTP ${res.status} ${await res.text()}`);
    };
    let stopped: Promise<void> | undefined;
    return {
      url,
      binary,
      pid: child.pid as number,
      configPath,
      targets: () => [...targets],
      async setTargets(next) {
        targets = [...next];
        await reload();
      },
      async addTarget(target) {
        targets = [...targets.filter((t) => t.job !== target.job), target];
        await reload();
      },
      async removeTarget(job) {
        targets = targets.filter((t) => t.job !== job);
        await reload();
      },
      async waitForFirstScrape(timeoutMs = 20_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const res = await fetch(`${url}/api/v1/query?query=up`, {
            signal: AbortSignal.timeout(2000),
          });
          const body = (await res.json()) as {
            data?: { result?: Array<{ metric: { job?: string } }> };
          };
          const scraped = new Set((body.data?.result ?? []).map((r) => r.metric.job));
          if (targets.every((t) => scraped.has(t.job))) return;
          if (Date.now() > deadline)
            throw new Error(`prometheus did not scrape all targets within ${timeoutMs} ms`);
          await new Promise((r) => setTimeout(r, 250));
        }
      },
      stop(timeoutMs = 5000) {
        stopped ??= (async () => {
          child.kill('SIGTERM');
          if (!(await waitExit(child, timeoutMs))) {
            child.kill('SIGKILL');
            await waitExit(child, 2000);
          }
          live.delete(child);
          try {
            rmSync(dir, { recursive: true, force: true });
          } catch {
            // best effort: a temp dir
          }
        })();
        return stopped;
      },
    };
  }
}
