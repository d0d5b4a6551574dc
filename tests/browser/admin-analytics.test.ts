import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { rollUpAnalytics } from '../../src/admin/analytics-rollup.js';
import { addDays, utcDay } from '../../src/admin/analytics-days.js';
import { hashPassword } from '../../src/auth/password.js';
import { logInPage, shot, startBrowserHarness, type BrowserHarness } from '../support/browser.js';

// The analytics dashboard in a real browser, with JavaScript on and off, on a phone and a desktop:
// the charts are server-drawn SVG, so both must show the same page, with nothing scrolling sideways.

const PASSWORD = 'a long enough password';
let h: BrowserHarness;

before(async () => {
  h = await startBrowserHarness();
  const passwordHash = await hashPassword(PASSWORD);
  const db = h.database.db;
  const ids: number[] = [];
  for (let i = 1; i <= 7; i++) {
    const row = await db.insertInto('users').values({ username: `sender_${i}`, display_name: `Sender ${i}`, password_hash: passwordHash }).returning('id').executeTakeFirstOrThrow();
    ids.push(row.id);
  }
  await db.insertInto('users').values({ username: 'boss', display_name: 'The Boss', password_hash: passwordHash, role: 'admin' }).execute();
  // 30 days of traffic: a new conversation most days, some days busy, some with 1 to 4 messages ("<5"), some empty.
  const today = utcDay(new Date());
  for (let back = 29; back >= 0; back--) {
    const day = addDays(today, -back);
    if (back % 7 === 3) continue;
    const a = ids[back % 7]!;
    const b = ids[(back + 1) % 7]!;
    const low = Math.min(a, b);
    const high = Math.max(a, b);
    const conv = await db
      .insertInto('conversations')
      .values({ user_low: low, user_high: high, created_at: new Date(`${day}T08:00:00Z`) } as never)
      .onConflict((oc) => oc.columns(['user_low', 'user_high']).doNothing())
      .returning('id')
      .executeTakeFirst();
    const conversationId = conv?.id ?? (await db.selectFrom('conversations').select('id').where('user_low', '=', low).where('user_high', '=', high).executeTakeFirstOrThrow()).id;
    const count = back % 5 === 0 ? 3 : 5 + ((back * 7) % 40);
    for (let i = 0; i < count; i++) {
      const at = new Date(Date.parse(`${day}T09:00:00Z`) + i * 137_000);
      if (at > new Date()) break;
      await db.insertInto('messages').values({ conversation_id: conversationId, sender_id: i % 2 === 0 ? a : b, body: 'x', created_at: at } as never).execute();
    }
  }
  for (;;) if (!(await rollUpAnalytics(h.database.hostDb)).behind) break;
});

for (const javaScript of [true, false]) {
  for (const width of [390, 1280]) {
    const label = `${javaScript ? 'js' : 'nojs'}-${width}`;
    describe(`admin analytics (${label})`, () => {
      test('the dashboard shows every figure as a chart, with its table, and nothing scrolls sideways', async () => {
        const context = await h.context({ javaScript, width });
        const page = await logInPage(context, 'boss', PASSWORD);
        await page.goto('/admin/analytics');
        assert.equal(await page.getByRole('heading', { level: 1, name: 'Analytics' }).count(), 1);
        assert.equal(await page.locator('[data-figure]').count(), 8);
        assert.equal(await page.locator('[data-figure] svg[role=img]').count(), 8);
        const chartWidth = await page.locator('[data-figure="messages"] svg').evaluate((svg) => svg.getBoundingClientRect().width);
        assert.ok(chartWidth > 250, `the chart fills its card (${chartWidth}px)`);
        await page.locator('[data-figure="messages"] summary').click();
        assert.ok(await page.locator('[data-figure="messages"] table').isVisible());
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `no sideways scrolling (${overflow}px)`);
        await page.screenshot({ path: shot(`admin-analytics-${label}`), fullPage: true });
        await page.locator('[data-figure="messages"]').scrollIntoViewIfNeeded();
        await page.screenshot({ path: shot(`admin-analytics-${label}-chart`) });

        // A range refused: the form again, with the dates as typed and a message.
        await page.goto('/admin/analytics?from=2025-03-06&to=2025-03-01');
        assert.match((await page.locator('[data-range-error]').textContent()) ?? '', /must not be after/);
        assert.equal(await page.locator('input[name=from]').inputValue(), '2025-03-06');
        await context.close();
      });
    });
  }
}
