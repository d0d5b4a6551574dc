import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { measureLiveCost } from '../../bench/live-cost-measure.js';
import { hashPassword } from '../../src/auth/password.js';
import { openConversation } from '../../src/messaging/queries/conversations.js';
import { defaultLimits } from '../../src/messaging/limits.js';
import type { MessagingDb } from '../../src/messaging/schema.js';
import { startBrowserHarness, type BrowserHarness } from '../support/browser.js';

// Issue 13's wire budgets, per delivered message, measured in Chromium as `npm run bench:live`
// measures them (the same code, fewer messages): two people typing and sending in the composer,
// with both threads open, and with the recipient on the inbox.

const PASSWORD = 'a long enough password';
let h: BrowserHarness;
let conversationId: number;

before(async () => {
  h = await startBrowserHarness();
  const passwordHash = await hashPassword(PASSWORD);
  const ids: number[] = [];
  for (const [username, name] of [['lb_sender', 'Sam Sender'], ['lb_reader', 'Rae Reader']] as const) {
    ids.push((await h.database.db.insertInto('users').values({ username, display_name: name, password_hash: passwordHash }).returning('id').executeTakeFirstOrThrow()).id);
  }
  await h.database.db.insertInto('connections').values({ user_low: Math.min(ids[0]!, ids[1]!), user_high: Math.max(ids[0]!, ids[1]!), requested_by: ids[0]!, status: 'accepted', accepted_at: new Date() }).execute();
  conversationId = await openConversation(h.database.db as unknown as MessagingDb, ids[0]!, ids[1]!, defaultLimits.conversations);
});

test('per delivered message: the recipient fetches nothing and receives ≤ 1.5 KB; the sender fetches nothing besides its send and receives ≤ 2 KB', async () => {
  const result = await measureLiveCost({
    newContext: () => h.context({ javaScript: true, width: 1280 }),
    sender: { username: 'lb_sender', password: PASSWORD },
    recipient: { username: 'lb_reader', password: PASSWORD },
    conversationId,
    messages: 5,
    quietMs: 800,
  });
  for (const scenario of result.scenarios) {
    const { sender, recipient } = scenario.pages;
    const at = `${scenario.name}:`;
    console.log(`# ${at} recipient ${recipient.per_message.requests} requests, ${recipient.per_message.received_bytes} B; sender ${sender.per_message.other.requests} other requests, ${sender.per_message.received_bytes} B; events ${JSON.stringify(recipient.totals.events_by_name)} / ${JSON.stringify(sender.totals.events_by_name)}`);
    assert.equal(recipient.totals.requests, 0, `${at} the recipient fetches nothing: ${JSON.stringify(recipient.totals.by_path)}`);
    assert.ok(recipient.per_message.received_bytes <= 1500, `${at} the recipient receives ${recipient.per_message.received_bytes} bytes a message`);
    assert.equal(sender.totals.other.requests, 0, `${at} the sender fetches nothing besides its send and typing: ${JSON.stringify(sender.totals.by_path)}`);
    assert.ok(sender.per_message.received_bytes <= 2000, `${at} the sender receives ${sender.per_message.received_bytes} bytes a message`);
    // One event per change: for the recipient one message event each; for the sender one message
    // event (its other pages' copy) and one read event (delivered or seen) each.
    const messages = result.messages;
    assert.equal(recipient.totals.events_by_name.message?.events, messages, `${at} one message event a message for the recipient`);
    assert.equal(sender.totals.events_by_name.message?.events, messages, `${at} one message event a message for the sender`);
    assert.equal(sender.totals.events_by_name.read?.events, messages, `${at} one read event a message for the sender`);
    assert.equal(recipient.totals.events_by_name.thread, undefined, `${at} no hints`);
  }
});
