/**
 * Flagger's APISIX tutorial driven by Aviary's engine against the playground's APISIX gateway:
 * the user's ApisixRoute `podinfo`, a Canary with `provider: apisix` and `routeRef`, load
 * tested through `http://apisix-gateway.apisix/` with the Host header; a release is promoted
 * with Flagger's event sequence (the gateway following the clone's weights), a failing one
 * rolled back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apisixDemo, apisixGateway } from '../../src/sim/scenarios/apisix';
import type { KubeObject } from '../../src/sim/store';
import type { EngineBed } from './engine-playground.helpers';
import { editCanary, mark, staging, waitPhase } from './engine-scenarios.helpers';
import {
  canaryShare,
  expectGeneratedObjects,
  firstSeen,
  startRouterBed,
} from './router-bed.helpers';

const ROUTES = { group: 'apisix.apache.org', resource: 'apisixroutes' };
const KEY = 'playground-staging/test/podinfo';

let bed: EngineBed;

beforeAll(async () => {
  bed = await startRouterBed([
    ...apisixGateway(),
    ...apisixDemo({ namespace: 'test', host: 'app.example.com' }),
  ]);
  await waitPhase(bed, KEY, 'Initialized');
  await expectGeneratedObjects(bed, KEY);
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
    const share = await canaryShare(
      bed,
      {
        url: 'http://apisix-gateway.apisix/api/info',
        headers: { Host: 'app.example.com' },
        fromNamespace: 'test',
      },
      4_000,
    );
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
    expect(firstSeen(log.since(), expected)).toEqual(expected);
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
