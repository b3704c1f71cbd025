/**
 * Flagger's GlooRouter (gloo.go) on the in-process playground: the two Upstreams (cloned from
 * upstreamRef's settings), the `<apex>` RouteTable with its weighted destinations, and the
 * playground's gateway-proxy following them through the user's VirtualService delegation.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GlooRouter, trafficRouterFor } from '../../src/core/routers';
import type { KubeObject, ResourceRef } from '../../src/sim/store';
import { R } from '../../src/sim/store';
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

const ROUTE_TABLES: ResourceRef = { group: 'gateway.solo.io', resource: 'routetables' };
const VIRTUAL_SERVICES: ResourceRef = { group: 'gateway.solo.io', resource: 'virtualservices' };
const UPSTREAMS: ResourceRef = { group: 'gloo.solo.io', resource: 'upstreams' };
type Obj = KubeObject & { spec: Record<string, unknown> };

/** Flagger's Gloo tutorial VirtualService, delegating to the RouteTable Flagger writes. */
const virtualService: KubeObject = {
  apiVersion: 'gateway.solo.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'podinfo', namespace: NS },
  spec: {
    virtualHost: {
      domains: ['app.example.com'],
      routes: [
        {
          matchers: [{ prefix: '/' }],
          delegateAction: { ref: { name: 'podinfo', namespace: NS } },
        },
      ],
    },
  },
};

/** An upstream with user settings, as spec.upstreamRef points at. */
const configUpstream: KubeObject = {
  apiVersion: 'gloo.solo.io/v1',
  kind: 'Upstream',
  metadata: { name: 'podinfo-config', namespace: 'prod' },
  spec: {
    loadBalancerConfig: { roundRobin: {} },
    connectionConfig: { maxRequestsPerConnection: 10 },
    discoveryMetadata: { labels: { dropped: 'yes' } },
  },
};

let rig: Rig | undefined;
afterEach(() => {
  rig?.cluster.sim.stop();
  rig = undefined;
});

const destinations = (primary?: number, canary?: number) => [
  {
    destination: { upstream: { name: 'test-podinfo-primaryupstream-80', namespace: NS } },
    ...(primary ? { weight: primary } : {}),
  },
  {
    destination: { upstream: { name: 'test-podinfo-canaryupstream-80', namespace: NS } },
    ...(canary ? { weight: canary } : {}),
  },
];

function glooRig(spec: Record<string, unknown> = {}): Rig {
  const r = edgeRig('gloo', {
    spec,
    objects: [
      { ref: VIRTUAL_SERVICES, object: virtualService },
      { ref: UPSTREAMS, object: configUpstream },
    ],
  });
  installProxy(r, 'gloo-system', 'gateway-proxy', 'quay.io/solo-io/gloo-envoy-wrapper:1.17.0');
  return r;
}

describe('GlooRouter (gloo.go)', () => {
  it('creates the upstreams (from upstreamRef) and the <apex> route table at 100/0', async () => {
    const r = (rig = glooRig({
      upstreamRef: {
        apiVersion: 'gloo.solo.io/v1',
        kind: 'Upstream',
        name: 'podinfo-config',
        namespace: 'prod',
      },
    }));
    await r.initialize();
    const table = r.cluster.get<Obj>(ROUTE_TABLES, NS, 'podinfo');
    expect(table.metadata.annotations).toEqual(FLUX);
    expect(table.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Canary', name: 'podinfo' });
    expect(table.spec).toEqual({
      routes: [
        {
          inheritablePathMatchers: true,
          routeAction: { multi: { destinations: destinations(100) } },
        },
      ],
    });
    for (const [name, service] of [
      ['test-podinfo-primaryupstream-80', 'podinfo-primary'],
      ['test-podinfo-canaryupstream-80', 'podinfo-canary'],
    ] as const) {
      const upstream = r.cluster.get<Obj>(UPSTREAMS, NS, name);
      expect(upstream.metadata.labels).toBeUndefined();
      expect(upstream.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Canary' });
      expect(upstream.spec).toEqual({
        loadBalancerConfig: { roundRobin: {} },
        connectionConfig: { maxRequestsPerConnection: 10 },
        kube: {
          serviceName: service,
          serviceNamespace: NS,
          servicePort: 80,
          selector: { app: service === 'podinfo-primary' ? 'podinfo-primary' : 'podinfo' },
        },
      });
    }
    // The LB settings follow the upstreamRef on later reconciles.
    r.cluster.store.mutate(UPSTREAMS, 'prod', 'podinfo-config', (o) => {
      (o.spec as Record<string, unknown>).loadBalancerConfig = { leastRequest: { choiceCount: 2 } };
    });
    await trafficRouterFor(r.canary(), r.api).reconcile(r.canary());
    expect(
      r.cluster.get<Obj>(UPSTREAMS, NS, 'test-podinfo-canaryupstream-80').spec.loadBalancerConfig,
      // Flagger sends a JSON merge patch, so the old roundRobin stays beside the new setting.
    ).toEqual({ roundRobin: {}, leastRequest: { choiceCount: 2 } });
  });

  it('sets weights, and the gateway splits by them (± 3 %) with Gloo cluster names', async () => {
    const r = (rig = glooRig());
    await startCanary(r);
    const router = trafficRouterFor(r.canary(), r.api);
    expect(router).toBeInstanceOf(GlooRouter);
    await router.setRoutes(r.canary(), { primaryWeight: 75, canaryWeight: 25, mirrored: false });
    expect(r.cluster.get<Obj>(ROUTE_TABLES, NS, 'podinfo').spec).toEqual({
      routes: [
        {
          inheritablePathMatchers: true,
          routeAction: { multi: { destinations: destinations(75, 25) } },
        },
      ],
    });
    expect(await router.getRoutes(r.canary())).toEqual({
      primaryWeight: 75,
      canaryWeight: 25,
      mirrored: false,
    });
    const share = await canaryShare(r, 4_000, 'http://gateway-proxy.gloo-system/', {
      Host: 'app.example.com',
    });
    expect(share).toBeGreaterThan(0.22);
    expect(share).toBeLessThan(0.28);
    const s = await samples(r);
    const canary = sumWhere(s, 'envoy_cluster_upstream_rq', [
      ['envoy_cluster_name', '=~', 'test-podinfo-canaryupstream-[0-9a-zA-Z-]+_[0-9a-zA-Z-]+'],
    ]);
    expect(canary / 4_000).toBeCloseTo(share, 5);
    await expect(
      router.setRoutes(r.canary(), { primaryWeight: 0, canaryWeight: 0, mirrored: false }),
    ).rejects.toThrow('RoutingRule podinfo.test update failed: no valid weights');
  });

  it('writes A/B header matchers and keeps the path matcher inheritable', async () => {
    const r = (rig = glooRig({
      analysis: {
        interval: '10s',
        threshold: 10,
        iterations: 10,
        match: [
          { headers: { 'x-canary': { exact: 'insider' } } },
          { headers: { cookie: { regex: '^(.*?;)?(canary=always)(;.*)?$' } } },
        ],
      },
    }));
    await r.initialize();
    const table = r.cluster.get<Obj>(ROUTE_TABLES, NS, 'podinfo');
    expect((table.spec as { routes: { matchers: unknown }[] }).routes[0]!.matchers).toEqual([
      {
        headers: [
          { name: 'x-canary', value: 'insider' },
          { name: 'cookie', value: '^(.*?;)?(canary=always)(;.*)?$', regex: true },
        ],
      },
    ]);
  });

  it('reports missing services and upstreamRefs as Flagger', async () => {
    const r = (rig = glooRig());
    await expect(new GlooRouter(r.api).reconcile(r.canary())).rejects.toThrow(
      'error creating flagger primary upstream: service podinfo-primary.test get query error: services "podinfo-primary" not found',
    );
    await r.initialize();
    r.cluster.store.mutate(R.canaries, NS, 'podinfo', (o) => {
      (o.spec as Record<string, unknown>).upstreamRef = {
        apiVersion: 'gloo.solo.io/v1',
        kind: 'Upstream',
        name: 'nope',
        namespace: 'prod',
      };
    });
    await expect(new GlooRouter(r.api).reconcile(r.canary())).rejects.toThrow(
      'error creating flagger primary upstream: config upstream nope.test get query error: upstreams.gloo.solo.io "nope" not found',
    );
  });
});
