import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { BrowserContext, Page, Request } from 'playwright-core';
import { hashPassword } from '../../src/auth/password.js';
import { logInPage, shot, startBrowserHarness, type BrowserHarness } from '../support/browser.js';

// What a reader sees while messages arrive agrees everywhere: badge, title and inbox row, with the
// conversation open (nothing unread) or elsewhere (counted). One event per page carries the message
// (where its conversation is open), the row and the count, already read when the page showing it
// is visible: no page fetches anything after a message, the sender's neither.

const PASSWORD = 'a long enough password';
let h: BrowserHarness;

before(async () => {
  h = await startBrowserHarness();
  const passwordHash = await hashPassword(PASSWORD);
  const ids = [];
  for (const [username, name] of [['lc_ann', 'Ann Counts'], ['lc_ben', 'Ben Counts'], ['lc_cat', 'Cat Counts']] as const) {
    ids.push((await h.database.db.insertInto('users').values({ username, display_name: name, password_hash: passwordHash }).returning('id').executeTakeFirstOrThrow()).id);
  }
  for (const other of [ids[1]!, ids[2]!]) {
    await h.database.db.insertInto('connections').values({ user_low: Math.min(ids[0]!, other), user_high: Math.max(ids[0]!, other), requested_by: ids[0]!, status: 'accepted', accepted_at: new Date() }).execute();
  }
});

const logIn = (context: BrowserContext, username: string): Promise<Page> => logInPage(context, username, PASSWORD);
const live = (page: Page) => page.waitForFunction(() => document.documentElement.getAttribute('data-live') === 'true');

async function openThreadWith(page: Page, username: string, name: string): Promise<string> {
  await page.goto(`/u/${username}`);
  await page.getByRole('button', { name: `Message ${name}` }).click();
  await page.waitForURL(/\/messages\/\d+$/);
  await live(page);
  return new URL(page.url()).pathname;
}

/** Every request the page makes, but its long-lived event stream. */
function requestsOf(page: Page): string[] {
  const seen: string[] = [];
  page.on('request', (request: Request) => {
    const url = new URL(request.url());
    if (url.pathname !== '/events') seen.push(`${request.method()} ${url.pathname}`);
  });
  return seen;
}

async function send(page: Page, to: string, text: string): Promise<void> {
  await page.getByLabel(`Write a message to ${to}`).fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
  await page.locator('#thread-messages li', { hasText: text }).waitFor();
}

const quiet = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('reading the conversation: badge, title and row stay read while messages arrive; no request', async () => {
  const ann = await logIn(await h.context({ javaScript: true, width: 1280 }), 'lc_ann');
  const ben = await logIn(await h.context({ javaScript: true, width: 1280 }), 'lc_ben');
  await openThreadWith(ann, 'lc_ben', 'Ben Counts');
  const thread = await openThreadWith(ben, 'lc_ann', 'Ann Counts');
  const requests = requestsOf(ben);
  for (const text of ['First while reading', 'Second while reading', 'Third while reading']) {
    await send(ann, 'Ben Counts', text);
    await ben.locator('#thread-messages li', { hasText: text }).waitFor({ timeout: 3000 });
    await quiet(600);
    assert.equal(await ben.locator('#messages-badge').getAttribute('data-unread-count'), '0', `the badge stays at 0 (${text})`);
    assert.equal(await ben.locator('#messages-count').isVisible(), false, 'no count shown');
    assert.doesNotMatch(await ben.title(), /^\(\d+\)/, 'no count in the title');
    const row = ben.locator(`#inbox-list [data-conversation-id="${thread.split('/')[2]}"]`);
    assert.equal(await row.getAttribute('data-unread'), 'false', 'the row is not bold');
    assert.match((await row.textContent()) ?? '', new RegExp(text), 'the row shows the newest message');
  }
  await ben.screenshot({ path: shot('live-counts-reading-1280') });
  assert.deepEqual(requests, [], 'nothing fetched: the server read it for the visible page');
  // Ben's page showing the conversation would read what comes next at once: it goes.
  await ben.context().close();
});

test('on the inbox: the row moves to the top, bold, and the badge and title count it, with no request', async () => {
  const ann = await logIn(await h.context({ javaScript: true, width: 1280 }), 'lc_ann');
  const cat = await logIn(await h.context({ javaScript: true, width: 390 }), 'lc_cat');
  const thread = await openThreadWith(ann, 'lc_cat', 'Cat Counts');
  await cat.goto('/messages');
  await live(cat);
  const before = Number(await cat.locator('#messages-badge').getAttribute('data-unread-count'));
  const requests = requestsOf(cat);
  const annRequests = requestsOf(ann);
  await send(ann, 'Cat Counts', 'Hello Cat, from the inbox test');
  // The sender's own inbox column: the new conversation at the top, from the send's own answer.
  const mine = ann.locator('#inbox-list > li').first();
  await mine.filter({ hasText: 'You: Hello Cat, from the inbox test' }).waitFor({ timeout: 2000 });
  assert.equal(await mine.getAttribute('data-conversation-id'), thread.split('/')[2]);
  assert.equal(await ann.locator(`#inbox-list > li[data-conversation-id="${thread.split('/')[2]}"]`).count(), 1, 'one row for it');
  const first = cat.locator('#inbox-list > li').first();
  await first.filter({ hasText: 'Hello Cat, from the inbox test' }).waitFor({ timeout: 3000 });
  assert.equal(await first.getAttribute('data-unread'), 'true');
  await cat.locator(`#messages-badge[data-unread-count="${before + 1}"]`).waitFor({ timeout: 2000 });
  assert.equal(await cat.locator('#messages-count').textContent(), `${before + 1} unread`);
  assert.match(await cat.title(), new RegExp(`^\\(${before + 1}\\) `));
  assert.equal(await cat.locator('[data-inbox-empty]').count(), 0, 'no "No conversations yet" beside the row');
  await quiet(600);
  await cat.screenshot({ path: shot('live-counts-inbox-390') });
  assert.deepEqual(requests, [], 'the inbox fetches nothing: the row, the count and the note came with the event');
  // The sender: its send (and its typing signal), nothing fetched after; the ticks come drawn.
  assert.deepEqual(annRequests.filter((r) => !r.endsWith('/typing') && r !== 'POST /messages/view'), [`POST ${thread}/messages`], 'the sender: its send and nothing else');
});

test('two tabs of the same person converge: reading in one clears the other’s badge, title and row within a second', async () => {
  const ann = await logIn(await h.context({ javaScript: true, width: 1280 }), 'lc_ann');
  const context = await h.context({ javaScript: true, width: 1280 });
  const tabOne = await logIn(context, 'lc_ben');
  const tabTwo = await context.newPage();
  await tabTwo.goto('/messages');
  await live(tabTwo);
  // Tab one on the people page, tab two on the inbox: the message is counted in both.
  await tabOne.goto('/people');
  await live(tabOne);
  const thread = await openThreadWith(ann, 'lc_ben', 'Ben Counts');
  await send(ann, 'Ben Counts', 'For both of your tabs');
  const id = thread.split('/')[2];
  for (const tab of [tabOne, tabTwo]) await tab.locator('#messages-badge[data-unread-count="1"]').waitFor({ timeout: 2000 });
  await tabTwo.locator(`#inbox-list > li[data-conversation-id="${id}"][data-unread="true"]`).waitFor({ timeout: 2000 });

  // Tab one opens the conversation (and reads it): tab two hears it, with no request of its own.
  const requests = requestsOf(tabTwo);
  await tabOne.goto(thread);
  for (const tab of [tabOne, tabTwo]) await tab.locator('#messages-badge[data-unread-count="0"]').waitFor({ timeout: 1000 });
  await tabTwo.locator(`#inbox-list > li[data-conversation-id="${id}"][data-unread="false"]`).waitFor({ timeout: 1000 });
  assert.doesNotMatch(await tabTwo.title(), /^\(\d+\)/);
  assert.deepEqual(requests, [], 'the other tab fetched nothing');

  // "Mark as unread" in tab one (a plain form): tab two counts it again.
  await tabOne.getByLabel('Conversation options').click();
  await tabOne.getByRole('button', { name: 'Mark as unread' }).click();
  await tabTwo.locator('#messages-badge[data-unread-count="1"]').waitFor({ timeout: 1000 });
  await tabTwo.locator(`#inbox-list > li[data-conversation-id="${id}"][data-unread="true"]`).waitFor({ timeout: 1000 });
  await tabTwo.screenshot({ path: shot('live-counts-two-tabs-1280') });
});

test('a reaction and a deletion on one side redraw the message in place on the other, with no request; a deleted unread message leaves the badge', async () => {
  const ann = await logIn(await h.context({ javaScript: true, width: 1280 }), 'lc_ann');
  const cat = await logIn(await h.context({ javaScript: true, width: 390 }), 'lc_cat');
  const thread = await openThreadWith(ann, 'lc_cat', 'Cat Counts');
  await openThreadWith(cat, 'lc_ann', 'Ann Counts');
  await send(ann, 'Cat Counts', 'React to this one');
  const reacted = cat.locator('#thread-messages li', { hasText: 'React to this one' });
  await reacted.waitFor({ timeout: 3000 });
  const id = (await reacted.getAttribute('data-message-id'))!;

  // Cat reacts: Ann's page draws it in place, fetching nothing.
  const annRequests = requestsOf(ann);
  await reacted.getByLabel('Add reaction').click();
  const choice = reacted.locator('details[open] button[name="react"][value="👍:1"]');
  await choice.waitFor({ state: 'visible' });
  await choice.click();
  await ann.locator(`#m-${id} #r-${id} button[data-emoji="👍"]`, { has: ann.locator('[data-count]:text-is("1")') }).waitFor({ timeout: 2000 });
  await quiet(300);
  assert.deepEqual(annRequests, [], 'the author fetched nothing: the message came redrawn');
  assert.equal(await ann.locator(`#m-${id}`).count(), 1, 'redrawn in place, not added again');

  // Cat goes to the people page; Ann sends and deletes: Cat's badge counts it, then not.
  await cat.goto('/people');
  await live(cat);
  const catRequests = requestsOf(cat);
  await send(ann, 'Cat Counts', 'Sent by mistake');
  await cat.locator('#messages-badge[data-unread-count="1"]').waitFor({ timeout: 2000 });
  const mistake = ann.locator('#thread-messages li', { hasText: 'Sent by mistake' });
  ann.once('dialog', (dialog) => void dialog.accept());
  await mistake.getByLabel('Options for this message').click();
  await mistake.getByRole('button', { name: 'Delete for everyone' }).click();
  await ann.locator('#thread-messages li[data-deleted="true"]').first().waitFor();
  await cat.locator('#messages-badge[data-unread-count="0"]').waitFor({ timeout: 2000 });
  assert.doesNotMatch(await cat.title(), /^\(\d+\)/, 'no count in the title');
  await quiet(300);
  assert.deepEqual(catRequests, [], 'the reader fetched nothing');
  await cat.screenshot({ path: shot('live-counts-deleted-390') });
  assert.ok(thread);
});
