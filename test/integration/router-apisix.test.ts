/**
 * Flagger's APISIX tutorial driven by Aviary's engine against the playground's APISIX gateway:
 * the user's ApisixRoute `podinfo`, a Canary with `provider: apisix` and `routeRef`, load
 * tested through `http://apisix-gateway.apisix/` with the Host header; a release is promoted
 * with Flagger's event sequence (the gateway following the clone's weights), a failing one
 * rolled back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourceOf } from '../../src/sim/playground';
import { apisixDemo, apisixGateway } from '../../src/sim/scenarios/apisix';
import type { ClientResult } from '../../src/sim/simulation';
import type { KubeObject } from '../../src/sim/store';
import { startEngineBed, type EngineBed } from './engine-playground.helpers';
import { editCanary, mark, staging, waitPhase } from './engine-scenarios.helpers';

const ROUTES = { group: 'apisix.apache.org', resource: 'apisixroutes' };
const KEY = 'playground-staging/test/podinfo';

/** Prometheus in `monitoring`, where the engine's default metrics server points. */
const MONITORING: KubeObject[] = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'monitoring' } },
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'prometheus', namespace: 'monitoring', labels: { app: 'prometheus' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'prometheus' } },
      template: {
        metadata: { labels: { app: 'prometheus' } },
        spec: {
          containers: [
            {
              name: 'prometheus',
              image: 'prom/prometheus:v2.53.0',
              ports: [{ name: 'http', containerPort: 9090 }],
            },
          ],
        },
      },
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'prometheus', namespace: 'monitoring' },
    spec: {
      selector: { app: 'prometheus' },
      ports: [{ name: 'http', port: 9090, targetPort: 9090 }],
    },
  },
];

let bed: EngineBed;

beforeAll(async () => {
  bed = await startEngineBed({ playground: { scenario: false } });
  const manifests = [
    ...MONITORING,
    ...apisixGateway(),
    ...apisixDemo({ namespace: 'test', host: 'app.example.com' }),
  ];
  const store = staging(bed).api.store;
  for (const m of manifests) store.create(resourceOf(m), m);
  await waitPhase(bed, KEY, 'Initialized');
});

afterAll(async () => {
  await bed?.stop();
});

type Backend = { serviceName: string; servicePort: number; weight: number };
type ApisixRoute = KubeObject & { spec: { http: { priority?: number; backends: Backend[] }[] } };

function canaryRoute(): ApisixRoute | undefined {
  return staging(bed).api.store.get(ROUTES, 'test', 'podinfo-podinfo-canary') as
    ApisixRoute | undefined;
}

function canaryWeight(): number | undefined {
  return canaryRoute()?.spec.http[0]?.backends.find((b) => b.serviceName === 'podinfo-canary')
    ?.weight;
}

/** The expected messages in the order first logged (Flagger repeats some, e.g. Promotion completed). */
function sequence(messages: string[], expected: string[]): string[] {
  return messages.filter((m, i) => expected.includes(m) && messages.indexOf(m) === i);
}

function versionOf(result: ClientResult): string {
  if (result.kind !== 'response') throw new Error(`request failed: ${result.message}`);
  return (JSON.parse(result.body) as { version: string }).version;
}

describe('an APISIX canary via routeRef on the playground', () => {
  it('initializes: the route clone podinfo-podinfo-canary at priority 10000', () => {
    const route = canaryRoute();
    expect(route?.spec.http[0]?.priority).toBe(10000);
    expect(route?.spec.http[0]?.backends).toEqual([
      { serviceName: 'podinfo-primary', servicePort: 80, weight: 100 },
      { serviceName: 'podinfo-canary', servicePort: 80, weight: 0 },
    ]);
    expect(bed.messages('podinfo.test')).toContain('Initialization done! podinfo.test');
  });

  it('promotes a release with Flagger event sequence; the gateway follows the weights', async () => {
    const cluster = staging(bed);
    editCanary(bed, 'test', 'podinfo', (spec) => {
      spec.analysis.webhooks.push({
        name: 'promotion-gate',
        type: 'confirm-promotion',
        url: 'http://flagger-loadtester.test/gate/check',
      });
    });
    const log = mark(bed, 'podinfo.test');
    cluster.sim.release('test', 'podinfo', 'ghcr.io/stefanprodan/podinfo:6.0.1');
    await bed.waitFor(
      () =>
        log
          .since()
          .includes('Halt podinfo.test advancement waiting for promotion approval promotion-gate'),
      'waiting for promotion approval',
      120_000,
    );
    expect(canaryWeight()).toBe(50);
    const n = 4_000;
    const versions = await Promise.all(
      Array.from({ length: n }, () =>
        cluster.sim
          .send({
            url: 'http://apisix-gateway.apisix/api/info',
            headers: { Host: 'app.example.com' },
            fromNamespace: 'test',
          })
          .then(versionOf),
      ),
    );
    const share = versions.filter((v) => v === '6.0.1').length / n;
    expect(Math.abs(share - 0.5)).toBeLessThan(0.03);
    await cluster.sim.request({
      url: 'http://flagger-loadtester.test/gate/open',
      method: 'POST',
      body: JSON.stringify({ name: 'podinfo', namespace: 'test' }),
    });
    await bed.waitFor(() => bed.canary(KEY)?.phase === 'Succeeded', 'Succeeded', 120_000);
    const expected = [
      'New revision detected! Scaling up podinfo.test',
      'Starting canary analysis for podinfo.test',
      'Advance podinfo.test canary weight 10',
      'Advance podinfo.test canary weight 20',
      'Advance podinfo.test canary weight 30',
      'Advance podinfo.test canary weight 40',
      'Advance podinfo.test canary weight 50',
      'Confirm-promotion check promotion-gate passed',
      'Copying podinfo.test template spec to podinfo-primary.test',
      'Routing all traffic to primary',
      'Promotion completed! Scaling down podinfo.test',
    ];
    expect(sequence(log.since(), expected)).toEqual(expected);
    expect(canaryWeight()).toBe(0);
  }, 180_000);

  it('rolls back a release that answers 500s after the failed-checks threshold', async () => {
    const cluster = staging(bed);
    editCanary(bed, 'test', 'podinfo', (spec) => {
      spec.analysis.webhooks = spec.analysis.webhooks.filter((w) => w.type !== 'confirm-promotion');
    });
    const log = mark(bed, 'podinfo.test');
    cluster.sim.release('test', 'podinfo', 'ghcr.io/stefanprodan/podinfo:6.0.2', {
      errorRate: 0.5,
    });
    await bed.waitFor(() => bed.canary(KEY)?.phase === 'Failed', 'Failed', 120_000);
    const messages = log.since();
    expect(
      messages.some((m) =>
        /^Halt podinfo\.test advancement success rate \d+\.\d\d% < 99%$/.test(m),
      ),
    ).toBe(true);
    expect(messages).toContain('Rolling back podinfo.test failed checks threshold reached 5');
    expect(messages).toContain('Canary failed! Scaling down podinfo.test');
    expect(canaryWeight()).toBe(0);
  }, 150_000);
});
