/**
 * A Knative canary driven by Aviary's engine against the playground: the playground's Knative
 * Serving makes a revision per template change and resolves the Service's spec.traffic the
 * engine writes; Kourier's gateway splits `podinfo.test.example.com` by it and reports Envoy's
 * metrics as `<ns>/<revision>`, which the builtin knative checks read from the in-cluster
 * Prometheus.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { knativeDemo } from '../../src/sim/scenarios/knative';
import type { KubeObject } from '../../src/sim/store';
import type { EngineBed } from './engine-playground.helpers';
import {
  canaryShare,
  expectGeneratedObjects,
  firstSeen,
  startRouterBed,
} from './router-bed.helpers';

const NS = 'test';
const KEY = `playground-staging/${NS}/podinfo`;
const CANARY = `podinfo.${NS}`;
const URL = `http://podinfo.${NS}.example.com/`;
const CANARIES = { group: 'flagger.app', resource: 'canaries' } as const;
const KSVC = { group: 'serving.knative.dev', resource: 'services' } as const;

interface Ksvc extends KubeObject {
  spec: {
    template: {
      metadata?: { annotations?: Record<string, string> };
      spec: { containers: { image: string }[] };
    };
    traffic?: { latestRevision?: boolean; revisionName?: string; percent?: number }[];
  };
  status?: {
    latestCreatedRevisionName?: string;
    traffic?: { latestRevision?: boolean; revisionName?: string; percent?: number }[];
  };
}

let bed: EngineBed;

const staging = () => bed.playground.cluster('staging');
const ksvc = () => staging().api.store.get(KSVC, NS, 'podinfo') as Ksvc;
const primaryRevision = () => ksvc().metadata.annotations?.['flagger.app/primary-revision'];

/** The tutorial's `kubectl patch services.serving podinfo`: a new template, a new revision. */
function release(image: string, annotations?: Record<string, string>): void {
  staging().api.store.mutate(KSVC, NS, 'podinfo', (o) => {
    const s = o as Ksvc;
    s.spec.template.spec.containers[0]!.image = image;
    s.spec.template.metadata = {
      ...(s.spec.template.metadata ?? {}),
      annotations: annotations ?? {},
    };
  });
}

async function setGate(open: boolean): Promise<void> {
  const result = await staging().sim.request({
    url: `http://flagger-loadtester.${NS}/gate/${open ? 'open' : 'close'}`,
    method: 'POST',
    body: JSON.stringify({ name: 'podinfo', namespace: NS }),
  });
  expect(result.kind === 'response' && result.status).toBe(202);
}

function rolloutOf(): string[] {
  const messages = bed.messages(CANARY);
  const start = messages.lastIndexOf(`New revision detected! Scaling up ${CANARY}`);
  expect(start, 'a new revision').toBeGreaterThanOrEqual(0);
  return messages.slice(start);
}

beforeAll(async () => {
  bed = await startRouterBed(knativeDemo({ namespace: NS }));
});

afterAll(async () => {
  await bed?.stop();
});

describe('Knative rollouts on the playground', () => {
  it('initializes: the primary revision annotation and all traffic on it', async () => {
    await bed.waitFor(() => bed.canary(KEY)?.phase === 'Initialized', 'podinfo Initialized');
    expect(bed.messages(CANARY)).toContain(`Initialization done! ${CANARY}`);
    expect(primaryRevision()).toBe('podinfo-00001');
    expect(ksvc().spec.traffic).toEqual([
      { latestRevision: true, percent: 0 },
      { revisionName: 'podinfo-00001', percent: 100 },
    ]);
    await bed.waitFor(
      () =>
        ksvc().status?.traffic?.find((t) => t.revisionName === 'podinfo-00001' && !t.latestRevision)
          ?.percent === 100,
      'status.traffic 100 % on podinfo-00001',
    );
    // Flagger writes no podinfo-primary / -canary objects for Knative.
    const store = staging().api.store;
    for (const name of ['podinfo-primary', 'podinfo-canary'])
      expect(store.get({ group: '', resource: 'services' }, NS, name)).toBeUndefined();
    await expectGeneratedObjects(bed, KEY);
    const detail = await bed.service.handlers['canaries.detail']({ key: KEY });
    expect(detail.objects.map((o) => `${o.kind}/${o.name}`)).toContain('Service/podinfo');
    expect(await canaryShare(bed, { url: URL }, 200, '6.0.0')).toBe(1);
  });

  it('promotes a release with Flagger events; the split follows the weight (± 3 %)', async () => {
    staging().api.store.mutate(CANARIES, NS, 'podinfo', (c) => {
      const analysis = (c.spec as { analysis: { webhooks: Record<string, unknown>[] } }).analysis;
      analysis.webhooks.push({
        name: 'traffic-gate',
        type: 'confirm-traffic-increase',
        url: `http://flagger-loadtester.${NS}/gate/check`,
      });
    });
    await setGate(true);
    release('ghcr.io/stefanprodan/podinfo:6.0.1');

    await bed.waitFor(() => (bed.canary(KEY)?.canaryWeight ?? 0) >= 20, 'weight 20', 60_000);
    await setGate(false);
    const halt = `Halt ${CANARY} advancement waiting for traffic increase approval traffic-gate`;
    const before = bed.messages(CANARY).filter((m) => m === halt).length;
    await bed.waitFor(
      () => bed.messages(CANARY).filter((m) => m === halt).length > before,
      'held at its weight',
      60_000,
    );
    const weight = ksvc().status!.traffic!.find((t) => t.latestRevision)!.percent!;
    expect(weight).toBeGreaterThanOrEqual(20);
    expect(ksvc().status!.traffic!.find((t) => t.latestRevision)!.revisionName).toBe(
      'podinfo-00002',
    );
    const share = await canaryShare(bed, { url: URL }, 2_000);
    expect(Math.abs(share - weight / 100)).toBeLessThan(0.03);
    await setGate(true);

    await bed.waitFor(
      () => bed.messages(CANARY).includes(`Promotion completed! Scaling down ${CANARY}`),
      'promoted',
      90_000,
    );
    const expected = [
      `New revision detected! Scaling up ${CANARY}`,
      `Starting canary analysis for ${CANARY}`,
      `Advance ${CANARY} canary weight 10`,
      `Advance ${CANARY} canary weight 20`,
      `Advance ${CANARY} canary weight 30`,
      `Advance ${CANARY} canary weight 40`,
      `Advance ${CANARY} canary weight 50`,
      `Copying ${CANARY} template spec to podinfo-primary.${NS}`,
      'Routing all traffic to primary',
      `Promotion completed! Scaling down ${CANARY}`,
    ];
    expect(firstSeen(rolloutOf(), expected)).toEqual(expected);
    await bed.waitFor(() => bed.canary(KEY)?.phase === 'Succeeded', 'Succeeded');
    expect(primaryRevision()).toBe('podinfo-00002');
    expect(ksvc().spec.traffic).toEqual([
      { latestRevision: true, percent: 0 },
      { revisionName: 'podinfo-00002', percent: 100 },
    ]);
    expect(await canaryShare(bed, { url: URL }, 200)).toBe(1);
  });

  it('rolls back a failing release after the failed-checks threshold', async () => {
    release('ghcr.io/stefanprodan/podinfo:6.0.2', { 'playground.aviary.dev/error-rate': '0.5' });
    await bed.waitFor(
      () => bed.messages(CANARY).includes(`Canary failed! Scaling down ${CANARY}`),
      'rolled back',
      90_000,
    );
    await bed.waitFor(() => bed.canary(KEY)?.phase === 'Failed', 'Failed');
    const messages = rolloutOf();
    expect(
      messages.some((m) =>
        /^Halt podinfo\.test advancement success rate \d+\.\d\d% < 99%$/.test(m),
      ),
    ).toBe(true);
    expect(messages).toContain(`Rolling back ${CANARY} failed checks threshold reached 5`);
    expect(messages).toContain(`Canary failed! Scaling down ${CANARY}`);
    expect(ksvc().status?.latestCreatedRevisionName).toBe('podinfo-00003');
    expect(primaryRevision()).toBe('podinfo-00002');
    expect(ksvc().spec.traffic).toEqual([
      { latestRevision: true, percent: 0 },
      { revisionName: 'podinfo-00002', percent: 100 },
    ]);
    // Everyone is back on the primary revision (6.0.1).
    expect(await canaryShare(bed, { url: URL }, 200)).toBe(1);
  });
});
