import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import supertest from 'supertest';
import type { MessagingDb } from '../../src/messaging/index.js';
import { csrfToken, html, sessionCookie, startTestApp, type Agent, type TestApp } from '../support/app.js';
import { closeAllEventStreams, listen, openEventStream, sleep, waitForListeners, type EventStream, type Listening, type SseEvent } from '../support/sse.js';

// Blocking and reporting people (CONTRACT.md, Safety; /tmp/safety-spec.md): a block from either
// side stops messaging both ways without telling the blocked person; a report records only the
// messages the reporter picked from their own conversation with that person.

let t: TestApp;
let server: Listening;

before(async () => {
  t = await startTestApp();
  // Events reach streams only once the instance listens on the database.
  await waitForListeners(t.db, 1);
  server = await listen(t.app);
});

after(async () => {
  closeAllEventStreams();
  await server?.close();
});

afterEach(() => closeAllEventStreams());

/** The app's Db type does not list the messaging tables; the module's own type does. */
const mdb = () => t.db as unknown as MessagingDb;

interface Member {
  agent: Agent;
  id: number;
  username: string;
  name: string;
  token: string;
  cookie: string;
}

let serial = 0;

/** A logged-in member with a unique username; their CSRF token and session cookie, taken once. */
async function member(name: string): Promise<Member> {
  serial += 1;
  const username = `${name}_${serial}`;
  const display = name.charAt(0).toUpperCase() + name.slice(1);
  const agent = await t.userAgent(username, display);
  const token = await csrfToken(agent, '/settings');
  const cookie = await sessionCookie(agent);
  assert.ok(cookie, `${username} has a session cookie`);
  const row = await t.db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirstOrThrow();
  return { agent, id: row.id, username, name: display, token, cookie };
}

type Fields = Record<string, string | readonly string[] | undefined>;

/** A form body as a browser sends it: repeated fields repeat (message_ids=1&message_ids=2). */
function formBody(fields: Fields): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    for (const one of typeof value === 'string' ? [value] : value) params.append(key, one);
  }
  return params.toString();
}

/** A form post with the member's CSRF token (unless `fields` says otherwise). */
const post = (m: Member, path: string, fields: Fields = {}) => m.agent.post(path).type('form').send(formBody({ _csrf: m.token, ...fields }));

async function connectAll(...members: Member[]): Promise<void> {
  for (let i = 0; i < members.length; i += 1) for (let j = i + 1; j < members.length; j += 1) await t.connect(members[i]!.id, members[j]!.id);
}

/** POST /messages {to}: the conversation id it redirects to. */
async function openWith(from: Member, to: Member): Promise<number> {
  const res = await post(from, '/messages', { to: to.username });
  assert.equal(res.status, 303, `${from.username} opens a conversation with ${to.username}: ${res.status}`);
  const match = /^\/messages\/(\d+)$/.exec(res.headers.location ?? '');
  assert.ok(match, `redirects to /messages/:id, got ${res.headers.location}`);
  return Number(match[1]);
}

const postSend = (from: Member, conversationId: number, body: string) => post(from, `/messages/${conversationId}/messages`, { body });

/** Sends through the real route; the new message's id. */
async function send(from: Member, conversationId: number, body: string): Promise<number> {
  const res = await postSend(from, conversationId, body);
  assert.equal(res.status, 303, `${from.username} sends in ${conversationId}: ${res.status} ${res.text.slice(0, 200)}`);
  const match = new RegExp(`^/messages/${conversationId}#m-(\\d+)$`).exec(res.headers.location ?? '');
  assert.ok(match, `redirects to the new message, got ${res.headers.location}`);
  return Number(match[1]);
}

/** Two connected members, their conversation (opened by the first) and one message from each. */
async function scene(nameA = 'alice', nameB = 'bob') {
  const a = await member(nameA);
  const b = await member(nameB);
  await connectAll(a, b);
  const conversation = await openWith(a, b);
  const fromA = await send(a, conversation, `hello from ${a.name}`);
  const fromB = await send(b, conversation, `hello from ${b.name}`);
  return { a, b, conversation, fromA, fromB };
}

async function messagesIn(conversationId: number) {
  return mdb().selectFrom('messages').selectAll().where('conversation_id', '=', conversationId).orderBy('id').execute();
}

async function conversationsBetween(a: Member, b: Member) {
  return mdb()
    .selectFrom('conversations')
    .selectAll()
    .where('user_low', '=', Math.min(a.id, b.id))
    .where('user_high', '=', Math.max(a.id, b.id))
    .execute();
}

async function connectionBetween(a: Member, b: Member) {
  return t.db
    .selectFrom('connections')
    .selectAll()
    .where('user_low', '=', Math.min(a.id, b.id))
    .where('user_high', '=', Math.max(a.id, b.id))
    .execute();
}

/** The blocks rows between two members, either way. */
async function blocksBetween(a: Member, b: Member) {
  return t.db
    .selectFrom('blocks')
    .select(['blocker_id', 'blocked_id'])
    .where('blocker_id', 'in', [a.id, b.id])
    .where('blocked_id', 'in', [a.id, b.id])
    .orderBy('blocker_id')
    .execute();
}

/** Audit rows of one action that involve any of the members (as actor or subject). */
async function audit(action: string, ...members: Member[]) {
  const ids = members.map((m) => m.id);
  return t.db
    .selectFrom('audit_log')
    .selectAll()
    .where('action', '=', action)
    .where((eb) => eb.or([eb('actor_id', 'in', ids), eb('subject_user_id', 'in', ids)]))
    .orderBy('id')
    .execute();
}

async function reportsBy(reporter: Member) {
  return t.db.selectFrom('reports').selectAll().where('reporter_id', '=', reporter.id).orderBy('id').execute();
}

async function evidenceOf(reportIds: number[]) {
  if (reportIds.length === 0) return [];
  return t.db.selectFrom('report_evidence').selectAll().where('report_id', 'in', reportIds).orderBy('message_id').execute();
}

/** Everything a block or report could have written about these members. */
async function safetyState(...members: Member[]) {
  const ids = members.map((m) => m.id);
  const reports = await t.db.selectFrom('reports').selectAll().where('reporter_id', 'in', ids).orderBy('id').execute();
  return {
    blocks: await t.db.selectFrom('blocks').selectAll().where('blocker_id', 'in', ids).orderBy('blocker_id').orderBy('blocked_id').execute(),
    reports,
    evidence: await evidenceOf(reports.map((r) => r.id)),
    audit: (await Promise.all(['user.blocked', 'user.unblocked', 'report.created'].map((action) => audit(action, ...members)))).flat(),
  };
}

async function page(m: Member, path: string) {
  const res = await m.agent.get(path);
  assert.equal(res.status, 200, `${m.username} GET ${path}: ${res.status}`);
  return html(res.text);
}

/** The visible text of an element, whitespace folded. */
const textOf = (value: string) => value.replace(/\s+/g, ' ').trim();

/** The one-line notice a Post/Redirect/Get carries to the next page. */
// The flash: atop main, or on the thread page in its column under the header ([data-flash]).
const flashOf = ($: ReturnType<typeof html>) => textOf($('main > p[role=status], main [data-flash]').text());

async function streamOf(m: Member): Promise<EventStream> {
  const stream = await openEventStream(server.baseUrl, m.cookie);
  assert.equal(stream.status, 200, `${m.username}'s event stream opens`);
  return stream;
}

const typingIn = (conversationId: number, userId: number, since = 0) => (e: SseEvent) =>
  e.index >= since && e.event === 'typing' && e.data.includes(`data-conversation-id="${conversationId}"`) && e.data.includes(`data-user-id="${userId}"`);

async function until(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/**
 * Signals go through one LISTEN connection in commit order, and typing events are sent as they
 * are heard: once `relay`'s typing reaches `stream`, every signal committed before it was handled.
 */
async function drain(stream: EventStream, relay: Member, relayConversation: number): Promise<void> {
  const mark = stream.events.length;
  const res = await relay.agent.post(`/messages/${relayConversation}/typing`).set('HX-Request', 'true').set('X-CSRF-Token', relay.token);
  assert.equal(res.status, 204);
  await stream.waitFor(typingIn(relayConversation, relay.id, mark), 2000, `the relay's typing in ${relayConversation}`);
}

/**
 * With `blocker` having blocked `blocked` and their conversation `conversation`: nothing can be sent
 * either way, neither can (re)open or connect, and the thread pages say so the right way.
 */
async function assertStoppedBothWays(blocker: Member, blocked: Member, conversation: number) {
  const messagesBefore = await messagesIn(conversation);
  const connectionBefore = await connectionBetween(blocker, blocked);

  for (const [from, to] of [
    [blocked, blocker],
    [blocker, blocked],
  ] as const) {
    // (Words that do not name the block: the refusal shows the text back, kept.)
    const sent = await postSend(from, conversation, `across the line from ${from.username}`);
    assert.equal(sent.status, 403, `${from.username} sends to ${to.username} across the block`);
    const htmx = await from.agent
      .post(`/messages/${conversation}/messages`)
      .type('form')
      .set('HX-Request', 'true')
      .set('X-CSRF-Token', from.token)
      .send(formBody({ body: `htmx through the block from ${from.username}` }));
    assert.equal(htmx.status, 403, `${from.username} sends with htmx across the block`);

    const opened = await post(from, '/messages', { to: to.username });
    assert.equal(opened.status, 403, `${from.username} POST /messages {to: ${to.username}}`);
    assert.equal(opened.headers.location, undefined);

    const connect = await post(from, '/connections', { username: to.username });
    assert.equal(connect.status, 403, `${from.username} POST /connections {username: ${to.username}}`);

    if (from === blocked) {
      // The refusals do not tell the blocked person why.
      for (const res of [sent, opened, connect]) assert.doesNotMatch(textOf(html(res.text)('main').text()), /block/i, `a refusal to ${from.username} mentions the block`);
    }
  }
  assert.deepEqual(await messagesIn(conversation), messagesBefore, 'nothing was stored');
  assert.equal((await conversationsBetween(blocker, blocked)).length, 1, 'still the one conversation');
  assert.deepEqual(await connectionBetween(blocker, blocked), connectionBefore, 'the connection did not change');

  // The blocker's thread: says they blocked, offers to undo it, no composer.
  const mine = await page(blocker, `/messages/${conversation}`);
  const myBarrier = mine('#thread-barrier');
  assert.equal(myBarrier.length, 1, 'the blocker sees a barrier');
  assert.equal(myBarrier.attr('data-barrier'), 'i-blocked');
  assert.match(textOf(myBarrier.text()), new RegExp(`You blocked ${blocked.name}`));
  const undo = myBarrier.find(`form[method=post][action="/u/${blocked.username}/unblock"]`);
  assert.equal(undo.length, 1, 'an unblock form in the barrier');
  assert.equal(undo.find('input[name=_csrf]').val(), blocker.token);
  assert.equal(mine('form#composer').length, 0, 'no composer for the blocker');
  assert.equal(mine('[data-typing]').length, 0);
  assert.doesNotMatch(textOf(mine('main').text()), /Active now/);

  // The blocked person's thread: they can no longer send, and are not told why.
  const theirs = await page(blocked, `/messages/${conversation}`);
  const theirBarrier = theirs('#thread-barrier');
  assert.equal(theirBarrier.length, 1, 'the blocked person sees a barrier');
  assert.equal(theirBarrier.attr('data-barrier'), 'blocked');
  assert.match(textOf(theirBarrier.text()), /You can no longer send messages in this conversation/);
  assert.doesNotMatch(theirBarrier.text(), /block/i, 'the blocked person is not told about the block');
  assert.equal(theirBarrier.find('form').length, 0, 'nothing for them to undo');
  assert.equal(theirs('form#composer').length, 0, 'no composer for the blocked person');
  assert.equal(theirs('[data-typing]').length, 0, 'no typing indicator across a block');
  assert.equal(theirs(`[data-presence-user="${blocker.id}"][data-active]`).length, 0, 'no presence across a block');
  assert.equal(theirs(`[data-presence-user="${blocker.id}"]`).text(), `@${blocker.username}`, 'their username in its place');
  assert.doesNotMatch(textOf(theirs('main').text()), /Active now/);
  assert.doesNotMatch(textOf(theirs('main').text()), /blocked/i, 'nothing on the page says they were blocked');
}

describe('blocking', () => {
  test('A blocks B from the thread: 303 back to the thread; neither can send, open or connect; barriers, no typing or presence across it', async () => {
    const { a, b, conversation } = await scene('alice', 'bob');
    // A third person, to show the streams are live (and when everything before was handled).
    const carol = await member('carol');
    await connectAll(carol, a);
    await connectAll(carol, b);
    const carolA = await openWith(carol, a);
    const carolB = await openWith(carol, b);
    const aStream = await streamOf(a);
    const bStream = await streamOf(b);

    // Before: presence and typing go across, so their absence later means something.
    await until(async () => /Active now/.test((await page(b, `/messages/${conversation}`))('main').text()), 3000, 'bob to see alice active');
    await until(async () => /Active now/.test((await page(a, `/messages/${conversation}`))('main').text()), 3000, 'alice to see bob active');
    const typed = await a.agent.post(`/messages/${conversation}/typing`).set('HX-Request', 'true').set('X-CSRF-Token', a.token);
    assert.equal(typed.status, 204);
    await bStream.waitFor(typingIn(conversation, a.id), 2000, "alice's typing before the block");
    const before = await page(b, `/messages/${conversation}`);
    assert.equal(before('form#composer').length, 1, 'bob has a composer before the block');
    assert.equal(before('[data-typing]').length, 1, 'bob has a typing indicator before the block');

    // The confirmation page carries where to return.
    const confirm = await page(a, `/u/${b.username}/block?next=${encodeURIComponent(`/messages/${conversation}`)}`);
    const form = confirm(`form[method=post][action="/u/${b.username}/block"]`);
    assert.equal(form.length, 1, 'a form posting to the block route');
    assert.equal(form.find('input[name=next]').val(), `/messages/${conversation}`);
    assert.equal(form.find('input[name=_csrf]').val(), a.token);

    const res = await post(a, `/u/${b.username}/block`, { next: `/messages/${conversation}` });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, `/messages/${conversation}`);
    assert.deepEqual(await blocksBetween(a, b), [{ blocker_id: a.id, blocked_id: b.id }]);

    await assertStoppedBothWays(a, b, conversation);

    // Typing still answers 204, but nothing reaches the other side.
    const aMark = aStream.events.length;
    const bMark = bStream.events.length;
    for (const from of [a, b]) {
      const res2 = await from.agent.post(`/messages/${conversation}/typing`).set('HX-Request', 'true').set('X-CSRF-Token', from.token);
      assert.equal(res2.status, 204, `${from.username} typing across the block`);
      const form2 = await from.agent.post(`/messages/${conversation}/typing`).type('form').send(formBody({ _csrf: from.token }));
      assert.equal(form2.status, 204, `${from.username} typing (form) across the block`);
    }
    await drain(bStream, carol, carolB);
    await drain(aStream, carol, carolA);
    assert.deepEqual(bStream.matching(typingIn(conversation, a.id, bMark)), [], 'bob hears no typing from alice');
    assert.deepEqual(aStream.matching(typingIn(conversation, b.id, aMark)), [], 'alice hears no typing from bob');
  });

  test('a foreign or missing next falls back to the profile', async () => {
    const a = await member('alice');
    const b = await member('bob');
    for (const next of [undefined, '//evil.com', 'https://evil.com/x', '/\\evil.com', 'messages']) {
      const res = await post(a, `/u/${b.username}/block`, { next });
      assert.equal(res.status, 303, `block with next=${next}`);
      assert.equal(res.headers.location, `/u/${b.username}`, `next=${next} falls back to /u/${b.username}`);
      const undo = await post(a, `/u/${b.username}/unblock`, { next });
      assert.equal(undo.status, 303, `unblock with next=${next}`);
      assert.equal(undo.headers.location, `/u/${b.username}`, `unblock next=${next} falls back to /u/${b.username}`);
    }
    const confirm = await page(a, `/u/${b.username}/block?next=${encodeURIComponent('//evil.com')}`);
    assert.equal(confirm(`form[action="/u/${b.username}/block"] input[name=next]`).val(), `/u/${b.username}`, 'the confirmation page drops a foreign next');
  });

  test('B blocks A: the same, the other way round (a block from either side stops both)', async () => {
    const { a, b, conversation } = await scene('alice', 'bob');
    const res = await post(b, `/u/${a.username}/block`, { next: `/messages/${conversation}` });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, `/messages/${conversation}`);
    assert.deepEqual(await blocksBetween(a, b), [{ blocker_id: b.id, blocked_id: a.id }]);
    await assertStoppedBothWays(b, a, conversation);
  });

  test('blocking twice is harmless; the blocked side cannot lift it; unblocking restores sending; audit rows are right', async () => {
    const { a, b, conversation } = await scene('alice', 'bob');
    for (let i = 0; i < 2; i += 1) {
      const res = await post(a, `/u/${b.username}/block`);
      assert.equal(res.status, 303, `block #${i + 1}`);
    }
    assert.deepEqual(await blocksBetween(a, b), [{ blocker_id: a.id, blocked_id: b.id }], 'one blocks row');
    const blockedRows = await audit('user.blocked', a, b);
    assert.equal(blockedRows.length, 1, 'one user.blocked audit row');
    assert.equal(blockedRows[0]!.actor_id, a.id);
    assert.equal(blockedRows[0]!.subject_user_id, b.id);
    assert.equal(blockedRows[0]!.conversation_id, null);
    assert.equal(blockedRows[0]!.message_id, null);
    assert.equal(blockedRows[0]!.report_id, null);

    // The blocked person "unblocking" the blocker changes nothing.
    const fake = await post(b, `/u/${a.username}/unblock`);
    assert.equal(fake.status, 303);
    assert.deepEqual(await blocksBetween(a, b), [{ blocker_id: a.id, blocked_id: b.id }], 'still blocked');
    assert.deepEqual(await audit('user.unblocked', a, b), [], 'no unblock was recorded');
    assert.equal((await postSend(b, conversation, 'still blocked?')).status, 403);

    const undo = await post(a, `/u/${b.username}/unblock`);
    assert.equal(undo.status, 303);
    assert.equal(undo.headers.location, `/u/${b.username}`);
    assert.deepEqual(await blocksBetween(a, b), [], 'the block is gone');
    const again = await post(a, `/u/${b.username}/unblock`);
    assert.equal(again.status, 303, 'unblocking again is harmless');
    const unblockedRows = await audit('user.unblocked', a, b);
    assert.equal(unblockedRows.length, 1, 'one user.unblocked audit row');
    assert.equal(unblockedRows[0]!.actor_id, a.id);
    assert.equal(unblockedRows[0]!.subject_user_id, b.id);
    assert.equal((await audit('user.blocked', a, b)).length, 1, 'still one user.blocked row');

    const fromB = await send(b, conversation, 'we can talk again');
    const fromA = await send(a, conversation, 'yes we can');
    assert.deepEqual(
      (await messagesIn(conversation)).slice(-2).map((m) => [m.id, m.sender_id, m.body]),
      [
        [fromB, b.id, 'we can talk again'],
        [fromA, a.id, 'yes we can'],
      ],
    );
    for (const m of [a, b]) {
      const $ = await page(m, `/messages/${conversation}`);
      assert.equal($('#thread-barrier').length, 0, `no barrier for ${m.username} after the unblock`);
      assert.equal($('form#composer').length, 1, `${m.username} has a composer again`);
    }
  });

  test('blocked both ways: one side unblocking is not enough', async () => {
    const { a, b, conversation } = await scene('alice', 'bob');
    assert.equal((await post(a, `/u/${b.username}/block`)).status, 303);
    assert.equal((await post(b, `/u/${a.username}/block`)).status, 303);
    assert.equal((await blocksBetween(a, b)).length, 2);
    assert.equal((await post(a, `/u/${b.username}/unblock`)).status, 303);
    assert.equal((await postSend(a, conversation, 'a to b')).status, 403, 'b still blocks a');
    assert.equal((await postSend(b, conversation, 'b to a')).status, 403, "bob's own block still holds");
    const $ = await page(a, `/messages/${conversation}`);
    assert.equal($('#thread-barrier').attr('data-barrier'), 'blocked', 'alice is now only the blocked side');
    assert.equal((await post(b, `/u/${a.username}/unblock`)).status, 303);
    await send(a, conversation, 'free again');
  });

  test('a block before any conversation: neither can open one, even as connections; no conversation row', async () => {
    const a = await member('alice');
    const b = await member('bob');
    await connectAll(a, b);
    assert.equal((await post(a, `/u/${b.username}/block`)).status, 303);
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      const res = await post(from, '/messages', { to: to.username });
      assert.equal(res.status, 403, `${from.username} opens with ${to.username}`);
    }
    assert.deepEqual(await conversationsBetween(a, b), [], 'no conversation was created');
    assert.deepEqual(await audit('conversation.created', a, b), []);

    // Control: after the unblock the same request opens one.
    assert.equal((await post(a, `/u/${b.username}/unblock`)).status, 303);
    const id = await openWith(b, a);
    assert.deepEqual(
      (await conversationsBetween(a, b)).map((c) => c.id),
      [id],
    );
  });

  test('/settings/blocked lists whom I blocked, each with an unblock form that returns there; empty otherwise', async () => {
    const a = await member('alice');
    const b = await member('bob');
    const c = await member('carol');

    const settings = await page(a, '/settings');
    assert.equal(settings('a[href="/settings/blocked"]').length >= 1, true, '/settings links to the list');

    const empty = await page(a, '/settings/blocked');
    assert.equal(empty('[data-blocked-empty]').length, 1, 'empty state');
    assert.equal(empty('#blocked-list li').length, 0);

    assert.equal((await post(a, `/u/${b.username}/block`)).status, 303);
    // Someone blocking alice does not put anyone on alice's list.
    assert.equal((await post(c, `/u/${a.username}/block`)).status, 303);

    const listed = await page(a, '/settings/blocked');
    assert.equal(listed('[data-blocked-empty]').length, 0);
    const rows = listed('#blocked-list li[data-blocked-user]');
    assert.deepEqual(
      rows.map((_i, el) => listed(el).attr('data-blocked-user')).get(),
      [b.username],
    );
    const unblockForm = rows.first().find(`form[method=post][action="/u/${b.username}/unblock"]`);
    assert.equal(unblockForm.length, 1, 'an unblock form');
    assert.equal(unblockForm.find('input[name=next]').val(), '/settings/blocked');
    const fields: Record<string, string> = {};
    unblockForm.find('input[name]').each((_i, el) => {
      fields[listed(el).attr('name')!] = String(listed(el).val() ?? '');
    });
    assert.equal(fields._csrf, a.token);

    const res = await a.agent.post(`/u/${b.username}/unblock`).type('form').send(formBody(fields));
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/settings/blocked');
    assert.deepEqual(await blocksBetween(a, b), []);
    const after = await page(a, '/settings/blocked');
    assert.equal(after('[data-blocked-empty]').length, 1, 'empty again');
    assert.equal(after('#blocked-list li').length, 0);

    const carolsList = await page(c, '/settings/blocked');
    assert.deepEqual(
      carolsList('#blocked-list li[data-blocked-user]').map((_i, el) => carolsList(el).attr('data-blocked-user')).get(),
      [a.username],
    );
  });

  test('profiles: the blocker sees a notice and an unblock form, no Message button; the blocked person sees neither a Message button nor a notice', async () => {
    const a = await member('alice');
    const b = await member('bob');
    await connectAll(a, b);

    // Control: connected, both see a Message button and no notice.
    const beforeA = await page(a, `/u/${b.username}`);
    assert.equal(beforeA('form[action="/messages"]').length, 1, 'alice has a Message button before');
    assert.equal(beforeA('[data-blocked-notice]').length, 0);
    assert.equal(beforeA(`[data-profile-menu] a[href="/u/${b.username}/block"]`).length, 1, 'a Block link before');
    assert.equal((await page(b, `/u/${a.username}`))('form[action="/messages"]').length, 1, 'bob has a Message button before');

    assert.equal((await post(a, `/u/${b.username}/block`)).status, 303);

    const mine = await page(a, `/u/${b.username}`);
    assert.equal(mine('[data-blocked-notice]').length, 1, 'the blocker sees the notice');
    assert.match(textOf(mine('[data-blocked-notice]').text()), /You blocked/);
    const menu = mine('[data-profile-menu]');
    assert.equal(menu.length, 1);
    assert.equal(menu.find(`form[method=post][action="/u/${b.username}/unblock"]`).length, 1, 'an unblock form in the menu');
    assert.equal(menu.find(`a[href="/u/${b.username}/block"]`).length, 0, 'no Block link any more');
    assert.equal(menu.find(`a[href="/u/${b.username}/report"]`).length, 1, 'a Report link');
    assert.equal(mine('form[action="/messages"]').length, 0, 'no Message button for the blocker');

    const theirs = await page(b, `/u/${a.username}`);
    assert.equal(theirs('form[action="/messages"]').length, 0, 'no Message button for the blocked person');
    assert.equal(theirs('[data-blocked-notice]').length, 0, 'no notice for the blocked person');
    assert.equal(theirs(`form[action="/u/${a.username}/unblock"]`).length, 0);
    assert.doesNotMatch(textOf(theirs('main').text()), /blocked/i, 'nothing says they were blocked');
  });

  test('validation and auth: unknown person 404, yourself 400, logged out 401 / 303 to login, missing CSRF 403 with nothing changed', async () => {
    const a = await member('alice');
    const b = await member('bob');
    await connectAll(a, b);
    const initial = await safetyState(a, b);

    for (const path of ['/u/nobody_here_xyz/block', '/u/nobody_here_xyz/report']) {
      assert.equal((await a.agent.get(path)).status, 404, `GET ${path}`);
    }
    for (const path of ['/u/nobody_here_xyz/block', '/u/nobody_here_xyz/unblock', '/u/nobody_here_xyz/report']) {
      const res = await post(a, path, { reason: 'spam', details: 'x' });
      assert.equal(res.status, 404, `POST ${path}`);
    }

    const self = await post(a, `/u/${a.username}/block`);
    assert.equal(self.status, 400, 'blocking yourself');
    assert.equal((await a.agent.get(`/u/${a.username}/block`)).status, 400, 'the confirmation page for yourself');
    assert.equal((await post(a, `/u/${a.username}/unblock`)).status, 400, 'unblocking yourself');
    assert.equal((await post(a, `/u/${a.username}/report`, { reason: 'spam' })).status, 400, 'reporting yourself');

    const anonymous = supertest.agent(t.app);
    for (const path of [`/u/${b.username}/block`, `/u/${b.username}/unblock`, `/u/${b.username}/report`]) {
      const res = await anonymous.post(path).type('form').send(formBody({ reason: 'spam', details: 'x' }));
      assert.equal(res.status, 401, `logged out POST ${path}`);
    }
    for (const path of [`/u/${b.username}/block`, `/u/${b.username}/report`]) {
      const res = await anonymous.get(path);
      assert.equal(res.status, 303, `logged out GET ${path}`);
      assert.match(res.headers.location ?? '', /^\/login(\?|$)/);
    }

    for (const token of [undefined, 'not-the-token']) {
      for (const path of [`/u/${b.username}/block`, `/u/${b.username}/report`]) {
        const res = await a.agent.post(path).type('form').send(formBody({ _csrf: token, reason: 'harassment', details: 'csrf', block: 'on' }));
        assert.equal(res.status, 403, `POST ${path} with CSRF token ${token}`);
      }
    }
    assert.deepEqual(await safetyState(a, b), initial, 'nothing changed');

    // An unblock without a token leaves the block in place.
    assert.equal((await post(a, `/u/${b.username}/block`)).status, 303);
    const noToken = await a.agent.post(`/u/${b.username}/unblock`).type('form').send('');
    assert.equal(noToken.status, 403);
    assert.deepEqual(await blocksBetween(a, b), [{ blocker_id: a.id, blocked_id: b.id }], 'still blocked');
    assert.deepEqual(await audit('user.unblocked', a, b), []);
  });

  test('the blocked person is not notified: no event on their stream, no flash on their next page', async () => {
    const { a, b, conversation } = await scene('alice', 'bob');
    const carol = await member('carol');
    await connectAll(carol, b);
    const carolB = await openWith(carol, b);
    const bStream = await streamOf(b);
    await drain(bStream, carol, carolB);
    const mark = bStream.events.length;

    const res = await post(a, `/u/${b.username}/block`, { next: `/messages/${conversation}` });
    assert.equal(res.status, 303);
    // Control: the blocker's own next page carries the flash, where bob's would show it.
    const aNext = await page(a, res.headers.location!);
    assert.match(flashOf(aNext), /You blocked/);

    await sleep(1500);
    await drain(bStream, carol, carolB);
    const mentions = bStream.events.filter(
      (e) => e.index >= mark && (/block|barrier/i.test(e.data.replace(/<[^>]*>/g, ' ')) || /blocked|unblock|data-barrier/i.test(e.data)),
    );
    assert.deepEqual(mentions, [], 'no event mentions the block');
    assert.equal(bStream.ended, false, 'the stream stays open');

    for (const path of ['/messages', `/messages/${conversation}`, `/u/${a.username}`]) {
      const $ = await page(b, path);
      assert.equal(flashOf($), '', `no flash for bob on ${path}`);
    }
  });
});

describe('reporting', () => {
  /** Three connected members; A-B, A-C and B-C conversations, each with messages. */
  async function trio() {
    const a = await member('alice');
    const b = await member('bob');
    const c = await member('carol');
    await connectAll(a, b, c);
    const ab = await openWith(a, b);
    const ac = await openWith(a, c);
    const bc = await openWith(b, c);
    const abIds = [
      await send(a, ab, '<b>bold</b> & "quoted" <script>alert(1)</script>'),
      await send(b, ab, 'second, from bob'),
      await send(a, ab, 'third, from alice'),
      await send(b, ab, 'fourth, from bob'),
    ];
    const acIds = [await send(a, ac, 'only for carol, from alice')];
    const bcIds = [await send(b, bc, 'bob whispers to carol')];
    return { a, b, c, ab, ac, bc, abIds, acIds, bcIds };
  }

  const evidenceIds = ($: ReturnType<typeof html>) =>
    $('[data-evidence-list] input[type=checkbox][name=message_ids]')
      .map((_i, el) => Number($(el).val()))
      .get();

  test('GET /u/:username/report: the form, with the newest messages of our conversation as escaped, tickable evidence and nothing from other conversations', async () => {
    const { a, b, ab, abIds, acIds, bcIds } = await trio();
    const res = await a.agent.get(`/u/${b.username}/report?from=${ab}`);
    assert.equal(res.status, 200);
    const $ = html(res.text);
    const form = $(`form[method=post][action="/u/${b.username}/report"]`);
    assert.equal(form.length, 1);
    assert.equal(form.find('input[name=_csrf]').val(), a.token);
    assert.deepEqual(
      form.find('input[type=radio][name=reason]').map((_i, el) => $(el).val()).get(),
      ['spam', 'harassment', 'other'],
    );
    assert.equal(form.find('textarea#report-details[name=details]').length, 1);
    assert.equal(form.find('input[type=checkbox][name=block][value=on]').length, 1, 'an "Also block" box');
    assert.equal(form.find('input[name=from]').val(), `/messages/${ab}`);

    assert.deepEqual(evidenceIds($).sort((x, y) => x - y), abIds, 'exactly the messages of our conversation');
    for (const id of [...acIds, ...bcIds]) assert.ok(!evidenceIds($).includes(id), `message ${id} of another conversation is not offered`);
    assert.doesNotMatch(res.text, /only for carol|bob whispers/, 'no text of other conversations');

    const list = $('[data-evidence-list]');
    assert.match(textOf(list.text()), /<b>bold<\/b> & "quoted" <script>alert\(1\)<\/script>/, 'the text is shown as typed');
    assert.equal(list.find('b, script').length, 0, 'and never as HTML');
    assert.ok(!res.text.includes('<b>bold</b>'), 'escaped in the markup');
    for (const body of ['second, from bob', 'third, from alice', 'fourth, from bob']) assert.match(list.text(), new RegExp(body));

    // Without from, it returns to the profile.
    const plain = await page(a, `/u/${b.username}/report`);
    assert.equal(plain(`form[action="/u/${b.username}/report"] input[name=from]`).val(), `/u/${b.username}`);
  });

  test('the evidence list holds the newest 50 messages only', async () => {
    const a = await member('alice');
    const b = await member('bob');
    await connectAll(a, b);
    const conversation = await openWith(a, b);
    // Straight into the table: 55 through the route would meet the rate limit.
    const start = Date.now() - 60 * 60_000;
    const rows = await mdb()
      .insertInto('messages')
      .values(
        Array.from({ length: 55 }, (_v, i) => ({
          conversation_id: conversation,
          sender_id: i % 2 === 0 ? a.id : b.id,
          body: `bulk message ${i}`,
          created_at: new Date(start + i * 1000),
        })),
      )
      .returning('id')
      .execute();
    const ids = rows.map((r) => r.id).sort((x, y) => x - y);
    const $ = await page(a, `/u/${b.username}/report`);
    assert.deepEqual(
      evidenceIds($).sort((x, y) => x - y),
      ids.slice(-50),
      'the newest 50',
    );
    assert.doesNotMatch($('[data-evidence-list]').text(), /bulk message 4\b/, 'an old one is left out');
    assert.match($('[data-evidence-list]').text(), /bulk message 54\b/);
  });

  test('POST: one report; evidence is exactly the picked messages of our own conversation, copied with text, sender and time', async () => {
    const { a, b, ab, abIds, acIds, bcIds } = await trio();
    const picked = [abIds[0]!, abIds[1]!]; // one of alice's, one of bob's
    const res = await post(a, `/u/${b.username}/report`, {
      reason: 'harassment',
      details: 'He keeps writing to me.',
      message_ids: [String(picked[1]), String(picked[0]), String(acIds[0]), String(bcIds[0]), 'nonsense', '0', '-3', '99999999999'],
      from: `/messages/${ab}`,
    });
    assert.equal(res.status, 303, res.text.slice(0, 300));
    assert.equal(res.headers.location, `/messages/${ab}`);
    const next = await page(a, res.headers.location!);
    assert.match(flashOf(next), /Thank you/);

    const reports = await reportsBy(a);
    assert.equal(reports.length, 1, 'exactly one report');
    const report = reports[0]!;
    assert.equal(report.reporter_id, a.id);
    assert.equal(report.reported_id, b.id);
    assert.equal(report.conversation_id, ab);
    assert.equal(report.reason, 'harassment');
    assert.equal(report.details, 'He keeps writing to me.');
    assert.equal(report.status, 'open');
    assert.equal(report.resolution, null);

    const originals = (await messagesIn(ab)).filter((m) => picked.includes(m.id));
    assert.equal(originals.length, 2);
    const evidence = await evidenceOf([report.id]);
    assert.deepEqual(
      evidence.map((e) => ({ report_id: e.report_id, message_id: e.message_id, sender_id: e.sender_id, body: e.body, sent_at: e.sent_at.getTime() })),
      originals.map((m) => ({ report_id: report.id, message_id: m.id, sender_id: m.sender_id, body: m.body, sent_at: new Date(m.created_at).getTime() })),
    );
    assert.deepEqual(
      evidence.map((e) => e.sender_id),
      [a.id, b.id],
    );
    // Nothing else: no other report or evidence anywhere for these people, and no block.
    const everyEvidence = await t.db.selectFrom('report_evidence').select('message_id').where('message_id', 'in', [...acIds, ...bcIds]).execute();
    assert.deepEqual(everyEvidence, [], 'no message of another conversation was copied');
    assert.deepEqual(await reportsBy(b), []);
    assert.deepEqual(await blocksBetween(a, b), [], 'no block without block=on');
    assert.deepEqual(await audit('user.blocked', a, b), []);
    const created = await audit('report.created', a, b);
    assert.equal(created.length, 1);
    assert.deepEqual(created[0]!.detail, { reason: 'harassment', evidence: picked });
    // The conversation is untouched: sending still works.
    await send(b, ab, 'still talking');
  });

  test('bad input: 400 with the details kept, nothing stored (not even the block asked for)', async () => {
    const { a, b, abIds } = await trio();
    const initial = await safetyState(a, b);
    const tooLong = '😀'.repeat(2001); // 2001 code points, 4002 UTF-16 units
    const cases: { what: string; fields: Fields; details: string }[] = [
      { what: 'an unknown reason', fields: { reason: 'rudeness', details: 'kept <text> & more' }, details: 'kept <text> & more' },
      { what: 'no reason', fields: { details: 'no reason given' }, details: 'no reason given' },
      { what: '2001 characters of details', fields: { reason: 'harassment', details: tooLong }, details: tooLong },
      { what: 'other with empty details', fields: { reason: 'other', details: '' }, details: '' },
      { what: 'other with blank details', fields: { reason: 'other', details: '   \n  ' }, details: '' },
    ];
    for (const c of cases) {
      const res = await post(a, `/u/${b.username}/report`, { ...c.fields, block: 'on', message_ids: [String(abIds[0])] });
      assert.equal(res.status, 400, c.what);
      const $ = html(res.text);
      assert.equal($('#report-details').length, 1, `${c.what}: the form again`);
      assert.equal($('#report-details').text(), c.details, `${c.what}: details kept`);
      assert.equal($(`form[action="/u/${b.username}/report"]`).length, 1);
    }
    assert.deepEqual(await safetyState(a, b), initial, 'nothing stored');
    assert.equal((await postSend(b, (await conversationsBetween(a, b))[0]!.id, 'not blocked')).status, 303, 'no block was made');
  });

  test('details of exactly 2000 characters (code points) are accepted', async () => {
    const a = await member('alice');
    const b = await member('bob');
    const details = '😀'.repeat(2000);
    const res = await post(a, `/u/${b.username}/report`, { reason: 'spam', details });
    assert.equal(res.status, 303, `2000 code points: ${res.status}`);
    const reports = await reportsBy(a);
    assert.equal(reports.length, 1);
    assert.equal(reports[0]!.details, details);
  });

  test('block=on also blocks; report.created is audited with the report id and no text', async () => {
    const { a, b, ab, abIds } = await trio();
    const details = 'Distinctive details text 7f3a';
    const res = await post(a, `/u/${b.username}/report`, { reason: 'spam', details, message_ids: [String(abIds[1])], block: 'on' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, `/u/${b.username}`);

    assert.deepEqual(await blocksBetween(a, b), [{ blocker_id: a.id, blocked_id: b.id }], 'blocked');
    const blocked = await audit('user.blocked', a, b);
    assert.equal(blocked.length, 1);
    assert.equal(blocked[0]!.actor_id, a.id);
    assert.equal(blocked[0]!.subject_user_id, b.id);
    assert.equal((await postSend(b, ab, 'after the report')).status, 403, 'the block is in force');

    const [report] = await reportsBy(a);
    assert.ok(report);
    const created = await audit('report.created', a, b);
    assert.equal(created.length, 1);
    const row = created[0]!;
    assert.equal(row.actor_id, a.id);
    assert.equal(row.subject_user_id, b.id);
    assert.equal(row.report_id, report.id);
    assert.deepEqual(row.detail, { reason: 'spam', evidence: [abIds[1]] });

    const everything = JSON.stringify(await t.db.selectFrom('audit_log').selectAll().execute());
    assert.ok(!everything.includes(details), 'no audit row holds the details');
    for (const m of await messagesIn(ab)) assert.ok(!everything.includes(m.body!), `no audit row holds the text of message ${m.id}`);
  });

  test('reporting from a profile without a conversation: a report with no conversation and no evidence', async () => {
    const { a, abIds } = await trio();
    const d = await member('dave');
    const form = await page(a, `/u/${d.username}/report`);
    assert.equal(form('[data-evidence-list]').length, 0, 'nothing to pick');
    assert.equal(form('input[name=message_ids]').length, 0);

    const res = await post(a, `/u/${d.username}/report`, { reason: 'spam', details: '', message_ids: abIds.map(String), from: '//evil.com' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, `/u/${d.username}`, 'a foreign from falls back to the profile');
    const reports = (await reportsBy(a)).filter((r) => r.reported_id === d.id);
    assert.equal(reports.length, 1);
    assert.equal(reports[0]!.conversation_id, null);
    assert.equal(reports[0]!.reason, 'spam');
    assert.deepEqual(await evidenceOf([reports[0]!.id]), []);
  });

  test('a deleted message is neither offered nor attached', async () => {
    const { a, b, ab, abIds } = await trio();
    // Alice deletes her third message, bob his fourth.
    const deletedByA = abIds[2]!;
    const deletedByB = abIds[3]!;
    assert.equal((await post(a, `/messages/${ab}/messages/${deletedByA}/delete`)).status, 303);
    assert.equal((await post(b, `/messages/${ab}/messages/${deletedByB}/delete`)).status, 303);

    const $ = await page(a, `/u/${b.username}/report`);
    assert.deepEqual(
      evidenceIds($).sort((x, y) => x - y),
      [abIds[0], abIds[1]],
      'deleted messages are not offered',
    );

    const res = await post(a, `/u/${b.username}/report`, { reason: 'harassment', message_ids: abIds.map(String) });
    assert.equal(res.status, 303);
    const [report] = await reportsBy(a);
    assert.ok(report);
    const evidence = await evidenceOf([report.id]);
    assert.deepEqual(
      evidence.map((e) => e.message_id),
      [abIds[0], abIds[1]],
      'only the messages that still exist were attached',
    );
    assert.ok(evidence.every((e) => e.body !== null && e.body.length > 0));
  });
});
