/**
 * A newcomer's first run: `npm start` with no kubeconfig of their own starts the
 * playground and shows its three clusters, connected, in web mode.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  contextRow,
  launchChromium,
  results,
  startLauncher,
  watchErrors,
  type Launcher,
} from './support';

let dir: string;
let launcher: Launcher | undefined;
let browser: Browser;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aviary-e2e-playground-'));
  launcher = await startLauncher([], {
    ...process.env,
    // No kubeconfig of the user's: only the playground's contexts.
    KUBECONFIG: join(dir, 'no-such-kubeconfig.yaml'),
    HOME: dir,
    AVIARY_CONFIG_DIR: join(dir, 'config'),
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await launcher?.stop();
  if (dir) await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

describe('npm start on a fresh machine', () => {
  it('shows the playground clusters, connected', async () => {
    const page = await (
      await browser.newContext({ colorScheme: 'dark', viewport: { width: 1280, height: 760 } })
    ).newPage();
    const errors = watchErrors(page);
    await page.goto(launcher!.url);
    const playgroundFile = page.locator('section[data-file]', { hasText: 'playground' }).last();
    await playgroundFile.waitFor();
    for (const name of ['playground-staging', 'playground-eu', 'playground-us']) {
      await expect
        .poll(() => contextRow(page, name).getAttribute('data-state'), { timeout: 30_000 })
        .toBe('connected');
      expect(await contextRow(page, name).innerText()).toMatch(/connected v1\.\d+\.\d+/);
    }
    // The user's missing $KUBECONFIG file is reported on itself, not as a blank screen.
    expect(await page.locator('section[data-file]').first().innerText()).toContain(
      'no-such-kubeconfig.yaml',
    );
    await contextRow(page, 'playground-eu').click();
    await expect.poll(() => page.getByTestId('top-context').innerText()).toBe('playground-eu');
    await page.screenshot({ path: join(results, 'playground-contexts.png') });
    expect(errors).toEqual([]);
  });

  it("shows each playground cluster's canaries, initialized by Aviary's engine", async () => {
    const page = await (
      await browser.newContext({ colorScheme: 'dark', viewport: { width: 1280, height: 760 } })
    ).newPage();
    await page.goto(launcher!.url);
    await contextRow(page, 'playground-staging').click();
    await expect
      .poll(() => page.getByTestId('control-mode').innerText(), { timeout: 30_000 })
      .toBe('Aviary drives these canaries');
    const podinfo = page.locator('tr[data-canary="playground-staging/test/podinfo"]');
    // The first tick creates the primary; the next one (10 s later) finds it ready.
    await expect
      .poll(() => podinfo.getAttribute('data-phase'), { timeout: 45_000, interval: 500 })
      .toBe('Initialized');
    expect(await page.locator('tr[data-canary]').count()).toBe(2);
    expect(await podinfo.innerText()).toContain('0/5');
    await page.screenshot({ path: join(results, 'playground-canaries.png') });
  });

  it('opens on the fleet: every playground canary, one click from its detail', async () => {
    const page = await (
      await browser.newContext({ colorScheme: 'dark', viewport: { width: 1280, height: 760 } })
    ).newPage();
    await page.goto(launcher!.url);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Fleet');
    const row = page.locator('[role="row"][data-canary="playground-staging/test/podinfo"]');
    await row.waitFor({ timeout: 30_000 });
    for (const cluster of ['playground-staging', 'playground-eu', 'playground-us'])
      await page.locator(`[data-group="${cluster}"]`).waitFor();
    await row.click();
    await expect
      .poll(() => page.evaluate(() => location.hash))
      .toBe('#/cluster/playground-staging/test/podinfo');
    expect(await page.getByTestId('top-canary').innerText()).toBe('podinfo');
    await page.goBack();
    await row.waitFor();
  });

  it('opens the secrets settings: the keychain, or why there is none', async () => {
    const page = await (
      await browser.newContext({ colorScheme: 'dark', viewport: { width: 1280, height: 760 } })
    ).newPage();
    await page.goto(launcher!.url);
    await page.getByTestId('open-settings').click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    // With a keychain the three secrets are listed; without one it says so, and stores nothing.
    await expect
      .poll(() => dialog.innerText(), { timeout: 10_000 })
      .toMatch(/Slack|No OS keychain available/);
    await page.screenshot({ path: join(results, 'secrets-settings.png') });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });
});
