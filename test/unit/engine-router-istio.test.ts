/**
 * The Istio router (pkg/router/istio.go) against the playground's store: the objects Flagger
 * writes, and the playground's sidecars and ingress gateway following them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { IstioRouter, trafficRouterFor } from '../../src/core/routers';
import { CONFIG_ANNOTATION } from '../../src/core/routers/istio';
import type { KubeObject } from '../../src/sim/store';
import { R } from '../../src/sim/store';
import type { Rig } from './engine-support';
import { NS, podinfoCanary, startRig, tutorialObjects } from './engine-support';
import { releaseShare, startCanary } from './engine-router-release.support';

const VS = { group: 'networking.istio.io', resource: 'virtualservices' } as const;
const DR = { group: 'networking.istio.io', resource: 'destinationrules' } as const;
const GW = { group: 'networking.istio.io', resource: 'gateways' } as const;

const FLUX = {
  'kustomize.toolkit.fluxcd.io/reconcile': 'disabled',
  'helm.toolkit.fluxcd.io/driftDetection': 'disabled',
};

type VirtualService = KubeObject & { spec: Record<string, unknown> };

let rig: Rig | undefined;
afterEach(() => {
  rig?.cluster.sim.stop();
  rig = undefined;
});

const gateway: KubeObject = {
  apiVersion: 'networking.istio.io/v1beta1',
  kind: 'Gateway',
  metadata: { name: 'public-gateway', namespace: NS },
  spec: {
    selector: { istio: 'ingressgateway' },
    servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }],
  },
};

/** The tutorial's podinfo with an Istio canary instead of the NGINX one. */
function istioRig(service: Record<string, unknown> = {}, analysis: Record<string, unknown> = {}) {
  const canary = podinfoCanary({
    provider: 'istio',
    service: {
      port: 80,
      targetPort: 9898,
      gateways: ['public-gateway'],
      hosts: ['app.example.com'],
      ...service,
    },
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
  r.cluster.apply(GW, structuredClone(gateway));
  r.cluster.store.mutate(R.namespaces, undefined, NS, (o) => {
    o.metadata.labels = { ...o.metadata.labels, 'istio-injection': 'enabled' };
  });
  return r;
}

function canaryShare(
  r: Rig,
  n: number,
  url: string,
  headers: Record<string, string> = {},
): Promise<number> {
  return releaseShare(r, n, { url, headers, fromNamespace: NS });
}

/** istio_requests_total of one destination workload, summed over its series. */
async function istioRequests(r: Rig, workload: string): Promise<number> {
  let total = 0;
  for (const line of (await r.cluster.sim.metricsText()).split('\n')) {
    if (
      line.startsWith('istio_requests_total{') &&
      line.includes(`destination_workload="${workload}"`)
    )
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

describe('IstioRouter (istio.go)', () => {
  it('creates the destination rules and the virtual service as Flagger does', async () => {
    const r = (rig = istioRig({ trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } }));
    await r.initialize();
    for (const name of ['podinfo-primary', 'podinfo-canary']) {
      const dr = r.cluster.get<VirtualService>(DR, NS, name);
      expect(dr.spec).toEqual({ host: name, trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } });
      expect(dr.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Canary', name: 'podinfo' });
    }
    const vs = r.cluster.get<VirtualService>(VS, NS, 'podinfo');
    expect(vs.metadata.annotations).toEqual(FLUX);
    expect(vs.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Canary', controller: true });
    expect(vs.spec).toEqual({
      hosts: ['app.example.com', 'podinfo'],
      gateways: ['public-gateway'],
      http: [
        {
          route: [
            { destination: { host: 'podinfo-primary' }, weight: 100 },
            { destination: { host: 'podinfo-canary' }, weight: 0 },
          ],
        },
      ],
    });
    const router = trafficRouterFor(r.canary(), r.api);
    expect(router).toBeInstanceOf(IstioRouter);
    expect(await router.getRoutes(r.canary())).toEqual({
      primaryWeight: 100,
      canaryWeight: 0,
      mirrored: false,
    });

    // Reconciling again changes nothing, weights included.
    await router.setRoutes(r.canary(), { primaryWeight: 60, canaryWeight: 40, mirrored: false });
    const before = r.cluster.get<VirtualService>(VS, NS, 'podinfo').metadata.resourceVersion;
    await router.reconcile(r.canary());
    expect(r.cluster.get<VirtualService>(VS, NS, 'podinfo').metadata.resourceVersion).toBe(before);

    // A drifted spec is put back and the one found is kept for finalize.
    r.cluster.store.mutate(VS, NS, 'podinfo', (o) => {
      (o.spec as { hosts: string[] }).hosts = ['drifted.example.com'];
    });
    await router.reconcile(r.canary());
    const fixed = r.cluster.get<VirtualService>(VS, NS, 'podinfo');
    expect(fixed.spec['hosts']).toEqual(['app.example.com', 'podinfo']);
    expect(JSON.parse(fixed.metadata.annotations?.[CONFIG_ANNOTATION] ?? '{}')).toMatchObject({
      hosts: ['drifted.example.com'],
    });
    await router.finalize(r.canary());
    expect(r.cluster.get<VirtualService>(VS, NS, 'podinfo').spec['hosts']).toEqual([
      'drifted.example.com',
    ]);
  });

  it('adds the mesh gateway without gateways, and refuses hosts with delegation', async () => {
    const r = (rig = istioRig({ gateways: undefined, hosts: undefined, portDiscovery: true }));
    await r.initialize();
    expect(r.cluster.get<VirtualService>(VS, NS, 'podinfo').spec).toMatchObject({
      hosts: ['podinfo'],
      gateways: ['mesh'],
    });
    r.cluster.store.mutate(R.canaries, NS, 'podinfo', (o) => {
      const service = (o.spec as { service: Record<string, unknown> }).service;
      service['delegation'] = true;
      service['hosts'] = ['app.example.com'];
    });
    await expect(new IstioRouter(r.api).reconcile(r.canary())).rejects.toThrow(
      'reconcileVirtualService failed: VirtualService podinfo.test cannot have hosts and gateways when delegation enabled',
    );
    r.cluster.store.mutate(R.canaries, NS, 'podinfo', (o) => {
      delete (o.spec as { service: Record<string, unknown> }).service['hosts'];
    });
    await new IstioRouter(r.api).reconcile(r.canary());
    const delegate = r.cluster.get<VirtualService>(VS, NS, 'podinfo').spec;
    expect(delegate['hosts']).toEqual([]);
    expect(delegate['gateways']).toBeUndefined();
    // Delegation with port discovery: destinations carry the service port.
    expect((delegate['http'] as { route: unknown[] }[])[0]?.route[0]).toEqual({
      destination: { host: 'podinfo-primary', port: { number: 80 } },
      weight: 100,
    });
  });

  it('splits gateway and mesh traffic as the weights say (± 3 %)', async () => {
    const r = (rig = istioRig({ gateways: ['public-gateway', 'mesh'] }));
    await startCanary(r);
    const router = new IstioRouter(r.api);
    expect(await canaryShare(r, 200, 'http://app.example.com/')).toBe(0);
    await router.setRoutes(r.canary(), { primaryWeight: 70, canaryWeight: 30, mirrored: false });
    expect(await router.getRoutes(r.canary())).toEqual({
      primaryWeight: 70,
      canaryWeight: 30,
      mirrored: false,
    });
    const edge = await canaryShare(r, 3_000, 'http://app.example.com/');
    expect(edge).toBeGreaterThan(0.27);
    expect(edge).toBeLessThan(0.33);
    const mesh = await canaryShare(r, 3_000, 'http://podinfo/');
    expect(mesh).toBeGreaterThan(0.27);
    expect(mesh).toBeLessThan(0.33);
    // The destination sidecars report Istio's metrics under the workload that answered.
    const metrics = await r.cluster.sim.metricsText();
    expect(metrics).toMatch(
      /istio_requests_total\{reporter="destination",source_workload="istio-ingressgateway",.*destination_workload="podinfo",destination_workload_namespace="test",.*response_code="200"/,
    );
    expect(metrics).toMatch(/destination_workload="podinfo-primary"/);
  });

  it('routes only the A/B match to the canary', async () => {
    const r = (rig = istioRig(
      {},
      { iterations: 5, match: [{ headers: { 'x-canary': { exact: 'insider' } } }] },
    ));
    await startCanary(r);
    const router = new IstioRouter(r.api);
    await router.setRoutes(r.canary(), { primaryWeight: 0, canaryWeight: 100, mirrored: false });
    const http = r.cluster.get<VirtualService>(VS, NS, 'podinfo').spec['http'];
    expect(http).toEqual([
      {
        match: [{ headers: { 'x-canary': { exact: 'insider' } } }],
        route: [
          { destination: { host: 'podinfo-primary' }, weight: 0 },
          { destination: { host: 'podinfo-canary' }, weight: 100 },
        ],
      },
      { route: [{ destination: { host: 'podinfo-primary' }, weight: 0 }] },
    ]);
    expect(await router.getRoutes(r.canary())).toEqual({
      primaryWeight: 0,
      canaryWeight: 100,
      mirrored: false,
    });
    expect(await canaryShare(r, 100, 'http://app.example.com/', { 'X-Canary': 'insider' })).toBe(1);
    expect(await canaryShare(r, 100, 'http://app.example.com/')).toBe(0);
  });

  it('mirrors to the canary without changing the answer', async () => {
    const r = (rig = istioRig({}, { iterations: 5, mirror: true, mirrorWeight: 50 }));
    await startCanary(r);
    const router = new IstioRouter(r.api);
    await router.setRoutes(r.canary(), { primaryWeight: 100, canaryWeight: 0, mirrored: true });
    const http = r.cluster.get<VirtualService>(VS, NS, 'podinfo').spec['http'] as {
      mirror?: unknown;
      mirrorPercentage?: unknown;
    }[];
    expect(http[0]).toMatchObject({
      mirror: { host: 'podinfo-canary' },
      mirrorPercentage: { value: 50 },
    });
    expect((await router.getRoutes(r.canary())).mirrored).toBe(true);
    const before = await istioRequests(r, 'podinfo');
    expect(await canaryShare(r, 1_000, 'http://app.example.com/')).toBe(0);
    const mirrored = ((await istioRequests(r, 'podinfo')) - before) / 1_000;
    expect(mirrored).toBeGreaterThan(0.45);
    expect(mirrored).toBeLessThan(0.55);
  });

  it('keeps sessions on the canary with a cookie and expires it at weight 0', async () => {
    const r = (rig = istioRig(
      {},
      { sessionAffinity: { cookieName: 'flagger-cookie', maxAge: 60 } },
    ));
    await startCanary(r);
    const router = new IstioRouter(r.api, { random: () => 0 });
    const cd = r.canary();
    await router.setRoutes(cd, { primaryWeight: 90, canaryWeight: 10, mirrored: false });
    expect(cd.status?.sessionAffinityCookie).toBe('flagger-cookie=aaaaaaaaaa');
    const http = r.cluster.get<VirtualService>(VS, NS, 'podinfo').spec['http'];
    expect(http).toEqual([
      {
        match: [{ headers: { Cookie: { regex: '.*flagger-cookie.*aaaaaaaaaa.*' } } }],
        route: [
          { destination: { host: 'podinfo-primary' }, weight: 0 },
          { destination: { host: 'podinfo-canary' }, weight: 100 },
        ],
      },
      {
        route: [
          { destination: { host: 'podinfo-primary' }, weight: 90 },
          {
            destination: { host: 'podinfo-canary' },
            weight: 10,
            headers: {
              response: {
                add: { 'Set-Cookie': 'flagger-cookie=aaaaaaaaaa; Max-Age=60' },
              },
            },
          },
        ],
      },
    ]);
    expect(await router.getRoutes(cd)).toEqual({
      primaryWeight: 90,
      canaryWeight: 10,
      mirrored: false,
    });
    // The sticky route sends the cookie's holder to the canary every time.
    expect(
      await canaryShare(r, 50, 'http://app.example.com/', {
        Cookie: 'a=b; flagger-cookie=aaaaaaaaaa',
      }),
    ).toBe(1);
    // Reconcile leaves the sticky route alone.
    const rv = r.cluster.get<VirtualService>(VS, NS, 'podinfo').metadata.resourceVersion;
    await router.reconcile(cd);
    expect(r.cluster.get<VirtualService>(VS, NS, 'podinfo').metadata.resourceVersion).toBe(rv);

    await router.setRoutes(cd, { primaryWeight: 100, canaryWeight: 0, mirrored: false });
    expect(cd.status?.sessionAffinityCookie).toBeUndefined();
    expect(cd.status?.previousSessionAffinityCookie).toBe('flagger-cookie=aaaaaaaaaa');
    const expiring = (
      r.cluster.get<VirtualService>(VS, NS, 'podinfo').spec['http'] as Record<string, unknown>[]
    )[0];
    expect(expiring).toMatchObject({
      headers: { response: { add: { 'Set-Cookie': 'flagger-cookie=aaaaaaaaaa; Max-Age=-1' } } },
    });
  });

  it("reports a missing virtual service with Flagger's texts", async () => {
    const r = (rig = istioRig());
    const router = new IstioRouter(r.api);
    await expect(router.getRoutes(r.canary())).rejects.toThrow(
      'VirtualService podinfo.test get query error virtualservices.networking.istio.io "podinfo" not found',
    );
    await r.initialize();
    r.cluster.store.mutate(VS, NS, 'podinfo', (o) => {
      (o.spec as { http: unknown[] }).http = [];
    });
    await expect(router.getRoutes(r.canary())).rejects.toThrow(
      'VirtualService podinfo.test does not contain routes for podinfo-primary and podinfo-canary',
    );
  });
});
