/**
 * What every e2e file needs: the launcher (`src/cli/start.ts --web`) as a child process
 * whose one URL line we wait for, and Debian's Chromium driven by playwright-core.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium, type Browser, type Page } from 'playwright-core';

export const root = resolve(import.meta.dirname, '../..');
export const results = join(root, 'test-results');

export interface Launcher {
  url: string;
  child: ChildProcess;
  stderr: string[];
  stop(): Promise<void>;
}

/** Starts `start.ts --web --no-open ...args` and resolves once it prints its URL. */
export function startLauncher(args: string[], env: NodeJS.ProcessEnv): Promise<Launcher> {
  const child = spawn(
    process.execPath,
    [
      join(root, 'node_modules/tsx/dist/cli.mjs'),
      'src/cli/start.ts',
      '--web',
      '--no-open',
      ...args,
    ],
    { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((done) => setTimeout(done, 8000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  return new Promise((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`no URL from the launcher:\n${stderr.join('')}`)),
      90_000,
    );
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /^Aviary web mode: (http:\/\/127\.0\.0\.1:\d+\/#token=\S+)$/.exec(line);
      if (match?.[1]) {
        clearTimeout(timer);
        done({ url: match[1], child, stderr, stop });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`the launcher exited with ${code}:\n${stderr.join('')}`));
    });
  });
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--headless=new',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Page errors and console errors, collected for an assertion at the end. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  return errors;
}

export const contextRow = (page: Page, name: string) =>
  page.locator(`[role="option"][data-context-id="${name}"]`);
