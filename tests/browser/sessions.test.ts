import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { logInPage, shot, startBrowserHarness, type BrowserHarness } from '../support/browser.js';

// Taking a stolen session back, in Chromium: the sessions list in Settings, "log out all other
// sessions", and a password change, on a phone with JavaScript and on a desktop without it.

let h: BrowserHarness;
before(async () => {
  h = await startBrowserHarness();
});

const PASSWORD = 'a long enough password';
const NEW_PASSWORD = 'an even longer new password';

async function signUp(page: Page, username: string) {
  await page.goto('/signup');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Your name').fill('Sam Sessions');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.waitForURL('**/messages');
}

describe('my sessions', () => {
  test('a phone (JS, 390 px) sees the desktop session and logs it out; the desktop (no JS, 1280 px) is back at login', async () => {
    const phone = await (await h.context({ javaScript: true, width: 390 })).newPage();
    await signUp(phone, 'sam_sessions');
    const desktopContext = await h.context({ javaScript: false, width: 1280 });
    const desktop = await logInPage(desktopContext, 'sam_sessions', PASSWORD);

    await phone.goto('/settings');
    const sessions = phone.locator('[data-sessions] [data-session]');
    assert.equal(await sessions.count(), 2);
    assert.match((await phone.locator('[data-current-session]').textContent()) ?? '', /This device/);
    await phone.locator('[data-sessions]').scrollIntoViewIfNeeded();
    await phone.screenshot({ path: shot('settings-sessions-js-390'), fullPage: true });
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `nothing wider than the phone: ${overflow}px`);

    await phone.getByRole('button', { name: 'Log out all other sessions' }).click();
    await phone.waitForURL('**/settings');
    assert.match((await phone.locator('body').textContent()) ?? '', /Logged out 1 session/);
    assert.equal(await phone.locator('[data-sessions] [data-session]').count(), 1);

    await desktop.goto('/messages');
    assert.match(desktop.url(), /\/login\?next=/, 'the desktop is logged out');
  });

  test('changing the password without JavaScript: a wrong current password keeps me on the form; then it works', async () => {
    const context = await h.context({ javaScript: false, width: 390 });
    const page = await context.newPage();
    await signUp(page, 'pat_password');
    const other = await logInPage(await h.context({ javaScript: false, width: 1280 }), 'pat_password', PASSWORD);

    await page.goto('/settings');
    await page.getByRole('link', { name: 'Change password' }).first().click();
    await page.waitForURL('**/settings/password');
    await page.getByLabel('Current password').fill('not the password');
    await page.getByLabel('New password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    assert.match((await page.locator('#current_password-error').textContent()) ?? '', /not your current password/);
    await page.screenshot({ path: shot('settings-password-error-nojs-390'), fullPage: true });

    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByLabel('New password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.waitForURL('**/settings');
    assert.match((await page.locator('body').textContent()) ?? '', /password is changed/);

    await other.goto('/messages');
    assert.match(other.url(), /\/login/, 'the other session ended');
    const again = await logInPage(await h.context({ javaScript: true, width: 1280 }), 'pat_password', NEW_PASSWORD);
    assert.match(again.url(), /\/messages/);
  });
});
