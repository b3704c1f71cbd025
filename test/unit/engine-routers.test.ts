import { afterEach, describe, expect, it } from 'vitest';
import {
  IstioRouter,
  KubernetesRouter,
  KubernetesServiceRouter,
  NginxRouter,
  trafficRouterFor,
} from '../../src/core/routers';
import { HpaReconciler } from '../../src/core/workloads';
import type { KubeObject } from '../../src/sim/store';
import { R } from '../../src/sim/store';
import type { Rig } from './engine-support';
import { NS, podinfoCanary, podinfoConfig, startRig, tutorialObjects } from './engine-support';
import { releaseShare, startCanary } from './engine-router-release.support';

let rig: Rig | undefined;
afterEach(() => {
  rig?.cluster.sim.stop();
  rig = undefined;
});

type Service = KubeObject & {
  spec: { clusterIP?: string; selector: Record<string, string>; ports: Record<string, unknown>[] };
};
type Ingress = KubeObject & {
  spec: {
    rules: { http: { paths: { backend: { service: { name: string } } }[] } }[];
  };
};

const FLUX = {
  'kustomize.toolkit.fluxcd.io/reconcile': 'disabled',
  'helm.toolkit.fluxcd.io/driftDetection': 'disabled',
};

function canaryShare(r: Rig, n: number, headers: Record<string, string> = {}): Promise<number> {
  return releaseShare(r, n, { url: 'http://app.example.com/', headers });
}

describe('KubernetesServiceRouter (kubernetes_default.go)', () => {
  it('creates apex, primary and canary ClusterIP services owned by the canary', async () => {
    const r = (rig = startRig(tutorialObjects()));
    await r.initialize();
    const uid = r.canary().metadata.uid;
    const expected = {
      podinfo: 'podinfo-primary',
      'podinfo-primary': 'podinfo-primary',
      'podinfo-canary': 'podinfo',
    };
    for (const [name, selects] of Object.entries(expected)) {
      const svc = r.cluster.get<Service>(R.services, NS, name);
      expect(svc.spec).toMatchObject({
        type: 'ClusterIP',
        selector: { app: selects },
        ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 9898 }],
      });
      expect(svc.metadata.labels).toEqual({ app: name });
      expect(svc.metadata.annotations).toEqual(FLUX);
      expect(svc.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: 'Canary', name: 'podinfo', uid, controller: true }),
      ]);
    }
  });

  it('puts drifted services back in place, keeping the cluster IP, and adds discovered ports', async () => {
    const r = (rig = startRig(tutorialObjects()));
    await r.initialize();
    const before = r.cluster.get<Service>(R.services, NS, 'podinfo-canary');
    r.cluster.store.mutate(R.services, NS, 'podinfo-canary', (o) => {
      (o as Service).spec.selector = { app: 'elsewhere' };
    });
    r.cluster.store.mutate(R.canaries, NS, 'podinfo', (o) => {
      const spec = o.spec as { service: Record<string, unknown> };
      spec.service = {
        ...spec.service,
        portDiscovery: true,
        canary: { labels: { tier: 'canary' }, annotations: { team: 'birds' } },
      };
    });
    await new KubernetesServiceRouter(r.api, { workloadOptions: r.options }).initialize(r.canary());
    const after = r.cluster.get<Service>(R.services, NS, 'podinfo-canary');
    expect(after.spec.clusterIP).toBe(before.spec.clusterIP);
    expect(after.spec.selector).toEqual({ app: 'podinfo' });
    expect(after.spec.ports).toEqual([
      { name: 'http', protocol: 'TCP', port: 80, targetPort: 9898 },
      { name: 'http-metrics', protocol: 'TCP', port: 9797, targetPort: 9797 },
    ]);
    expect(after.metadata.labels).toEqual({ tier: 'canary', app: 'podinfo-canary' });
    expect(after.metadata.annotations).toEqual({ team: 'birds', ...FLUX });
  });

  it("takes over the user's apex Service and gives it back on finalize", async () => {
    const userService: Service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'podinfo', namespace: NS, labels: { owner: 'me' } },
      spec: { selector: { app: 'podinfo' }, ports: [{ name: 'http', port: 80, targetPort: 9898 }] },
    };
    const r = (rig = startRig([...tutorialObjects(), { ref: R.services, object: userService }]));
    await r.initialize();
    const taken = r.cluster.get<Service>(R.services, NS, 'podinfo');
    expect(taken.spec.selector).toEqual({ app: 'podinfo-primary' });
    expect(taken.metadata.labels).toEqual({ owner: 'me' });
    expect(taken.metadata.ownerReferences).toBeUndefined();

    const services = new KubernetesServiceRouter(r.api, { workloadOptions: r.options });
    await services.finalize(r.canary());
    expect(r.cluster.get<Service>(R.services, NS, 'podinfo').spec.selector).toEqual({
      app: 'podinfo',
    });

    // With kubectl's last-applied configuration, its selector is the one restored.
    r.cluster.store.mutate(R.services, NS, 'podinfo', (o) => {
      o.metadata.annotations = {
        ...o.metadata.annotations,
        'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({
          spec: { selector: { app: 'podinfo', track: 'stable' } },
        }),
      };
    });
    await services.reconcile(r.canary());
    await services.finalize(r.canary());
    expect(r.cluster.get<Service>(R.services, NS, 'podinfo').spec.selector).toEqual({
      app: 'podinfo',
      track: 'stable',
    });
  });
});

describe('HpaReconciler (hpa_reconciler.go)', () => {
  it('creates the primary HPA and follows the target HPA after initialization', async () => {
    const r = (rig = startRig(tutorialObjects()));
    await r.initialize();
    type Hpa = KubeObject & { spec: Record<string, unknown> };
    const primary = r.cluster.get<Hpa>(R.hpas, NS, 'podinfo-primary');
    expect(primary.spec).toMatchObject({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo-primary' },
      minReplicas: 2,
      maxReplicas: 4,
      metrics: [expect.objectContaining({ type: 'Resource' })],
    });
    expect(primary.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'Canary',
      controller: true,
    });

    r.cluster.store.mutate(R.hpas, NS, 'podinfo', (o) => {
      (o as Hpa).spec['maxReplicas'] = 6;
    });
    const hpa = new HpaReconciler(r.api);
    await hpa.reconcilePrimaryScaler(r.canary(), true);
    expect(r.cluster.get<Hpa>(R.hpas, NS, 'podinfo-primary').spec['maxReplicas']).toBe(4);
    await hpa.reconcilePrimaryScaler(r.canary(), false);
    expect(r.cluster.get<Hpa>(R.hpas, NS, 'podinfo-primary').spec['maxReplicas']).toBe(6);

    r.cluster.store.mutate(R.canaries, NS, 'podinfo', (o) => {
      const spec = o.spec as { autoscalerRef: Record<string, unknown> };
      spec.autoscalerRef['primaryScalerReplicas'] = { minReplicas: 3, maxReplicas: 8 };
    });
    await hpa.reconcilePrimaryScaler(r.canary(), false);
    expect(r.cluster.get<Hpa>(R.hpas, NS, 'podinfo-primary').spec).toMatchObject({
      minReplicas: 3,
      maxReplicas: 8,
    });
  });
});

describe('NginxRouter (ingress.go)', () => {
  it('clones the Ingress onto the canary service with canary annotations', async () => {
    const r = (rig = startRig(tutorialObjects()));
    await r.initialize();
    const ing = r.cluster.get<Ingress>(R.ingresses, NS, 'podinfo-canary');
    expect(ing.metadata.annotations).toEqual({
      'kubernetes.io/ingress.class': 'nginx',
      'nginx.ingress.kubernetes.io/canary': 'true',
      'nginx.ingress.kubernetes.io/canary-weight': '0',
      ...FLUX,
    });
    expect(ing.metadata.labels).toEqual({ app: 'podinfo' });
    expect(ing.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Canary', name: 'podinfo' });
    expect(ing.spec.rules[0]?.http.paths[0]?.backend.service.name).toBe('podinfo-canary');
    expect(
      r.cluster.get<Ingress>(R.ingresses, NS, 'podinfo').spec.rules[0]?.http.paths[0]?.backend
        .service.name,
    ).toBe('podinfo');
    expect(await trafficRouterFor(r.canary(), r.api).getRoutes(r.canary())).toEqual({
      primaryWeight: 100,
      canaryWeight: 0,
      mirrored: false,
    });
  });

  it('sends 30 % of the traffic to the canary at 70/30 (± 3 %)', async () => {
    const r = (rig = startRig(tutorialObjects()));
    await startCanary(r);
    const router = new NginxRouter(r.api);
    expect(await canaryShare(r, 200)).toBe(0);
    await router.setRoutes(r.canary(), { primaryWeight: 70, canaryWeight: 30, mirrored: false });
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

  it('routes only `x-canary: insider` to the canary for an A/B match', async () => {
    const r = (rig = startRig([
      { ref: R.configmaps, object: podinfoConfig },
      ...tutorialObjects().filter((o) => o.ref !== R.canaries && o.ref !== R.configmaps),
      {
        ref: R.canaries,
        object: podinfoCanary({
          analysis: {
            interval: '10s',
            threshold: 10,
            iterations: 10,
            match: [{ headers: { 'x-canary': { exact: 'insider' } } }],
          },
        }),
      },
    ]));
    await startCanary(r);
    const router = new NginxRouter(r.api);
    await router.setRoutes(r.canary(), { primaryWeight: 0, canaryWeight: 100, mirrored: false });
    const annotations = r.cluster.get(R.ingresses, NS, 'podinfo-canary').metadata.annotations;
    expect(annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/canary': 'true',
      'nginx.ingress.kubernetes.io/canary-by-header': 'x-canary',
      'nginx.ingress.kubernetes.io/canary-by-header-value': 'insider',
    });
    expect(await router.getRoutes(r.canary())).toEqual({
      primaryWeight: 0,
      canaryWeight: 100,
      mirrored: false,
    });
    expect(await canaryShare(r, 100, { 'x-canary': 'insider' })).toBe(1);
    expect(await canaryShare(r, 100, { 'x-canary': 'outsider' })).toBe(0);
    expect(await canaryShare(r, 100)).toBe(0);

    await router.setRoutes(r.canary(), { primaryWeight: 100, canaryWeight: 0, mirrored: false });
    expect(r.cluster.get(R.ingresses, NS, 'podinfo-canary').metadata.annotations).toEqual({
      'kubernetes.io/ingress.class': 'nginx',
      'nginx.ingress.kubernetes.io/canary': 'true',
      'nginx.ingress.kubernetes.io/canary-weight': '0',
      ...FLUX,
    });
    expect(await canaryShare(r, 100, { 'x-canary': 'insider' })).toBe(0);
  });

  it('uses the annotation prefix option and reports bad weights and missing backends as Flagger', async () => {
    const r = (rig = startRig(tutorialObjects()));
    await r.initialize();
    const custom = new NginxRouter(r.api, { annotationsPrefix: 'custom.ingress.kubernetes.io' });
    await custom.setRoutes(r.canary(), { primaryWeight: 90, canaryWeight: 10, mirrored: false });
    expect(
      r.cluster.get(R.ingresses, NS, 'podinfo-canary').metadata.annotations?.[
        'custom.ingress.kubernetes.io/canary-weight'
      ],
    ).toBe('10');

    r.cluster.store.mutate(R.ingresses, NS, 'podinfo-canary', (o) => {
      o.metadata.annotations = {
        ...o.metadata.annotations,
        'nginx.ingress.kubernetes.io/canary-weight': 'ten',
      };
    });
    await expect(new NginxRouter(r.api).getRoutes(r.canary())).rejects.toThrow(
      'failed to convert ten to int: strconv.Atoi: parsing "ten": invalid syntax',
    );
    r.cluster.store.mutate(R.ingresses, NS, 'podinfo', (o) => {
      (o as Ingress).spec.rules[0]!.http.paths[0]!.backend.service.name = 'other';
    });
    await expect(new NginxRouter(r.api).reconcile(r.canary())).rejects.toThrow(
      'backend podinfo not found in ingress podinfo',
    );
  });
});

describe('trafficRouterFor and the kubernetes provider', () => {
  it('picks routers by provider and names the ones not supported yet', async () => {
    const r = (rig = startRig(tutorialObjects()));
    expect(trafficRouterFor(r.canary(), r.api)).toBeInstanceOf(NginxRouter);
    r.cluster.store.mutate(R.canaries, NS, 'podinfo', (o) => {
      (o.spec as Record<string, unknown>)['provider'] = 'kubernetes';
    });
    const nop = trafficRouterFor(r.canary(), r.api);
    expect(nop).toBeInstanceOf(KubernetesRouter);
    await nop.setRoutes(r.canary(), { primaryWeight: 50, canaryWeight: 50, mirrored: false });
    expect(await nop.getRoutes(r.canary())).toEqual({
      primaryWeight: 100,
      canaryWeight: 0,
      mirrored: false,
    });
    // Flagger's NopRouter reports the canary as taking everything once iterations started.
    r.setStatus({ iterations: 1 });
    expect((await nop.getRoutes(r.canary())).canaryWeight).toBe(100);

    r.cluster.store.mutate(R.canaries, NS, 'podinfo', (o) => {
      (o.spec as Record<string, unknown>)['provider'] = 'istio';
    });
    expect(trafficRouterFor(r.canary(), r.api)).toBeInstanceOf(IstioRouter);
    r.cluster.store.mutate(R.canaries, NS, 'podinfo', (o) => {
      delete (o.spec as Record<string, unknown>)['provider'];
    });
    expect(() => trafficRouterFor(r.canary(), r.api, { meshProvider: 'crossover' })).toThrow(
      'provider crossover is not supported yet',
    );
    expect(trafficRouterFor(r.canary(), r.api, { meshProvider: 'nginx' })).toBeInstanceOf(
      NginxRouter,
    );
  });
});
