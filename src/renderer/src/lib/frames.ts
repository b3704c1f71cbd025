/**
 * Coalescing bursts of engine events into at most one UI update per animation frame. A
 * burst of a thousand canaries.changed messages must cost a few renders, not a thousand:
 * every signal write schedules Svelte's effects, and every render lays out the page.
 */

export type Schedule = (run: () => void) => void;

/** The next animation frame; a timer where there are no frames (hidden tab, tests). */
export const nextFrame: Schedule = (run) => {
  if (typeof requestAnimationFrame === 'function' && !document.hidden) requestAnimationFrame(run);
  else setTimeout(run, 16);
};

/**
 * Runs `publish` at once for the first change after a quiet frame (so a lone update or
 * the first list paints in the next frame, not the one after), then at most once per frame
 * while changes keep coming: the changes of one frame are published together at its start.
 */
export class FrameCoalescer {
  readonly #publish: () => void;
  readonly #schedule: Schedule;
  /** A frame is awaited since the last publish: changes until then wait for it. */
  #throttled = false;
  #pending = false;

  constructor(publish: () => void, schedule: Schedule = nextFrame) {
    this.#publish = publish;
    this.#schedule = schedule;
  }

  /** Something changed. */
  mark(): void {
    if (this.#throttled) this.#pending = true;
    else this.#run();
  }

  #run(): void {
    this.#pending = false;
    this.#throttled = true;
    this.#schedule(() => {
      if (this.#pending) this.#run();
      else this.#throttled = false;
    });
    this.#publish();
  }
}
