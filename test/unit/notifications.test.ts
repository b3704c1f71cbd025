import { describe, expect, it, vi } from 'vitest';
import {
  Notifications,
  type DesktopNotifications,
  type Notice,
  type Permission,
} from '../../src/renderer/src/lib/notifications';
import type { ApiEvent, CanarySummary } from '../../src/shared/api';
import { summary } from './fleet-fixtures';

function fakeDesktop(initial: Permission = 'default', answer: Permission = 'granted') {
  let permission = initial;
  const shown: Array<{ notice: Notice; onclick: () => void }> = [];
  const desktop: DesktopNotifications = {
    permission: () => permission,
    requestPermission: vi.fn(async () => (permission = answer)),
    show: (notice, onclick) => shown.push({ notice, onclick }),
  };
  return { desktop, shown };
}

function memoryStorage() {
  const data = new Map<string, string>();
  return {
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, v),
  };
}

const changed = (...c: CanarySummary[]): ApiEvent => ({
  type: 'canaries.changed',
  changed: c,
  removed: [],
});

describe('Notifications', () => {
  it('notices a canary turning Failed, Waiting or WaitingPromotion, not other changes', () => {
    let now = 0;
    const { desktop } = fakeDesktop();
    const n = new Notifications({ desktop, onopen: () => undefined, now: () => now });
    const toasts: Notice[] = [];
    n.onNotice((t) => toasts.push(t));
    n.seed([summary('prod', 'test', 'a', { phase: 'Progressing' })]);

    expect(
      n.handle(changed(summary('prod', 'test', 'a', { phase: 'Progressing', canaryWeight: 20 }))),
    ).toEqual([]);
    const failed = n.handle(
      changed(
        summary('prod', 'test', 'a', {
          phase: 'Failed',
          message: 'Canary failed! Scaling down podinfo.test',
        }),
      ),
    );
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      key: 'prod/test/a',
      severity: 'error',
      title: 'a.test failed',
      message: 'Canary failed! Scaling down podinfo.test',
    });
    // First sight of a canary is not a change.
    expect(n.handle(changed(summary('prod', 'test', 'b', { phase: 'WaitingPromotion' })))).toEqual(
      [],
    );
    now += 60_000;
    n.handle(changed(summary('prod', 'test', 'b', { phase: 'Progressing' })));
    const waiting = n.handle(changed(summary('prod', 'test', 'b', { phase: 'WaitingPromotion' })));
    expect(waiting[0]).toMatchObject({
      severity: 'warn',
      title: 'b.test is waiting for promotion approval',
    });
    expect(toasts.map((t) => t.key)).toEqual(['prod/test/a', 'prod/test/b']);
  });

  it('notices warn and error alerts, once per canary within a few seconds', () => {
    let now = 1000;
    const { desktop } = fakeDesktop();
    const n = new Notifications({ desktop, onopen: () => undefined, now: () => now });
    const alert = (severity: 'info' | 'warn' | 'error') =>
      ({ type: 'alert', key: 'eu/shop/cart', severity, title: 'cart.shop', message: 'm' }) as const;
    expect(n.handle(alert('info'))).toEqual([]);
    expect(n.handle(alert('error'))).toHaveLength(1);
    // The phase change behind the same alert arrives with it: no second notice.
    n.seed([summary('eu', 'shop', 'cart', { phase: 'Progressing' })]);
    expect(n.handle(changed(summary('eu', 'shop', 'cart', { phase: 'Failed' })))).toEqual([]);
    now += 11_000;
    expect(n.handle(alert('warn'))).toHaveLength(1);
  });

  it('shows desktop notifications only once allowed, and opens the canary on click', async () => {
    const storage = memoryStorage();
    const { desktop, shown } = fakeDesktop('default', 'granted');
    const opened: string[] = [];
    let now = 0;
    const n = new Notifications({
      desktop,
      storage,
      onopen: (k) => opened.push(k),
      now: () => (now += 20_000),
    });
    n.handle({ type: 'alert', key: 'a/b/c', severity: 'error', title: 't', message: 'm' });
    expect(shown).toHaveLength(0);
    expect(n.desktopEnabled).toBe(false);

    expect(await n.enableDesktop()).toBe(true);
    expect(desktop.requestPermission).toHaveBeenCalledTimes(1);
    n.handle({ type: 'alert', key: 'a/b/c', severity: 'error', title: 't', message: 'm' });
    expect(shown).toHaveLength(1);
    shown[0]?.onclick();
    expect(opened).toEqual(['a/b/c']);

    // The choice is remembered for the next page.
    const again = new Notifications({ desktop, storage, onopen: () => undefined });
    expect(again.desktopEnabled).toBe(true);
    again.disableDesktop();
    expect(new Notifications({ desktop, storage, onopen: () => undefined }).desktopEnabled).toBe(
      false,
    );
  });

  it('stays off when the browser refuses', async () => {
    const { desktop, shown } = fakeDesktop('default', 'denied');
    const n = new Notifications({ desktop, onopen: () => undefined });
    expect(await n.enableDesktop()).toBe(false);
    n.handle({ type: 'alert', key: 'a/b/c', severity: 'error', title: 't', message: 'm' });
    expect(shown).toEqual([]);
    expect(n.permission).toBe('denied');
  });
});
