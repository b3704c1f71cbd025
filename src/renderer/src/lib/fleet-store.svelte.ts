/**
 * What the fleet view reads, kept for the page's lifetime (so returning to the fleet keeps
 * the sparklines): every canary as one array, republished at most once per animation frame
 * however many updates arrive, and the last weights seen for each canary.
 */
import { untrack } from 'svelte';
import type { CanarySummary } from '../../../shared/api';
import { FrameCoalescer, nextFrame, type Schedule } from './frames';
import type { CanariesChange, Session } from './session.svelte';

/** Points kept per canary for its sparkline. */
export const WEIGHT_HISTORY = 24;

/**
 * A small ring per canary of the canary weights seen in canaries.changed events. Plain
 * data behind one version signal: recording a thousand weights writes no signal, and the
 * owner republishes them all at once (publish()) when it republishes the canaries.
 */
export class WeightHistory {
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- plain on purpose (see above)
  readonly #weights = new Map<string, readonly number[]>();
  readonly #capacity: number;
  #version = $state(0);

  constructor(capacity = WEIGHT_HISTORY) {
    this.#capacity = capacity;
  }

  /** A repeated weight adds nothing: the line shows steps, not how often we heard. */
  record(key: string, weight: number): void {
    const before = this.#weights.get(key);
    if (before && before[before.length - 1] === weight) return;
    const next = before ? [...before, weight] : [weight];
    if (next.length > this.#capacity) next.splice(0, next.length - this.#capacity);
    this.#weights.set(key, next);
  }

  forget(key: string): void {
    this.#weights.delete(key);
  }

  /** Tells readers of of() that the weights changed. */
  publish(): void {
    this.#version++;
  }

  /** The weights of one canary: the same array for as long as they do not change. */
  of(key: string): readonly number[] {
    void this.#version;
    return this.#weights.get(key) ?? [];
  }
}

/** What the fleet view reads (a FleetStore, or plain data in tests). */
export interface FleetData {
  readonly canaries: readonly CanarySummary[];
  readonly weights: { of(key: string): readonly number[] };
}

export class FleetStore implements FleetData {
  /** Every canary of every cluster, unsorted; a new array each time anything changed. */
  canaries = $state.raw<CanarySummary[]>([]);
  readonly weights = new WeightHistory();
  readonly #session: Session;
  // A lone update is drawn at once; a burst of a thousand events costs one rebuild per frame.
  readonly #publish: FrameCoalescer;

  constructor(session: Session, schedule: Schedule = nextFrame) {
    this.#session = session;
    this.#publish = new FrameCoalescer(() => {
      this.canaries = [...this.#session.canaries.values()];
      this.weights.publish();
    }, schedule);
  }

  /** Returns the function that stops following the session. */
  start(): () => void {
    // The session's own hook, not the event stream: it also tells of full reloads (after a
    // reconnect), and runs after the session's map holds the change.
    const off = this.#session.onCanariesChanged((change: CanariesChange) => {
      if (change) {
        for (const c of change.changed) this.weights.record(c.key, c.canaryWeight);
        for (const key of change.removed) this.weights.forget(key);
      }
      this.#publish.mark();
    });
    // What the session already holds (started from an effect: read it untracked).
    if (untrack(() => this.#session.canaries.size) > 0) untrack(() => this.#publish.mark());
    return off;
  }
}
