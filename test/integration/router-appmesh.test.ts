/**
 * Flagger's App Mesh tutorial driven by Aviary's engine against the playground: the mesh, the
 * App Mesh gateway, podinfo with an HPA, a loadtester and the tutorial's Canary
 * (appmesh:v1beta2) are applied to a bare cluster; a release is analysed and promoted with
 * Flagger's event sequence while traffic through the gateway follows the VirtualRouter's
 * weights; an A/B canary sends Firefox users to the canary for ten iterations; a release that
 * answers 500s is rolled back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appMeshScenario, FIREFOX_USER_AGENT } from '../../src/sim/scenarios/appmesh';
import type { KubeObject } from '../../src/sim/store';
import type { EngineBed } from './engine-playground.helpers';
import {
  canaryShare,
  expectGeneratedObjects,
  firstSeen,
  startRouterBed,
} from './router-bed.helpers';

const NS = 'appmesh-demo';
const KEY = `playground-staging/${NS}/podinfo`;
const AB_KEY = `playground-staging/${NS}/frontend`;
const GROUP = 'appmesh.k8s.aws';

let bed: EngineBed;

beforeAll(async () => {
  bed = await startRouterBed(appMeshScenario());
});

afterAll(async () => {
  await bed?.stop();
});

type VirtualRouter = KubeObject & {
  spec: {
    routes: {
      name: string;
      priority?: number;
      httpRoute: {
        match: { prefix: string; headers?: unknown[] };
        action: { weightedTargets: { virtualNodeRef: { name: string }; weight: number }[] };
        retryPolicy?: unknown;
        timeout?: unknown;
      };
    }[];
  };
};

function store() {
  return bed.playground.cluster('staging').api.store;
}

function router(name: string): VirtualRouter | undefined {
  return store().get({ group: GROUP, resource: 'virtualrouters' }, NS, name) as
    VirtualRouter | undefined;
}

function canaryWeightOf(vr: VirtualRouter | undefined): number | undefined {
  return vr?.spec.routes[0]?.httpRoute.action.weightedTargets.find((t) =>
    t.virtualNodeRef.name.endsWith('-canary'),
  )?.weight;
}

/** The share of n requests from the demo namespace that reached 6.0.1 pods. */
function shareOf(url: string, n: number, headers: Record<string, string> = {}): Promise<number> {
  return canaryShare(bed, { url, headers, fromNamespace: NS }, n);
}

describe('App Mesh (appmesh:v1beta2) on the playground', () => {
  it('initializes: virtual nodes, routers, services, the primary HPA', async () => {
    await bed.waitFor(() => bed.canary(KEY)?.phase === 'Initialized', 'podinfo Initialized');
    await bed.waitFor(() => bed.canary(AB_KEY)?.phase === 'Initialized', 'frontend Initialized');
    await expectGeneratedObjects(bed, KEY);
    const s = store();
    const node = s.get({ group: GROUP, resource: 'virtualnodes' }, NS, 'podinfo-primary');
    expect(node?.spec).toMatchObject({
      listeners: [
        {
          portMapping: { port: 9898, protocol: 'http' },
          timeout: { http: { perRequest: { unit: 'ms', value: 15000 } } },
        },
      ],
      serviceDiscovery: { dns: { hostname: `podinfo-primary.${NS}.svc.cluster.local.` } },
      podSelector: { matchLabels: { app: 'podinfo-primary' } },
      logging: { accessLog: { file: { path: '/dev/stdout' } } },
    });
    expect(
      s.get({ group: GROUP, resource: 'virtualnodes' }, NS, 'podinfo-canary')?.spec,
    ).toMatchObject({ podSelector: { matchLabels: { app: 'podinfo' } } });
    const apex = router('podinfo');
    expect(apex?.spec.routes).toEqual([
      {
        name: 'podinfo',
        httpRoute: {
          match: { prefix: '/' },
          timeout: { perRequest: { unit: 'ms', value: 15000 } },
          retryPolicy: {
            perRetryTimeout: { unit: 'ms', value: 5000 },
            maxRetries: 3,
            httpRetryEvents: ['gateway-error', 'client-error', 'stream-error'],
          },
          action: {
            weightedTargets: [
              { virtualNodeRef: { name: 'podinfo-canary' }, weight: 0 },
              { virtualNodeRef: { name: 'podinfo-primary' }, weight: 100 },
            ],
          },
        },
      },
    ]);
    expect(canaryWeightOf(router('podinfo-canary'))).toBe(100);
    for (const vs of ['podinfo', 'podinfo-canary']) {
      expect(s.get({ group: GROUP, resource: 'virtualservices' }, NS, vs)?.spec).toEqual({
        provider: { virtualRouter: { virtualRouterRef: { name: vs } } },
      });
    }
    const ab = router('frontend');
    expect(ab?.spec.routes.map((r) => [r.name, r.priority])).toEqual([
      ['frontend-a', 10],
      ['frontend-b', 20],
    ]);
    expect(ab?.spec.routes[0]?.httpRoute.match.headers).toEqual([
      { name: 'user-agent', match: { regex: '.*Firefox.*' } },
    ]);
    const hpa = s.get(
      { group: 'autoscaling', resource: 'horizontalpodautoscalers' },
      NS,
      'podinfo-primary',
    ) as (KubeObject & { spec: { scaleTargetRef: { name: string } } }) | undefined;
    expect(hpa?.spec.scaleTargetRef.name).toBe('podinfo-primary');
    expect(bed.messages(`podinfo.${NS}`)).toContain(`Initialization done! podinfo.${NS}`);
    // Everything through the gateway lands on the primary.
    expect(await shareOf('http://appmesh-gateway.appmesh-system/', 200)).toBe(0);
  }, 90_000);

  it('promotes a release with Flagger event sequence; the gateway follows the weights', async () => {
    const sim = bed.playground.cluster('staging').sim;
    sim.release(NS, 'podinfo', 'ghcr.io/stefanprodan/podinfo:6.0.1');

    // Measure the split at a weight the engine wrote, while the rollout runs.
    let measured: { weight: number; share: number } | undefined;
    await bed.waitFor(
      () => (canaryWeightOf(router('podinfo')) ?? 0) >= 15,
      'podinfo canary weight 15',
      60_000,
    );
    for (let attempt = 0; attempt < 5 && !measured; attempt++) {
      const before = canaryWeightOf(router('podinfo')) ?? 0;
      const share = await shareOf('http://appmesh-gateway.appmesh-system/', 2000);
      if (canaryWeightOf(router('podinfo')) === before) measured = { weight: before, share };
    }
    expect(measured).toBeDefined();
    console.log(
      `App Mesh split at canary weight ${measured!.weight}: ${(measured!.share * 100).toFixed(1)} % of 2000 gateway requests on the canary`,
    );
    expect(Math.abs(measured!.share * 100 - measured!.weight)).toBeLessThanOrEqual(3);

    // A/B: Firefox users reach the canary, everyone else the primary.
    sim.release(NS, 'frontend', 'ghcr.io/stefanprodan/podinfo:6.0.1');
    await bed.waitFor(
      () =>
        (bed.canary(AB_KEY)?.phase === 'Progressing' && canaryWeightOf(router('frontend'))) === 100,
      'frontend A/B routing on',
      60_000,
    );
    const url = `http://frontend.${NS}:9898/`;
    expect(await shareOf(url, 100, { 'user-agent': FIREFOX_USER_AGENT })).toBe(1);
    expect(await shareOf(url, 100, { 'user-agent': 'curl/8.5.0' })).toBe(0);
    expect(await shareOf(url, 100)).toBe(0);

    await bed.waitFor(() => bed.canary(KEY)?.phase === 'Succeeded', 'podinfo Succeeded', 90_000);
    const messages = bed.messages(`podinfo.${NS}`);
    const rollout = messages.slice(
      messages.indexOf(`New revision detected! Scaling up podinfo.${NS}`),
    );
    const expected = [
      `New revision detected! Scaling up podinfo.${NS}`,
      `Starting canary analysis for podinfo.${NS}`,
      'Pre-rollout check acceptance-test passed',
      ...[5, 10, 15, 20, 25, 30, 35, 40, 45, 50].map(
        (w) => `Advance podinfo.${NS} canary weight ${w}`,
      ),
      `Copying podinfo.${NS} template spec to podinfo-primary.${NS}`,
      'Routing all traffic to primary',
      `Promotion completed! Scaling down podinfo.${NS}`,
    ];
    expect(firstSeen(rollout, expected)).toEqual(expected);
    expect(canaryWeightOf(router('podinfo'))).toBe(0);

    await bed.waitFor(
      () => bed.canary(AB_KEY)?.phase === 'Succeeded',
      'frontend Succeeded',
      90_000,
    );
    const ab = bed.messages(`frontend.${NS}`);
    const abExpected = [
      ...Array.from(
        { length: 10 },
        (_, i) => `Advance frontend.${NS} canary iteration ${i + 1}/10`,
      ),
      `Copying frontend.${NS} template spec to frontend-primary.${NS}`,
      'Routing all traffic to primary',
      `Promotion completed! Scaling down frontend.${NS}`,
    ];
    expect(firstSeen(ab, abExpected)).toEqual(abExpected);
    expect(await shareOf(url, 50, { 'user-agent': FIREFOX_USER_AGENT })).toBe(1);
  }, 90_000);

  it('rolls back a release that answers 500s after the failed-checks threshold', async () => {
    // The acceptance test would fail on the broken canary too; keep every failed check the metrics'.
    store().mutate({ group: 'flagger.app', resource: 'canaries' }, NS, 'podinfo', (canary) => {
      const analysis = (canary.spec as { analysis: { webhooks?: { type?: string }[] } }).analysis;
      analysis.webhooks = (analysis.webhooks ?? []).filter((w) => w.type !== 'pre-rollout');
    });
    bed.playground
      .cluster('staging')
      .sim.release(NS, 'podinfo', 'ghcr.io/stefanprodan/podinfo:6.0.2', { errorRate: 0.5 });
    await bed.waitFor(() => bed.canary(KEY)?.phase === 'Failed', 'podinfo Failed', 90_000);
    const messages = bed.messages(`podinfo.${NS}`);
    expect(
      messages.some((m) =>
        new RegExp(`^Halt podinfo\\.${NS} advancement success rate \\d+\\.\\d\\d% < 99%$`).test(m),
      ),
    ).toBe(true);
    expect(messages).toContain(`Rolling back podinfo.${NS} failed checks threshold reached 5`);
    expect(messages).toContain(`Canary failed! Scaling down podinfo.${NS}`);
    expect(canaryWeightOf(router('podinfo'))).toBe(0);
  }, 90_000);
});
