/**
 * The engine's way to a cluster over real HTTPS against the playground API server:
 * discovery-driven CRUD (built-ins, Flagger Canaries, CRDs created at runtime), errors,
 * the service proxy, watches (resume, relist on 410 Gone), the request budget, the
 * per-cluster lease and Flagger detection.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { KubeApiError, type KubeObject, type WatchEventType } from '../../src/core/kube/api';
import { createClusterClient, type ClusterClient } from '../../src/core/kube/cluster-client';
import { detectInClusterFlagger } from '../../src/core/kube/flagger-detect';
import { ClusterLease, type LeaseState } from '../../src/core/kube/lease';
import { RequestBudget } from '../../src/core/kube/request-budget';
import { ManualClock } from '../../src/shared/clock';
import {
  defineCrd,
  startClusterApiServer,
  writeKubeconfig,
  type RunningClusterApiServer,
} from '../../src/sim/apiserver/index';

const TOKEN = 'aviary-client-test-token-5b1c9e77d2';
const OTHER_TOKEN = 'aviary-client-test-token-other-0a4f';

let dir: string;
let alpha: RunningClusterApiServer;
let beta: RunningClusterApiServer;
const clients: ClusterClient[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aviary-cluster-client-'));
  alpha = await startClusterApiServer({ name: 'alpha', token: TOKEN });
  beta = await startClusterApiServer({ name: 'beta', token: OTHER_TOKEN });
  await writeKubeconfig(path.join(dir, 'config'), [
    { name: 'alpha', url: alpha.url, token: TOKEN, caPem: alpha.caPem },
    { name: 'beta', url: beta.url, token: OTHER_TOKEN, caPem: beta.caPem },
    { name: 'wrong', url: alpha.url, token: 'not-the-token-a8b7c6d5e4', caPem: alpha.caPem },
  ]);
});

afterAll(async () => {
  await alpha?.close();
  await beta?.close();
  await rm(dir, { recursive: true, force: true });
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await alpha.faults.reset();
  await beta.faults.reset();
  alpha.setServiceProxy(undefined);
});

function kubeConfig(cluster: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path.join(dir, 'config'));
  kc.setCurrentContext(`playground-${cluster}`);
  return kc;
}

function client(
  cluster = 'alpha',
  options: Parameters<typeof createClusterClient>[2] = {},
): ClusterClient {
  const c = createClusterClient(`playground-${cluster}`, kubeConfig(cluster), {
    requestTimeoutMs: 3000,
    ...options,
  });
  clients.push(c);
  return c;
}

async function rejection(promise: Promise<unknown>): Promise<KubeApiError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(KubeApiError);
    return err as KubeApiError;
  }
  throw new Error('expected a rejection');
}

function configMap(name: string, data: Record<string, string> = {}, labels = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'default', labels },
    data,
  };
}

const CM = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name });

describe('CRUD through discovery', () => {
  it('creates, reads, lists, replaces, patches and deletes built-ins', async () => {
    const api = client();
    const created = await api.create(configMap('crud-a', { a: '1' }, { app: 'crud' }));
    expect(created.metadata.uid).toBeTruthy();
    await api.create(configMap('crud-b', {}, { app: 'other' }));

    const got = await api.get(CM('crud-a'));
    expect(got).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', data: { a: '1' } });
    expect(await api.get(CM('crud-missing'))).toBeUndefined();

    const listed = await api.list('v1', 'ConfigMap', 'default', { labelSelector: 'app=crud' });
    expect(listed.map((o) => o.metadata.name)).toEqual(['crud-a']);
    // List items come without apiVersion/kind from the server; the client fills them in.
    expect(listed[0]).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap' });
    const byField = await api.list('v1', 'ConfigMap', undefined, {
      fieldSelector: 'metadata.name=crud-b',
    });
    expect(byField.map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'default/crud-b',
    ]);
    const nodes = await api.list('v1', 'Node');
    expect(nodes).toHaveLength(3);

    const replaced = await api.replace({ ...created, data: { a: '2' } });
    expect(replaced.data).toEqual({ a: '2' });
    // The first write moved the resourceVersion on: the same stale copy is now a conflict.
    const stale = await rejection(api.replace({ ...created, data: { a: '3' } }));
    expect(stale).toMatchObject({ status: 409, reason: 'Conflict' });
    expect(stale.message).toMatch(/modified/);

    const patched = await api.mergePatch(CM('crud-a'), { data: { b: 'x' } });
    expect(patched.data).toEqual({ a: '2', b: 'x' });

    const dup = await rejection(api.create(configMap('crud-a')));
    expect(dup).toMatchObject({ status: 409, reason: 'AlreadyExists' });

    await api.delete(CM('crud-a'));
    await api.delete(CM('crud-a')); // idempotent
    expect(await api.get(CM('crud-a'))).toBeUndefined();
  });

  it('drives a Flagger Canary: replaceStatus keeps the spec, replace keeps the status', async () => {
    const api = client();
    const canary = await api.create({
      apiVersion: 'flagger.app/v1beta1',
      kind: 'Canary',
      metadata: { name: 'podinfo', namespace: 'default' },
      spec: {
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
        service: { port: 9898 },
        analysis: { interval: '1m', threshold: 5, maxWeight: 50, stepWeight: 10 },
      },
    });
    const ref = {
      apiVersion: 'flagger.app/v1beta1',
      kind: 'Canary',
      namespace: 'default',
      name: 'podinfo',
    };
    const withStatus = await api.replaceStatus({
      ...canary,
      spec: { changed: 'ignored by /status' },
      status: { phase: 'Progressing', canaryWeight: 10 },
    });
    expect(withStatus.status).toMatchObject({ phase: 'Progressing', canaryWeight: 10 });
    expect(withStatus.spec).toMatchObject({ service: { port: 9898 } });

    const respec = await api.replace({
      ...withStatus,
      spec: { ...canary.spec, skipAnalysis: true },
    });
    expect(respec.status).toMatchObject({ phase: 'Progressing' });

    // A merge patch with status goes to /status as well (the server would drop it otherwise).
    const patched = await api.mergePatch(ref, {
      metadata: { annotations: { 'aviary.dev/note': 'x' } },
      status: { phase: 'Succeeded' },
    });
    expect(patched.status).toMatchObject({ phase: 'Succeeded', canaryWeight: 10 });
    expect((await api.get(ref))?.metadata.annotations).toMatchObject({ 'aviary.dev/note': 'x' });

    const stale = await rejection(api.replaceStatus({ ...canary, status: { phase: 'Failed' } }));
    expect(stale.reason).toBe('Conflict');
    await api.delete(ref);
  });

  it('learns a CRD created at runtime (discovery refresh)', async () => {
    const api = client();
    const widget = {
      apiVersion: 'example.aviary.dev/v1',
      kind: 'Widget',
      metadata: { name: 'w1', namespace: 'default' },
      spec: { size: 3 },
    };
    const before = await rejection(api.create(widget));
    expect(before).toMatchObject({ status: 404, reason: 'NotFound' });
    expect(before.message).toMatch(/Widget/);

    await api.create(
      defineCrd({
        group: 'example.aviary.dev',
        kind: 'Widget',
        plural: 'widgets',
        versions: ['v1'],
        status: true,
      }) as KubeObject,
    );
    await api.create(widget);
    expect(
      (await api.get({ ...widget.metadata, apiVersion: widget.apiVersion, kind: 'Widget' }))?.spec,
    ).toEqual({
      size: 3,
    });
    // A cluster-scoped kind needs no namespace.
    const crds = await api.list('apiextensions.k8s.io/v1', 'CustomResourceDefinition');
    expect(crds.map((c) => c.metadata.name)).toContain('widgets.example.aviary.dev');
  });

  it('maps errors and never shows the token', async () => {
    const api = client('wrong');
    const err = await rejection(api.list('v1', 'ConfigMap', 'default'));
    expect(err).toMatchObject({ status: 401, reason: 'Unauthorized' });
    expect(JSON.stringify([err.message, err.stack])).not.toMatch(/not-the-token|a8b7c6d5e4/);

    alpha.faults.setErrors({ rate: 1, status: 503, path: '/configmaps' });
    const unavailable = await rejection(client().list('v1', 'ConfigMap', 'default'));
    expect(unavailable.reason).toBe('Unavailable');
  });
});

describe('credentials', () => {
  function configFor(cluster: Record<string, unknown>, user: Record<string, unknown>): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: alpha.url, skipTLSVerify: false, ...cluster }],
      users: [{ name: 'u', ...user }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    return kc;
  }

  function use(kc: KubeConfig): ClusterClient {
    const c = createClusterClient('x', kc, { requestTimeoutMs: 3000 });
    clients.push(c);
    return c;
  }

  it('handles insecure-skip-tls-verify, an unknown CA and exec plugins', async () => {
    const skip = use(configFor({ skipTLSVerify: true }, { token: TOKEN }));
    expect(await skip.get(CM('kube-root-ca.crt'))).toBeDefined();

    const noCa = use(configFor({}, { token: TOKEN }));
    const tls = await rejection(noCa.get(CM('kube-root-ca.crt')));
    expect(tls).toMatchObject({ reason: 'Unavailable' });
    expect(tls.message).toMatch(/certificate/);

    const good = path.join(dir, 'good-plugin.sh');
    await writeFile(
      good,
      `#!/bin/sh\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"${TOKEN}"}}'\n`,
      { mode: 0o755 },
    );
    const exec = (command: string) => ({
      exec: { apiVersion: 'client.authentication.k8s.io/v1', command, args: [], env: null },
    });
    const viaPlugin = use(
      configFor({ caData: Buffer.from(alpha.caPem).toString('base64') }, exec(good)),
    );
    expect(await viaPlugin.get(CM('kube-root-ca.crt'))).toBeDefined();

    const bad = path.join(dir, 'bad-plugin.sh');
    await writeFile(bad, `#!/bin/sh\necho "refresh failed for ${TOKEN}" >&2\nexit 1\n`, {
      mode: 0o755,
    });
    const failing = use(configFor({ skipTLSVerify: true }, exec(bad)));
    const err = await rejection(failing.get(CM('kube-root-ca.crt')));
    expect(err.reason).toBe('Unauthorized');
    expect(err.message).toContain('bad-plugin.sh');
    expect(err.message).not.toContain(TOKEN);
  });
});

describe('service proxy', () => {
  it('passes status, headers and body through, both ways', async () => {
    const api = client();
    await api.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'loadtester', namespace: 'default' },
      spec: { ports: [{ name: 'http', port: 80 }] },
    });
    const seen: string[] = [];
    alpha.setServiceProxy(async (req) => {
      seen.push(`${req.method} ${req.scheme}:${req.service}:${req.port} ${req.path}?${req.query}`);
      if (req.path === '/fail') return { status: 500, body: 'gate closed' };
      return {
        status: 202,
        headers: { 'content-type': 'text/plain', 'x-echo': String(req.headers['x-test']) },
        body: `got ${req.body.toString()}`,
      };
    });
    const ok = await api.serviceProxy({
      namespace: 'default',
      service: 'loadtester',
      port: 80,
      method: 'POST',
      path: '/gate/check?name=podinfo',
      headers: { 'Content-Type': 'application/json', 'X-Test': 'yes' },
      body: '{"name":"podinfo"}',
      timeoutMs: 2000,
    });
    expect(ok).toMatchObject({ status: 202, body: 'got {"name":"podinfo"}' });
    expect(ok.headers['x-echo']).toBe('yes');
    // An HTTP error of the service is an answer, not an exception.
    const failed = await api.serviceProxy({
      namespace: 'default',
      service: 'loadtester',
      scheme: 'http',
      port: 'http',
      method: 'GET',
      path: '/fail',
      timeoutMs: 2000,
    });
    expect(failed).toMatchObject({ status: 500, body: 'gate closed' });
    expect(seen).toEqual([
      'POST :loadtester:80 /gate/check?name=podinfo',
      'GET http:loadtester:http /fail?',
    ]);
  });

  it('times out on a service that does not answer', async () => {
    const api = client();
    await api
      .create({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'slow', namespace: 'default' },
        spec: { ports: [{ port: 80 }] },
      })
      .catch(() => undefined);
    alpha.setServiceProxy(() => new Promise(() => undefined));
    const started = Date.now();
    const err = await rejection(
      api.serviceProxy({
        namespace: 'default',
        service: 'slow',
        method: 'GET',
        path: '/',
        timeoutMs: 300,
      }),
    );
    expect(err.reason).toBe('Timeout');
    expect(err.message).toContain('timed out after 300ms');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(api.stats().inflight).toBe(0);
  });
});

describe('watch', () => {
  interface Seen {
    type: WatchEventType;
    name: string;
    value?: string;
  }

  function record(events: Seen[]) {
    return (type: WatchEventType, object: KubeObject) =>
      events.push({
        type,
        name: object.metadata.name,
        value: (object.data as Record<string, string> | undefined)?.v,
      });
  }

  it('lists as ADDED, follows changes, resumes after a drop and relists after 410', async () => {
    const api = client();
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'watched' } };
    await api.create(ns);
    const inNs = (name: string, v: string): KubeObject => ({
      ...configMap(name, { v }),
      metadata: { name, namespace: 'watched', labels: { watch: 'me' } },
    });
    await api.create(inNs('w-a', '1'));
    await api.create(inNs('w-b', '1'));
    const events: Seen[] = [];
    const errors: Error[] = [];
    const stop = api.watch('v1', 'ConfigMap', 'watched', record(events), {
      labelSelector: 'watch=me',
      onError: (e) => errors.push(e),
    });
    await vi.waitFor(() => expect(events).toHaveLength(2), { timeout: 3000 });
    expect(events.map((e) => `${e.type} ${e.name}`).sort()).toEqual(['ADDED w-a', 'ADDED w-b']);

    await api.mergePatch({ ...CM('w-a'), namespace: 'watched' }, { data: { v: '2' } });
    await vi.waitFor(() =>
      expect(events).toContainEqual({ type: 'MODIFIED', name: 'w-a', value: '2' }),
    );

    // A drop: the client resumes from the last resourceVersion, missing nothing.
    expect(alpha.faults.dropWatches()).toBeGreaterThan(0);
    await api.create(inNs('w-c', '1'));
    await vi.waitFor(
      () => expect(events).toContainEqual({ type: 'ADDED', name: 'w-c', value: '1' }),
      {
        timeout: 4000,
      },
    );
    expect(events.filter((e) => e.type === 'ADDED')).toHaveLength(3);

    // Another drop, changes while away, and a compaction: the resume is 410 Gone and the
    // relist hands over exactly the differences.
    events.length = 0;
    alpha.faults.dropWatches();
    alpha.store.compact();
    await api.delete({ ...CM('w-a'), namespace: 'watched' });
    await api.mergePatch({ ...CM('w-b'), namespace: 'watched' }, { data: { v: '9' } });
    await api.create(inNs('w-d', '1'));
    alpha.store.compact();
    await vi.waitFor(() => expect(events).toHaveLength(3), { timeout: 4000 });
    expect(events.map((e) => `${e.type} ${e.name} ${e.value}`).sort()).toEqual([
      'ADDED w-d 1',
      'DELETED w-a 2',
      'MODIFIED w-b 9',
    ]);

    stop();
    await api.create(inNs('w-e', '1'));
    await new Promise((r) => setTimeout(r, 200));
    expect(events.map((e) => e.name)).not.toContain('w-e');
    expect(errors).toEqual([]);
  });

  it('reports an unreachable cluster quickly and recovers', async () => {
    const api = client();
    const events: Seen[] = [];
    const errors: Error[] = [];
    const stop = api.watch('v1', 'ConfigMap', 'default', record(events), {
      fieldSelector: 'metadata.name=outage',
      onError: (e) => errors.push(e),
    });
    await vi.waitFor(() => expect(api.stats().requests).toBeGreaterThanOrEqual(3));
    await alpha.faults.setUnreachable(true);
    const started = Date.now();
    const err = await rejection(api.get(CM('anything')));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(err.reason).toBe('Unavailable');
    expect(err.message).toBe(`connection refused at ${alpha.url}`);
    await vi.waitFor(() => expect(errors.length).toBeGreaterThan(0), { timeout: 3000 });
    expect(errors[0]?.message).toContain('connection refused');

    await alpha.faults.setUnreachable(false);
    expect(await api.get(CM('kube-root-ca.crt'))).toBeDefined();
    await api.create(configMap('outage'));
    await vi.waitFor(
      () => expect(events).toContainEqual({ type: 'ADDED', name: 'outage', value: undefined }),
      {
        timeout: 5000,
      },
    );
    stop();
  });
});

describe('request budget', () => {
  it('lets a burst through, then qps, on the injected clock', async () => {
    const clock = new ManualClock();
    const budget = new RequestBudget(2, 3, clock);
    const done: number[] = [];
    for (let i = 0; i < 6; i++) void budget.take().then(() => done.push(i));
    await clock.advance(0);
    expect(done).toEqual([0, 1, 2]);
    await clock.advance(499);
    expect(done).toEqual([0, 1, 2]);
    await clock.advance(1);
    expect(done).toEqual([0, 1, 2, 3]);
    await clock.advance(1000);
    expect(done).toEqual([0, 1, 2, 3, 4, 5]);
    expect(budget.throttledMs).toBe(500 + 1000 + 1500);
    const waiting = budget.take();
    budget.close();
    await expect(waiting).rejects.toMatchObject({ reason: 'Unavailable' });
  });

  it('throttles a client, and one slow cluster does not slow another', async () => {
    const clock = new ManualClock();
    const api = client('alpha', { clock, qps: 5, burst: 4 });
    await api.get(CM('kube-root-ca.crt')); // discovery + get: 2 tokens
    let finished = 0;
    const gets = Array.from({ length: 4 }, () =>
      api.get(CM('kube-root-ca.crt')).then(() => finished++),
    );
    await vi.waitFor(() => expect(finished).toBe(2));
    expect(api.stats().throttledMs).toBe(200 + 400);
    await clock.advance(200);
    await vi.waitFor(() => expect(finished).toBe(3));
    await clock.advance(200);
    await Promise.all(gets);
    expect(api.stats()).toMatchObject({ requests: 6, inflight: 0 });

    beta.faults.setLatency(2000);
    const slow = client('beta');
    const fast = client('alpha');
    const pending = slow.get(CM('kube-root-ca.crt'));
    const started = Date.now();
    await fast.get(CM('kube-root-ca.crt'));
    expect(Date.now() - started).toBeLessThan(1000);
    beta.faults.setLatency(0);
    await pending;
  });
});

describe('ClusterLease', () => {
  const LEASE = {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    namespace: 'kube-system',
    name: 'aviary-controller',
  };

  async function step(clock: ManualClock, leases: ClusterLease[], ms = 5000): Promise<void> {
    await clock.advance(ms);
    // The tick's HTTP runs on real time; wait for it, then for the timer it schedules.
    for (const l of leases) await l.settled();
  }

  it('elects exactly one leader; the other follows, takes over after expiry or release', async () => {
    const clock = new ManualClock();
    const one = new ClusterLease({ api: client(), clock, identity: 'ann@laptop/aviary-1' });
    const two = new ClusterLease({ api: client(), clock, identity: 'bob@desk/aviary-2' });
    const seen: LeaseState[] = [];
    two.onChange((s) => seen.push(s));
    one.start();
    await one.settled();
    two.start();
    await two.settled();
    expect(one.state).toMatchObject({ role: 'leader', holder: 'ann@laptop/aviary-1' });
    expect(two.state).toMatchObject({ role: 'follower', holder: 'ann@laptop/aviary-1' });
    expect(seen.map((s) => s.role)).toEqual(['follower']);

    await step(clock, [one, two]);
    await step(clock, [one, two]);
    expect([one.state.role, two.state.role]).toEqual(['leader', 'follower']);
    const api = client();
    const renewed = await api.get(LEASE);
    expect(renewed?.spec).toMatchObject({
      holderIdentity: 'ann@laptop/aviary-1',
      leaseDurationSeconds: 15,
    });

    // The leader's laptop sleeps (no release): the follower waits out the lease duration.
    await one.stop({ release: false });
    for (let t = 0; t < 10 && two.state.role !== 'leader'; t++) await step(clock, [two]);
    expect(two.state.role).toBe('leader');
    expect(seen.map((s) => s.role)).toEqual(['follower', 'leader']);

    // A clean stop releases: a newcomer leads at once.
    await two.stop();
    expect((await api.get(LEASE))?.spec).not.toHaveProperty('holderIdentity');
    const three = new ClusterLease({ api: client(), clock, identity: 'cid@box/aviary-3' });
    three.start();
    await three.settled();
    expect(three.state.role).toBe('leader');
    await three.stop();
  });

  it('steps down at once on a lost renewal (conflict) and on a renew deadline', async () => {
    const clock = new ManualClock();
    const lease = new ClusterLease({ api: client(), clock, identity: 'dee@mac/aviary-4' });
    lease.start();
    await lease.settled();
    expect(lease.isLeader()).toBe(true);

    alpha.faults.setConflicts(1);
    await step(clock, [lease]);
    expect(lease.state.role).toBe('follower');
    alpha.faults.setConflicts(0);
    await step(clock, [lease]);
    expect(lease.state.role).toBe('leader');

    await alpha.faults.setUnreachable(true);
    await step(clock, [lease]); // the renewal fails; still within the renew deadline
    expect(lease.state.role).toBe('leader');
    await step(clock, [lease]); // 10 s without a renewal: no longer safe to write
    expect(lease.state.role).not.toBe('leader');
    await alpha.faults.setUnreachable(false);
    await step(clock, [lease]);
    expect(lease.state.role).toBe('leader');
    await lease.stop();
  });

  it('falls back to the default namespace when kube-system is forbidden', async () => {
    const clock = new ManualClock();
    alpha.faults.setErrors({
      rate: 1,
      status: 403,
      path: '/namespaces/kube-system/leases',
    });
    const lease = new ClusterLease({ api: client(), clock, identity: 'eve@pc/aviary-5' });
    lease.start();
    await lease.settled();
    expect(lease.namespace).toBe('default');
    expect(lease.isLeader()).toBe(true);
    await lease.stop();
  });
});

describe('detectInClusterFlagger', () => {
  it('finds Flagger by name or label, also when only some namespaces can be listed', async () => {
    const api = client();
    expect(await detectInClusterFlagger(api)).toEqual({ present: false });

    await api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } });
    const deployment = (name: string, labels: Record<string, string>): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: 'istio-system', labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: 'flagger', image: 'ghcr.io/fluxcd/flagger:1.42.0' }] },
        },
      },
    });
    await api.create(deployment('mesh-canaries', { 'app.kubernetes.io/name': 'flagger' }));
    expect(await detectInClusterFlagger(api)).toEqual({
      present: true,
      where: 'istio-system/mesh-canaries',
    });

    // Cluster-wide listing forbidden: the common namespaces are tried one by one.
    alpha.faults.setErrors({ rate: 1, status: 403, path: /^\/apis\/apps\/v1\/deployments$/ });
    expect(await detectInClusterFlagger(api)).toEqual({
      present: true,
      where: 'istio-system/mesh-canaries',
    });

    await alpha.faults.setUnreachable(true);
    await expect(detectInClusterFlagger(api)).rejects.toMatchObject({ reason: 'Unavailable' });
  });
});
