/**
 * A canary's points (one per analysis tick) as chart data: x in ms since the epoch (a
 * linear axis, so chart.js's decimation applies with parsing off), the traffic split as a
 * stacked area drawn from two lines (canary weight, and canary + primary on top), one
 * series per check, and the markers.
 */
import type { CanaryPoint } from '../../../../shared/api';
import type { ChartMarker } from './markers';

export interface WeightPoint {
  x: number;
  y: number;
  /** The weight this line's layer holds (the top line's y is canary + primary). */
  w: number;
}

export interface CheckPoint {
  x: number;
  y: number;
  passed: boolean;
}

export interface TrafficSeries {
  canary: WeightPoint[];
  top: WeightPoint[];
  markers: ChartMarker[];
}

export function emptyTraffic(): TrafficSeries {
  return { canary: [], top: [], markers: [] };
}

/** Appends one point (in place: the chart keeps the same arrays). */
export function addTrafficPoint(series: TrafficSeries, point: CanaryPoint): void {
  const x = Date.parse(point.time);
  if (!Number.isFinite(x)) return;
  series.canary.push({ x, y: point.canaryWeight, w: point.canaryWeight });
  series.top.push({ x, y: point.canaryWeight + point.primaryWeight, w: point.primaryWeight });
  if (point.marker === 'promotion' || point.marker === 'rollback') {
    // One label per promotion or rollback: its next ticks (Finalising, scaling down) say it again.
    const previous = series.markers.findLast((m) => m.kind !== 'halt');
    if (previous?.kind !== point.marker) series.markers.push({ x, kind: point.marker });
  } else if (point.marker) series.markers.push({ x, kind: point.marker });
  // A halt also shows when the tick's own marker is stronger (a failed check before rollback).
  else if (point.checks.some((c) => !c.passed)) series.markers.push({ x, kind: 'halt' });
}

export function trafficSeries(points: readonly CanaryPoint[]): TrafficSeries {
  const series = emptyTraffic();
  for (const point of points) addTrafficPoint(series, point);
  return series;
}

/** The check's values over time; points without a value (no data) are left out. */
export function checkSeries(points: readonly CanaryPoint[], metric: string): CheckPoint[] {
  const out: CheckPoint[] = [];
  for (const point of points) addCheckPoint(out, point, metric);
  return out;
}

export function addCheckPoint(out: CheckPoint[], point: CanaryPoint, metric: string): void {
  const check = point.checks.find((c) => c.metric === metric);
  if (!check || check.value === undefined) return;
  const x = Date.parse(point.time);
  if (Number.isFinite(x)) out.push({ x, y: check.value, passed: check.passed });
}

/** Every check name seen in the points, in first-seen order, after the spec's own. */
export function checkNames(points: readonly CanaryPoint[], declared: readonly string[]): string[] {
  const names = [...declared];
  for (const point of points)
    for (const check of point.checks) if (!names.includes(check.metric)) names.push(check.metric);
  return names;
}

/** Words for screen readers: where the split is now and what happened. */
export function trafficSummary(points: readonly CanaryPoint[]): string {
  const last = points[points.length - 1];
  if (!last) return 'No traffic data yet.';
  const markers = trafficSeries(points).markers;
  const count = (kind: CanaryPoint['marker']): number =>
    markers.filter((m) => m.kind === kind).length;
  const parts = [
    `Now ${last.canaryWeight} % to the canary, ${last.primaryWeight} % to the primary.`,
  ];
  const steps = count('step');
  const halts = count('halt');
  if (steps) parts.push(`${steps} step${steps === 1 ? '' : 's'}`);
  if (halts) parts.push(`${halts} halt${halts === 1 ? '' : 's'}`);
  if (count('rollback')) parts.push('rolled back');
  if (count('promotion')) parts.push('promoted');
  return parts.join(' ');
}
