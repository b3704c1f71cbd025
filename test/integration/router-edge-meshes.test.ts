/**
 * Contour, Gloo, Kuma, Traefik and Skipper end to end: five demo canaries (the tutorials'
 * manifests, src/sim/scenarios/*) in one playground cluster, driven by Aviary's engine over
 * HTTPS. Each release is analysed with the provider's builtin queries on the in-cluster
 * Prometheus and promoted with Flagger's event sequence; mid-rollout, the playground's
 * traffic split through each provider's proxy follows the weights the engine wrote (± 3 %).
 * Releases answering 500s are rolled back with Flagger's texts (Contour, Traefik).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/sim/store';
import { contourDemo } from '../../src/sim/scenarios/contour';
import { glooDemo } from '../../src/sim/scenarios/gloo';
import { kumaDemo } from '../../src/sim/scenarios/kuma';
import { skipperDemo } from '../../src/sim/scenarios/skipper';
import { traefikDemo } from '../../src/sim/scenarios/traefik';
import type { EngineBed } from './engine-playground.helpers';
import { canaryShare, expectGeneratedObjects, startRouterBed } from './router-bed.helpers';

type Store = ReturnType<EngineBed['playground']['cluster']>['api']['store'];

interface Demo {
  provider: string;
  ns: string;
  manifests: KubeObject[];
  /** Where users reach the app (the URL synthetic traffic uses). */
  url: string;
  /** The canary weight in the routing object the engine writes. */
  weight(store: Store, ns: string): number | undefined;
  failing?: boolean;
}

const get = (store: Store, group: string, resource: string, ns: string | undefined, name: string) =>
  store.get({ group, resource }, ns, name) as
    (KubeObject & { spec?: Record<string, unknown> }) | undefined;

const DEMOS: Demo[] = [
  {
    provider: 'contour',
    ns: 'contour',
    manifests: contourDemo(),
    url: 'http://contour.example.com/',
    weight: (store, ns) => {
      const spec = get(store, 'projectcontour.io', 'httpproxies', ns, 'podinfo')?.spec as
        { routes: { services: { name: string; weight?: number }[] }[] } | undefined;
      const s = spec?.routes[0]?.services.find((x) => x.name === 'podinfo-canary');
      return s && (s.weight ?? 0);
    },
    failing: true,
  },
  {
    provider: 'gloo',
    ns: 'gloo-demo',
    manifests: glooDemo(),
    url: 'http://gloo.example.com/',
    weight: (store, ns) => {
      const spec = get(store, 'gateway.solo.io', 'routetables', ns, 'podinfo')?.spec as
        | { routes: { routeAction: { multi: { destinations: { weight?: number }[] } } }[] }
        | undefined;
      const d = spec?.routes[0]?.routeAction.multi.destinations[1];
      return d && (d.weight ?? 0);
    },
  },
  {
    provider: 'kuma',
    ns: 'kuma-demo',
    manifests: kumaDemo(),
    url: 'http://podinfo.kuma-demo/',
    weight: (store) => {
      const spec = get(store, 'kuma.io', 'trafficroutes', undefined, 'podinfo')?.spec as
        { conf: { split: { weight: number }[] } } | undefined;
      return spec?.conf.split[1]?.weight;
    },
  },
  {
    provider: 'traefik',
    ns: 'traefik-demo',
    manifests: traefikDemo(),
    url: 'http://traefik.example.com/',
    weight: (store, ns) => {
      const spec = get(store, 'traefik.io', 'traefikservices', ns, 'podinfo')?.spec as
        { weighted: { services: { name: string; weight?: number }[] } } | undefined;
      if (!spec) return undefined;
      return spec.weighted.services.find((s) => s.name === 'podinfo-canary')?.weight ?? 0;
    },
    failing: true,
  },
  {
    provider: 'skipper',
    ns: 'skipper',
    manifests: skipperDemo(),
    url: 'http://skipper.example.com/',
    weight: (store, ns) => {
      const raw = get(store, 'networking.k8s.io', 'ingresses', ns, 'podinfo-canary')?.metadata
        .annotations?.['zalando.org/backend-weights'];
      return raw === undefined
        ? undefined
        : (JSON.parse(raw) as Record<string, number>)['podinfo-canary'];
    },
  },
];

const CANARIES = { group: 'flagger.app', resource: 'canaries' };
const key = (d: Demo) => `playground-staging/${d.ns}/podinfo`;
const canaryName = (d: Demo) => `podinfo.${d.ns}`;

let bed: EngineBed;
const staging = () => bed.playground.cluster('staging');

beforeAll(async () => {
  // Five rollouts at once: a slower clock than the default keeps timeouts (5 s Prometheus,
  // webhook) and simulated latencies meaningful on a busy machine.
  // The proxies' shared pieces (e.g. Kuma's default Mesh) come once per demo.
  bed = await startRouterBed(
    DEMOS.flatMap((d) => d.manifests),
    { speed: 8 },
  );
});

afterAll(async () => {
  if (process.env['EDGE_DEBUG']) {
    for (const d of DEMOS)
      console.log(d.provider, bed.canary(key(d)), bed.messages(canaryName(d)).slice(0, 40));
  }
  await bed?.stop();
});

function setSuspended(d: Demo, suspend: boolean): void {
  staging().api.store.mutate(CANARIES, d.ns, 'podinfo', (o) => {
    (o.spec as { suspend?: boolean }).suspend = suspend;
  });
}

describe('Contour, Gloo, Kuma, Traefik and Skipper rollouts on the playground', () => {
  it('initializes the five canaries and their routing objects', async () => {
    for (const d of DEMOS) {
      await bed.waitFor(
        () => bed.canary(key(d))?.phase === 'Initialized',
        `${d.provider} Initialized`,
      );
      expect(bed.messages(canaryName(d))).toContain(`Initialization done! ${canaryName(d)}`);
      expect(d.weight(staging().api.store, d.ns), d.provider).toBe(0);
      await expectGeneratedObjects(bed, key(d));
    }
  }, 90_000);

  it('promotes each release with Flagger events; mid-rollout the split follows the weights (± 3 %)', async () => {
    const store = staging().api.store;
    for (const d of DEMOS)
      staging().sim.release(d.ns, 'podinfo', 'ghcr.io/stefanprodan/podinfo:6.0.1');

    // Hold each canary once it carries 20 % or more, so the split can be measured at rest.
    const held = new Set<string>();
    await bed.waitFor(
      () => {
        for (const d of DEMOS) {
          const c = bed.canary(key(d));
          if (!held.has(d.provider) && c?.phase === 'Progressing' && c.canaryWeight >= 20) {
            setSuspended(d, true);
            held.add(d.provider);
          }
        }
        return held.size === DEMOS.length;
      },
      'every canary at 20 % or more',
      90_000,
    );
    // A reconcile under way when the hold came may still write its step.
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const d of DEMOS) {
      const weight = d.weight(store, d.ns) ?? -1;
      expect(weight, d.provider).toBeGreaterThanOrEqual(20);
      const share = await canaryShare(bed, { url: d.url, fromNamespace: d.ns }, 4_000);
      if (process.env['EDGE_DEBUG']) console.log(`${d.provider}: weight ${weight}, share ${share}`);
      expect(d.weight(store, d.ns), `${d.provider} weight moved while measuring`).toBe(weight);
      expect(
        Math.abs(share * 100 - weight),
        `${d.provider}: ${share * 100} % vs ${weight}`,
      ).toBeLessThanOrEqual(3);
    }
    for (const d of DEMOS) setSuspended(d, false);

    for (const d of DEMOS) {
      await bed.waitFor(
        () => bed.canary(key(d))?.phase === 'Succeeded',
        `${d.provider} Succeeded`,
        90_000,
      );
      const name = canaryName(d);
      const messages = bed.messages(name);
      const rollout = messages.slice(messages.indexOf(`New revision detected! Scaling up ${name}`));
      const expected = [
        `New revision detected! Scaling up ${name}`,
        `Starting canary analysis for ${name}`,
        'Pre-rollout check acceptance-test passed',
        ...[10, 20, 30, 40, 50].map((w) => `Advance ${name} canary weight ${w}`),
        `Copying ${name} template spec to podinfo-primary.${d.ns}`,
        'Routing all traffic to primary',
        `Promotion completed! Scaling down ${name}`,
      ];
      expect(
        rollout.filter((m) => expected.includes(m)),
        d.provider,
      ).toEqual(expected);
      expect(d.weight(store, d.ns), d.provider).toBe(0);
    }
  }, 150_000);

  it('rolls back releases answering 500s with Flagger texts (Contour, Traefik)', async () => {
    const failing = DEMOS.filter((d) => d.failing);
    for (const d of failing) {
      // Without the acceptance test every failed check is the success rate's.
      staging().api.store.mutate(CANARIES, d.ns, 'podinfo', (canary) => {
        const analysis = (canary.spec as { analysis: { webhooks?: { type?: string }[] } }).analysis;
        analysis.webhooks = (analysis.webhooks ?? []).filter((w) => w.type !== 'pre-rollout');
      });
      staging().sim.release(d.ns, 'podinfo', 'ghcr.io/stefanprodan/podinfo:6.0.2', {
        errorRate: 0.5,
      });
    }
    for (const d of failing) {
      await bed.waitFor(
        () => bed.canary(key(d))?.phase === 'Failed',
        `${d.provider} Failed`,
        120_000,
      );
      const name = canaryName(d);
      const messages = bed.messages(name);
      expect(
        messages.some((m) =>
          new RegExp(
            `^Halt ${name.replace('.', '\\.')} advancement success rate \\d+\\.\\d\\d% < 99%$`,
          ).test(m),
        ),
        d.provider,
      ).toBe(true);
      expect(messages).toContain(`Rolling back ${name} failed checks threshold reached 5`);
      expect(messages).toContain(`Canary failed! Scaling down ${name}`);
      expect(d.weight(staging().api.store, d.ns), d.provider).toBe(0);
    }
  }, 150_000);
});
