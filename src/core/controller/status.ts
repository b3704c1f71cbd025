/**
 * Flagger's pkg/canary/status.go over a KubeApi: every status change of the state machine.
 *
 * All writes go through the /status subresource with the Canary's resourceVersion as the
 * precondition and never touch the spec. On a Conflict the canary is read again and the same
 * change is applied to the fresh status once more (Flagger wraps each write in
 * retry.RetryOnConflict); a second Conflict is thrown to the caller, whose tick ends and whose
 * next tick starts again from the cluster.
 *
 * Flagger passes the Canary read at the start of a tick to every write and lets the stale
 * resourceVersion force a re-read. This writer remembers, per Canary object, the status and
 * resourceVersion it last wrote, so the second write of a tick applies on top of the first
 * without a wasted Conflict round trip. The tick's own decisions still read the Canary as it
 * was at the start of the tick, as in Flagger.
 */
import type { Clock } from '../../shared/clock';
import { parseCanary, texts } from '../canary';
import type { Canary, CanaryCondition, CanaryPhase, CanaryStatus, FieldError } from '../canary';
import { isConflict, type KubeApi, type KubeObject } from '../kube/api';
import type { Revision } from './ports';

/** The part of Flagger's CanaryStatus that SyncStatus takes from its caller. */
export interface StatusSync {
  phase: CanaryPhase;
  canaryWeight?: number;
  failedChecks?: number;
  iterations?: number;
}

/** The condition Aviary adds to a Canary whose spec it cannot parse (Flagger has none). */
export const VALID_CONDITION = 'Valid';
export const VALIDATION_FAILED_REASON = 'ValidationFailed';

interface Written {
  resourceVersion: string | undefined;
  status: CanaryStatus;
}

const EMPTY_STATUS: CanaryStatus = { phase: '', failedChecks: 0, canaryWeight: 0, iterations: 0 };

export class CanaryStatusWriter {
  private readonly written = new WeakMap<Canary, Written>();

  constructor(
    private readonly kube: KubeApi,
    private readonly clock: Clock,
  ) {}

  /** The resourceVersion after this writer's last write for `canary`, or as it was read. */
  resourceVersion(canary: Canary): string | undefined {
    return this.written.get(canary)?.resourceVersion ?? canary.metadata.resourceVersion;
  }

  /** The status as this writer last wrote it for `canary`, or as it was read. */
  current(canary: Canary): CanaryStatus {
    return this.written.get(canary)?.status ?? canary.status ?? EMPTY_STATUS;
  }

  /**
   * SyncStatus (syncCanaryStatus): phase, counters, lastAppliedSpec = the revision hash (and
   * lastPromotedSpec when Initialized), trackedConfigs, the Promoted condition.
   */
  syncStatus(canary: Canary, sync: StatusSync, revision: Revision): Promise<CanaryStatus> {
    return this.write(canary, (base, now) => {
      const next: CanaryStatus = {
        ...base,
        phase: sync.phase,
        canaryWeight: sync.canaryWeight ?? 0,
        failedChecks: sync.failedChecks ?? 0,
        iterations: sync.iterations ?? 0,
        lastAppliedSpec: revision.hash,
        lastTransitionTime: now,
        // Flagger always stores a map here (GetConfigRefs returns &map even when empty).
        trackedConfigs: { ...revision.trackedConfigs },
      };
      if (sync.phase === 'Initialized') next.lastPromotedSpec = revision.hash;
      const conditions = texts.promotedConditions(
        base.conditions,
        canary.spec.targetRef.kind,
        sync.phase,
        now,
      );
      if (conditions) next.conditions = conditions;
      return next;
    });
  }

  setStatusFailedChecks(canary: Canary, failedChecks: number): Promise<CanaryStatus> {
    return this.write(canary, (base, now) => ({ ...base, failedChecks, lastTransitionTime: now }));
  }

  setStatusWeight(canary: Canary, canaryWeight: number): Promise<CanaryStatus> {
    return this.write(canary, (base, now) => ({ ...base, canaryWeight, lastTransitionTime: now }));
  }

  setStatusIterations(canary: Canary, iterations: number): Promise<CanaryStatus> {
    return this.write(canary, (base, now) => ({ ...base, iterations, lastTransitionTime: now }));
  }

  /**
   * setStatusPhase: phases other than Progressing, Waiting and Promoting reset weight and
   * iterations (WaitingPromotion keeps iterations = analysis.iterations - 1); Initialized and
   * Succeeded record the applied spec as promoted.
   */
  setStatusPhase(canary: Canary, phase: CanaryPhase): Promise<CanaryStatus> {
    return this.write(canary, (base, now) => {
      const next: CanaryStatus = { ...base, phase, lastTransitionTime: now };
      if (phase !== 'Progressing' && phase !== 'Waiting' && phase !== 'Promoting') {
        next.canaryWeight = 0;
        next.iterations = 0;
        // The canary's spec as this tick sees it (the kubernetes provider forces iterations).
        if (phase === 'WaitingPromotion')
          next.iterations = (canary.spec.analysis?.iterations ?? 0) - 1;
      }
      if (phase === 'Initialized' || phase === 'Succeeded')
        next.lastPromotedSpec = base.lastAppliedSpec;
      const conditions = texts.promotedConditions(
        next.conditions,
        canary.spec.targetRef.kind,
        phase,
        now,
      );
      if (conditions) next.conditions = conditions;
      return next;
    });
  }

  /** setPhaseInitializing (controller.go): only when the Promoted condition changes. */
  setPhaseInitializing(canary: Canary): Promise<CanaryStatus> {
    return this.write(canary, (base, now) => {
      const conditions = texts.promotedConditions(
        base.conditions,
        canary.spec.targetRef.kind,
        'Initializing',
        now,
      );
      if (!conditions) return undefined;
      return { ...base, conditions, lastTransitionTime: now, phase: 'Initializing' };
    });
  }

  private async write(
    canary: Canary,
    change: (base: CanaryStatus, now: string) => CanaryStatus | undefined,
  ): Promise<CanaryStatus> {
    const now = new Date(this.clock.now()).toISOString();
    const known = this.written.get(canary);
    let base: Written = known ?? {
      resourceVersion: canary.metadata.resourceVersion,
      status: canary.status ?? EMPTY_STATUS,
    };
    for (let attempt = 0; ; attempt++) {
      const changed = change(base.status, now);
      if (!changed) return base.status;
      const next = withRouterCookies(changed, canary.status);
      try {
        const stored = await this.kube.replaceStatus(
          statusBody(canary, base.resourceVersion, next),
        );
        this.written.set(canary, {
          resourceVersion: stored.metadata.resourceVersion,
          status: next,
        });
        return next;
      } catch (err) {
        if (!isConflict(err) || attempt > 0) throw err;
        base = await this.reread(canary);
      }
    }
  }

  private async reread(canary: Canary): Promise<Written> {
    const raw = await this.kube.get({
      apiVersion: canary.apiVersion,
      kind: 'Canary',
      namespace: canary.metadata.namespace,
      name: canary.metadata.name,
    });
    if (!raw)
      throw new Error(
        `canary ${canary.metadata.name}.${canary.metadata.namespace} get query failed: not found`,
      );
    const parsed = parseCanary(raw);
    const status = 'canary' in parsed ? parsed.canary.status : undefined;
    return { resourceVersion: raw.metadata.resourceVersion, status: status ?? EMPTY_STATUS };
  }
}

const COOKIE_FIELDS = [
  'sessionAffinityCookie',
  'primarySessionAffinityCookie',
  'previousSessionAffinityCookie',
] as const;

/**
 * Session-affinity routers (istio, gatewayapi) set the cookies on the Canary they are given,
 * as Flagger's SetRoutes mutates canary.Status; like Flagger, the tick's next status write
 * stores them (an empty cookie is dropped, Go's omitempty).
 */
function withRouterCookies(next: CanaryStatus, fromRouter: CanaryStatus | undefined): CanaryStatus {
  if (!fromRouter) return next;
  const out: CanaryStatus = { ...next };
  for (const field of COOKIE_FIELDS) {
    const value = fromRouter[field];
    if (value) out[field] = value;
    else delete out[field];
  }
  return out;
}

function statusBody(canary: Canary, resourceVersion: string | undefined, status: CanaryStatus) {
  // The /status subresource ignores the spec; it is sent only because a PUT carries an object.
  const body: KubeObject = {
    apiVersion: canary.apiVersion,
    kind: 'Canary',
    metadata: { ...canary.metadata, resourceVersion } as unknown as KubeObject['metadata'],
    spec: canary.spec,
    status,
  };
  return body;
}

// --- invalid canaries -------------------------------------------------------------------------

/** The message Aviary writes for field errors: `path: message` joined with "; ". */
export function validationMessage(errors: readonly FieldError[]): string {
  return errors.map((e) => `${e.path}: ${e.message}`).join('; ');
}

type RawCondition = Record<string, unknown> & { type?: unknown };

function rawConditions(raw: KubeObject): RawCondition[] {
  const status = raw.status as { conditions?: unknown } | undefined;
  return Array.isArray(status?.conditions) ? (status.conditions as RawCondition[]) : [];
}

/**
 * Writes (or clears, with `errors` undefined) the Valid=False condition on a Canary's raw
 * object. The phase, the Promoted condition and every other status field are left as they are.
 * Returns false when nothing had to change (no write).
 */
export async function writeValidationCondition(
  kube: KubeApi,
  raw: KubeObject,
  errors: readonly FieldError[] | undefined,
  now: string,
): Promise<boolean> {
  const others = rawConditions(raw).filter((c) => c.type !== VALID_CONDITION);
  const existing = rawConditions(raw).find((c) => c.type === VALID_CONDITION);
  let conditions: RawCondition[];
  if (errors === undefined) {
    if (!existing) return false;
    conditions = others;
  } else {
    const message = validationMessage(errors);
    if (existing && existing.status === 'False' && existing.message === message) return false;
    const condition: CanaryCondition | RawCondition = {
      type: VALID_CONDITION,
      status: 'False',
      reason: VALIDATION_FAILED_REASON,
      message,
      lastUpdateTime: now,
      lastTransitionTime:
        existing && existing.status === 'False' && typeof existing.lastTransitionTime === 'string'
          ? existing.lastTransitionTime
          : now,
    };
    conditions = [...others, condition];
  }
  const status = { ...((raw.status as Record<string, unknown> | undefined) ?? {}) };
  if (conditions.length > 0) status.conditions = conditions;
  else delete status.conditions;
  await kube.replaceStatus({ ...raw, status });
  return true;
}
