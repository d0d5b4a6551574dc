import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { hashPassword } from '../../src/auth/password.js';
import { logInPage, shot, startBrowserHarness, type BrowserHarness } from '../support/browser.js';

// The pages of email, as a person uses them: a forgotten password with JavaScript off on a phone
// (the mail read from the app's own outbox, /dev/mail, as on a bare machine), and the notification
// settings with JavaScript on.

const PASSWORD = 'a long enough password';
let h: BrowserHarness;

before(async () => {
  h = await startBrowserHarness({ runJobs: true, devMail: true, mail: { smtpUrl: undefined, from: 'Courier <no-reply@localhost>', appUrl: 'http://placeholder', delaySeconds: 600 } });
  const passwordHash = await hashPassword(PASSWORD);
  await h.database.db.insertInto('users').values({ username: 'em_ana', display_name: 'Ana Mail', password_hash: passwordHash, email: 'ana@example.org', email_confirmed_at: new Date() }).execute();
});

test('without JavaScript (390 px): forgot the password, read the email in the outbox, choose a new one, log in', async () => {
  const page = await (await h.context({ javaScript: false, width: 390 })).newPage();
  await page.goto('/login');
  await page.getByRole('link', { name: 'Forgot it?' }).click();
  await page.waitForURL('**/password/forgot');
  await page.screenshot({ path: shot('email-forgot-390') });
  await page.getByLabel('Username or email').fill('ANA@example.org');
  await page.getByRole('button', { name: 'Email me a link' }).click();
  await page.getByText('If that account has a confirmed email address').waitFor();

  // The outbox, as on a machine without SMTP_URL.
  let found = false;
  for (let i = 0; i < 50 && !found; i++) {
    await page.goto('/dev/mail');
    found = (await page.getByRole('link', { name: 'Reset your Courier password' }).count()) > 0;
    if (!found) await page.waitForTimeout(200);
  }
  assert.ok(found, 'the email is in the outbox');
  await page.getByRole('link', { name: 'Reset your Courier password' }).click();
  const text = (await page.locator('pre').first().textContent()) ?? '';
  const token = /\/password\/reset\?token=([A-Za-z0-9_-]+)/.exec(text)?.[1];
  assert.ok(token, 'the text part holds the link');

  await page.goto(`/password/reset?token=${token}`);
  // Too short: the browser's own check (minlength) stops it, without JavaScript too.
  const field = page.getByRole('textbox', { name: 'New password' });
  await field.fill('short');
  await page.getByRole('button', { name: 'Save my new password' }).click();
  assert.equal(await field.evaluate((input: HTMLInputElement) => input.validity.tooShort), true);
  await page.screenshot({ path: shot('email-reset-390') });
  await field.fill('my brand new password');
  await page.getByRole('button', { name: 'Save my new password' }).click();
  await page.waitForURL('**/login');
  assert.match(await page.content(), /Log in with the new one/);
  await page.getByLabel('Username').fill('em_ana');
  await page.getByLabel('Password').fill('my brand new password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL('**/messages');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0);
});

test('with JavaScript (1280 px): notification settings are saved and shown', async () => {
  const context = await h.context({ javaScript: true, width: 1280 });
  await h.database.db.updateTable('users').set({ password_hash: await hashPassword(PASSWORD) }).where('username', '=', 'em_ana').execute();
  const page = await logInPage(context, 'em_ana', PASSWORD);
  await page.goto('/settings/notifications');
  assert.match((await page.locator('main').textContent()) ?? '', /Emails go to ana@example\.org/);
  await page.getByLabel('After an hour').check();
  await page.getByLabel('Every week').check();
  await page.getByLabel('Show the message text in emails').uncheck();
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Your notification settings are saved.').waitFor();
  assert.equal(await page.getByLabel('After an hour').isChecked(), true);
  assert.equal(await page.getByLabel('Every week').isChecked(), true);
  assert.equal(await page.getByLabel('Show the message text in emails').isChecked(), false);
  await page.screenshot({ path: shot('email-notifications-1280'), fullPage: true });
});

test('with JavaScript (390 px): the forgotten-password pages work the same, and an unknown account gets the same answer', async () => {
  const context = await h.context({ javaScript: true, width: 390 });
  const page = await context.newPage();
  await page.goto('/password/forgot');
  await page.getByLabel('Username or email').fill('nobody-here@example.org');
  await page.getByRole('button', { name: 'Email me a link' }).click();
  await page.getByText('If that account has a confirmed email address').waitFor();
  const unknownAnswer = await page.locator('main').textContent();

  await page.goto('/password/forgot');
  await page.getByLabel('Username or email').fill('em_ana');
  await page.getByRole('button', { name: 'Email me a link' }).click();
  await page.getByText('If that account has a confirmed email address').waitFor();
  assert.equal(await page.locator('main').textContent(), unknownAnswer, 'the answer never tells whether an account exists');

  let link: string | undefined;
  for (let i = 0; i < 50 && !link; i++) {
    const rows = await h.database.db.selectFrom('mail_outbox').select('text_part').where('recipient', '=', 'ana@example.org').where('subject', '=', 'Reset your Courier password').orderBy('id', 'desc').limit(1).execute();
    link = /\/password\/reset\?token=[A-Za-z0-9_-]+/.exec(rows[0]?.text_part ?? '')?.[0];
    // The first test's email may be the newest until this one is written: only a link not used yet works.
    if (link && (await (await context.request.get(link)).text()).includes('no longer works')) link = undefined;
    if (!link) await page.waitForTimeout(200);
  }
  assert.ok(link, 'a new link in the outbox');
  await page.goto(link);
  await page.getByRole('textbox', { name: 'New password' }).fill('another new password');
  await page.getByRole('button', { name: 'Save my new password' }).click();
  await page.waitForURL('**/login');
  await page.getByLabel('Username').fill('em_ana');
  await page.getByLabel('Password').fill('another new password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL('**/messages');
  await context.close();
});
