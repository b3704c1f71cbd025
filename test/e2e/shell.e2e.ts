/**
 * The renderer shell in web mode, as a person sees it: the launcher serving two
 * kubeconfig files (three contexts, one of them broken) to Debian's Chromium.
 *
 *   npx vite build --config vite.renderer.config.ts && npx vitest run --config vitest.e2e.config.ts
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  contextRow as row,
  launchChromium,
  results,
  startLauncher,
  watchErrors,
  type Launcher,
} from './support';

const SERVER_VERSION = 'v1.31.2';

let dir: string;
let apiServer: Server;
let launcher: Launcher | undefined;
let appUrl: string;
let browser: Browser;

/** A port nobody listens on: bind, note, release. */
async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}

/** Just enough of a Kubernetes API server for Aviary's probe: GET /version over TLS. */
async function startTinyApiServer(): Promise<{ server: Server; port: number; caData: string }> {
  const pems = await generate([{ name: 'commonName', value: 'aviary-e2e' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
    ],
  });
  const server = createHttpsServer({ key: pems.private, cert: pems.cert }, (req, res) => {
    if (req.url?.startsWith('/version')) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          major: '1',
          minor: '31',
          gitVersion: SERVER_VERSION,
          platform: 'linux/amd64',
        }),
      );
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return { server, port: address.port, caData: Buffer.from(pems.cert).toString('base64') };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aviary-e2e-'));
  await mkdir(results, { recursive: true });
  const tiny = await startTinyApiServer();
  apiServer = tiny.server;
  const deadPort = await closedPort();

  // File A: a live cluster, and a context naming a user nobody defines.
  const fileA = join(dir, 'team-a.yaml');
  await writeFile(
    fileA,
    `apiVersion: v1
kind: Config
clusters:
  - name: tiny
    cluster:
      server: https://127.0.0.1:${tiny.port}
      certificate-authority-data: ${tiny.caData}
users:
  - name: alice
    user:
      token: e2e-token-alice
contexts:
  - name: e2e-live
    context: { cluster: tiny, user: alice, namespace: canaries }
  - name: e2e-ghost-user
    context: { cluster: tiny, user: ghost }
current-context: e2e-live
`,
  );
  // File B: a cluster whose port is closed.
  const fileB = join(dir, 'team-b.yaml');
  await writeFile(
    fileB,
    `apiVersion: v1
kind: Config
clusters:
  - name: gone
    cluster:
      server: https://127.0.0.1:${deadPort}
      insecure-skip-tls-verify: true
users:
  - name: bob
    user:
      token: e2e-token-bob
contexts:
  - name: e2e-closed
    context: { cluster: gone, user: bob, namespace: edge }
`,
  );

  launcher = await startLauncher(['--no-playground'], {
    ...process.env,
    KUBECONFIG: `${fileA}:${fileB}`,
    AVIARY_CONFIG_DIR: join(dir, 'config'),
  });
  appUrl = launcher.url;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await launcher?.stop();
  await new Promise((done) => apiServer?.close(done));
  if (dir) await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

const topContext = (page: Page) => page.getByTestId('top-context');

describe('the renderer shell in web mode', () => {
  let context: BrowserContext;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    context = await browser.newContext({
      colorScheme: 'dark',
      viewport: { width: 1280, height: 760 },
    });
    page = await context.newPage();
    errors = watchErrors(page);
  });

  afterAll(async () => {
    await context?.close();
  });

  it('shows both kubeconfig files as groups, each context with its state', async () => {
    await page.goto(appUrl);
    await page.getByRole('listbox').first().waitFor();
    const files = page.locator('section[data-file]');
    expect(await files.count()).toBe(2);
    const [a, b] = [files.nth(0), files.nth(1)];
    expect(await a.locator('.path').textContent()).toContain('team-a.yaml');
    expect(await a.locator('.badge').textContent()).toBe('$KUBECONFIG');
    expect(await b.locator('.path').textContent()).toContain('team-b.yaml');
    expect(
      await a.getByRole('option').evaluateAll((els) => els.map((e) => e.dataset.contextId)),
    ).toEqual(['e2e-live', 'e2e-ghost-user']);
    expect(
      await b.getByRole('option').evaluateAll((els) => els.map((e) => e.dataset.contextId)),
    ).toEqual(['e2e-closed']);

    const state = (name: string) => () => row(page, name).getAttribute('data-state');
    await expect.poll(state('e2e-live'), { timeout: 20_000 }).toBe('connected');
    await expect.poll(state('e2e-ghost-user'), { timeout: 20_000 }).toBe('invalid');
    await expect.poll(state('e2e-closed'), { timeout: 20_000 }).toBe('unreachable');

    expect(await row(page, 'e2e-live').innerText()).toContain(`connected ${SERVER_VERSION}`);
    expect(await row(page, 'e2e-live').innerText()).toContain('current');
    expect(await row(page, 'e2e-ghost-user').innerText()).toContain('invalid');
    expect(await row(page, 'e2e-ghost-user').getAttribute('title')).toContain(
      'user "ghost" is not defined',
    );
    expect(await row(page, 'e2e-closed').innerText()).toContain('unreachable');
    expect(await page.getByTestId('transport').innerText()).toContain('connected');
    // The token left the address bar.
    expect(page.url()).not.toContain('token');
  });

  it('selects contexts with the keyboard and the top bar follows', async () => {
    // Tab into the list: it is one tab stop.
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate(() => document.activeElement?.getAttribute('role') === 'option'))
        break;
    }
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.contextId),
    ).toBe('e2e-closed');
    await page.keyboard.press('Enter');
    await expect.poll(() => topContext(page).innerText()).toBe('e2e-closed');
    expect(await page.getByTestId('top-namespace').innerText()).toContain('edge');
    expect(await page.getByTestId('connection-status').innerText()).toMatch(/unreachable/i);

    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    await expect.poll(() => topContext(page).innerText()).toBe('e2e-ghost-user');
    expect(await row(page, 'e2e-ghost-user').getAttribute('aria-selected')).toBe('true');
    // The reason shows on the selected row and in the main area.
    expect(await row(page, 'e2e-ghost-user').innerText()).toContain('user "ghost" is not defined');
    expect(await page.getByTestId('connection-status').innerText()).toContain(
      'user "ghost" is not defined',
    );

    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    await expect.poll(() => topContext(page).innerText()).toBe('e2e-live');
    expect(await page.getByTestId('top-namespace').innerText()).toContain('canaries');
    const main = await page.locator('main').innerText();
    expect(main).toContain(SERVER_VERSION);
    expect(main).toContain('Bearer token');
    expect(main).toContain('alice');
    await page.screenshot({ path: join(results, 'shell-dark.png') });
  });

  it('still works after a reload (token kept for the tab), selection remembered', async () => {
    await page.reload();
    await expect
      .poll(() => row(page, 'e2e-live').getAttribute('data-state'), { timeout: 20_000 })
      .toBe('connected');
    expect(await topContext(page).innerText()).toBe('e2e-live');
    expect(await page.getByTestId('transport').innerText()).toContain('connected');
    expect(await page.getByText('This link has expired').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('looks right in the light theme too', async () => {
    const light = await browser.newContext({
      colorScheme: 'light',
      viewport: { width: 1280, height: 760 },
    });
    try {
      const lightPage = await light.newPage();
      await lightPage.goto(appUrl);
      await expect
        .poll(() => row(lightPage, 'e2e-closed').getAttribute('data-state'), { timeout: 20_000 })
        .toBe('unreachable');
      await row(lightPage, 'e2e-ghost-user').click();
      await expect.poll(() => topContext(lightPage).innerText()).toBe('e2e-ghost-user');
      await lightPage.screenshot({ path: join(results, 'shell-light.png') });
      // Leave the remembered selection as the other tests expect it.
      await row(lightPage, 'e2e-live').click();
      await expect.poll(() => topContext(lightPage).innerText()).toBe('e2e-live');
    } finally {
      await light.close();
    }
  });

  it('says the link has expired when opened without the token', async () => {
    const fresh = await browser.newContext({
      colorScheme: 'dark',
      viewport: { width: 1280, height: 760 },
    });
    try {
      const bare = await fresh.newPage();
      await bare.goto(new URL('/', appUrl).href);
      const alert = bare.getByRole('alert');
      await alert.waitFor();
      expect((await alert.innerText()).replace(/\s+/g, ' ')).toContain(
        'This link has expired: open the URL printed by npm start again.',
      );
      expect(await bare.getByRole('listbox').count()).toBe(0);
      await bare.screenshot({ path: join(results, 'shell-expired.png') });
    } finally {
      await fresh.close();
    }
  });

  it('says when it lost the engine', async () => {
    await launcher?.stop();
    const banner = page.getByText('Disconnected from Aviary — reconnecting…');
    await banner.waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('transport').innerText()).toContain('reconnecting');
    await page.screenshot({ path: join(results, 'shell-disconnected.png') });
  });
});
