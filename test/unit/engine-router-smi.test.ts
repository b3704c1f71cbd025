/**
 * Flagger's SMI routers (smi.go, smi_v1alpha2.go, smi_v1alpha3.go) on the in-process
 * playground: the TrafficSplit each provider writes, the weights it reads back, and the
 * playground's Linkerd / OSM mesh splitting requests by those weights and reporting the
 * mesh's own metrics.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SmiRouter, smiRouterOptionsFor, trafficRouterFor } from '../../src/core/routers';
import type { KubeObject, ResourceRef } from '../../src/sim/store';
import { R } from '../../src/sim/store';
import { parseExposition, sumWhere } from '../support/sim-cluster';
import type { Rig } from './engine-support';
import { NS, podinfoCanary, podinfoConfig, podinfoDeployment, startRig } from './engine-support';
import { releaseShare, startCanary } from './engine-router-release.support';

const SPLITS: ResourceRef = { group: 'split.smi-spec.io', resource: 'trafficsplits' };
const ROUTE_GROUPS: ResourceRef = { group: 'specs.smi-spec.io', resource: 'httproutegroups' };

type TrafficSplit = KubeObject & {
  spec: {
    service: string;
    backends: { service: string; weight: string | number }[];
    matches?: unknown[];
  };
};

let rig: Rig | undefined;
afterEach(() => {
  rig?.cluster.sim.stop();
  rig = undefined;
});

/** Flagger's Linkerd tutorial: podinfo, a canary with the given provider, no ingress. */
function meshObjects(provider: string, spec: Record<string, unknown> = {}) {
  const canary = podinfoCanary({ provider, ...spec });
  delete (canary.spec as Record<string, unknown>).ingressRef;
  delete (canary.spec as Record<string, unknown>).autoscalerRef;
  return [
    { ref: R.configmaps, object: podinfoConfig },
    { ref: R.deployments, object: podinfoDeployment() },
    { ref: R.canaries, object: canary },
  ];
}

/** Puts the test namespace in a mesh, as `linkerd inject` or `osm namespace add` would. */
function joinMesh(r: Rig, mesh: 'linkerd' | 'osm'): void {
  r.cluster.store.mutate(R.namespaces, undefined, NS, (ns) => {
    if (mesh === 'linkerd') ns.metadata.annotations = { 'linkerd.io/inject': 'enabled' };
    else ns.metadata.labels = { 'openservicemesh.io/monitored-by': 'osm' };
  });
}

/** The share of n requests to the apex Service, sent from inside the mesh, the canary answered. */
function canaryShare(r: Rig, n: number, headers: Record<string, string> = {}): Promise<number> {
  return releaseShare(r, n, { url: `http://podinfo.${NS}/`, headers });
}

const split = (r: Rig) => r.cluster.get<TrafficSplit>(SPLITS, NS, 'podinfo');

describe('SMI router selection (factory.go)', () => {
  it('maps providers to the TrafficSplit version and mesh Flagger uses', () => {
    expect(smiRouterOptionsFor('linkerd')).toEqual({ version: 'v1alpha1', targetMesh: 'linkerd' });
    expect(smiRouterOptionsFor('osm')).toEqual({ version: 'v1alpha2', targetMesh: 'osm' });
    expect(smiRouterOptionsFor('smi:v1alpha3:istio')).toEqual({
      version: 'v1alpha3',
      targetMesh: 'istio',
    });
    // strings.TrimPrefix leaves a provider without a mesh suffix as it is.
    expect(smiRouterOptionsFor('smi:v1alpha2')).toEqual({
      version: 'v1alpha2',
      targetMesh: 'smi:v1alpha2',
    });
    expect(smiRouterOptionsFor('smi')).toBeUndefined();
    expect(smiRouterOptionsFor('nginx')).toBeUndefined();
  });
});

describe('SmiRouter v1alpha1 (linkerd)', () => {
  it('creates the TrafficSplit with Quantity weights, owned by the canary', async () => {
    const r = (rig = startRig(meshObjects('linkerd')));
    await r.initialize();
    const ts = split(r);
    expect(ts.apiVersion).toBe('split.smi-spec.io/v1alpha1');
    expect(ts.spec).toEqual({
      service: 'podinfo',
      backends: [
        { service: 'podinfo-canary', weight: '0' },
        { service: 'podinfo-primary', weight: '100' },
      ],
    });
    expect(ts.metadata.annotations).toBeUndefined();
    expect(ts.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Canary', name: 'podinfo', controller: true }),
    ]);
    expect(await trafficRouterFor(r.canary(), r.api).getRoutes(r.canary())).toEqual({
      primaryWeight: 100,
      canaryWeight: 0,
      mirrored: false,
    });
  });

  it('splits requests in the Linkerd mesh by the weights set (± 3 %)', async () => {
    const r = (rig = startRig(meshObjects('linkerd')));
    joinMesh(r, 'linkerd');
    await startCanary(r);
    const router = trafficRouterFor(r.canary(), r.api);
    expect(await canaryShare(r, 200)).toBe(0);
    await router.setRoutes(r.canary(), { primaryWeight: 70, canaryWeight: 30, mirrored: false });
    expect(split(r).spec.backends).toEqual([
      { service: 'podinfo-canary', weight: '30' },
      { service: 'podinfo-primary', weight: '70' },
    ]);
    expect(await router.getRoutes(r.canary())).toEqual({
      primaryWeight: 70,
      canaryWeight: 30,
      mirrored: false,
    });
    const share = await canaryShare(r, 4_000);
    expect(share).toBeGreaterThan(0.27);
    expect(share).toBeLessThan(0.33);
    await router.setRoutes(r.canary(), { primaryWeight: 100, canaryWeight: 0, mirrored: false });
    expect(await canaryShare(r, 200)).toBe(0);
  });

  it('splits by milli-quantities, which Flagger reads back as no routes', async () => {
    const r = (rig = startRig(meshObjects('linkerd')));
    joinMesh(r, 'linkerd');
    await startCanary(r);
    r.cluster.store.mutate(SPLITS, NS, 'podinfo', (o) => {
      (o as TrafficSplit).spec.backends = [
        { service: 'podinfo-canary', weight: '100m' },
        { service: 'podinfo-primary', weight: '900m' },
      ];
    });
    const share = await canaryShare(r, 4_000);
    expect(share).toBeGreaterThan(0.07);
    expect(share).toBeLessThan(0.13);
    // resource.Quantity.AsInt64 fails on 0.1 and 0.9: both weights read as 0.
    await expect(trafficRouterFor(r.canary(), r.api).getRoutes(r.canary())).rejects.toThrow(
      'TrafficSplit podinfo.test does not contain routes for podinfo-primary and podinfo-canary',
    );
  });

  it('leaves the weights alone on reconcile but restores drifted backends', async () => {
    const r = (rig = startRig(meshObjects('linkerd')));
    await r.initialize();
    const router = trafficRouterFor(r.canary(), r.api);
    await router.setRoutes(r.canary(), { primaryWeight: 60, canaryWeight: 40, mirrored: false });
    const before = split(r).metadata.resourceVersion;
    await router.reconcile(r.canary());
    expect(split(r).metadata.resourceVersion).toBe(before);
    r.cluster.store.mutate(SPLITS, NS, 'podinfo', (o) => {
      (o as TrafficSplit).spec.service = 'elsewhere';
    });
    await router.reconcile(r.canary());
    expect(split(r).spec).toEqual({
      service: 'podinfo',
      backends: [
        { service: 'podinfo-canary', weight: '0' },
        { service: 'podinfo-primary', weight: '100' },
      ],
    });
  });

  it('uses service.hosts[0] as the split service and reports a missing split in Flagger words', async () => {
    const r = (rig = startRig(
      meshObjects('linkerd', { service: { port: 80, hosts: ['podinfo.test.svc.cluster.local'] } }),
    ));
    await r.initialize();
    expect(split(r).spec.service).toBe('podinfo.test.svc.cluster.local');
    r.cluster.store.delete(SPLITS, NS, 'podinfo');
    await expect(trafficRouterFor(r.canary(), r.api).getRoutes(r.canary())).rejects.toThrow(
      'TrafficSplit podinfo.test get query error trafficsplits.split.smi-spec.io "podinfo" not found',
    );
    await expect(
      trafficRouterFor(r.canary(), r.api).setRoutes(r.canary(), {
        primaryWeight: 90,
        canaryWeight: 10,
        mirrored: false,
      }),
    ).rejects.toThrow('TrafficSplit podinfo.test get query error');
  });
});

describe('SmiRouter v1alpha2 (osm) and v1alpha3', () => {
  it('writes int weights for osm, and OSM splits and reports osm_request_total', async () => {
    const r = (rig = startRig(meshObjects('osm')));
    joinMesh(r, 'osm');
    await startCanary(r);
    expect(split(r).apiVersion).toBe('split.smi-spec.io/v1alpha2');
    const router = trafficRouterFor(r.canary(), r.api);
    expect(router).toBeInstanceOf(SmiRouter);
    await router.setRoutes(r.canary(), { primaryWeight: 50, canaryWeight: 50, mirrored: false });
    expect(split(r).spec.backends).toEqual([
      { service: 'podinfo-canary', weight: 50 },
      { service: 'podinfo-primary', weight: 50 },
    ]);
    expect(await router.getRoutes(r.canary())).toEqual({
      primaryWeight: 50,
      canaryWeight: 50,
      mirrored: false,
    });
    const share = await canaryShare(r, 2_000);
    expect(share).toBeGreaterThan(0.46);
    expect(share).toBeLessThan(0.54);
    const samples = parseExposition(await r.cluster.sim.metricsText());
    const canaryRequests = sumWhere(samples, 'osm_request_total', [
      ['destination_namespace', '=', NS],
      ['destination_kind', '=', 'Deployment'],
      ['destination_name', '=', 'podinfo'],
    ]);
    const primaryRequests = sumWhere(samples, 'osm_request_total', [
      ['destination_name', '=', 'podinfo-primary'],
    ]);
    expect(canaryRequests).toBe(Math.round(share * 2_000));
    expect(primaryRequests).toBeGreaterThan(0);
    expect(
      sumWhere(samples, 'osm_request_duration_ms_count', [['destination_name', '=', 'podinfo']]),
    ).toBe(canaryRequests);
  });

  it('annotates the v1alpha3 split with Istio gateways for smi:v1alpha3:istio', async () => {
    const r = (rig = startRig(
      meshObjects('smi:v1alpha3:istio', {
        service: { port: 80, gateways: ['public-gateway.istio-system.svc.cluster.local'] },
      }),
    ));
    // smi:* is not in the CRD's provider enum, so the global mesh provider names it.
    r.cluster.store.mutate(R.canaries, NS, 'podinfo', (o) => {
      delete (o.spec as Record<string, unknown>).provider;
    });
    const router = trafficRouterFor(r.canary(), r.api, { meshProvider: 'smi:v1alpha3:istio' });
    await router.reconcile(r.canary());
    const ts = split(r);
    expect(ts.apiVersion).toBe('split.smi-spec.io/v1alpha3');
    expect(ts.metadata.annotations).toEqual({
      'VirtualService.v1alpha3.networking.istio.io/spec.gateways':
        '["public-gateway.istio-system.svc.cluster.local"]',
    });
    expect(ts.spec.backends).toEqual([
      { service: 'podinfo-canary', weight: 0 },
      { service: 'podinfo-primary', weight: 100 },
    ]);
  });
});

describe('the Linkerd mesh on the playground', () => {
  it('reports inbound response_total per deployment, failures classified', async () => {
    const r = (rig = startRig(meshObjects('linkerd')));
    joinMesh(r, 'linkerd');
    await startCanary(r);
    r.cluster.sim.setBehaviour(NS, 'podinfo', { errorRate: 1 });
    const router = trafficRouterFor(r.canary(), r.api);
    await router.setRoutes(r.canary(), { primaryWeight: 80, canaryWeight: 20, mirrored: false });
    for (let i = 0; i < 500; i++) await r.cluster.sim.send({ url: `http://podinfo.${NS}/` });
    const samples = parseExposition(await r.cluster.sim.metricsText());
    const canary = (extra: [string, '=' | '!=', string][] = []) =>
      sumWhere(samples, 'response_total', [
        ['namespace', '=', NS],
        ['deployment', '=~', 'podinfo'],
        ['direction', '=', 'inbound'],
        ...extra,
      ]);
    expect(canary()).toBeGreaterThan(70);
    expect(canary()).toBeLessThan(130);
    expect(canary([['classification', '!=', 'failure']])).toBe(0);
    expect(canary([['status_code', '=', '500']])).toBe(canary());
    const primary = sumWhere(samples, 'response_total', [
      ['deployment', '=', 'podinfo-primary'],
      ['classification', '=', 'success'],
    ]);
    expect(primary + canary()).toBe(500);
    expect(sumWhere(samples, 'response_latency_ms_count', [['deployment', '=', 'podinfo']])).toBe(
      canary(),
    );
  });

  it('applies a v1alpha3 split with HTTPRouteGroup matches only to matching requests', async () => {
    const r = (rig = startRig(meshObjects('linkerd')));
    joinMesh(r, 'linkerd');
    await startCanary(r);
    r.cluster.apply(ROUTE_GROUPS, {
      apiVersion: 'specs.smi-spec.io/v1alpha4',
      kind: 'HTTPRouteGroup',
      metadata: { name: 'podinfo-insiders', namespace: NS },
      spec: { matches: [{ name: 'insider', headers: { 'x-canary': 'insider' } }] },
    });
    r.cluster.store.delete(SPLITS, NS, 'podinfo');
    r.cluster.apply(SPLITS, {
      apiVersion: 'split.smi-spec.io/v1alpha3',
      kind: 'TrafficSplit',
      metadata: { name: 'podinfo-ab', namespace: NS },
      spec: {
        service: 'podinfo',
        matches: [{ kind: 'HTTPRouteGroup', name: 'podinfo-insiders' }],
        backends: [
          { service: 'podinfo-canary', weight: 100 },
          { service: 'podinfo-primary', weight: 0 },
        ],
      },
    });
    expect(await canaryShare(r, 50, { 'x-canary': 'insider' })).toBe(1);
    expect(await canaryShare(r, 50, { 'x-canary': 'outsider' })).toBe(0);
    expect(await canaryShare(r, 50)).toBe(0);
  });

  it('leaves namespaces outside a mesh to kube-proxy', async () => {
    const r = (rig = startRig(meshObjects('linkerd')));
    await startCanary(r);
    await trafficRouterFor(r.canary(), r.api).setRoutes(r.canary(), {
      primaryWeight: 0,
      canaryWeight: 100,
      mirrored: false,
    });
    // The apex Service selects the primary; no proxy reads the split.
    expect(await canaryShare(r, 50)).toBe(0);
    const samples = parseExposition(await r.cluster.sim.metricsText());
    expect(sumWhere(samples, 'response_total', [])).toBe(0);
  });
});
