/**
 * The per-cluster request budget: a token bucket (qps, burst) on the injected clock. A
 * request takes a token or waits its turn; waits are reservations, so callers are served
 * in arrival order and a burst of engine work spreads out instead of hammering one API
 * server. Each cluster has its own budget, so a slow cluster never delays another.
 */
import type { Clock, TimerHandle } from '../../shared/clock';
import { KubeApiError } from './api';

export class RequestBudget {
  private tokens: number;
  private last: number;
  private throttled = 0;
  private closed = false;
  private readonly waiting = new Map<TimerHandle, (err: Error) => void>();

  constructor(
    readonly qps: number,
    readonly burst: number,
    private readonly clock: Clock,
  ) {
    if (!(qps > 0) || !(burst >= 1)) throw new Error('request budget needs qps > 0 and burst >= 1');
    this.tokens = burst;
    this.last = clock.now();
  }

  /** Milliseconds callers have been told to wait, in total. */
  get throttledMs(): number {
    return this.throttled;
  }

  /** Resolves when the caller may send one request. */
  take(): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.qps) / 1000);
    this.last = now;
    // Going below zero reserves a future token: the debt is what later callers wait behind.
    this.tokens -= 1;
    if (this.tokens >= 0) return Promise.resolve();
    const wait = Math.ceil((-this.tokens * 1000) / this.qps);
    this.throttled += wait;
    return new Promise((resolve, reject) => {
      const handle = this.clock.setTimeout(() => {
        this.waiting.delete(handle);
        resolve();
      }, wait);
      this.waiting.set(handle, reject);
    });
  }

  /** Fails every waiting caller; later take() calls fail at once. */
  close(): void {
    this.closed = true;
    for (const [handle, reject] of this.waiting) {
      this.clock.clearTimeout(handle);
      reject(closedError());
    }
    this.waiting.clear();
  }
}

function closedError(): KubeApiError {
  return new KubeApiError(0, 'Unavailable', 'the cluster client was closed');
}
