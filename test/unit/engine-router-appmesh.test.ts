/**
 * Flagger's App Mesh routers (appmesh_v1beta2.go, appmesh.go) against the playground's store,
 * and the playground's App Mesh data plane following what they write.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { trafficRouterFor } from '../../src/core/routers';
import {
  AppMeshV1beta2Router,
  appMeshRouterFor,
  type VirtualNode,
  type VirtualRouter,
} from '../../src/core/routers/appmesh';
import { AppMeshV1beta1Router } from '../../src/core/routers/appmesh-v1beta1';
import type { KubeObject } from '../../src/sim/store';
import { R } from '../../src/sim/store';
import { APPMESH } from '../../src/sim/traffic/appmesh';
import type { Rig } from './engine-support';
import {
  NS,
  podinfoCanary,
  podinfoConfig,
  podinfoDeployment,
  podinfoHpa,
  startRig,
} from './engine-support';
import { releaseShare, startCanary, versionOf } from './engine-router-release.support';

let rig: Rig | undefined;
afterEach(() => {
  rig?.cluster.sim.stop();
  rig = undefined;
});

const FLUX = {
  'kustomize.toolkit.fluxcd.io/reconcile': 'disabled',
  'helm.toolkit.fluxcd.io/driftDetection': 'disabled',
};

/** The tutorial's canary: appmesh:v1beta2, port 9898, timeout, retries, hosts and backends. */
function appMeshCanary(
  spec: Record<string, unknown> = {},
  provider = 'appmesh:v1beta2',
): KubeObject {
  const canary = podinfoCanary({
    provider,
    service: {
      port: 9898,
      timeout: '15s',
      retries: { attempts: 3, perTryTimeout: '5s', retryOn: 'gateway-error,client-error' },
      hosts: ['podinfo.example.com'],
      backends: ['backend1', 'arn:aws:appmesh:eu-west-1:12345678910:mesh/m/virtualService/b2'],
      meshName: 'global',
    },
    ...spec,
  });
  delete (canary.spec as Record<string, unknown>)['ingressRef'];
  canary.metadata.annotations = { 'appmesh.flagger.app/accesslog': 'enabled' };
  return canary;
}

function objects(canary: KubeObject) {
  return [
    { ref: R.configmaps, object: podinfoConfig },
    { ref: R.deployments, object: podinfoDeployment() },
    { ref: R.hpas, object: podinfoHpa },
    { ref: R.canaries, object: canary },
  ];
}

function canaryShare(r: Rig, n: number, headers: Record<string, string> = {}): Promise<number> {
  return releaseShare(r, n, { url: `http://podinfo.${NS}:9898/`, headers });
}

describe('AppMeshV1beta2Router (appmesh_v1beta2.go)', () => {
  it('creates the virtual nodes, routers and services as Flagger does', async () => {
    const r = (rig = startRig(objects(appMeshCanary())));
    await r.initialize();
    const primary = r.cluster.get<VirtualNode>(APPMESH.virtualNodes, NS, 'podinfo-primary');
    expect(primary.spec).toEqual({
      listeners: [
        {
          portMapping: { port: 9898, protocol: 'http' },
          timeout: { http: { perRequest: { unit: 'ms', value: 15000 } } },
        },
      ],
      serviceDiscovery: { dns: { hostname: 'podinfo-primary.test.svc.cluster.local.' } },
      podSelector: { matchLabels: { app: 'podinfo-primary' } },
      logging: { accessLog: { file: { path: '/dev/stdout' } } },
      backends: [
        { virtualService: { virtualServiceRef: { name: 'backend1' } } },
        {
          virtualService: {
            virtualServiceARN: 'arn:aws:appmesh:eu-west-1:12345678910:mesh/m/virtualService/b2',
          },
        },
      ],
    });
    expect(primary.metadata.annotations).toEqual(FLUX);
    expect(primary.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'Canary',
      name: 'podinfo',
    });
    expect(
      r.cluster.get<VirtualNode>(APPMESH.virtualNodes, NS, 'podinfo-canary').spec?.podSelector,
    ).toEqual({ matchLabels: { app: 'podinfo' } });

    const route = r.cluster.get<VirtualRouter>(APPMESH.virtualRouters, NS, 'podinfo').spec
      ?.routes?.[0];
    expect(route).toEqual({
      name: 'podinfo',
      httpRoute: {
        match: { prefix: '/' },
        timeout: { perRequest: { unit: 'ms', value: 15000 } },
        retryPolicy: {
          perRetryTimeout: { unit: 'ms', value: 5000 },
          maxRetries: 3,
          httpRetryEvents: ['gateway-error', 'client-error'],
        },
        action: {
          weightedTargets: [
            { virtualNodeRef: { name: 'podinfo-canary' }, weight: 0 },
            { virtualNodeRef: { name: 'podinfo-primary' }, weight: 100 },
          ],
        },
      },
    });
    const canaryRouter = r.cluster.get<VirtualRouter>(APPMESH.virtualRouters, NS, 'podinfo-canary');
    expect(canaryRouter.spec?.routes?.[0]?.name).toBe('podinfo-canary');
    expect(canaryRouter.spec?.routes?.[0]?.httpRoute?.action.weightedTargets).toEqual([
      { virtualNodeRef: { name: 'podinfo-canary' }, weight: 100 },
      { virtualNodeRef: { name: 'podinfo-primary' }, weight: 0 },
    ]);
    const apexService = r.cluster.get(APPMESH.virtualServices, NS, 'podinfo');
    expect(apexService.spec).toEqual({
      provider: { virtualRouter: { virtualRouterRef: { name: 'podinfo' } } },
    });
    expect(apexService.metadata.annotations).toEqual({
      'gateway.appmesh.k8s.aws/expose': 'true',
      'gateway.appmesh.k8s.aws/domain': 'podinfo.example.com,',
      'gateway.appmesh.k8s.aws/timeout': '15s',
      'gateway.appmesh.k8s.aws/retries': '3',
    });
    expect(
      r.cluster.get(APPMESH.virtualServices, NS, 'podinfo-canary').metadata.annotations,
    ).toBeUndefined();
  });

  it('moves only the weights, keeps them on reconcile and splits traffic by them (± 3 %)', async () => {
    const r = (rig = startRig(objects(appMeshCanary())));
    await startCanary(r);
    const router = trafficRouterFor(r.canary(), r.api);
    expect(router).toBeInstanceOf(AppMeshV1beta2Router);
    expect(await canaryShare(r, 200)).toBe(0);
    await router.setRoutes(r.canary(), { primaryWeight: 70, canaryWeight: 30, mirrored: false });
    // A spec change is applied without losing the analysis' weights.
    r.cluster.store.mutate(R.canaries, NS, 'podinfo', (o) => {
      (o.spec as { service: { timeout: string } }).service.timeout = '20s';
    });
    await router.reconcile(r.canary());
    const route = r.cluster.get<VirtualRouter>(APPMESH.virtualRouters, NS, 'podinfo').spec
      ?.routes?.[0]?.httpRoute;
    expect(route?.timeout).toEqual({ perRequest: { unit: 'ms', value: 20000 } });
    expect(await router.getRoutes(r.canary())).toEqual({
      primaryWeight: 70,
      canaryWeight: 30,
      mirrored: false,
    });
    const share = await canaryShare(r, 4_000);
    expect(share).toBeGreaterThan(0.27);
    expect(share).toBeLessThan(0.33);
    // The App Mesh gateway serves the hosts Flagger exposed on the apex VirtualService.
    const viaGateway = await r.cluster.sim.send({ url: 'http://podinfo.example.com/' });
    expect(['6.0.0', '6.0.1']).toContain(versionOf(viaGateway));
    // The canary address reaches the canary only.
    const direct = await r.cluster.sim.send({ url: `http://podinfo-canary.${NS}:9898/` });
    expect(versionOf(direct)).toBe('6.0.1');
    await router.setRoutes(r.canary(), { primaryWeight: 100, canaryWeight: 0, mirrored: false });
    expect(await canaryShare(r, 200)).toBe(0);
  });

  it('routes the A/B header match to the canary and everyone else to the primary', async () => {
    const r = (rig = startRig(
      objects(
        appMeshCanary({
          analysis: {
            interval: '10s',
            threshold: 5,
            iterations: 10,
            match: [{ headers: { 'user-agent': { regex: '.*Firefox.*' } } }],
          },
        }),
      ),
    ));
    await startCanary(r);
    const routes = r.cluster.get<VirtualRouter>(APPMESH.virtualRouters, NS, 'podinfo').spec?.routes;
    expect(routes?.map((x) => [x.name, x.priority, x.httpRoute?.match])).toEqual([
      [
        'podinfo-a',
        10,
        { prefix: '/', headers: [{ name: 'user-agent', match: { regex: '.*Firefox.*' } }] },
      ],
      ['podinfo-b', 20, { prefix: '/' }],
    ]);
    const router = trafficRouterFor(r.canary(), r.api);
    await router.setRoutes(r.canary(), { primaryWeight: 0, canaryWeight: 100, mirrored: false });
    expect((await router.getRoutes(r.canary())).canaryWeight).toBe(100);
    const firefox = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Firefox/128.0' };
    expect(await canaryShare(r, 50, firefox)).toBe(1);
    expect(await canaryShare(r, 50, { 'user-agent': 'curl/8.5.0' })).toBe(0);
    expect(await canaryShare(r, 50)).toBe(0);
  });

  it('reports a missing router with Flagger texts', async () => {
    const r = (rig = startRig(objects(appMeshCanary())));
    const router = new AppMeshV1beta2Router(r.api);
    await expect(router.getRoutes(r.canary())).rejects.toThrow(
      'VirtualRouter podinfo get query error: virtualrouters.appmesh.k8s.aws "podinfo" not found',
    );
  });
});

describe('AppMeshV1beta1Router (appmesh.go, the bare `appmesh` provider)', () => {
  it('writes v1beta1 virtual services with embedded routes and moves their weights', async () => {
    const r = (rig = startRig(objects(appMeshCanary({}, 'appmesh'))));
    await startCanary(r);
    const router = trafficRouterFor(r.canary(), r.api);
    expect(router).toBeInstanceOf(AppMeshV1beta1Router);
    for (const [name, host] of [
      ['podinfo', 'podinfo-primary.test'],
      ['podinfo-primary', 'podinfo-primary.test'],
      ['podinfo-canary', 'podinfo-canary.test'],
    ]) {
      const node = r.cluster.get(APPMESH.virtualNodes, NS, name!);
      expect(node.apiVersion).toBe('appmesh.k8s.aws/v1beta1');
      expect(node.spec).toMatchObject({
        meshName: 'global',
        listeners: [{ portMapping: { port: 9898, protocol: 'http' } }],
        serviceDiscovery: { dns: { hostName: host } },
        backends: [
          { virtualService: { virtualServiceName: 'backend1' } },
          {
            virtualService: {
              virtualServiceName: 'arn:aws:appmesh:eu-west-1:12345678910:mesh/m/virtualService/b2',
            },
          },
        ],
      });
    }
    const vs = r.cluster.get(APPMESH.virtualServices, NS, 'podinfo.test');
    expect(vs.spec).toMatchObject({
      meshName: 'global',
      virtualRouter: { name: 'podinfo' },
      routes: [
        {
          name: 'podinfo',
          http: {
            match: { prefix: '/' },
            retryPolicy: { perRetryTimeoutMillis: 5000, maxRetries: 3 },
            action: {
              weightedTargets: [
                { virtualNodeName: 'podinfo-canary', weight: 0 },
                { virtualNodeName: 'podinfo-primary', weight: 100 },
              ],
            },
          },
        },
      ],
    });
    await router.setRoutes(r.canary(), { primaryWeight: 60, canaryWeight: 40, mirrored: false });
    expect(await router.getRoutes(r.canary())).toEqual({
      primaryWeight: 60,
      canaryWeight: 40,
      mirrored: false,
    });
    const share = await canaryShare(r, 2_000);
    expect(share).toBeGreaterThan(0.37);
    expect(share).toBeLessThan(0.43);
  });

  it('needs a mesh name', async () => {
    const canary = appMeshCanary({}, 'appmesh');
    delete (canary.spec as { service: Record<string, unknown> }).service['meshName'];
    const r = (rig = startRig(objects(canary)));
    await expect(new AppMeshV1beta1Router(r.api).reconcile(r.canary())).rejects.toThrow(
      'mesh name cannot be empty',
    );
  });

  it('leaves other appmesh spellings unsupported, as factory.go sends them to Istio', () => {
    const r = (rig = startRig(objects(appMeshCanary())));
    expect(() => appMeshRouterFor('appmesh:v1beta3', r.api)).toThrow(
      'provider appmesh:v1beta3 is not supported yet',
    );
    expect(appMeshRouterFor('appmesh:v1beta2:extra', r.api)).toBeInstanceOf(AppMeshV1beta2Router);
  });
});
