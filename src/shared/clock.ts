/**
 * One injectable clock for the engine and the playground. Production uses the system
 * clock; tests use a ManualClock and advance it, so a rollout with a 1m interval runs in
 * milliseconds, while a few tests keep real time so the real path stays true.
 */

export type TimerHandle = { readonly id: number };

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
  /** Resolves after ms of this clock's time. */
  sleep(ms: number): Promise<void>;
}

let nextId = 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const timer = setTimeout(callback, Math.max(0, ms));
    // Timers must not keep a CLI or test process alive on their own.
    if (typeof timer === 'object' && timer && 'unref' in timer) timer.unref();
    const handle = { id: nextId++, timer };
    return handle;
  },
  clearTimeout(handle) {
    if (handle && 'timer' in handle)
      clearTimeout((handle as unknown as { timer: ReturnType<typeof setTimeout> }).timer);
  },
  sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
  },
};

interface ManualTimer {
  handle: TimerHandle;
  due: number;
  callback: () => void;
}

/** A clock that moves only when told to; timers fire in due order during advance(). */
export class ManualClock implements Clock {
  private current: number;
  private timers: ManualTimer[] = [];

  constructor(start = Date.parse('2026-01-01T00:00:00Z')) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const handle = { id: nextId++ };
    this.timers.push({ handle, due: this.current + Math.max(0, ms), callback });
    return handle;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (!handle) return;
    this.timers = this.timers.filter((t) => t.handle.id !== handle.id);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }

  /** Moves time forward by ms, firing due timers in order and letting promises settle between them. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      this.timers.sort((a, b) => a.due - b.due || a.handle.id - b.handle.id);
      const next = this.timers[0];
      if (!next || next.due > target) break;
      this.timers.shift();
      this.current = Math.max(this.current, next.due);
      next.callback();
      await flushMicrotasks();
    }
    this.current = target;
    await flushMicrotasks();
  }

  pendingTimers(): number {
    return this.timers.length;
  }
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

/** A clock running faster than real time (the playground's --speed); timers scale with it. */
export class ScaledClock implements Clock {
  private readonly origin = Date.now();

  constructor(readonly speed: number) {
    if (!(speed > 0)) throw new Error('clock speed must be positive');
  }

  now(): number {
    return this.origin + (Date.now() - this.origin) * this.speed;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    return systemClock.setTimeout(callback, ms / this.speed);
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    systemClock.clearTimeout(handle);
  }

  sleep(ms: number): Promise<void> {
    return systemClock.sleep(ms / this.speed);
  }
}
