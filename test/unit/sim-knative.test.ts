import { afterEach, describe, expect, it } from 'vitest';
import type { ClientResult } from '../../src/sim/simulation';
import type { KubeObject } from '../../src/sim/store';
import { R } from '../../src/sim/store';
import type { KnativeService, Revision, TrafficTarget } from '../../src/sim/workloads/knative';
import {
  KNATIVE,
  KOURIER_INTERNAL,
  SCALE_TO_ZERO_AFTER_MS,
  resolveTraffic,
} from '../../src/sim/workloads/knative';
import { knativeDemo } from '../../src/sim/scenarios/knative';
import type { TestCluster } from '../support/sim-cluster';
import { parseExposition, settle, startTestCluster, sumWhere } from '../support/sim-cluster';

let cluster: TestCluster | undefined;
afterEach(() => {
  cluster?.sim.stop();
  cluster = undefined;
});

const PODINFO = 'ghcr.io/stefanprodan/podinfo';

function ksvc(name: string, options: { image?: string; traffic?: TrafficTarget[] } = {}) {
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name, namespace: 'test' },
    spec: {
      template: {
        spec: {
          containers: [
            {
              image: options.image ?? `${PODINFO}:6.0.0`,
              ports: [{ containerPort: 9898, protocol: 'TCP' }],
            },
          ],
        },
      },
      ...(options.traffic ? { traffic: options.traffic } : {}),
    },
  } as KubeObject;
}

/** Lets the controllers, kubelet and readiness delays run for ms of clock time. */
async function run(c: TestCluster, ms = 3_000): Promise<void> {
  for (let t = 0; t < ms; t += 500) {
    await settle();
    await c.clock.advance(500);
  }
  await settle();
}

const getKsvc = (c: TestCluster, name = 'podinfo') =>
  c.get<KnativeService>(KNATIVE.services, 'test', name);
const getRev = (c: TestCluster, name: string) => c.get<Revision>(KNATIVE.revisions, 'test', name);
const revisionNames = (c: TestCluster) =>
  c.store
    .list(KNATIVE.revisions, 'test')
    .map((r) => r.metadata.name)
    .sort();

function patch(c: TestCluster, change: (s: KnativeService) => void): void {
  c.store.mutate(KNATIVE.services, 'test', 'podinfo', (o) => change(o as KnativeService));
}

function versionOf(result: ClientResult): string {
  if (result.kind !== 'response') throw new Error(`request failed: ${result.message}`);
  return (JSON.parse(result.body) as { version: string }).version;
}

async function shares(c: TestCluster, url: string, n: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const v = versionOf(await c.sim.send({ url, fromNamespace: 'test' }));
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return counts;
}

describe('the playground Knative Serving controller', () => {
  it('makes a Configuration, a Revision with its Deployment and Service, a Route and status', async () => {
    const c = (cluster = startTestCluster());
    c.apply(KNATIVE.services, ksvc('podinfo'));
    await settle();
    const rev = getRev(c, 'podinfo-00001');
    expect(rev.metadata.labels).toMatchObject({
      'serving.knative.dev/service': 'podinfo',
      'serving.knative.dev/configuration': 'podinfo',
      'serving.knative.dev/configurationGeneration': '1',
    });
    const config = c.get(KNATIVE.configurations, 'test', 'podinfo');
    expect(rev.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'Configuration',
      name: 'podinfo',
      uid: config.metadata.uid,
      controller: true,
    });
    // Not ready before its pod is.
    expect(rev.status?.conditions?.find((x) => x.type === 'Ready')?.status).toBe('Unknown');
    expect(getKsvc(c).status?.latestReadyRevisionName).toBeUndefined();

    await run(c);
    expect(getRev(c, 'podinfo-00001').status).toMatchObject({
      serviceName: 'podinfo-00001',
      actualReplicas: 1,
    });
    expect(
      getRev(c, 'podinfo-00001').status?.conditions?.find((x) => x.type === 'Ready')?.status,
    ).toBe('True');
    const pods = c.store.list(R.pods, 'test', {
      labelSelector: 'serving.knative.dev/revision=podinfo-00001',
    });
    expect(pods).toHaveLength(1);
    expect(pods[0]!.metadata.labels).toMatchObject({ app: 'podinfo-00001' });
    const deployment = c.get(R.deployments, 'test', 'podinfo-00001-deployment');
    expect(deployment.metadata.ownerReferences?.[0]?.kind).toBe('Revision');
    const revService = c.get(R.services, 'test', 'podinfo-00001') as KubeObject & {
      spec: { ports: { port: number; targetPort: number }[] };
    };
    expect(revService.spec.ports[0]).toMatchObject({ port: 80, targetPort: 9898 });
    const placeholder = c.get(R.services, 'test', 'podinfo') as KubeObject & {
      spec: { type: string; externalName: string };
    };
    expect(placeholder.spec).toMatchObject({
      type: 'ExternalName',
      externalName: KOURIER_INTERNAL,
    });

    const status = getKsvc(c).status!;
    expect(status).toMatchObject({
      observedGeneration: 1,
      latestCreatedRevisionName: 'podinfo-00001',
      latestReadyRevisionName: 'podinfo-00001',
      url: 'http://podinfo.test.example.com',
      address: { url: 'http://podinfo.test.svc.cluster.local' },
      traffic: [{ latestRevision: true, percent: 100, revisionName: 'podinfo-00001' }],
    });
    for (const type of ['Ready', 'ConfigurationsReady', 'RoutesReady'])
      expect(status.conditions?.find((x) => x.type === type)?.status).toBe('True');
    const route = c.get(KNATIVE.routes, 'test', 'podinfo') as KubeObject & {
      status: { traffic: TrafficTarget[] };
    };
    expect(route.status.traffic).toEqual(status.traffic);
  });

  it('creates a revision per template change, not per traffic or annotation change', async () => {
    const c = (cluster = startTestCluster());
    c.apply(KNATIVE.services, ksvc('podinfo'));
    await run(c);
    patch(c, (s) => {
      s.metadata.annotations = { 'flagger.app/primary-revision': 'podinfo-00001' };
      s.spec!.traffic = [
        { latestRevision: true, percent: 0 },
        { revisionName: 'podinfo-00001', percent: 100 },
      ];
    });
    await run(c, 1_000);
    expect(revisionNames(c)).toEqual(['podinfo-00001']);

    patch(c, (s) => void (s.spec!.template!.spec!.containers![0]!.image = `${PODINFO}:6.0.1`));
    await run(c, 1_000);
    patch(c, (s) => {
      s.spec!.template!.metadata = { annotations: { 'playground.aviary.dev/error-rate': '0.5' } };
    });
    await run(c, 1_000);
    expect(revisionNames(c)).toEqual(['podinfo-00001', 'podinfo-00002', 'podinfo-00003']);
    expect(
      getRev(c, 'podinfo-00003').metadata.labels?.['serving.knative.dev/configurationGeneration'],
    ).toBe('3');
    // The behaviour annotations reach the pods.
    const pods = c.store.list(R.pods, 'test', {
      labelSelector: 'serving.knative.dev/revision=podinfo-00003',
    });
    expect(pods[0]?.metadata.annotations?.['playground.aviary.dev/error-rate']).toBe('0.5');

    // A template name overrides the generated one.
    patch(c, (s) => {
      s.spec!.template!.metadata = { name: 'podinfo-blue' };
    });
    await run(c, 1_000);
    expect(revisionNames(c)).toContain('podinfo-blue');
    expect(getKsvc(c).status?.latestCreatedRevisionName).toBe('podinfo-blue');
  });

  it('keeps the traffic on the ready revision until the latest is ready', async () => {
    const c = (cluster = startTestCluster());
    c.apply(KNATIVE.services, ksvc('podinfo'));
    await run(c);
    patch(c, (s) => {
      s.spec!.template!.spec!.containers![0]!.image = `${PODINFO}:6.0.1`;
      s.spec!.template!.metadata = {
        annotations: { 'playground.aviary.dev/ready-delay-ms': '5000' },
      };
    });
    await run(c, 1_000);
    let status = getKsvc(c).status!;
    expect(status.latestCreatedRevisionName).toBe('podinfo-00002');
    expect(status.latestReadyRevisionName).toBe('podinfo-00001');
    expect(status.traffic).toEqual([
      { latestRevision: true, percent: 100, revisionName: 'podinfo-00001' },
    ]);
    expect(status.conditions?.find((x) => x.type === 'Ready')?.status).toBe('Unknown');
    // A target naming the unready revision keeps the previous traffic.
    patch(c, (s) => {
      s.spec!.traffic = [
        { revisionName: 'podinfo-00002', percent: 50 },
        { revisionName: 'podinfo-00001', percent: 50 },
      ];
    });
    await run(c, 500);
    expect(getKsvc(c).status?.traffic).toEqual([
      { latestRevision: true, percent: 100, revisionName: 'podinfo-00001' },
    ]);
    await run(c, 6_000);
    status = getKsvc(c).status!;
    expect(status.latestReadyRevisionName).toBe('podinfo-00002');
    expect(status.traffic).toEqual([
      { revisionName: 'podinfo-00002', percent: 50, latestRevision: false },
      { revisionName: 'podinfo-00001', percent: 50, latestRevision: false },
    ]);
  });

  it('resolves traffic as Knative: latest gets the latest ready name, named ones latestRevision false', () => {
    const ready = (name: string, state = 'True'): Revision => ({
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Revision',
      metadata: { name },
      status: { conditions: [{ type: 'Ready', status: state as 'True' }] },
    });
    const revisions = new Map([
      ['p-00001', ready('p-00001')],
      ['p-00002', ready('p-00002', 'Unknown')],
    ]);
    const resolve = (targets: TrafficTarget[], latestReady?: string) =>
      resolveTraffic('p', targets, (n) => revisions.get(n), latestReady);
    expect(
      resolve(
        [
          { latestRevision: true, percent: 10 },
          { revisionName: 'p-00001', percent: 90 },
        ],
        'p-00001',
      ),
    ).toEqual({
      ok: true,
      traffic: [
        { latestRevision: true, revisionName: 'p-00001', percent: 10 },
        { latestRevision: false, revisionName: 'p-00001', percent: 90 },
      ],
    });
    expect(resolve([{ revisionName: 'p-00002', percent: 100 }], 'p-00001').ok).toBe(false);
    expect(resolve([{ revisionName: 'p-00009', percent: 100 }], 'p-00001').ok).toBe(false);
    expect(resolve([{ latestRevision: true, percent: 100 }], undefined).ok).toBe(false);
  });

  it('splits requests by the status.traffic percents and reports Kourier Envoy metrics', async () => {
    const c = (cluster = startTestCluster());
    c.apply(KNATIVE.services, ksvc('podinfo'));
    await run(c);
    patch(c, (s) => void (s.spec!.template!.spec!.containers![0]!.image = `${PODINFO}:6.0.1`));
    await run(c);
    patch(c, (s) => {
      s.spec!.traffic = [
        { latestRevision: true, percent: 30 },
        { revisionName: 'podinfo-00001', percent: 70 },
      ];
    });
    await run(c, 500);
    const n = 3_000;
    const edge = await shares(c, 'http://podinfo.test.example.com/', n);
    expect(Math.abs((edge.get('6.0.1') ?? 0) / n - 0.3)).toBeLessThan(0.03);
    expect((edge.get('6.0.0') ?? 0) + (edge.get('6.0.1') ?? 0)).toBe(n);
    // In the cluster, by the placeholder Service's names.
    for (const url of ['http://podinfo.test/', 'http://podinfo.test.svc.cluster.local/']) {
      const mesh = await shares(c, url, 1_000);
      expect(Math.abs((mesh.get('6.0.1') ?? 0) / 1_000 - 0.3)).toBeLessThan(0.05);
    }

    const samples = parseExposition(await c.sim.metricsText());
    const rq = (rev: string, code = '.*') =>
      sumWhere(samples, 'envoy_cluster_upstream_rq', [
        ['envoy_cluster_name', '=', `test/${rev}`],
        ['envoy_response_code', '=~', code],
      ]);
    const total = rq('podinfo-00001') + rq('podinfo-00002');
    expect(total).toBe(n + 2_000);
    expect(rq('podinfo-00002', '2..') / total).toBeGreaterThan(0.27);
    expect(
      sumWhere(samples, 'envoy_cluster_upstream_rq_time_count', [
        ['envoy_cluster_name', '=', 'test/podinfo-00002'],
      ]),
    ).toBe(rq('podinfo-00002'));

    // 100 % to the new revision.
    patch(c, (s) => {
      s.spec!.traffic = [
        { latestRevision: true, percent: 100 },
        { revisionName: 'podinfo-00001', percent: 0 },
      ];
    });
    await run(c, 500);
    expect((await shares(c, 'http://podinfo.test.example.com/', 200)).get('6.0.1')).toBe(200);
  });

  it('scales unrouted old revisions to zero, never the latest or a routed one', async () => {
    const c = (cluster = startTestCluster());
    c.apply(KNATIVE.services, ksvc('podinfo'));
    await run(c);
    patch(c, (s) => void (s.spec!.template!.spec!.containers![0]!.image = `${PODINFO}:6.0.1`));
    await run(c, SCALE_TO_ZERO_AFTER_MS + 5_000);
    const old = getRev(c, 'podinfo-00001');
    expect(old.status).toMatchObject({ actualReplicas: 0, desiredReplicas: 0 });
    expect(old.status?.conditions?.find((x) => x.type === 'Ready')?.status).toBe('True');
    expect(old.status?.conditions?.find((x) => x.type === 'Active')?.reason).toBe('NoTraffic');
    expect(getRev(c, 'podinfo-00002').status?.actualReplicas).toBe(1);

    // Named by traffic again: it comes back.
    patch(c, (s) => {
      s.spec!.traffic = [
        { latestRevision: true, percent: 50 },
        { revisionName: 'podinfo-00001', percent: 50 },
      ];
    });
    await run(c);
    expect(getRev(c, 'podinfo-00001').status?.actualReplicas).toBe(1);
  });

  it('serves the demo: Kourier, the Knative Service and the Canary apply', async () => {
    const c = (cluster = startTestCluster());
    const { resourceOf } = await import('../../src/sim/playground');
    for (const m of knativeDemo({ namespace: 'demo' })) c.store.create(resourceOf(m), m);
    await run(c);
    const status = c.get<KnativeService>(KNATIVE.services, 'demo', 'podinfo').status;
    expect(status?.url).toBe('http://podinfo.demo.example.com');
    const viaKourier = await c.sim.send({
      url: 'http://kourier-internal.kourier-system/',
      headers: { host: 'podinfo.demo.svc.cluster.local' },
    });
    expect(versionOf(viaKourier)).toBe('6.0.0');
    expect(versionOf(await c.sim.send({ url: 'http://podinfo.demo.example.com/' }))).toBe('6.0.0');
  });
});
