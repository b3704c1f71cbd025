/**
 * The fleet view in Debian's Chromium (playwright-core, headless), against web mode's real
 * server and WebSocket contract in front of a stub engine (ui-stub.ts):
 *
 *   a. cold start: a fresh browser context opening the app until the first canary row is
 *      painted (navigation start → the task after the frame that drew it);
 *   b. 1,000 canaries arriving in one canaries.changed event → all rows laid out and painted;
 *   c. 1,000 canary updates in a burst (1,000 single-canary events, and one batch of 1,000
 *      as the engine sends them): the longest frame, from requestAnimationFrame intervals
 *      and Long Animation Frame entries;
 *   d. the renderer's JS heap after all that (CDP, after a forced GC).
 *
 * Aims: a < 1.5 s, b < 100 ms, c no frame > 16.7 ms (one 60 Hz frame).
 *
 *   npm run bench -- ui-fleet
 */
import { loadavg } from 'node:os';
import type { Browser, Page } from 'playwright-core';
import type { ApiEvent, CanarySummary } from '../../src/shared/api';
import { launchChromium } from '../e2e/support';
import type { Figures } from './run';
import { makeFleet, startStubAviary, type StubAviary } from './ui-stub';

export const title =
  'Fleet view in Chromium (headless, --disable-gpu): cold start, 1,000-canary render, update burst, heap';

const FRAME_MS = 1000 / 60;

/** Page-side probes, installed before any of the app's scripts run. */
const PROBES = `
  window.__bench = { arrivals: [], loaf: [] };
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    set onmessage(fn) {
      super.onmessage = (event) => {
        if (typeof event.data === 'string' && event.data.includes('"type":"canaries.changed"'))
          window.__bench.arrivals.push(performance.now());
        fn(event);
      };
    }
    get onmessage() { return super.onmessage; }
  };
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__bench.loaf.push({ start: e.startTime, duration: e.duration, blocking: e.blockingDuration ?? 0 });
    }).observe({ type: 'long-animation-frame', buffered: true });
  } catch {}
  /** Resolves with the time of the task after the frame in which test() first holds. */
  window.__paintedWhen = (test) => new Promise((done) => {
    const check = () => {
      if (test()) setTimeout(() => done(performance.now()), 0);
      else requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  });
  /** rAF intervals for ms milliseconds. */
  window.__frames = (ms) => new Promise((done) => {
    const times = [];
    const end = performance.now() + ms;
    const tick = (t) => { times.push(t); if (t < end) requestAnimationFrame(tick); else done(times); };
    requestAnimationFrame(tick);
  });
`;

declare global {
  interface Window {
    __bench: {
      arrivals: number[];
      loaf: { start: number; duration: number; blocking: number }[];
    };
    __paintedWhen: (test: () => boolean) => Promise<number>;
    __frames: (ms: number) => Promise<number[]>;
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};
const round = (n: number): number => Math.round(n * 10) / 10;

async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({
    colorScheme: 'dark',
    viewport: { width: 1440, height: 900 },
  });
  await context.addInitScript(PROBES);
  return context.newPage();
}

/** a. Navigation start → first canary row painted, with 1,000 canaries on the server. */
async function coldStart(browser: Browser, stub: StubAviary): Promise<number> {
  const page = await newPage(browser);
  await page.goto(stub.url);
  // performance.now() counts from this document's navigation start.
  const ms = await page.evaluate(() =>
    window.__paintedWhen(() => document.querySelector('[role="row"][data-canary]') !== null),
  );
  await page.context().close();
  return ms;
}

/** b. One event with 1,000 canaries → every row counted in the grid and painted. */
async function renderThousand(browser: Browser, stub: StubAviary, fleet: CanarySummary[]) {
  const page = await newPage(browser);
  await page.goto(stub.url);
  await page.getByRole('grid').waitFor();
  // The summary line and the grid are drawn in the same update.
  const painted = page.evaluate(
    (count) =>
      window.__paintedWhen(
        () =>
          (document.querySelector('[data-testid="fleet-summary"]')?.textContent ?? '')
            .replace(/\s+/g, ' ')
            .includes(`${count} canaries`) &&
          document.querySelector('[role="row"][data-canary]') !== null,
      ),
    fleet.length,
  );
  stub.emit({ type: 'canaries.changed', changed: fleet, removed: [] });
  const done = await painted;
  const arrival = await page.evaluate(() => window.__bench.arrivals.at(-1) ?? NaN);
  const drawnRows = await page.locator('[role="rowgroup"] [role="row"]').count();
  return { page, ms: done - arrival, drawnRows };
}

/** c. A burst of updates while watching every frame. */
async function burst(page: Page, stub: StubAviary, events: ApiEvent[]) {
  const loafBefore = await page.evaluate(() => window.__bench.loaf.length);
  const frames = page.evaluate(() => window.__frames(2500));
  await page.waitForTimeout(200);
  const sentAt = await page.evaluate(() => performance.now());
  for (const event of events) stub.emit(event);
  const times = await frames;
  const after = times.filter((t) => t >= sentAt - FRAME_MS);
  let longest = 0;
  for (let i = 1; i < after.length; i++)
    longest = Math.max(longest, (after[i] ?? 0) - (after[i - 1] ?? 0));
  const loaf = await page.evaluate((from) => window.__bench.loaf.slice(from), loafBefore);
  const over = after.slice(1).filter((t, i) => t - (after[i] ?? t) > FRAME_MS * 1.5).length;
  return {
    longest,
    dropped: over,
    loafMax: Math.max(0, ...loaf.map((l) => l.duration)),
    loafCount: loaf.length,
  };
}

function updates(fleet: CanarySummary[]): CanarySummary[] {
  return fleet.map((c, i) => ({
    ...c,
    phase: 'Progressing',
    canaryWeight: ((c.canaryWeight / 10 + 1 + (i % 3)) % 6) * 10,
    failedChecks: i % 4,
  }));
}

export async function run(): Promise<Figures> {
  const fleet = makeFleet(1000);
  const browser = await launchChromium();
  try {
    // a. cold start, three fresh contexts.
    const loaded = await startStubAviary(1000);
    const cold: number[] = [];
    try {
      for (let i = 0; i < 3; i++) cold.push(await coldStart(browser, loaded));
    } finally {
      await loaded.close();
    }

    // b + c + d on a page that starts with an empty fleet.
    const render: number[] = [];
    let figuresC: Awaited<ReturnType<typeof burst>> | undefined;
    let figuresBatch: Awaited<ReturnType<typeof burst>> | undefined;
    let heapMiB = NaN;
    let drawn = 0;
    for (let i = 0; i < 3; i++) {
      const stub = await startStubAviary(0);
      try {
        const { page, ms, drawnRows } = await renderThousand(browser, stub, fleet);
        render.push(ms);
        drawn = drawnRows;
        if (i === 2) {
          await page.waitForTimeout(500);
          const changed = updates(fleet);
          figuresC = await burst(
            page,
            stub,
            changed.map((c) => ({ type: 'canaries.changed', changed: [c], removed: [] })),
          );
          figuresBatch = await burst(page, stub, [
            { type: 'canaries.changed', changed: updates(changed), removed: [] },
          ]);
          const cdp = await page.context().newCDPSession(page);
          await cdp.send('HeapProfiler.collectGarbage');
          const heap = await cdp.send('Runtime.getHeapUsage');
          heapMiB = heap.usedSize / 1024 / 1024;
        }
        await page.context().close();
      } finally {
        await stub.close();
      }
    }

    const a = median(cold);
    const b = median(render);
    return {
      'a. cold start → first canary painted (ms, median of 3)': round(a),
      'a. ratio to aim 1,500 ms': round(a / 1500),
      'b. 1,000 canaries: event → painted (ms, median of 3)': round(b),
      'b. ratio to aim 100 ms': round(b / 100),
      'a / b best of 3 (ms), the least disturbed by other load': `${round(Math.min(...cold))} / ${round(Math.min(...render))}`,
      'b. rows in the DOM for 1,000 canaries': drawn,
      'c. 1,000 single-canary events: longest frame (ms)': round(figuresC?.longest ?? NaN),
      'c. ratio to aim 16.7 ms': round((figuresC?.longest ?? NaN) / FRAME_MS),
      'c. frames over 25 ms': figuresC?.dropped ?? NaN,
      'c. long animation frames (>50 ms), longest (ms)': `${figuresC?.loafCount ?? 0}, ${round(figuresC?.loafMax ?? 0)}`,
      'c. one batch of 1,000 changes: longest frame (ms)': round(figuresBatch?.longest ?? NaN),
      'c. batch: long animation frames, longest (ms)': `${figuresBatch?.loafCount ?? 0}, ${round(figuresBatch?.loafMax ?? 0)}`,
      'd. renderer JS heap after GC (MiB)': round(heapMiB),
      'load average (1 min) while measuring': round(loadavg()[0] ?? NaN),
    };
  } finally {
    await browser.close();
  }
}
