/**
 * One canary's detail, kept live: the detail (YAML, events, objects, allowed actions) from
 * canaries.detail, refreshed shortly after the canary changes; its points from
 * canaries.series then canaries.point events; its log lines from log.tail then log.appended.
 * Points and log lines are plain arrays (a day holds 8,640 points) with a version number
 * that tells views when they changed; charts append what is new since they last drew, or
 * redraw everything when `pointsEpoch` moved.
 */
import type {
  ApiEvent,
  CanaryActionName,
  CanaryDetail,
  CanaryPhaseName,
  CanaryPoint,
  LogRecord,
} from '../../../shared/api';
import { dotName, type ActionOptions } from './canary-detail';
import type { Session } from './session.svelte';

/** What the store needs of the session (tests hand it a fake). */
export interface DetailSource {
  invoke: Session['invoke'];
  subscribe(listener: (event: ApiEvent) => void): () => void;
}

const LOG_LIMIT = 5000;
const MAX_POINTS = 8640;
const REFRESH_DELAY_MS = 300;

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class CanaryDetailStore {
  detail = $state.raw<CanaryDetail | undefined>();
  loadError = $state<string | undefined>();
  /** The action in flight, if any. */
  busy = $state<CanaryActionName | undefined>();
  /** The outcome of the last action, shown next to the buttons. */
  /**
   * The last action's outcome. A success names the phase it left the canary in and is
   * cleared once the canary moves on, so it never reads as the current state.
   */
  result = $state<{ ok: boolean; text: string; phase?: CanaryPhaseName } | undefined>();
  /** Bumped when points were replaced (full) or appended. */
  pointsVersion = $state(0);
  logVersion = $state(0);

  readonly points: CanaryPoint[] = [];
  readonly log: LogRecord[] = [];
  /** Bumped when `points` was replaced rather than appended to (charts redraw it all). */
  pointsEpoch = 0;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  /** Events before the first load finished wait here, so nothing is lost or doubled. */
  private early: ApiEvent[] | undefined = [];

  constructor(
    private readonly source: DetailSource,
    readonly key: string,
  ) {}

  /** Loads everything and follows the events; returns the function that stops. */
  start(): () => void {
    const off = this.source.subscribe((event) => {
      if (this.early) this.early.push(event);
      else this.onEvent(event);
    });
    void this.load();
    return () => {
      this.stopped = true;
      clearTimeout(this.refreshTimer);
      off();
    };
  }

  private async load(): Promise<void> {
    try {
      const [detail, points, log] = await Promise.all([
        this.source.invoke('canaries.detail', { key: this.key }),
        this.source.invoke('canaries.series', { key: this.key }),
        this.source.invoke('log.tail', { limit: LOG_LIMIT }),
      ]);
      if (this.stopped) return;
      this.detail = detail;
      this.loadError = undefined;
      this.points.splice(0, this.points.length, ...points);
      this.pointsEpoch++;
      const dot = dotName(detail.summary);
      this.log.splice(
        0,
        this.log.length,
        ...log.filter((r) => r.context === detail.summary.context && r.canary === dot),
      );
      const early = this.early ?? [];
      this.early = undefined;
      const lastSeq = this.log[this.log.length - 1]?.seq ?? 0;
      const lastTime = points[points.length - 1]?.time ?? '';
      for (const event of early) {
        if (event.type === 'log.appended')
          this.onEvent({ ...event, records: event.records.filter((r) => r.seq > lastSeq) });
        else if (event.type === 'canaries.point') {
          if (event.point.time > lastTime) this.onEvent(event);
        } else this.onEvent(event);
      }
      this.pointsVersion++;
      this.logVersion++;
    } catch (err) {
      if (this.stopped) return;
      this.early = undefined;
      this.loadError = messageOf(err);
    }
  }

  /** Detail again (after a change): YAML, events, objects and allowed actions move with it. */
  async refresh(): Promise<void> {
    try {
      const detail = await this.source.invoke('canaries.detail', { key: this.key });
      if (!this.stopped) this.detail = detail;
    } catch (err) {
      if (!this.stopped) this.loadError = messageOf(err);
    }
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer || this.stopped) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refresh();
    }, REFRESH_DELAY_MS);
  }

  private onEvent(event: ApiEvent): void {
    const detail = this.detail;
    switch (event.type) {
      case 'canaries.point':
        if (event.key !== this.key) return;
        this.points.push(event.point);
        // A day of 10 s ticks, as the engine keeps; dropping the oldest redraws the charts.
        if (this.points.length > MAX_POINTS) {
          this.points.splice(0, this.points.length - MAX_POINTS + MAX_POINTS / 24);
          this.pointsEpoch++;
        }
        this.pointsVersion++;
        return;
      case 'log.appended': {
        if (!detail) return;
        const dot = dotName(detail.summary);
        const mine = event.records.filter(
          (r) => r.context === detail.summary.context && r.canary === dot,
        );
        if (mine.length === 0) return;
        this.log.push(...mine);
        if (this.log.length > LOG_LIMIT) this.log.splice(0, this.log.length - LOG_LIMIT);
        this.logVersion++;
        return;
      }
      case 'canaries.changed': {
        const summary = event.changed.find((c) => c.key === this.key);
        if (summary && detail) this.detail = { ...detail, summary };
        if (summary && this.result?.ok && this.result.phase !== summary.phase)
          this.result = undefined;
        if (summary || event.removed.includes(this.key)) this.scheduleRefresh();
        return;
      }
      case 'clusters.control':
        if (detail && event.clusters.some((c) => c.context === detail.summary.context))
          this.scheduleRefresh();
        return;
      default:
        return;
    }
  }

  /** Runs an action (or a playground release); the outcome lands in `result`. */
  async act(action: CanaryActionName, options: ActionOptions = {}): Promise<boolean> {
    if (this.busy) return false;
    this.busy = action;
    this.result = undefined;
    try {
      if (action === 'release') {
        const { image } = await this.source.invoke('canaries.release', {
          key: this.key,
          ...(options.errorRate ? { errorRate: options.errorRate } : {}),
        });
        const phase = this.detail?.summary.phase;
        this.result = { ok: true, text: `Released ${image}`, ...(phase ? { phase } : {}) };
      } else {
        const summary = await this.source.invoke('canaries.action', {
          key: this.key,
          action,
          ...(options.force ? { force: true } : {}),
        });
        if (this.detail) this.detail = { ...this.detail, summary };
        this.result = {
          ok: true,
          text: `${actionDone[action]} — now ${summary.phase}`,
          phase: summary.phase,
        };
      }
      void this.refresh();
      return true;
    } catch (err) {
      this.result = { ok: false, text: messageOf(err) };
      return false;
    } finally {
      this.busy = undefined;
    }
  }
}

const actionDone: Record<Exclude<CanaryActionName, 'release'>, string> = {
  promote: 'Promotion requested',
  rollback: 'Rolled back',
  pause: 'Paused',
  resume: 'Resumed',
  retry: 'Retry requested',
  openGate: 'Gate opened',
  closeGate: 'Gate closed',
};
