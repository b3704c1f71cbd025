/**
 * Istio and Gateway API canaries driven by Aviary's engine against the playground: the
 * playground's ingress gateway, sidecars and Gateway API gateway follow the VirtualService and
 * HTTPRoute the engine writes; the builtin istio checks read istio_requests_total and
 * istio_request_duration_milliseconds, the gatewayapi ones the pods' http histogram, from the
 * in-cluster Prometheus. One cluster holds all the canaries, so they run side by side.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayApiDemo } from '../../src/sim/scenarios/gateway-api';
import { istioDemo } from '../../src/sim/scenarios/istio';
import type { KubeObject } from '../../src/sim/store';
import type { EngineBed } from './engine-playground.helpers';
import {
  canaryShare,
  expectGeneratedObjects,
  startRouterBed,
  versionOf,
} from './router-bed.helpers';

const REVIEWS = 'playground-staging/istio-demo/reviews';
const RATINGS = 'playground-staging/istio-demo/ratings';
const CATALOG = 'playground-staging/gateway-demo/catalog';
const CANARIES = { group: 'flagger.app', resource: 'canaries' } as const;
const VS = { group: 'networking.istio.io', resource: 'virtualservices' } as const;
const ROUTES = { group: 'gateway.networking.k8s.io', resource: 'httproutes' } as const;

const PROMOTED = (canary: string) => `Promotion completed! Scaling down ${canary}`;

let bed: EngineBed;

function staging() {
  return bed.playground.cluster('staging');
}

/** The share of `n` requests to `url` answered by the given podinfo version. */
function shareOf(
  url: string,
  version: string,
  n: number,
  headers: Record<string, string> = {},
): Promise<number> {
  return canaryShare(bed, { url, headers }, n, version);
}

/**
 * The loadtester's manual gate as a confirm-traffic-increase hook: closed, the analysis holds
 * its weight ("Halt ... waiting for traffic increase approval") without any spec edit.
 */
async function setGate(namespace: string, name: string, open: boolean): Promise<void> {
  const result = await staging().sim.request({
    url: `http://flagger-loadtester.${namespace}/gate/${open ? 'open' : 'close'}`,
    method: 'POST',
    body: JSON.stringify({ name, namespace }),
  });
  expect(result.kind === 'response' && result.status).toBe(202);
}

function addTrafficGate(namespace: string, name: string): void {
  staging().api.store.mutate(CANARIES, namespace, name, (c) => {
    const analysis = (c.spec as { analysis: { webhooks: Record<string, unknown>[] } }).analysis;
    analysis.webhooks.push({
      name: 'traffic-gate',
      type: 'confirm-traffic-increase',
      url: `http://flagger-loadtester.${namespace}/gate/check`,
    });
  });
}

/** Closes the gate and waits until the canary holds: a halt on the gate after closing it. */
async function holdAt(namespace: string, name: string, minWeight: number): Promise<void> {
  const canary = `${name}.${namespace}`;
  await bed.waitFor(
    () => (bed.canary(`playground-staging/${namespace}/${name}`)?.canaryWeight ?? 0) >= minWeight,
    `${canary} at weight ${minWeight}`,
    60_000,
  );
  await setGate(namespace, name, false);
  const halt = `Halt ${canary} advancement waiting for traffic increase approval traffic-gate`;
  const before = bed.messages(canary).filter((m) => m === halt).length;
  await bed.waitFor(
    () => bed.messages(canary).filter((m) => m === halt).length > before,
    `${canary} held`,
    60_000,
  );
}

function rolloutOf(canary: string): string[] {
  const messages = bed.messages(canary);
  const start = messages.lastIndexOf(`New revision detected! Scaling up ${canary}`);
  expect(start, `a new revision of ${canary}`).toBeGreaterThanOrEqual(0);
  return messages.slice(start);
}

beforeAll(async () => {
  // Several demos share a namespace and its loadtester.
  bed = await startRouterBed([
    ...istioDemo(),
    ...istioDemo({ name: 'ratings', ingressGateway: false, abIterations: 4 }),
    ...gatewayApiDemo(),
  ]);
});

afterAll(async () => {
  await bed?.stop();
});

describe('Istio and Gateway API rollouts on the playground', () => {
  it('initializes the canaries: destination rules, virtual service, HTTPRoute', async () => {
    for (const key of [REVIEWS, RATINGS, CATALOG]) {
      await bed.waitFor(() => bed.canary(key)?.phase === 'Initialized', `${key} Initialized`);
      await expectGeneratedObjects(bed, key);
    }
    const store = staging().api.store;
    const vs = store.get(VS, 'istio-demo', 'reviews') as KubeObject & {
      spec: Record<string, unknown>;
    };
    expect(vs.spec).toMatchObject({
      hosts: ['reviews.example.com', 'reviews'],
      gateways: ['istio-system/public-gateway', 'mesh'],
    });
    for (const dr of ['reviews-primary', 'reviews-canary']) {
      expect(
        store.get({ group: 'networking.istio.io', resource: 'destinationrules' }, 'istio-demo', dr),
      ).toBeDefined();
    }
    expect(store.get(ROUTES, 'gateway-demo', 'catalog')).toBeDefined();
    expect(bed.messages('reviews.istio-demo')).toContain('Initialization done! reviews.istio-demo');
  });

  it('promotes releases with Flagger event sequence; the split follows the weights (± 3 %)', async () => {
    for (const [ns, name] of [
      ['istio-demo', 'reviews'],
      ['gateway-demo', 'catalog'],
    ] as const) {
      addTrafficGate(ns, name);
      await setGate(ns, name, true);
    }
    const sim = staging().sim;
    sim.release('istio-demo', 'reviews', 'ghcr.io/stefanprodan/podinfo:6.0.1');
    sim.release('gateway-demo', 'catalog', 'ghcr.io/stefanprodan/podinfo:6.0.1');

    // Hold both at a weight in the middle of the analysis and count who answers.
    await holdAt('istio-demo', 'reviews', 20);
    await holdAt('gateway-demo', 'catalog', 20);
    const store = staging().api.store;
    type Route = { destination: { host: string }; weight: number };
    const vs = store.get(VS, 'istio-demo', 'reviews') as unknown as {
      spec: { http: { route: Route[] }[] };
    };
    const istioWeight = vs.spec.http[0]!.route.find(
      (r) => r.destination.host === 'reviews-canary',
    )!.weight;
    const route = store.get(ROUTES, 'gateway-demo', 'catalog') as unknown as {
      spec: { rules: { backendRefs: { name: string; weight: number }[] }[] };
    };
    const gatewayWeight = route.spec.rules[0]!.backendRefs.find(
      (b) => b.name === 'catalog-canary',
    )!.weight;
    expect(istioWeight).toBeGreaterThanOrEqual(20);
    expect(gatewayWeight).toBeGreaterThanOrEqual(20);
    const edge = await shareOf('http://reviews.example.com/', '6.0.1', 2_000);
    expect(Math.abs(edge - istioWeight / 100)).toBeLessThan(0.03);
    const mesh = await shareOf('http://reviews.istio-demo:9898/', '6.0.1', 2_000);
    expect(Math.abs(mesh - istioWeight / 100)).toBeLessThan(0.03);
    const gateway = await shareOf('http://catalog.example.com/', '6.0.1', 2_000);
    expect(Math.abs(gateway - gatewayWeight / 100)).toBeLessThan(0.03);
    await setGate('istio-demo', 'reviews', true);
    await setGate('gateway-demo', 'catalog', true);

    for (const canary of ['reviews.istio-demo', 'catalog.gateway-demo']) {
      await bed.waitFor(
        () => bed.messages(canary).includes(PROMOTED(canary)),
        `${canary} promoted`,
        90_000,
      );
    }
    for (const [canary, preRollout] of [
      ['reviews.istio-demo', 'Pre-rollout check acceptance-test passed'],
      ['catalog.gateway-demo', 'Pre-rollout check smoke-test passed'],
    ] as const) {
      const name = canary.split('.')[0]!;
      const expected = [
        `New revision detected! Scaling up ${canary}`,
        `Starting canary analysis for ${canary}`,
        preRollout,
        `Advance ${canary} canary weight 10`,
        `Advance ${canary} canary weight 20`,
        `Advance ${canary} canary weight 30`,
        `Advance ${canary} canary weight 40`,
        `Advance ${canary} canary weight 50`,
        `Copying ${canary} template spec to ${name}-primary.${canary.split('.')[1]}`,
        'Routing all traffic to primary',
        `Promotion completed! Scaling down ${canary}`,
      ];
      expect(rolloutOf(canary).filter((m) => expected.includes(m))).toEqual(expected);
    }
    expect(await shareOf('http://reviews.example.com/', '6.0.1', 200)).toBe(1);
    expect(await shareOf('http://catalog.example.com/', '6.0.1', 200)).toBe(1);
  });

  it('rolls back failing releases after the failed-checks threshold', async () => {
    // The acceptance test would hit the failing canary too and could use up the threshold.
    staging().api.store.mutate(CANARIES, 'istio-demo', 'reviews', (c) => {
      const analysis = (c.spec as { analysis: { webhooks?: { type?: string }[] } }).analysis;
      analysis.webhooks = (analysis.webhooks ?? []).filter((w) => w.type !== 'pre-rollout');
    });
    const sim = staging().sim;
    sim.release('istio-demo', 'reviews', 'ghcr.io/stefanprodan/podinfo:6.0.2', { errorRate: 0.5 });
    sim.release('gateway-demo', 'catalog', 'ghcr.io/stefanprodan/podinfo:6.0.2', {
      errorRate: 0.5,
    });
    for (const canary of ['reviews.istio-demo', 'catalog.gateway-demo']) {
      await bed.waitFor(
        () => bed.messages(canary).includes(`Canary failed! Scaling down ${canary}`),
        `${canary} rolled back`,
        90_000,
      );
    }
    await bed.waitFor(() => bed.canary(REVIEWS)?.phase === 'Failed', 'reviews Failed');
    await bed.waitFor(() => bed.canary(CATALOG)?.phase === 'Failed', 'catalog Failed');
    for (const canary of ['reviews.istio-demo', 'catalog.gateway-demo']) {
      const messages = rolloutOf(canary);
      const halt = new RegExp(
        `^Halt ${canary.replace('.', '\\.')} advancement success rate \\d+\\.\\d\\d% < 99%$`,
      );
      expect(messages.some((m) => halt.test(m))).toBe(true);
      expect(messages).toContain(`Rolling back ${canary} failed checks threshold reached 5`);
      expect(messages).toContain(`Canary failed! Scaling down ${canary}`);
    }
    // Everyone is back on the primary (still 6.0.1).
    expect(await shareOf('http://reviews.example.com/', '6.0.1', 200)).toBe(1);
    expect(await shareOf('http://catalog.example.com/', '6.0.1', 200)).toBe(1);
  });

  it('A/B tests an Istio canary: only `x-canary: insider` reaches it', async () => {
    // A closed confirm-promotion gate holds the canary after its iterations, routes unchanged.
    staging().api.store.mutate(CANARIES, 'istio-demo', 'ratings', (c) => {
      const analysis = (c.spec as { analysis: { webhooks: Record<string, unknown>[] } }).analysis;
      analysis.webhooks.push({
        name: 'promotion-gate',
        type: 'confirm-promotion',
        url: 'http://flagger-loadtester.istio-demo/gate/check',
      });
    });
    await setGate('istio-demo', 'ratings', false);
    staging().sim.release('istio-demo', 'ratings', 'ghcr.io/stefanprodan/podinfo:6.0.1');
    await bed.waitFor(
      () =>
        bed
          .messages('ratings.istio-demo')
          .includes(
            'Halt ratings.istio-demo advancement waiting for promotion approval promotion-gate',
          ),
      'ratings waiting for promotion',
      60_000,
    );
    const vs = staging().api.store.get(VS, 'istio-demo', 'ratings') as unknown as {
      spec: { http: { match?: unknown[] }[] };
    };
    expect(vs.spec.http[0]?.match).toEqual([{ headers: { 'x-canary': { exact: 'insider' } } }]);
    const url = 'http://ratings.example.com/';
    expect(await shareOf(url, '6.0.1', 200, { 'X-Canary': 'insider' })).toBe(1);
    expect(await shareOf(url, '6.0.1', 200)).toBe(0);
    await setGate('istio-demo', 'ratings', true);
    await bed.waitFor(
      () => bed.messages('ratings.istio-demo').includes(PROMOTED('ratings.istio-demo')),
      'ratings promoted',
      90_000,
    );
    expect(rolloutOf('ratings.istio-demo')).toEqual(
      expect.arrayContaining([
        'Advance ratings.istio-demo canary iteration 4/4',
        'Routing all traffic to primary',
        'Promotion completed! Scaling down ratings.istio-demo',
      ]),
    );
  });

  it("session affinity: whoever the canary answered gets Flagger's cookie and stays on the canary; promotion expires it", async () => {
    const demos = [
      ['istio-demo', 'reviews', 'http://reviews.example.com/'],
      ['gateway-demo', 'catalog', 'http://catalog.example.com/'],
    ] as const;
    const sim = staging().sim;
    for (const [ns, name] of demos) {
      // Settled (also when this test runs alone): a release is then a new revision.
      await bed.waitFor(
        () =>
          ['Initialized', 'Succeeded', 'Failed'].includes(
            bed.canary(`playground-staging/${ns}/${name}`)?.phase ?? '',
          ),
        `${name}.${ns} settled`,
        60_000,
      );
      const spec = staging().api.store.get(CANARIES, ns, name)?.spec as {
        analysis: { webhooks?: { name?: string }[] };
      };
      if (!(spec.analysis.webhooks ?? []).some((w) => w.name === 'traffic-gate')) {
        addTrafficGate(ns, name);
        await setGate(ns, name, true);
      }
      staging().api.store.mutate(CANARIES, ns, name, (c) => {
        const analysis = (c.spec as { analysis: Record<string, unknown> }).analysis;
        analysis.sessionAffinity = { cookieName: 'flagger-cookie', maxAge: 3600 };
      });
      // A healthy version (the last release's error rate stays in the template otherwise).
      sim.release(ns, name, 'ghcr.io/stefanprodan/podinfo:6.0.3', { errorRate: 0 });
    }
    for (const [ns, name] of demos) await holdAt(ns, name, 10);

    const cookies: string[] = [];
    for (const [, name, url] of demos) {
      const answers = await Promise.all(Array.from({ length: 100 }, () => sim.send({ url })));
      const canary = answers.filter((r) => versionOf(r) === '6.0.3');
      const primary = answers.filter((r) => versionOf(r) !== '6.0.3');
      expect(canary.length, `${name}: some answers from the canary`).toBeGreaterThan(0);
      expect(primary.length, `${name}: most from the primary`).toBeGreaterThan(canary.length);
      const setCookie = (r: (typeof answers)[number]): string | undefined =>
        r.kind === 'response' ? r.headers['set-cookie'] : undefined;
      // The canary's answers set the cookie Flagger keeps in the status; the primary's none.
      const first = setCookie(canary[0]!);
      expect(first).toMatch(/^flagger-cookie=[A-Za-z]{10}; Max-Age=3600$/);
      for (const r of canary) expect(setCookie(r)).toBe(first);
      for (const r of primary) expect(setCookie(r)).toBeUndefined();
      const cookie = first!.split(';')[0]!;
      cookies.push(cookie);
      // With the cookie, every request sticks to the canary.
      expect(await shareOf(url, '6.0.3', 100, { Cookie: `session=1; ${cookie}` })).toBe(1);
    }

    for (const [ns, name] of demos) await setGate(ns, name, true);
    for (const [ns, name] of demos) {
      await bed.waitFor(
        () => rolloutOf(`${name}.${ns}`).includes(PROMOTED(`${name}.${ns}`)),
        `${name}.${ns} promoted`,
        90_000,
      );
    }
    // After promotion the old cookie reaches the new primary, which tells the browser to drop it.
    for (const [i, [, name, url]] of demos.entries()) {
      const cookie = cookies[i]!;
      const answer = await sim.send({ url, headers: { Cookie: cookie } });
      expect(versionOf(answer), name).toBe('6.0.3');
      expect(answer.kind === 'response' && answer.headers['set-cookie'], name).toBe(
        `${cookie}; Max-Age=-1`,
      );
    }
  });
});
