/**
 * Helpers of the engine scenario tests (engine-scenarios-*.test.ts): edit the podinfo
 * Canary and its Deployment in the playground's store, call in-cluster services through the
 * API server's service proxy (real HTTPS, the cluster's CA and token), and read the log of
 * one rollout.
 */
import { request as httpsRequest } from 'node:https';
import { expect } from 'vitest';
import type { CanaryPhaseName } from '../../src/shared/api';
import type { PlaygroundCluster } from '../../src/sim/playground';
import type { KubeObject } from '../../src/sim/store';
import type { EngineBed } from './engine-playground.helpers';

export const CANARIES = { group: 'flagger.app', resource: 'canaries' } as const;
export const DEPLOYMENTS = { group: 'apps', resource: 'deployments' } as const;
export const SERVICES = { group: '', resource: 'services' } as const;
export const INGRESSES = { group: 'networking.k8s.io', resource: 'ingresses' } as const;
export const CONFIGMAPS = { group: '', resource: 'configmaps' } as const;

export const NGINX = 'nginx.ingress.kubernetes.io/';

export interface HookDraft {
  name: string;
  type?: string;
  url: string;
  timeout?: string;
  metadata?: Record<string, string>;
}

/** The parts of a Canary spec the scenarios edit. */
export interface CanaryDraft {
  provider?: string;
  skipAnalysis?: boolean;
  suspend?: boolean;
  analysis: {
    interval?: string;
    threshold?: number;
    iterations?: number;
    maxWeight?: number;
    stepWeight?: number;
    stepWeights?: number[];
    match?: { headers: Record<string, { exact?: string; regex?: string }> }[];
    webhooks: HookDraft[];
  };
}

export interface DeploymentDraft {
  spec: {
    template: {
      metadata?: { annotations?: Record<string, string> };
      spec: {
        containers: {
          image: string;
          envFrom?: { configMapRef?: { name: string } }[];
          env?: { name: string; valueFrom?: unknown }[];
        }[];
      };
    };
  };
}

export function staging(bed: EngineBed): PlaygroundCluster {
  return bed.playground.cluster('staging');
}

export function editCanary(
  bed: EngineBed,
  namespace: string,
  name: string,
  change: (spec: CanaryDraft) => void,
): void {
  const done = staging(bed).api.store.mutate(CANARIES, namespace, name, (canary) => {
    change(canary.spec as unknown as CanaryDraft);
  });
  if (!done) throw new Error(`no canary ${name}.${namespace}`);
}

export function editDeployment(
  bed: EngineBed,
  namespace: string,
  name: string,
  change: (deployment: DeploymentDraft) => void,
): void {
  const done = staging(bed).api.store.mutate(DEPLOYMENTS, namespace, name, (d) => {
    change(d as unknown as DeploymentDraft);
  });
  if (!done) throw new Error(`no deployment ${name}.${namespace}`);
}

export function get(
  bed: EngineBed,
  ref: { group: string; resource: string },
  namespace: string,
  name: string,
): KubeObject | undefined {
  return staging(bed).api.store.get(ref, namespace, name);
}

export function canaryIngressWeight(bed: EngineBed, namespace = 'test', name = 'podinfo') {
  return get(bed, INGRESSES, namespace, `${name}-canary`)?.metadata.annotations?.[
    `${NGINX}canary-weight`
  ];
}

export function image(deployment: KubeObject | undefined): string | undefined {
  return (deployment as unknown as DeploymentDraft | undefined)?.spec.template.spec.containers[0]
    ?.image;
}

/** The log of one canary from now on: `since()` gives the messages logged after the mark. */
export function mark(bed: EngineBed, canary: string): { since: () => string[] } {
  const from = bed.messages(canary).length;
  return { since: () => bed.messages(canary).slice(from) };
}

/** Polls every 25 ms until the predicate holds; fails after timeoutMs (usable in hooks too). */
export async function until(
  predicate: () => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export async function waitPhase(
  bed: EngineBed,
  key: string,
  phase: CanaryPhaseName,
  timeoutMs = 30_000,
): Promise<void> {
  await until(
    () => bed.canary(key)?.phase === phase,
    `${key} ${phase} (now ${bed.canary(key)?.phase ?? 'unknown'})`,
    timeoutMs,
  );
}

export async function waitMessage(
  bed: EngineBed,
  messages: () => string[],
  match: string | RegExp,
  timeoutMs = 30_000,
): Promise<void> {
  await until(
    () => messages().some((m) => (typeof match === 'string' ? m === match : match.test(m))),
    `the message ${String(match)}`,
    timeoutMs,
  );
}

/** POST through the API server's service proxy, as `kubectl` or Aviary reaches a Service. */
export function proxyPost(
  cluster: PlaygroundCluster,
  namespace: string,
  service: string,
  path: string,
  body: unknown,
): Promise<{ status: number; body: string }> {
  const url = new URL(
    `/api/v1/namespaces/${namespace}/services/${service}/proxy${path}`,
    cluster.api.url,
  );
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method: 'POST',
        ca: cluster.api.caPem,
        headers: {
          authorization: `Bearer ${cluster.token}`,
          'content-type': 'application/json',
        },
        timeout: 5000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`POST ${url.pathname} timed out`)));
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** The loadtester's gate for podinfo.test, opened or closed through the service proxy. */
export async function gate(bed: EngineBed, action: 'open' | 'close'): Promise<void> {
  const res = await proxyPost(staging(bed), 'test', 'flagger-loadtester:80', `/gate/${action}`, {
    name: 'podinfo',
    namespace: 'test',
  });
  expect(res.status).toBe(202);
}

/** The version podinfo answers with for one request to the ingress host. */
export async function versionSeen(
  bed: EngineBed,
  headers: Record<string, string> = {},
  url = 'http://app.example.com/',
): Promise<string> {
  const result = await staging(bed).sim.request({ url, headers });
  if (result.kind !== 'response') throw new Error(`${url}: ${result.message}`);
  return (JSON.parse(result.body) as { version: string }).version;
}

/**
 * A new podinfo revision: the image, and exactly these pod template annotations (the
 * playground's behaviour annotations of earlier releases are dropped, unlike sim.release).
 */
export function release(
  bed: EngineBed,
  tag: string,
  annotations: Record<string, string> = {},
  namespace = 'test',
  name = 'podinfo',
): void {
  editDeployment(bed, namespace, name, (d) => {
    const container = d.spec.template.spec.containers[0];
    if (!container) throw new Error(`${name}.${namespace} has no container`);
    container.image = `ghcr.io/stefanprodan/podinfo:${tag}`;
    d.spec.template.metadata = { ...(d.spec.template.metadata ?? {}), annotations };
  });
}
