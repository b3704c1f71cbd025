/**
 * The playground as a user runs it: `npm run playground` as a separate process, then
 * kubectl against the kubeconfig it wrote — the commands of Flagger's tutorials — a
 * query through the in-cluster Prometheus service, faults typed on stdin, and a restart
 * that keeps the clusters.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
let dir: string;
let kubeconfig: string;
let playground: ChildProcessWithoutNullStreams | undefined;
const stderrLines: string[] = [];

async function startPlayground(): Promise<ChildProcessWithoutNullStreams> {
  const child = spawn(
    process.execPath,
    [
      join(root, 'node_modules/tsx/dist/cli.mjs'),
      join(root, 'src/sim/cli.ts'),
      '--clusters',
      '2',
      '--kubeconfig-out',
      kubeconfig,
      '--state',
      join(dir, 'state'),
      '--prometheus',
      'builtin',
    ],
    { cwd: root, stdio: 'pipe' },
  );
  createInterface({ input: child.stderr }).on('line', (line) => stderrLines.push(line));
  await new Promise<void>((resolvePromise, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`playground did not start:\n${stderrLines.join('\n')}`)),
      45_000,
    );
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line === `playground ready: ${kubeconfig}`) {
        clearTimeout(timer);
        resolvePromise();
      }
    });
    child.once('exit', (code) =>
      reject(new Error(`playground exited with ${code}:\n${stderrLines.join('\n')}`)),
    );
  });
  return child;
}

async function stopPlayground(): Promise<void> {
  const child = playground;
  playground = undefined;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
}

function kubectl(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(
    'kubectl',
    ['--kubeconfig', kubeconfig, '--request-timeout=5s', ...args],
    {
      encoding: 'utf8',
      timeout: 30_000,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
    },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function ok(...args: string[]): string {
  const result = kubectl(...args);
  if (result.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** Sends a fault command and waits for the playground's answer line. */
async function fault(command: string, expected: RegExp): Promise<void> {
  const before = stderrLines.length;
  playground!.stdin.write(`${command}\n`);
  await expect
    .poll(() => stderrLines.slice(before).some((l) => expected.test(l)), { timeout: 5000 })
    .toBe(true);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aviary-playground-'));
  kubeconfig = join(dir, 'kubeconfig.yaml');
  playground = await startPlayground();
});

afterAll(async () => {
  playground?.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

describe('npm run playground', () => {
  it('writes one context per cluster that kubectl uses unchanged', () => {
    expect(ok('config', 'get-contexts', '-o', 'name').trim().split('\n').sort()).toEqual([
      'playground-eu',
      'playground-staging',
    ]);
    const namespaces = ok('--context', 'playground-staging', 'get', 'ns', '-o', 'name');
    expect(namespaces).toContain('namespace/test');
    expect(namespaces).toContain('namespace/monitoring');
  });

  it('serves the default scenario and Flagger tutorials apply unchanged', () => {
    expect(ok('--context', 'playground-staging', 'get', 'canaries', '-A')).toMatch(
      /NAMESPACE\s+NAME\s+STATUS\s+WEIGHT/,
    );
    expect(
      ok('--context', 'playground-eu', 'get', 'canaries', '-n', 'shop', '-o', 'name'),
    ).toContain('canary.flagger.app/storefront');
    ok('--context', 'playground-eu', 'apply', '-f', join(root, 'test/fixtures/podinfo.yaml'));
    expect(
      ok(
        '--context',
        'playground-eu',
        'get',
        'canary',
        'podinfo',
        '-n',
        'test',
        '-o',
        'jsonpath={.spec.targetRef.name}',
      ),
    ).toBe('podinfo');
    ok(
      '--context',
      'playground-eu',
      '-n',
      'test',
      'rollout',
      'status',
      'deploy/podinfo',
      '--timeout=30s',
    );
    ok(
      '--context',
      'playground-eu',
      '-n',
      'test',
      'set',
      'image',
      'deploy/podinfo',
      'podinfod=ghcr.io/stefanprodan/podinfo:6.0.1',
    );
    expect(
      ok(
        '--context',
        'playground-eu',
        '-n',
        'test',
        'rollout',
        'status',
        'deploy/podinfo',
        '--timeout=30s',
      ),
    ).toContain('successfully rolled out');
  });

  it('answers PromQL through the in-cluster Prometheus service', async () => {
    const path =
      '/api/v1/namespaces/monitoring/services/prometheus:9090/proxy/api/v1/query?query=' +
      encodeURIComponent(
        'sum(nginx_ingress_controller_requests{namespace="frontend",ingress="web"}) > 0',
      );
    // Background traffic flows from the start; the first scrapes land within a few seconds.
    await expect
      .poll(
        () =>
          JSON.parse(ok('--context', 'playground-staging', 'get', '--raw', path)).data.result
            .length,
        {
          timeout: 20_000,
          interval: 1000,
        },
      )
      .toBe(1);
    await fault('prometheus staging down', /Prometheus down/);
    expect(kubectl('--context', 'playground-staging', 'get', '--raw', path).status).not.toBe(0);
    await fault('prometheus staging up', /Prometheus up/);
  });

  it('takes faults on stdin: an unreachable cluster, then back', async () => {
    await fault('unreachable eu on', /eu: unreachable/);
    const down = kubectl('--context', 'playground-eu', 'get', 'ns');
    expect(down.status).not.toBe(0);
    expect(down.stderr).toMatch(/refused|unable to connect|timeout/i);
    // The other cluster is not affected.
    expect(kubectl('--context', 'playground-staging', 'get', 'ns').status).toBe(0);
    await fault('unreachable eu off', /eu: reachable again/);
    expect(kubectl('--context', 'playground-eu', 'get', 'ns').status).toBe(0);
  });

  it('keeps the clusters across a restart with --state', async () => {
    ok('--context', 'playground-eu', 'create', 'namespace', 'kept-across-restart');
    await stopPlayground();
    playground = await startPlayground();
    expect(ok('--context', 'playground-eu', 'get', 'ns', 'kept-across-restart', '-o', 'name')).toBe(
      'namespace/kept-across-restart\n',
    );
    expect(
      ok(
        '--context',
        'playground-eu',
        '-n',
        'test',
        'get',
        'deploy',
        'podinfo',
        '-o',
        'jsonpath={.spec.template.spec.containers[0].image}',
      ),
    ).toBe('ghcr.io/stefanprodan/podinfo:6.0.1');
    await stopPlayground();
  });
});
