/**
 * Fault injection for one simulated API server, driven by the playground CLI and tests:
 * API errors at a rate (optionally only on matching paths), added latency, dropping
 * every open watch, a storm of stale-write conflicts, and the cluster going unreachable.
 */

export interface ErrorFault {
  /** 0..1: share of matching requests that fail. */
  rate: number;
  /** HTTP status to answer (500 InternalError by default; 503, 429 and 504 have their own reasons). */
  status?: number;
  /** Only requests whose path contains this string (or matches this RegExp). */
  path?: string | RegExp;
}

/**
 * What a SelfSubjectAccessReview is refused for (RBAC denials, for tests of what a user may
 * not do). Absent fields match anything.
 */
export interface AccessDenial {
  verb?: string;
  /** API group ("" for core). */
  group?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
}

export interface FaultControls {
  dropWatches(): number;
  setReachable(reachable: boolean): Promise<void>;
}

export class ApiFaults {
  private error: ErrorFault | undefined;
  private latency = 0;
  private conflictRate = 0;
  private unreachable = false;
  private denials: AccessDenial[] = [];

  constructor(
    private readonly controls: FaultControls,
    private readonly random: () => number = Math.random,
  ) {}

  /** Fail a share of requests with a 5xx Status; rate 0 turns it off. */
  setErrors(fault: ErrorFault | undefined): void {
    this.error = fault && fault.rate > 0 ? fault : undefined;
  }

  /** Milliseconds added before every request is handled. */
  setLatency(ms: number): void {
    this.latency = Math.max(0, ms);
  }

  /** A share of writes (PUT/PATCH) fail with 409 Conflict, as when another writer races. */
  setConflicts(rate: number): void {
    this.conflictRate = Math.max(0, Math.min(1, rate));
  }

  /** Ends every open watch stream now; clients see the stream close and re-watch. Returns how many. */
  dropWatches(): number {
    return this.controls.dropWatches();
  }

  /** Closes the listener and every connection (refused connections), or listens again on the same port. */
  async setUnreachable(unreachable: boolean): Promise<void> {
    if (unreachable === this.unreachable) return;
    this.unreachable = unreachable;
    await this.controls.setReachable(!unreachable);
  }

  get isUnreachable(): boolean {
    return this.unreachable;
  }

  get latencyMs(): number {
    return this.latency;
  }

  /** SelfSubjectAccessReviews matching any of these answer allowed: false (empty: allow all). */
  denyAccess(denials: AccessDenial[]): void {
    this.denials = [...denials];
  }

  /** The denial that matches a review's resourceAttributes, if any. */
  deniedAccess(attributes: AccessDenial): AccessDenial | undefined {
    const field = (rule: AccessDenial, key: keyof AccessDenial): boolean =>
      rule[key] === undefined || rule[key] === (attributes[key] ?? '');
    return this.denials.find((rule) =>
      (['verb', 'group', 'resource', 'subresource', 'namespace'] as const).every((key) =>
        field(rule, key),
      ),
    );
  }

  /** Everything back to normal (reachable again too). */
  async reset(): Promise<void> {
    this.denials = [];
    this.error = undefined;
    this.latency = 0;
    this.conflictRate = 0;
    await this.setUnreachable(false);
  }

  /** The status to fail this request with, if the error fault picks it. */
  injectedError(path: string): number | undefined {
    const f = this.error;
    if (!f) return undefined;
    if (
      f.path !== undefined &&
      !(typeof f.path === 'string' ? path.includes(f.path) : f.path.test(path))
    )
      return undefined;
    return this.random() < f.rate ? (f.status ?? 500) : undefined;
  }

  injectConflict(): boolean {
    return this.conflictRate > 0 && this.random() < this.conflictRate;
  }
}
