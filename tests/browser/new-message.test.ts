import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { hashPassword } from '../../src/auth/password.js';
import { logInPage, shot, startBrowserHarness, type BrowserHarness } from '../support/browser.js';

// "New message" in the inbox (issue 15): a picker over my connections that filters as I type
// with JavaScript and is a search form without it; choosing someone opens our conversation.

const PASSWORD = 'a long enough password';
let h: BrowserHarness;
let serial = 0;

before(async () => {
  h = await startBrowserHarness();
});

async function people(tag: string) {
  serial += 1;
  const passwordHash = await hashPassword(PASSWORD);
  const me = `nmb_${tag}${serial}`;
  const rows = await h.database.db
    .insertInto('users')
    .values([
      { username: me, display_name: 'Nora Newmessage', password_hash: passwordHash },
      { username: `nmb_${tag}${serial}_ana`, display_name: 'Ana Martínez', password_hash: passwordHash },
      { username: `nmb_${tag}${serial}_marta`, display_name: 'Marta Lopez', password_hash: passwordHash },
      { username: `nmb_${tag}${serial}_zoe`, display_name: 'Zoe Walker', password_hash: passwordHash },
    ])
    .returning(['id', 'username'])
    .execute();
  const [mine, ...others] = rows;
  for (const other of others) {
    await h.database.db.insertInto('connections').values({ user_low: Math.min(mine!.id, other.id), user_high: Math.max(mine!.id, other.id), requested_by: mine!.id, status: 'accepted', accepted_at: new Date() }).execute();
  }
  return { me, marta: `nmb_${tag}${serial}_marta` };
}

for (const javaScript of [true, false]) {
  for (const width of [390, 1280]) {
    test(`New message: pick a connection by name and land in the conversation (${width} px, JavaScript ${javaScript ? 'on' : 'off'})`, async () => {
      const { me, marta } = await people(`${javaScript ? 'j' : 'n'}${width}`);
      const context = await h.context({ javaScript, width });
      const page = await logInPage(context, me, PASSWORD);
      await page.getByRole('link', { name: 'New message' }).click();
      await page.waitForURL('**/messages/new');
      const box = page.getByRole('searchbox', { name: /To/ });
      assert.equal(await box.evaluate((el) => el === document.activeElement), true, 'the To box has focus');
      assert.equal(await page.locator('[data-contact]').count(), 3);
      if (javaScript) {
        // Filters as I type, without a page load.
        await box.pressSequentially('lop', { delay: 30 });
        await page.waitForFunction(() => document.querySelectorAll('[data-contact]').length === 1);
      } else {
        await box.fill('lop');
        await page.getByRole('button', { name: 'Search' }).click();
        await page.waitForURL('**/messages/new?q=lop');
      }
      assert.deepEqual(await page.locator('[data-contact]').evaluateAll((els) => els.map((el) => el.getAttribute('data-contact'))), [marta]);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `no sideways scrolling (${overflow}px)`);
      await page.screenshot({ path: shot(`new-message-${width}-${javaScript ? 'js' : 'nojs'}`) });
      const target = page.getByRole('button', { name: /Message Marta Lopez/ });
      const size = await target.boundingBox();
      assert.ok(size && size.height >= 44, 'a tap target of at least 44 px');
      await target.click();
      await page.waitForURL(/\/messages\/\d+$/);
      assert.equal(await page.locator('#thread-title').innerText(), 'Marta Lopez');
      await context.close();
    });
  }
}
