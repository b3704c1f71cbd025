/**
 * Flagger's ContourRouter (contour.go) on the in-process playground: the `<apex>` HTTPProxy
 * as Flagger writes it, its weights, the A/B routes, and the playground's Contour Envoy
 * following them through the user's root HTTPProxy (and reporting Envoy's cluster stats under
 * the names Flagger's contour queries select).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ContourRouter, trafficRouterFor } from '../../src/core/routers';
import type { KubeObject, ResourceRef } from '../../src/sim/store';
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

const PROXIES: ResourceRef = { group: 'projectcontour.io', resource: 'httpproxies' };
type HTTPProxy = KubeObject & { spec: Record<string, unknown> };

/** Flagger's Contour tutorial: the root proxy includes the one Flagger generates. */
const rootProxy: KubeObject = {
  apiVersion: 'projectcontour.io/v1',
  kind: 'HTTPProxy',
  metadata: { name: 'podinfo-ingress', namespace: NS },
  spec: {
    virtualhost: { fqdn: 'app.example.com' },
    includes: [{ name: 'podinfo', namespace: NS, conditions: [{ prefix: '/' }] }],
  },
};

let rig: Rig | undefined;
afterEach(() => {
  rig?.cluster.sim.stop();
  rig = undefined;
});

const services = (primary?: number, canary?: number) => [
  {
    name: 'podinfo-primary',
    port: 80,
    ...(primary ? { weight: primary } : {}),
    requestHeadersPolicy: {
      set: [{ name: 'l5d-dst-override', value: 'podinfo-primary.test.svc.cluster.local:80' }],
    },
  },
  {
    name: 'podinfo-canary',
    port: 80,
    ...(canary ? { weight: canary } : {}),
    requestHeadersPolicy: {
      set: [{ name: 'l5d-dst-override', value: 'podinfo-canary.test.svc.cluster.local:80' }],
    },
  },
];

function contourRig(spec: Record<string, unknown> = {}): Rig {
  const r = edgeRig('contour', { spec, objects: [{ ref: PROXIES, object: rootProxy }] });
  installProxy(r, 'projectcontour', 'envoy', 'envoyproxy/envoy:v1.29.2');
  return r;
}

describe('ContourRouter (contour.go)', () => {
  it('creates the <apex> HTTPProxy with 100/0 services, timeout and retry policies', async () => {
    const r = (rig = contourRig({
      service: {
        port: 80,
        targetPort: 9898,
        timeout: '15s',
        retries: { attempts: 3, perTryTimeout: '5s', retryOn: 'gateway-error,connect-failure' },
        apex: { labels: { team: 'birds' } },
      },
    }));
    await r.initialize();
    const proxy = r.cluster.get<HTTPProxy>(PROXIES, NS, 'podinfo');
    expect(proxy.metadata.labels).toEqual({ team: 'birds' });
    expect(proxy.metadata.annotations).toEqual(FLUX);
    expect(proxy.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Canary', name: 'podinfo' });
    expect(proxy.spec).toEqual({
      routes: [
        {
          conditions: [{ prefix: '/' }],
          timeoutPolicy: { response: '15s', idle: '5m' },
          retryPolicy: {
            count: 3,
            perTryTimeout: '5s',
            retryOn: ['gateway-error', 'connect-failure'],
          },
          services: services(100),
        },
      ],
    });
    expect(await trafficRouterFor(r.canary(), r.api).getRoutes(r.canary())).toEqual({
      primaryWeight: 100,
      canaryWeight: 0,
      mirrored: false,
    });
  });

  it('sets weights, and Envoy splits the root host by them (± 3 %) with Flagger-selected stats', async () => {
    const r = (rig = contourRig());
    await startCanary(r);
    const router = trafficRouterFor(r.canary(), r.api);
    expect(router).toBeInstanceOf(ContourRouter);
    const url = 'http://envoy.projectcontour/';
    const host = { Host: 'app.example.com' };
    expect(await canaryShare(r, 200, url, host)).toBe(0);
    await router.setRoutes(r.canary(), { primaryWeight: 70, canaryWeight: 30, mirrored: false });
    expect(r.cluster.get<HTTPProxy>(PROXIES, NS, 'podinfo').spec).toEqual({
      routes: [{ conditions: [{ prefix: '/' }], services: services(70, 30) }],
    });
    expect(await router.getRoutes(r.canary())).toEqual({
      primaryWeight: 70,
      canaryWeight: 30,
      mirrored: false,
    });
    const share = await canaryShare(r, 4_000, url, host);
    expect(share).toBeGreaterThan(0.27);
    expect(share).toBeLessThan(0.33);
    // The edge host itself (synthetic users) goes the same way.
    const edge = await canaryShare(r, 2_000, 'http://app.example.com/');
    expect(edge).toBeGreaterThan(0.26);
    expect(edge).toBeLessThan(0.34);

    const s = await samples(r);
    const canaryRq = sumWhere(s, 'envoy_cluster_upstream_rq', [
      ['envoy_cluster_name', '=~', 'test_podinfo-canary_[0-9a-zA-Z-]+'],
    ]);
    const allRq = sumWhere(s, 'envoy_cluster_upstream_rq', [
      ['envoy_cluster_name', '=~', 'test_podinfo-(primary|canary)_80'],
    ]);
    expect(canaryRq / allRq).toBeGreaterThan(0.27);
    expect(canaryRq / allRq).toBeLessThan(0.33);
    expect(
      sumWhere(s, 'envoy_cluster_upstream_rq_time_count', [
        ['envoy_cluster_name', '=', 'test_podinfo-canary_80'],
      ]),
    ).toBe(canaryRq);

    // Reconcile puts a drifted spec back, with Flagger's 100/0.
    r.cluster.store.mutate(PROXIES, NS, 'podinfo', (o) => {
      (o.spec as { routes: { conditions: unknown[] }[] }).routes[0]!.conditions = [
        { prefix: '/x' },
      ];
    });
    await router.reconcile(r.canary());
    expect(await router.getRoutes(r.canary())).toMatchObject({ primaryWeight: 100 });
    await expect(
      router.setRoutes(r.canary(), { primaryWeight: 0, canaryWeight: 0, mirrored: false }),
    ).rejects.toThrow('HTTPProxy podinfo.test update failed: no valid weights');
  });

  it('routes A/B header matches to the canary and everyone else to the primary', async () => {
    const r = (rig = contourRig({
      analysis: {
        interval: '10s',
        threshold: 10,
        iterations: 10,
        match: [{ headers: { 'x-canary': { exact: 'insider' } } }],
      },
    }));
    await startCanary(r);
    const router = trafficRouterFor(r.canary(), r.api);
    await router.setRoutes(r.canary(), { primaryWeight: 0, canaryWeight: 100, mirrored: false });
    const spec = r.cluster.get<HTTPProxy>(PROXIES, NS, 'podinfo').spec;
    expect(spec).toEqual({
      routes: [
        {
          conditions: [{ prefix: '/', header: { name: 'x-canary', exact: 'insider' } }],
          services: services(0, 100),
        },
        { conditions: [{ prefix: '/' }], services: services(100, 0) },
      ],
    });
    const url = 'http://app.example.com/';
    expect(await canaryShare(r, 100, url, { 'x-canary': 'insider' })).toBe(1);
    expect(await canaryShare(r, 100, url)).toBe(0);
  });

  it('reports a missing proxy as Flagger', async () => {
    const r = (rig = contourRig());
    await expect(new ContourRouter(r.api).getRoutes(r.canary())).rejects.toThrow(
      'HTTPProxy podinfo.test get query error httpproxies.projectcontour.io "podinfo" not found',
    );
  });
});
