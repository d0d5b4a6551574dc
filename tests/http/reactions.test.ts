import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { redactMessages, type MessagingDb } from '../../src/messaging/index.js';
import { html, sessionCookie, startTestApp, type TestApp } from '../support/app.js';
import { openConversation as open, sendMessage as send } from '../support/messaging.js';
import { closeAllEventStreams, listen, openEventStream, waitForListeners, type Listening } from '../support/sse.js';
import { newMember, type Member } from '../support/members.js';

// Reactions on messages (issue #7): POST /messages/:id/messages/:messageId/reactions with
// `emoji` and `on` (or the page's buttons' `react` = EMOJI:1|0), counts under the bubble, who may
// react, what a change moves (the thread's version, a live hint to both sides), and the cost of
// drawing them (one query per page).

// Sending limits out of the way: some setups write more than the product allows a minute.
const LIMITS = { messages: { max: 10_000, windowSeconds: 60 }, conversations: { max: 10_000, windowSeconds: 86_400 } };

let t: TestApp;
let server: Listening;
before(async () => {
  t = await startTestApp({ messagingLimits: LIMITS });
  await waitForListeners(t.db, 1);
  server = await listen(t.app);
});
after(async () => {
  closeAllEventStreams();
  await server?.close();
});

const member = (prefix: string): Promise<Member> => newMember(t, prefix);

/** Two connected members, their conversation, and one message from each (A's first). */
async function pair(prefix: string) {
  const A = await member(`${prefix}_a`);
  const B = await member(`${prefix}_b`);
  await t.connect(A.id, B.id);
  const conversation = await open(A, B);
  const fromA = await send(A, conversation, 'hello from A');
  const fromB = await send(B, conversation, 'hello from B');
  return { A, B, conversation, fromA, fromB };
}

const path = (conversation: number | string, message: number | string) => `/messages/${conversation}/messages/${message}/reactions`;

function react(who: Member, conversation: number | string, message: number | string, fields: Record<string, string>, options: { htmx?: boolean; token?: string | null } = {}) {
  let req = who.agent.post(path(conversation, message)).type('form');
  if (options.htmx) req = req.set('HX-Request', 'true');
  const token = options.token === undefined ? who.token : options.token;
  return req.send(token === null ? fields : { _csrf: token, ...fields });
}

/** A reaction post that must succeed with its 303 to the message. */
async function reacted(who: Member, conversation: number, message: number, emoji: string, on: '1' | '0') {
  const res = await react(who, conversation, message, { emoji, on });
  assert.equal(res.status, 303, `${who.username} ${on === '1' ? 'adds' : 'removes'} ${emoji}: ${res.status} ${res.text.slice(0, 200)}`);
  assert.equal(res.headers.location, `/messages/${conversation}#m-${message}`);
}

interface Pill {
  emoji: string;
  count: number;
  pressed: string | undefined;
  value: string | undefined;
}

/** The pills under one message, as drawn in this HTML (a page, the tail or a fragment). */
function pillsIn(text: string, message: number): Pill[] {
  const $ = html(text);
  return $(`#r-${message} > button[data-emoji]`)
    .map((_i, el) => ({
      emoji: $(el).attr('data-emoji') ?? '',
      count: Number($(el).find('[data-count]').text()),
      pressed: $(el).attr('aria-pressed'),
      value: $(el).attr('value'),
    }))
    .get();
}

async function pills(who: Member, conversation: number, message: number): Promise<Pill[]> {
  const res = await who.agent.get(`/messages/${conversation}`);
  assert.equal(res.status, 200);
  assert.equal(html(res.text)(`#m-${message}`).length, 1, `the premise: message ${message} is on the page`);
  return pillsIn(res.text, message);
}

/** "👍 2 mine, ❤️ 1": a page's pills in one comparable line. */
const summary = (list: Pill[]) => list.map((p) => `${p.emoji} ${p.count}${p.pressed === 'true' ? ' mine' : ''}`).join(', ');

async function storedReactions(message: number) {
  const { rows } = await sql<{ user_id: number; emoji: string }>`select user_id, emoji from message_reactions where message_id = ${message} order by user_id, emoji`.execute(t.db);
  return rows.map((r) => ({ user: Number(r.user_id), emoji: r.emoji }));
}

async function version(conversation: number): Promise<number> {
  return Number((await t.db.selectFrom('conversations').select('version').where('id', '=', conversation).executeTakeFirstOrThrow()).version);
}

describe('adding and removing', () => {
  test('one click adds mine, counts from both people show to both, aria-pressed on mine; removing takes only mine away', async () => {
    const { A, B, conversation, fromA } = await pair('addrm');
    assert.equal(summary(await pills(A, conversation, fromA)), '', 'no reactions at first');

    await reacted(B, conversation, fromA, '👍', '1');
    assert.equal(summary(await pills(B, conversation, fromA)), '👍 1 mine');
    assert.equal(summary(await pills(A, conversation, fromA)), '👍 1');
    // The button shown says what pressing it does: on=0 where I reacted, on=1 where I have not.
    assert.equal((await pills(B, conversation, fromA))[0]?.value, '👍:0');
    assert.equal((await pills(A, conversation, fromA))[0]?.value, '👍:1');

    await reacted(A, conversation, fromA, '👍', '1');
    await reacted(A, conversation, fromA, '🙏', '1');
    await reacted(B, conversation, fromA, '❤️', '1');
    // Always in the order of the six, whatever the order they were added in.
    assert.equal(summary(await pills(A, conversation, fromA)), '👍 2 mine, ❤️ 1, 🙏 1 mine');
    assert.equal(summary(await pills(B, conversation, fromA)), '👍 2 mine, ❤️ 1 mine, 🙏 1');

    await reacted(A, conversation, fromA, '👍', '0');
    assert.equal(summary(await pills(A, conversation, fromA)), '👍 1, ❤️ 1, 🙏 1 mine');
    assert.equal(summary(await pills(B, conversation, fromA)), '👍 1 mine, ❤️ 1 mine, 🙏 1');
    await reacted(B, conversation, fromA, '👍', '0');
    await reacted(B, conversation, fromA, '❤️', '0');
    await reacted(A, conversation, fromA, '🙏', '0');
    assert.equal(summary(await pills(A, conversation, fromA)), '');
    assert.deepEqual(await storedReactions(fromA), []);
  });

  test('a retried post lands in the same state: one row, and the version does not move the second time', async () => {
    const { A, conversation, fromB } = await pair('retry');
    const v0 = await version(conversation);
    await reacted(A, conversation, fromB, '😂', '1');
    const v1 = await version(conversation);
    assert.equal(v1, v0 + 1, 'a change bumps the version');
    await reacted(A, conversation, fromB, '😂', '1');
    await Promise.all([1, 2, 3].map(() => reacted(A, conversation, fromB, '😂', '1')));
    assert.deepEqual(await storedReactions(fromB), [{ user: A.id, emoji: '😂' }]);
    assert.equal(await version(conversation), v1, 'adding what is there changes nothing');

    await reacted(A, conversation, fromB, '😂', '0');
    const v2 = await version(conversation);
    assert.equal(v2, v1 + 1);
    await reacted(A, conversation, fromB, '😂', '0');
    assert.deepEqual(await storedReactions(fromB), []);
    assert.equal(await version(conversation), v2, 'removing what is not there changes nothing');
  });

  test("the page's own button field (react=EMOJI:1|0) and the heart without its variation selector", async () => {
    const { A, conversation, fromA } = await pair('field');
    assert.equal((await react(A, conversation, fromA, { react: '😮:1' })).status, 303);
    assert.equal((await react(A, conversation, fromA, { emoji: '❤', on: '1' })).status, 303);
    assert.deepEqual((await storedReactions(fromA)).map((r) => r.emoji).sort(), ['❤️', '😮'].sort());
    assert.equal((await react(A, conversation, fromA, { react: '😮:0' })).status, 303);
    assert.deepEqual((await storedReactions(fromA)).map((r) => r.emoji), ['❤️']);
  });

  test('every button the page draws posts a valid choice: six in the picker, each toggling its own state', async () => {
    const { A, conversation, fromB } = await pair('buttons');
    await reacted(A, conversation, fromB, '😢', '1');
    const res = await A.agent.get(`/messages/${conversation}`);
    const $ = html(res.text);
    const form = $(`#m-${fromB} form[data-reactions]`);
    assert.equal(form.attr('method'), 'post');
    assert.equal(form.attr('action'), path(conversation, fromB));
    assert.equal(form.find('input[name=_csrf]').val(), A.token, 'the form carries the CSRF token');
    assert.equal(form.find('summary[aria-label="Add reaction"]').length, 1);
    const picker = form
      .find('details button[name=react]')
      .map((_i, el) => `${$(el).attr('value')} ${$(el).attr('aria-pressed')}`)
      .get();
    assert.deepEqual(picker, ['👍:1 false', '❤️:1 false', '😂:1 false', '😮:1 false', '😢:0 true', '🙏:1 false']);
  });
});

describe('with htmx', () => {
  test("200 with just the message's reactions to swap, drawn for me", async () => {
    const { A, B, conversation, fromA } = await pair('htmx');
    await reacted(B, conversation, fromA, '👍', '1');
    const res = await react(A, conversation, fromA, { react: '👍:1' }, { htmx: true, token: null }).set('X-CSRF-Token', A.token);
    assert.equal(res.status, 200);
    const $ = html(res.text);
    assert.equal($('li').length, 0, 'not the whole message');
    assert.equal($('form[data-reactions]').attr('id'), `r-${fromA}`);
    assert.equal($('form[data-reactions]').attr('hx-target'), 'this', 'the fragment replaces itself');
    assert.equal(summary(pillsIn(res.text, fromA)), '👍 2 mine');

    const removed = await react(A, conversation, fromA, { emoji: '👍', on: '0' }, { htmx: true });
    assert.equal(removed.status, 200);
    assert.equal(summary(pillsIn(removed.text, fromA)), '👍 1');
  });
});

describe('refusals', () => {
  test('an emoji not on offer, or a missing or odd `on`: 400 and nothing stored', async () => {
    const { A, conversation, fromB } = await pair('bad');
    const v = await version(conversation);
    const refused: Record<string, string>[] = [
      { emoji: '👎', on: '1' },
      { emoji: 'x', on: '1' },
      { emoji: '', on: '1' },
      { emoji: '👍👍', on: '1' },
      { emoji: '<b>', on: '1' },
      { emoji: '👍', on: '2' },
      { emoji: '👍', on: 'true' },
      { emoji: '👍' },
      { on: '1' },
      { react: '👍' },
      { react: '👍:' },
      { react: '👎:1' },
      {},
    ];
    for (const fields of refused) {
      const res = await react(A, conversation, fromB, fields);
      assert.equal(res.status, 400, `${JSON.stringify(fields)}: ${res.status}`);
    }
    assert.deepEqual(await storedReactions(fromB), []);
    assert.equal(await version(conversation), v);
  });

  test('an outsider and an admin get 404, as for an unknown conversation; nothing changes', async () => {
    const { A, conversation, fromA } = await pair('outsider');
    const outsider = await member('outsider_c');
    const admin = await member('outsider_admin');
    await t.db.updateTable('users').set({ role: 'admin' }).where('id', '=', admin.id).execute();
    await t.connect(outsider.id, A.id);
    for (const who of [outsider, admin]) {
      // The premise: they are logged in and could post elsewhere.
      assert.equal((await who.agent.get('/messages')).status, 200);
      for (const fields of [{ emoji: '👍', on: '1' }, { emoji: '👍', on: '0' }]) {
        const res = await react(who, conversation, fromA, fields);
        assert.equal(res.status, 404);
        assert.equal(res.text, (await react(who, 999_999_999, fromA, fields)).text, 'the page of an unknown conversation');
        assert.equal((await react(who, conversation, fromA, fields, { htmx: true })).status, 404);
      }
    }
    assert.deepEqual(await storedReactions(fromA), []);
  });

  test('unknown conversation, unknown message, a message of another conversation, one before my delete-for-me: 404', async () => {
    const { A, B, conversation, fromA } = await pair('unknown');
    const C = await member('unknown_c');
    await t.connect(A.id, C.id);
    const other = await open(A, C);
    const elsewhere = await send(C, other, 'in another conversation');
    const fields = { emoji: '👍', on: '1' };
    assert.equal((await react(A, 999_999_999, fromA, fields)).status, 404);
    assert.equal((await react(A, 'abc', fromA, fields)).status, 404);
    assert.equal((await react(A, conversation, 999_999_999, fields)).status, 404);
    assert.equal((await react(A, conversation, 'abc', fields)).status, 404);
    assert.equal((await react(A, conversation, elsewhere, fields)).status, 404, 'a message of my other conversation, under this one');
    assert.deepEqual(await storedReactions(elsewhere), []);

    // Delete for me: my history now starts after this; older messages are gone from my side.
    const before = await send(B, conversation, 'before my clearing');
    assert.equal((await A.agent.post(`/messages/${conversation}/delete`).type('form').send({ _csrf: A.token })).status, 303);
    const afterward = await send(B, conversation, 'after my clearing');
    assert.equal((await react(A, conversation, before, fields)).status, 404, 'a message before my horizon');
    assert.equal((await react(A, conversation, afterward, fields)).status, 303, 'a message after it');
    assert.equal((await react(B, conversation, before, fields)).status, 303, 'the other side still has it');
  });

  test('a deleted or redacted message: 409, nothing stored, and its reactions and controls are no longer drawn', async () => {
    const { A, B, conversation, fromA, fromB } = await pair('gone');
    await reacted(B, conversation, fromA, '👍', '1');
    await reacted(A, conversation, fromB, '❤️', '1');
    assert.equal((await A.agent.post(`/messages/${conversation}/messages/${fromA}/delete`).type('form').send({ _csrf: A.token })).status, 303);
    assert.equal(await redactMessages(t.db as unknown as MessagingDb, [fromB]), 1);
    for (const message of [fromA, fromB]) {
      for (const who of [A, B]) {
        for (const on of ['1', '0']) {
          const res = await react(who, conversation, message, { emoji: '😂', on });
          assert.equal(res.status, 409, `${who.username} on ${message}: ${res.status}`);
        }
      }
    }
    assert.deepEqual(await storedReactions(fromA), [{ user: B.id, emoji: '👍' }], 'the earlier row stays (with its message) but nothing new');
    for (const who of [A, B]) {
      const $ = html((await who.agent.get(`/messages/${conversation}`)).text);
      assert.equal($(`#m-${fromA}`).attr('data-deleted'), 'true', 'the premise: deleted');
      assert.equal($(`#m-${fromB}`).attr('data-redacted'), 'true', 'the premise: redacted');
      assert.equal($(`#m-${fromA} [data-reactions], #m-${fromB} [data-reactions]`).length, 0);
    }
  });

  test('blocked either way: 403 and nothing stored', async () => {
    for (const blockerIsA of [true, false]) {
      const { A, B, conversation, fromB } = await pair(`block${blockerIsA ? 'a' : 'b'}`);
      await reacted(A, conversation, fromB, '👍', '1');
      const [blocker, blocked] = blockerIsA ? [A, B] : [B, A];
      assert.equal((await blocker.agent.post(`/u/${blocked.username}/block`).type('form').send({ _csrf: blocker.token })).status, 303);
      for (const fields of [{ emoji: '😮', on: '1' }, { emoji: '👍', on: '0' }]) {
        assert.equal((await react(A, conversation, fromB, fields)).status, 403);
      }
      assert.deepEqual(await storedReactions(fromB), [{ user: A.id, emoji: '👍' }]);
    }
  });

  test('a missing or wrong CSRF token is 403; logged out is 401 before it; nothing changes', async () => {
    const { A, conversation, fromB } = await pair('csrf');
    const fields = { emoji: '👍', on: '1' };
    assert.equal((await react(A, conversation, fromB, fields, { token: null })).status, 403);
    assert.equal((await react(A, conversation, fromB, fields, { token: 'not-the-token' })).status, 403);
    assert.equal((await react(A, conversation, fromB, fields, { htmx: true, token: null })).status, 403);
    const stranger = t.agent();
    assert.equal((await stranger.post(path(conversation, fromB)).type('form').send(fields)).status, 401);
    assert.equal((await stranger.post(path(conversation, fromB)).type('form').set('HX-Request', 'true').send({ ...fields, _csrf: A.token })).status, 401);
    assert.deepEqual(await storedReactions(fromB), []);
  });
});

describe('what a change moves', () => {
  test("the open thread's poll: 304 while nothing changed, then the new counts, on an old message too", async () => {
    const { A, B, conversation, fromA } = await pair('poll');
    for (let i = 0; i < 5; i++) await send(A, conversation, `later ${i}`);
    const page = html((await B.agent.get(`/messages/${conversation}`)).text);
    const tail = page('#thread-tail');
    const poll = tail.attr('hx-get');
    assert.ok(poll, 'the premise: the page polls its tail');
    const htmxGet = (url: string) => B.agent.get(url).set('HX-Request', 'true');
    assert.equal((await htmxGet(poll)).status, 304, 'unchanged: 304');

    await reacted(A, conversation, fromA, '🙏', '1');
    const changed = await htmxGet(poll);
    assert.equal(changed.status, 200, 'the old version is no longer current');
    assert.equal(summary(pillsIn(changed.text, fromA)), '🙏 1', 'the oldest message on the page shows it, drawn for B');
    const next = html(changed.text)('#thread-tail').attr('hx-get');
    assert.ok(next);
    assert.equal((await htmxGet(next)).status, 304, 'and the new version is quiet again');
  });

  test("the other participant's open event stream gets the message redrawn with it, and so do the reactor's other pages", async () => {
    const { A, B, conversation, fromA } = await pair('live');
    for (let i = 0; i < 3; i++) await send(B, conversation, `newer ${i}`);
    const [streamB, streamA] = await Promise.all([openEventStream(server.baseUrl, await sessionCookie(B.agent)), openEventStream(server.baseUrl, await sessionCookie(A.agent))]);
    assert.equal(streamB.status, 200);
    // The message itself, redrawn in place (out of band) as each person sees it.
    const hint = (e: { event: string; data: string }) => e.event === 'message' && e.data.includes(`id="m-${fromA}" hx-swap-oob="true"`) && e.data.includes('😮');
    const seen = streamB.events.length;
    await reacted(A, conversation, fromA, '😮', '1');
    await streamB.waitFor((e) => e.index >= seen && hint(e), 3000, "B's redrawn message");
    await streamA.waitFor(hint, 3000, "A's redrawn message");
    const tail = await B.agent.get(`/messages/${conversation}/tail?from=${fromA}`).set('HX-Request', 'true');
    assert.equal(summary(pillsIn(tail.text, fromA)), '😮 1');

    // A retry that changes nothing says nothing.
    const quiet = streamB.events.length;
    await reacted(A, conversation, fromA, '😮', '1');
    await reacted(B, conversation, fromA, '😮', '1');
    await streamB.waitFor((e) => e.index >= quiet && hint(e), 3000, "B's hint for B's own reaction");
    assert.equal(streamB.matching((e) => e.index >= quiet && hint(e)).length, 1, 'one hint, for the one change');
  });

  test('a live message is drawn with its reactions form, no empty CSRF field (htmx sends the header) and no choices (the page holds them once)', async () => {
    const { A, B, conversation } = await pair('livemsg');
    const stream = await openEventStream(server.baseUrl, await sessionCookie(B.agent));
    const id = await send(A, conversation, 'live one');
    const event = await stream.waitFor((e) => e.event === 'message' && e.data.includes(`data-message-id="${id}"`), 3000, 'the message event');
    const $ = html(event.data);
    assert.equal($(`li#m-${id}`).length, 1, 'the message, out of band');
    assert.equal($(`#r-${id}`).attr('hx-post'), path(conversation, id));
    assert.equal($(`#r-${id} input[name=_csrf]`).length, 0);
    assert.equal($(`#r-${id} details summary[aria-label="Add reaction"]`).length, 1);
    // The event stays small: the six choices come from the thread page's one copy (#reaction-choices).
    assert.equal($(`#r-${id} details button[name=react]`).length, 0);
    const page = html((await B.agent.get(`/messages/${conversation}`)).text);
    const choices = html(page('script#reaction-choices').html() ?? '')('button[name=react]');
    assert.deepEqual(choices.toArray().map((el) => el.attribs.value), ['👍:1', '❤️:1', '😂:1', '😮:1', '😢:1', '🙏:1']);
  });
});

describe('cost', () => {
  test("one query draws a page's reactions, however many messages carry them", async () => {
    async function threadWith(messages: number, tag: string) {
      const { A, B, conversation } = await pair(`cost${tag}`);
      const ids: number[] = [];
      for (let i = 0; i < messages; i++) ids.push(await send(i % 2 ? A : B, conversation, `m${i}`));
      // Straight in the database: every message gets two or three reactions.
      for (const id of ids) {
        await sql`insert into message_reactions (message_id, user_id, emoji) values (${id}, ${A.id}, '👍'), (${id}, ${B.id}, '👍'), (${id}, ${B.id}, '😂')`.execute(t.db);
      }
      await A.agent.get(`/messages/${conversation}`); // read, so both runs do the same work
      let text = '';
      const statements = await t.countQueries(async () => {
        const res = await A.agent.get(`/messages/${conversation}`);
        assert.equal(res.status, 200);
        text = res.text;
      });
      return { statements, text, ids };
    }
    const few = await threadWith(3, 'few');
    const many = await threadWith(40, 'many');
    assert.equal(html(many.text)('li[data-message-id]').length, 30, 'the premise: a full page of 30 messages is drawn');
    for (const run of [few, many]) {
      const shown = run.ids.filter((id) => html(run.text)(`#m-${id}`).length > 0);
      for (const id of shown) assert.equal(summary(pillsIn(run.text, id)), '👍 2 mine, 😂 1');
    }
    assert.equal(many.statements.length, few.statements.length, `few:\n${few.statements.join('\n')}\nmany:\n${many.statements.join('\n')}`);
    assert.equal(many.statements.filter((s) => s.includes('message_reactions')).length, 1, 'one statement reads reactions');
  });
});

describe('the emoji picker', () => {
  test('is in the composer, hidden until the script shows it, its emoji a list the script draws', async () => {
    const { A, conversation } = await pair('picker');
    const $ = html((await A.agent.get(`/messages/${conversation}`)).text);
    const picker = $('#composer [data-emoji-picker]');
    assert.equal(picker.length, 1);
    assert.equal(picker.attr('hidden'), 'hidden');
    const toggle = picker.find('button[aria-label="Insert emoji"]');
    assert.equal(toggle.attr('type'), 'button');
    assert.equal(toggle.attr('aria-expanded'), 'false');
    const panel = $(`#${toggle.attr('aria-controls')}`);
    assert.equal(panel.attr('hidden'), 'hidden');
    // The script draws the buttons (type="button") from this list: a page read without CSS would
    // print them all (issue 15, item 14; see no-css-thread.test.ts).
    assert.equal(panel.find('button').length, 0);
    const set = (panel.attr('data-emoji-set') ?? '').split(' ');
    assert.ok(set.length >= 30 && set.every(Boolean), `a modest set: ${set.length}`);
  });
});
