import { describe, expect, it } from 'vitest';
import type { CanaryPoint } from '../../src/shared/api';
import { PointFollower, type PointSink } from '../../src/renderer/src/lib/charts/follow';

const point = (i: number) => ({ time: new Date(i * 10_000).toISOString() }) as CanaryPoint;

function recorder(): PointSink & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    setPoints: (p) => void calls.push(`set ${p.length}`),
    appendAll: (p) => void calls.push(`append ${p.length}`),
  };
}

describe('PointFollower', () => {
  it('sends everything first, then only the appended tail, and everything again on a new epoch', () => {
    const sink = recorder();
    const follower = new PointFollower();
    const points = [point(1), point(2)];
    follower.follow(sink, points, 0);
    follower.follow(sink, points, 0); // nothing new
    points.push(point(3), point(4), point(5));
    follower.follow(sink, points, 0);
    follower.follow(sink, [point(9)], 1); // replaced
    follower.follow(sink, [], 1); // shrank: redraw
    expect(sink.calls).toEqual(['set 2', 'append 3', 'set 1', 'set 0']);
  });
});
