/**
 * Linkerd canaries (SMI TrafficSplit v1alpha1) driven by Aviary's engine against the
 * playground's Linkerd mesh, on one bed: a v1beta1 canary promoted with Flagger's event
 * sequence, the mesh's split measured against the engine's weight, a failing release rolled
 * back; and a canary in the older flagger.app/v1alpha3 form (`canaryAnalysis`, metric
 * `threshold`) promoted as written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkerdControlPlane, linkerdDemo, osmDemo } from '../../src/sim/scenarios/linkerd';
import type { KubeObject } from '../../src/sim/store';
import type { EngineBed } from './engine-playground.helpers';
import { editCanary, mark, staging, waitPhase } from './engine-scenarios.helpers';
import {
  canaryShare,
  expectGeneratedObjects,
  firstSeen,
  startRouterBed,
} from './router-bed.helpers';

const SPLITS = { group: 'split.smi-spec.io', resource: 'trafficsplits' };
const MESH = 'playground-staging/mesh/podinfo';
const LEGACY = 'playground-staging/legacy/podinfo';
const OSM = 'playground-staging/osm-demo/podinfo';

/** The seed: a Linkerd canary as Flagger's v1alpha3 docs wrote it. */
const LEGACY_CANARY: KubeObject = {
  apiVersion: 'flagger.app/v1alpha3',
  kind: 'Canary',
  metadata: { name: 'podinfo', namespace: 'legacy' },
  spec: {
    provider: 'linkerd',
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
    progressDeadlineSeconds: 60,
    service: { port: 9898 },
    canaryAnalysis: {
      interval: '10s',
      threshold: 5,
      maxWeight: 30,
      stepWeight: 10,
      metrics: [
        { name: 'request-success-rate', threshold: 99, interval: '1m' },
        { name: 'request-duration', threshold: 500, interval: '30s' },
      ],
      webhooks: [
        {
          name: 'load-test',
          url: 'http://flagger-loadtester.legacy/',
          timeout: '5s',
          metadata: { cmd: 'hey -z 1m -q 10 -c 2 http://podinfo.legacy:9898/' },
        },
      ],
    },
  },
};

let bed: EngineBed;
/** The logs of the canaries released alongside the first rollout. */
const logs: { legacy?: ReturnType<typeof mark>; osm?: ReturnType<typeof mark> } = {};

beforeAll(async () => {
  const legacy = linkerdDemo({ namespace: 'legacy' }).filter((o) => o.kind !== 'Canary');
  bed = await startRouterBed([
    ...linkerdControlPlane(),
    ...linkerdDemo({ namespace: 'mesh' }),
    ...legacy,
    LEGACY_CANARY,
    ...osmDemo({ namespace: 'osm-demo' }),
  ]);
  await waitPhase(bed, MESH, 'Initialized');
  await waitPhase(bed, LEGACY, 'Initialized');
  await waitPhase(bed, OSM, 'Initialized');
  for (const key of [MESH, LEGACY, OSM]) await expectGeneratedObjects(bed, key);
});

afterAll(async () => {
  await bed?.stop();
});

type TrafficSplit = KubeObject & { spec: { backends: { service: string; weight: string }[] } };

function splitWeight(namespace: string): number | undefined {
  const ts = staging(bed).api.store.get(SPLITS, namespace, 'podinfo') as TrafficSplit | undefined;
  const w = ts?.spec.backends.find((b) => b.service === 'podinfo-canary')?.weight;
  return w === undefined ? undefined : Number(w);
}

describe('Linkerd canaries on the playground', () => {
  it('creates the v1alpha1 TrafficSplit for both canaries', () => {
    for (const ns of ['mesh', 'legacy']) {
      const ts = staging(bed).api.store.get(SPLITS, ns, 'podinfo') as TrafficSplit;
      expect(ts.apiVersion).toBe('split.smi-spec.io/v1alpha1');
      expect(ts.spec.backends).toEqual([
        { service: 'podinfo-canary', weight: '0' },
        { service: 'podinfo-primary', weight: '100' },
      ]);
      expect(bed.messages(`podinfo.${ns}`)).toContain(`Initialization done! podinfo.${ns}`);
    }
  });

  it('promotes a release with Flagger event sequence; the mesh follows the weights', async () => {
    const cluster = staging(bed);
    // A confirm-promotion gate holds the canary at maxWeight while the split is measured.
    editCanary(bed, 'mesh', 'podinfo', (spec) => {
      spec.analysis.webhooks.push({
        name: 'promotion-gate',
        type: 'confirm-promotion',
        url: 'http://flagger-loadtester.mesh/gate/check',
      });
    });
    const log = mark(bed, 'podinfo.mesh');
    logs.legacy = mark(bed, 'podinfo.legacy');
    logs.osm = mark(bed, 'podinfo.osm-demo');
    // The other two canaries roll out alongside; their own tests check the outcome.
    for (const ns of ['mesh', 'legacy', 'osm-demo']) {
      cluster.sim.release(ns, 'podinfo', 'ghcr.io/stefanprodan/podinfo:6.0.1');
    }
    await bed.waitFor(
      () =>
        log
          .since()
          .includes('Halt podinfo.mesh advancement waiting for promotion approval promotion-gate'),
      'mesh waiting for promotion approval',
      120_000,
    );
    expect(splitWeight('mesh')).toBe(50);
    const share = await canaryShare(bed, { url: 'http://podinfo.mesh:9898/' }, 4_000);
    expect(Math.abs(share - 0.5)).toBeLessThan(0.03);

    await cluster.sim.request({
      url: 'http://flagger-loadtester.mesh/gate/open',
      method: 'POST',
      body: JSON.stringify({ name: 'podinfo', namespace: 'mesh' }),
    });
    await bed.waitFor(() => bed.canary(MESH)?.phase === 'Succeeded', 'mesh Succeeded', 120_000);
    const expected = [
      'New revision detected! Scaling up podinfo.mesh',
      'Starting canary analysis for podinfo.mesh',
      'Pre-rollout check acceptance-test passed',
      'Advance podinfo.mesh canary weight 10',
      'Advance podinfo.mesh canary weight 20',
      'Advance podinfo.mesh canary weight 30',
      'Advance podinfo.mesh canary weight 40',
      'Advance podinfo.mesh canary weight 50',
      'Confirm-promotion check promotion-gate passed',
      'Copying podinfo.mesh template spec to podinfo-primary.mesh',
      'Routing all traffic to primary',
      'Promotion completed! Scaling down podinfo.mesh',
    ];
    expect(firstSeen(log.since(), expected)).toEqual(expected);
    expect(splitWeight('mesh')).toBe(0);
  }, 180_000);

  it('promotes the v1alpha3 seed (canaryAnalysis, metric threshold) as written', async () => {
    await bed.waitFor(() => bed.canary(LEGACY)?.phase === 'Succeeded', 'legacy Succeeded', 120_000);
    const messages = logs.legacy?.since() ?? [];
    const expected = [
      'New revision detected! Scaling up podinfo.legacy',
      'Starting canary analysis for podinfo.legacy',
      'Advance podinfo.legacy canary weight 10',
      'Advance podinfo.legacy canary weight 20',
      'Advance podinfo.legacy canary weight 30',
      'Copying podinfo.legacy template spec to podinfo-primary.legacy',
      'Routing all traffic to primary',
      'Promotion completed! Scaling down podinfo.legacy',
    ];
    expect(firstSeen(messages, expected)).toEqual(expected);
    // threshold 99 is a minimum success rate, 500 a maximum duration: neither ever halts it.
    expect(messages.filter((m) => /success rate|request duration/.test(m))).toEqual([]);
    const legacy = staging(bed).api.store.get(
      { group: 'flagger.app', resource: 'canaries' },
      'legacy',
      'podinfo',
    );
    expect(legacy?.apiVersion).toBe('flagger.app/v1alpha3');
  }, 150_000);

  it('promotes an OSM canary: v1alpha2 split, osm_request_total checks', async () => {
    await bed.waitFor(() => bed.canary(OSM)?.phase === 'Succeeded', 'osm Succeeded', 120_000);
    const messages = logs.osm?.since() ?? [];
    const expected = [
      'New revision detected! Scaling up podinfo.osm-demo',
      'Starting canary analysis for podinfo.osm-demo',
      'Pre-rollout check acceptance-test passed',
      'Advance podinfo.osm-demo canary weight 10',
      'Advance podinfo.osm-demo canary weight 50',
      'Copying podinfo.osm-demo template spec to podinfo-primary.osm-demo',
      'Promotion completed! Scaling down podinfo.osm-demo',
    ];
    expect(firstSeen(messages, expected)).toEqual(expected);
    expect(messages.filter((m) => /success rate|request duration/.test(m))).toEqual([]);
    const osmSplit = staging(bed).api.store.get(SPLITS, 'osm-demo', 'podinfo');
    expect(osmSplit?.apiVersion).toBe('split.smi-spec.io/v1alpha2');
  }, 150_000);

  it('rolls back a release that answers 500s after the failed-checks threshold', async () => {
    const cluster = staging(bed);
    // Without the acceptance test every failed check is the success rate's (see engine-rollout).
    editCanary(bed, 'mesh', 'podinfo', (spec) => {
      spec.analysis.webhooks = spec.analysis.webhooks.filter(
        (w) => w.type !== 'pre-rollout' && w.type !== 'confirm-promotion',
      );
    });
    const log = mark(bed, 'podinfo.mesh');
    cluster.sim.release('mesh', 'podinfo', 'ghcr.io/stefanprodan/podinfo:6.0.2', {
      errorRate: 0.5,
    });
    await bed.waitFor(() => bed.canary(MESH)?.phase === 'Failed', 'mesh Failed', 120_000);
    const messages = log.since();
    expect(
      messages.some((m) =>
        /^Halt podinfo\.mesh advancement success rate \d+\.\d\d% < 99%$/.test(m),
      ),
    ).toBe(true);
    expect(messages).toContain('Rolling back podinfo.mesh failed checks threshold reached 5');
    expect(messages).toContain('Canary failed! Scaling down podinfo.mesh');
    expect(splitWeight('mesh')).toBe(0);
  }, 150_000);
});
