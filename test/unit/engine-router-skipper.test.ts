/**
 * Flagger's SkipperRouter (skipper.go) on the in-process playground: the `<ingress>-canary`
 * clone with primary and canary paths, Skipper's backend-weights and predicate annotations
 * (Weight(100) while on, False() at canary weight 0), and the playground's Skipper following
 * them (reporting route metrics under the route IDs Flagger's skipper queries select).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SkipperRouter, trafficRouterFor } from '../../src/core/routers';
import type { KubeObject } from '../../src/sim/store';
import { R } from '../../src/sim/store';
import { sumWhere } from '../support/sim-cluster';
import type { Rig } from './engine-support';
import { NS } from './engine-support';
import {
  canaryShare,
  edgeRig,
  installProxy,
  samples,
  startCanary,
} from './engine-router-edge.support';

type Ingress = KubeObject & {
  spec: {
    rules: { host: string; http: { paths: { backend: { service: { name: string } } }[] } }[];
  };
};

const WEIGHTS = 'zalando.org/backend-weights';
const PREDICATE = 'zalando.org/skipper-predicate';

/** Flagger's Skipper tutorial Ingress. */
const apexIngress: KubeObject = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: {
    name: 'podinfo',
    namespace: NS,
    labels: { app: 'podinfo' },
    annotations: { 'kubernetes.io/ingress.class': 'skipper' },
  },
  spec: {
    rules: [
      {
        host: 'app.example.com',
        http: {
          paths: [
            {
              pathType: 'Prefix',
              path: '/',
              backend: { service: { name: 'podinfo', port: { name: 'http' } } },
            },
          ],
        },
      },
    ],
  },
};

let rig: Rig | undefined;
afterEach(() => {
  rig?.cluster.sim.stop();
  rig = undefined;
});

function skipperRig(): Rig {
  const r = edgeRig('skipper', {
    spec: { ingressRef: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'podinfo' } },
    objects: [{ ref: R.ingresses, object: apexIngress }],
  });
  installProxy(
    r,
    'kube-system',
    'skipper-ingress',
    'registry.opensource.zalan.do/teapot/skipper:v0.21.0',
  );
  return r;
}

const canaryIngress = (r: Rig) => r.cluster.get<Ingress>(R.ingresses, NS, 'podinfo-canary');

describe('SkipperRouter (skipper.go)', () => {
  it('clones the Ingress with primary and canary paths at 100/0 and Weight(100)', async () => {
    const r = (rig = skipperRig());
    await r.initialize();
    const ing = canaryIngress(r);
    expect(ing.metadata.annotations).toEqual({
      'kubernetes.io/ingress.class': 'skipper',
      [WEIGHTS]: '{"podinfo-canary":0,"podinfo-primary":100}',
      [PREDICATE]: 'Weight(100)',
    });
    expect(ing.metadata.labels).toEqual({ app: 'podinfo' });
    expect(ing.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Canary', name: 'podinfo' });
    expect(ing.spec.rules[0]!.http.paths.map((p) => p.backend.service.name)).toEqual([
      'podinfo-primary',
      'podinfo-canary',
    ]);
    expect(r.cluster.get<Ingress>(R.ingresses, NS, 'podinfo').spec).toEqual(apexIngress.spec);
    expect(await trafficRouterFor(r.canary(), r.api).getRoutes(r.canary())).toEqual({
      primaryWeight: 100,
      canaryWeight: 0,
      mirrored: false,
    });
  });

  it('sets weights, turns the clone off at 0, and Skipper follows (± 3 %)', async () => {
    const r = (rig = skipperRig());
    await startCanary(r);
    const router = trafficRouterFor(r.canary(), r.api);
    expect(router).toBeInstanceOf(SkipperRouter);
    r.cluster.store.mutate(R.ingresses, NS, 'podinfo-canary', (o) => {
      o.metadata.annotations = {
        ...o.metadata.annotations,
        [PREDICATE]: 'Weight(100) && Method("GET")',
      };
    });
    await router.setRoutes(r.canary(), { primaryWeight: 65, canaryWeight: 35, mirrored: false });
    expect(canaryIngress(r).metadata.annotations).toMatchObject({
      [WEIGHTS]: '{"podinfo-canary":35,"podinfo-primary":65}',
      [PREDICATE]: 'Weight(100) && Method("GET")',
    });
    expect(await router.getRoutes(r.canary())).toEqual({
      primaryWeight: 65,
      canaryWeight: 35,
      mirrored: false,
    });
    const url = 'http://skipper-ingress.kube-system/';
    const host = { Host: 'app.example.com' };
    const share = await canaryShare(r, 4_000, url, host);
    expect(share).toBeGreaterThan(0.32);
    expect(share).toBeLessThan(0.38);
    const s = await samples(r);
    const route = 'kube(ew)?_test__podinfo_canary__.*__podinfo_canary(_[0-9]+)?';
    const canary = sumWhere(s, 'skipper_response_duration_seconds_bucket', [
      ['route', '=~', route],
      ['le', '=', '+Inf'],
    ]);
    expect(canary / 4_000).toBeCloseTo(share, 5);

    await router.setRoutes(r.canary(), { primaryWeight: 100, canaryWeight: 0, mirrored: false });
    expect(canaryIngress(r).metadata.annotations?.[PREDICATE]).toBe('False() && Method("GET")');
    await canaryShare(r, 100, url, host);
    const apexRoutes = sumWhere(await samples(r), 'skipper_serve_route_duration_seconds_count', [
      ['route', '=', 'kube_test__podinfo__app_example_com_____podinfo'],
    ]);
    expect(apexRoutes).toBe(100);
  });

  it('reports bad weights and removes the clone on finalize', async () => {
    const r = (rig = skipperRig());
    await r.initialize();
    r.cluster.store.mutate(R.ingresses, NS, 'podinfo-canary', (o) => {
      delete o.metadata.annotations?.[WEIGHTS];
    });
    const router = new SkipperRouter(r.api);
    await expect(router.getRoutes(r.canary())).rejects.toThrow(
      'ingress podinfo-canary.test get backendWeights error: Annotation.Skipper Canary Ingress "zalando.org/backend-weights" not found',
    );
    await router.finalize(r.canary());
    expect(r.cluster.store.get(R.ingresses, NS, 'podinfo-canary')).toBeUndefined();
  });
});
