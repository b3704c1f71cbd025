import { afterEach, describe, expect, it } from 'vitest';
import type {
  Condition,
  Deployment,
  Endpoints,
  HorizontalPodAutoscaler,
  Pod,
  ReplicaSet,
} from '../../src/sim/kube';
import { R } from '../../src/sim/store';
import type { TestCluster } from '../support/sim-cluster';
import { deployment, service, startTestCluster } from '../support/sim-cluster';

let cluster: TestCluster | undefined;
afterEach(() => {
  cluster?.sim.stop();
  cluster = undefined;
});

const condition = (d: Deployment, type: string) =>
  ((d.status?.['conditions'] as Condition[] | undefined) ?? []).find((c) => c.type === type);

/** What `kubectl rollout status` waits for. */
function rolledOut(d: Deployment): boolean {
  const s = d.status ?? {};
  const replicas = d.spec?.replicas ?? 1;
  return (
    Number(s['observedGeneration'] ?? 0) >= (d.metadata.generation ?? 0) &&
    Number(s['updatedReplicas'] ?? 0) === replicas &&
    Number(s['replicas'] ?? 0) === replicas &&
    Number(s['availableReplicas'] ?? 0) === replicas
  );
}

const podsOf = (c: TestCluster, app: string) =>
  (c.store.list(R.pods, 'test') as Pod[]).filter((p) => p.metadata.labels?.['app'] === app);

describe('playground deployment controller', () => {
  it('creates a ReplicaSet and pods that become ready, with the status rollout status needs', async () => {
    const c = (cluster = startTestCluster());
    c.apply(R.deployments, deployment('test', 'podinfo', { replicas: 3 }));
    await c.clock.advance(0);

    const [rs] = c.store.list(R.replicasets, 'test') as ReplicaSet[];
    const hash = rs?.metadata.labels?.['pod-template-hash'];
    expect(rs?.metadata.name).toBe(`podinfo-${hash}`);
    expect(rs?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(rs?.spec?.replicas).toBe(3);
    let pods = podsOf(c, 'podinfo');
    expect(pods).toHaveLength(3);
    expect(
      pods.every(
        (p) => p.status?.phase === 'Pending' && p.metadata.name.startsWith(`podinfo-${hash}-`),
      ),
    ).toBe(true);
    let d = c.get<Deployment>(R.deployments, 'test', 'podinfo');
    expect(rolledOut(d)).toBe(false);
    expect(condition(d, 'Progressing')?.status).toBe('True');

    await c.clock.advance(2_000);
    pods = podsOf(c, 'podinfo');
    expect(pods.map((p) => p.status?.phase)).toEqual(['Running', 'Running', 'Running']);
    expect(new Set(pods.map((p) => p.spec?.nodeName)).size).toBe(3);
    const pod = pods[0];
    expect(pod?.status?.podIP).toMatch(/^10\.244\.\d+\.\d+$/);
    expect(pod?.status?.conditions?.find((x) => x.type === 'Ready')?.status).toBe('True');
    expect(pod?.status?.containerStatuses?.[0]).toMatchObject({
      name: 'app',
      ready: true,
      state: { running: {} },
    });

    d = c.get<Deployment>(R.deployments, 'test', 'podinfo');
    expect(d.status).toMatchObject({
      observedGeneration: 1,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
    });
    expect(d.status?.['unavailableReplicas']).toBeUndefined();
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(condition(d, 'Available')).toMatchObject({
      status: 'True',
      reason: 'MinimumReplicasAvailable',
    });
    expect(condition(d, 'Progressing')).toMatchObject({
      status: 'True',
      reason: 'NewReplicaSetAvailable',
      message: `ReplicaSet "podinfo-${hash}" has successfully progressed.`,
    });
    expect(condition(d, 'Progressing')?.lastUpdateTime).toBeDefined();
    expect(rolledOut(d)).toBe(true);
  });

  it('rolls a new template out without dropping below the available minimum', async () => {
    const c = (cluster = startTestCluster());
    c.apply(R.deployments, deployment('test', 'podinfo', { replicas: 4 }));
    await c.clock.advance(3_000);
    c.sim.release('test', 'podinfo', 'ghcr.io/stefanprodan/podinfo:6.0.1');

    let minAvailable = Infinity;
    for (let t = 0; t < 20; t++) {
      await c.clock.advance(500);
      const d = c.get<Deployment>(R.deployments, 'test', 'podinfo');
      minAvailable = Math.min(minAvailable, Number(d.status?.['availableReplicas'] ?? 0));
    }
    const d = c.get<Deployment>(R.deployments, 'test', 'podinfo');
    expect(minAvailable).toBeGreaterThanOrEqual(3); // maxUnavailable 25% of 4
    expect(rolledOut(d)).toBe(true);
    expect(d.metadata.generation).toBe(2);
    expect(d.status?.['observedGeneration']).toBe(2);
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    const sets = c.store.list(R.replicasets, 'test') as ReplicaSet[];
    expect(sets).toHaveLength(2);
    const current = sets.find(
      (rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision'] === '2',
    );
    const old = sets.find(
      (rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision'] === '1',
    );
    expect(current?.spec?.replicas).toBe(4);
    expect(old?.spec?.replicas).toBe(0);
    const pods = podsOf(c, 'podinfo');
    expect(pods).toHaveLength(4);
    expect(
      pods.every((p) => p.spec?.containers?.[0]?.image === 'ghcr.io/stefanprodan/podinfo:6.0.1'),
    ).toBe(true);
  });

  it('reports ProgressDeadlineExceeded when the new pods never become ready', async () => {
    const c = (cluster = startTestCluster());
    c.apply(R.deployments, deployment('test', 'podinfo', { progressDeadlineSeconds: 60 }));
    await c.clock.advance(3_000);
    c.sim.release('test', 'podinfo', 'ghcr.io/stefanprodan/podinfo:6.0.1', { ready: false });
    await c.clock.advance(30_000);
    let d = c.get<Deployment>(R.deployments, 'test', 'podinfo');
    expect(condition(d, 'Progressing')).toMatchObject({
      status: 'True',
      reason: 'ReplicaSetUpdated',
    });
    expect(d.status).toMatchObject({
      replicas: 2,
      updatedReplicas: 1,
      availableReplicas: 1,
      unavailableReplicas: 1,
    });

    await c.clock.advance(35_000);
    d = c.get<Deployment>(R.deployments, 'test', 'podinfo');
    const progressing = condition(d, 'Progressing');
    expect(progressing).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
    expect(progressing?.message).toMatch(/^ReplicaSet "podinfo-\w+" has timed out progressing\.$/);
    // The old version keeps serving: still available.
    expect(condition(d, 'Available')).toMatchObject({ status: 'True' });
    const unready = podsOf(c, 'podinfo').find((p) =>
      p.spec?.containers?.[0]?.image?.endsWith('6.0.1'),
    );
    expect(unready?.status?.phase).toBe('Running');
    expect(unready?.status?.conditions?.find((x) => x.type === 'Ready')?.status).toBe('False');
  });

  it('keeps an image that cannot be pulled Pending in ErrImagePull', async () => {
    const c = (cluster = startTestCluster());
    c.apply(
      R.deployments,
      deployment('test', 'broken', {
        image: 'ghcr.io/stefanprodan/podinfo:broken-1',
        progressDeadlineSeconds: 30,
      }),
    );
    await c.clock.advance(40_000);
    const [pod] = podsOf(c, 'broken');
    expect(pod?.status?.phase).toBe('Pending');
    expect(pod?.status?.containerStatuses?.[0]).toMatchObject({
      state: { waiting: { reason: 'ErrImagePull' } },
    });
    const d = c.get<Deployment>(R.deployments, 'test', 'broken');
    expect(condition(d, 'Progressing')?.reason).toBe('ProgressDeadlineExceeded');
    expect(condition(d, 'Available')).toMatchObject({
      status: 'False',
      reason: 'MinimumReplicasUnavailable',
    });
  });

  it('scales to zero and back', async () => {
    const c = (cluster = startTestCluster());
    c.apply(R.deployments, deployment('test', 'podinfo', { replicas: 2 }));
    await c.clock.advance(3_000);
    c.store.mutate(
      R.deployments,
      'test',
      'podinfo',
      (o) => void ((o as Deployment).spec!.replicas = 0),
    );
    await c.clock.advance(0);
    expect(podsOf(c, 'podinfo')).toHaveLength(0);
    let d = c.get<Deployment>(R.deployments, 'test', 'podinfo');
    expect(d.status?.['replicas']).toBeUndefined();
    expect(d.status?.['observedGeneration']).toBe(2);
    expect(rolledOut(d)).toBe(true);
    expect(condition(d, 'Available')?.status).toBe('True');

    c.store.mutate(
      R.deployments,
      'test',
      'podinfo',
      (o) => void ((o as Deployment).spec!.replicas = 1),
    );
    await c.clock.advance(3_000);
    d = c.get<Deployment>(R.deployments, 'test', 'podinfo');
    expect(rolledOut(d)).toBe(true);
    expect(c.store.list(R.replicasets, 'test')).toHaveLength(1);
  });

  it('keeps Endpoints in step with the ready pods of a Service', async () => {
    const c = (cluster = startTestCluster());
    c.apply(R.services, service('test', 'podinfo'));
    c.apply(R.deployments, deployment('test', 'podinfo', { replicas: 2 }));
    await c.clock.advance(0);
    let ep = c.get<Endpoints>(R.endpoints, 'test', 'podinfo');
    expect(ep.subsets?.[0]?.addresses).toBeUndefined();
    expect(ep.subsets?.[0]?.notReadyAddresses).toHaveLength(2);
    expect(ep.subsets?.[0]?.ports).toEqual([{ name: 'http', port: 9898, protocol: 'TCP' }]);

    await c.clock.advance(2_000);
    ep = c.get<Endpoints>(R.endpoints, 'test', 'podinfo');
    const pods = podsOf(c, 'podinfo');
    expect(ep.subsets?.[0]?.addresses?.map((a) => a.targetRef?.name).sort()).toEqual(
      pods.map((p) => p.metadata.name).sort(),
    );
    expect(
      ep.subsets?.[0]?.addresses?.every((a) => pods.some((p) => p.status?.podIP === a.ip)),
    ).toBe(true);

    c.store.mutate(
      R.deployments,
      'test',
      'podinfo',
      (o) => void ((o as Deployment).spec!.replicas = 0),
    );
    await c.clock.advance(0);
    expect(c.get<Endpoints>(R.endpoints, 'test', 'podinfo').subsets).toEqual([]);
    c.store.delete(R.services, 'test', 'podinfo');
    await c.clock.advance(0);
    expect(c.store.get(R.endpoints, 'test', 'podinfo')).toBeUndefined();
  });

  it('runs a DaemonSet pod on each of the three nodes', async () => {
    const c = (cluster = startTestCluster());
    const ds = deployment('test', 'agent');
    const spec = ds.spec as Deployment['spec'];
    c.apply(R.daemonsets, {
      ...ds,
      kind: 'DaemonSet',
      spec: { selector: spec?.selector, template: spec?.template },
    });
    await c.clock.advance(0);
    await c.clock.advance(2_000);
    const pods = podsOf(c, 'agent');
    expect(pods.map((p) => p.spec?.nodeName).sort()).toEqual([
      'playground-worker-1',
      'playground-worker-2',
      'playground-worker-3',
    ]);
    expect(c.get(R.daemonsets, 'test', 'agent').status).toMatchObject({
      desiredNumberScheduled: 3,
      currentNumberScheduled: 3,
      numberReady: 3,
      numberAvailable: 3,
      updatedNumberScheduled: 3,
      numberMisscheduled: 0,
      observedGeneration: 1,
    });
  });

  it('scales a Deployment with its HPA from the simulated CPU of its traffic', async () => {
    const c = (cluster = startTestCluster());
    c.apply(
      R.deployments,
      deployment('test', 'podinfo', {
        annotations: { 'playground.aviary.dev/cpu-ms-per-request': '10' },
      }),
    );
    const svc = service('test', 'podinfo');
    svc.metadata.annotations = { 'playground.aviary.dev/traffic-rate': '20' };
    c.apply(R.services, svc);
    c.apply(R.hpas, {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'podinfo', namespace: 'test' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
        minReplicas: 1,
        maxReplicas: 4,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } },
          },
        ],
      },
    });
    // 20 req/s × 10 ms of CPU on one pod with a 100m request: ~200 % of the request.
    await c.clock.advance(35_000);
    let hpa = c.get<HorizontalPodAutoscaler>(R.hpas, 'test', 'podinfo');
    expect(c.get<Deployment>(R.deployments, 'test', 'podinfo').spec?.replicas).toBe(4);
    expect(hpa.status).toMatchObject({ desiredReplicas: 4, lastScaleTime: expect.any(String) });
    const current = (
      hpa.status?.['currentMetrics'] as { resource: { current: { averageUtilization: number } } }[]
    )[0];
    expect(current?.resource.current.averageUtilization).toBeGreaterThan(150);
    expect(
      (hpa.status?.['conditions'] as Condition[]).find((x) => x.type === 'ScalingLimited'),
    ).toMatchObject({
      status: 'True',
      reason: 'TooManyReplicas',
    });

    // Without traffic it scales back to the minimum, after the 5-minute stabilization window.
    c.store.mutate(
      R.services,
      'test',
      'podinfo',
      (o) => void (o.metadata.annotations = { 'playground.aviary.dev/traffic-rate': '0' }),
    );
    await c.clock.advance(120_000);
    expect(c.get<Deployment>(R.deployments, 'test', 'podinfo').spec?.replicas).toBe(4);
    await c.clock.advance(240_000);
    hpa = c.get<HorizontalPodAutoscaler>(R.hpas, 'test', 'podinfo');
    expect(c.get<Deployment>(R.deployments, 'test', 'podinfo').spec?.replicas).toBe(1);
    expect(hpa.status?.['currentReplicas']).toBe(1);

    // A target scaled to zero is left alone (Flagger's idle canary).
    c.store.mutate(
      R.deployments,
      'test',
      'podinfo',
      (o) => void ((o as Deployment).spec!.replicas = 0),
    );
    await c.clock.advance(30_000);
    hpa = c.get<HorizontalPodAutoscaler>(R.hpas, 'test', 'podinfo');
    expect(c.get<Deployment>(R.deployments, 'test', 'podinfo').spec?.replicas).toBe(0);
    expect(
      (hpa.status?.['conditions'] as Condition[]).find((x) => x.type === 'ScalingActive')?.reason,
    ).toBe('ScalingDisabled');
  });
});
