/** The theme choice and the signal the charts repaint on (canvases do not follow CSS). */
import { afterEach, describe, expect, it } from 'vitest';
import { applyTheme, onThemeChange, readTheme } from '../../src/renderer/src/lib/theme';

/** A matchMedia whose dark-scheme query can be flipped by the test. */
function fakeScheme(): { flip(): void } {
  const query = new EventTarget();
  const original = window.matchMedia;
  window.matchMedia = ((text: string) => {
    expect(text).toBe('(prefers-color-scheme: dark)');
    return query;
  }) as unknown as typeof window.matchMedia;
  cleanups.push(() => {
    window.matchMedia = original;
  });
  return { flip: () => query.dispatchEvent(new Event('change')) };
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  applyTheme('system');
});

const settle = (): Promise<void> => new Promise((done) => setTimeout(done, 0));

describe('theme', () => {
  it('keeps the choice and sets html[data-theme]', () => {
    applyTheme('light');
    expect(document.documentElement.dataset.theme).toBe('light');
    expect(readTheme()).toBe('light');
    applyTheme('system');
    expect(document.documentElement.dataset.theme).toBeUndefined();
    expect(readTheme()).toBe('system');
  });

  it('signals a change of choice and of the system scheme, until unsubscribed', async () => {
    const scheme = fakeScheme();
    let calls = 0;
    const off = onThemeChange(() => calls++);
    applyTheme('dark');
    await settle();
    expect(calls).toBe(1);
    applyTheme('light');
    await settle();
    expect(calls).toBe(2);
    scheme.flip();
    expect(calls).toBe(3);
    off();
    applyTheme('dark');
    scheme.flip();
    await settle();
    expect(calls).toBe(3);
  });

  it('ignores other attributes of the root element', async () => {
    fakeScheme();
    let calls = 0;
    const off = onThemeChange(() => calls++);
    document.documentElement.lang = 'de';
    document.documentElement.dataset.other = 'x';
    await settle();
    expect(calls).toBe(0);
    off();
  });
});
