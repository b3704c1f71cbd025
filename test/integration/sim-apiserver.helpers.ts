/**
 * Helpers for the playground API server tests: real HTTPS requests with the playground CA
 * (every call bounded by a timeout), kubeconfigs in a temp dir, and a bounded kubectl runner.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningClusterApiServer } from '../../src/sim/apiserver/index';
import { writeKubeconfig } from '../../src/sim/apiserver/index';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: <T = Record<string, unknown>>() => T;
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  contentType?: string;
  accept?: string;
  token?: string | null;
  timeoutMs?: number;
}

export function request(
  server: RunningClusterApiServer,
  token: string,
  path: string,
  options: RequestOptions = {},
): Promise<HttpAnswer> {
  const body =
    options.body === undefined
      ? undefined
      : typeof options.body === 'string'
        ? options.body
        : JSON.stringify(options.body);
  const bearer = options.token === null ? undefined : (options.token ?? token);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: server.port,
        path,
        method: options.method ?? 'GET',
        ca: server.caPem,
        headers: {
          ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}),
          ...(body !== undefined
            ? {
                'Content-Type': options.contentType ?? 'application/json',
                'Content-Length': Buffer.byteLength(body),
              }
            : {}),
          Accept: options.accept ?? 'application/json',
        },
        timeout: options.timeoutMs ?? 5000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: <T>() => JSON.parse(text) as T,
          });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`request ${path} timed out`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export interface WatchStream {
  events: { type: string; object: Record<string, unknown> }[];
  /** Resolves when an event matching the predicate has arrived (or rejects after timeoutMs). */
  waitFor(
    predicate: (e: { type: string; object: Record<string, unknown> }) => boolean,
    timeoutMs?: number,
  ): Promise<{ type: string; object: Record<string, unknown> }>;
  ended: Promise<void>;
  close(): void;
}

/** Opens a watch (newline-delimited JSON over a chunked response) and collects its events. */
export function openWatch(
  server: RunningClusterApiServer,
  token: string,
  path: string,
  accept = 'application/json',
): Promise<WatchStream> {
  return new Promise((resolve, reject) => {
    const events: WatchStream['events'] = [];
    const waiters: {
      predicate: (e: WatchStream['events'][number]) => boolean;
      resolve: (e: WatchStream['events'][number]) => void;
    }[] = [];
    let endResolve: () => void = () => {};
    const ended = new Promise<void>((r) => (endResolve = r));
    const req = https.request(
      {
        host: '127.0.0.1',
        port: server.port,
        path,
        ca: server.caPem,
        headers: { Authorization: `Bearer ${token}`, Accept: accept },
      },
      (res) => {
        let buffer = '';
        res.on('data', (chunk: Buffer) => {
          buffer += chunk.toString('utf8');
          let nl = buffer.indexOf('\n');
          while (nl >= 0) {
            const line = buffer.slice(0, nl);
            buffer = buffer.slice(nl + 1);
            if (line.trim()) {
              const event = JSON.parse(line) as WatchStream['events'][number];
              events.push(event);
              for (const w of [...waiters]) {
                if (w.predicate(event)) {
                  waiters.splice(waiters.indexOf(w), 1);
                  w.resolve(event);
                }
              }
            }
            nl = buffer.indexOf('\n');
          }
        });
        res.on('end', () => endResolve());
        res.on('close', () => endResolve());
        resolve({
          events,
          ended,
          close: () => req.destroy(),
          waitFor: (predicate, timeoutMs = 5000) => {
            const already = events.find(predicate);
            if (already) return Promise.resolve(already);
            return new Promise((res2, rej2) => {
              const timer = setTimeout(
                () =>
                  rej2(
                    new Error(
                      `watch ${path}: no matching event in ${timeoutMs}ms; got ${JSON.stringify(events.map((e) => e.type))}`,
                    ),
                  ),
                timeoutMs,
              );
              waiters.push({
                predicate,
                resolve: (e) => {
                  clearTimeout(timer);
                  res2(e);
                },
              });
            });
          },
        });
      },
    );
    req.on('error', (err) => {
      endResolve();
      reject(err);
    });
    req.end();
  });
}

export async function tempKubeconfig(
  servers: { server: RunningClusterApiServer; token: string }[],
): Promise<{ dir: string; path: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'aviary-apiserver-'));
  const path = join(dir, 'kubeconfig');
  await writeKubeconfig(
    path,
    servers.map(({ server, token }) => ({
      name: server.name,
      url: server.url,
      token,
      caPem: server.caPem,
    })),
  );
  return { dir, path, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface KubectlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export const KUBECTL = '/usr/bin/kubectl';

/** Runs kubectl with its own discovery cache dir and HOME, killed after timeoutMs. */
export function kubectl(
  kubeconfig: string,
  cacheDir: string,
  args: string[],
  options: { timeoutMs?: number; stdin?: string } = {},
): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      KUBECTL,
      ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, '--request-timeout=10s', ...args],
      {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cacheDir },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 15_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.stdin ?? '');
  });
}

/** Starts a long-running kubectl (e.g. get -w) and lets the test read its output as it comes. */
export function kubectlStream(
  kubeconfig: string,
  cacheDir: string,
  args: string[],
): {
  child: ChildProcess;
  output: () => string;
  waitForOutput: (re: RegExp, timeoutMs?: number) => Promise<string>;
  stop: () => void;
} {
  const child = spawn(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cacheDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const hardStop = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return {
    child,
    output: () => out,
    waitForOutput: (re, timeoutMs = 8000) =>
      new Promise((resolve, reject) => {
        const started = Date.now();
        const poll = setInterval(() => {
          if (re.test(out)) {
            clearInterval(poll);
            resolve(out);
          } else if (Date.now() - started > timeoutMs) {
            clearInterval(poll);
            reject(
              new Error(
                `kubectl ${args.join(' ')}: no ${String(re)} in ${timeoutMs}ms; output: ${out}`,
              ),
            );
          }
        }, 25);
      }),
    stop: () => {
      clearTimeout(hardStop);
      child.kill('SIGKILL');
    },
  };
}
