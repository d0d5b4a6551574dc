import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { csrfToken, html, startTestApp, type Agent, type TestApp } from '../support/app.js';
import { openConversation as open, sendMessage as send } from '../support/messaging.js';

// The inbox, the navbar badge, read receipts, polling and the cost of the pages (no N+1).

let t: TestApp;
before(async () => {
  t = await startTestApp();
});

interface Member {
  agent: Agent;
  id: number;
  username: string;
  /** The session's CSRF token, taken once at login so later page loads keep their meaning. */
  token: string;
}

async function idOf(app: TestApp, username: string): Promise<number> {
  const row = await app.db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirstOrThrow();
  return row.id;
}

/** A logged-in member. Their CSRF token is read now, while there is nothing to deliver to them. */
async function member(app: TestApp, username: string, displayName?: string): Promise<Member> {
  const agent = await app.userAgent(username, displayName);
  const token = await csrfToken(agent, '/settings');
  return { agent, id: await idOf(app, username), username, token };
}


/** Two connected members and their (empty) conversation. */
async function pair(a: string, b: string, app: TestApp = t, names: [string?, string?] = []) {
  const A = await member(app, a, names[0]);
  const B = await member(app, b, names[1]);
  await app.connect(A.id, B.id);
  const conversation = await open(A, B);
  return { A, B, conversation };
}

interface InboxRowSeen {
  id: number;
  unread: string | undefined;
  text: string;
  time: string | undefined;
  img: string | undefined;
}

function inboxRows(text: string): InboxRowSeen[] {
  const $ = html(text);
  return $('[data-conversation-id][data-unread]')
    .map((_i, el) => {
      const row = $(el);
      return {
        id: Number(row.attr('data-conversation-id')),
        unread: row.attr('data-unread'),
        text: row.text().replace(/\s+/g, ' ').trim(),
        time: row.find('time').attr('datetime'),
        img: row.find('img').attr('src'),
      };
    })
    .get();
}

async function inbox(agent: Agent): Promise<InboxRowSeen[]> {
  const res = await agent.get('/messages');
  assert.equal(res.status, 200);
  return inboxRows(res.text);
}

const ids = (rows: InboxRowSeen[]) => rows.map((row) => row.id);

function badgeOf(text: string): number {
  const badge = html(text)('#messages-badge');
  assert.equal(badge.length, 1, 'the page has the navbar badge');
  const count = badge.attr('data-unread-count');
  assert.ok(count !== undefined && /^\d+$/.test(count), `data-unread-count is a number: ${count}`);
  return Number(count);
}

async function badge(agent: Agent, path = '/people'): Promise<number> {
  const res = await agent.get(path);
  assert.equal(res.status, 200, `GET ${path}`);
  return badgeOf(res.text);
}

const titleOf = (text: string) => html(text)('title').text();

interface MessageSeen {
  status: string | undefined;
  from: string | undefined;
  deleted: boolean;
  marker: boolean;
}

function messagesOf(text: string): Map<number, MessageSeen> {
  const $ = html(text);
  const found = new Map<number, MessageSeen>();
  $('li[data-message-id]').each((_i, el) => {
    const li = $(el);
    found.set(Number(li.attr('data-message-id')), {
      status: li.attr('data-status'),
      from: li.attr('data-from'),
      deleted: li.attr('data-deleted') === 'true',
      marker: li.find('[data-seen-marker]').length > 0,
    });
  });
  return found;
}

/** The thread page as `viewer` sees it (opening it marks the other side's messages seen). */
async function thread(viewer: Member, conversationId: number) {
  const res = await viewer.agent.get(`/messages/${conversationId}`);
  assert.equal(res.status, 200, `${viewer.username} opens ${conversationId}`);
  const $ = html(res.text);
  const tail = $('#thread-tail');
  assert.equal(tail.length, 1, 'the newest page has #thread-tail');
  const poll = tail.attr('hx-get');
  assert.ok(poll, '#thread-tail polls');
  return { res, $, messages: messagesOf(res.text), version: tail.attr('data-version'), poll, markers: $('[data-seen-marker]').length };
}

const status = async (viewer: Member, conversationId: number, messageId: number) => (await thread(viewer, conversationId)).messages.get(messageId)?.status;

async function participant(app: TestApp, conversationId: number, userId: number) {
  return app.db
    .selectFrom('conversation_participants')
    .selectAll()
    .where('conversation_id', '=', conversationId)
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
}

async function conversationVersion(app: TestApp, conversationId: number): Promise<number> {
  const row = await app.db.selectFrom('conversations').select('version').where('id', '=', conversationId).executeTakeFirstOrThrow();
  return Number(row.version);
}

const htmx = (agent: Agent, path: string) => agent.get(path).set('HX-Request', 'true');

/** The poll URL of a tail with another version. */
function withVersion(poll: string, version: string | number, extra: Record<string, string> = {}): string {
  const url = new URL(poll, 'http://courier.test');
  url.searchParams.set('v', String(version));
  for (const [key, value] of Object.entries(extra)) url.searchParams.set(key, value);
  return url.pathname + url.search;
}

describe('GET /messages: the inbox', () => {
  test('a row holds the other person’s name, photo or initials, the last message’s preview and its time', async () => {
    const me = await member(t, 'row_me', 'Row Owner');
    const ada = await member(t, 'row_ada', 'Ada Lovelace');
    const bob = await member(t, 'row_bob', 'Bob Stone');
    await t.connect(me.id, ada.id);
    await t.connect(me.id, bob.id);
    await t.db.updateTable('users').set({ avatar_version: 3 }).where('id', '=', ada.id).execute();
    const withAda = await open(ada, me);
    const withBob = await open(bob, me);
    await send(ada, withAda, 'An older line from Ada');
    const adaLast = await send(ada, withAda, 'The newest line from Ada');
    const bobLast = await send(bob, withBob, 'Hi <b>there</b> & welcome');

    const rows = await inbox(me.agent);
    assert.deepEqual(ids(rows), [withBob, withAda]);
    const [bobRow, adaRow] = rows as [InboxRowSeen, InboxRowSeen];

    assert.match(adaRow.text, /Ada Lovelace/);
    assert.equal(adaRow.img, `/avatars/${ada.id}/3/small.webp`, 'her photo');
    assert.match(adaRow.text, /The newest line from Ada/, 'the last message is the preview');
    assert.doesNotMatch(adaRow.text, /An older line/);
    const adaTime = await t.db.selectFrom('messages').select('created_at').where('id', '=', adaLast).executeTakeFirstOrThrow();
    assert.equal(adaRow.time, adaTime.created_at.toISOString(), 'the last message’s time');

    assert.match(bobRow.text, /Bob Stone/);
    assert.equal(bobRow.img, undefined, 'no photo: initials instead');
    const $ = html((await me.agent.get('/messages')).text);
    assert.equal($(`[data-conversation-id="${withBob}"]`).find('span').filter((_i, el) => $(el).text().trim() === 'BS').length, 1, 'his initials');
    assert.ok(bobRow.text.includes('Hi <b>there</b> & welcome'), 'the preview is the text, escaped');
    assert.equal($(`[data-conversation-id="${withBob}"] b`).length, 0, 'never interpreted as HTML');
    const bobTime = await t.db.selectFrom('messages').select('created_at').where('id', '=', bobLast).executeTakeFirstOrThrow();
    assert.equal(bobRow.time, bobTime.created_at.toISOString());
    assert.ok(!Number.isNaN(Date.parse(bobRow.time ?? '')), 'an ISO-8601 time');

    // The sender's own inbox shows the same conversation, with the other person's name.
    const adaRows = await inbox(ada.agent);
    assert.deepEqual(ids(adaRows), [withAda]);
    assert.match(adaRows[0]!.text, /Row Owner/);
    assert.match(adaRows[0]!.text, /The newest line from Ada/);

    // A deleted last message previews as deleted, its text gone.
    const del = await bob.agent.post(`/messages/${withBob}/messages/${bobLast}/delete`).type('form').send({ _csrf: bob.token });
    assert.equal(del.status, 303);
    const afterDelete = (await inbox(me.agent)).find((row) => row.id === withBob);
    assert.ok(afterDelete);
    assert.match(afterDelete.text, /Message deleted/);
    assert.ok(!afterDelete.text.includes('welcome'));
  });

  test('newest activity first, whoever sent', async () => {
    const me = await member(t, 'ord_me');
    const others = [await member(t, 'ord_p1'), await member(t, 'ord_p2'), await member(t, 'ord_p3'), await member(t, 'ord_p4')];
    const conv: number[] = [];
    for (const other of others) {
      await t.connect(me.id, other.id);
      conv.push(await open(other, me));
    }
    const [c1, c2, c3, c4] = conv as [number, number, number, number];
    await send(others[0]!, c1, 'one');
    await send(others[1]!, c2, 'two');
    await send(others[2]!, c3, 'three');
    assert.deepEqual(ids(await inbox(me.agent)), [c3, c2, c1], 'c4 has no message yet');
    await send(me, c2, 'my reply to two');
    assert.deepEqual(ids(await inbox(me.agent)), [c2, c3, c1], 'my own send is activity too');
    await send(others[0]!, c1, 'one again');
    await send(others[3]!, c4, 'four');
    assert.deepEqual(ids(await inbox(me.agent)), [c4, c1, c2, c3]);
    assert.deepEqual(ids(await inbox(others[1]!.agent)), [c2]);
  });

  test('a conversation opened but with no message shows in neither inbox', async () => {
    const { A, B, conversation } = await pair('empty_a', 'empty_b');
    assert.ok(await t.db.selectFrom('conversations').select('id').where('id', '=', conversation).executeTakeFirst(), 'the premise: it exists');
    assert.deepEqual(ids(await inbox(A.agent)), []);
    assert.deepEqual(ids(await inbox(B.agent)), []);
    // Opening it again from the other side still adds nothing.
    assert.equal(await open(B, A), conversation);
    assert.deepEqual(ids(await inbox(A.agent)), []);
    assert.deepEqual(ids(await inbox(B.agent)), []);
    await send(A, conversation, 'now there is something');
    assert.deepEqual(ids(await inbox(A.agent)), [conversation]);
    assert.deepEqual(ids(await inbox(B.agent)), [conversation]);
  });

  test('unread for the recipient until they open the thread, never for the sender', async () => {
    const { A, B, conversation } = await pair('unr_a', 'unr_b');
    const first = await send(A, conversation, 'are you there?');
    const row = async (m: Member) => (await inbox(m.agent)).find((r) => r.id === conversation)?.unread;
    assert.equal(await row(B), 'true');
    assert.equal(await row(A), 'false', 'the sender has nothing to read');
    await B.agent.get('/people');
    assert.equal(await row(B), 'true', 'delivered is not read');
    assert.equal((await participant(t, conversation, B.id)).last_read_message_id, 0);

    await thread(B, conversation);
    assert.equal(await row(B), 'false', 'opened, so read');
    assert.equal(Number((await participant(t, conversation, B.id)).last_read_message_id), first);
    assert.equal(await row(A), 'false');

    await send(B, conversation, 'yes!');
    assert.equal(await row(A), 'true');
    assert.equal(await row(B), 'false');
    await send(A, conversation, 'great');
    assert.equal(await row(B), 'true', 'a new message makes it unread again');
  });

  test('"Load more" pages by keyset: every conversation exactly once, in order', async () => {
    const small = await startTestApp({ messagingPageSize: { messages: 5, conversations: 5 } });
    const me = await member(small, 'page_me');
    const order: number[] = [];
    for (let i = 0; i < 12; i++) {
      const other = await member(small, `page_p${i}`);
      await small.connect(me.id, other.id);
      const conversation = await open(other, me);
      await send(other, conversation, `hello number ${i}`);
      order.push(conversation);
    }
    const expected = [...order].reverse();

    const pages: number[][] = [];
    let next: string | undefined = '/messages';
    const links: string[] = [];
    while (next) {
      assert.ok(pages.length < 5, 'the walk ends');
      const res = await me.agent.get(next);
      assert.equal(res.status, 200);
      pages.push(ids(inboxRows(res.text)));
      const link = html(res.text)('a[rel=next]');
      next = link.attr('href');
      if (next) {
        assert.match(next, /^\/messages\?after=[^&]+$/, 'a keyset cursor, not a page number');
        links.push(next);
      }
    }
    assert.deepEqual(
      pages.map((p) => p.length),
      [5, 5, 2],
    );
    assert.deepEqual(pages.flat(), expected, 'all 12, newest first, none twice');

    // htmx asks for the next page and gets just the rows to swap in.
    const fragment = await htmx(me.agent, links[0]!);
    assert.equal(fragment.status, 200);
    assert.doesNotMatch(fragment.text, /<html|<body/i, 'no page around it');
    assert.equal(html(fragment.text)('#messages-badge').length, 0, 'no navbar');
    assert.deepEqual(ids(inboxRows(fragment.text)), expected.slice(5, 10));
    assert.equal(html(fragment.text)('a[rel=next]').attr('href'), links[1], 'and the link to the page after it');
    const last = await htmx(me.agent, links[1]!);
    assert.deepEqual(ids(inboxRows(last.text)), expected.slice(10));
    assert.equal(html(last.text)('a[rel=next]').length, 0);
  });
});

describe('the navbar badge', () => {
  test('counts conversations with unseen messages on every page, and the title says (N)', async () => {
    const { A, B, conversation: withA } = await pair('bdg_a', 'bdg_b');
    const C = await member(t, 'bdg_c');
    await t.connect(C.id, B.id);
    const withC = await open(C, B);
    assert.equal(await badge(B.agent), 0);

    await send(A, withA, 'one');
    await send(A, withA, 'two');
    for (const path of ['/messages', '/people', '/connections']) {
      const res = await B.agent.get(path);
      assert.equal(badgeOf(res.text), 1, `two messages in one conversation count once (${path})`);
      assert.ok(titleOf(res.text).startsWith('(1) '), `title on ${path}: ${titleOf(res.text)}`);
    }
    for (const path of ['/messages', '/people', '/connections']) {
      const res = await A.agent.get(path);
      assert.equal(badgeOf(res.text), 0, `nothing unread for the sender (${path})`);
      assert.ok(!titleOf(res.text).startsWith('('), `no count in the title: ${titleOf(res.text)}`);
    }

    await send(C, withC, 'hello from C');
    const two = await B.agent.get('/connections');
    assert.equal(badgeOf(two.text), 2, 'two conversations count two');
    assert.ok(titleOf(two.text).startsWith('(2) '));

    const opened = await thread(B, withA);
    assert.equal(badgeOf(opened.res.text), 1, 'the opened thread’s own page already counts it read');
    assert.ok(titleOf(opened.res.text).startsWith('(1) '));
    assert.equal(await badge(B.agent, '/people'), 1);
    assert.equal(await badge(C.agent), 0);

    await thread(B, withC);
    const none = await B.agent.get('/messages');
    assert.equal(badgeOf(none.text), 0);
    assert.ok(!titleOf(none.text).startsWith('('), `no count in the title: ${titleOf(none.text)}`);
  });

  test('a muted conversation is not counted', async () => {
    const { A, B, conversation: withA } = await pair('mute_a', 'mute_b');
    const C = await member(t, 'mute_c');
    await t.connect(C.id, B.id);
    const withC = await open(C, B);
    await send(A, withA, 'from A');
    await send(C, withC, 'from C');
    assert.equal(await badge(B.agent), 2);

    await t.db.updateTable('conversation_participants').set({ muted_at: new Date() }).where('conversation_id', '=', withC).where('user_id', '=', B.id).execute();
    assert.equal(await badge(B.agent), 1);
    assert.equal(await badge(B.agent, '/messages'), 1);
    await send(C, withC, 'more from C');
    assert.equal(await badge(B.agent), 1, 'new messages in it still do not count');

    await t.db.updateTable('conversation_participants').set({ muted_at: null }).where('conversation_id', '=', withC).where('user_id', '=', B.id).execute();
    assert.equal(await badge(B.agent), 2, 'unmuted, it counts again');
  });

  test('a conversation marked unread counts until the thread is opened', async () => {
    const { A, B, conversation } = await pair('mark_a', 'mark_b');
    await send(A, conversation, 'read me');
    await thread(B, conversation);
    assert.equal(await badge(B.agent), 0);

    await t.db.updateTable('conversation_participants').set({ marked_unread: true }).where('conversation_id', '=', conversation).where('user_id', '=', B.id).execute();
    assert.equal(await badge(B.agent), 1);
    assert.ok(titleOf((await B.agent.get('/connections')).text).startsWith('(1) '));
    assert.equal((await inbox(B.agent)).find((r) => r.id === conversation)?.unread, 'true');
    assert.equal(await badge(A.agent), 0, 'my mark is mine alone');

    await thread(B, conversation);
    assert.equal(await badge(B.agent), 0);
    assert.equal((await participant(t, conversation, B.id)).marked_unread, false);
    assert.equal((await inbox(B.agent)).find((r) => r.id === conversation)?.unread, 'false');
  });
});

describe('read receipts on the sender’s thread page', () => {
  test('sent, then delivered once the recipient loads any page, then seen with one "Seen" marker', async () => {
    const { A, B, conversation } = await pair('rcpt_a', 'rcpt_b');
    const m1 = await send(A, conversation, 'first');
    const m2 = await send(A, conversation, 'second');

    let page = await thread(A, conversation);
    assert.equal(page.messages.get(m1)?.status, 'sent');
    assert.equal(page.messages.get(m2)?.status, 'sent');
    assert.equal(page.messages.get(m2)?.from, 'rcpt_a');
    assert.equal(page.markers, 0, 'nothing seen yet');
    assert.equal(Number((await participant(t, conversation, B.id)).last_delivered_message_id), 0);

    await B.agent.get('/people');
    assert.equal(Number((await participant(t, conversation, B.id)).last_delivered_message_id), m2);
    page = await thread(A, conversation);
    assert.equal(page.messages.get(m1)?.status, 'delivered');
    assert.equal(page.messages.get(m2)?.status, 'delivered');
    assert.equal(page.markers, 0, 'delivered is not seen');

    await thread(B, conversation);
    assert.equal(Number((await participant(t, conversation, B.id)).last_read_message_id), m2);
    page = await thread(A, conversation);
    assert.equal(page.messages.get(m1)?.status, 'seen');
    assert.equal(page.messages.get(m2)?.status, 'seen');
    assert.equal(page.markers, 1, 'one "Seen" marker');
    assert.equal(page.messages.get(m2)?.marker, true, 'under the newest message they read');
    assert.match(page.$('[data-seen-marker]').text(), /Seen/);
  });

  test('messages below the read watermark stay seen when new unseen ones arrive', async () => {
    const { A, B, conversation } = await pair('wm_a', 'wm_b');
    const m1 = await send(A, conversation, 'one');
    const m2 = await send(A, conversation, 'two');
    await thread(B, conversation);
    const m3 = await send(A, conversation, 'three');

    let page = await thread(A, conversation);
    assert.deepEqual(
      [m1, m2, m3].map((id) => page.messages.get(id)?.status),
      ['seen', 'seen', 'sent'],
    );
    assert.equal(page.markers, 1);
    assert.equal(page.messages.get(m2)?.marker, true, 'the marker stays under the last one read');

    await B.agent.get('/connections');
    page = await thread(A, conversation);
    assert.deepEqual(
      [m1, m2, m3].map((id) => page.messages.get(id)?.status),
      ['seen', 'seen', 'delivered'],
    );
    assert.equal(page.markers, 1);
    assert.equal(page.messages.get(m2)?.marker, true);

    await thread(B, conversation);
    page = await thread(A, conversation);
    assert.deepEqual(
      [m1, m2, m3].map((id) => page.messages.get(id)?.status),
      ['seen', 'seen', 'seen'],
    );
    assert.equal(page.markers, 1, 'still only one marker');
    assert.equal(page.messages.get(m3)?.marker, true, 'now under the newest');
  });
});

describe('polling', () => {
  test('the badge poll: 304 with nothing while the count is current, the badge fragment when it changed', async () => {
    const { A, B, conversation } = await pair('poll_a', 'poll_b');
    const idle = await htmx(B.agent, '/messages/badge?v=0');
    assert.equal(idle.status, 304);
    assert.equal(idle.text ?? '', '');

    await send(A, conversation, 'ping');
    const changed = await htmx(B.agent, '/messages/badge?v=0');
    assert.equal(changed.status, 200);
    assert.doesNotMatch(changed.text, /<html|<body/i, 'just the fragment');
    assert.equal(badgeOf(changed.text), 1);
    assert.equal(html(changed.text)('#messages-badge').attr('href'), '/messages');
    assert.equal(Number((await participant(t, conversation, B.id)).last_delivered_message_id) > 0, true, 'polling delivers');

    const same = await htmx(B.agent, '/messages/badge?v=1');
    assert.equal(same.status, 304);
    assert.equal(same.text ?? '', '');
    assert.equal((await htmx(A.agent, '/messages/badge?v=0')).status, 304, 'the sender’s count did not move');

    await thread(B, conversation);
    const read = await htmx(B.agent, '/messages/badge?v=1');
    assert.equal(read.status, 200);
    assert.equal(badgeOf(read.text), 0);
  });

  test('the tail poll answers 304 from the version check, before anything is rendered', async () => {
    const { A, B, conversation } = await pair('tail304_a', 'tail304_b');
    await send(A, conversation, 'hello');
    await B.agent.get('/people');
    const page = await thread(A, conversation);
    assert.equal(page.version, String(await conversationVersion(t, conversation)), 'the page carries the current version');
    assert.match(page.poll, new RegExp(`^/messages/${conversation}/tail\\?from=\\d+&v=${page.version}$`));

    const answer = { status: 0, text: '' };
    const statements = await t.countQueries(async () => {
      const res = await htmx(A.agent, page.poll);
      answer.status = res.status;
      answer.text = res.text ?? '';
    });
    assert.equal(answer.status, 304);
    assert.equal(answer.text, '');
    assert.ok(statements.length > 0, 'the premise: queries are counted');
    assert.ok(!statements.some((s) => /"messages"/.test(s)), `no message is read for a 304:\n${statements.join('\n')}`);
    assert.ok(!statements.some((s) => /^\s*(update|insert|with)/i.test(s)), 'and nothing is written');
    assert.equal((await htmx(B.agent, withVersion(page.poll, '999999'))).status, 200, 'a stale version gets content');
  });

  test('the recipient’s page carries the version after its own read, so its first poll is a 304', async () => {
    const { A, B, conversation } = await pair('tailrd_a', 'tailrd_b');
    await send(A, conversation, 'unread until opened');
    const page = await thread(B, conversation);
    assert.equal(page.version, String(await conversationVersion(t, conversation)), 'data-version is the thread’s current version');
    const res = await htmx(B.agent, page.poll);
    assert.equal(res.status, 304);
  });

  test('the tail answers the new tail after the other person sends', async () => {
    const { A, B, conversation } = await pair('tailnew_a', 'tailnew_b');
    const mine = await send(A, conversation, 'my opener');
    const page = await thread(A, conversation);
    assert.equal((await htmx(A.agent, page.poll)).status, 304);

    const theirs = await send(B, conversation, 'their reply');
    const res = await htmx(A.agent, page.poll);
    assert.equal(res.status, 200);
    assert.doesNotMatch(res.text, /<html|<body/i);
    const $ = html(res.text);
    const tail = $('#thread-tail');
    assert.equal(tail.length, 1, 'a new #thread-tail');
    const version = tail.attr('data-version');
    assert.notEqual(version, page.version);
    assert.equal(version, String(await conversationVersion(t, conversation)));
    const messages = messagesOf(res.text);
    assert.equal(messages.get(theirs)?.from, 'tailnew_b');
    assert.match($(`#m-${theirs}`).text(), /their reply/);
    assert.ok(messages.has(mine), 'the tail starts where the page did');
    const nextPoll = tail.attr('hx-get');
    assert.ok(nextPoll?.includes(`v=${version}`));
    assert.equal((await htmx(A.agent, nextPoll!)).status, 304, 'then quiet again');
  });

  test('the tail answers after a deletion, on both sides', async () => {
    const { A, B, conversation } = await pair('taildel_a', 'taildel_b');
    const gone = await send(A, conversation, 'regrettable words');
    await thread(B, conversation); // read once, so the page below has nothing left to change
    const pageA = await thread(A, conversation);
    const pageB = await thread(B, conversation);
    assert.equal((await htmx(A.agent, pageA.poll)).status, 304);
    assert.equal((await htmx(B.agent, pageB.poll)).status, 304);

    const del = await A.agent.post(`/messages/${conversation}/messages/${gone}/delete`).type('form').send({ _csrf: A.token });
    assert.equal(del.status, 303);
    for (const [who, poll] of [
      [A, pageA.poll],
      [B, pageB.poll],
    ] as const) {
      const res = await htmx(who.agent, poll);
      assert.equal(res.status, 200, `${who.username} sees the deletion`);
      assert.equal(messagesOf(res.text).get(gone)?.deleted, true);
      assert.ok(!res.text.includes('regrettable words'), 'its text is gone');
      assert.notEqual(html(res.text)('#thread-tail').attr('data-version'), who === A ? pageA.version : pageB.version);
    }
  });

  test('the tail answers when the other person reads my message', async () => {
    const { A, B, conversation } = await pair('tailseen_a', 'tailseen_b');
    const m = await send(A, conversation, 'did you see this?');
    const page = await thread(A, conversation);
    assert.equal(page.messages.get(m)?.status, 'sent');
    assert.equal((await htmx(A.agent, page.poll)).status, 304);

    await thread(B, conversation);
    const res = await htmx(A.agent, page.poll);
    assert.equal(res.status, 200);
    const messages = messagesOf(res.text);
    assert.equal(messages.get(m)?.status, 'seen');
    assert.equal(messages.get(m)?.marker, true);
  });

  test('a tail never claims a version newer than what it shows, when the other side reads mid-request', async () => {
    const { A, B, conversation } = await pair('tailrace_a', 'tailrace_b');
    const mine = await send(A, conversation, 'read me while your poll is running');
    await send(B, conversation, 'something A has yet to be delivered');
    // B has not seen `mine` (whatever B's own send did to B's watermark).
    await t.db.updateTable('conversation_participants').set({ last_read_message_id: 0, last_delivered_message_id: 0 }).where('conversation_id', '=', conversation).where('user_id', '=', B.id).execute();

    // A's poll reads the thread (`mine` not seen), then waits on A's own row to mark B's message
    // delivered: the row is held here while B reads `mine`. Then the poll goes on and renders.
    const client = await t.database.pool.connect();
    try {
      await client.query('begin');
      await client.query('select 1 from conversation_participants where conversation_id = $1 and user_id = $2 for update', [conversation, A.id]);
      const poll = htmx(A.agent, `/messages/${conversation}/tail?from=1&v=none`).then((res) => res);
      for (let i = 0; ; i++) {
        const waiting = await t.database.pool.query("select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'");
        if (waiting.rowCount) break;
        assert.ok(i < 500, 'the poll reaches the held row');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await thread(B, conversation);
      await client.query('commit');
      const first = await poll;
      assert.equal(first.status, 200);
      assert.notEqual(messagesOf(first.text).get(mine)?.status, 'seen', 'the poll drew the thread as it was before B read it');
      // So the version it carries must make the next poll bring B's read, not a 304.
      const next = await htmx(A.agent, html(first.text)('#thread-tail').attr('hx-get') ?? '');
      assert.equal(next.status, 200, 'the next poll is not a 304');
      assert.equal(messagesOf(next.text).get(mine)?.status, 'seen');
    } finally {
      client.release();
    }
  });

  test('a tail poll marks messages seen only with seen=1', async () => {
    const { A, B, conversation } = await pair('tailvis_a', 'tailvis_b');
    await send(A, conversation, 'before');
    const pageB = await thread(B, conversation);
    const m = await send(A, conversation, 'while the tab is hidden');

    const hidden = await htmx(B.agent, pageB.poll);
    assert.equal(hidden.status, 200);
    assert.ok(messagesOf(hidden.text).has(m), 'the new message arrives');
    assert.ok(Number((await participant(t, conversation, B.id)).last_read_message_id) < m, 'but is not read');
    assert.notEqual(await status(A, conversation, m), 'seen');
    assert.equal(await badge(B.agent, '/connections'), 1);

    const visible = await htmx(B.agent, withVersion(pageB.poll, pageB.version ?? '0', { seen: '1' }));
    assert.equal(visible.status, 200);
    assert.equal(Number((await participant(t, conversation, B.id)).last_read_message_id), m);
    assert.equal(await status(A, conversation, m), 'seen');
    assert.equal(await badge(B.agent, '/connections'), 0);
  });
  test('a message the recipient’s tail poll brings to their open page is delivered (not seen)', async () => {
    const { A, B, conversation } = await pair('taildlv_a', 'taildlv_b');
    await send(A, conversation, 'before');
    await thread(B, conversation);
    const pageB = await thread(B, conversation);
    const m = await send(A, conversation, 'reaches the open page');
    assert.equal(await status(A, conversation, m), 'sent', 'the premise: not delivered yet');

    const res = await htmx(B.agent, pageB.poll);
    assert.equal(res.status, 200);
    assert.ok(messagesOf(res.text).has(m), 'the message is now on one of B’s open pages');
    const row = await participant(t, conversation, B.id);
    assert.equal(Number(row.last_delivered_message_id), m, 'so it is delivered');
    assert.ok(Number(row.last_read_message_id) < m, 'but not seen');
    assert.equal(await status(A, conversation, m), 'delivered');
  });
});

describe('no N+1', () => {
  let big: TestApp;
  before(async () => {
    // Pages big enough to draw every row of the larger setups.
    big = await startTestApp({ messagingPageSize: { messages: 1000, conversations: 100 } });
  });

  let serial = 0;
  async function plainUser(app: TestApp, prefix: string, avatar: boolean): Promise<number> {
    const id = await app.createUser(`${prefix}${serial++}`);
    if (avatar) await app.db.updateTable('users').set({ avatar_version: 1 }).where('id', '=', id).execute();
    return id;
  }

  /**
   * A conversation written straight into the tables, as sending would leave it: `count` messages,
   * every fourth from `owner` (the last from the other person, unread by `owner`), one deleted.
   */
  async function seedConversation(app: TestApp, owner: number, other: number, count: number, activity: Date): Promise<number> {
    const conversation = await app.db
      .insertInto('conversations')
      .values({ user_low: Math.min(owner, other), user_high: Math.max(owner, other) })
      .returning('id')
      .executeTakeFirstOrThrow();
    const base = activity.getTime() - count * 1000;
    const rows = Array.from({ length: count }, (_, i) => {
      const fromOwner = i % 4 === 0 && i !== count - 1;
      const deleted = i === 1 && count > 2;
      return {
        conversation_id: conversation.id,
        sender_id: fromOwner ? owner : other,
        body: deleted ? null : `message ${i} of ${count}`,
        deleted_at: deleted ? new Date(base + i * 1000) : null,
        created_at: new Date(base + i * 1000),
      };
    });
    const inserted: { id: number; sender_id: number }[] = [];
    for (let i = 0; i < rows.length; i += 500) {
      inserted.push(...(await app.db.insertInto('messages').values(rows.slice(i, i + 500)).returning(['id', 'sender_id']).execute()));
    }
    const lastId = Math.max(...inserted.map((m) => m.id));
    const lastOwn = Math.max(0, ...inserted.filter((m) => m.sender_id === owner).map((m) => m.id));
    const lastTheirs = Math.max(0, ...inserted.filter((m) => m.sender_id === other).map((m) => m.id));
    await app.db.updateTable('conversations').set({ last_message_id: lastId, last_sender_id: other }).where('id', '=', conversation.id).execute();
    await app.db
      .insertInto('conversation_participants')
      .values([
        {
          conversation_id: conversation.id,
          user_id: owner,
          other_user_id: other,
          last_activity_at: activity,
          latest_incoming_message_id: lastTheirs,
          last_read_message_id: lastOwn,
          last_delivered_message_id: lastOwn,
        },
        {
          conversation_id: conversation.id,
          user_id: other,
          other_user_id: owner,
          last_activity_at: activity,
          latest_incoming_message_id: lastOwn,
          last_read_message_id: lastId,
          last_delivered_message_id: lastId,
        },
      ])
      .execute();
    return conversation.id;
  }

  async function inboxStatements(app: TestApp, conversations: number, tag: string) {
    const owner = await member(app, `nq_inbox_${tag}_${conversations}`);
    const now = Date.now();
    for (let i = 0; i < conversations; i++) {
      const other = await plainUser(app, `nqi${tag}`, i % 3 === 0);
      // Some read, some unread; one message each, or two.
      const conversation = await seedConversation(app, owner.id, other, 1 + (i % 2), new Date(now - i * 60_000));
      if (i % 4 === 1) {
        await app.db
          .updateTable('conversation_participants')
          .set((eb) => ({ last_read_message_id: eb.ref('latest_incoming_message_id') })).where('conversation_id', '=', conversation).where('user_id', '=', owner.id).execute();
      }
    }
    let text = '';
    const statements = await app.countQueries(async () => {
      const res = await owner.agent.get('/messages');
      assert.equal(res.status, 200);
      text = res.text;
    });
    return { statements, rows: inboxRows(text), text, owner };
  }

  async function threadStatements(app: TestApp, messages: number, tag: string) {
    const owner = await member(app, `nq_thr_${tag}_${messages}`);
    const other = await plainUser(app, `nqt${tag}`, true);
    const conversation = await seedConversation(app, owner.id, other, messages, new Date());
    let text = '';
    const statements = await app.countQueries(async () => {
      const res = await owner.agent.get(`/messages/${conversation}`);
      assert.equal(res.status, 200);
      text = res.text;
    });
    return { statements, shown: messagesOf(text).size, conversation, owner };
  }

  for (const setup of [
    { name: 'default page sizes', app: () => t, conversationsShown: 20, messagesShown: 30, tag: 'd' },
    { name: 'pages that show everything', app: () => big, conversationsShown: 50, messagesShown: 500, tag: 'b' },
  ]) {
    test(`the inbox runs as many SQL statements for 50 conversations as for 5, with no OFFSET (${setup.name})`, async () => {
      const app = setup.app();
      const five = await inboxStatements(app, 5, setup.tag);
      const fifty = await inboxStatements(app, 50, setup.tag);
      assert.equal(five.rows.length, 5, 'the premise: 5 rows drawn');
      assert.equal(fifty.rows.length, setup.conversationsShown, 'the premise: the larger page is drawn');
      assert.ok(fifty.rows.some((r) => r.img) && fifty.rows.some((r) => !r.img), 'photos and initials both drawn');
      assert.ok(fifty.rows.some((r) => r.unread === 'true') && fifty.rows.some((r) => r.unread === 'false'), 'read and unread rows both drawn');
      assert.ok(five.statements.length > 0);
      assert.equal(fifty.statements.length, five.statements.length, `5:\n${five.statements.join('\n')}\n50:\n${fifty.statements.join('\n')}`);
      for (const s of [...five.statements, ...fifty.statements]) assert.doesNotMatch(s, /\boffset\b/i);

      // The next page is keyset too.
      const next = html(fifty.text)('a[rel=next]').attr('href');
      if (setup.conversationsShown < 50) {
        assert.ok(next, 'a next page exists');
        const nextStatements = await app.countQueries(async () => {
          assert.equal((await fifty.owner.agent.get(next)).status, 200);
        });
        // The first page also reads the pinned conversations; later pages do not need to.
        assert.ok(nextStatements.length <= five.statements.length, `${nextStatements.length} <= ${five.statements.length}`);
        for (const s of nextStatements) assert.doesNotMatch(s, /\boffset\b/i);
      } else {
        assert.equal(next, undefined);
      }
    });

    test(`a thread page runs as many SQL statements for 500 messages as for 10 (${setup.name})`, async () => {
      const app = setup.app();
      const ten = await threadStatements(app, 10, setup.tag);
      const many = await threadStatements(app, 500, setup.tag);
      assert.equal(ten.shown, 10, 'the premise: 10 messages drawn');
      assert.equal(many.shown, setup.messagesShown, 'the premise: the larger page is drawn');
      assert.ok(ten.statements.length > 0);
      assert.equal(many.statements.length, ten.statements.length, `10:\n${ten.statements.join('\n')}\n500:\n${many.statements.join('\n')}`);
      for (const s of [...ten.statements, ...many.statements]) assert.doesNotMatch(s, /\boffset\b/i);
      // Both pages were opened unread and are read now: the same work was done.
      for (const run of [ten, many]) {
        const row = await participant(app, run.conversation, run.owner.id);
        assert.equal(Number(row.last_read_message_id), Number(row.latest_incoming_message_id));
      }
    });
  }
});
