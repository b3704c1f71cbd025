/**
 * Test helpers for the playground simulations: a store on a ManualClock with the
 * simulation started, and builders for the manifests the tests apply.
 */
import { ManualClock } from '../../src/shared/clock';
import { MemoryClusterStore } from '../../src/sim/apiserver/memory-store';
import type { ClusterSimulation, ClusterSimulationOptions } from '../../src/sim/simulation';
import { startClusterSimulation } from '../../src/sim/simulation';
import type { KubeObject, ResourceRef } from '../../src/sim/store';
import { R } from '../../src/sim/store';

export interface TestCluster {
  clock: ManualClock;
  store: MemoryClusterStore;
  sim: ClusterSimulation;
  apply(ref: ResourceRef, object: KubeObject): KubeObject;
  get<T extends KubeObject = KubeObject>(ref: ResourceRef, namespace: string, name: string): T;
}

export function startTestCluster(options: Partial<ClusterSimulationOptions> = {}): TestCluster {
  const clock = new ManualClock();
  const store = new MemoryClusterStore({ clock });
  for (const ns of ['test', 'prod']) {
    store.create(R.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  }
  const sim = startClusterSimulation({ store, clock, trafficRate: 0, ...options });
  return {
    clock,
    store,
    sim,
    apply: (ref, object) => store.create(ref, object),
    get: <T extends KubeObject = KubeObject>(ref: ResourceRef, namespace: string, name: string) => {
      const o = store.get(ref, namespace, name);
      if (!o) throw new Error(`${ref.resource} ${namespace}/${name} not found`);
      return o as T;
    },
  };
}

export function deployment(
  namespace: string,
  name: string,
  options: {
    image?: string;
    replicas?: number;
    annotations?: Record<string, string>;
    progressDeadlineSeconds?: number;
    cpuRequest?: string;
    port?: number;
    args?: string[];
  } = {},
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      replicas: options.replicas ?? 1,
      ...(options.progressDeadlineSeconds !== undefined
        ? { progressDeadlineSeconds: options.progressDeadlineSeconds }
        : {}),
      selector: { matchLabels: { app: name } },
      template: {
        metadata: {
          labels: { app: name },
          ...(options.annotations ? { annotations: options.annotations } : {}),
        },
        spec: {
          containers: [
            {
              name: 'app',
              image: options.image ?? 'ghcr.io/stefanprodan/podinfo:6.0.0',
              ...(options.args ? { args: options.args } : {}),
              ports: [{ name: 'http', containerPort: options.port ?? 9898 }],
              resources: { requests: { cpu: options.cpuRequest ?? '100m' } },
            },
          ],
        },
      },
    },
  };
}

export function service(
  namespace: string,
  name: string,
  selectApp = name,
  port = 9898,
  targetPort: number | string = 'http',
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: {
      selector: { app: selectApp },
      ports: [{ name: 'http', port, targetPort, protocol: 'TCP' }],
    },
  };
}

export function ingress(
  namespace: string,
  name: string,
  host: string,
  backend: string,
  annotations: Record<string, string> = {},
  port = 9898,
): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name,
      namespace,
      annotations: { 'kubernetes.io/ingress.class': 'nginx', ...annotations },
    },
    spec: {
      rules: [
        {
          host,
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: backend, port: { number: port } } },
              },
            ],
          },
        },
      ],
    },
  };
}

/** Parses a Prometheus text exposition into samples (name, labels, value). */
export function parseExposition(
  text: string,
): { name: string; labels: Record<string, string>; value: number }[] {
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1] ?? ''] = (l[2] ?? '').replace(/\\(.)/g, (_s, c: string) =>
        c === 'n' ? '\n' : c,
      );
    }
    samples.push({ name: m[1] ?? '', labels, value: Number(m[4]) });
  }
  return samples;
}

type Matcher = [label: string, op: '=' | '!=' | '=~' | '!~', value: string];

/** Sums the samples of a metric whose labels satisfy PromQL-style matchers (regexes anchored). */
export function sumWhere(
  samples: ReturnType<typeof parseExposition>,
  name: string,
  matchers: Matcher[],
): number {
  return samples
    .filter((s) => s.name === name)
    .filter((s) =>
      matchers.every(([label, op, value]) => {
        const v = s.labels[label] ?? '';
        if (op === '=') return v === value;
        if (op === '!=') return v !== value;
        const re = new RegExp(`^(?:${value})$`);
        return op === '=~' ? re.test(v) : !re.test(v);
      }),
    )
    .reduce((acc, s) => acc + s.value, 0);
}

/** Runs every pending microtask, so simulated work reaches its next clock wait. */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Moves the clock in steps until the promise settles: for simulated work that waits on
 * the clock several times in a row (a bash task running curl after curl).
 */
export async function untilSettled<T>(
  clock: ManualClock,
  pending: Promise<T>,
  stepMs = 100,
  maxMs = 3_600_000,
): Promise<T> {
  let done = false;
  const tracked = pending.finally(() => (done = true));
  for (let elapsed = 0; ; elapsed += stepMs) {
    await settle();
    if (done || elapsed > maxMs) return tracked;
    await clock.advance(stepMs);
  }
}
