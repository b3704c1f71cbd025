/**
 * Flagger's KumaRouter (kuma.go) on the in-process playground: the cluster-scoped `<apex>`
 * TrafficRoute in the Canary's mesh, its split weights, and the playground's Kuma data plane
 * splitting requests to the apex Service by them (reporting Envoy stats with the `service`
 * label Flagger's kuma queries select).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { KumaRouter, trafficRouterFor } from '../../src/core/routers';
import type { KubeObject, ResourceRef } from '../../src/sim/store';
import { R } from '../../src/sim/store';
import { sumWhere } from '../support/sim-cluster';
import type { Rig } from './engine-support';
import { NS } from './engine-support';
import { FLUX, canaryShare, edgeRig, samples, startCanary } from './engine-router-edge.support';

const TRAFFIC_ROUTES: ResourceRef = { group: 'kuma.io', resource: 'trafficroutes' };
type TrafficRoute = KubeObject & { mesh?: string; spec: Record<string, unknown> };

let rig: Rig | undefined;
afterEach(() => {
  rig?.cluster.sim.stop();
  rig = undefined;
});

const split = (primary: number, canary: number) => [
  { weight: primary, destination: { 'kuma.io/service': 'podinfo-primary_test_svc_80' } },
  { weight: canary, destination: { 'kuma.io/service': 'podinfo-canary_test_svc_80' } },
];

function kumaRig(): Rig {
  const r = edgeRig('kuma', { canaryAnnotations: { 'kuma.io/mesh': 'birds' } });
  // The tutorial's namespace is in the mesh (sidecar injection on).
  r.cluster.store.mutate(R.namespaces, undefined, NS, (o) => {
    o.metadata.labels = { ...o.metadata.labels, 'kuma.io/sidecar-injection': 'enabled' };
  });
  return r;
}

describe('KumaRouter (kuma.go)', () => {
  it('creates the cluster-scoped <apex> TrafficRoute in the annotated mesh, without owner', async () => {
    const r = (rig = kumaRig());
    await r.initialize();
    const route = r.cluster.store.get(TRAFFIC_ROUTES, undefined, 'podinfo') as TrafficRoute;
    expect(route.metadata.namespace).toBeUndefined();
    expect(route.metadata.ownerReferences).toBeUndefined();
    expect(route.metadata.annotations).toEqual(FLUX);
    expect(route.mesh).toBe('birds');
    expect(route.spec).toEqual({
      sources: [{ match: { 'kuma.io/service': '*' } }],
      destinations: [{ match: { 'kuma.io/service': 'podinfo_test_svc_80' } }],
      conf: { split: split(100, 0) },
    });
    expect(await trafficRouterFor(r.canary(), r.api).getRoutes(r.canary())).toEqual({
      primaryWeight: 100,
      canaryWeight: 0,
      mirrored: false,
    });
  });

  it('sets split weights, and the data plane follows them (± 3 %) with Kuma service labels', async () => {
    const r = (rig = kumaRig());
    await startCanary(r);
    const router = trafficRouterFor(r.canary(), r.api);
    expect(router).toBeInstanceOf(KumaRouter);
    const url = 'http://podinfo.test/';
    expect(await canaryShare(r, 200, url)).toBe(0);
    await router.setRoutes(r.canary(), { primaryWeight: 60, canaryWeight: 40, mirrored: false });
    const route = r.cluster.store.get(TRAFFIC_ROUTES, undefined, 'podinfo') as TrafficRoute;
    expect((route.spec as { conf: unknown }).conf).toEqual({ split: split(60, 40) });
    expect(await router.getRoutes(r.canary())).toEqual({
      primaryWeight: 60,
      canaryWeight: 40,
      mirrored: false,
    });
    const share = await canaryShare(r, 4_000, url);
    expect(share).toBeGreaterThan(0.37);
    expect(share).toBeLessThan(0.43);
    const s = await samples(r);
    const canary = sumWhere(s, 'envoy_cluster_upstream_rq', [
      ['service', '=~', 'podinfo-canary_test_svc_[0-9a-zA-Z-]+'],
      ['envoy_response_code', '!~', '5.*'],
    ]);
    expect(canary).toBeGreaterThan(1_400);
    expect(
      sumWhere(s, 'envoy_cluster_upstream_rq', [
        ['service', '=~', 'podinfo-canary_test_svc_[0-9a-zA-Z-]+'],
        ['kubernetes_pod_name', '=~', 'podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)'],
        ['mesh', '=', 'birds'],
      ]),
    ).toBe(canary);
  });

  it('reports a TrafficRoute without the primary as Flagger', async () => {
    const r = (rig = kumaRig());
    await r.initialize();
    r.cluster.store.mutate(TRAFFIC_ROUTES, undefined, 'podinfo', (o) => {
      (o.spec as { conf: unknown }).conf = { split: [] };
    });
    await expect(new KumaRouter(r.api).getRoutes(r.canary())).rejects.toThrow(
      'TrafficRoute podinfo does not contain routes for podinfo-primary and podinfo-canary',
    );
  });
});
