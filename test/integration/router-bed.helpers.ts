/**
 * What the router integration tests share: a bare playground cluster with the in-cluster
 * Prometheus the builtin checks query, the demos applied to it, and the canary's share of
 * the traffic counted from the podinfo versions that answer.
 */
import { resourceOf } from '../../src/sim/playground';
import { monitoringManifests } from '../../src/sim/scenarios/common';
import type { ClientResult } from '../../src/sim/simulation';
import { StoreError, type KubeObject } from '../../src/sim/store';
import { expect } from 'vitest';
import { startEngineBed, type EngineBed } from './engine-playground.helpers';

export const RELEASE_IMAGE = 'ghcr.io/stefanprodan/podinfo:6.0.1';

/** Creates the manifests in the staging cluster; demos sharing a namespace or mesh may repeat one. */
export function applyManifests(bed: EngineBed, manifests: KubeObject[]): void {
  const store = bed.playground.cluster('staging').api.store;
  for (const m of manifests) {
    try {
      store.create(resourceOf(m), m);
    } catch (err) {
      if (!(err instanceof StoreError && err.reason === 'AlreadyExists')) throw err;
    }
  }
}

/** An engine bed on a bare staging cluster with Prometheus in `monitoring` and the demos. */
export async function startRouterBed(
  manifests: KubeObject[],
  options: { speed?: number } = {},
): Promise<EngineBed> {
  const bed = await startEngineBed({ ...options, playground: { scenario: false } });
  applyManifests(bed, [...monitoringManifests(), ...manifests]);
  return bed;
}

export function versionOf(result: ClientResult): string {
  if (result.kind !== 'response') throw new Error(`request failed: ${result.message}`);
  return (JSON.parse(result.body) as { version: string }).version;
}

/**
 * The share of n requests answered by the release (6.0.1 unless told). Sent in small batches,
 * yielding between them: thousands at once would keep the event loop busy for seconds of
 * scaled time (delaying the engine's lease renewals, and showing in the canary's P99 latency).
 */
export async function canaryShare(
  bed: EngineBed,
  request: { url: string; headers?: Record<string, string>; fromNamespace?: string },
  n: number,
  version = '6.0.1',
): Promise<number> {
  const sim = bed.playground.cluster('staging').sim;
  let hits = 0;
  for (let sent = 0; sent < n; sent += 20) {
    const batch = Array.from({ length: Math.min(20, n - sent) }, () => sim.send(request));
    for (const r of await Promise.all(batch)) if (versionOf(r) === version) hits++;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return hits / n;
}

/**
 * The expected messages in the order first logged: Flagger repeats some (Promotion completed,
 * a line after a retried status write), which does not break the sequence.
 */
export function firstSeen(messages: string[], expected: string[]): string[] {
  return messages.filter((m, i) => expected.includes(m) && messages.indexOf(m) === i);
}

/** The detail view lists the objects the router wrote, under their real names and versions. */
export async function expectGeneratedObjects(bed: EngineBed, key: string): Promise<void> {
  const detail = await bed.service.handlers['canaries.detail']({ key });
  const missing = detail.objects.filter((o) => !o.exists).map((o) => `${o.kind}/${o.name}`);
  expect(missing, key).toEqual([]);
}
