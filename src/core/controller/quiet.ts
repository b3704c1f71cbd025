/**
 * Quiet canaries (see "API reads per tick" in engine.ts): which canaries a watch event on a
 * workload, ConfigMap or Secret concerns, and whether a tick left its canary idle.
 */
import type { Canary } from '../canary';
import type { KubeObject } from '../kube/api';
import type { TickObservation } from './scheduler';

/** A full tick runs at least this often (engine clock), even for a quiet canary. */
export const QUIET_SAFETY_MS = 5 * 60 * 1000;

/**
 * The kinds an idle tick reads besides the Canary, watched cluster-wide. Secrets are not:
 * a desktop should not list every Secret of a cluster (often forbidden, and their data
 * would sit in memory); a canary that tracks a Secret is never quiet instead.
 */
export const DEPENDENCY_WATCHES: readonly { apiVersion: string; kind: string }[] = [
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'apps/v1', kind: 'DaemonSet' },
  { apiVersion: 'v1', kind: 'ConfigMap' },
];

const tracksSecret = (canary: Canary): boolean =>
  Object.keys(canary.status?.trackedConfigs ?? {}).some((key) => key.startsWith('secret/'));

/**
 * A tick that ends the canary idle: Initialized/Succeeded, found and valid, nothing recorded,
 * with a Deployment or DaemonSet target (other targets are not watched).
 */
export function leftIdle(canary: Canary | undefined, o: TickObservation): boolean {
  const kind = canary?.spec.targetRef.kind;
  return (
    (kind === 'Deployment' || kind === 'DaemonSet') &&
    canary !== undefined &&
    !tracksSecret(canary) &&
    o.found &&
    !o.invalid &&
    (o.phase === 'Initialized' || o.phase === 'Succeeded') &&
    o.events.length === 0 &&
    o.halted === undefined
  );
}

/**
 * Does a change of `object` (a Deployment, DaemonSet, ConfigMap or Secret) concern `canary`:
 * its target `<name>` or `<name>-primary`, or a config in its status.trackedConfigs.
 */
export function concerns(canary: Canary, object: KubeObject): boolean {
  if ((object.metadata.namespace ?? '') !== (canary.metadata.namespace ?? '')) return false;
  const name = object.metadata.name;
  switch (object.kind) {
    case 'ConfigMap':
    case 'Secret': {
      const tracked = canary.status?.trackedConfigs ?? {};
      return Object.hasOwn(tracked, `${object.kind.toLowerCase()}/${name}`);
    }
    default: {
      const target = canary.spec.targetRef;
      return (
        target.kind === object.kind && (name === target.name || name === `${target.name}-primary`)
      );
    }
  }
}
