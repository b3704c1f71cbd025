import { describe, expect, it } from 'vitest';
import type { KubeApi, KubeObject, ObjectRef } from '../../src/core/kube/api';
import { KubeApiError } from '../../src/core/kube/api';
import { createMetricsProvider } from '../../src/core/metrics';
import { createKeptnProvider, parseKeptnQuery } from '../../src/core/metrics/keptn';
import { systemClock, type Clock } from '../../src/shared/clock';
import { failure, providerContext, thrown } from './metrics-support';

/** A clock whose sleeps pass at once, moving its time on. */
function steppingClock(): Clock & { slept: number[] } {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const slept: number[] = [];
  return {
    ...systemClock,
    slept,
    now: () => now,
    sleep: async (ms: number) => {
      slept.push(ms);
      now += ms;
    },
  };
}

/**
 * Keptn's objects in memory; `complete(analysis, gets)` says what Keptn has written into an
 * Analysis by the n-th read.
 */
function keptnApi(complete: (analysis: KubeObject, reads: number) => unknown = () => undefined) {
  const objects = new Map<string, KubeObject>();
  const key = (r: ObjectRef) => `${r.kind}/${r.namespace ?? ''}/${r.name}`;
  const reads = new Map<string, number>();
  const deleted: string[] = [];
  const created: KubeObject[] = [];
  const api = {
    context: 'fake',
    async get(ref: ObjectRef) {
      const o = objects.get(key(ref));
      if (!o) return undefined;
      const n = (reads.get(key(ref)) ?? 0) + 1;
      reads.set(key(ref), n);
      return ref.kind === 'Analysis' ? { ...o, status: complete(o, n) } : o;
    },
    async create(o: KubeObject) {
      if (o.metadata.namespace === 'forbidden')
        throw new KubeApiError(403, 'Forbidden', 'analyses.metrics.keptn.sh is forbidden');
      created.push(o);
      objects.set(key({ ...o, name: o.metadata.name, namespace: o.metadata.namespace }), o);
      return o;
    },
    async delete(ref: ObjectRef) {
      deleted.push(ref.name);
      objects.delete(key(ref));
    },
  } as unknown as KubeApi;
  return { api, objects, created, deleted };
}

const provider = (api: KubeApi, clock: Clock) =>
  createKeptnProvider({ ...providerContext({ type: 'keptn' }, { api }), clock });

describe('keptn provider', () => {
  it("reads a KeptnMetric's status.value", async () => {
    const k = keptnApi();
    k.objects.set('KeptnMetric/test/podinfo-errors', {
      apiVersion: 'metrics.keptn.sh/v1beta1',
      kind: 'KeptnMetric',
      metadata: { name: 'podinfo-errors', namespace: 'test' },
      status: { value: '0.125' },
    } as KubeObject);
    const p = provider(k.api, steppingClock());
    expect(await p.runQuery('KeptnMetric/test/podinfo-errors\n')).toBe(0.125);
    expect(await p.isOnline()).toBe(true);
    expect(await failure(p.runQuery('keptnmetric/test/missing'))).toBe(
      'could not retrieve KeptnMetric test/missing: keptnmetrics.metrics.keptn.sh "missing" not found',
    );
  });

  it('runs an Analysis, polls it every second until Completed, and deletes it', async () => {
    const k = keptnApi((_a, reads) =>
      reads >= 3 ? { state: 'Completed', pass: true } : { state: 'Progressing' },
    );
    const clock = steppingClock();
    expect(
      await provider(k.api, clock).runQuery('analysis/test/slo-check/5m/service=podinfo;env=prod'),
    ).toBe(1);
    expect(clock.slept).toEqual([1000, 1000, 1000]);
    const [analysis] = k.created as Array<KubeObject & { spec?: unknown }>;
    expect(analysis?.metadata.name).toMatch(/^slo-check-[0-9a-f-]{6}$/);
    expect(analysis?.spec).toEqual({
      analysisDefinition: { name: 'slo-check' },
      timeframe: { recent: '5m' },
      args: { service: 'podinfo', env: 'prod' },
    });
    expect(k.deleted).toEqual([analysis?.metadata.name]);
  });

  it('gives 0 for a failed Analysis and times out after 10 s', async () => {
    const failed = keptnApi(() => ({ state: 'Completed', pass: false }));
    expect(await provider(failed.api, steppingClock()).runQuery('analysis/test/slo')).toBe(0);
    expect((failed.created[0] as { spec?: { timeframe?: unknown } }).spec?.timeframe).toEqual({
      recent: '1m',
    });
    const stuck = keptnApi(() => ({ state: 'Progressing' }));
    expect(await failure(provider(stuck.api, steppingClock()).runQuery('analysis/test/slo'))).toBe(
      'encountered timeout while waiting for Keptn Analysis test/slo to be finished',
    );
    expect(stuck.deleted).toHaveLength(1);
    const denied = keptnApi();
    expect(
      await failure(provider(denied.api, steppingClock()).runQuery('analysis/forbidden/slo')),
    ).toBe('could not create Keptn Analysis forbidden/slo: analyses.metrics.keptn.sh is forbidden');
  });

  it("refuses bad queries and a missing cluster API (Flagger's texts)", () => {
    expect(thrown(() => parseKeptnQuery('keptnmetric/test'))).toMatch(/^unexpected query format\./);
    expect(thrown(() => parseKeptnQuery('metric/test/x'))).toBe(
      "unexpected resource kind provided in the query. must be one of: ['keptnmetric', 'analysis']",
    );
    expect(
      thrown(() => createMetricsProvider(providerContext({ type: 'keptn' }), () => undefined)),
    ).toBe('could not initialize KeptnProvider: no KubeConfig provided');
  });
});
