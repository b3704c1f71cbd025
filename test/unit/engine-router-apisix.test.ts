/**
 * Flagger's ApisixRouter (apisix.go) on the in-process playground: the `<route>-<apex>-canary`
 * clone, its weights, and the playground's APISIX gateway routing by the clone (priority
 * 10000) and reporting apisix_http_status under the route name Flagger's queries select.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ApisixRouter, trafficRouterFor } from '../../src/core/routers';
import type { KubeObject, ResourceRef } from '../../src/sim/store';
import { R } from '../../src/sim/store';
import { deployment, parseExposition, service, sumWhere } from '../support/sim-cluster';
import type { Rig } from './engine-support';
import { NS, podinfoCanary, podinfoConfig, podinfoDeployment, startRig } from './engine-support';
import { releaseShare, startCanary, versionOf } from './engine-router-release.support';

const ROUTES: ResourceRef = { group: 'apisix.apache.org', resource: 'apisixroutes' };

type Backend = { serviceName: string; servicePort?: number; weight?: number };
type ApisixRoute = KubeObject & {
  spec: { http: { name: string; priority?: number; backends: Backend[] }[] };
};

/** Flagger's APISIX tutorial route. */
const podinfoRoute: KubeObject = {
  apiVersion: 'apisix.apache.org/v2',
  kind: 'ApisixRoute',
  metadata: { name: 'podinfo', namespace: NS, labels: { app: 'podinfo' } },
  spec: {
    http: [
      {
        backends: [{ serviceName: 'podinfo', servicePort: 80 }],
        match: { hosts: ['app.example.com'], methods: ['GET'], paths: ['/*'] },
        name: 'method',
        plugins: [
          { name: 'prometheus', enable: true, config: { disable: false, prefer_name: true } },
        ],
      },
    ],
  },
};

let rig: Rig | undefined;
afterEach(() => {
  rig?.cluster.sim.stop();
  rig = undefined;
});

/** The tutorial's objects; the ApisixRoute is applied once the cluster runs. */
function startApisixRig(route: KubeObject = podinfoRoute): Rig {
  const canary = podinfoCanary({
    provider: 'apisix',
    routeRef: { apiVersion: 'apisix.apache.org/v2', kind: 'ApisixRoute', name: 'podinfo' },
  });
  delete (canary.spec as Record<string, unknown>).ingressRef;
  delete (canary.spec as Record<string, unknown>).autoscalerRef;
  const r = startRig([
    { ref: R.configmaps, object: podinfoConfig },
    { ref: R.deployments, object: podinfoDeployment() },
    { ref: R.canaries, object: canary },
  ]);
  r.cluster.apply(ROUTES, structuredClone(route));
  return r;
}

/** The Helm chart's gateway: Deployment `apisix`, Service `apisix-gateway` in `apisix`. */
function installGateway(r: Rig): void {
  r.cluster.apply(R.namespaces, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'apisix' },
  });
  r.cluster.apply(
    R.deployments,
    deployment('apisix', 'apisix', { image: 'apache/apisix:3.9.1-debian', port: 9080 }),
  );
  r.cluster.apply(R.services, service('apisix', 'apisix-gateway', 'apisix', 80));
}

/** Requests through the gateway Service with the route's Host, as the tutorial's hey does. */
function canaryShare(r: Rig, n: number): Promise<number> {
  const url = 'http://apisix-gateway.apisix/api/info';
  return releaseShare(r, n, { url, headers: { Host: 'app.example.com' }, fromNamespace: NS });
}

const clone = (r: Rig) => r.cluster.get<ApisixRoute>(ROUTES, NS, 'podinfo-podinfo-canary');

describe('ApisixRouter (apisix.go)', () => {
  it('clones the route with primary and canary backends at priority 10000', async () => {
    const r = (rig = startApisixRig());
    await r.initialize();
    const route = clone(r);
    expect(route.metadata.labels).toEqual({ app: 'podinfo' });
    expect(route.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Canary', name: 'podinfo' });
    expect(route.spec.http).toEqual([
      {
        ...(podinfoRoute.spec as ApisixRoute['spec']).http[0],
        priority: 10000,
        backends: [
          { serviceName: 'podinfo-primary', servicePort: 80, weight: 100 },
          { serviceName: 'podinfo-canary', servicePort: 80, weight: 0 },
        ],
      },
    ]);
    // The user's route is left as written.
    expect(r.cluster.get<ApisixRoute>(ROUTES, NS, 'podinfo').spec).toEqual(podinfoRoute.spec);
    expect(await trafficRouterFor(r.canary(), r.api).getRoutes(r.canary())).toEqual({
      primaryWeight: 100,
      canaryWeight: 0,
      mirrored: false,
    });
  });

  it('sets weights on the clone, keeps them on reconcile, and the gateway follows (± 3 %)', async () => {
    const r = (rig = startApisixRig());
    installGateway(r);
    await startCanary(r);
    const router = trafficRouterFor(r.canary(), r.api);
    expect(router).toBeInstanceOf(ApisixRouter);
    expect(await canaryShare(r, 200)).toBe(0);
    await router.setRoutes(r.canary(), { primaryWeight: 70, canaryWeight: 30, mirrored: false });
    await router.reconcile(r.canary());
    expect(clone(r).spec.http[0]?.backends.map((b) => b.weight)).toEqual([70, 30]);
    expect(await router.getRoutes(r.canary())).toEqual({
      primaryWeight: 70,
      canaryWeight: 30,
      mirrored: false,
    });
    const share = await canaryShare(r, 4_000);
    expect(share).toBeGreaterThan(0.27);
    expect(share).toBeLessThan(0.33);

    const samples = parseExposition(await r.cluster.sim.metricsText());
    const route = [['route', '=~', `${NS}_podinfo-podinfo-canary_.+`]] as [string, '=~', string][];
    expect(sumWhere(samples, 'apisix_http_status', route)).toBe(4_200);
    expect(sumWhere(samples, 'apisix_http_status', [...route, ['code', '!~', '5..']])).toBe(4_200);
    expect(
      sumWhere(samples, 'apisix_http_latency_count', [...route, ['type', '=~', 'request']]),
    ).toBe(4_200);
    // The user's route never served: the clone's priority wins.
    expect(sumWhere(samples, 'apisix_http_status', [['route', '=', `${NS}_podinfo_method`]])).toBe(
      0,
    );
  });

  it('routes external users of the host through the gateway', async () => {
    const r = (rig = startApisixRig());
    installGateway(r);
    await startCanary(r);
    await trafficRouterFor(r.canary(), r.api).setRoutes(r.canary(), {
      primaryWeight: 0,
      canaryWeight: 100,
      mirrored: false,
    });
    expect(versionOf(await r.cluster.sim.send({ url: 'http://app.example.com/' }))).toBe('6.0.1');
    // methods: [GET] only.
    const post = await r.cluster.sim.send({ url: 'http://app.example.com/', method: 'POST' });
    expect(post.kind).toBe('error');
  });

  it('rejects zero weights and routes without a single backend in Flagger words', async () => {
    const r = (rig = startApisixRig());
    await r.initialize();
    const router = trafficRouterFor(r.canary(), r.api);
    await expect(
      router.setRoutes(r.canary(), { primaryWeight: 0, canaryWeight: 0, mirrored: false }),
    ).rejects.toThrow('RoutingRule podinfo.test update failed: no valid weights');
    r.cluster.store.mutate(ROUTES, NS, 'podinfo', (o) => {
      (o as ApisixRoute).spec.http[0]!.backends.push({ serviceName: 'other', servicePort: 80 });
    });
    await expect(router.reconcile(r.canary())).rejects.toThrow(
      "APISIX route podinfo.test's http route method only one http backend is supported",
    );
    r.cluster.store.mutate(ROUTES, NS, 'podinfo', (o) => {
      (o as ApisixRoute).spec.http[0]!.backends = [{ serviceName: 'other', servicePort: 80 }];
    });
    await expect(router.reconcile(r.canary())).rejects.toThrow(
      'Can not find podinfo backend on apisix route podinfo.test ',
    );
    r.cluster.store.delete(ROUTES, NS, 'podinfo-podinfo-canary');
    await expect(router.getRoutes(r.canary())).rejects.toThrow(
      'apisix route podinfo-podinfo-canary.test query error: apisixroutes.apisix.apache.org "podinfo-podinfo-canary" not found',
    );
  });

  it('rewrites the clone when the user changes the route, weights reset as in Flagger', async () => {
    const r = (rig = startApisixRig());
    await r.initialize();
    const router = trafficRouterFor(r.canary(), r.api);
    await router.setRoutes(r.canary(), { primaryWeight: 80, canaryWeight: 20, mirrored: false });
    r.cluster.store.mutate(ROUTES, NS, 'podinfo', (o) => {
      const http = (o.spec as { http: { match: { paths: string[] } }[] }).http[0]!;
      http.match.paths = ['/api/*'];
    });
    await router.reconcile(r.canary());
    const http = clone(r).spec.http[0] as unknown as {
      match: { paths: string[] };
      backends: Backend[];
    };
    expect(http.match.paths).toEqual(['/api/*']);
    // Flagger writes the freshly built spec: weights go back to 100/0 when the route changes.
    expect(http.backends.map((b) => b.weight)).toEqual([100, 0]);
  });

  it('labels metrics with the route id without prefer_name, and none without the plugin', async () => {
    const r = (rig = startApisixRig());
    installGateway(r);
    await startCanary(r);
    const send = async () => {
      for (let i = 0; i < 10; i++) await r.cluster.sim.send({ url: 'http://app.example.com/' });
    };
    const statusBy = async (route: string) =>
      sumWhere(parseExposition(await r.cluster.sim.metricsText()), 'apisix_http_status', [
        ['route', '=', route],
      ]);
    r.cluster.store.mutate(ROUTES, NS, 'podinfo-podinfo-canary', (o) => {
      const http = (o.spec as { http: { plugins: { config: Record<string, unknown> }[] }[] })
        .http[0]!;
      http.plugins[0]!.config = { disable: false };
    });
    await send();
    // id.GenID: crc32 of "test_podinfo-podinfo-canary_method", in hex.
    expect(await statusBy('b8e1f709')).toBe(10);
    r.cluster.store.mutate(ROUTES, NS, 'podinfo-podinfo-canary', (o) => {
      (o.spec as { http: { plugins?: unknown[] }[] }).http[0]!.plugins = [];
    });
    await send();
    const samples = parseExposition(await r.cluster.sim.metricsText());
    expect(sumWhere(samples, 'apisix_http_status', [])).toBe(10);
  });
});
