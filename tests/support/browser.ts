import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createApp, type AppDeps } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { createTestDatabase, type TestDatabase } from './database.js';

// Debian's Chromium, never a downloaded one; flags keep it off this machine's closed network.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export const screenshotDir = path.resolve('tests/screenshots');

// Registered at import, in the test file's root context, so it runs once the whole file is done.
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

export interface BrowserHarness {
  baseUrl: string;
  browser: Browser;
  database: TestDatabase;
  context(options: { javaScript: boolean; width: number }): Promise<BrowserContext>;
}

/** The real app on a real port with a database of its own, and one Chromium for the file. */
export async function startBrowserHarness(overrides: Partial<AppDeps> = {}): Promise<BrowserHarness> {
  mkdirSync(screenshotDir, { recursive: true });
  const database = await createTestDatabase();
  const { app, close } = createApp({
    db: database.hostDb,
    pool: database.pool,
    log: createLogger('warn'),
    sessionSecret: 'browser-secret-browser-secret-browser',
    pruneSessions: false,
    authLimits: { perIp: 10_000, perUsername: 10_000, windowMs: 60_000 },
    ...overrides,
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
  cleanups.push(async () => {
    await browser.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await close();
    await database.drop();
  });
  return {
    baseUrl,
    browser,
    database,
    context: ({ javaScript, width }) =>
      browser.newContext({
        baseURL: baseUrl,
        javaScriptEnabled: javaScript,
        viewport: { width, height: width < 600 ? 844 : 900 },
        deviceScaleFactor: 1,
        isMobile: width < 600,
        hasTouch: width < 600,
      }),
  };
}

export const shot = (name: string) => path.join(screenshotDir, `${name}.png`);

/** A new page in the context, logged in through the login form (it lands on /messages). */
export async function logInPage(context: BrowserContext, username: string, password: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto('/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL('**/messages');
  return page;
}
