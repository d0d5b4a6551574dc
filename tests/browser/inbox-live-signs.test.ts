import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { hashPassword } from '../../src/auth/password.js';
import type { MessagingDb } from '../../src/messaging/index.js';
import { defaultLimits } from '../../src/messaging/limits.js';
import { openConversation } from '../../src/messaging/queries/conversations.js';
import { sendMessage } from '../../src/messaging/queries/messages.js';
import { logInPage, shot, startBrowserHarness, type BrowserHarness } from '../support/browser.js';

// The inbox's live signs (issue 15): a green dot on the photo of someone with a page open, which
// comes and goes with them, and "typing…" in their row while they type to me.

const PASSWORD = 'a long enough password';
let h: BrowserHarness;

before(async () => {
  h = await startBrowserHarness();
});

for (const width of [390, 1280]) {
  test(`inbox rows show who is active and who is typing, live (${width} px)`, async () => {
    const passwordHash = await hashPassword(PASSWORD);
    const [ann, ben] = await h.database.db
      .insertInto('users')
      .values([
        { username: `ils_ann${width}`, display_name: 'Ann Signs', password_hash: passwordHash },
        { username: `ils_ben${width}`, display_name: 'Ben Types', password_hash: passwordHash },
      ])
      .returning(['id', 'username'])
      .execute();
    await h.database.db.insertInto('connections').values({ user_low: Math.min(ann!.id, ben!.id), user_high: Math.max(ann!.id, ben!.id), requested_by: ann!.id, status: 'accepted', accepted_at: new Date() }).execute();
    const mdb = h.database.db as unknown as MessagingDb;
    const conversation = await openConversation(mdb, ann!.id, ben!.id, defaultLimits.conversations);
    await sendMessage(mdb, { conversationId: conversation, senderId: ben!.id, recipientId: ann!.id, body: 'Hi Ann, quick question', clientId: undefined }, defaultLimits.messages);

    const annContext = await h.context({ javaScript: true, width });
    const annPage = await logInPage(annContext, ann!.username, PASSWORD);
    await annPage.waitForFunction(() => document.documentElement.getAttribute('data-live') === 'true');
    const dot = annPage.locator(`#inbox-row-${conversation} [data-presence-dot]`);
    assert.equal(await dot.getAttribute('data-active'), 'false');
    assert.equal(await dot.isVisible(), false);

    // Ben comes online: Ann's row shows it without a reload.
    const benContext = await h.context({ javaScript: true, width: 1280 });
    const benPage = await logInPage(benContext, ben!.username, PASSWORD);
    await annPage.locator(`#inbox-row-${conversation} [data-presence-dot][data-active="true"]`).waitFor({ state: 'visible', timeout: 5000 });

    // Ben types: "typing…" in place of the preview; his message then replaces it.
    await benPage.goto(`/messages/${conversation}`);
    await benPage.getByLabel('Write a message to Ann Signs').pressSequentially('On my', { delay: 40 });
    const typing = annPage.locator(`#inbox-row-${conversation} .row-typing`);
    await typing.waitFor({ state: 'visible', timeout: 5000 });
    assert.equal(await annPage.locator(`#inbox-row-${conversation} .row-preview`).isVisible(), false);
    await annPage.screenshot({ path: shot(`inbox-typing-${width}`) });
    await benPage.getByLabel('Write a message to Ann Signs').pressSequentially(' way', { delay: 20 });
    await benPage.getByRole('button', { name: 'Send' }).click();
    await annPage.locator(`#inbox-row-${conversation} .row-preview`, { hasText: 'On my way' }).waitFor({ state: 'visible', timeout: 5000 });
    // The row was redrawn by the live message: the dot is still on.
    assert.equal(await annPage.locator(`#inbox-row-${conversation} [data-presence-dot]`).getAttribute('data-active'), 'true');

    // Ben leaves: the dot goes.
    await benContext.close();
    await annPage.locator(`#inbox-row-${conversation} [data-presence-dot][data-active="false"]`).waitFor({ state: 'attached', timeout: 10_000 });
    await annContext.close();
  });
}
