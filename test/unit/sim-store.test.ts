import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock';
import { MemoryClusterStore } from '../../src/sim/apiserver/memory-store';
import { defineCrd } from '../../src/sim/apiserver/crds/index';
import type { KubeObject, StoreEvent } from '../../src/sim/store';
import { R, StoreError } from '../../src/sim/store';

function deployment(
  name: string,
  namespace = 'default',
  extra: Partial<KubeObject> = {},
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
      },
    },
    ...extra,
  };
}

function configMap(
  name: string,
  namespace = 'default',
  labels: Record<string, string> = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, labels },
    data: { a: '1' },
  };
}

function thrown(fn: () => unknown): StoreError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StoreError) return err;
    throw err;
  }
  throw new Error('expected a StoreError');
}

describe('MemoryClusterStore', () => {
  it('assigns uid, resourceVersion, creationTimestamp (from the clock) and generation', () => {
    const clock = new ManualClock(Date.parse('2026-03-01T10:00:00.500Z'));
    const store = new MemoryClusterStore({ clock });
    const created = store.create(R.deployments, deployment('web'));
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata.creationTimestamp).toBe('2026-03-01T10:00:00Z');
    expect(created.metadata.generation).toBe(1);
    expect(Number(created.metadata.resourceVersion)).toBeGreaterThan(0);
    // defaults as kube-apiserver applies them
    expect((created.spec as { strategy: { type: string } }).strategy.type).toBe('RollingUpdate');
    const cm = store.create(R.configmaps, configMap('c'));
    expect(cm.metadata.generation).toBeUndefined();
    expect(Number(cm.metadata.resourceVersion)).toBeGreaterThan(
      Number(created.metadata.resourceVersion),
    );
  });

  it('requires the namespace to exist and rejects duplicates and bad names', () => {
    const store = new MemoryClusterStore();
    const missing = thrown(() => store.create(R.configmaps, configMap('c', 'nope')));
    expect(missing.status).toBe(404);
    expect(missing.message).toBe('namespaces "nope" not found');
    store.create(R.configmaps, configMap('c'));
    const dup = thrown(() => store.create(R.configmaps, configMap('c')));
    expect(dup.status).toBe(409);
    expect(dup.reason).toBe('AlreadyExists');
    expect(dup.message).toBe('configmaps "c" already exists');
    expect(thrown(() => store.create(R.configmaps, configMap('Bad_Name'))).status).toBe(422);
  });

  it('generates names from generateName', () => {
    const store = new MemoryClusterStore();
    const o = store.create(R.configmaps, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: '', generateName: 'web-', namespace: 'default' },
    });
    expect(o.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
  });

  it('409s a stale resourceVersion with the Kubernetes message', () => {
    const store = new MemoryClusterStore();
    const v1 = store.create(R.deployments, deployment('web'));
    store.update(R.deployments, {
      ...v1,
      metadata: { ...v1.metadata, labels: { app: 'web', x: 'y' } },
    });
    const err = thrown(() => store.update(R.deployments, v1));
    expect(err.status).toBe(409);
    expect(err.reason).toBe('Conflict');
    expect(err.message).toBe(
      'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  it('keeps status on update and bumps generation only on spec changes', () => {
    const store = new MemoryClusterStore();
    store.create(R.deployments, deployment('web'));
    const withStatus = store.mutate(
      R.deployments,
      'default',
      'web',
      (d) => (d.status = { readyReplicas: 1 }),
      { status: true },
    );
    expect(withStatus?.metadata.generation).toBe(1);
    expect(withStatus?.status).toEqual({ readyReplicas: 1 });

    const current = store.get(R.deployments, 'default', 'web')!;
    const put = store.update(R.deployments, {
      ...current,
      status: { readyReplicas: 99 },
      metadata: { ...current.metadata, labels: { app: 'web', l: '1' } },
    });
    expect(put.status).toEqual({ readyReplicas: 1 });
    expect(put.metadata.generation).toBe(1);

    const scaled = store.mutate(
      R.deployments,
      'default',
      'web',
      (d) => ((d.spec as { replicas: number }).replicas = 3),
    );
    expect(scaled?.metadata.generation).toBe(2);

    const statusOnly = store.updateStatus(R.deployments, {
      ...scaled!,
      spec: { replicas: 10 },
      status: { readyReplicas: 3 },
    });
    expect((statusOnly.spec as { replicas: number }).replicas).toBe(3);
    expect(statusOnly.status).toEqual({ readyReplicas: 3 });
    expect(statusOnly.metadata.generation).toBe(2);
  });

  it('does not bump resourceVersion for a no-op write', () => {
    const store = new MemoryClusterStore();
    const created = store.create(R.configmaps, configMap('c'));
    const again = store.update(R.configmaps, created);
    expect(again.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
  });

  it('bumps generation of custom resources on spec change, not on status', () => {
    const store = new MemoryClusterStore();
    store.create(R.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'test' } });
    const c = store.create(R.canaries, {
      apiVersion: 'flagger.app/v1beta1',
      kind: 'Canary',
      metadata: { name: 'podinfo', namespace: 'test' },
      spec: {
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
        analysis: { interval: '1m' },
      },
    });
    expect(c.metadata.generation).toBe(1);
    const s = store.updateStatus(R.canaries, { ...c, status: { phase: 'Initialized' } });
    expect(s.metadata.generation).toBe(1);
    const u = store.update(R.canaries, { ...s, spec: { ...(s.spec as object), suspend: true } });
    expect(u.metadata.generation).toBe(2);
    expect(u.status).toEqual({ phase: 'Initialized' });
  });

  it('garbage-collects dependents in the background, orphans on request, and keeps objects with other owners', () => {
    const store = new MemoryClusterStore();
    const d = store.create(R.deployments, deployment('web'));
    const owner = (o: KubeObject) => ({
      apiVersion: o.apiVersion,
      kind: o.kind,
      name: o.metadata.name,
      uid: o.metadata.uid!,
      controller: true,
    });
    const rs = store.create(R.replicasets, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web-1', namespace: 'default', ownerReferences: [owner(d)] },
      spec: { replicas: 1 },
    });
    store.create(R.pods, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-1-a', namespace: 'default', ownerReferences: [owner(rs)] },
      spec: { containers: [{ name: 'app', image: 'x:1' }] },
    });
    const other = store.create(R.configmaps, configMap('other'));
    store.create(R.configmaps, {
      ...configMap('shared'),
      metadata: { name: 'shared', namespace: 'default', ownerReferences: [owner(d), owner(other)] },
    });

    store.delete(R.deployments, 'default', 'web');
    expect(store.get(R.replicasets, 'default', 'web-1')).toBeUndefined();
    expect(store.get(R.pods, 'default', 'web-1-a')).toBeUndefined();
    expect(
      store.get(R.configmaps, 'default', 'shared')?.metadata.ownerReferences?.map((o) => o.name),
    ).toEqual(['other']);

    const d2 = store.create(R.deployments, deployment('api'));
    store.create(R.replicasets, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'api-1', namespace: 'default', ownerReferences: [owner(d2)] },
    });
    store.delete(R.deployments, 'default', 'api', { propagationPolicy: 'Orphan' });
    const orphan = store.get(R.replicasets, 'default', 'api-1');
    expect(orphan).toBeDefined();
    expect(orphan?.metadata.ownerReferences).toBeUndefined();
  });

  it('keeps an object with finalizers until they are removed', () => {
    const store = new MemoryClusterStore();
    store.create(R.configmaps, {
      ...configMap('c'),
      metadata: { name: 'c', namespace: 'default', finalizers: ['example.com/hold'] },
    });
    const marked = store.delete(R.configmaps, 'default', 'c');
    expect(marked?.metadata.deletionTimestamp).toBeDefined();
    expect(store.get(R.configmaps, 'default', 'c')?.metadata.deletionTimestamp).toBeDefined();
    store.mutate(R.configmaps, 'default', 'c', (o) => (o.metadata.finalizers = []));
    expect(store.get(R.configmaps, 'default', 'c')).toBeUndefined();
  });

  it('deletes a namespace with its content, and refuses new content meanwhile', () => {
    const store = new MemoryClusterStore();
    store.create(R.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
    store.create(R.configmaps, configMap('a', 'team'));
    store.create(R.configmaps, {
      ...configMap('held', 'team'),
      metadata: { name: 'held', namespace: 'team', finalizers: ['x/y'] },
    });
    store.delete(R.namespaces, undefined, 'team');
    expect(store.get(R.configmaps, 'team', 'a')).toBeUndefined();
    expect(store.get(R.namespaces, undefined, 'team')?.status).toEqual({ phase: 'Terminating' });
    expect(() => store.create(R.configmaps, configMap('b', 'team'))).toThrow(/being terminated/);
    store.mutate(R.configmaps, 'team', 'held', (o) => delete o.metadata.finalizers);
    expect(store.get(R.namespaces, undefined, 'team')).toBeUndefined();
  });

  it('lists with label and field selectors', () => {
    const store = new MemoryClusterStore();
    store.create(R.configmaps, configMap('a', 'default', { app: 'web', tier: 'front' }));
    store.create(R.configmaps, configMap('b', 'default', { app: 'web', tier: 'back' }));
    store.create(R.configmaps, configMap('c', 'default', { app: 'db' }));
    const names = (sel: { labelSelector?: string; fieldSelector?: string }) =>
      store
        .list(R.configmaps, 'default', sel)
        .map((o) => o.metadata.name)
        .filter((n) => n.length === 1);
    expect(names({ labelSelector: 'app=web' })).toEqual(['a', 'b']);
    expect(names({ labelSelector: 'app==web,tier!=back' })).toEqual(['a']);
    expect(names({ labelSelector: 'tier in (front, back)' })).toEqual(['a', 'b']);
    expect(names({ labelSelector: 'app notin (web)' })).toEqual(['c']);
    expect(names({ labelSelector: 'tier' })).toEqual(['a', 'b']);
    expect(names({ labelSelector: '!tier,app' })).toEqual(['c']);
    expect(names({ fieldSelector: 'metadata.name=b' })).toEqual(['b']);
    expect(names({ fieldSelector: 'metadata.name!=b,metadata.namespace=default' })).toEqual([
      'a',
      'c',
    ]);
    store.create(R.pods, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'default' },
      spec: { nodeName: 'n1', containers: [] },
    });
    expect(
      store.list(R.pods, undefined, { fieldSelector: 'spec.nodeName=n1,status.phase=Pending' }),
    ).toHaveLength(1);
    expect(() => store.list(R.pods, undefined, { labelSelector: 'a in b' })).toThrow(StoreError);
  });

  it('pages lists with limit and continue', () => {
    const store = new MemoryClusterStore();
    for (let i = 0; i < 5; i++) store.create(R.configmaps, configMap(`cm-${i}`, 'kube-public'));
    const first = store.listPage(R.configmaps, 'kube-public', { limit: 2 });
    expect(first.items.map((o) => o.metadata.name)).toEqual(['cm-0', 'cm-1']);
    expect(first.remainingItemCount).toBe(3);
    const second = store.listPage(R.configmaps, 'kube-public', {
      limit: 2,
      continue: first.continue!,
    });
    expect(second.items.map((o) => o.metadata.name)).toEqual(['cm-2', 'cm-3']);
    const last = store.listPage(R.configmaps, 'kube-public', {
      limit: 2,
      continue: second.continue!,
    });
    expect(last.items.map((o) => o.metadata.name)).toEqual(['cm-4']);
    expect(last.continue).toBeUndefined();
  });

  it('replays changes since a resourceVersion and answers 410 Gone when it is too old', () => {
    const store = new MemoryClusterStore({ changeWindow: 10 });
    const start = Number(store.resourceVersion);
    store.create(R.configmaps, configMap('x'));
    expect(store.changesSince(start).map((c) => c.type)).toEqual(['ADDED']);
    for (let i = 0; i < 30; i++) store.create(R.configmaps, configMap(`n-${i}`));
    const err = thrown(() => store.changesSince(start));
    expect(err.status).toBe(410);
    expect(err.message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
  });

  it('delivers nested writes to subscribers in order', () => {
    const store = new MemoryClusterStore();
    const seen: string[] = [];
    store.subscribe((e: StoreEvent) => {
      seen.push(`${e.type}:${e.object.metadata.name}`);
      if (e.object.metadata.name === 'first') store.create(R.configmaps, configMap('second'));
    });
    const other: string[] = [];
    store.subscribe((e) => other.push(`${e.type}:${e.object.metadata.name}`));
    store.create(R.configmaps, configMap('first'));
    expect(seen).toEqual(['ADDED:first', 'ADDED:second']);
    expect(other).toEqual(['ADDED:first', 'ADDED:second']);
  });

  it('serves a new CRD at once and forgets its objects when it is deleted', () => {
    const store = new MemoryClusterStore();
    const widgets = { group: 'example.com', resource: 'widgets' };
    expect(() =>
      store.create(widgets, {
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'w', namespace: 'default' },
      }),
    ).toThrow(StoreError);
    store.create(
      R.crds,
      defineCrd({
        group: 'example.com',
        kind: 'Widget',
        plural: 'widgets',
        versions: ['v1'],
        status: true,
      }),
    );
    expect(store.resources.get(widgets)?.status).toBe(true);
    store.create(widgets, {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w', namespace: 'default' },
    });
    expect(store.list(widgets)).toHaveLength(1);
    const crd = store.get(R.crds, undefined, 'widgets.example.com');
    expect(
      (crd?.status as { conditions: { type: string; status: string }[] }).conditions.find(
        (c) => c.type === 'Established',
      )?.status,
    ).toBe('True');
    store.delete(R.crds, undefined, 'widgets.example.com');
    expect(store.resources.get(widgets)).toBeUndefined();
    expect(store.list(widgets)).toEqual([]);
  });

  it('snapshots and restores, expiring old watch positions', () => {
    const store = new MemoryClusterStore();
    store.create(
      R.crds,
      defineCrd({ group: 'example.com', kind: 'Widget', plural: 'widgets', versions: ['v1'] }),
    );
    store.create(R.configmaps, configMap('keep'));
    const rv = Number(store.resourceVersion);
    const snap = JSON.parse(JSON.stringify(store.snapshot())) as ReturnType<
      MemoryClusterStore['snapshot']
    >;
    const restored = new MemoryClusterStore();
    restored.restore(snap);
    expect(restored.get(R.configmaps, 'default', 'keep')?.data).toEqual({ a: '1' });
    expect(restored.resources.get({ group: 'example.com', resource: 'widgets' })).toBeDefined();
    expect(restored.resourceVersion).toBe(String(rv));
    expect(thrown(() => restored.changesSince(rv - 1)).status).toBe(410);
    const next = restored.create(R.configmaps, configMap('new'));
    expect(Number(next.metadata.resourceVersion)).toBe(rv + 1);
  });
});
