/**
 * What the fleet view reads, kept for the page's lifetime (so returning to the fleet keeps
 * the sparklines): every canary as one array, republished at most once per animation frame
 * however many updates arrive, and the last weights seen for each canary.
 */
import { untrack } from 'svelte';
import { SvelteMap } from 'svelte/reactivity';
import type { CanarySummary } from '../../../shared/api';
import type { Session } from './session.svelte';

/** Points kept per canary for its sparkline. */
export const WEIGHT_HISTORY = 24;

/** A small ring per canary of the canary weights seen in canaries.changed events. */
export class WeightHistory {
  readonly #weights = new SvelteMap<string, readonly number[]>();
  readonly #capacity: number;

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

  of(key: string): readonly number[] {
    return this.#weights.get(key) ?? [];
  }
}

type Schedule = (run: () => void) => void;

const nextFrame: Schedule = (run) => {
  if (typeof requestAnimationFrame === 'function' && !document.hidden) requestAnimationFrame(run);
  else setTimeout(run, 16);
};

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
  readonly #schedule: Schedule;
  #pending = false;

  constructor(session: Session, schedule: Schedule = nextFrame) {
    this.#session = session;
    this.#schedule = schedule;
  }

  /** Returns the function that stops following the session. */
  start(): () => void {
    // Each update marks the list stale; the array is rebuilt once per frame, not once per
    // message (a burst of a thousand events costs one rebuild per frame).
    const offEvents = this.#session.subscribe((event) => {
      if (event.type !== 'canaries.changed') return;
      for (const c of event.changed) this.weights.record(c.key, c.canaryWeight);
      for (const key of event.removed) this.weights.forget(key);
      this.#invalidate();
    });
    // A full reload (after a reconnect) refills the map without events. keys() tracks only
    // the map's key set, one dependency instead of one per canary as values() would.
    const stopEffect = $effect.root(() => {
      $effect(() => {
        void this.#session.canaries.keys();
        untrack(() => this.#invalidate());
      });
    });
    return () => {
      offEvents();
      stopEffect();
    };
  }

  #invalidate(): void {
    if (this.#pending) return;
    this.#pending = true;
    this.#schedule(() => {
      this.#pending = false;
      this.canaries = [...this.#session.canaries.values()];
    });
  }
}
