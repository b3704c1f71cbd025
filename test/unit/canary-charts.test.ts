/** The canary detail's pure parts: chart series from points, action texts and keys, the log filter. */
import { describe, expect, it } from 'vitest';
import type { CanaryPoint, CanarySummary, LogRecord } from '../../src/shared/api';
import {
  actionForKey,
  describeAction,
  filterLog,
  logLine,
} from '../../src/renderer/src/lib/canary-detail';
import {
  checkSeries,
  trafficSeries,
  trafficSummary,
} from '../../src/renderer/src/lib/charts/series';

const at = (s: number): string => new Date(Date.UTC(2026, 0, 1, 10, 0, s)).toISOString();
const p = (s: number, weight: number, extra: Partial<CanaryPoint> = {}): CanaryPoint => ({
  time: at(s),
  phase: 'Progressing',
  canaryWeight: weight,
  primaryWeight: 100 - weight,
  checks: [],
  ...extra,
});

const summary: CanarySummary = {
  key: 'c/test/podinfo',
  context: 'c',
  namespace: 'test',
  name: 'podinfo',
  phase: 'Progressing',
  canaryWeight: 20,
  failedChecks: 0,
  threshold: 5,
  iterations: 0,
  maxWeight: 50,
  strategy: 'canary',
  provider: 'nginx',
  target: { kind: 'Deployment', name: 'podinfo' },
  suspended: false,
  controller: 'aviary',
};

describe('chart series', () => {
  const points = [
    p(0, 0, { marker: 'start' }),
    p(10, 10, { marker: 'step' }),
    p(20, 10, { checks: [{ metric: 'request-success-rate', value: 80, min: 99, passed: false }] }),
    p(30, 0, { marker: 'rollback', phase: 'Failed' }),
    p(40, 0, { marker: 'rollback', phase: 'Failed' }),
  ];

  it('stacks primary on the canary, marks halts, and labels one rollback per rollback', () => {
    const s = trafficSeries(points);
    expect(s.canary.map((c) => c.y)).toEqual([0, 10, 10, 0, 0]);
    expect(s.top.map((t) => [t.y, t.w])).toEqual([
      [100, 100],
      [100, 90],
      [100, 90],
      [100, 100],
      [100, 100],
    ]);
    expect(s.markers.map((m) => m.kind)).toEqual(['start', 'step', 'halt', 'rollback']);
    expect(trafficSummary(points)).toBe(
      'Now 0 % to the canary, 100 % to the primary. 1 step 1 halt rolled back',
    );
  });

  it('takes each check with its pass/fail, skipping ticks without a value', () => {
    expect(checkSeries(points, 'request-success-rate')).toEqual([
      { x: Date.parse(at(20)), y: 80, passed: false },
    ]);
  });
});

describe('actions', () => {
  it('maps keys to actions; Space pauses or resumes', () => {
    expect(actionForKey('P', summary)).toBe('promote');
    expect(actionForKey('r', summary)).toBe('rollback');
    expect(actionForKey(' ', summary)).toBe('pause');
    expect(actionForKey(' ', { ...summary, suspended: true })).toBe('resume');
    expect(actionForKey('x', summary)).toBeUndefined();
  });

  it('says what will happen to whose traffic', () => {
    const detail = { summary, gates: [] };
    expect(describeAction('promote', detail)).toBe(
      "Copy the canary's pod template to podinfo-primary, route 100 % of podinfo.test traffic to primary and scale the canary to 0.",
    );
    expect(describeAction('release', detail, { errorRate: 0.25 })).toContain(
      'Roll deployment/podinfo.test to the next image tag, failing 25 % of its requests.',
    );
    expect(describeAction('pause', detail)).toContain('canary weight 20 %');
  });
});

describe('the log', () => {
  const r = (seq: number, level: LogRecord['level'], message: string): LogRecord => ({
    seq,
    time: at(seq),
    level,
    context: 'c',
    canary: 'podinfo.test',
    message,
  });
  it('prints time level message, and filters by text and least level', () => {
    const records = [r(1, 'info', 'Advance'), r(2, 'warn', 'Halt advancement'), r(3, 'error', 'x')];
    expect(logLine(records[1] as LogRecord)).toBe(`${at(2)} warn  Halt advancement`);
    expect(filterLog(records, { text: 'adv', level: 'info' }).map((x) => x.seq)).toEqual([1, 2]);
    expect(filterLog(records, { text: '', level: 'warn' }).map((x) => x.seq)).toEqual([2, 3]);
  });
});
