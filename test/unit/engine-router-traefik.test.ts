/**
 * Flagger's TraefikRouter (traefik.go) on the in-process playground: the `<apex>`
 * TraefikService (traefik.io/v1alpha1) with its weighted services, and the playground's
 * Traefik following it from the user's IngressRoute (reporting traefik_service_* under the
 * service names Flagger's traefik queries select).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TraefikRouter, trafficRouterFor } from '../../src/core/routers';
import type { KubeObject, ResourceRef } from '../../src/sim/store';
import { parseRule } from '../../src/sim/traffic/traefik';
import { sumWhere } from '../support/sim-cluster';
import type { Rig } from './engine-support';
import { NS } from './engine-support';
import {
  FLUX,
  canaryShare,
  edgeRig,
  installProxy,
  samples,
  startCanary,
} from './engine-router-edge.support';

const TRAEFIK_SERVICES: ResourceRef = { group: 'traefik.io', resource: 'traefikservices' };
const INGRESS_ROUTES: ResourceRef = { group: 'traefik.io', resource: 'ingressroutes' };
type TraefikService = KubeObject & { spec: Record<string, unknown> };

/** Flagger's Traefik tutorial IngressRoute, sending to the TraefikService Flagger writes. */
const ingressRoute: KubeObject = {
  apiVersion: 'traefik.io/v1alpha1',
  kind: 'IngressRoute',
  metadata: { name: 'podinfo', namespace: NS },
  spec: {
    entryPoints: ['web'],
    routes: [
      {
        match: 'Host(`app.example.com`) && PathPrefix(`/`)',
        kind: 'Rule',
        services: [{ name: 'podinfo', kind: 'TraefikService' }],
      },
    ],
  },
};

let rig: Rig | undefined;
afterEach(() => {
  rig?.cluster.sim.stop();
  rig = undefined;
});

function traefikRig(): Rig {
  const r = edgeRig('traefik', { objects: [{ ref: INGRESS_ROUTES, object: ingressRoute }] });
  installProxy(r, 'traefik', 'traefik', 'traefik:v3.1');
  return r;
}

const weighted = (services: { name: string; weight?: number }[]) => ({
  weighted: { services: services.map((s) => ({ namespace: NS, port: 80, ...s })) },
});

describe('TraefikRouter (traefik.go)', () => {
  it('creates the <apex> TraefikService with the primary only', async () => {
    const r = (rig = traefikRig());
    await r.initialize();
    const ts = r.cluster.get<TraefikService>(TRAEFIK_SERVICES, NS, 'podinfo');
    expect(ts.apiVersion).toBe('traefik.io/v1alpha1');
    expect(ts.metadata.annotations).toEqual(FLUX);
    expect(ts.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Canary', name: 'podinfo' });
    expect(ts.spec).toEqual(weighted([{ name: 'podinfo-primary', weight: 100 }]));
    expect(await trafficRouterFor(r.canary(), r.api).getRoutes(r.canary())).toEqual({
      primaryWeight: 100,
      canaryWeight: 0,
      mirrored: false,
    });
  });

  it('adds the canary while it has weight, and Traefik splits by it (± 3 %)', async () => {
    const r = (rig = traefikRig());
    await startCanary(r);
    const router = trafficRouterFor(r.canary(), r.api);
    expect(router).toBeInstanceOf(TraefikRouter);
    await router.setRoutes(r.canary(), { primaryWeight: 80, canaryWeight: 20, mirrored: false });
    expect(r.cluster.get<TraefikService>(TRAEFIK_SERVICES, NS, 'podinfo').spec).toEqual(
      weighted([
        { name: 'podinfo-primary', weight: 80 },
        { name: 'podinfo-canary', weight: 20 },
      ]),
    );
    expect(await router.getRoutes(r.canary())).toEqual({
      primaryWeight: 80,
      canaryWeight: 20,
      mirrored: false,
    });
    // Reconcile keeps a canary entry in place (weights are not compared).
    await router.reconcile(r.canary());
    expect(await router.getRoutes(r.canary())).toMatchObject({ canaryWeight: 20 });

    const share = await canaryShare(r, 4_000, 'http://traefik.traefik/', {
      Host: 'app.example.com',
    });
    expect(share).toBeGreaterThan(0.17);
    expect(share).toBeLessThan(0.23);
    const s = await samples(r);
    const canary = sumWhere(s, 'traefik_service_request_duration_seconds_bucket', [
      ['service', '=~', 'test-podinfo-canary-[0-9a-zA-Z-]+@kubernetescrd'],
      ['le', '=', '+Inf'],
    ]);
    expect(canary / 4_000).toBeCloseTo(share, 5);
    expect(
      sumWhere(s, 'traefik_service_requests_total', [
        ['service', '=', 'test-podinfo@kubernetescrd'],
      ]),
    ).toBe(4_000);

    await router.setRoutes(r.canary(), { primaryWeight: 100, canaryWeight: 0, mirrored: false });
    expect(r.cluster.get<TraefikService>(TRAEFIK_SERVICES, NS, 'podinfo').spec).toEqual(
      weighted([{ name: 'podinfo-primary', weight: 100 }]),
    );
    expect(await canaryShare(r, 200, 'http://app.example.com/')).toBe(0);
    await expect(
      router.setRoutes(r.canary(), { primaryWeight: 0, canaryWeight: 0, mirrored: false }),
    ).rejects.toThrow('RoutingRule podinfo.test update failed: no valid weights');
  });

  it('parses Traefik rules', () => {
    expect(parseRule('Host(`a.example.com`) && (PathPrefix(`/x`) || !Method(`POST`))')).toEqual({
      op: 'and',
      left: { op: 'call', name: 'Host', args: ['a.example.com'] },
      right: {
        op: 'or',
        left: { op: 'call', name: 'PathPrefix', args: ['/x'] },
        right: { op: 'not', rule: { op: 'call', name: 'Method', args: ['POST'] } },
      },
    });
    expect(parseRule('Host(`a`) &&')).toBeUndefined();
  });
});
