import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { html, sessionCookie, startTestApp, type Agent, type TestApp } from '../support/app.js';
import { openConversation as open, sendMessage as send } from '../support/messaging.js';
import { listen, openEventStream, waitForListeners } from '../support/sse.js';
import { newMember, type Member } from '../support/members.js';

// My own view of a conversation (CONTRACT.md, Messaging): archive, pin, mute, mark unread and
// delete-for-me, each changing only my participant row; the inbox tabs, the name search, its
// keyset pages, the htmx answers, and who may do any of it.

// Sending limits out of the way: some setups open and write more than the product allows a minute.
const LIMITS = { messages: { max: 10_000, windowSeconds: 60 }, conversations: { max: 10_000, windowSeconds: 86_400 } };
const ACTIONS = ['archive', 'unarchive', 'pin', 'unpin', 'mute', 'unmute', 'unread', 'delete'] as const;
type Action = (typeof ACTIONS)[number];

let t: TestApp;
before(async () => {
  t = await startTestApp({ messagingLimits: LIMITS });
});

/** A logged-in member with a unique username (prefix_N) and display name. */
const member = (prefix: string, displayName?: string, app: TestApp = t): Promise<Member> => newMember(app, prefix, displayName);

/** Two connected members and their (empty) conversation, opened by A. */
async function pair(a: string, b: string, app: TestApp = t) {
  const A = await member(a, undefined, app);
  const B = await member(b, undefined, app);
  await app.connect(A.id, B.id);
  const conversation = await open(A, B);
  return { A, B, conversation };
}

/** `other` connects to `me`, opens our conversation and writes one message in it. */
async function conversationWith(me: Member, other: Member, body = `hello from ${other.username}`, app: TestApp = t): Promise<number> {
  await app.connect(me.id, other.id);
  const conversation = await open(other, me);
  await send(other, conversation, body);
  return conversation;
}

function act(who: Member, conversation: number | string, action: Action, fields: Record<string, string> = {}) {
  return who.agent.post(`/messages/${conversation}/${action}`).type('form').send({ _csrf: who.token, ...fields });
}

/** POST an action and expect its 303. */
async function done(who: Member, conversation: number, action: Action, fields: Record<string, string> = {}) {
  const res = await act(who, conversation, action, fields);
  assert.equal(res.status, 303, `${who.username} ${action} ${conversation}: ${res.status} ${res.text.slice(0, 200)}`);
  return res;
}

interface Row {
  id: number;
  unread: string | undefined;
  pinned: boolean;
  muted: boolean;
  bold: boolean;
  text: string;
  html: string;
}

function rowsOf(text: string): Row[] {
  const $ = html(text);
  return $('#inbox-list [data-conversation-id][data-unread]')
    .map((_i, el) => {
      const row = $(el);
      return {
        id: Number(row.attr('data-conversation-id')),
        unread: row.attr('data-unread'),
        pinned: row.attr('data-pinned') === 'true',
        muted: row.attr('data-muted') === 'true',
        bold: row.find('.font-bold').length > 0,
        text: row.text().replace(/\s+/g, ' ').trim(),
        html: $.html(row),
      };
    })
    .get();
}

async function inbox(agent: Agent, path = '/messages') {
  const res = await agent.get(path);
  assert.equal(res.status, 200, `GET ${path}`);
  return { res, $: html(res.text), rows: rowsOf(res.text) };
}

const ids = (rows: Row[]) => rows.map((row) => row.id);
const tab = async (who: Member, filter: 'all' | 'unread' | 'archived', q = '') =>
  ids((await inbox(who.agent, `/messages?filter=${filter}${q ? `&q=${encodeURIComponent(q)}` : ''}`)).rows);
const rowIn = async (who: Member, conversation: number, path = '/messages') => (await inbox(who.agent, path)).rows.find((row) => row.id === conversation);

function badgeOf(text: string): number {
  const badge = html(text)('#messages-badge');
  assert.equal(badge.length, 1, 'the page has the navbar badge');
  return Number(badge.attr('data-unread-count'));
}

async function badge(who: Member, path = '/people'): Promise<number> {
  const res = await who.agent.get(path);
  assert.equal(res.status, 200);
  return badgeOf(res.text);
}

async function participant(conversation: number, userId: number, app: TestApp = t) {
  return app.db.selectFrom('conversation_participants').selectAll().where('conversation_id', '=', conversation).where('user_id', '=', userId).executeTakeFirstOrThrow();
}

/** The message ids a page shows (li[data-message-id]), in page order. */
function messageIds(text: string): number[] {
  const $ = html(text);
  return $('li[data-message-id]')
    .map((_i, el) => Number($(el).attr('data-message-id')))
    .get();
}

async function threadIds(who: Member, conversation: number, query = ''): Promise<number[]> {
  const res = await who.agent.get(`/messages/${conversation}${query}`);
  assert.equal(res.status, 200, `${who.username} GET /messages/${conversation}${query}`);
  return messageIds(res.text);
}

/** Everything the other person sees of the conversation without reading it: their row, inbox rows, tabs and badge. */
async function viewOf(who: Member, conversation: number) {
  return {
    row: await participant(conversation, who.id),
    all: (await inbox(who.agent)).rows,
    unread: await tab(who, 'unread'),
    archived: await tab(who, 'archived'),
    badge: await badge(who),
  };
}

const htmxPost = (who: Member, path: string, fields: Record<string, string>) =>
  who.agent.post(path).type('form').set('HX-Request', 'true').set('HX-Target', 'inbox-results').send({ _csrf: who.token, ...fields });

/** An answer that is just the #inbox-results div (tabs + list), no page around it. */
function assertJustResults(text: string) {
  assert.doesNotMatch(text, /<html|<body|<head/i, 'no page around it');
  assert.match(text.trim(), /^<div id="inbox-results"/, `starts with #inbox-results: ${text.trim().slice(0, 80)}`);
  const $ = html(text);
  assert.equal($('#inbox-results').length, 1);
  assert.equal($('#messages-badge').length, 0, 'no navbar');
  assert.equal($('#inbox-results nav[data-inbox-tabs] a[data-filter]').length, 3, 'the tabs are inside');
  return $;
}

describe('every action changes only my own view', () => {
  // Per action: what to do first (so the action has something to undo), where it lands, and what it changes in my row.
  const cases: { action: Action; first?: Action; landing: 'thread' | 'inbox'; changed(row: Awaited<ReturnType<typeof participant>>, lastMessage: number): void }[] = [
    { action: 'archive', landing: 'inbox', changed: (row) => assert.ok(row.archived_at instanceof Date) },
    { action: 'unarchive', first: 'archive', landing: 'inbox', changed: (row) => assert.equal(row.archived_at, null) },
    { action: 'pin', landing: 'thread', changed: (row) => assert.ok(row.pinned_at instanceof Date) },
    { action: 'unpin', first: 'pin', landing: 'thread', changed: (row) => assert.equal(row.pinned_at, null) },
    { action: 'mute', landing: 'thread', changed: (row) => assert.ok(row.muted_at instanceof Date) },
    { action: 'unmute', first: 'mute', landing: 'thread', changed: (row) => assert.equal(row.muted_at, null) },
    { action: 'unread', landing: 'inbox', changed: (row) => assert.equal(row.marked_unread, true) },
    {
      action: 'delete',
      landing: 'inbox',
      changed: (row, lastMessage) => {
        assert.equal(Number(row.cleared_before_message_id), lastMessage, 'my history now starts after the last message');
        assert.equal(row.last_activity_at, null, 'out of my inbox');
      },
    },
  ];

  for (const c of cases) {
    test(`POST /messages/:id/${c.action}: 303 to ${c.landing === 'thread' ? 'the thread' : 'the inbox'}; the other person's row, inbox and badge stay as they were`, async () => {
      const { A, B, conversation } = await pair(`own_${c.action}_a`, `own_${c.action}_b`);
      await send(A, conversation, 'first from A');
      await send(B, conversation, 'a reply from B');
      const last = await send(A, conversation, 'and A again, unread by B');
      await threadIds(A, conversation); // A has read everything
      if (c.first) await done(A, conversation, c.first);
      await B.agent.get('/people'); // B's pages have had everything delivered, so loading more changes nothing
      const bBefore = await viewOf(B, conversation);
      assert.equal(bBefore.badge, 1, 'the premise: B has A’s last message unread');
      const aBefore = await participant(conversation, A.id);
      const messagesBefore = await t.db.selectFrom('messages').select(['id', 'body', 'deleted_at']).where('conversation_id', '=', conversation).orderBy('id').execute();

      const res = await done(A, conversation, c.action);
      assert.equal(res.headers.location, c.landing === 'thread' ? `/messages/${conversation}` : '/messages');

      const aAfter = await participant(conversation, A.id);
      c.changed(aAfter, last);
      assert.equal(aAfter.other_user_id, aBefore.other_user_id);
      assert.deepEqual(await viewOf(B, conversation), bBefore, `${c.action} by A leaves B's participant row, inbox rows, tabs and badge as they were`);
      assert.deepEqual(await t.db.selectFrom('messages').select(['id', 'body', 'deleted_at']).where('conversation_id', '=', conversation).orderBy('id').execute(), messagesBefore, 'no message changes');
    });
  }

  test('`next` (a same-site path) is where an action lands; another origin is not; unread never lands on the thread', async () => {
    const { A, B, conversation } = await pair('next_a', 'next_b');
    await send(B, conversation, 'hello');
    assert.equal((await done(A, conversation, 'mute', { next: '/messages?filter=unread' })).headers.location, '/messages?filter=unread');
    assert.equal((await done(A, conversation, 'unmute', { next: 'https://evil.example/x' })).headers.location, `/messages/${conversation}`);
    assert.equal((await done(A, conversation, 'archive', { next: '//evil.example/x' })).headers.location, '/messages');
    assert.equal((await done(A, conversation, 'unarchive', { next: '/messages?filter=archived' })).headers.location, '/messages?filter=archived');
    assert.equal((await done(A, conversation, 'unread', { next: `/messages/${conversation}` })).headers.location, '/messages', 'the thread would read it again');
    assert.equal((await done(A, conversation, 'unread', { next: '/people' })).headers.location, '/people');
  });
});

describe('archive', () => {
  test('leaves All, shows under Archived; a new message from the other side brings it back; B never sees a change', async () => {
    const { A, B, conversation } = await pair('arc_a', 'arc_b');
    const other = await conversationWith(A, await member('arc_c'));
    await send(A, conversation, 'hi B');
    await send(B, conversation, 'hi A');
    await threadIds(A, conversation);

    await done(A, conversation, 'archive');
    assert.deepEqual(await tab(A, 'all'), [other]);
    assert.deepEqual(await tab(A, 'archived'), [conversation]);
    assert.ok(!(await tab(A, 'unread')).includes(conversation));
    assert.deepEqual(await tab(B, 'all'), [conversation], 'still in B’s inbox');
    assert.deepEqual(await tab(B, 'archived'), []);

    await send(B, conversation, 'are you there?');
    assert.deepEqual(await tab(A, 'all'), [conversation, other], 'back on top of All');
    assert.deepEqual(await tab(A, 'archived'), []);
    assert.equal((await rowIn(A, conversation))?.unread, 'true');
    assert.equal((await participant(conversation, A.id)).archived_at, null);
  });

  test('a new message of my own brings it back too; unarchive moves it back without one', async () => {
    const { A, B, conversation } = await pair('arc2_a', 'arc2_b');
    await send(B, conversation, 'something');
    await done(A, conversation, 'archive');
    assert.deepEqual(await tab(A, 'all'), []);
    await send(A, conversation, 'my own new message');
    assert.deepEqual(await tab(A, 'all'), [conversation]);
    assert.deepEqual(await tab(A, 'archived'), []);

    await done(A, conversation, 'archive');
    assert.deepEqual(await tab(A, 'archived'), [conversation]);
    await done(A, conversation, 'unarchive');
    assert.deepEqual(await tab(A, 'all'), [conversation]);
    assert.deepEqual(await tab(A, 'archived'), []);
    assert.deepEqual(await tab(B, 'all'), [conversation]);
  });

  test('archiving unpins; pinning an archived conversation unarchives it', async () => {
    const { A, B, conversation } = await pair('arcpin_a', 'arcpin_b');
    const newer = await conversationWith(A, await member('arcpin_c'));
    await send(B, conversation, 'older activity');
    await send(A, newer, 'newer activity');
    await done(A, conversation, 'pin');
    assert.deepEqual(await tab(A, 'all'), [conversation, newer], 'pinned first');

    await done(A, conversation, 'archive');
    const row = await participant(conversation, A.id);
    assert.equal(row.pinned_at, null, 'archiving unpins');
    assert.ok(row.archived_at instanceof Date);
    const archived = await rowIn(A, conversation, '/messages?filter=archived');
    assert.ok(archived, 'under Archived');
    assert.equal(archived.pinned, false);

    await done(A, conversation, 'pin');
    const pinned = await participant(conversation, A.id);
    assert.equal(pinned.archived_at, null, 'pinning unarchives');
    assert.ok(pinned.pinned_at instanceof Date);
    assert.deepEqual(await tab(A, 'archived'), []);
    const rows = (await inbox(A.agent)).rows;
    assert.deepEqual(ids(rows), [conversation, newer]);
    assert.equal(rows[0]!.pinned, true);
  });
});

describe('delete for me', () => {
  test('it leaves every tab of my inbox; the other side keeps everything; a new message brings it back with only the new messages', async () => {
    const { A, B, conversation } = await pair('del_a', 'del_b');
    const old = [
      await send(A, conversation, 'old words one'),
      await send(B, conversation, 'old words two'),
      await send(A, conversation, 'old words three'),
      await send(B, conversation, 'old words four'),
    ];
    assert.equal(await badge(A), 1, 'the premise: B’s last message is unread for A');
    await B.agent.get('/people');
    const bBefore = await viewOf(B, conversation);

    const res = await done(A, conversation, 'delete');
    assert.equal(res.headers.location, '/messages');
    for (const filter of ['all', 'unread', 'archived'] as const) assert.deepEqual(await tab(A, filter), [], `not under ${filter}`);
    assert.equal(await badge(A), 0, 'deleting marks it read');

    // The other side keeps all of it.
    assert.deepEqual(await viewOf(B, conversation), bBefore);
    assert.deepEqual(await threadIds(B, conversation), old);

    // For me, the old messages are gone: the thread page, its tail, a page around one of them, older pages.
    const page = await A.agent.get(`/messages/${conversation}`);
    assert.equal(page.status, 200);
    assert.deepEqual(messageIds(page.text), []);
    for (const body of ['old words one', 'old words two', 'old words three', 'old words four']) assert.ok(!page.text.includes(body), `no "${body}"`);
    const tail = await A.agent.get(`/messages/${conversation}/tail?from=1`).set('HX-Request', 'true');
    assert.equal(tail.status, 200);
    assert.deepEqual(messageIds(tail.text), []);
    assert.deepEqual(await threadIds(A, conversation, `?around=${old[1]}`), []);
    assert.deepEqual(await threadIds(A, conversation, `?before=${old[3]! + 1}`), []);
    // Nor offered as report evidence.
    const form = html((await A.agent.get(`/u/${B.username}/report`)).text);
    assert.deepEqual(form('input[name=message_ids]').map((_i, el) => Number(form(el).attr('value'))).get(), []);

    // Someone writes again: it comes back, with only what came after.
    const fresh = await send(B, conversation, 'a fresh start');
    const back = await rowIn(A, conversation);
    assert.ok(back, 'back in my inbox');
    assert.equal(back.unread, 'true');
    assert.match(back.text, /a fresh start/);
    assert.equal(await badge(A), 1);
    assert.deepEqual(await tab(A, 'unread'), [conversation]);
    const again = await A.agent.get(`/messages/${conversation}`);
    assert.deepEqual(messageIds(again.text), [fresh], 'the thread starts at the new message');
    assert.equal(html(again.text)('a[rel=prev]').length, 0, 'nothing older to load');
    for (const body of ['old words one', 'old words two', 'old words three', 'old words four']) assert.ok(!again.text.includes(body));
    const tailAgain = await A.agent.get(`/messages/${conversation}/tail?from=1`).set('HX-Request', 'true');
    assert.deepEqual(messageIds(tailAgain.text), [fresh], 'the tail from the start shows only the new one');
    assert.deepEqual(await threadIds(A, conversation, `?before=${fresh}`), []);
    const form2 = html((await A.agent.get(`/u/${B.username}/report`)).text);
    assert.deepEqual(form2('input[name=message_ids]').map((_i, el) => Number(form2(el).attr('value'))).get(), [fresh]);

    assert.deepEqual(await threadIds(B, conversation), [...old, fresh], 'B still has everything');
  });

  test('it comes back when I write again myself, with only my new message', async () => {
    const { A, B, conversation } = await pair('del2_a', 'del2_b');
    const old = [await send(B, conversation, 'before one'), await send(A, conversation, 'before two')];
    await done(A, conversation, 'delete');
    assert.deepEqual(await tab(A, 'all'), []);
    const mine = await send(A, conversation, 'starting over');
    const row = await rowIn(A, conversation);
    assert.ok(row);
    assert.equal(row.unread, 'false');
    assert.match(row.text, /starting over/);
    assert.deepEqual(await threadIds(A, conversation), [mine]);
    assert.deepEqual(await threadIds(B, conversation), [...old, mine]);
  });

  test('history deleted for me cannot be attached to a report by hand, and a hidden conversation cannot be pinned', async () => {
    const { A, B, conversation } = await pair('del3_a', 'del3_b');
    const old = await send(B, conversation, 'said before the delete');
    await done(A, conversation, 'delete');
    // Pinning what is not in my inbox does nothing (and takes none of my 5 places).
    await done(A, conversation, 'pin');
    assert.equal((await participant(conversation, A.id)).pinned_at, null);
    const fresh = await send(B, conversation, 'said after it came back');
    const res = await A.agent.post(`/u/${B.username}/report`).type('form').send({ _csrf: A.token, reason: 'spam', details: '', message_ids: [String(old), String(fresh)] });
    assert.equal(res.status, 303);
    const report = await t.db.selectFrom('reports').select('id').where('reporter_id', '=', A.id).executeTakeFirstOrThrow();
    const evidence = await t.db.selectFrom('report_evidence').select('message_id').where('report_id', '=', report.id).execute();
    assert.deepEqual(evidence.map((e) => e.message_id), [fresh], 'only the message after the delete');
  });

  test('a deleted conversation that was pinned, muted and marked unread comes back plain', async () => {
    const { A, B, conversation } = await pair('del3_a', 'del3_b');
    await send(B, conversation, 'first');
    await done(A, conversation, 'pin');
    await done(A, conversation, 'unread');
    await done(A, conversation, 'delete');
    const row = await participant(conversation, A.id);
    assert.equal(row.pinned_at, null);
    assert.equal(row.marked_unread, false);
    assert.equal(await badge(A), 0);
    await send(B, conversation, 'second');
    const back = await rowIn(A, conversation);
    assert.ok(back);
    assert.equal(back.pinned, false);
  });
});

describe('pin', () => {
  test('pinned rows first in the order pinned, then the rest by newest activity; at most 5 pins (6th: 400); unpin', async () => {
    const me = await member('pin_me');
    const c: number[] = [];
    const others: Member[] = [];
    for (let i = 0; i < 7; i++) {
      const other = await member(`pin_p${i}`);
      others.push(other);
      c.push(await conversationWith(me, other));
    }
    const [c0, c1, c2, c3, c4, c5, c6] = c as [number, number, number, number, number, number, number];
    assert.deepEqual(await tab(me, 'all'), [c6, c5, c4, c3, c2, c1, c0], 'the premise: newest activity first');

    for (const id of [c2, c5, c0]) {
      const res = await done(me, id, 'pin');
      assert.equal(res.headers.location, `/messages/${id}`);
    }
    let rows = (await inbox(me.agent)).rows;
    assert.deepEqual(ids(rows), [c2, c5, c0, c6, c4, c3, c1]);
    assert.deepEqual(
      rows.map((row) => row.pinned),
      [true, true, true, false, false, false, false],
      'data-pinned="true" on the pinned rows only',
    );
    for (const row of rows.slice(3)) assert.ok(!row.html.includes('data-pinned'), 'no data-pinned on the others');

    // New activity reorders the rest, never the pins.
    await send(others[0]!, c0, 'c0 again');
    await send(others[1]!, c1, 'c1 again');
    assert.deepEqual(await tab(me, 'all'), [c2, c5, c0, c1, c6, c4, c3]);

    // Up to five.
    await done(me, c1, 'pin');
    await done(me, c3, 'pin');
    assert.deepEqual(await tab(me, 'all'), [c2, c5, c0, c1, c3, c6, c4]);
    const sixth = await act(me, c4, 'pin');
    assert.equal(sixth.status, 400, 'a 6th pin is refused');
    assert.equal((await participant(c4, me.id)).pinned_at, null);
    assert.deepEqual(await tab(me, 'all'), [c2, c5, c0, c1, c3, c6, c4]);
    // Pinning one already pinned is no new pin, and keeps its place.
    await done(me, c2, 'pin');
    assert.deepEqual(await tab(me, 'all'), [c2, c5, c0, c1, c3, c6, c4]);

    // Unpin: back among the rest by its activity; a place is free again.
    assert.equal((await done(me, c5, 'unpin')).headers.location, `/messages/${c5}`);
    rows = (await inbox(me.agent)).rows;
    assert.deepEqual(ids(rows), [c2, c0, c1, c3, c6, c5, c4]);
    assert.equal(rows.find((row) => row.id === c5)?.pinned, false);
    await done(me, c4, 'pin');
    assert.deepEqual(await tab(me, 'all'), [c2, c0, c1, c3, c4, c6, c5], 'the newest pin goes last among the pins');

    // My pins are mine: the other side's inbox shows nothing pinned.
    assert.equal((await rowIn(others[2]!, c2))?.pinned, false);
  });
});

describe('mute', () => {
  test('the badge leaves it out, the row stays data-unread="true" and data-muted="true"; unmute counts it again', async () => {
    const { A, B, conversation } = await pair('mute_a', 'mute_b');
    await send(B, conversation, 'one');
    assert.equal(await badge(A), 1);
    const res = await done(A, conversation, 'mute');
    assert.equal(res.headers.location, `/messages/${conversation}`);

    assert.equal(await badge(A), 0, 'muted: not counted');
    assert.equal(await badge(A, '/messages'), 0);
    let row = await rowIn(A, conversation);
    assert.equal(row?.unread, 'true', 'still unread');
    assert.equal(row?.muted, true);
    assert.deepEqual(await tab(A, 'unread'), [conversation]);
    await send(B, conversation, 'two');
    assert.equal(await badge(A), 0, 'new messages in it are not counted either');
    assert.equal((await rowIn(A, conversation))?.unread, 'true');

    await done(A, conversation, 'unmute');
    assert.equal(await badge(A), 1);
    row = await rowIn(A, conversation);
    assert.equal(row?.muted, false);
    assert.ok(!row?.html.includes('data-muted'));
  });

  test('the live message event of a muted conversation carries data-muted="true" (and "false" when not muted)', async () => {
    const { A, B, conversation } = await pair('mutesse_a', 'mutesse_b');
    const C = await member('mutesse_c');
    const loud = await conversationWith(A, C);
    await done(A, conversation, 'mute');
    await waitForListeners(t.db, 1);
    const server = await listen(t.app);
    const stream = await openEventStream(server.baseUrl, await sessionCookie(A.agent));
    try {
      assert.equal(stream.status, 200);
      await send(B, conversation, 'quietly');
      const event = await stream.waitFor((e) => e.event === 'message' && e.data.includes(`data-conversation-id="${conversation}"`), 3000, 'the message event');
      assert.equal(html(event.data)('#live-note').attr('data-muted'), 'true');
      assert.equal(html(event.data)('#messages-count').attr('data-count'), '1', 'its badge counts the other (unmuted) conversation only');

      await send(C, loud, 'loudly');
      const loudEvent = await stream.waitFor((e) => e.event === 'message' && e.data.includes(`data-conversation-id="${loud}"`), 3000, 'the other message event');
      assert.equal(html(loudEvent.data)('#live-note').attr('data-muted'), 'false');
    } finally {
      stream.close();
      await server.close();
    }
  });
});

describe('mark unread', () => {
  test('the row is bold and data-unread="true", the badge counts it, the Unread tab has it; opening the thread clears it; the other side sees no change', async () => {
    const { A, B, conversation } = await pair('mu_a', 'mu_b');
    const m = await send(B, conversation, 'read me');
    await threadIds(A, conversation);
    let row = await rowIn(A, conversation);
    assert.equal(row?.unread, 'false');
    assert.equal(row?.bold, false);
    assert.equal(await badge(A), 0);
    const seen = async () => html((await B.agent.get(`/messages/${conversation}`)).text)(`li#m-${m}`).attr('data-status');
    assert.equal(await seen(), 'seen', 'the premise: B sees A read it');

    const res = await done(A, conversation, 'unread', { next: `/messages/${conversation}` });
    assert.equal(res.headers.location, '/messages');
    row = await rowIn(A, conversation);
    assert.equal(row?.unread, 'true');
    assert.equal(row?.bold, true, 'drawn bold');
    assert.equal(await badge(A), 1);
    assert.ok(html((await A.agent.get('/people')).text)('title').text().startsWith('(1) '));
    assert.deepEqual(await tab(A, 'unread'), [conversation]);
    assert.equal(await seen(), 'seen', 'B’s receipts are untouched');
    assert.equal(await badge(B), 0);

    assert.deepEqual(await threadIds(A, conversation), [m]);
    row = await rowIn(A, conversation);
    assert.equal(row?.unread, 'false', 'opening the thread reads it');
    assert.equal(await badge(A), 0);
    assert.equal((await participant(conversation, A.id)).marked_unread, false);
    assert.deepEqual(await tab(A, 'unread'), []);
  });

  test('a conversation whose last message is my own can be marked unread too; muted, it is not counted', async () => {
    const { A, conversation } = await pair('mu2_a', 'mu2_b');
    await send(A, conversation, 'my own words');
    await done(A, conversation, 'unread');
    assert.equal((await rowIn(A, conversation))?.unread, 'true');
    assert.equal(await badge(A), 1);
    await done(A, conversation, 'mute');
    assert.equal(await badge(A), 0);
    assert.equal((await rowIn(A, conversation))?.unread, 'true');
    await threadIds(A, conversation);
    assert.equal((await rowIn(A, conversation))?.unread, 'false');
  });
});

describe('tabs: All, Unread, Archived', () => {
  test('what each tab holds, aria-current on the active one, links that work without JS', async () => {
    const me = await member('tab_me');
    const read = await conversationWith(me, await member('tab_p1'));
    const unread = await conversationWith(me, await member('tab_p2'));
    const archived = await conversationWith(me, await member('tab_p3'));
    const marked = await conversationWith(me, await member('tab_p4'));
    await threadIds(me, read);
    await threadIds(me, marked);
    await done(me, marked, 'unread');
    await done(me, archived, 'archive');

    const expected = { all: [marked, unread, read], unread: [marked, unread], archived: [archived] };
    for (const [filter, path] of [
      ['all', '/messages'],
      ['all', '/messages?filter=all'],
      ['unread', '/messages?filter=unread'],
      ['archived', '/messages?filter=archived'],
      ['all', '/messages?filter=bogus'],
    ] as const) {
      const { $, rows } = await inbox(me.agent, path);
      assert.deepEqual(ids(rows), expected[filter], path);
      const tabs = $('nav[data-inbox-tabs] a[data-filter]');
      assert.deepEqual(tabs.map((_i, el) => $(el).attr('data-filter')).get(), ['all', 'unread', 'archived']);
      assert.deepEqual(
        tabs.map((_i, el) => $(el).attr('aria-current') ?? '').get(),
        ['all', 'unread', 'archived'].map((f) => (f === filter ? 'page' : '')),
        `aria-current="page" on ${filter} only (${path})`,
      );
      assert.deepEqual(tabs.map((_i, el) => $(el).attr('href')).get(), ['/messages', '/messages?filter=unread', '/messages?filter=archived'], 'plain links');
      assert.equal($('#inbox-results').attr('data-filter'), filter);
      assert.equal($('[data-inbox-empty]').length, 0);
    }
    const unreadRows = (await inbox(me.agent, '/messages?filter=unread')).rows;
    assert.ok(unreadRows.every((row) => row.unread === 'true'));
    const archivedRow = (await inbox(me.agent, '/messages?filter=archived')).rows[0]!;
    assert.equal(archivedRow.unread, 'true', 'an archived conversation keeps its unread state');
    assert.equal((await inbox(me.agent, '/messages?filter=archived')).$(`[data-conversation-id="${archived}"] button[formaction="/messages/${archived}/unarchive"]`).length, 1, 'its menu offers to move it back');

    // Reading empties Unread; an empty tab says so.
    await threadIds(me, unread);
    await threadIds(me, marked);
    const empty = await inbox(me.agent, '/messages?filter=unread');
    assert.deepEqual(ids(empty.rows), []);
    assert.equal(empty.$('[data-inbox-empty]').length, 1);
    assert.equal(empty.$('nav[data-inbox-tabs] a[aria-current="page"]').attr('data-filter'), 'unread');
  });

  test('a newcomer: every tab is the empty state', async () => {
    const me = await member('tab_new');
    for (const filter of ['all', 'unread', 'archived'] as const) {
      const { $, rows } = await inbox(me.agent, `/messages?filter=${filter}`);
      assert.equal(rows.length, 0);
      assert.equal($('[data-inbox-empty]').length, 1, `empty state on ${filter}`);
    }
  });

  test('each row has its menu: details[data-conversation-menu] with a form of buttons (formaction=/messages/ID/ACTION) and the CSRF token', async () => {
    const me = await member('menu_me');
    const conversation = await conversationWith(me, await member('menu_p'));
    const { $ } = await inbox(me.agent);
    const form = $(`[data-conversation-id="${conversation}"] details[data-conversation-menu] form[data-conversation-actions]`);
    assert.equal(form.length, 1);
    assert.equal(form.attr('method'), 'post');
    assert.ok(form.find('input[name=_csrf]').val(), 'a CSRF token');
    const actions = form
      .find('button[formaction]')
      .map((_i, el) => $(el).attr('formaction'))
      .get();
    for (const action of ['pin', 'mute', 'archive', 'delete']) assert.ok(actions.includes(`/messages/${conversation}/${action}`), `${action} in ${actions.join(', ')}`);
    // Without JS, pressing one works as a plain form post.
    const token = String(form.find('input[name=_csrf]').val());
    const res = await me.agent.post(`/messages/${conversation}/pin`).type('form').send({ _csrf: token, next: '/messages', filter: 'all', q: '' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/messages');
    assert.equal((await rowIn(me, conversation))?.pinned, true);
  });
});

describe('name search (q)', () => {
  test('a name shared by thousands of people (more than are listed by id) still finds exactly my conversations', async () => {
    const me = await member('crowd_me');
    await t.db
      .insertInto('users')
      .values(Array.from({ length: 5200 }, (_, i) => ({ username: `crowdie_${i}`, display_name: `Crowdie Number ${i}`, password_hash: 'x' })))
      .execute();
    const mine = [await member('crowdie_friend', 'Crowdie Friend'), await member('crowdie_pal', 'Crowdie Pal')];
    const conversations = [await conversationWith(me, mine[0]!), await conversationWith(me, mine[1]!)];
    const other = await member('not_crowd', 'Somebody Else');
    await conversationWith(me, other);
    const found = await tab(me, 'all', 'crowdie');
    assert.deepEqual(found.sort(), [...conversations].sort());
  });

  test('the other person’s display name or username, any case, substring; % and _ are literal; no match is the empty state', async () => {
    const me = await member('ns_me');
    const people = {
      ada: await member('ns_ada', 'Ada Lovelace'),
      grace: await member('ns_grace', 'Grace Hopper'),
      pct: await member('ns_pct', 'Rate 100% Sure'),
      nopct: await member('ns_nopct', 'Rate 1000 Sure'),
      under: await member('ns_under_score', 'Under One'),
      nounder: await member('ns_underxscore', 'Under Two'),
    };
    const c: Record<keyof typeof people, number> = {} as Record<keyof typeof people, number>;
    for (const [key, person] of Object.entries(people) as [keyof typeof people, Member][]) c[key] = await conversationWith(me, person);

    const search = async (q: string, filter: 'all' | 'unread' | 'archived' = 'all') => tab(me, filter, q);
    assert.deepEqual(await search('ada'), [c.ada]);
    assert.deepEqual(await search('LOVELACE'), [c.ada], 'any case');
    assert.deepEqual(await search('a LoVe'), [c.ada], 'a substring across the space');
    assert.deepEqual(await search('  ada  '), [c.ada], 'trimmed');
    assert.deepEqual(await search('hopper'), [c.grace]);
    assert.deepEqual(await search(people.grace.username.toUpperCase()), [c.grace], 'by username');
    assert.deepEqual(await search('ns_gra'), [c.grace], 'by part of the username');
    assert.deepEqual(await search('rate'), [c.nopct, c.pct]);
    assert.deepEqual(await search('100%'), [c.pct], '% is a literal percent sign');
    assert.deepEqual(await search('%'), [c.pct]);
    assert.deepEqual(await search('under_score'), [c.under], '_ is a literal underscore');
    assert.deepEqual(await search('under'), [c.nounder, c.under]);
    assert.deepEqual(await search('\\'), [], 'a backslash is literal too');

    const none = await inbox(me.agent, '/messages?q=nobody-like-this');
    assert.deepEqual(ids(none.rows), []);
    assert.equal(none.$('[data-inbox-empty]').length, 1);
    assert.match(none.$('[data-inbox-empty]').text(), /nobody-like-this/);

    // The box keeps the words; the tabs keep q.
    const found = await inbox(me.agent, '/messages?q=100%25');
    assert.equal(found.$('#inbox-q').val(), '100%');
    assert.deepEqual(
      found.$('nav[data-inbox-tabs] a[data-filter]').map((_i, el) => found.$(el).attr('href')).get(),
      ['/messages?q=100%25', '/messages?filter=unread&q=100%25', '/messages?filter=archived&q=100%25'],
    );

    // q within a tab.
    await done(me, c.ada, 'archive');
    assert.deepEqual(await search('ada'), []);
    assert.deepEqual(await search('ada', 'archived'), [c.ada]);
    assert.deepEqual(await search('grace', 'archived'), []);
    await threadIds(me, c.grace);
    assert.ok(!(await search('grace', 'unread')).includes(c.grace), 'read: not under Unread');
    assert.deepEqual(await search('rate', 'unread'), [c.nopct, c.pct]);
  });
});

describe('keyset "Load more" keeps the tab and q', () => {
  test('every matching conversation exactly once, in order, on All, Unread and Archived', async () => {
    const small = await startTestApp({ messagingPageSize: { messages: 5, conversations: 5 }, messagingLimits: LIMITS });
    const me = await member('ks_me', undefined, small);
    const keepers: number[] = [];
    const keeperMembers: Member[] = [];
    for (let i = 0; i < 12; i++) {
      const keeper = await member(`ks_keeper${i}`, `Keeper Number ${i}`, small);
      keeperMembers.push(keeper);
      keepers.push(await conversationWith(me, keeper, `hello ${i}`, small));
      if (i % 4 === 1) await conversationWith(me, await member(`ks_zed${i}`, `Zed ${i}`, small), 'a non-matching one', small);
    }
    const newestFirst = (list: number[]) => [...list].sort((a, b) => keepers.indexOf(b) - keepers.indexOf(a));

    async function walk(start: string, expectInLinks: RegExp[]) {
      const pages: number[][] = [];
      let next: string | undefined = start;
      while (next) {
        assert.ok(pages.length < 6, 'the walk ends');
        const res = await me.agent.get(next);
        assert.equal(res.status, 200, `GET ${next}`);
        const $ = html(res.text);
        pages.push(ids(rowsOf(res.text)));
        next = $('a[rel=next]').attr('href');
        if (next) {
          assert.match(next, /[?&]after=[^&]+/, 'a keyset cursor');
          assert.doesNotMatch(next, /page=|offset=/);
          for (const re of expectInLinks) assert.match(next, re, `"Load more" keeps it: ${next}`);
          assert.match($('a[rel=next]').text(), /Load more/);
        }
      }
      return pages;
    }

    // All, q=keeper, two of them pinned: pins lead the first page only.
    const pinnedOnes = [keepers[3]!, keepers[8]!];
    for (const id of pinnedOnes) await done(me, id, 'pin');
    let pages = await walk('/messages?q=keeper', [/q=keeper/]);
    assert.deepEqual(pages.flat(), [...pinnedOnes, ...newestFirst(keepers.filter((id) => !pinnedOnes.includes(id)))], 'pinned, then the rest, each once');
    assert.deepEqual(
      pages.map((p) => p.length),
      [7, 5],
    );

    // A cursor that is not one is no error.
    for (const bad of ['garbage', 'eyJ4IjoxfQ', '']) assert.equal((await me.agent.get(`/messages?q=keeper&after=${bad}`)).status, 200, `after=${bad}`);

    // Without q, the non-matching ones are there too; with q=KEEPER (any case) they are not.
    assert.equal((await walk('/messages', [])).flat().length, 15);
    assert.deepEqual((await walk('/messages?q=KEEPER', [/q=KEEPER/])).flat().length, 12);

    // Unread, q=keeper: four of them read.
    for (const i of [0, 3, 6, 9]) {
      const res = await me.agent.get(`/messages/${keepers[i]}`);
      assert.equal(res.status, 200);
    }
    const unreadKeepers = newestFirst(keepers.filter((_id, i) => ![0, 3, 6, 9].includes(i)));
    pages = await walk('/messages?filter=unread&q=keeper', [/filter=unread/, /q=keeper/]);
    assert.deepEqual(
      pages.map((p) => p.length),
      [5, 3],
    );
    assert.deepEqual(pages.flat(), unreadKeepers);

    // htmx "Load more": just the rows of the tab, their menus still knowing the tab and q.
    const first = await me.agent.get('/messages?filter=unread&q=keeper');
    const link = html(first.text)('a[rel=next]').attr('href');
    assert.ok(link, 'a second page of Unread');
    const fragment = await me.agent.get(link).set('HX-Request', 'true');
    assert.equal(fragment.status, 200);
    assert.doesNotMatch(fragment.text, /<html|<body/i);
    const fragmentRows = ids(rowsOf(`<ul id="inbox-list">${fragment.text}</ul>`));
    assert.deepEqual(fragmentRows, unreadKeepers.slice(5));
    const nextOfFragment = html(fragment.text)('a[rel=next]');
    assert.equal(nextOfFragment.length, 0, 'the last page');
    // Drawn for htmx, the rows' menus come when opened (GET /messages/:id/menu), told the tab and q.
    const $fragment = html(`<ul id="inbox-list">${fragment.text}</ul>`);
    const menuUrls = $fragment('details[data-conversation-menu]').map((_i, el) => $fragment(el).attr('hx-get')).get() as string[];
    assert.equal(menuUrls.length, fragmentRows.length);
    assert.ok(menuUrls.every((url) => /\/menu\?filter=unread&q=keeper$/.test(url)), menuUrls.join(' '));
    const menu = html((await me.agent.get(menuUrls[0]!).set('HX-Request', 'true')).text);
    assert.equal(menu('form[data-conversation-actions] input[name=filter]').val(), 'unread');
    assert.equal(menu('form[data-conversation-actions] input[name=q]').val(), 'keeper');

    // Archived, q=keeper: seven archived (among them the pinned ones).
    const archivedKeepers = [keepers[1]!, keepers[2]!, keepers[3]!, keepers[5]!, keepers[8]!, keepers[10]!, keepers[11]!];
    for (const id of archivedKeepers) await done(me, id, 'archive');
    await done(me, await conversationWith(me, await member('ks_zarch', 'Zed Archived', small), 'archived, no match', small), 'archive');
    pages = await walk('/messages?filter=archived&q=keeper', [/filter=archived/, /q=keeper/]);
    assert.deepEqual(
      pages.map((p) => p.length),
      [5, 2],
    );
    assert.deepEqual(pages.flat(), newestFirst(archivedKeepers));
    pages = await walk('/messages?q=keeper', [/q=keeper/]);
    assert.deepEqual(pages.flat(), newestFirst(keepers.filter((id) => !archivedKeepers.includes(id))));

  });
});

describe('htmx answers', () => {
  test('GET /messages with HX-Target: inbox-results is just #inbox-results of that tab', async () => {
    const me = await member('hx_me');
    const c1 = await conversationWith(me, await member('hx_p1', 'Hx Alpha'));
    const c2 = await conversationWith(me, await member('hx_p2', 'Hx Beta'));
    await done(me, c1, 'archive');
    const res = await me.agent.get('/messages?filter=archived').set('HX-Request', 'true').set('HX-Target', 'inbox-results');
    assert.equal(res.status, 200);
    const $ = assertJustResults(res.text);
    assert.deepEqual(ids(rowsOf(res.text)), [c1]);
    assert.equal($('nav[data-inbox-tabs] a[aria-current="page"]').attr('data-filter'), 'archived');
    const byName = await me.agent.get('/messages?q=beta').set('HX-Request', 'true').set('HX-Target', 'inbox-results');
    assertJustResults(byName.text);
    assert.deepEqual(ids(rowsOf(byName.text)), [c2]);
  });

  test('an action with HX-Target: inbox-results answers 200 with the redrawn #inbox-results of the tab (filter, q) it came from', async () => {
    const me = await member('hxa_me');
    const ada = await conversationWith(me, await member('hxa_ada', 'Ada Hx'));
    const adam = await conversationWith(me, await member('hxa_adam', 'Adam Hx'));
    const bob = await conversationWith(me, await member('hxa_bob', 'Bob Hx'));

    // Archive from All, searching "ad": the row leaves the list it was in.
    let res = await htmxPost(me, `/messages/${ada}/archive`, { filter: 'all', q: 'ad', next: '/messages' });
    assert.equal(res.status, 200);
    let $ = assertJustResults(res.text);
    assert.deepEqual(ids(rowsOf(res.text)), [adam]);
    assert.equal($('#inbox-results').attr('data-filter'), 'all');
    assert.equal($('nav[data-inbox-tabs] a[aria-current="page"]').attr('data-filter'), 'all');
    assert.ok(($('nav[data-inbox-tabs] a[data-filter="unread"]').attr('href') ?? '').includes('q=ad'), 'the tabs keep q');
    assert.ok($('form[data-conversation-actions] input[name=_csrf]').first().val(), 'the redrawn rows carry a CSRF token');
    assert.equal($('form[data-conversation-actions] input[name=q]').first().val(), 'ad');
    assert.ok((await participant(ada, me.id)).archived_at instanceof Date);

    // Pin from the Archived tab: it leaves Archived (pinning unarchives).
    res = await htmxPost(me, `/messages/${ada}/pin`, { filter: 'archived', q: '', next: '/messages?filter=archived' });
    assert.equal(res.status, 200);
    $ = assertJustResults(res.text);
    assert.deepEqual(ids(rowsOf(res.text)), []);
    assert.equal($('[data-inbox-empty]').length, 1);
    assert.equal($('nav[data-inbox-tabs] a[aria-current="page"]').attr('data-filter'), 'archived');

    // Mute from All: the row is redrawn muted, pinned ones first.
    res = await htmxPost(me, `/messages/${bob}/mute`, { filter: 'all', q: '' });
    assert.equal(res.status, 200);
    assertJustResults(res.text);
    const rows = rowsOf(res.text);
    assert.deepEqual(ids(rows), [ada, bob, adam]);
    assert.equal(rows.find((row) => row.id === bob)?.muted, true);

    // Delete from the Unread tab: the Unread tab comes back without it (by activity, pins not apart).
    res = await htmxPost(me, `/messages/${adam}/delete`, { filter: 'unread', q: '' });
    assert.equal(res.status, 200);
    $ = assertJustResults(res.text);
    assert.deepEqual(ids(rowsOf(res.text)), [bob, ada]);
    assert.equal($('nav[data-inbox-tabs] a[aria-current="page"]').attr('data-filter'), 'unread');
  });
});

describe('who may act', () => {
  test('on every action route: an outsider 404 (as for an unknown conversation), logged out 401, no CSRF token 403; nothing changes', async () => {
    const { A, B, conversation } = await pair('auth_a', 'auth_b');
    await send(A, conversation, 'ours alone');
    const outsider = await member('auth_out');
    await conversationWith(outsider, await member('auth_out_friend'));
    const anonymous = t.agent();
    const before = await t.db.selectFrom('conversation_participants').selectAll().where('conversation_id', '=', conversation).orderBy('user_id').execute();
    const outsiderBefore = await t.db.selectFrom('conversation_participants').selectAll().where('user_id', '=', outsider.id).execute();

    for (const action of ACTIONS) {
      const path = `/messages/${conversation}/${action}`;
      const theirs = await act(outsider, conversation, action);
      assert.equal(theirs.status, 404, `outsider ${path}`);
      assert.equal(theirs.text, (await act(outsider, 999_999_999, action)).text, `outsider ${path}: the page of an unknown conversation`);
      assert.equal((await act(A, 999_999_999, action)).status, 404, `unknown /messages/999999999/${action}`);
      assert.equal((await act(A, 'nope', action)).status, 404, `/messages/nope/${action}`);
      assert.equal((await anonymous.post(path).type('form').send({})).status, 401, `logged out ${path}`);
      assert.equal((await anonymous.post(path).type('form').set('HX-Request', 'true').set('HX-Target', 'inbox-results').send({ filter: 'all' })).status, 401, `logged out htmx ${path}`);
      assert.equal((await A.agent.post(path).type('form').send({})).status, 403, `no CSRF token ${path}`);
      assert.equal((await A.agent.post(path).type('form').send({ _csrf: 'not-the-token' })).status, 403, `a wrong CSRF token ${path}`);
      assert.equal((await A.agent.post(path).type('form').set('HX-Request', 'true').set('HX-Target', 'inbox-results').send({ filter: 'all' })).status, 403, `no CSRF token, htmx ${path}`);
    }
    assert.deepEqual(await t.db.selectFrom('conversation_participants').selectAll().where('conversation_id', '=', conversation).orderBy('user_id').execute(), before, 'both rows as they were');
    assert.deepEqual(await t.db.selectFrom('conversation_participants').selectAll().where('user_id', '=', outsider.id).execute(), outsiderBefore);
    assert.deepEqual(await tab(A, 'all'), [conversation]);
    assert.deepEqual(await tab(B, 'all'), [conversation]);
  });
});
