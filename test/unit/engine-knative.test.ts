/**
 * Flagger's KnativeController and KnativeRouter (knative_controller.go, router/knative.go)
 * against Knative objects in memory: the primary revision annotation, spec.traffic in
 * Flagger's order, weights read back from status.traffic, readiness from the Revision.
 */
import { describe, expect, it } from 'vitest';
import { parseCanary, type Canary } from '../../src/core/canary';
import { ReadinessError } from '../../src/core/controller/ports';
import type { KubeApi, KubeObject, ObjectRef } from '../../src/core/kube/api';
import { KnativeRouter, trafficRouterFor } from '../../src/core/routers';
import { generatedRefs } from '../../src/core/fleet/generated-objects';
import { KnativeController, workloadFor } from '../../src/core/workloads';

const ANNOTATION = 'flagger.app/primary-revision';

function canary(phase = ''): Canary {
  const parsed = parseCanary({
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    metadata: { name: 'podinfo', namespace: 'test' },
    spec: {
      provider: 'knative',
      targetRef: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'podinfo' },
      analysis: { interval: '15s', threshold: 5, maxWeight: 50, stepWeight: 10 },
    },
    ...(phase ? { status: { phase } } : {}),
  });
  if ('errors' in parsed) throw new Error(JSON.stringify(parsed.errors));
  return parsed.canary;
}

/** A Knative Service and its revisions in memory; `replace` keeps what was written. */
function knative(latest = 'podinfo-00001', ready: Record<string, boolean> = {}) {
  const objects = new Map<string, KubeObject>();
  const key = (kind: string, name: string) => `${kind}/${name}`;
  objects.set(key('Service', 'podinfo'), {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name: 'podinfo', namespace: 'test', resourceVersion: '1' },
    spec: { template: { spec: { containers: [{ image: 'podinfo:6.0.0' }] } } },
    status: { latestCreatedRevisionName: latest, latestReadyRevisionName: latest },
  });
  for (const [name, isReady] of Object.entries({ [latest]: true, ...ready })) {
    objects.set(key('Revision', name), {
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Revision',
      metadata: { name, namespace: 'test' },
      status: { conditions: [{ type: 'Ready', status: isReady ? 'True' : 'Unknown' }] },
    });
  }
  const writes: KubeObject[] = [];
  const api = {
    context: 'test',
    async get(ref: ObjectRef) {
      const found = objects.get(key(ref.kind, ref.name));
      return found ? structuredClone(found) : undefined;
    },
    async replace(o: KubeObject) {
      writes.push(structuredClone(o));
      objects.set(key(o.kind ?? '', o.metadata.name), structuredClone(o));
      return o;
    },
  } as unknown as KubeApi;
  const service = () =>
    objects.get(key('Service', 'podinfo')) as KubeObject & {
      spec: { traffic?: unknown[] };
      status: Record<string, unknown>;
    };
  return { api, objects, writes, service };
}

describe('KnativeController (knative_controller.go)', () => {
  it('is the controller for a serving.knative.dev/v1 Service target', () => {
    expect(workloadFor(canary(), knative().api)).toBeInstanceOf(KnativeController);
  });

  it('initializes: the current revision is the primary, with all the traffic', async () => {
    const k = knative();
    await new KnativeController(k.api).initialize(canary());
    expect(k.service().metadata.annotations?.[ANNOTATION]).toBe('podinfo-00001');
    expect(k.service().spec.traffic).toEqual([
      { latestRevision: true, percent: 0 },
      { revisionName: 'podinfo-00001', percent: 100 },
    ]);
    // Only on the first run (phase "" or Initializing).
    const again = knative();
    await new KnativeController(again.api).initialize(canary('Succeeded'));
    expect(again.writes).toEqual([]);
  });

  it('uses the latest revision name as the spec hash, and promotes it to primary', async () => {
    const k = knative('podinfo-00002');
    const c = new KnativeController(k.api);
    expect(await c.revision(canary())).toEqual({ hash: 'podinfo-00002', trackedConfigs: {} });
    const seen = canary('Succeeded');
    seen.status = { ...seen.status!, lastAppliedSpec: 'podinfo-00001' };
    expect(await c.hasTargetChanged(seen)).toBe(true);
    seen.status.lastAppliedSpec = 'podinfo-00002';
    expect(await c.hasTargetChanged(seen)).toBe(false);
    await c.promote(seen);
    expect(k.service().metadata.annotations?.[ANNOTATION]).toBe('podinfo-00002');
    expect(await c.haveDependenciesChanged(seen)).toBe(false);
    expect(await c.getMetadata(seen)).toEqual({ labelSelector: '', labelValue: '', ports: {} });
  });

  it('is ready when the revisions are; not ready is retriable, with Flagger texts', async () => {
    const k = knative('podinfo-00002', { 'podinfo-00001': true, 'podinfo-00002': false });
    const c = new KnativeController(k.api);
    const err = await c.isCanaryReady(canary()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReadinessError);
    expect((err as ReadinessError).retriable).toBe(true);
    expect((err as Error).message).toBe('Knative Revision podinfo-00002.test is not ready');
    await expect(c.isPrimaryReady(canary())).rejects.toThrow(
      'Knative Service podinfo.test primary revision annotation not found',
    );
    k.service().metadata.annotations = { [ANNOTATION]: 'podinfo-00001' };
    await expect(c.isPrimaryReady(canary())).resolves.toBeUndefined();
    k.service().metadata.annotations = { [ANNOTATION]: 'podinfo-00009' };
    await expect(c.isPrimaryReady(canary())).rejects.toThrow(
      'Knative Revision podinfo-00009.test get query error: revisions.serving.knative.dev "podinfo-00009" not found',
    );
  });

  it('says which Service is missing', async () => {
    const k = knative();
    k.objects.clear();
    await expect(new KnativeController(k.api).revision(canary())).rejects.toThrow(
      'Knative Service podinfo.test get query error: services.serving.knative.dev "podinfo" not found',
    );
  });
});

describe('KnativeRouter (router/knative.go)', () => {
  it('is the router for provider knative and names the Service as its object', () => {
    const router = trafficRouterFor(canary(), knative().api);
    expect(router).toBeInstanceOf(KnativeRouter);
    expect(generatedRefs(canary(), router)).toEqual([
      {
        apiVersion: 'serving.knative.dev/v1',
        kind: 'Service',
        name: 'podinfo',
        role: 'traffic split (spec.traffic)',
        namespace: 'test',
      },
    ]);
  });

  it('writes spec.traffic in Flagger order and reads the weights Knative programmed', async () => {
    const k = knative('podinfo-00002');
    const router = new KnativeRouter(k.api);
    await expect(
      router.setRoutes(canary(), { primaryWeight: 70, canaryWeight: 30, mirrored: false }),
    ).rejects.toThrow('Knative Service podinfo.test annotation not found');
    await router.reconcile(canary());
    expect(k.service().metadata.annotations?.[ANNOTATION]).toBe('podinfo-00002');
    k.service().metadata.annotations = { [ANNOTATION]: 'podinfo-00001' };
    await router.reconcile(canary());
    expect(k.service().metadata.annotations?.[ANNOTATION]).toBe('podinfo-00001');
    await router.setRoutes(canary(), { primaryWeight: 70, canaryWeight: 30, mirrored: true });
    expect(k.service().spec.traffic).toEqual([
      { latestRevision: true, percent: 30 },
      { revisionName: 'podinfo-00001', percent: 70 },
    ]);
    await expect(router.getRoutes(canary())).rejects.toThrow(
      'Knative Service podinfo.test traffic spec invalid',
    );
    k.service().status.traffic = [
      { latestRevision: true, revisionName: 'podinfo-00002', percent: 30 },
      { latestRevision: false, revisionName: 'podinfo-00001', percent: 70 },
    ];
    expect(await router.getRoutes(canary())).toEqual({
      primaryWeight: 70,
      canaryWeight: 30,
      mirrored: false,
    });
  });

  it('reads 100/0 after a promotion, when both entries name the same revision', async () => {
    const k = knative('podinfo-00002');
    k.service().metadata.annotations = { [ANNOTATION]: 'podinfo-00002' };
    k.service().status.traffic = [
      { latestRevision: true, revisionName: 'podinfo-00002', percent: 0 },
      { latestRevision: false, revisionName: 'podinfo-00002', percent: 100 },
    ];
    expect(await new KnativeRouter(k.api).getRoutes(canary())).toEqual({
      primaryWeight: 100,
      canaryWeight: 0,
      mirrored: false,
    });
  });

  it('finalize drops the annotation', async () => {
    const k = knative();
    k.service().metadata.annotations = { [ANNOTATION]: 'podinfo-00001', keep: 'me' };
    await new KnativeRouter(k.api).finalize(canary());
    expect(k.service().metadata.annotations).toEqual({ keep: 'me' });
  });
});
