import { describe, expect, it } from 'vitest';
import {
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
} from '../../src/sim/apiserver/patch';
import { evalJsonPath, humanDuration } from '../../src/sim/apiserver/table';
import { StoreError } from '../../src/sim/store';

const deployment = {
  metadata: { name: 'podinfo', labels: { app: 'podinfo' }, finalizers: ['a'] },
  spec: {
    replicas: 1,
    template: {
      spec: {
        containers: [
          {
            name: 'podinfod',
            image: 'podinfo:6.0.0',
            env: [{ name: 'A', value: '1' }],
            ports: [{ containerPort: 9898, name: 'http' }],
          },
          { name: 'sidecar', image: 'envoy:1' },
        ],
      },
    },
  },
};

describe('strategic merge patch', () => {
  it('merges containers and env by name (kubectl set image)', () => {
    const out = applyStrategicMergePatch(deployment, {
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'podinfod', image: 'podinfo:6.0.1', env: [{ name: 'B', value: '2' }] },
            ],
          },
        },
      },
    }) as typeof deployment;
    const [main, sidecar] = out.spec.template.spec.containers;
    expect(main?.image).toBe('podinfo:6.0.1');
    expect(main?.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
    ]);
    expect(main?.ports).toEqual([{ containerPort: 9898, name: 'http' }]);
    expect(sidecar?.image).toBe('envoy:1');
    expect(deployment.spec.template.spec.containers[0]?.image).toBe('podinfo:6.0.0');
  });

  it('honours $patch delete/replace, $setElementOrder, $retainKeys, $deleteFromPrimitiveList and null', () => {
    const out = applyStrategicMergePatch(deployment, {
      metadata: { labels: { app: null }, '$deleteFromPrimitiveList/finalizers': ['a'] },
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'podinfod' }],
            containers: [{ name: 'podinfod', $patch: 'delete' }],
          },
        },
        strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null },
      },
    }) as {
      metadata: { labels: object; finalizers: string[] };
      spec: { template: { spec: { containers: { name: string }[] } }; strategy: object };
    };
    expect(out.metadata.labels).toEqual({});
    expect(out.metadata.finalizers).toEqual([]);
    expect(out.spec.template.spec.containers.map((c) => c.name)).toEqual(['sidecar']);
    expect(out.spec.strategy).toEqual({ type: 'Recreate' });
    const replaced = applyStrategicMergePatch(deployment, {
      spec: {
        template: { spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'x' }] } },
      },
    }) as typeof deployment;
    expect(replaced.spec.template.spec.containers).toEqual([{ name: 'only', image: 'x' }]);
  });

  it('merges service ports by port', () => {
    const out = applyStrategicMergePatch(
      { spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443 }] } },
      { spec: { ports: [{ port: 80, targetPort: 9898 }] } },
    );
    expect(out).toEqual({ spec: { ports: [{ port: 80, targetPort: 9898 }, { port: 443 }] } });
  });
});

describe('merge and JSON patch', () => {
  it('applies RFC 7386 merge patches', () => {
    expect(
      applyMergePatch({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { b: null, d: 3 }, l: [3] }),
    ).toEqual({ a: { c: 2, d: 3 }, l: [3] });
  });

  it('applies RFC 6902 operations and fails a failing test op', () => {
    const out = applyJsonPatch(deployment, [
      { op: 'replace', path: '/spec/replicas', value: 3 },
      { op: 'add', path: '/metadata/labels/team', value: 'a' },
      { op: 'add', path: '/spec/template/spec/containers/-', value: { name: 'new' } },
      { op: 'remove', path: '/spec/template/spec/containers/1' },
      { op: 'copy', from: '/metadata/name', path: '/metadata/labels/copied' },
      { op: 'move', from: '/metadata/labels/copied', path: '/metadata/labels/moved' },
      { op: 'test', path: '/spec/replicas', value: 3 },
    ]) as {
      spec: { replicas: number; template: { spec: { containers: { name: string }[] } } };
      metadata: { labels: object };
    };
    expect(out.spec.replicas).toBe(3);
    expect(out.metadata.labels).toEqual({ app: 'podinfo', team: 'a', moved: 'podinfo' });
    expect(out.spec.template.spec.containers.map((c) => c.name)).toEqual(['podinfod', 'new']);
    expect(() =>
      applyJsonPatch(deployment, [{ op: 'test', path: '/spec/replicas', value: 2 }]),
    ).toThrow(StoreError);
    expect(() => applyJsonPatch(deployment, [{ op: 'remove', path: '/nope/x' }])).toThrow(
      StoreError,
    );
  });
});

describe('table helpers', () => {
  it('formats ages like kubectl', () => {
    const s = 1000;
    expect(humanDuration(45 * s)).toBe('45s');
    expect(humanDuration(119 * s)).toBe('119s');
    expect(humanDuration(200 * s)).toBe('3m20s');
    expect(humanDuration(30 * 60 * s)).toBe('30m');
    expect(humanDuration(5 * 3600 * s + 120 * s)).toBe('5h2m');
    expect(humanDuration(30 * 3600 * s)).toBe('30h');
    expect(humanDuration(3 * 86400 * s + 3600 * s)).toBe('3d1h');
    expect(humanDuration(40 * 86400 * s)).toBe('40d');
  });

  it('evaluates printer-column JSONPaths', () => {
    const o = {
      status: { phase: 'Progressing', conditions: [{ type: 'Promoted', status: 'Unknown' }] },
      spec: { analysis: { stepWeights: [10, 20] } },
    };
    expect(evalJsonPath(o, '.status.phase')).toEqual(['Progressing']);
    expect(evalJsonPath(o, '.spec.analysis.stepWeights')).toEqual([[10, 20]]);
    expect(evalJsonPath(o, '.status.conditions[?(@.type=="Promoted")].status')).toEqual([
      'Unknown',
    ]);
    expect(evalJsonPath(o, '.status.conditions[0].type')).toEqual(['Promoted']);
    expect(evalJsonPath(o, '.spec.missing')).toEqual([]);
  });
});
