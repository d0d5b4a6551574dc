import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { hashPassword } from '../../src/auth/password.js';
import { DISPLAY_NAME_MAX } from '../../src/auth/validation.js';
import { logInPage, shot, startBrowserHarness, type BrowserHarness } from '../support/browser.js';

// The profile page (issue 15, items 1 and 2): the longest name wraps on a phone instead of being
// cut, and the "More" menu (Report, Block) opens over the card, reachable, with JavaScript and
// without it.

const PASSWORD = 'a long enough password';
const LONG_NAME = 'W'.repeat(DISPLAY_NAME_MAX);
let h: BrowserHarness;

before(async () => {
  h = await startBrowserHarness();
  const passwordHash = await hashPassword(PASSWORD);
  await h.database.db
    .insertInto('users')
    .values([
      { username: 'pl_ana', display_name: 'Ana Layout', password_hash: passwordHash },
      { username: 'pl_long_username_here', display_name: LONG_NAME, password_hash: passwordHash },
    ])
    .execute();
});

for (const javaScript of [true, false]) {
  for (const width of [390, 1280]) {
    test(`a long name wraps and the More menu is reachable (${width} px, JavaScript ${javaScript ? 'on' : 'off'})`, async () => {
      const context = await h.context({ javaScript, width });
      const page = await logInPage(context, 'pl_ana', PASSWORD);
      await page.goto('/u/pl_long_username_here');
      const heading = page.locator('#profile-name');
      assert.equal(await heading.evaluate((el) => el.scrollWidth <= el.clientWidth), true, 'the name is not cut');
      const headingBox = await heading.boundingBox();
      assert.ok(headingBox && headingBox.x + headingBox.width <= width, 'the name stays on the screen');
      assert.equal(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth <= 0), true, 'nothing wider than the screen');

      await page.getByText('More', { exact: true }).click();
      for (const name of [`Report ${LONG_NAME}`, `Block ${LONG_NAME}`]) {
        const item = page.getByRole('link', { name });
        await item.waitFor();
        // Reachable: the item itself is what a tap at its centre hits (nothing clips or covers it).
        const hit = await item.evaluate((el) => {
          const box = el.getBoundingClientRect();
          el.scrollIntoView({ block: 'nearest' });
          const again = el.getBoundingClientRect();
          return box.width > 0 && el.contains(document.elementFromPoint(again.left + again.width / 2, again.top + again.height / 2));
        });
        assert.equal(hit, true, `${name} can be tapped`);
      }
      assert.equal(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth <= 0), true, 'the open menu is no wider than the screen');
      await page.screenshot({ path: shot(`profile-menu-${width}-${javaScript ? 'js' : 'nojs'}`), fullPage: true });
      await page.getByRole('link', { name: `Block ${LONG_NAME}` }).click();
      await page.waitForURL('**/u/pl_long_username_here/block');
      await context.close();
    });
  }
}
