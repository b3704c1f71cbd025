/**
 * Tells the person when a canary needs them: on the engine's `alert` events (warn, error)
 * and when a canary turns Failed, Waiting or WaitingPromotion. Each notice becomes an
 * in-app toast and, once the person allowed it, a desktop notification (the browser's
 * Notification API, which Electron's renderer also has). Clicking either opens the canary.
 */
import type { ApiEvent, CanaryPhaseName, CanarySummary, LogLevel } from '../../../shared/api';

export interface Notice {
  id: number;
  /** The canary, "context/namespace/name". */
  key: string;
  severity: LogLevel;
  title: string;
  message: string;
}

export type Permission = 'default' | 'granted' | 'denied' | 'unsupported';

/** The desktop side, behind an interface so tests need no browser. */
export interface DesktopNotifications {
  permission(): Permission;
  /** Browsers only grant this from a user gesture (a click on the settings toggle). */
  requestPermission(): Promise<Permission>;
  show(notice: Notice, onclick: () => void): void;
}

export function browserNotifications(win: Window = window): DesktopNotifications {
  const api = (win as Window & { Notification?: typeof Notification }).Notification;
  return {
    permission: () => (api ? api.permission : 'unsupported'),
    requestPermission: async () => (api ? await api.requestPermission() : 'unsupported'),
    show: (notice, onclick) => {
      if (!api || api.permission !== 'granted') return;
      // One notification per canary at a time: a newer one replaces the older (tag).
      const shown = new api(notice.title, { body: notice.message, tag: notice.key });
      shown.onclick = () => {
        win.focus();
        onclick();
        shown.close();
      };
    },
  };
}

/** Phases that ask for a person; the words are what the notice says. */
const phaseNotices: Partial<Record<CanaryPhaseName, { severity: LogLevel; verb: string }>> = {
  Failed: { severity: 'error', verb: 'failed' },
  WaitingPromotion: { severity: 'warn', verb: 'is waiting for promotion approval' },
  Waiting: { severity: 'warn', verb: 'is waiting for approval to start' },
};

const PREFERENCE_KEY = 'aviary.desktopNotifications';
/** An alert and the phase change behind it arrive together: one notice, not two. */
const DEDUPE_MS = 10_000;

export interface NotificationsOptions {
  desktop: DesktopNotifications;
  /** Opens the canary's view. */
  onopen: (key: string) => void;
  storage?: Pick<Storage, 'getItem' | 'setItem'>;
  now?: () => number;
}

export class Notifications {
  readonly #desktop: DesktopNotifications;
  readonly #onopen: (key: string) => void;
  readonly #storage: Pick<Storage, 'getItem' | 'setItem'> | undefined;
  readonly #now: () => number;
  readonly #phases = new Map<string, CanaryPhaseName>();
  readonly #lastNotice = new Map<string, number>();
  readonly #listeners = new Set<(notice: Notice) => void>();
  #nextId = 1;
  #wanted: boolean;

  constructor(options: NotificationsOptions) {
    this.#desktop = options.desktop;
    this.#onopen = options.onopen;
    this.#storage = options.storage;
    this.#now = options.now ?? Date.now;
    this.#wanted = this.#read() === 'on';
  }

  /** Desktop notifications are on: the person asked for them and the browser allows them. */
  get desktopEnabled(): boolean {
    return this.#wanted && this.#desktop.permission() === 'granted';
  }

  get permission(): Permission {
    return this.#desktop.permission();
  }

  /** From a click: asks the browser once, remembers the choice. */
  async enableDesktop(): Promise<boolean> {
    let permission = this.#desktop.permission();
    if (permission === 'default') permission = await this.#desktop.requestPermission();
    this.#wanted = permission === 'granted';
    this.#write(this.#wanted ? 'on' : 'off');
    return this.#wanted;
  }

  disableDesktop(): void {
    this.#wanted = false;
    this.#write('off');
  }

  onNotice(listener: (notice: Notice) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Phases already known (the first list): only changes after this notify. */
  seed(canaries: Iterable<CanarySummary>): void {
    for (const c of canaries) if (!this.#phases.has(c.key)) this.#phases.set(c.key, c.phase);
  }

  /** Feed every engine event; returns the notice it caused, if any. */
  handle(event: ApiEvent): Notice[] {
    const notices: Notice[] = [];
    if (event.type === 'alert') {
      if (event.severity === 'error' || event.severity === 'warn') {
        const notice = this.#notify(event.key, event.severity, event.title, event.message);
        if (notice) notices.push(notice);
      }
    } else if (event.type === 'canaries.changed') {
      for (const c of event.changed) {
        const before = this.#phases.get(c.key);
        this.#phases.set(c.key, c.phase);
        const what = phaseNotices[c.phase];
        // An unknown canary (first seen now) is not a change a person must hear about.
        if (!what || before === undefined || before === c.phase) continue;
        const title = `${c.name}.${c.namespace} ${what.verb}`;
        const message = c.message ?? `${c.context}: ${before} → ${c.phase}`;
        const notice = this.#notify(c.key, what.severity, title, message);
        if (notice) notices.push(notice);
      }
      for (const key of event.removed) this.#phases.delete(key);
    }
    return notices;
  }

  #notify(key: string, severity: LogLevel, title: string, message: string): Notice | undefined {
    const now = this.#now();
    const last = this.#lastNotice.get(key);
    if (last !== undefined && now - last < DEDUPE_MS) return undefined;
    this.#lastNotice.set(key, now);
    const notice: Notice = { id: this.#nextId++, key, severity, title, message };
    for (const listener of this.#listeners) listener(notice);
    if (this.desktopEnabled) this.#desktop.show(notice, () => this.#onopen(key));
    return notice;
  }

  #read(): string | null {
    try {
      return this.#storage?.getItem(PREFERENCE_KEY) ?? null;
    } catch {
      return null;
    }
  }

  #write(value: 'on' | 'off'): void {
    try {
      this.#storage?.setItem(PREFERENCE_KEY, value);
    } catch {
      // Storage can be disabled: the choice then lasts until the page closes.
    }
  }
}
