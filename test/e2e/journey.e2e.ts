/**
 * A person's whole path through Aviary, in Debian's Chromium against web mode served in this
 * process over the playground's three clusters and Aviary's service, sharing one clock that
 * runs 5x faster than real time (a 10 s analysis interval takes 2 s):
 *   the fleet shows the three clusters' canaries → Ctrl+K to a cluster, then to a canary →
 *   release a new version and watch the weight advance on the chart and in the log →
 *   Promote (confirm) → release a failing version, see the halts and failed checks →
 *   Rollback (confirm) → traffic back on the primary and "Canary failed!" in the log →
 *   a cluster turned to observe-only: its canary's buttons are disabled, with the reason.
 * Screenshots of each step go to test-results/journey-*.png; docs/canary-detail.png and
 * docs/rollback-dialog.png are the README's.
 *
 *   npm run test:e2e -- journey     (builds the renderer first)
 */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebMode, type WebModeServer } from '../../src/server/web';
import { startEngineBed, type EngineBed } from '../integration/engine-playground.helpers';
import { launchChromium, results, root, watchErrors } from './support';

const KEY = 'playground-staging/test/podinfo';
const OBSERVED = 'playground-us/payments/api';

let bed: EngineBed;
let web: WebModeServer;
let browser: Browser;
let page: Page;
let errors: string[];

const shot = (name: string): Promise<Buffer> =>
  page.screenshot({ path: join(results, `journey-${name}.png`) });

const header = () => page.getByTestId('canary-header');
const logText = () => page.getByTestId('log-lines').innerText();
const weight = async (): Promise<number> =>
  Number(/(\d+) %/.exec(await page.getByTestId('canary-weight').innerText())?.[1] ?? -1);
const phase = () => header().locator('[data-phase]').first().getAttribute('data-phase');

async function act(action: string, options: { errorRate?: number } = {}): Promise<void> {
  await page.locator(`[data-action="${action}"]`).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  if (options.errorRate !== undefined)
    await page.getByTestId('release-error-rate').fill(String(options.errorRate));
  await page.getByTestId('confirm-button').click();
  await dialog.waitFor({ state: 'detached' });
}

beforeAll(async () => {
  bed = await startEngineBed({
    speed: 5,
    playground: { clusters: ['staging', 'eu', 'us'] },
  });
  web = await startWebMode({
    backend: { handlers: bed.service.handlers, subscribe: (l) => bed.service.subscribe(l) },
    rendererDir: join(root, 'out/renderer'),
  });
  browser = await launchChromium();
  page = await (
    await browser.newContext({ colorScheme: 'dark', viewport: { width: 1360, height: 900 } })
  ).newPage();
  errors = watchErrors(page);
});

afterAll(async () => {
  await browser?.close();
  await web?.close();
  await bed?.stop();
});

describe("a person's path through Aviary", () => {
  it("sees the three clusters' canaries in the fleet", async () => {
    await page.goto(web.url);
    for (const key of [KEY, 'playground-eu/shop/storefront', OBSERVED])
      await page.locator(`[data-canary="${key}"]`).first().waitFor({ timeout: 60_000 });
    await expect
      .poll(() => page.locator(`[data-canary="${KEY}"]`).first().getAttribute('data-phase'), {
        timeout: 60_000,
      })
      .toBe('Initialized');
    await shot('1-fleet');
  });

  it('switches to a cluster, then to a canary, with the palette (Ctrl+K)', async () => {
    await page.keyboard.press('Control+k');
    const palette = page.getByRole('dialog', { name: 'Go to' });
    await palette.waitFor();
    await page.keyboard.type('playground-staging');
    await shot('2-palette');
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.evaluate(() => location.hash))
      .toBe('#/cluster/playground-staging');
    await page.keyboard.press('Control+k');
    await palette.waitFor();
    await page.keyboard.type('podinfo');
    await page.keyboard.press('Enter');
    await page.locator(`[data-canary-key="${KEY}"]`).waitFor();
    await header().waitFor();
    expect(await phase()).toBe('Initialized');
    await shot('3-canary');
  });

  it('releases a new version and watches the weight advance on the chart and in the log', async () => {
    await act('release');
    await expect.poll(weight, { timeout: 40_000, interval: 200 }).toBeGreaterThanOrEqual(20);
    expect(await logText()).toContain('Advance podinfo.test canary weight 10');
    expect(await page.getByTestId('traffic-summary').innerText()).toMatch(/\d+ steps?/);
    await shot('4-progressing');
    await page.screenshot({ path: join(root, 'docs/canary-detail.png') });
  });

  it('promotes: all traffic to the new primary', async () => {
    await act('promote');
    await expect.poll(phase, { timeout: 40_000, interval: 200 }).toBe('Succeeded');
    expect(await logText()).toContain('Promotion completed! Scaling down podinfo.test');
    expect(await weight()).toBe(0);
    await shot('5-promoted');
  });

  it('repaints the charts when the theme changes, without reopening the canary', async () => {
    // The y axis' labels are drawn in --text-muted: light on the dark theme, dark on the light.
    const labels = (): Promise<number> =>
      page.locator('[data-testid="traffic-chart"] canvas').evaluate((node) => {
        const canvas = node as HTMLCanvasElement;
        const ctx = canvas.getContext('2d')!;
        const { data } = ctx.getImageData(0, 0, Math.min(36, canvas.width), canvas.height);
        let sum = 0;
        let count = 0;
        for (let i = 0; i < data.length; i += 4) {
          if (data[i + 3]! < 160) continue;
          sum += (data[i]! + data[i + 1]! + data[i + 2]!) / 3;
          count++;
        }
        return count ? sum / count : -1;
      });
    const themeButton = page.getByRole('button', { name: /^Theme: / });
    const dark = await labels();
    expect(dark).toBeGreaterThan(100);
    await themeButton.click();
    expect(await themeButton.getAttribute('aria-label')).toBe('Theme: light');
    await expect.poll(labels, { timeout: 5000 }).toBeLessThan(dark - 60);
    await shot('5b-light-theme');
    await themeButton.click();
    await themeButton.click();
    expect(await themeButton.getAttribute('aria-label')).toBe('Theme: system');
    await expect.poll(labels, { timeout: 5000 }).toBeGreaterThan(dark - 10);
  });

  it('a failing release halts with failed checks; Rollback puts the traffic back on the primary', async () => {
    // The acceptance test would hit the failing canary too and, failing 60 % of the time, could
    // use up the threshold before any metric check: without it every halt is a metric's, so
    // the success-rate chart always gets its failed sample before the rollback.
    bed.playground
      .cluster('staging')
      .api.store.mutate({ group: 'flagger.app', resource: 'canaries' }, 'test', 'podinfo', (c) => {
        const analysis = (c.spec as { analysis: { webhooks?: { type?: string }[] } }).analysis;
        analysis.webhooks = (analysis.webhooks ?? []).filter((w) => w.type !== 'pre-rollout');
      });
    await act('release', { errorRate: 60 });
    await expect
      .poll(
        async () => Number((await page.getByTestId('failed-checks').innerText()).split('/')[0]),
        { timeout: 40_000, interval: 200 },
      )
      .toBeGreaterThanOrEqual(1);
    expect(await logText()).toMatch(/Halt (podinfo\.test )?advancement/);
    // The success-rate chart marks the failing sample once the canary's errors are measured.
    await page
      .locator('[data-metric="request-success-rate"] [data-testid="failed-samples"]')
      .waitFor({ timeout: 30_000 });
    await shot('6-halted');
    await page.locator('[data-action="rollback"]').click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await page.getByTestId('confirm-text').innerText()).toContain(
      'Route 100 % of podinfo.test traffic to primary and scale the canary to 0',
    );
    await page.screenshot({ path: join(results, 'journey-7-rollback-dialog.png') });
    await copyFile(
      join(results, 'journey-7-rollback-dialog.png'),
      join(root, 'docs/rollback-dialog.png'),
    );
    const clicked = Date.now();
    await page.getByTestId('confirm-button').click();
    await expect
      .poll(logText, { timeout: 5000, interval: 100 })
      .toContain('Canary failed! Scaling down podinfo.test');
    expect(Date.now() - clicked).toBeLessThan(3000);
    await expect.poll(phase, { timeout: 5000 }).toBe('Failed');
    expect(await weight()).toBe(0);
    expect(await page.getByTestId('traffic-summary').innerText()).toContain('rolled back');
    await shot('8-rolled-back');
  });

  it("an observed cluster's canary: every button disabled, with the reason", async () => {
    await bed.service.handlers['clusters.setControl']({ context: 'playground-us', enabled: false });
    await page.goto(`${web.origin}/#/cluster/playground-us/payments/api`);
    await header().waitFor();
    await expect
      .poll(() => page.getByTestId('controlled-by').getAttribute('data-mode'), { timeout: 10_000 })
      .toBe('observing');
    const buttons = page.locator('[role="toolbar"] button');
    const count = await buttons.count();
    expect(count).toBeGreaterThan(3);
    for (let i = 0; i < count; i++)
      expect(await buttons.nth(i).getAttribute('aria-disabled')).toBe('true');
    expect(await page.getByTestId('action-reason').innerText()).toBe(
      'playground-us is observed only: turn control on for this cluster to act on its canaries',
    );
    await shot('9-observed');
    expect(errors).toEqual([]);
  });
});
