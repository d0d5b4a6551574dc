import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { hashPassword } from '../../src/auth/password.js';
import { logInPage, shot, startBrowserHarness, type BrowserHarness } from '../support/browser.js';

// "Notify me on this device" in real Chromium: the service worker registers from the settings page
// and draws a push as a notification that names the sender and leads to the thread (the push is
// delivered to it through the DevTools protocol, as a push service would: headless Chromium here
// reaches no real push service, so subscribing itself is left to the HTTP tests and their local
// push service). Without JavaScript the page says push needs it.

const PASSWORD = 'a long enough password';
let h: BrowserHarness;

before(async () => {
  h = await startBrowserHarness();
  await h.database.db.insertInto('users').values({ username: 'wp_ana', display_name: 'Ana Push', password_hash: await hashPassword(PASSWORD) }).execute();
});

test('with JavaScript (1280 px): the service worker registers, and a push becomes a notification for the thread', async () => {
  const context = await h.context({ javaScript: true, width: 1280 });
  await context.grantPermissions(['notifications'], { origin: h.baseUrl });
  const page = await logInPage(context, 'wp_ana', PASSWORD);
  const cdp = await context.newCDPSession(page);
  const registrations: { registrationId: string; scopeURL: string }[] = [];
  cdp.on('ServiceWorker.workerRegistrationUpdated', (event: { registrations: { registrationId: string; scopeURL: string }[] }) => registrations.push(...event.registrations));
  await cdp.send('ServiceWorker.enable');

  await page.goto('/settings/notifications');
  const button = page.getByRole('button', { name: 'Notify me on this device' });
  await button.waitFor();
  assert.equal(await page.locator('[data-push-nojs]').isVisible(), false, 'the no-JavaScript words are gone');
  await page.getByText('Off on this device.').waitFor();
  const scriptUrl = await page.evaluate(async () => (await navigator.serviceWorker.ready).active?.scriptURL);
  assert.equal(scriptUrl, `${h.baseUrl}/sw.js`);
  await page.screenshot({ path: shot('push-settings-1280'), fullPage: true });

  const registration = registrations.find((r) => r.scopeURL === `${h.baseUrl}/`);
  assert.ok(registration, 'the worker is registered for the whole site');
  await cdp.send('ServiceWorker.deliverPushMessage', {
    origin: h.baseUrl,
    registrationId: registration.registrationId,
    data: JSON.stringify({ title: 'Ben Sender', body: 'Lunch at noon?', url: '/messages/42', tag: 'conversation-42' }),
  });
  let shown: { title: string; body: string; tag: string; url: string }[] = [];
  for (let i = 0; i < 50 && shown.length === 0; i++) {
    shown = await page.evaluate(async () =>
      (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag, url: (n.data as { url: string }).url })),
    );
    if (shown.length === 0) await page.waitForTimeout(100);
  }
  assert.deepEqual(shown, [{ title: 'Ben Sender', body: 'Lunch at noon?', tag: 'conversation-42', url: '/messages/42' }]);

  // A second push of the same conversation replaces it: one notification per conversation.
  await cdp.send('ServiceWorker.deliverPushMessage', {
    origin: h.baseUrl,
    registrationId: registration.registrationId,
    data: JSON.stringify({ title: 'Ben Sender', body: 'Or one?', url: '/messages/42', tag: 'conversation-42' }),
  });
  for (let i = 0; i < 50 && shown[0]?.body !== 'Or one?'; i++) {
    await page.waitForTimeout(100);
    shown = await page.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag, url: (n.data as { url: string }).url })));
  }
  assert.equal(shown.length, 1);
  assert.equal(shown[0]!.body, 'Or one?');
  await context.close();
});

test('without JavaScript (390 px): the page says push needs JavaScript, and email settings still work', async () => {
  const context = await h.context({ javaScript: false, width: 390 });
  const page = await logInPage(context, 'wp_ana', PASSWORD);
  await page.goto('/settings/notifications');
  assert.equal(await page.locator('[data-push-nojs]').isVisible(), true);
  assert.match((await page.locator('[data-push-nojs]').textContent()) ?? '', /need JavaScript/);
  assert.equal(await page.getByRole('button', { name: 'Notify me on this device' }).isVisible(), false);
  await page.getByLabel('Never').first().check();
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Your notification settings are saved.').waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, 'nothing wider than the phone');
  await page.screenshot({ path: shot('push-settings-390-nojs'), fullPage: true });
  await context.close();
});
