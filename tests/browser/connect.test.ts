import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { shot, startBrowserHarness, type BrowserHarness } from '../support/browser.js';

let h: BrowserHarness;
before(async () => {
  h = await startBrowserHarness();
});

const PASSWORD = 'a long enough password';

async function signUp(page: Page, username: string, name: string) {
  await page.goto('/signup');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.waitForURL('**/messages');
}

const matrix = [
  { javaScript: true, width: 390 },
  { javaScript: true, width: 1280 },
  { javaScript: false, width: 390 },
  { javaScript: false, width: 1280 },
];

for (const { javaScript, width } of matrix) {
  const label = `${javaScript ? 'js' : 'nojs'}-${width}`;
  describe(`sign up, request and accept a connection (${label})`, () => {
    test('two people connect through the pages', async () => {
      const suffix = `${javaScript ? 'j' : 'n'}${width}`;
      const alice = `alice_${suffix}`;
      const bob = `bob_${suffix}`;
      const aliceContext = await h.context({ javaScript, width });
      const bobContext = await h.context({ javaScript, width });
      const a = await aliceContext.newPage();
      const b = await bobContext.newPage();
      const errors: string[] = [];
      for (const page of [a, b]) {
        page.on('pageerror', (err) => errors.push(err.message));
        page.on('console', (msg) => msg.type() === 'error' && errors.push(msg.text()));
        page.on('response', (res) => res.status() === 404 && errors.push(`404 ${res.url()}`));
      }

      await signUp(a, alice, 'Alice Example');
      await a.screenshot({ path: shot(`inbox-empty-${label}`), fullPage: true });
      await signUp(b, bob, `Bob ${suffix.toUpperCase()}`);

      // Alice finds Bob in the directory by part of his name, in any case.
      await a.goto('/people');
      const search = a.getByLabel('Search people by name or username');
      await search.fill(`bob ${suffix}`);
      if (javaScript) {
        await a.waitForURL(/q=bob/); // active search swapped the results and pushed the URL
      } else {
        await a.getByRole('button', { name: 'Search' }).click();
        await a.waitForURL(/q=bob/);
      }
      const row = a.locator(`li[data-username="${bob}"]`);
      await row.waitFor();
      assert.equal(await a.locator('li[data-username]').count(), 1, 'only Bob matches');
      await a.screenshot({ path: shot(`people-search-${label}`), fullPage: true });

      await row.getByRole('button', { name: /Connect with/ }).click();
      await row.locator('[data-state="sent"]').waitFor();
      if (!javaScript) assert.match(a.url(), /\/people\?q=/, 'back to the same search after the redirect');
      await a.screenshot({ path: shot(`request-sent-${label}`), fullPage: true });

      // Bob sees the invitation and accepts it.
      await b.goto('/connections');
      const invitation = b.locator('[data-list="received"]').locator(`li[data-username="${alice}"]`);
      await invitation.waitFor();
      await b.screenshot({ path: shot(`invitation-${label}`), fullPage: true });
      await invitation.getByRole('button', { name: /^Accept/ }).click();
      if (javaScript) {
        await invitation.locator('[data-state="connected"]').waitFor();
      } else {
        await b.getByText('You and Alice Example are now connected.').waitFor();
      }
      await b.goto('/connections');
      await b.locator('[data-list="connections"]').locator(`li[data-username="${alice}"]`).waitFor();
      await b.screenshot({ path: shot(`connections-${label}`), fullPage: true });

      // Alice sees the connection on Bob's profile.
      await a.goto(`/u/${bob}`);
      await a.locator('[data-profile-actions] [data-state="connected"]').waitFor();
      await a.screenshot({ path: shot(`profile-${label}`), fullPage: true });

      const rows = await h.database.db.selectFrom('connections').selectAll().where('status', '=', 'accepted').execute();
      assert.ok(rows.length >= 1);
      assert.deepEqual(errors, [], 'no script errors, CSP violations or missing files');
      for (const page of [a, b]) {
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `no sideways scrolling at ${width}px (overflow ${overflow}px)`);
      }
      await aliceContext.close();
      await bobContext.close();
    });
  });
}
