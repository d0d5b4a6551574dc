import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { hashPassword } from '../../src/auth/password.js';
import type { MessagingDb } from '../../src/messaging/index.js';
import { defaultLimits } from '../../src/messaging/limits.js';
import { openConversation } from '../../src/messaging/queries/conversations.js';
import { logInPage, shot, startBrowserHarness, type BrowserHarness } from '../support/browser.js';

// Saved replies (contract v2, "Meetings and saved replies"): made in Settings, inserted from the
// composer, filled for the other person. With JS a panel with a search inserts at the cursor;
// without JS the button takes what was typed to a list whose Insert brings both back. 390 and 1280 px.

const PASSWORD = 'a long enough password';
let h: BrowserHarness;
let passwordHash: string;

before(async () => {
  h = await startBrowserHarness();
  passwordHash = await hashPassword(PASSWORD);
});

async function person(username: string, name: string): Promise<number> {
  const row = await h.database.db.insertInto('users').values({ username, display_name: name, password_hash: passwordHash }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));
  page.on('console', (msg) => msg.type() === 'error' && problems.push(msg.text()));
  return problems;
}

for (const javaScript of [true, false]) {
  for (const width of [390, 1280]) {
    const label = `${javaScript ? 'js' : 'nojs'}-${width}`;
    test(`saved replies, made in Settings and inserted in a message (${label})`, async () => {
      const tag = `${javaScript ? 'j' : 'n'}${width}`;
      const [ana, ben] = [await person(`sv_a_${tag}`, 'Ana Saves'), await person(`sv_b_${tag}`, 'Benedikt Reads')];
      await h.database.db.insertInto('connections').values({ user_low: Math.min(ana, ben), user_high: Math.max(ana, ben), requested_by: ana, status: 'accepted', accepted_at: new Date() }).execute();
      const conversation = await openConversation(h.database.db as unknown as MessagingDb, ana, ben, defaultLimits.conversations);
      const context = await h.context({ javaScript, width });
      const page = await logInPage(context, `sv_a_${tag}`, PASSWORD);
      const problems = watch(page);

      // Settings: two saved.
      await page.goto('/settings');
      await page.getByRole('link', { name: 'Your saved replies' }).click();
      await page.getByLabel('Text').fill('Thanks {first_name}, I will call you tomorrow.');
      await page.getByRole('button', { name: 'Save' }).click();
      // The browser's own check stops it without a title (the server's 400 is in the HTTP tests); the text stays.
      assert.equal(await page.getByLabel('Text').inputValue(), 'Thanks {first_name}, I will call you tomorrow.');
      await page.getByLabel('Title').fill('Thanks');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.locator('[data-saved-reply-id]', { hasText: 'Thanks' }).waitFor();
      await page.getByLabel('Title').fill('Address');
      await page.getByLabel('Text').fill('We meet at 12 Harbour Street.');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.locator('[data-saved-reply-id]', { hasText: 'Address' }).waitFor();
      await page.screenshot({ path: shot(`saved-replies-settings-${label}`), fullPage: true });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `no sideways scrolling (${overflow}px)`);

      // The composer: typed text first, then a reply after it.
      await page.goto(`/messages/${conversation}`);
      const box = page.getByLabel('Write a message to Benedikt Reads');
      await box.fill('Hello!');
      await page.getByRole('button', { name: 'Saved replies' }).click();
      if (javaScript) {
        const search = page.getByLabel('Search saved replies');
        await search.waitFor();
        assert.equal(await search.evaluate((el) => el === document.activeElement), true, 'the search has focus');
        await search.fill('call');
        await page.locator('#saved-replies-list [data-saved-reply]').first().waitFor();
        await page.waitForFunction(() => document.querySelectorAll('#saved-replies-list [data-saved-reply]').length === 1);
        await page.screenshot({ path: shot(`saved-replies-panel-${label}`) });
        await page.locator('[data-saved-reply]', { hasText: 'Thanks' }).click();
        assert.equal(await box.inputValue(), 'Hello!Thanks Benedikt, I will call you tomorrow.', 'in at the cursor (the end)');
        assert.equal(await page.locator('#saved-replies-panel').isHidden(), true, 'the panel closes');
        assert.equal(await box.evaluate((el) => el === document.activeElement), true, 'back in the box');
        // Escape closes an open panel and gives focus back to its button.
        await page.getByRole('button', { name: 'Saved replies' }).click();
        await page.getByLabel('Search saved replies').waitFor();
        await page.keyboard.press('Escape');
        assert.equal(await page.locator('#saved-replies-panel').isHidden(), true);
      } else {
        await page.locator('[data-saved-replies-page]').waitFor();
        await page.screenshot({ path: shot(`saved-replies-page-${label}`), fullPage: true });
        await page.getByRole('button', { name: 'Insert “Thanks”' }).click();
        await page.waitForURL(`**/messages/${conversation}#composer-body`);
        assert.equal(await box.inputValue(), 'Hello!\nThanks Benedikt, I will call you tomorrow.');
      }
      await page.getByRole('button', { name: 'Send' }).click();
      await page.locator('#thread-messages li', { hasText: 'Thanks Benedikt, I will call you tomorrow.' }).waitFor();
      assert.deepEqual(problems, []);
      await context.close();
    });
  }
}
