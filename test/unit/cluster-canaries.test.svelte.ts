import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CanarySummary } from '../../src/shared/api';
import ClusterCanaries from '../../src/renderer/src/components/ClusterCanaries.svelte';

const canary = (name: string, extra: Partial<CanarySummary> = {}): CanarySummary => ({
  key: `ctx/test/${name}`,
  context: 'ctx',
  namespace: 'test',
  name,
  phase: 'Progressing',
  canaryWeight: 20,
  failedChecks: 1,
  threshold: 5,
  iterations: 0,
  maxWeight: 50,
  strategy: 'canary',
  provider: 'nginx',
  target: { kind: 'Deployment', name },
  suspended: false,
  controller: 'aviary',
  ...extra,
});

afterEach(cleanup);

describe('ClusterCanaries', () => {
  it('shows each canary with its phase, weight or iterations, checks and halt reason', () => {
    render(ClusterCanaries, {
      props: {
        canaries: [
          canary('podinfo', { message: 'Halt podinfo.test advancement success rate 69.17% < 99%' }),
          canary('ledger', {
            strategy: 'blue-green',
            iterations: 2,
            totalIterations: 5,
            phase: 'Progressing',
          }),
          canary('broken', {
            errors: [{ path: 'spec.analysis.stepWeight', message: 'must be at most 100' }],
          }),
        ],
        control: { context: 'ctx', mode: 'controlling' },
        onsetcontrol: () => undefined,
      },
    });
    const rows = screen.getAllByRole('row').slice(1);
    expect(rows.map((r) => r.getAttribute('data-canary'))).toEqual([
      'ctx/test/podinfo',
      'ctx/test/ledger',
      'ctx/test/broken',
    ]);
    expect(rows[0]?.textContent).toContain('20%');
    expect(rows[0]?.textContent).toContain('1/5');
    expect(rows[0]?.textContent).toContain('success rate 69.17% < 99%');
    expect(rows[1]?.textContent).toContain('2/5');
    expect(rows[2]?.textContent).toContain('Invalid');
    expect(rows[2]?.querySelector('[title]')?.getAttribute('title')).toBe(
      'spec.analysis.stepWeight: must be at most 100',
    );
    expect(screen.getByTestId('control-mode').textContent).toContain(
      'Aviary drives these canaries',
    );
  });

  it('offers control of an observed cluster and says who holds a standby one', async () => {
    const onsetcontrol = vi.fn();
    const { rerender } = render(ClusterCanaries, {
      props: { canaries: [], control: { context: 'ctx', mode: 'observing' }, onsetcontrol },
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Control this cluster' }));
    expect(onsetcontrol).toHaveBeenCalledWith(true);
    expect(screen.getByText('No Canary objects in this cluster.')).toBeTruthy();
    await rerender({
      canaries: [],
      control: { context: 'ctx', mode: 'standby', holder: 'bob@laptop/aviary-1' },
      onsetcontrol,
    });
    expect(screen.getByTestId('control-mode').textContent).toContain('(bob@laptop/aviary-1)');
    expect(screen.queryByRole('button')).toBeNull();
  });
});
