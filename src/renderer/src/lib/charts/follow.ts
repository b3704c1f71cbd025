/**
 * What both chart cards share: feed a chart only the points it has not drawn yet — all of them
 * after the store replaced its points (a new epoch, or fewer points), else the appended tail.
 * A day of 10 s samples is 8,640 points, so re-sending everything on each tick would not do.
 */
import type { CanaryPoint } from '../../../../shared/api';

export interface PointSink {
  setPoints(points: readonly CanaryPoint[]): void;
  appendAll(points: readonly CanaryPoint[]): void;
}

export class PointFollower {
  #drawn = 0;
  #epoch = -1;

  /** Sends `sink` what is new in `points` (a store's array, `epoch` its replacement count). */
  follow(sink: PointSink, points: readonly CanaryPoint[], epoch: number): void {
    if (epoch !== this.#epoch || points.length < this.#drawn) {
      sink.setPoints(points);
      this.#epoch = epoch;
    } else if (points.length > this.#drawn) {
      sink.appendAll(points.slice(this.#drawn));
    }
    this.#drawn = points.length;
  }
}
