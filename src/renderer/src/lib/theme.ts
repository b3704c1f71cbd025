/**
 * Light, dark, or the system's: the choice sets html[data-theme], which sets the page's
 * color-scheme; app.css picks each colour with light-dark().
 */
export type ThemeChoice = 'system' | 'light' | 'dark';
export const themeChoices: readonly ThemeChoice[] = ['system', 'light', 'dark'];

const KEY = 'aviary.theme';

export function readTheme(win: Window = window): ThemeChoice {
  try {
    const value = win.localStorage.getItem(KEY);
    return value === 'light' || value === 'dark' ? value : 'system';
  } catch {
    return 'system';
  }
}

export function applyTheme(choice: ThemeChoice, win: Window = window): void {
  const root = win.document.documentElement;
  if (choice === 'system') delete root.dataset.theme;
  else root.dataset.theme = choice;
  try {
    if (choice === 'system') win.localStorage.removeItem(KEY);
    else win.localStorage.setItem(KEY, choice);
  } catch {
    // Storage can be disabled: the choice lasts until the page closes.
  }
}

export function nextTheme(choice: ThemeChoice): ThemeChoice {
  return themeChoices[(themeChoices.indexOf(choice) + 1) % themeChoices.length] ?? 'system';
}

/**
 * Calls `listener` whenever the colours in effect may have changed: the user's choice
 * (html[data-theme]) or, under "system", the system's scheme. Canvases (the charts) cannot
 * follow CSS on their own. Returns the unsubscribe.
 */
export function onThemeChange(
  listener: () => void,
  win: Window & typeof globalThis = window,
): () => void {
  const observer = new win.MutationObserver(() => listener());
  observer.observe(win.document.documentElement, { attributeFilter: ['data-theme'] });
  const scheme = win.matchMedia?.('(prefers-color-scheme: dark)');
  scheme?.addEventListener?.('change', listener);
  return () => {
    observer.disconnect();
    scheme?.removeEventListener?.('change', listener);
  };
}
