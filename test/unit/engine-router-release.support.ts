/**
 * What every router test does with Flagger's podinfo tutorial once the router is set up:
 * start a release (a 6.0.1 canary next to the 6.0.0 primary, as checkCanaryStatus does) and
 * count the canary's share of requests sent the way the provider's tutorial sends them.
 */
import { DeploymentController } from '../../src/core/workloads';
import type { ClientResult } from '../../src/sim/simulation';
import { R } from '../../src/sim/store';
import type { Rig } from './engine-support';
import { NS } from './engine-support';

/** Initializes, then releases 6.0.1 and waits until both versions serve. */
export async function startCanary(r: Rig): Promise<void> {
  await r.initialize();
  r.cluster.store.mutate(R.deployments, NS, 'podinfo', (o) => {
    const spec = o.spec as { template: { spec: { containers: { image: string }[] } } };
    spec.template.spec.containers[0]!.image = 'ghcr.io/stefanprodan/podinfo:6.0.1';
  });
  const workload = new DeploymentController(r.api, r.options);
  await workload.scaleFromZero(r.canary());
  await r.until(() => workload.isCanaryReady(r.canary()));
  await r.until(() => workload.isPrimaryReady(r.canary()));
}

/** The podinfo version that answered (an error for anything but a 200). */
export function versionOf(result: ClientResult): string {
  if (result.kind !== 'response') throw new Error(`request failed: ${result.message}`);
  if (result.status !== 200) throw new Error(`HTTP ${result.status}: ${result.body}`);
  return (JSON.parse(result.body) as { version: string }).version;
}

/** The share of n requests the 6.0.1 canary answers; the rest must be the 6.0.0 primary. */
export async function releaseShare(
  r: Rig,
  n: number,
  request: { url: string; headers?: Record<string, string>; fromNamespace?: string },
): Promise<number> {
  let canary = 0;
  for (let i = 0; i < n; i++) {
    const v = versionOf(await r.cluster.sim.send(request));
    if (v === '6.0.1') canary++;
    else if (v !== '6.0.0') throw new Error(`unexpected version ${v}`);
  }
  return canary / n;
}
