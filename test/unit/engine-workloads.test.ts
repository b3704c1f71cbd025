import { afterEach, describe, expect, it } from 'vitest';
import { ReadinessError } from '../../src/core/controller/ports';
import {
  DaemonSetController,
  DeploymentController,
  SCALE_TO_ZERO_NODE_SELECTOR,
  deploymentReadiness,
  workloadFor,
} from '../../src/core/workloads';
import type { KubeObject } from '../../src/sim/store';
import { R } from '../../src/sim/store';
import type { Rig } from './engine-support';
import { NS, podinfoCanary, podinfoDeployment, startRig, tutorialObjects } from './engine-support';

let rig: Rig | undefined;
afterEach(() => {
  rig?.cluster.sim.stop();
  rig = undefined;
});

type Deployment = KubeObject & {
  spec: {
    replicas?: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
      spec: {
        containers: {
          image: string;
          env?: { valueFrom?: { configMapKeyRef?: { name: string } } }[];
        }[];
        nodeSelector?: Record<string, string>;
      };
    };
  };
};

const image = (d: Deployment) => d.spec.template.spec.containers[0]?.image;

function setImage(r: Rig, name: string, tag: string): void {
  r.cluster.store.mutate(R.deployments, NS, name, (o) => {
    (o as Deployment).spec.template.spec.containers[0]!.image =
      `ghcr.io/stefanprodan/podinfo:${tag}`;
  });
}

async function readinessError(p: Promise<void>): Promise<ReadinessError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ReadinessError) return err;
    throw err;
  }
  throw new Error('expected a ReadinessError');
}

describe('DeploymentController (Flagger deployment_controller.go)', () => {
  it('initializes the primary from the target: selector, labels, owner, configs, replicas', async () => {
    const r = (rig = startRig(tutorialObjects()));
    await r.initialize();
    const primary = r.cluster.get<Deployment>(R.deployments, NS, 'podinfo-primary');
    const cd = r.canary();
    expect(primary.metadata.labels).toEqual({ app: 'podinfo-primary' });
    expect(primary.spec.selector.matchLabels).toEqual({ app: 'podinfo-primary' });
    expect(primary.spec.template.metadata.labels).toEqual({ app: 'podinfo-primary' });
    expect(primary.spec.template.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'flagger-id': expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(primary.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'flagger.app/v1beta1',
        kind: 'Canary',
        name: 'podinfo',
        uid: cd.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(image(primary)).toBe('ghcr.io/stefanprodan/podinfo:6.0.0');
    // The tracked ConfigMap is copied and the primary reads the copy.
    expect(
      primary.spec.template.spec.containers[0]?.env?.[0]?.valueFrom?.configMapKeyRef?.name,
    ).toBe('podinfo-config-primary');
    const copy = r.cluster.get(R.configmaps, NS, 'podinfo-config-primary') as KubeObject & {
      data: Record<string, string>;
    };
    expect(copy.data).toEqual({ message: 'hello' });
    expect(copy.metadata.ownerReferences?.[0]?.kind).toBe('Canary');
    // The target is scaled to zero once the primary is ready; the primary HPA took over.
    expect(r.cluster.get<Deployment>(R.deployments, NS, 'podinfo').spec.replicas).toBe(0);
    await workloadFor(cd, r.api, r.options).isPrimaryReady(cd);
    expect(r.canary().status?.trackedConfigs).toEqual({
      'configmap/podinfo-config': expect.any(String),
    });

    // An existing primary is left alone.
    r.cluster.store.mutate(R.deployments, NS, 'podinfo-primary', (o) => {
      o.metadata.labels = { ...o.metadata.labels, mine: 'yes' };
    });
    await workloadFor(cd, r.api, r.options).initialize(r.canary());
    expect(r.cluster.get(R.deployments, NS, 'podinfo-primary').metadata.labels?.['mine']).toBe(
      'yes',
    );
  });

  it('waits for the primary during initialization with Flagger texts (retriable)', async () => {
    const r = (rig = startRig(tutorialObjects()));
    r.setStatus({ phase: 'Initializing' });
    const workload = new DeploymentController(r.api, r.options);
    await expect(workload.initialize(r.canary())).rejects.toMatchObject({
      name: 'InitializationError',
      retriable: true,
      message: expect.stringMatching(
        /^podinfo-primary\.test not ready: waiting for rollout to finish: /,
      ),
    });
    await r.until(() => workload.initialize(r.canary()));
  });

  it('getMetadata: selector label, port discovery, and Flagger error without a known label', async () => {
    const deployment = podinfoDeployment();
    const r = (rig = startRig([
      { ref: R.configmaps, object: tutorialObjects()[0]!.object },
      { ref: R.deployments, object: deployment },
      {
        ref: R.canaries,
        object: podinfoCanary({ service: { port: 80, targetPort: 9898, portDiscovery: true } }),
      },
    ]));
    const workload = new DeploymentController(r.api, r.options);
    expect(await workload.getMetadata(r.canary())).toEqual({
      labelSelector: 'app',
      labelValue: 'podinfo',
      ports: { 'http-metrics': 9797 },
    });
    r.cluster.store.delete(R.deployments, NS, 'podinfo');
    const other = podinfoDeployment() as Deployment;
    other.spec.selector.matchLabels = { role: 'podinfo' };
    other.spec.template.metadata.labels = { role: 'podinfo' };
    r.cluster.apply(R.deployments, other);
    await expect(workload.getMetadata(r.canary())).rejects.toThrow(
      'getSelectorLabel failed: deployment podinfo.test spec.selector.matchLabels must contain one of [app name app.kubernetes.io/name]',
    );
  });

  it('promote copies the template spec, keeps primary labels and rolls the primary', async () => {
    const r = (rig = startRig(tutorialObjects()));
    await r.initialize();
    setImage(r, 'podinfo', '6.0.1');
    const workload = new DeploymentController(r.api, r.options);
    const before = r.cluster.get<Deployment>(R.deployments, NS, 'podinfo-primary');
    await workload.promote(r.canary());
    const after = r.cluster.get<Deployment>(R.deployments, NS, 'podinfo-primary');
    expect(image(after)).toBe('ghcr.io/stefanprodan/podinfo:6.0.1');
    expect(after.spec.selector.matchLabels).toEqual({ app: 'podinfo-primary' });
    expect(after.spec.template.metadata.labels).toEqual({ app: 'podinfo-primary' });
    expect(after.spec.template.metadata.annotations['flagger-id']).not.toBe(
      before.spec.template.metadata.annotations['flagger-id'],
    );
    // With an HPA the primary's replicas stay the autoscaler's.
    expect(after.spec.replicas).toBe(before.spec.replicas);
    await r.until(() => workload.isPrimaryReady(r.canary()));
  });

  it('revision changes with the image and a tracked ConfigMap, not with primary-only changes', async () => {
    const r = (rig = startRig(tutorialObjects()));
    await r.initialize();
    const workload = new DeploymentController(r.api, r.options);
    const first = await workload.revision(r.canary());
    expect(await workload.hasTargetChanged(r.canary())).toBe(false);
    expect(await workload.haveDependenciesChanged(r.canary())).toBe(false);

    // Changes to the primary and to the primary's config copy are not a new revision.
    setImage(r, 'podinfo-primary', '9.9.9');
    r.cluster.store.mutate(R.configmaps, NS, 'podinfo-config-primary', (o) => {
      (o as KubeObject & { data: Record<string, string> }).data = { message: 'primary only' };
    });
    expect(await workload.revision(r.canary())).toEqual(first);
    expect(await workload.hasTargetChanged(r.canary())).toBe(false);
    expect(await workload.haveDependenciesChanged(r.canary())).toBe(false);

    r.cluster.store.mutate(R.configmaps, NS, 'podinfo-config', (o) => {
      (o as KubeObject & { data: Record<string, string> }).data = { message: 'new' };
    });
    const second = await workload.revision(r.canary());
    expect(second.hash).toBe(first.hash);
    expect(second.trackedConfigs).not.toEqual(first.trackedConfigs);
    expect(await workload.haveDependenciesChanged(r.canary())).toBe(true);
    expect(await workload.hasTargetChanged(r.canary())).toBe(false);

    setImage(r, 'podinfo', '6.0.1');
    expect((await workload.revision(r.canary())).hash).not.toBe(first.hash);
    expect(await workload.hasTargetChanged(r.canary())).toBe(true);
    // Going back to the promoted revision (a manual rollback) is not a change.
    setImage(r, 'podinfo', '6.0.0');
    expect(await workload.hasTargetChanged(r.canary())).toBe(false);
  });

  it('scales from zero to the HPA minimum and a broken image turns non-retriable after the deadline', async () => {
    const r = (rig = startRig(tutorialObjects()));
    await r.initialize();
    const workload = new DeploymentController(r.api, r.options);
    setImage(r, 'podinfo', 'broken');
    await workload.scaleFromZero(r.canary());
    expect(r.cluster.get<Deployment>(R.deployments, NS, 'podinfo').spec.replicas).toBe(2);

    await r.cluster.clock.advance(5_000);
    const early = await readinessError(workload.isCanaryReady(r.canary()));
    expect(early.retriable).toBe(true);
    expect(early.message).toBe(
      'canary deployment podinfo.test not ready: waiting for rollout to finish: 0 of 2 (readyThreshold 100%) updated replicas are available',
    );
    await r.cluster.clock.advance(61_000);
    const late = await readinessError(workload.isCanaryReady(r.canary()));
    expect(late.retriable).toBe(false);
    expect(late.message).toMatch(/^canary deployment podinfo\.test not ready: /);

    await workload.scaleToZero(r.canary());
    expect(r.cluster.get<Deployment>(R.deployments, NS, 'podinfo').spec.replicas).toBe(0);
  });

  it('finalize (revertOnDeletion) gives the target the primary replica count', async () => {
    const r = (rig = startRig(tutorialObjects()));
    await r.initialize();
    await r.until(async () => {
      const replicas = r.cluster.get<Deployment>(R.deployments, NS, 'podinfo-primary').spec
        .replicas;
      if (replicas !== 2) throw new Error(`primary HPA has not scaled yet: ${replicas}`);
    });
    await new DeploymentController(r.api, r.options).finalize(r.canary());
    expect(r.cluster.get<Deployment>(R.deployments, NS, 'podinfo').spec.replicas).toBe(2);
  });
});

describe('isDeploymentReady (deployment_ready.go)', () => {
  const now = Date.parse('2026-01-01T00:10:00Z');
  type Target = Parameters<typeof deploymentReadiness>[0];
  const base = (status: Record<string, unknown>, replicas = 2, generation = 3): Target =>
    ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'podinfo', generation },
      spec: { replicas },
      status: { observedGeneration: 3, ...status },
    }) as unknown as Target;
  const progressing = { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' };

  it('gives Flagger verdicts and texts', () => {
    expect(deploymentReadiness(base({}, 2, 4), 60, 100, now)).toEqual({
      retriable: true,
      error:
        'waiting for rollout to finish: observed deployment generation less than desired generation',
    });
    expect(deploymentReadiness(base({ updatedReplicas: 1 }), 60, 100, now).error).toBe(
      'waiting for rollout to finish: 1 out of 2 new replicas have been updated',
    );
    expect(deploymentReadiness(base({ replicas: 3, updatedReplicas: 2 }), 60, 100, now).error).toBe(
      'waiting for rollout to finish: 1 old replicas are pending termination',
    );
    // 50 % of 3 updated replicas is int32(1.5) = 1 available needed.
    expect(
      deploymentReadiness(
        base({ replicas: 3, updatedReplicas: 3, availableReplicas: 1 }, 3),
        60,
        50,
        now,
      ),
    ).toEqual({ retriable: true });
    expect(
      deploymentReadiness(
        base({
          conditions: [
            { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' },
          ],
        }),
        60,
        100,
        now,
      ),
    ).toEqual({ retriable: false, error: 'deployment "podinfo" exceeded its progress deadline' });
    const unavailable = (at: string) =>
      base({
        replicas: 2,
        updatedReplicas: 2,
        conditions: [
          progressing,
          {
            type: 'Available',
            status: 'False',
            reason: 'MinimumReplicasUnavailable',
            lastUpdateTime: at,
          },
        ],
      });
    expect(deploymentReadiness(unavailable('2026-01-01T00:09:30Z'), 60, 100, now).retriable).toBe(
      true,
    );
    expect(deploymentReadiness(unavailable('2026-01-01T00:08:00Z'), 60, 100, now)).toEqual({
      retriable: false,
      error:
        'waiting for rollout to finish: 0 of 2 (readyThreshold 100%) updated replicas are available',
    });
  });

  it('halts on a primary scaled to zero only when asked (Flagger compares pointers)', async () => {
    const r = (rig = startRig(tutorialObjects()));
    await r.initialize();
    r.cluster.store.mutate(R.deployments, NS, 'podinfo-primary', (o) => {
      (o as Deployment).spec.replicas = 0;
    });
    r.cluster.store.delete(R.hpas, NS, 'podinfo-primary');
    await r.until(() => new DeploymentController(r.api, r.options).isPrimaryReady(r.canary()));
    const strict = new DeploymentController(r.api, {
      ...r.options,
      haltOnPrimaryScaledToZero: true,
    });
    const err = await readinessError(strict.isPrimaryReady(r.canary()));
    expect(err).toMatchObject({
      retriable: false,
      message: 'halt podinfo.test advancement: primary deployment is scaled to zero',
    });
  });
});

describe('DaemonSetController (daemonset_controller.go)', () => {
  const daemonSet = (): KubeObject => {
    const d = podinfoDeployment() as Deployment;
    return {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'podinfo', namespace: NS, labels: { app: 'podinfo' } },
      spec: { selector: d.spec.selector, template: d.spec.template },
    };
  };
  const canary = () =>
    podinfoCanary({
      provider: 'kubernetes',
      targetRef: { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'podinfo' },
      ingressRef: undefined,
      autoscalerRef: undefined,
    });

  it('initializes, scales to zero with a node selector the revision ignores, and back', async () => {
    const r = (rig = startRig([
      { ref: R.configmaps, object: tutorialObjects()[0]!.object },
      { ref: R.daemonsets, object: daemonSet() },
      { ref: R.canaries, object: canary() },
    ]));
    await r.initialize();
    const workload = new DaemonSetController(r.api, r.options);
    const primary = r.cluster.get<Deployment>(R.daemonsets, NS, 'podinfo-primary');
    expect(primary.spec.selector.matchLabels).toEqual({ app: 'podinfo-primary' });
    const target = r.cluster.get<Deployment>(R.daemonsets, NS, 'podinfo');
    expect(target.spec.template.spec.nodeSelector).toEqual(SCALE_TO_ZERO_NODE_SELECTOR);
    expect(await workload.hasTargetChanged(r.canary())).toBe(false);

    await workload.scaleFromZero(r.canary());
    const back = r.cluster.get<Deployment>(R.daemonsets, NS, 'podinfo');
    expect(back.spec.template.spec.nodeSelector).toBeUndefined();
    expect(await workload.hasTargetChanged(r.canary())).toBe(false);
    await r.until(() => workload.isCanaryReady(r.canary()));

    r.cluster.store.mutate(R.daemonsets, NS, 'podinfo', (o) => {
      (o as Deployment).spec.template.spec.containers[0]!.image =
        'ghcr.io/stefanprodan/podinfo:6.0.1';
    });
    expect(await workload.hasTargetChanged(r.canary())).toBe(true);
    await workload.promote(r.canary());
    expect(image(r.cluster.get<Deployment>(R.daemonsets, NS, 'podinfo-primary'))).toBe(
      'ghcr.io/stefanprodan/podinfo:6.0.1',
    );
    await workload.scaleToZero(r.canary());
    await workload.finalize(r.canary());
    expect(
      r.cluster.get<Deployment>(R.daemonsets, NS, 'podinfo').spec.template.spec.nodeSelector,
    ).toBeUndefined();
  });
});
