/**
 * The canary detail view in jsdom over a fake transport: header, actions with their
 * reasons, the confirm dialog (ARIA, focus trap, Esc, shortcuts), the live log and its
 * filter. Charts have no canvas here and must simply not get in the way.
 */
import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte';
import { tick } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';
import type {
  ActionAvailability,
  ApiEvent,
  CanaryActionName,
  CanaryDetail,
  CanaryPoint,
  CanarySummary,
  LogRecord,
  MethodArgs,
  MethodName,
} from '../../src/shared/api';
import type { Transport } from '../../src/renderer/src/lib/api';
import { Session } from '../../src/renderer/src/lib/session.svelte';
import CanaryView from '../../src/renderer/src/views/CanaryView.svelte';

const KEY = 'playground-staging/test/podinfo';

function summary(over: Partial<CanarySummary> = {}): CanarySummary {
  return {
    key: KEY,
    context: 'playground-staging',
    namespace: 'test',
    name: 'podinfo',
    phase: 'Progressing',
    canaryWeight: 30,
    failedChecks: 2,
    threshold: 5,
    iterations: 0,
    maxWeight: 50,
    strategy: 'canary',
    provider: 'nginx',
    target: { kind: 'Deployment', name: 'podinfo' },
    suspended: false,
    controller: 'aviary',
    ...over,
  };
}

const ok: ActionAvailability = { allowed: true };

function detail(over: Partial<CanaryDetail> = {}): CanaryDetail {
  return {
    summary: summary(),
    control: { context: 'playground-staging', mode: 'controlling', holder: 'me@host' },
    yaml: 'apiVersion: flagger.app/v1beta1\nkind: Canary\nspec:\n  analysis:\n    stepWeight: 150\n',
    errors: [],
    events: [
      {
        type: 'Normal',
        reason: 'Synced',
        message: 'Advance podinfo.test canary weight 30',
        count: 1,
        lastTime: '2026-01-01T10:00:30Z',
      },
    ],
    objects: [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'podinfo-primary',
        namespace: 'test',
        role: 'primary',
        exists: true,
        status: '2/2 ready · podinfo:6.0.0',
      },
    ],
    revision: { lastAppliedSpec: '5d8f9c7b6a4e', lastPromotedSpec: '77aa66bb55cc' },
    checks: [{ name: 'request-success-rate', min: 99 }],
    gates: [],
    playground: true,
    actions: {
      promote: ok,
      rollback: ok,
      pause: ok,
      resume: { allowed: false, reason: 'podinfo.test is not paused' },
      retry: { allowed: false, reason: 'cannot retry podinfo.test in phase Progressing' },
      openGate: { allowed: false, reason: 'no gate' },
      closeGate: { allowed: false, reason: 'no gate' },
      release: ok,
    },
    ...over,
  };
}

const record = (seq: number, message: string, extra: Partial<LogRecord> = {}): LogRecord => ({
  seq,
  time: `2026-01-01T10:00:${String(seq).padStart(2, '0')}.000Z`,
  level: 'info',
  context: 'playground-staging',
  canary: 'podinfo.test',
  message,
  ...extra,
});

const point: CanaryPoint = {
  time: '2026-01-01T10:00:30.000Z',
  phase: 'Progressing',
  canaryWeight: 30,
  primaryWeight: 70,
  checks: [{ metric: 'request-success-rate', value: 99.5, min: 99, passed: true }],
  marker: 'step',
};

const earlier: CanaryPoint = {
  ...point,
  time: '2026-01-01T10:00:20.000Z',
  canaryWeight: 20,
  primaryWeight: 80,
};

function bed(
  d: CanaryDetail = detail(),
  log: LogRecord[] = [],
  series: CanaryPoint[] = [earlier, point],
) {
  const calls: { method: MethodName; args: unknown }[] = [];
  const listeners: ((event: ApiEvent) => void)[] = [];
  const transport: Transport = {
    mode: 'web',
    state: 'open',
    onStateChange: () => () => undefined,
    close: () => undefined,
    api: {
      invoke: (async <M extends MethodName>(method: M, args: MethodArgs<M>) => {
        calls.push({ method, args });
        switch (method) {
          case 'canaries.detail':
            return d;
          case 'canaries.series':
            return series;
          case 'log.tail':
            return log;
          case 'canaries.action':
            return { ...d.summary, phase: 'Failed' };
          case 'canaries.release':
            return { image: 'podinfo:6.0.1' };
          case 'canaries.object':
            return { yaml: 'kind: Deployment\n' };
          default:
            throw new Error(`unexpected ${method}`);
        }
      }) as Transport['api']['invoke'],
      subscribe: (listener) => {
        listeners.push(listener);
        return () => void listeners.splice(listeners.indexOf(listener), 1);
      },
    },
  };
  const session = new Session(transport);
  render(CanaryView, { props: { session, canaryKey: KEY } });
  const emit = (event: ApiEvent): void => {
    for (const l of listeners) l(event);
  };
  const actions = (action: string) => calls.filter((c) => c.method === action);
  return { calls, emit, actions };
}

async function loaded(): Promise<void> {
  await screen.findByTestId('canary-header');
}

const button = (action: CanaryActionName): HTMLElement =>
  document.querySelector(`[data-action="${action}"]`) as HTMLElement;

afterEach(cleanup);

describe('CanaryView header', () => {
  it('shows phase, weight, failed checks, revision, target, provider and who drives it', async () => {
    bed();
    await loaded();
    const header = screen.getByTestId('canary-header');
    expect(within(header).getByRole('heading', { level: 1 }).textContent).toContain('podinfo');
    expect(header.querySelector('[data-phase="Progressing"]')).not.toBeNull();
    expect(screen.getByTestId('canary-weight').textContent).toContain('30 %');
    expect(screen.getByTestId('failed-checks').textContent).toBe('2/5');
    expect(header.textContent).toContain('5d8f9c7b6a');
    expect(header.textContent).toContain('deployment/podinfo');
    expect(header.textContent).toContain('nginx');
    expect(screen.getByTestId('controlled-by').textContent).toBe('Aviary (this desktop)');
    // The view's other parts rendered, charts included, with no canvas in jsdom.
    expect(screen.getByTestId('traffic-summary').textContent).toContain(
      'Now 30 % to the canary, 70 % to the primary.',
    );
    expect(screen.getByTestId('metric-chart').getAttribute('data-metric')).toBe(
      'request-success-rate',
    );
    expect(screen.getByTestId('events').textContent).toContain(
      'Advance podinfo.test canary weight 30',
    );
    expect(screen.queryByTestId('traffic-empty')).toBeNull();
  });

  it('names a Knative revision whole, and says when there is no traffic history yet', async () => {
    bed(
      detail({
        revision: { lastAppliedSpec: 'podinfo-00002', lastPromotedSpec: 'podinfo-00001' },
      }),
      [],
      // One moment only (just initialized): no split over time to draw.
      [{ ...point, canaryWeight: 0, primaryWeight: 100, marker: undefined }],
    );
    await loaded();
    const header = screen.getByTestId('canary-header');
    expect(header.textContent).toContain('podinfo-00002');
    expect(header.textContent).toContain('(primary podinfo-00001)');
    expect(screen.getByTestId('traffic-empty').textContent).toContain('No traffic changes yet');
  });
});

describe('CanaryView actions', () => {
  it('shows each disallowed action disabled with its reason; one reason for all is always shown', async () => {
    bed(
      detail({
        actions: Object.fromEntries(
          (
            [
              'promote',
              'rollback',
              'pause',
              'resume',
              'retry',
              'openGate',
              'closeGate',
              'release',
            ] as const
          ).map((a) => [a, { allowed: false, reason: 'playground-staging is observed only' }]),
        ) as CanaryDetail['actions'],
      }),
    );
    await loaded();
    expect(button('rollback').getAttribute('aria-disabled')).toBe('true');
    expect(button('rollback').title).toContain('not now: playground-staging is observed only');
    expect(screen.getByTestId('action-reason').textContent?.trim()).toBe(
      'playground-staging is observed only',
    );
    await fireEvent.click(button('rollback'));
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('says why one action is not available while it is hovered', async () => {
    bed();
    await loaded();
    expect(button('retry').getAttribute('aria-disabled')).toBe('true');
    expect(button('promote').getAttribute('aria-disabled')).toBe('false');
    expect(screen.getByTestId('action-reason').textContent?.trim()).toBe('');
    await fireEvent.mouseEnter(button('retry'));
    expect(screen.getByTestId('action-reason').textContent?.trim()).toBe(
      'cannot retry podinfo.test in phase Progressing',
    );
    // Gates are not offered without confirm webhooks.
    expect(button('openGate')).toBeNull();
  });

  it('Rollback: a modal dialog says what will happen; Esc cancels and nothing is sent', async () => {
    const { actions } = bed();
    await loaded();
    await fireEvent.click(button('rollback'));
    const dialog = screen.getByRole('dialog');
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(screen.getByTestId('confirm-text').textContent).toMatch(
      /^Route 100 % of podinfo\.test traffic to primary and scale the canary to 0\./,
    );
    expect(dialog.textContent).toContain('Shortcut R');
    await tick();
    expect(document.activeElement).toBe(screen.getByTestId('confirm-button'));
    await fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(actions('canaries.action')).toEqual([]);
  });

  it('keeps Tab inside the dialog', async () => {
    bed();
    await loaded();
    await fireEvent.click(button('promote'));
    const dialog = screen.getByRole('dialog');
    const cancel = within(dialog).getByRole('button', { name: 'Cancel' });
    const confirm = screen.getByTestId('confirm-button');
    confirm.focus();
    await fireEvent.keyDown(dialog, { key: 'Tab' });
    expect(document.activeElement).toBe(cancel);
    await fireEvent.keyDown(dialog, { key: 'Tab', shiftKey: true });
    expect(document.activeElement).toBe(confirm);
  });

  it('R opens the rollback dialog; confirming sends the action and shows the outcome', async () => {
    const { actions } = bed();
    await loaded();
    await fireEvent.keyDown(window, { key: 'r' });
    expect(screen.getByRole('dialog').getAttribute('data-action')).toBe('rollback');
    await fireEvent.click(screen.getByTestId('confirm-button'));
    expect(actions('canaries.action').map((c) => c.args)).toEqual([
      { key: KEY, action: 'rollback' },
    ]);
    expect((await screen.findByTestId('action-result')).textContent).toContain(
      'Rolled back — now Failed',
    );
  });

  it("clears an action's outcome once the canary's phase moves on", async () => {
    const { emit } = bed();
    await loaded();
    await fireEvent.keyDown(window, { key: 'r' });
    await fireEvent.click(screen.getByTestId('confirm-button'));
    await screen.findByTestId('action-result');
    const summary = { ...detail().summary, phase: 'Failed' as const };
    emit({ type: 'canaries.changed', changed: [summary], removed: [] });
    await tick();
    expect(screen.getByTestId('action-result').textContent).toContain('now Failed');
    emit({
      type: 'canaries.changed',
      changed: [{ ...summary, phase: 'Progressing' }],
      removed: [],
    });
    await tick();
    expect(screen.queryByTestId('action-result')).toBeNull();
  });

  it('Space asks for pause; a disallowed key does nothing', async () => {
    bed();
    await loaded();
    await fireEvent.keyDown(window, { key: 't' });
    expect(screen.queryByRole('dialog')).toBeNull();
    await fireEvent.keyDown(window, { key: ' ' });
    expect(screen.getByRole('dialog').getAttribute('data-action')).toBe('pause');
  });

  it('Release with an error rate sends it to the playground', async () => {
    const { actions } = bed();
    await loaded();
    await fireEvent.click(button('release'));
    const rate = screen.getByTestId('release-error-rate');
    await fireEvent.input(rate, { target: { value: '50' } });
    expect(screen.getByTestId('confirm-text').textContent).toContain(
      'failing 50 % of its requests',
    );
    await fireEvent.keyDown(rate, { key: 'Enter' });
    expect(actions('canaries.release').map((c) => c.args)).toEqual([{ key: KEY, errorRate: 0.5 }]);
  });
});

describe('CanaryView log', () => {
  it("shows this canary's lines as they come, filtered by text and level", async () => {
    const { emit } = bed(detail(), [
      record(1, 'New revision detected! Scaling up podinfo.test'),
      record(2, 'Advance podinfo.test canary weight 10'),
      record(3, 'another canary', { canary: 'web.frontend' }),
    ]);
    await loaded();
    const lines = () =>
      [...screen.getByTestId('log-lines').querySelectorAll('.line')].map((l) =>
        l.textContent?.replace(/\s+/g, ' ').trim(),
      );
    expect(lines()).toEqual([
      '2026-01-01T10:00:01.000Z info New revision detected! Scaling up podinfo.test',
      '2026-01-01T10:00:02.000Z info Advance podinfo.test canary weight 10',
    ]);
    emit({
      type: 'log.appended',
      records: [
        record(4, 'Halt podinfo.test advancement success rate 52.00% < 99%', { level: 'warn' }),
        record(5, 'not mine', { context: 'playground-eu' }),
      ],
    });
    await tick();
    expect(lines()).toHaveLength(3);
    await fireEvent.input(screen.getByTestId('log-filter'), { target: { value: 'advance' } });
    expect(lines()).toEqual([
      '2026-01-01T10:00:02.000Z info Advance podinfo.test canary weight 10',
      '2026-01-01T10:00:04.000Z warn Halt podinfo.test advancement success rate 52.00% < 99%',
    ]);
    await fireEvent.change(screen.getByTestId('log-level'), { target: { value: 'warn' } });
    expect(lines()).toEqual([
      '2026-01-01T10:00:04.000Z warn Halt podinfo.test advancement success rate 52.00% < 99%',
    ]);
  });

  it('points the YAML errors at their lines', async () => {
    bed(
      detail({
        errors: [{ path: 'spec.analysis.stepWeight', message: 'must be at most 100', line: 5 }],
      }),
    );
    await loaded();
    const row = document.querySelector('[data-line="5"]');
    expect(row?.classList.contains('error')).toBe(true);
    expect(row?.textContent).toContain('stepWeight: 150');
    expect(row?.textContent).toContain('spec.analysis.stepWeight: must be at most 100');
  });
});
