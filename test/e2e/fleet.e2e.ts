/**
 * The fleet as a person with many clusters uses it: 1,000 canaries over five clusters and
 * one unreachable cluster (web mode's real server and WebSocket in front of a stub engine,
 * test/bench/ui-stub.ts), in Debian's Chromium. Screenshots land in test-results/.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStubAviary, type StubAviary } from '../bench/ui-stub';
import { launchChromium, results, watchErrors } from './support';

let stub: StubAviary;
let browser: Browser;

beforeAll(async () => {
  stub = await startStubAviary(1000);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stub?.close();
});

async function open(colorScheme: 'dark' | 'light'): Promise<{ page: Page; errors: string[] }> {
  const page = await (
    await browser.newContext({ colorScheme, viewport: { width: 1440, height: 900 } })
  ).newPage();
  const errors = watchErrors(page);
  await page.goto(stub.url);
  await page.locator('[role="row"][data-canary]').first().waitFor();
  return { page, errors };
}

describe('the fleet with 1,000 canaries', () => {
  it('shows every cluster, draws only the rows in view, and counts phases', async () => {
    const { page, errors } = await open('dark');
    // The token left the address bar; the home route is the fleet.
    expect(await page.evaluate(() => location.hash)).toBe('');
    const grid = page.getByRole('grid');
    // 1,000 canaries + 5 cluster headers + the unreachable cluster's header and note + header.
    expect(await grid.getAttribute('aria-rowcount')).toBe('1008');
    expect(await page.locator('[role="rowgroup"] [role="row"]').count()).toBeLessThan(60);
    expect(await page.locator('[data-count="failed"]').innerText()).toContain('40');
    await page.screenshot({ path: join(results, 'fleet-dark.png') });
    // The unreachable cluster is last: End brings its message into view (and into the DOM).
    await grid.focus();
    await page.keyboard.press('End');
    expect(await page.locator('[data-note="on-prem-dc2"]').innerText()).toContain(
      'dial tcp 10.20.0.4:6443: i/o timeout',
    );
    expect(await page.locator('[data-group="prod-eu-west-1"]').count()).toBe(0);

    // A count filters the table, in the address too.
    await page.locator('[data-count="failed"]').click();
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/?phase=failed');
    await page.getByText('40 shown').waitFor();
    expect(
      await page
        .locator('[role="row"][data-canary]')
        .evaluateAll((rows) => rows.every((r) => r.getAttribute('data-phase') === 'Failed')),
    ).toBe(true);
    await page.goBack();
    await expect.poll(() => grid.getAttribute('aria-rowcount')).toBe('1008');
    expect(errors).toEqual([]);
  });

  it('opens a canary with the keyboard, and keeps the place over a reload and back', async () => {
    const { page, errors } = await open('dark');
    await page.getByRole('grid').focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.evaluate(() => location.hash))
      .toBe('#/cluster/prod-eu-west-1/data/billing');
    await expect.poll(() => page.getByTestId('top-canary').innerText()).toBe('billing');
    await page.reload();
    await expect.poll(() => page.getByTestId('top-canary').innerText()).toBe('billing');
    expect(await page.getByTestId('top-context').innerText()).toBe('prod-eu-west-1');
    await page.goBack();
    await page.locator('[role="row"][data-canary]').first().waitFor();
    expect(await page.evaluate(() => location.hash)).toBe('');
    // The detail view may ask for methods the stub does not serve; only the shell is checked.
    expect(errors.filter((e) => !e.includes('not part of the UI stub'))).toEqual([]);
  });

  it('jumps to a namespace and a context from the command palette', async () => {
    const { page } = await open('dark');
    await page.keyboard.press('Control+K');
    const input = page.getByRole('combobox', { name: /Go to/ });
    await input.fill('chk');
    await expect
      .poll(() =>
        page.getByRole('dialog').locator('[role="option"]').first().getAttribute('data-entry'),
      )
      .toMatch(/^k:.*\/checkout$/);
    await page.screenshot({ path: join(results, 'palette.png') });
    await input.fill('identity');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/?ns=identity');
    expect(await page.getByTestId('top-namespace').innerText()).toContain('identity');

    await page.keyboard.press('Control+K');
    await page.getByRole('combobox', { name: /Go to/ }).fill('ap-south');
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.evaluate(() => location.hash))
      .toBe(
        `#/cluster/${encodeURIComponent('arn:aws:eks:ap-south-1:123456789012:cluster/prod-ap')}`,
      );
    await expect
      .poll(() => page.getByRole('heading', { level: 1 }).innerText())
      .toBe('arn:aws:eks:ap-south-1:123456789012:cluster/prod-ap');
  });

  it('shows a toast when a canary fails, and the light theme', async () => {
    const { page } = await open('light');
    const canary = stub.canaries.get('prod-us-east-1/data/cart');
    expect(canary).toBeDefined();
    stub.emit({
      type: 'canaries.changed',
      changed: [{ ...canary!, phase: 'Progressing', canaryWeight: 20 }],
      removed: [],
    });
    stub.emit({
      type: 'canaries.changed',
      changed: [
        {
          ...canary!,
          phase: 'Failed',
          canaryWeight: 0,
          message: 'Canary failed! Scaling down cart.data',
        },
      ],
      removed: [],
    });
    const toast = page.locator('[data-toast="prod-us-east-1/data/cart"]');
    await toast.waitFor();
    expect(await toast.innerText()).toContain('cart.data failed');
    await page.screenshot({ path: join(results, 'fleet-light.png') });
    await toast.locator('button').first().click();
    await expect
      .poll(() => page.evaluate(() => location.hash))
      .toBe('#/cluster/prod-us-east-1/data/cart');
  });
});
