/**
 * The playground API server over real HTTPS: REST semantics, watch, subresources, proxy,
 * CRDs, Table output, faults, and @kubernetes/client-node used unchanged against it.
 */
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  Watch,
  makeInformer,
} from '@kubernetes/client-node';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningClusterApiServer } from '../../src/sim/apiserver/index';
import {
  MemoryClusterStore,
  defineCrd,
  kubeconfigYaml,
  startClusterApiServer,
} from '../../src/sim/apiserver/index';
import { R } from '../../src/sim/store';
import { openWatch, request } from './sim-apiserver.helpers';

const TOKEN = 'test-token';
let server: RunningClusterApiServer;
const call = (path: string, options: Parameters<typeof request>[3] = {}) =>
  request(server, TOKEN, path, options);

function deployment(name: string, namespace = 'default', replicas = 1) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: name, image: 'ghcr.io/stefanprodan/podinfo:6.0.0' }] },
      },
    },
  };
}

type Obj = {
  metadata: {
    name: string;
    resourceVersion: string;
    uid: string;
    generation?: number;
    labels?: Record<string, string>;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
};

beforeAll(async () => {
  // A small change window so the 410 test does not need thousands of writes.
  server = await startClusterApiServer({
    name: 'staging',
    token: TOKEN,
    store: new MemoryClusterStore({ changeWindow: 50 }),
    bookmarkIntervalMs: 200,
  });
});

afterAll(async () => {
  await server.close();
});

describe('playground API server: REST', () => {
  it('answers 401 like kube-apiserver to a missing or wrong token, and serves /version anonymously', async () => {
    for (const token of [null, 'wrong']) {
      const res = await call('/api/v1/namespaces', { token });
      expect(res.status).toBe(401);
      expect(res.json()).toMatchObject({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        reason: 'Unauthorized',
        code: 401,
      });
    }
    const version = await call('/version', { token: null });
    expect(version.json()).toMatchObject({
      major: '1',
      minor: '32',
      gitVersion: 'v1.32.4-aviary-playground',
    });
  });

  it('serves discovery with short names, categories and subresources', async () => {
    const core = (await call('/api/v1')).json<{
      resources: { name: string; shortNames?: string[]; namespaced: boolean }[];
    }>();
    expect(core.resources.find((r) => r.name === 'services')?.shortNames).toEqual(['svc']);
    expect(core.resources.some((r) => r.name === 'services/proxy')).toBe(true);
    const apps = (await call('/apis/apps/v1')).json<{
      resources: {
        name: string;
        shortNames?: string[];
        categories?: string[];
        kind: string;
        group?: string;
      }[];
    }>();
    const deploy = apps.resources.find((r) => r.name === 'deployments');
    expect(deploy).toMatchObject({
      shortNames: ['deploy'],
      categories: ['all'],
      kind: 'Deployment',
    });
    expect(apps.resources.find((r) => r.name === 'deployments/scale')).toMatchObject({
      group: 'autoscaling',
      kind: 'Scale',
    });
    expect(apps.resources.some((r) => r.name === 'deployments/status')).toBe(true);
    const groups = (await call('/apis')).json<{
      groups: { name: string; preferredVersion: { version: string } }[];
    }>();
    expect(groups.groups.find((g) => g.name === 'flagger.app')?.preferredVersion.version).toBe(
      'v1beta1',
    );
    expect((await call('/apis/flagger.app/v1alpha3')).status).toBe(200);
  });

  it('creates, reads, replaces and deletes, with Kubernetes Status errors', async () => {
    const created = await call('/apis/apps/v1/namespaces/default/deployments', {
      method: 'POST',
      body: deployment('crud'),
    });
    expect(created.status).toBe(201);
    const obj = created.json<Obj>();
    expect(obj.metadata.generation).toBe(1);

    const dup = await call('/apis/apps/v1/namespaces/default/deployments', {
      method: 'POST',
      body: deployment('crud'),
    });
    expect(dup.status).toBe(409);
    expect(dup.json()).toMatchObject({
      reason: 'AlreadyExists',
      details: { name: 'crud', group: 'apps', kind: 'deployments' },
      code: 409,
    });

    const got = await call('/apis/apps/v1/namespaces/default/deployments/crud');
    expect(got.json<Obj>().metadata.uid).toBe(obj.metadata.uid);

    const replaced = await call('/apis/apps/v1/namespaces/default/deployments/crud', {
      method: 'PUT',
      body: { ...obj, spec: { ...obj.spec, replicas: 2 } },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.json<Obj>().metadata.generation).toBe(2);

    const stale = await call('/apis/apps/v1/namespaces/default/deployments/crud', {
      method: 'PUT',
      body: obj,
    });
    expect(stale.status).toBe(409);
    expect(stale.json()).toMatchObject({
      reason: 'Conflict',
      message: expect.stringContaining('the object has been modified'),
    });

    const dry = await call('/apis/apps/v1/namespaces/default/deployments/crud?dryRun=All', {
      method: 'DELETE',
    });
    expect(dry.status).toBe(200);
    expect((await call('/apis/apps/v1/namespaces/default/deployments/crud')).status).toBe(200);

    const deleted = await call('/apis/apps/v1/namespaces/default/deployments/crud', {
      method: 'DELETE',
      body: { propagationPolicy: 'Background' },
    });
    expect(deleted.json()).toMatchObject({
      kind: 'Status',
      status: 'Success',
      details: { name: 'crud', kind: 'deployments' },
    });
    const missing = await call('/apis/apps/v1/namespaces/default/deployments/crud');
    expect(missing.status).toBe(404);
    expect(missing.json()).toMatchObject({
      reason: 'NotFound',
      message: 'deployments.apps "crud" not found',
      code: 404,
    });

    const noNs = await call('/api/v1/namespaces/ghost/configmaps', {
      method: 'POST',
      body: { metadata: { name: 'x' } },
    });
    expect(noNs.status).toBe(404);
    expect(noNs.json()).toMatchObject({ message: 'namespaces "ghost" not found' });
  });

  it('lists with label and field selectors and pages with limit/continue', async () => {
    for (let i = 0; i < 5; i++) {
      await call('/api/v1/namespaces/default/configmaps', {
        method: 'POST',
        body: {
          metadata: {
            name: `page-${i}`,
            labels: { suite: 'paging', parity: i % 2 ? 'odd' : 'even' },
          },
          data: {},
        },
      });
    }
    const even = (
      await call(
        '/api/v1/namespaces/default/configmaps?labelSelector=suite%3Dpaging,parity%20in%20(even)',
      )
    ).json<{ items: Obj[] }>();
    expect(even.items.map((o) => o.metadata.name)).toEqual(['page-0', 'page-2', 'page-4']);
    const byName = (await call('/api/v1/configmaps?fieldSelector=metadata.name%3Dpage-3')).json<{
      items: Obj[];
    }>();
    expect(byName.items.map((o) => o.metadata.name)).toEqual(['page-3']);

    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const res = (
        await call(
          `/api/v1/namespaces/default/configmaps?labelSelector=suite%3Dpaging&limit=2${token ? `&continue=${token}` : ''}`,
        )
      ).json<{ items: Obj[]; metadata: { continue?: string } }>();
      names.push(...res.items.map((o) => o.metadata.name));
      token = res.metadata.continue;
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(names).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
  });

  it('keeps status on PUT, writes only status through /status, without bumping generation', async () => {
    await call('/apis/apps/v1/namespaces/default/deployments', {
      method: 'POST',
      body: deployment('status-demo'),
    });
    const cur = (
      await call('/apis/apps/v1/namespaces/default/deployments/status-demo')
    ).json<Obj>();
    const withStatus = await call(
      '/apis/apps/v1/namespaces/default/deployments/status-demo/status',
      {
        method: 'PUT',
        body: {
          ...cur,
          spec: { ...cur.spec, replicas: 7 },
          status: { replicas: 1, readyReplicas: 1 },
        },
      },
    );
    const s = withStatus.json<Obj>();
    expect(s.status).toEqual({ replicas: 1, readyReplicas: 1 });
    expect(s.spec?.replicas).toBe(1);
    expect(s.metadata.generation).toBe(1);

    const put = await call('/apis/apps/v1/namespaces/default/deployments/status-demo', {
      method: 'PUT',
      body: { ...s, status: { replicas: 99 } },
    });
    expect(put.json<Obj>().status).toEqual({ replicas: 1, readyReplicas: 1 });

    const patched = await call('/apis/apps/v1/namespaces/default/deployments/status-demo/status', {
      method: 'PATCH',
      contentType: 'application/merge-patch+json',
      body: { status: { observedGeneration: 1 } },
    });
    expect(patched.json<Obj>().status).toEqual({
      replicas: 1,
      readyReplicas: 1,
      observedGeneration: 1,
    });
  });

  it('serves the scale subresource as autoscaling/v1 Scale', async () => {
    await call('/apis/apps/v1/namespaces/default/deployments', {
      method: 'POST',
      body: deployment('scaled', 'default', 2),
    });
    const scale = (await call('/apis/apps/v1/namespaces/default/deployments/scaled/scale')).json();
    expect(scale).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 2 },
      status: { replicas: 0, selector: 'app=scaled' },
    });
    const patched = await call('/apis/apps/v1/namespaces/default/deployments/scaled/scale', {
      method: 'PATCH',
      contentType: 'application/merge-patch+json',
      body: { spec: { replicas: 5 } },
    });
    expect(patched.json()).toMatchObject({ spec: { replicas: 5 } });
    const put = await call('/apis/apps/v1/namespaces/default/deployments/scaled/scale', {
      method: 'PUT',
      body: {
        kind: 'Scale',
        apiVersion: 'autoscaling/v1',
        metadata: { name: 'scaled' },
        spec: { replicas: 4 },
      },
    });
    expect(put.json()).toMatchObject({ spec: { replicas: 4 } });
    const d = (await call('/apis/apps/v1/namespaces/default/deployments/scaled')).json<Obj>();
    expect(d.spec?.replicas).toBe(4);
    expect(d.metadata.generation).toBe(3);
  });

  it('applies merge, JSON and strategic merge patches; refuses strategic patches on custom resources', async () => {
    await call('/apis/apps/v1/namespaces/default/deployments', {
      method: 'POST',
      body: deployment('patchy'),
    });
    const smp = await call('/apis/apps/v1/namespaces/default/deployments/patchy', {
      method: 'PATCH',
      contentType: 'application/strategic-merge-patch+json',
      body: {
        spec: {
          template: {
            spec: { containers: [{ name: 'patchy', image: 'ghcr.io/stefanprodan/podinfo:6.0.1' }] },
          },
        },
      },
    });
    const containers = (
      smp.json<Obj>().spec as {
        template: {
          spec: { containers: { name: string; image: string; imagePullPolicy: string }[] };
        };
      }
    ).template.spec.containers;
    expect(containers).toHaveLength(1);
    expect(containers[0]).toMatchObject({
      image: 'ghcr.io/stefanprodan/podinfo:6.0.1',
      imagePullPolicy: 'IfNotPresent',
    });
    const json = await call('/apis/apps/v1/namespaces/default/deployments/patchy', {
      method: 'PATCH',
      contentType: 'application/json-patch+json',
      body: [{ op: 'add', path: '/metadata/labels/team', value: 'blue' }],
    });
    expect(json.json<Obj>().metadata.labels).toEqual({ app: 'patchy', team: 'blue' });
    await call('/apis/flagger.app/v1beta1/namespaces/default/canaries', {
      method: 'POST',
      body: {
        apiVersion: 'flagger.app/v1beta1',
        kind: 'Canary',
        metadata: { name: 'patchy' },
        spec: { targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'patchy' } },
      },
    });
    const refused = await call('/apis/flagger.app/v1beta1/namespaces/default/canaries/patchy', {
      method: 'PATCH',
      contentType: 'application/strategic-merge-patch+json',
      body: { spec: { suspend: true } },
    });
    expect(refused.status).toBe(415);
  });

  it('garbage-collects owned objects when the owner is deleted', async () => {
    const owner = (
      await call('/apis/apps/v1/namespaces/default/deployments', {
        method: 'POST',
        body: deployment('gc-owner'),
      })
    ).json<Obj>();
    const ref = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'gc-owner',
      uid: owner.metadata.uid,
      controller: true,
      blockOwnerDeletion: true,
    };
    await call('/apis/apps/v1/namespaces/default/replicasets', {
      method: 'POST',
      body: {
        metadata: { name: 'gc-owner-abc', ownerReferences: [ref] },
        spec: {
          selector: { matchLabels: { app: 'gc-owner' } },
          template: {
            metadata: { labels: { app: 'gc-owner' } },
            spec: { containers: [{ name: 'c', image: 'x:1' }] },
          },
        },
      },
    });
    await call('/apis/apps/v1/namespaces/default/deployments/gc-owner', {
      method: 'DELETE',
      body: { propagationPolicy: 'Background' },
    });
    expect((await call('/apis/apps/v1/namespaces/default/replicasets/gc-owner-abc')).status).toBe(
      404,
    );
  });

  it('serves core/v1 events by involvedObject field selectors, and the same events via events.k8s.io/v1', async () => {
    const event = {
      metadata: { name: 'podinfo.1' },
      involvedObject: { kind: 'Deployment', namespace: 'default', name: 'podinfo', uid: 'u-1' },
      reason: 'ScalingReplicaSet',
      message: 'Scaled up replica set podinfo-abc to 1',
      type: 'Normal',
      source: { component: 'deployment-controller' },
      firstTimestamp: '2026-01-01T00:00:00Z',
      lastTimestamp: '2026-01-01T00:00:00Z',
      count: 1,
    };
    expect(
      (await call('/api/v1/namespaces/default/events', { method: 'POST', body: event })).status,
    ).toBe(201);
    const q =
      'fieldSelector=involvedObject.name%3Dpodinfo,involvedObject.namespace%3Ddefault,involvedObject.uid%3Du-1';
    const core = (await call(`/api/v1/namespaces/default/events?${q}`)).json<{
      items: { reason: string }[];
    }>();
    expect(core.items.map((e) => e.reason)).toEqual(['ScalingReplicaSet']);
    const v1 = (
      await call(
        '/apis/events.k8s.io/v1/namespaces/default/events?fieldSelector=regarding.name%3Dpodinfo',
      )
    ).json<{ items: { note: string; regarding: { name: string } }[] }>();
    expect(v1.items[0]).toMatchObject({
      note: 'Scaled up replica set podinfo-abc to 1',
      regarding: { name: 'podinfo' },
    });
  });

  it('makes a new CRD served at once (discovery, CRUD, Table columns)', async () => {
    const crd = defineCrd({
      group: 'example.com',
      kind: 'Widget',
      plural: 'widgets',
      shortNames: ['wd'],
      versions: ['v1'],
      status: true,
      printerColumns: [{ name: 'Color', type: 'string', jsonPath: '.spec.color' }],
    });
    expect((await call('/apis/example.com/v1')).status).toBe(404);
    expect(
      (
        await call('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
          method: 'POST',
          body: crd,
        })
      ).status,
    ).toBe(201);
    const discovery = (await call('/apis/example.com/v1')).json<{
      resources: { name: string; shortNames?: string[] }[];
    }>();
    expect(discovery.resources.find((r) => r.name === 'widgets')?.shortNames).toEqual(['wd']);
    const created = await call('/apis/example.com/v1/namespaces/default/widgets', {
      method: 'POST',
      body: {
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'w1' },
        spec: { color: 'blue' },
      },
    });
    expect(created.status).toBe(201);
    const table = (
      await call('/apis/example.com/v1/namespaces/default/widgets', {
        accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
      })
    ).json<{ kind: string; columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] }>();
    expect(table.kind).toBe('Table');
    expect(table.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Color']);
    expect(table.rows[0]?.cells).toEqual(['w1', 'blue']);
  });

  it('renders Tables with Flagger printer columns and built-in columns', async () => {
    const accept =
      'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
    await call('/apis/flagger.app/v1beta1/namespaces/default/canaries', {
      method: 'POST',
      body: {
        apiVersion: 'flagger.app/v1beta1',
        kind: 'Canary',
        metadata: { name: 'table' },
        spec: { analysis: { interval: '1m', stepWeights: [10, 20] } },
      },
    });
    server.store.mutate(
      R.canaries,
      'default',
      'table',
      (c) =>
        (c.status = {
          phase: 'Progressing',
          canaryWeight: 10,
          failedChecks: 0,
          lastTransitionTime: '2026-01-01T00:00:00Z',
        }),
      { status: true },
    );
    const t = (
      await call('/apis/flagger.app/v1beta1/namespaces/default/canaries/table', { accept })
    ).json<{
      columnDefinitions: { name: string; priority: number }[];
      rows: { cells: unknown[]; object: { kind: string; metadata: { name: string } } }[];
    }>();
    expect(t.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name)).toEqual([
      'Name',
      'Status',
      'Weight',
      'LastTransitionTime',
    ]);
    expect(t.columnDefinitions.map((c) => c.name)).toContain('MaxWeight');
    const cells = Object.fromEntries(
      t.columnDefinitions.map((c, i) => [c.name, t.rows[0]?.cells[i]]),
    );
    expect(cells).toMatchObject({
      Name: 'table',
      Status: 'Progressing',
      Weight: '10',
      FailedChecks: '0',
      Interval: '1m',
      StepWeights: '[10,20]',
      LastTransitionTime: '2026-01-01T00:00:00Z',
      Suspended: null,
    });
    expect(t.rows[0]?.object).toMatchObject({
      kind: 'PartialObjectMetadata',
      metadata: { name: 'table' },
    });

    await call('/apis/apps/v1/namespaces/default/deployments', {
      method: 'POST',
      body: deployment('tabled', 'default', 3),
    });
    const d = (
      await call(
        '/apis/apps/v1/namespaces/default/deployments?fieldSelector=metadata.name%3Dtabled',
        { accept },
      )
    ).json<{
      columnDefinitions: { name: string; priority: number }[];
      rows: { cells: unknown[] }[];
    }>();
    expect(d.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name)).toEqual([
      'Name',
      'Ready',
      'Up-to-date',
      'Available',
      'Age',
    ]);
    expect(d.rows[0]?.cells.slice(0, 4)).toEqual(['tabled', '0/3', 0, 0]);
  });
});

describe('playground API server: watch', () => {
  it('streams changes, resumes from a resourceVersion, and filters by selector', async () => {
    const list = (await call('/api/v1/namespaces/default/configmaps')).json<{
      metadata: { resourceVersion: string };
    }>();
    const watch = await openWatch(
      server,
      TOKEN,
      `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${list.metadata.resourceVersion}&labelSelector=w%3D1`,
    );
    await call('/api/v1/namespaces/default/configmaps', {
      method: 'POST',
      body: { metadata: { name: 'w-a', labels: { w: '1' } } },
    });
    await call('/api/v1/namespaces/default/configmaps', {
      method: 'POST',
      body: { metadata: { name: 'w-ignored', labels: { w: '2' } } },
    });
    const added = await watch.waitFor((e) => e.type === 'ADDED');
    expect((added.object.metadata as { name: string }).name).toBe('w-a');
    // Relabelling out of the selector looks like a deletion to this watch.
    await call('/api/v1/namespaces/default/configmaps/w-a', {
      method: 'PATCH',
      contentType: 'application/merge-patch+json',
      body: { metadata: { labels: { w: '2' } } },
    });
    await watch.waitFor((e) => e.type === 'DELETED');
    watch.close();

    // Resuming from the ADDED event's resourceVersion replays what came after it.
    const rv = (added.object.metadata as { resourceVersion: string }).resourceVersion;
    const resumed = await openWatch(
      server,
      TOKEN,
      `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}`,
    );
    const replay = await resumed.waitFor(
      (e) => e.type === 'ADDED' && (e.object.metadata as { name: string }).name === 'w-ignored',
    );
    expect(replay).toBeDefined();
    await resumed.waitFor((e) => e.type === 'MODIFIED');
    resumed.close();
  });

  it('answers a too-old resourceVersion with a 410 Expired ERROR event', async () => {
    const old = (await call('/api/v1/namespaces/default/configmaps')).json<{
      metadata: { resourceVersion: string };
    }>().metadata.resourceVersion;
    for (let i = 0; i < 80; i++)
      server.store.create(R.configmaps, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `churn-${i}`, namespace: 'kube-system' },
      });
    const watch = await openWatch(
      server,
      TOKEN,
      `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${old}`,
    );
    const error = await watch.waitFor((e) => e.type === 'ERROR');
    expect(error.object).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Expired',
      code: 410,
      message: expect.stringMatching(/^too old resource version/),
    });
    await watch.ended;
  });

  it('sends bookmarks, honours timeoutSeconds, and can be dropped by a fault', async () => {
    const timed = await openWatch(
      server,
      TOKEN,
      '/apis/apps/v1/deployments?watch=1&allowWatchBookmarks=true&timeoutSeconds=1',
    );
    await timed.waitFor((e) => e.type === 'BOOKMARK', 3000);
    await timed.ended;
    const dropped = await openWatch(server, TOKEN, '/apis/apps/v1/deployments?watch=1');
    expect(server.faults.dropWatches()).toBeGreaterThanOrEqual(1);
    await dropped.ended;
  });
});

describe('playground API server: proxy and faults', () => {
  it('sends service proxy requests to the handler, and 503s without one', async () => {
    await call('/api/v1/namespaces/default/services', {
      method: 'POST',
      body: { metadata: { name: 'loadtester' }, spec: { ports: [{ port: 80 }] } },
    });
    const none = await call('/api/v1/namespaces/default/services/loadtester:80/proxy/healthz');
    expect(none.status).toBe(503);
    expect(none.json()).toMatchObject({ reason: 'ServiceUnavailable', code: 503 });
    server.setServiceProxy(async (req) => ({
      status: 202,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        got: `${req.method} ${req.namespace}/${req.service}:${req.port}${req.path}?${req.query}`,
        body: req.body.toString(),
        auth: req.headers.authorization ?? null,
      }),
    }));
    const res = await call(
      '/api/v1/namespaces/default/services/loadtester:80/proxy/api/v1/query?q=up',
      { method: 'POST', body: '{"cmd":"hey"}' },
    );
    expect(res.status).toBe(202);
    expect(res.json()).toEqual({
      got: 'POST default/loadtester:80/api/v1/query?q=up',
      body: '{"cmd":"hey"}',
      auth: null,
    });
    expect((await call('/api/v1/namespaces/default/services/nope/proxy/')).status).toBe(404);
    server.setServiceProxy(undefined);
  });

  it('injects errors, latency and conflicts, and goes unreachable and back', async () => {
    server.faults.setErrors({ rate: 1, status: 503, path: '/api/v1/namespaces/kube-public' });
    expect((await call('/api/v1/namespaces/kube-public/configmaps')).status).toBe(503);
    expect((await call('/api/v1/namespaces/default/configmaps')).status).toBe(200);
    server.faults.setErrors(undefined);

    server.faults.setLatency(150);
    const started = Date.now();
    await call('/api/v1/namespaces');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    server.faults.setLatency(0);

    server.faults.setConflicts(1);
    const conflicted = await call('/apis/apps/v1/namespaces/default/deployments/patchy', {
      method: 'PATCH',
      contentType: 'application/merge-patch+json',
      body: { metadata: { labels: { x: 'y' } } },
    });
    expect(conflicted.status).toBe(409);
    server.faults.setConflicts(0);

    await server.faults.setUnreachable(true);
    try {
      // A pooled keep-alive connection may see the reset; a new connection is refused.
      await expect(call('/version', { timeoutMs: 1000 })).rejects.toThrow(
        /ECONNREFUSED|socket hang up|ECONNRESET/,
      );
      await expect(call('/version', { timeoutMs: 1000 })).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await server.faults.setUnreachable(false);
    }
    expect((await call('/version')).status).toBe(200);
  });
});

describe('playground API server: @kubernetes/client-node', () => {
  function kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromString(
      kubeconfigYaml([{ name: server.name, url: server.url, token: TOKEN, caPem: server.caPem }]),
    );
    return kc;
  }

  it('works with the typed APIs', async () => {
    const kc = kubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const namespaces = await core.listNamespace();
    expect(namespaces.items.map((n) => n.metadata?.name)).toContain('kube-system');
    await core.createNamespace({ body: { metadata: { name: 'client-node' } } });
    await apps.createNamespacedDeployment({
      namespace: 'client-node',
      body: deployment('cn', 'client-node'),
    });
    const d = await apps.readNamespacedDeployment({ namespace: 'client-node', name: 'cn' });
    expect(d.spec?.replicas).toBe(1);
    await apps.patchNamespacedDeploymentScale({
      namespace: 'client-node',
      name: 'cn',
      body: [{ op: 'replace', path: '/spec/replicas', value: 2 }],
    });
    expect(
      (await apps.readNamespacedDeployment({ namespace: 'client-node', name: 'cn' })).spec
        ?.replicas,
    ).toBe(2);
    const c = await custom.createNamespacedCustomObject({
      group: 'flagger.app',
      version: 'v1beta1',
      namespace: 'client-node',
      plural: 'canaries',
      body: {
        apiVersion: 'flagger.app/v1beta1',
        kind: 'Canary',
        metadata: { name: 'cn' },
        spec: { targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'cn' } },
      },
    });
    expect((c as { metadata: { generation: number } }).metadata.generation).toBe(1);
    await custom.patchNamespacedCustomObjectStatus({
      group: 'flagger.app',
      version: 'v1beta1',
      namespace: 'client-node',
      plural: 'canaries',
      name: 'cn',
      body: [{ op: 'add', path: '/status', value: { phase: 'Initialized' } }],
    });
    const read = (await custom.getNamespacedCustomObject({
      group: 'flagger.app',
      version: 'v1beta1',
      namespace: 'client-node',
      plural: 'canaries',
      name: 'cn',
    })) as { status: { phase: string } };
    expect(read.status.phase).toBe('Initialized');
    await expect(
      apps.readNamespacedDeployment({ namespace: 'client-node', name: 'missing' }),
    ).rejects.toMatchObject({ code: 404 });
  });

  it('works with Watch and makeInformer', async () => {
    const kc = kubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer<V1ConfigMap>(
      kc,
      '/api/v1/namespaces/kube-public/configmaps',
      () => core.listNamespacedConfigMap({ namespace: 'kube-public' }),
    );
    const added: string[] = [];
    informer.on('add', (o) => added.push(o.metadata?.name ?? ''));
    await informer.start();
    const seenByWatch = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no watch event')), 5000);
      void new Watch(kc)
        .watch(
          '/api/v1/namespaces/kube-public/configmaps',
          { resourceVersion: server.store.resourceVersion },
          (phase, obj: { metadata: { name: string } }) => {
            if (phase === 'ADDED' && obj.metadata.name === 'informed') {
              clearTimeout(timer);
              resolve(phase);
            }
          },
          () => {},
        )
        .then((abort) => seenByWatch.finally(() => abort.abort()));
    });
    await new Promise((r) => setTimeout(r, 100));
    await core.createNamespacedConfigMap({
      namespace: 'kube-public',
      body: { metadata: { name: 'informed' } },
    });
    expect(await seenByWatch).toBe('ADDED');
    const deadline = Date.now() + 5000;
    while (!informer.get('informed', 'kube-public') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 25));
    expect(informer.get('informed', 'kube-public')?.metadata?.name).toBe('informed');
    expect(added).toContain('informed');
    await informer.stop();
  });
});
