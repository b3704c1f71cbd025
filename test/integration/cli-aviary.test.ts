/**
 * `npm run aviary` as a CI job runs it: the playground as its own process (20× faster), then
 * `aviary status`, `aviary run --json`, releases with kubectl, and `aviary wait` reaching a
 * verdict, each a separate process. The engine runs at the playground's speed (--speed 20).
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const TSX = join(root, 'node_modules/tsx/dist/cli.mjs');
const SPEED = '20';
let dir: string;
let kubeconfig: string;
/** The same cluster under a context name that is not the playground's: a "real" cluster. */
let realKubeconfig: string;
let env: NodeJS.ProcessEnv;
const children = new Set<ChildProcessWithoutNullStreams>();

interface Running {
  child: ChildProcessWithoutNullStreams;
  out: string[];
  err: string[];
  /** Resolves with the first stdout line matching, or rejects after timeoutMs. */
  line(match: (line: string) => boolean, timeoutMs: number): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

function start(program: string, args: string[]): Running {
  const child = spawn(process.execPath, [TSX, program, ...args], { cwd: root, env, stdio: 'pipe' });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const out: string[] = [];
  const err: string[] = [];
  const waiters = new Set<(line: string) => void>();
  createInterface({ input: child.stdout }).on('line', (line) => {
    out.push(line);
    for (const w of [...waiters]) w(line);
  });
  createInterface({ input: child.stderr }).on('line', (line) => err.push(line));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    out,
    err,
    line(match, timeoutMs) {
      const seen = out.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolvePromise, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `no matching line within ${timeoutMs} ms:\n${out.join('\n')}\n--- stderr\n${err.join('\n')}`,
            ),
          );
        }, timeoutMs);
        const check = (line: string): void => {
          if (!match(line)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolvePromise(line);
        };
        waiters.add(check);
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** One aviary command to its end. */
async function aviary(
  args: string[],
  timeoutMs = 60_000,
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const began = Date.now();
  const running = start(join(root, 'src/cli/aviary.ts'), args);
  const timer = setTimeout(() => running.child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((r) => running.child.once('exit', (c) => r(c)));
  clearTimeout(timer);
  // Let readline deliver the last lines.
  await new Promise((r) => setImmediate(r));
  return {
    code,
    stdout: running.out.join('\n'),
    stderr: running.err.join('\n'),
    ms: Date.now() - began,
  };
}

function kubectl(...args: string[]): string {
  const result = spawnSync(
    'kubectl',
    ['--kubeconfig', kubeconfig, '--request-timeout=5s', ...args],
    {
      encoding: 'utf8',
      timeout: 30_000,
      env,
    },
  );
  if (result.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

const playgroundArgs = (): string[] => ['--playground', kubeconfig, '--speed', SPEED];
const json = (line: string): Record<string, unknown> => JSON.parse(line) as Record<string, unknown>;

let engine: Running | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aviary-cli-'));
  kubeconfig = join(dir, 'kubeconfig.yaml');
  realKubeconfig = join(dir, 'real.yaml');
  // No $KUBECONFIG, and a HOME without ~/.kube/config: only the files the tests name.
  env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir };
  const playground = start(join(root, 'src/sim/cli.ts'), [
    '--clusters',
    '1',
    '--kubeconfig-out',
    kubeconfig,
    '--prometheus',
    'builtin',
    '--speed',
    SPEED,
  ]);
  await playground.line((l) => l === `playground ready: ${kubeconfig}`, 45_000);
  const text = await readFile(kubeconfig, 'utf8');
  await writeFile(realKubeconfig, text.replaceAll('playground-staging', 'real-staging'), {
    mode: 0o600,
  });
}, 60_000);

afterAll(async () => {
  await Promise.all(
    [...children].map(
      (c) =>
        new Promise<void>((r) => {
          if (c.exitCode !== null) return r();
          c.once('exit', () => r());
          c.kill('SIGTERM');
          setTimeout(() => c.kill('SIGKILL'), 5_000).unref();
        }),
    ),
  );
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('npm run aviary', () => {
  it('explains itself and refuses bad input with exit 2', async () => {
    const [help, runHelp, missing, unknownContext, badRef, unknownFlag] = await Promise.all([
      aviary(['--help']),
      aviary(['run', '--help']),
      aviary(['status', '--kubeconfig', join(dir, 'nope.yaml')]),
      aviary(['status', '--playground', kubeconfig, '--context', 'nope']),
      aviary(['wait', 'podinfo', '--playground', kubeconfig]),
      aviary(['status', '--frobnicate']),
    ]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Commands:\n\s+run .*\n\s+status .*\n\s+wait /);
    expect(runHelp.code).toBe(0);
    expect(runHelp.stdout).toContain('--control');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`kubeconfig ${join(dir, 'nope.yaml')}: no such file`);
    expect(unknownContext.code).toBe(2);
    expect(unknownContext.stderr).toContain(
      '--context nope: no such context (known contexts: playground-staging)',
    );
    expect(badRef.code).toBe(2);
    expect(badRef.stderr).toContain('NAME.NAMESPACE');
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.stderr).toContain('unknown option --frobnicate');
  });

  it('status lists the scenario canaries like kubectl get canaries -A, with a context column', async () => {
    const all = await aviary(['status', ...playgroundArgs(), '-A']);
    expect(all.code, all.stderr).toBe(0);
    const [header, ...rows] = all.stdout.split('\n');
    expect(header?.split(/\s+/)).toEqual([
      'CONTEXT',
      'NAMESPACE',
      'NAME',
      'STATUS',
      'WEIGHT',
      'FAILEDCHECKS',
      'LASTTRANSITIONTIME',
    ]);
    expect(rows.map((r) => r.split(/\s+/).slice(0, 3))).toEqual([
      ['playground-staging', 'frontend', 'web'],
      ['playground-staging', 'test', 'podinfo'],
    ]);
    // kubectl's default: the context's own namespace ("default" here), which has none.
    const own = await aviary(['status', ...playgroundArgs()]);
    expect(own.code).toBe(0);
    expect(own.stdout).toBe('');
    expect(own.stderr).toContain('No canaries found');
    const inTest = await aviary(['status', ...playgroundArgs(), '-n', 'test', '--json']);
    const parsed = JSON.parse(inTest.stdout) as {
      items: { key: string }[];
      contexts: { context: string; state: string }[];
    };
    expect(parsed.items.map((i) => i.key)).toEqual(['playground-staging/test/podinfo']);
    expect(parsed.contexts).toEqual([{ context: 'playground-staging', state: 'connected' }]);
  });

  it('run --json drives the playground and prints Flagger-style JSON lines', async () => {
    engine = start(join(root, 'src/cli/aviary.ts'), ['run', ...playgroundArgs(), '--json']);
    const control = await engine.line((l) => json(l).control === 'controlling', 30_000);
    expect(json(control)).toMatchObject({
      level: 'info',
      context: 'playground-staging',
      msg: expect.stringMatching(/^controlling \(lease held by .+\/aviary-[0-9a-f]{8}\)$/),
    });
    const done = await engine.line(
      (l) => json(l).msg === 'Initialization done! podinfo.test',
      30_000,
    );
    expect(json(done)).toMatchObject({
      level: 'info',
      ts: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      canary: 'podinfo.test',
      context: 'playground-staging',
      seq: expect.any(Number),
    });
    // Every stdout line is one JSON object.
    for (const line of engine.out) expect(() => json(line)).not.toThrow();
  });

  it('wait returns at once for a canary already terminal with nothing pending', async () => {
    const result = await aviary(['wait', 'podinfo.test', '--playground', kubeconfig]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('podinfo.test on playground-staging: Initialized');
  });

  it('wait exits 0 once a released version is promoted (watching the run engine)', async () => {
    kubectl(
      '-n',
      'test',
      'set',
      'image',
      'deploy/podinfo',
      'podinfod=ghcr.io/stefanprodan/podinfo:6.0.1',
    );
    const result = await aviary([
      'wait',
      'podinfo.test',
      '--playground',
      kubeconfig,
      '--timeout',
      '60s',
    ]);
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toBe('podinfo.test on playground-staging: Succeeded');
    await engine!.line(
      (l) => json(l).msg === 'Promotion completed! Scaling down podinfo.test',
      5_000,
    );
    const status = await aviary(['status', ...playgroundArgs(), '-n', 'test']);
    const row = status.stdout.split('\n')[1]?.split(/\s+/) ?? [];
    expect(row.slice(0, 5)).toEqual(['playground-staging', 'test', 'podinfo', 'Succeeded', '0']);
    // As in Flagger, a Succeeded canary keeps the failed checks of its analysis (a first step
    // with no traffic yet halts once on "no values found").
    expect(row[5]).toMatch(/^[0-4]$/);
  });

  it('a non-playground context is observed unless --control, and waits for the Lease', async () => {
    const observed = start(join(root, 'src/cli/aviary.ts'), [
      'run',
      '--kubeconfig',
      realKubeconfig,
      '--speed',
      SPEED,
    ]);
    const controlled = start(join(root, 'src/cli/aviary.ts'), [
      'run',
      '--kubeconfig',
      realKubeconfig,
      '--control',
      'real-staging',
      '--speed',
      SPEED,
    ]);
    const line = /^\S+ info real-staging - (.*)$/;
    const a = await observed.line((l) => /^observing/.test(line.exec(l)?.[1] ?? ''), 30_000);
    expect(a).toMatch(
      / info real-staging - observing \(control is off; --control real-staging drives it\)$/,
    );
    // The engine of `run` above holds this cluster's Lease: a second controller stands by.
    const b = await controlled.line((l) => /^standby/.test(line.exec(l)?.[1] ?? ''), 30_000);
    const holder = /controlling \(lease held by (.+)\)/.exec(
      String(json(engine!.out.find((l) => json(l).control === 'controlling') ?? '{}').msg),
    )?.[1];
    expect(b).toContain(`standby: held by ${holder}`);
    expect(await observed.stop('SIGINT')).toBe(0);
    expect(await controlled.stop('SIGTERM')).toBe(0);
    expect(controlled.err.at(-1)).toBe('aviary run: stopped');
  });

  it('run stops on SIGTERM and releases the Lease', async () => {
    expect(await engine!.stop('SIGTERM')).toBe(0);
    expect(engine!.err).toContain('aviary run: stopped');
    const holder = kubectl(
      '-n',
      'kube-system',
      'get',
      'lease',
      'aviary-controller',
      '-o',
      'jsonpath={.spec.holderIdentity}',
    );
    expect(holder).toBe('');
  });

  it('a failing release: wait alone times out (nobody drives), wait --control exits 1 with the reason', async () => {
    kubectl(
      '-n',
      'test',
      'patch',
      'deploy',
      'podinfo',
      '--type',
      'merge',
      '-p',
      '{"spec":{"template":{"metadata":{"annotations":{"playground.aviary.dev/error-rate":"0.6"}}}}}',
    );
    // Succeeded is the previous release's verdict: the new revision is pending, so no answer.
    const idle = await aviary([
      'wait',
      'podinfo.test',
      '--playground',
      kubeconfig,
      '--timeout',
      '2s',
    ]);
    expect(idle.code).toBe(2);
    expect(idle.stderr).toContain('Succeeded for its previous revision');
    expect(idle.stderr).toContain('timed out after 2s');

    const driven = await aviary([
      'wait',
      'podinfo.test',
      ...playgroundArgs(),
      '--control',
      'all',
      '--timeout',
      '60s',
    ]);
    expect(driven.code, `${driven.stdout}\n${driven.stderr}`).toBe(1);
    const [verdict, halt] = driven.stdout.split('\n');
    expect(verdict).toBe(
      'podinfo.test on playground-staging: Failed: Rolling back podinfo.test failed checks threshold reached 5',
    );
    // A release answering 60 % 500s fails the success-rate check, and often the pre-rollout
    // acceptance test too (its curl hits the canary): the last halt is either. On a loaded
    // machine the check can also run before Prometheus has scraped the canary's first
    // requests, which Flagger counts as a failed check too ("no values found").
    expect(halt).toMatch(
      /^ {2}last halt: Halt (podinfo\.test advancement (success rate [\d.]+% < 99%|pre-rollout check acceptance-test failed .+)|advancement no values found for nginx metric request-success-rate probably podinfo\.test is not receiving traffic: .+)$/,
    );
    // The engine's log for the canary went to stderr, as `run` prints it.
    expect(driven.stderr).toMatch(
      / info playground-staging podinfo\.test Canary failed! Scaling down podinfo\.test/,
    );
  });
});
