/**
 * The Gateway API routers (pkg/router/gateway_api.go, gateway_api_v1beta1.go) against the
 * playground's store: the HTTPRoute Flagger writes, and the playground's gateway following it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayApiRouter, trafficRouterFor } from '../../src/core/routers';
import type { KubeObject } from '../../src/sim/store';
import { R } from '../../src/sim/store';
import type { Rig } from './engine-support';
import { NS, podinfoCanary, startRig, tutorialObjects } from './engine-support';
import { releaseShare, startCanary } from './engine-router-release.support';

const ROUTES = { group: 'gateway.networking.k8s.io', resource: 'httproutes' } as const;
const GATEWAYS = { group: 'gateway.networking.k8s.io', resource: 'gateways' } as const;

type HTTPRoute = KubeObject & { spec: Record<string, unknown> };

let rig: Rig | undefined;
afterEach(() => {
  rig?.cluster.sim.stop();
  rig = undefined;
});

const gateway: KubeObject = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: { name: 'gateway', namespace: NS },
  spec: {
    gatewayClassName: 'playground',
    listeners: [{ name: 'http', protocol: 'HTTP', port: 80 }],
  },
};

const GATEWAY_REF = { name: 'gateway', namespace: NS };

function gatewayRig(provider: string, analysis: Record<string, unknown> = {}): Rig {
  const canary = podinfoCanary({
    provider,
    service: { port: 80, targetPort: 9898, hosts: ['app.example.com'], gatewayRefs: [GATEWAY_REF] },
  });
  const spec = canary.spec as { analysis: Record<string, unknown>; ingressRef?: unknown };
  delete spec.ingressRef;
  spec.analysis = { ...spec.analysis, ...analysis };
  if (analysis['iterations'] !== undefined) {
    delete spec.analysis['stepWeight'];
    delete spec.analysis['maxWeight'];
  }
  const objects = tutorialObjects().filter((o) => o.ref !== R.canaries && o.ref !== R.ingresses);
  const r = startRig([...objects, { ref: R.canaries, object: canary }]);
  r.cluster.apply(GATEWAYS, structuredClone(gateway));
  return r;
}

function canaryShare(r: Rig, n: number, headers: Record<string, string> = {}): Promise<number> {
  return releaseShare(r, n, { url: 'http://app.example.com/', headers });
}

const backend = (name: string, weight: number) => ({
  group: '',
  kind: 'Service',
  name,
  port: 80,
  weight,
});

describe('GatewayApiRouter (gateway_api.go)', () => {
  it('creates the HTTPRoute as Flagger does and splits traffic by its weights (± 3 %)', async () => {
    const r = (rig = gatewayRig('gatewayapi:v1'));
    await startCanary(r);
    const route = r.cluster.get<HTTPRoute>(ROUTES, NS, 'podinfo');
    expect(route.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(route.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Canary', name: 'podinfo' });
    expect(route.spec).toEqual({
      parentRefs: [
        { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gateway', namespace: NS },
      ],
      hostnames: ['app.example.com'],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/' } }],
          backendRefs: [backend('podinfo-primary', 100), backend('podinfo-canary', 0)],
        },
      ],
    });
    const router = trafficRouterFor(r.canary(), r.api);
    expect(router).toBeInstanceOf(GatewayApiRouter);
    expect(await canaryShare(r, 200)).toBe(0);
    await router.setRoutes(r.canary(), { primaryWeight: 70, canaryWeight: 30, mirrored: false });
    expect(await router.getRoutes(r.canary())).toEqual({
      primaryWeight: 70,
      canaryWeight: 30,
      mirrored: false,
    });
    const share = await canaryShare(r, 3_000);
    expect(share).toBeGreaterThan(0.27);
    expect(share).toBeLessThan(0.33);

    // Reconcile keeps the weights; a parent that has not accepted the route stops GetRoutes.
    const rv = r.cluster.get<HTTPRoute>(ROUTES, NS, 'podinfo').metadata.resourceVersion;
    await router.reconcile(r.canary());
    expect(r.cluster.get<HTTPRoute>(ROUTES, NS, 'podinfo').metadata.resourceVersion).toBe(rv);
    r.cluster.store.mutate(
      ROUTES,
      NS,
      'podinfo',
      (o) => {
        const parentRef = (o.spec as { parentRefs: unknown[] }).parentRefs[0];
        o.status = {
          parents: [
            {
              parentRef,
              conditions: [{ type: 'Accepted', status: 'False', observedGeneration: 1 }],
            },
          ],
        };
      },
      { status: true },
    );
    await expect(router.getRoutes(r.canary())).rejects.toThrow(
      /^HTTPRoute podinfo\.test parent gateway is not ready \(status: False, observed generation: 1, current generation: \d+\)$/,
    );
  });

  it('routes only the A/B header match to the canary', async () => {
    const r = (rig = gatewayRig('gatewayapi:v1', {
      iterations: 5,
      match: [{ headers: { 'x-canary': { exact: 'insider' } } }],
    }));
    await startCanary(r);
    const router = new GatewayApiRouter(r.api);
    await router.setRoutes(r.canary(), { primaryWeight: 0, canaryWeight: 100, mirrored: false });
    const rules = r.cluster.get<HTTPRoute>(ROUTES, NS, 'podinfo').spec['rules'];
    expect(rules).toEqual([
      {
        matches: [
          {
            path: { type: 'PathPrefix', value: '/' },
            headers: [{ type: 'Exact', name: 'x-canary', value: 'insider' }],
          },
        ],
        backendRefs: [backend('podinfo-primary', 0), backend('podinfo-canary', 100)],
      },
      {
        matches: [{ path: { type: 'PathPrefix', value: '/' } }],
        backendRefs: [backend('podinfo-primary', 100)],
      },
    ]);
    expect(await router.getRoutes(r.canary())).toEqual({
      primaryWeight: 0,
      canaryWeight: 100,
      mirrored: false,
    });
    expect(await canaryShare(r, 100, { 'X-Canary': 'insider' })).toBe(1);
    expect(await canaryShare(r, 100)).toBe(0);
  });

  it('mirrors blue/green traffic with a RequestMirror filter (v1beta1)', async () => {
    const r = (rig = gatewayRig('gatewayapi:v1beta1', { iterations: 5, mirror: true }));
    await startCanary(r);
    const router = trafficRouterFor(r.canary(), r.api);
    expect(router).toBeInstanceOf(GatewayApiRouter);
    expect((router as GatewayApiRouter).version).toBe('v1beta1');
    await router.setRoutes(r.canary(), { primaryWeight: 100, canaryWeight: 0, mirrored: true });
    const route = r.cluster.get<HTTPRoute>(ROUTES, NS, 'podinfo');
    expect((route.spec['rules'] as { filters: unknown[] }[])[0]?.filters).toEqual([
      {
        type: 'RequestMirror',
        requestMirror: {
          backendRef: { group: '', kind: 'Service', name: 'podinfo-canary', port: 80 },
        },
      },
    ]);
    expect(await router.getRoutes(r.canary())).toEqual({
      primaryWeight: 100,
      canaryWeight: 0,
      mirrored: true,
    });
    // The answers stay the primary's while the canary pods see the copies.
    const canaryRequests = async () => {
      const text = await r.cluster.sim.metricsText();
      return text
        .split('\n')
        .filter(
          (l) =>
            l.startsWith('http_request_duration_seconds_count{') &&
            /kubernetes_pod_name="podinfo-[a-z0-9]+-[a-z0-9]+"/.test(l),
        )
        .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    };
    const before = await canaryRequests();
    expect(await canaryShare(r, 300)).toBe(0);
    expect((await canaryRequests()) - before).toBe(300);
  });

  it("requires gatewayRefs with Flagger's text", async () => {
    const r = (rig = gatewayRig('gatewayapi:v1'));
    r.cluster.store.mutate(R.canaries, NS, 'podinfo', (o) => {
      delete (o.spec as { service: Record<string, unknown> }).service['gatewayRefs'];
    });
    await expect(new GatewayApiRouter(r.api).reconcile(r.canary())).rejects.toThrow(
      'GatewayRefs must be specified when using Gateway API as a provider.',
    );
    await expect(new GatewayApiRouter(r.api).getRoutes(r.canary())).rejects.toThrow(
      'HTTPRoute podinfo.test get error: httproutes.gateway.networking.k8s.io "podinfo" not found',
    );
  });
});
