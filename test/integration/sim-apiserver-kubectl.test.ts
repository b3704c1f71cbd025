/**
 * kubectl 1.32, unchanged, against the playground API server: the commands people use on
 * a Flagger cluster, each bounded by a timeout.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningClusterApiServer } from '../../src/sim/apiserver/index';
import { startClusterApiServer } from '../../src/sim/apiserver/index';
import { R } from '../../src/sim/store';
import { KUBECTL, kubectl, kubectlStream, tempKubeconfig } from './sim-apiserver.helpers';

const TOKEN = 'kubectl-token';
const FIXTURE = join(import.meta.dirname, '../fixtures/podinfo.yaml');
let server: RunningClusterApiServer;
let eu: RunningClusterApiServer;
let config: Awaited<ReturnType<typeof tempKubeconfig>>;

const run = async (...args: string[]) => {
  const result = await kubectl(config.path, join(config.dir, 'cache'), args);
  if (result.code !== 0)
    throw new Error(
      `kubectl ${args.join(' ')} failed (${String(result.code)}): ${result.stderr}${result.stdout}`,
    );
  return result.stdout;
};

/** What the Deployment controller (another part of the playground) would write once pods are ready. */
function markRolledOut(namespace: string, name: string): void {
  server.store.mutate(
    R.deployments,
    namespace,
    name,
    (d) => {
      const replicas = (d.spec as { replicas: number }).replicas;
      d.status = {
        observedGeneration: d.metadata.generation,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
        conditions: [
          {
            type: 'Available',
            status: 'True',
            reason: 'MinimumReplicasAvailable',
            message: 'Deployment has minimum availability.',
          },
          {
            type: 'Progressing',
            status: 'True',
            reason: 'NewReplicaSetAvailable',
            message: `ReplicaSet "${name}-abc" has successfully progressed.`,
          },
        ],
      };
    },
    { status: true },
  );
}

describe.skipIf(!existsSync(KUBECTL))('kubectl against the playground API server', () => {
  beforeAll(async () => {
    [server, eu] = await Promise.all([
      startClusterApiServer({ name: 'staging', token: TOKEN }),
      startClusterApiServer({ name: 'eu', token: 'eu-token' }),
    ]);
    config = await tempKubeconfig([
      { server, token: TOKEN },
      { server: eu, token: 'eu-token' },
    ]);
  });

  afterAll(async () => {
    await Promise.all([server?.close(), eu?.close()]);
    await config?.cleanup();
  });

  it('reads namespaces and api-resources, on each context', async () => {
    const ns = await run('get', 'ns');
    expect(ns).toMatch(/^NAME\s+STATUS\s+AGE/);
    expect(ns).toMatch(/kube-system\s+Active/);
    const resources = await run('api-resources');
    expect(resources).toMatch(/deployments\s+deploy\s+apps\/v1\s+true\s+Deployment/);
    expect(resources).toMatch(/canaries\s+flagger\.app\/v1beta1\s+true\s+Canary/);
    const nodes = await run('--context', 'playground-eu', 'get', 'nodes');
    expect(nodes).toMatch(/eu-node-1\s+Ready\s+control-plane/);
    expect(await run('auth', 'can-i', 'create', 'deployments')).toBe('yes\n');
  });

  it('creates namespaces, configmaps and secrets with kubectl create (protobuf bodies)', async () => {
    expect(await run('create', 'ns', 'scratch')).toContain('namespace/scratch created');
    await run('-n', 'scratch', 'create', 'configmap', 'cfg', '--from-literal=a=b');
    await run('-n', 'scratch', 'create', 'secret', 'generic', 'pw', '--from-literal=pw=hunter2');
    expect(server.store.get(R.configmaps, 'scratch', 'cfg')?.data).toEqual({ a: 'b' });
    expect(server.store.get(R.secrets, 'scratch', 'pw')?.data).toEqual({
      pw: Buffer.from('hunter2').toString('base64'),
    });
    expect(await run('-n', 'scratch', 'get', 'sa')).toMatch(/^default\s+0\s+\d+s$/m);
  });

  it('applies the podinfo Deployment and Canary, shows Flagger columns, and re-applies unchanged', async () => {
    const applied = await run('apply', '-f', FIXTURE);
    expect(applied).toContain('deployment.apps/podinfo created');
    expect(applied).toContain('canary.flagger.app/podinfo created');
    server.store.mutate(
      R.canaries,
      'test',
      'podinfo',
      (c) =>
        (c.status = {
          phase: 'Progressing',
          canaryWeight: 10,
          failedChecks: 0,
          lastTransitionTime: '2026-01-01T00:00:00Z',
        }),
      { status: true },
    );
    const canaries = await run('get', 'canaries', '-A');
    expect(canaries.split('\n')[0]).toMatch(
      /^NAMESPACE\s+NAME\s+STATUS\s+WEIGHT\s+LASTTRANSITIONTIME$/,
    );
    expect(canaries).toMatch(/test\s+podinfo\s+Progressing\s+10\s+2026-01-01T00:00:00Z/);
    const wide = await run('get', 'canary', '-n', 'test', '-o', 'wide');
    expect(wide.split('\n')[0]).toMatch(/STEPWEIGHT\s+STEPWEIGHTS\s+MAXWEIGHT/);
    const again = await run('apply', '-f', FIXTURE);
    expect(again).toContain('deployment.apps/podinfo unchanged');
    expect(again).toContain('canary.flagger.app/podinfo unchanged');
  });

  it('sets the image, scales and patches (strategic, merge, json)', async () => {
    expect(
      await run(
        '-n',
        'test',
        'set',
        'image',
        'deploy/podinfo',
        'podinfod=ghcr.io/stefanprodan/podinfo:6.0.1',
      ),
    ).toContain('image updated');
    expect(await run('-n', 'test', 'scale', 'deploy/podinfo', '--replicas=3')).toContain('scaled');
    await run(
      '-n',
      'test',
      'patch',
      'deploy',
      'podinfo',
      '-p',
      '{"spec":{"template":{"spec":{"containers":[{"name":"podinfod","env":[{"name":"EXTRA","value":"1"}]}]}}}}',
    );
    await run(
      '-n',
      'test',
      'patch',
      'deploy',
      'podinfo',
      '--type',
      'merge',
      '-p',
      '{"metadata":{"labels":{"team":"checkout"}}}',
    );
    await run(
      '-n',
      'test',
      'patch',
      'canary',
      'podinfo',
      '--type',
      'json',
      '-p',
      '[{"op":"replace","path":"/spec/analysis/stepWeight","value":20}]',
    );
    const d = server.store.get(R.deployments, 'test', 'podinfo');
    const container = (
      d?.spec as {
        template: { spec: { containers: { image: string; env: { name: string }[] }[] } };
      }
    ).template.spec.containers[0];
    expect(container?.image).toBe('ghcr.io/stefanprodan/podinfo:6.0.1');
    expect(container?.env.map((e) => e.name)).toEqual(['PODINFO_UI_COLOR', 'EXTRA']);
    expect((d?.spec as { replicas: number }).replicas).toBe(3);
    expect(d?.metadata.labels).toMatchObject({ app: 'podinfo', team: 'checkout' });
    expect(d?.metadata.generation).toBe(4);
    const c = server.store.get(R.canaries, 'test', 'podinfo');
    expect((c?.spec as { analysis: { stepWeight: number } }).analysis.stepWeight).toBe(20);
    const jsonpath = await run(
      '-n',
      'test',
      'get',
      'deploy',
      'podinfo',
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image}',
    );
    expect(jsonpath).toBe('ghcr.io/stefanprodan/podinfo:6.0.1');
  });

  it('describes the deployment and its events', async () => {
    const d = server.store.get(R.deployments, 'test', 'podinfo');
    server.store.create(R.events, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'podinfo.17a', namespace: 'test' },
      involvedObject: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'podinfo',
        namespace: 'test',
        uid: d?.metadata.uid,
      },
      reason: 'ScalingReplicaSet',
      message: 'Scaled up replica set podinfo-abc to 3',
      type: 'Normal',
      source: { component: 'deployment-controller' },
      firstTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      lastTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      count: 1,
    });
    const out = await run('-n', 'test', 'describe', 'deploy/podinfo');
    expect(out).toMatch(/Replicas:\s+3 desired/);
    expect(out).toMatch(/Image:\s+ghcr\.io\/stefanprodan\/podinfo:6\.0\.1/);
    expect(out).toMatch(
      /Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled up replica set podinfo-abc to 3/,
    );
    expect(await run('-n', 'test', 'describe', 'canary', 'podinfo')).toMatch(/Kind:\s+Canary/);
  });

  it('watches deployments with get -w and prints an update', async () => {
    const watch = kubectlStream(config.path, join(config.dir, 'cache'), [
      '-n',
      'test',
      'get',
      'deploy',
      '-w',
    ]);
    try {
      await watch.waitForOutput(/podinfo\s+0\/3/);
      server.store.mutate(
        R.deployments,
        'test',
        'podinfo',
        (d) => ((d.spec as { replicas: number }).replicas = 4),
      );
      const out = await watch.waitForOutput(/podinfo\s+0\/4/);
      expect(out.match(/^NAME\s+READY/gm)).toHaveLength(1);
    } finally {
      watch.stop();
    }
  });

  it('waits in rollout status until the deployment is rolled out', async () => {
    const rollout = kubectlStream(config.path, join(config.dir, 'cache'), [
      '-n',
      'test',
      'rollout',
      'status',
      'deploy/podinfo',
      '--timeout=20s',
    ]);
    try {
      // No Deployment controller here: kubectl waits for the spec update to be observed.
      await rollout.waitForOutput(/Waiting for deployment/);
      markRolledOut('test', 'podinfo');
      await rollout.waitForOutput(/deployment "podinfo" successfully rolled out/);
    } finally {
      rollout.stop();
    }
  });

  it('applies server-side and with dry-run', async () => {
    const cm =
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: test\ndata:\n  a: "1"\n';
    const dry = await kubectl(
      config.path,
      join(config.dir, 'cache'),
      ['apply', '--dry-run=server', '-f', '-'],
      { stdin: cm },
    );
    expect(dry.stdout).toContain('configmap/ssa created (server dry run)');
    expect(server.store.get(R.configmaps, 'test', 'ssa')).toBeUndefined();
    const ssa = await kubectl(
      config.path,
      join(config.dir, 'cache'),
      ['apply', '--server-side', '-f', '-'],
      { stdin: cm },
    );
    expect(ssa.stdout).toContain('configmap/ssa serverside-applied');
    expect(server.store.get(R.configmaps, 'test', 'ssa')?.data).toEqual({ a: '1' });
  });

  it('deletes (with garbage collection) and deletes namespaces', async () => {
    expect(await run('-n', 'test', 'delete', 'canary', 'podinfo')).toContain(
      'canary.flagger.app "podinfo" deleted',
    );
    expect(await run('-n', 'test', 'delete', 'deploy', 'podinfo')).toContain(
      'deployment.apps "podinfo" deleted',
    );
    const missing = await kubectl(config.path, join(config.dir, 'cache'), [
      '-n',
      'test',
      'get',
      'deploy',
      'podinfo',
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(
      'Error from server (NotFound): deployments.apps "podinfo" not found',
    );
    expect(await run('delete', 'ns', 'test')).toContain('namespace "test" deleted');
    expect(server.store.get(R.namespaces, undefined, 'test')).toBeUndefined();
  });
});
