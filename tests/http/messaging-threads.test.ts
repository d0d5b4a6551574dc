import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, test } from 'node:test';
import type { MessagingDb } from '../../src/messaging/index.js';
import { csrfToken, html, startTestApp, type Agent, type TestApp } from '../support/app.js';
import { field, file, multipart } from '../support/multipart.js';

// Conversations, sending, deleting, who may see what, and the thread page (CONTRACT.md, Messaging).

let t: TestApp;
before(async () => {
  t = await startTestApp();
});

const XSS = '<script>alert(1)</script>';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)$/;

/** The app's Db type does not list the messaging tables; the module's own type does. */
const mdb = (app: TestApp = t) => app.db as unknown as MessagingDb;

async function idOf(username: string, app: TestApp = t): Promise<number> {
  const row = await app.db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirstOrThrow();
  return row.id;
}

/** Two logged-in people (connections unless told otherwise) and their ids. */
async function pair(a: string, b: string, options: { connected?: boolean; app?: TestApp; nameB?: string } = {}) {
  const app = options.app ?? t;
  const [agentA, agentB] = await Promise.all([app.userAgent(a), app.userAgent(b, options.nameB)]);
  const [idA, idB] = await Promise.all([idOf(a, app), idOf(b, app)]);
  if (options.connected ?? true) await app.connect(idA, idB);
  return { agentA, agentB, idA, idB };
}

// One token per session: the synchronizer token stays the same for a logged-in session.
const tokens = new WeakMap<Agent, string>();
async function token(agent: Agent): Promise<string> {
  let value = tokens.get(agent);
  if (!value) {
    value = await csrfToken(agent, '/messages');
    tokens.set(agent, value);
  }
  return value;
}

async function postOpen(agent: Agent, to: string) {
  return agent.post('/messages').type('form').send({ to, _csrf: await token(agent) });
}

/** POST /messages {to}: the conversation id it redirects to. */
async function open(agent: Agent, to: string): Promise<number> {
  const res = await postOpen(agent, to);
  assert.equal(res.status, 303, `open ${to}: ${res.status} ${res.text.slice(0, 200)}`);
  const match = /^\/messages\/(\d+)$/.exec(res.headers.location ?? '');
  assert.ok(match, `redirects to /messages/:id, got ${res.headers.location}`);
  return Number(match[1]);
}

async function postSend(agent: Agent, conversationId: number | string, body: string, extra: Record<string, string> = {}) {
  return agent.post(`/messages/${conversationId}/messages`).type('form').send({ _csrf: await token(agent), body, ...extra });
}

/** Sends through the real route; the message id from its redirect. */
async function send(agent: Agent, conversationId: number, body: string, extra: Record<string, string> = {}): Promise<number> {
  const res = await postSend(agent, conversationId, body, extra);
  assert.equal(res.status, 303, `send: ${res.status} ${res.text.slice(0, 200)}`);
  const match = new RegExp(`^/messages/${conversationId}#m-(\\d+)$`).exec(res.headers.location ?? '');
  assert.ok(match, `redirects to /messages/${conversationId}#m-:id, got ${res.headers.location}`);
  return Number(match[1]);
}

async function postDelete(agent: Agent, conversationId: number | string, messageId: number | string) {
  return agent.post(`/messages/${conversationId}/messages/${messageId}/delete`).type('form').send({ _csrf: await token(agent) });
}

const htmxPost = async (agent: Agent, path: string, fields: Record<string, string> = {}) =>
  agent.post(path).type('form').set('HX-Request', 'true').set('X-CSRF-Token', await token(agent)).send(fields);

async function conversationsBetween(a: number, b: number, app: TestApp = t) {
  return mdb(app)
    .selectFrom('conversations')
    .selectAll()
    .where('user_low', '=', Math.min(a, b))
    .where('user_high', '=', Math.max(a, b))
    .execute();
}

async function participantsOf(conversationId: number, app: TestApp = t) {
  return mdb(app).selectFrom('conversation_participants').selectAll().where('conversation_id', '=', conversationId).orderBy('user_id').execute();
}

async function messagesOf(conversationId: number, app: TestApp = t) {
  return mdb(app).selectFrom('messages').selectAll().where('conversation_id', '=', conversationId).orderBy('id').execute();
}

async function messageRow(id: number, app: TestApp = t) {
  return mdb(app).selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/** Everything stored about one conversation: for "nothing changed". */
async function snapshot(conversationId: number, app: TestApp = t) {
  return {
    conversation: await mdb(app).selectFrom('conversations').selectAll().where('id', '=', conversationId).execute(),
    participants: await participantsOf(conversationId, app),
    messages: await messagesOf(conversationId, app),
  };
}

/** The message ids shown on a page (or fragment), in document order. */
function shownIds(text: string): number[] {
  const $ = html(text);
  return $('li[data-message-id]')
    .map((_i, el) => Number($(el).attr('data-message-id')))
    .get();
}

/** The inbox row of one conversation on /messages. */
async function inboxRow(agent: Agent, conversationId: number) {
  const res = await agent.get('/messages');
  assert.equal(res.status, 200);
  const $ = html(res.text);
  const row = $(`[data-conversation-id="${conversationId}"]`);
  assert.equal(row.length, 1, `one inbox row for conversation ${conversationId}`);
  return { raw: res.text, text: row.text() };
}

describe('POST /messages (open the conversation with someone)', () => {
  test('with a connection: 303 to exactly /messages/:id, one conversation and both participant rows', async () => {
    const { agentA, idA, idB } = await pair('open_a', 'open_b');
    assert.deepEqual(await conversationsBetween(idA, idB), []);
    const res = await postOpen(agentA, 'open_b');
    assert.equal(res.status, 303);
    const rows = await conversationsBetween(idA, idB);
    assert.equal(rows.length, 1);
    assert.equal(res.headers.location, `/messages/${rows[0]!.id}`);
    const participants = await participantsOf(rows[0]!.id);
    assert.deepEqual(
      participants.map((p) => [p.user_id, p.other_user_id]),
      [
        [idA, idB],
        [idB, idA],
      ].sort((x, y) => x[0]! - y[0]!),
    );
    const page = await agentA.get(res.headers.location!);
    assert.equal(page.status, 200);
    assert.equal(html(page.text)('#composer').attr('action'), `/messages/${rows[0]!.id}/messages`);
  });

  test('again, from either side: the same conversation, still one row', async () => {
    const { agentA, agentB, idA, idB } = await pair('again_open_a', 'again_open_b');
    const first = await open(agentA, 'again_open_b');
    assert.equal(await open(agentA, 'again_open_b'), first);
    assert.equal(await open(agentB, 'again_open_a'), first);
    const rows = await conversationsBetween(idA, idB);
    assert.deepEqual(
      rows.map((r) => r.id),
      [first],
    );
    assert.equal((await participantsOf(first)).length, 2);
  });

  test('both people opening it at the same moment get one conversation (several rounds)', async () => {
    const rounds = 5;
    const pairs = await Promise.all([...Array(rounds).keys()].map((i) => pair(`race_open_a${i}`, `race_open_b${i}`)));
    for (const [i, p] of pairs.entries()) {
      const [tokenA, tokenB] = await Promise.all([token(p.agentA), token(p.agentB)]);
      const [fromA, fromB] = await Promise.all([
        p.agentA.post('/messages').type('form').send({ to: `race_open_b${i}`, _csrf: tokenA }),
        p.agentB.post('/messages').type('form').send({ to: `race_open_a${i}`, _csrf: tokenB }),
      ]);
      assert.equal(fromA.status, 303, `round ${i}: A got ${fromA.status} ${fromA.text.slice(0, 200)}`);
      assert.equal(fromB.status, 303, `round ${i}: B got ${fromB.status} ${fromB.text.slice(0, 200)}`);
      const rows = await conversationsBetween(p.idA, p.idB);
      assert.equal(rows.length, 1, `round ${i}: one conversation`);
      assert.equal(fromA.headers.location, `/messages/${rows[0]!.id}`);
      assert.equal(fromB.headers.location, `/messages/${rows[0]!.id}`);
      const participants = await participantsOf(rows[0]!.id);
      assert.equal(participants.length, 2, `round ${i}: two participant rows`);
      assert.deepEqual(participants.map((r) => r.user_id).sort((x, y) => x - y), [p.idA, p.idB].sort((x, y) => x - y));
    }
  });

  test('not connected: 403 and no conversation', async () => {
    const { agentA, agentB, idA, idB } = await pair('stranger_a', 'stranger_b', { connected: false });
    assert.equal((await postOpen(agentA, 'stranger_b')).status, 403);
    assert.equal((await postOpen(agentB, 'stranger_a')).status, 403);
    assert.deepEqual(await conversationsBetween(idA, idB), []);
    const mine = await mdb().selectFrom('conversation_participants').select('conversation_id').where('user_id', 'in', [idA, idB]).execute();
    assert.deepEqual(mine, []);
  });

  test('unknown username 404, myself 400, empty `to` 400; nothing is created', async () => {
    const agent = await t.userAgent('lonely_me');
    const me = await idOf('lonely_me');
    assert.equal((await postOpen(agent, 'nobody_by_that_name')).status, 404);
    assert.equal((await postOpen(agent, 'lonely_me')).status, 400);
    assert.equal((await postOpen(agent, 'LONELY_ME')).status, 400);
    assert.equal((await postOpen(agent, '')).status, 400);
    assert.equal((await postOpen(agent, '   ')).status, 400);
    assert.equal((await agent.post('/messages').type('form').send({ _csrf: await token(agent) })).status, 400, 'no `to` at all');
    const rows = await mdb()
      .selectFrom('conversations')
      .select('id')
      .where((eb) => eb.or([eb('user_low', '=', me), eb('user_high', '=', me)]))
      .execute();
    assert.deepEqual(rows, []);
  });

  test('the username may be in any case', async () => {
    const { agentA, idA, idB } = await pair('anycase_a', 'anycase_b');
    const id = await open(agentA, 'AnyCase_B');
    const rows = await conversationsBetween(idA, idB);
    assert.deepEqual(
      rows.map((r) => r.id),
      [id],
    );
    assert.equal(await open(agentA, 'ANYCASE_B'), id);
  });
});

describe('POST /messages/:id/messages (send)', () => {
  test('stores exactly the text; it is escaped in the thread and in the inbox preview, never raw', async () => {
    const { agentA, agentB, idA } = await pair('text_a', 'text_b');
    const id = await open(agentA, 'text_b');
    const texts = [
      'Family 👩‍👩‍👧‍👦 and flags 🇳🇿 🏳️‍🌈 😀',
      'Combining: Cafe\u0301 n\u0303 a\u0308\u0323 (not normalised)',
      'RTL: שלום עולם · مرحبا بالعالم \u200f!',
      `Look ${XSS} <img src=x onerror=alert(2)>`,
      'Tom &amp; Jerry &lt;b&gt;',
    ];
    const sent: number[] = [];
    for (const text of texts) {
      const messageId = await send(agentA, id, text);
      sent.push(messageId);
      const row = await messageRow(messageId);
      assert.equal(row.body, text, 'stored exactly');
      assert.equal(row.sender_id, idA);
      assert.equal(row.conversation_id, id);
      // The other person's inbox shows it as the preview, as text.
      const preview = await inboxRow(agentB, id);
      assert.ok(preview.text.includes(text), `inbox preview shows ${JSON.stringify(text)}: ${JSON.stringify(preview.text)}`);
      assert.ok(!preview.raw.includes(XSS), 'no raw <script> in the inbox');
      assert.ok(!preview.raw.includes('<img src=x'), 'no raw <img> in the inbox');
    }
    const inbox = await agentB.get('/messages');
    assert.ok(inbox.text.includes('Tom &amp;amp; Jerry &amp;lt;b&amp;gt;'), 'the inbox escapes & in the preview');

    for (const agent of [agentA, agentB]) {
      const page = await agent.get(`/messages/${id}`);
      assert.equal(page.status, 200);
      const $ = html(page.text);
      for (const [i, text] of texts.entries()) {
        const li = $(`li#m-${sent[i]}`);
        assert.equal(li.length, 1, `message ${sent[i]} shown`);
        assert.ok(li.text().includes(text), `thread shows ${JSON.stringify(text)}`);
      }
      assert.ok(!page.text.includes(XSS), 'no raw <script> in the thread');
      assert.ok(!page.text.includes('<img src=x'), 'no raw <img> in the thread');
      assert.ok(page.text.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'the script is escaped');
      assert.ok(page.text.includes('Tom &amp;amp; Jerry &amp;lt;b&amp;gt;'), '&amp; is escaped again, so it reads as typed');
      assert.equal($('script:contains("alert(1)")').length, 0);
      assert.equal($('img[onerror]').length, 0);
    }
  });

  test('CRLF line breaks are stored as LF', async () => {
    const { agentA, agentB } = await pair('crlf_a', 'crlf_b');
    const id = await open(agentA, 'crlf_b');
    const messageId = await send(agentA, id, 'line one\r\nline two\r\n\r\nline four');
    assert.equal((await messageRow(messageId)).body, 'line one\nline two\n\nline four');
    const page = await agentB.get(`/messages/${id}`);
    assert.ok(html(page.text)(`li#m-${messageId}`).text().includes('line one\nline two\n\nline four'));
  });

  test('the same client_id sent twice, one after the other, stores one message', async () => {
    const { agentA } = await pair('idem_a', 'idem_b');
    const id = await open(agentA, 'idem_b');
    const clientId = randomUUID();
    const first = await postSend(agentA, id, 'only once please', { client_id: clientId });
    const second = await postSend(agentA, id, 'only once please', { client_id: clientId });
    assert.equal(first.status, 303);
    assert.equal(second.status, 303);
    const rows = await messagesOf(id);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.body, 'only once please');
    assert.equal(first.headers.location, `/messages/${id}#m-${rows[0]!.id}`);
    assert.equal(second.headers.location, first.headers.location);
    // A different key is a different message.
    await send(agentA, id, 'only once please', { client_id: randomUUID() });
    assert.equal((await messagesOf(id)).length, 2);
  });

  test('the same client_id sent twice at once stores one message', async () => {
    const { agentA } = await pair('idemrace_a', 'idemrace_b');
    const id = await open(agentA, 'idemrace_b');
    const tok = await token(agentA);
    for (let round = 0; round < 3; round++) {
      const clientId = randomUUID();
      const body = `double click ${round}`;
      const answers = await Promise.all(
        [0, 1, 2].map(() => agentA.post(`/messages/${id}/messages`).type('form').send({ _csrf: tok, body, client_id: clientId })),
      );
      const stored = (await messagesOf(id)).filter((m) => m.body === body);
      assert.equal(stored.length, 1, `round ${round}: one message`);
      for (const res of answers) {
        assert.equal(res.status, 303, `round ${round}: ${res.status} ${res.text.slice(0, 200)}`);
        assert.equal(res.headers.location, `/messages/${id}#m-${stored[0]!.id}`);
      }
    }
    assert.equal((await messagesOf(id)).length, 3);
  });

  test('an empty or whitespace-only body: 400, the thread again with the text kept and what to fix', async () => {
    const { agentA, idA } = await pair('blank_a', 'blank_b');
    const id = await open(agentA, 'blank_b');
    const earlier = await send(agentA, id, 'an earlier message');
    for (const typed of ['', '   ', '\t \t', '\u00a0\u3000 ']) {
      const res = await postSend(agentA, id, typed);
      assert.equal(res.status, 400, `body ${JSON.stringify(typed)}`);
      const $ = html(res.text);
      assert.equal($('#composer-body').length, 1, 'the composer is shown again');
      assert.equal($('#composer-body').text(), typed, 'the typed text is kept');
      assert.ok($('#composer-error').text().trim().length > 0, 'an error says what to fix');
      assert.deepEqual(shownIds(res.text), [earlier], 'it is the thread page');
    }
    const rows = await messagesOf(id);
    assert.deepEqual(
      rows.map((r) => [r.id, r.sender_id]),
      [[earlier, idA]],
    );
  });

  test('over 5,000 code points is 413 with the text kept; exactly 5,000 (astral emoji) is stored', async () => {
    const { agentA } = await pair('long_a', 'long_b');
    const id = await open(agentA, 'long_b');
    const tooLong = '😀'.repeat(5001);
    assert.equal(tooLong.length, 10002, 'UTF-16 length differs from code points');
    const refused = await postSend(agentA, id, tooLong);
    assert.equal(refused.status, 413);
    const $ = html(refused.text);
    assert.equal($('#composer-body').text(), tooLong, 'the text is kept');
    assert.ok($('#composer-error').text().trim().length > 0, 'an error says what to fix');
    assert.deepEqual(await messagesOf(id), []);

    const longest = '😀'.repeat(5000);
    const messageId = await send(agentA, id, longest);
    const row = await messageRow(messageId);
    assert.equal(row.body, longest);
    assert.equal([...row.body!].length, 5000);
  });

  test('with htmx: 200 with just the message fragment and a fresh client_id out of band', async () => {
    const { agentA, idA } = await pair('hx_send_a', 'hx_send_b');
    const id = await open(agentA, 'hx_send_b');
    const clientId = randomUUID();
    const res = await agentA
      .post(`/messages/${id}/messages`)
      .type('form')
      .set('HX-Request', 'true')
      .set('X-CSRF-Token', await token(agentA))
      .send({ body: 'sent with htmx 😀', client_id: clientId });
    assert.equal(res.status, 200, res.text.slice(0, 200));
    const rows = await messagesOf(id);
    assert.equal(rows.length, 1);
    const row = rows[0]!;
    assert.equal(row.body, 'sent with htmx 😀');
    assert.equal(row.sender_id, idA);
    assert.equal(row.client_id, clientId);

    assert.doesNotMatch(res.text, /<html|<body|<title/i, 'a fragment, not a page');
    const $ = html(res.text);
    const li = $('li[data-message-id]');
    assert.equal(li.length, 1);
    assert.equal(li.attr('id'), `m-${row.id}`);
    assert.equal(li.attr('data-message-id'), String(row.id));
    assert.equal(li.attr('data-from'), 'hx_send_a');
    assert.match(li.attr('data-status') ?? '', /^(sent|delivered|seen)$/);
    assert.ok(li.text().includes('sent with htmx 😀'));
    const next = $('#composer-client-id');
    assert.equal(next.length, 1, 'the composer gets a new client_id');
    assert.equal(next.prop('tagName'), 'INPUT');
    assert.ok(next.attr('hx-swap-oob') !== undefined, 'swapped out of band');
    assert.match(String(next.val()), UUID);
    assert.notEqual(String(next.val()).toLowerCase(), clientId.toLowerCase());
  });

  test('a refused htmx send answers 400 or 413 with the reason, and stores nothing', async () => {
    const { agentA } = await pair('hx_refuse_a', 'hx_refuse_b');
    const id = await open(agentA, 'hx_refuse_b');
    const empty = await htmxPost(agentA, `/messages/${id}/messages`, { body: '  ' });
    assert.equal(empty.status, 400);
    assert.ok(empty.text.trim().length > 0, 'a reason');
    assert.doesNotMatch(empty.text, /<html|<title/i);
    const long = await htmxPost(agentA, `/messages/${id}/messages`, { body: '😀'.repeat(5001) });
    assert.equal(long.status, 413);
    assert.match(long.text, /5[,. ]?000/, 'the reason names the limit');
    assert.doesNotMatch(long.text, /<html|<title/i);
    assert.deepEqual(await messagesOf(id), []);
  });
});

describe('POST /messages/:id/messages/:messageId/delete', () => {
  test('my own message: 303, deleted for both sides, its text gone from the pages and the database', async () => {
    const { agentA, agentB } = await pair('del_a', 'del_b');
    const id = await open(agentA, 'del_b');
    const kept = await send(agentA, id, 'this one stays');
    const secret = 'the secret plan 4821 🤫';
    const doomed = await send(agentA, id, secret);
    const res = await postDelete(agentA, id, doomed);
    assert.equal(res.status, 303);
    assert.match(res.headers.location ?? '', new RegExp(`^/messages/${id}(#|$)`));

    const row = await messageRow(doomed);
    assert.equal(row.body, null);
    assert.ok(row.deleted_at instanceof Date);
    assert.equal((await messageRow(kept)).body, 'this one stays');

    for (const agent of [agentA, agentB]) {
      const page = await agent.get(`/messages/${id}`);
      const $ = html(page.text);
      const li = $(`li#m-${doomed}`);
      assert.equal(li.length, 1, 'the message keeps its place');
      assert.equal(li.attr('data-deleted'), 'true');
      assert.ok(!li.text().includes(secret));
      assert.ok(!page.text.includes('secret plan 4821'), 'the text is nowhere on the page');
      assert.equal($(`li#m-${kept}`).attr('data-deleted'), undefined);
      assert.deepEqual(shownIds(page.text), [kept, doomed]);
      const preview = await inboxRow(agent, id);
      assert.match(preview.text, /Message deleted/);
      assert.ok(!preview.raw.includes('secret plan 4821'));
    }
  });

  test("someone else's message: 403 and unchanged", async () => {
    const { agentA, agentB } = await pair('deltheirs_a', 'deltheirs_b');
    const id = await open(agentA, 'deltheirs_b');
    const theirs = await send(agentA, id, 'you cannot delete this');
    await token(agentB);
    const before = await snapshot(id);
    assert.equal((await postDelete(agentB, id, theirs)).status, 403);
    assert.equal((await htmxPost(agentB, `/messages/${id}/messages/${theirs}/delete`)).status, 403);
    assert.deepEqual(await snapshot(id), before);
    const page = await agentB.get(`/messages/${id}`);
    assert.ok(html(page.text)(`li#m-${theirs}`).text().includes('you cannot delete this'));
  });

  test('an unknown message, or a message of another conversation: 404 and unchanged', async () => {
    const { agentA, idA } = await pair('delother_a', 'delother_b');
    const idC = await t.createUser('delother_c');
    await t.connect(idA, idC);
    const id = await open(agentA, 'delother_b');
    const other = await open(agentA, 'delother_c');
    await send(agentA, id, 'in the first conversation');
    const elsewhere = await send(agentA, other, 'in the other conversation');
    const before = [await snapshot(id), await snapshot(other)];
    assert.equal((await postDelete(agentA, id, 999_999_999)).status, 404);
    assert.equal((await postDelete(agentA, id, elsewhere)).status, 404, 'my own message, through another conversation');
    assert.equal((await postDelete(agentA, id, 'abc')).status, 404);
    assert.deepEqual([await snapshot(id), await snapshot(other)], before);
    assert.equal((await messageRow(elsewhere)).body, 'in the other conversation');
  });

  test('with htmx: 200 with the deleted message fragment', async () => {
    const { agentA } = await pair('hxdel_a', 'hxdel_b');
    const id = await open(agentA, 'hxdel_b');
    const messageId = await send(agentA, id, 'gone soon');
    const res = await htmxPost(agentA, `/messages/${id}/messages/${messageId}/delete`);
    assert.equal(res.status, 200);
    assert.doesNotMatch(res.text, /<html|<title/i);
    const li = html(res.text)('li[data-message-id]');
    assert.equal(li.length, 1);
    assert.equal(li.attr('id'), `m-${messageId}`);
    assert.equal(li.attr('data-deleted'), 'true');
    assert.ok(!res.text.includes('gone soon'));
    assert.equal((await messageRow(messageId)).body, null);
  });
});

describe('who may reach a conversation', () => {
  test('an outsider gets 404 on every route of the conversation, the same page as an unknown one, and nothing changes', async () => {
    const { agentA, agentB, idA, idB } = await pair('priv_a', 'priv_b');
    const outsider = await t.userAgent('priv_outsider');
    const idC = await idOf('priv_outsider');
    await t.connect(idC, idA);
    await t.connect(idC, idB);
    const id = await open(agentA, 'priv_b');
    const fromA = await send(agentA, id, 'between us two');
    const fromB = await send(agentB, id, 'indeed');
    const tok = await token(outsider);

    // The premise: the conversation exists and the outsider is not in it.
    const before = await snapshot(id);
    assert.equal(before.conversation.length, 1);
    assert.deepEqual(before.participants.map((p) => p.user_id).sort((x, y) => x - y), [idA, idB].sort((x, y) => x - y));
    assert.ok(!before.participants.some((p) => p.user_id === idC));

    const version = before.conversation[0]!.version;
    // Each answer is compared with the one for a conversation that does not exist: the same
    // status and the same page, so the outsider cannot tell that this one does.
    const unknown = id + 100_000;
    const gets = (c: number) => [`/messages/${c}`, `/messages/${c}?before=${fromB + 1}`, `/messages/${c}/tail`, `/messages/${c}/tail?from=1&v=${version}`];
    for (const [i, path] of gets(id).entries()) {
      const page = await outsider.get(path);
      const none = await outsider.get(gets(unknown)[i]!);
      assert.equal(page.status, 404, `GET ${path}`);
      assert.equal(page.text, none.text, `GET ${path}: the page of an unknown conversation`);
      assert.ok(!page.text.includes('between us two'), `GET ${path} shows no text`);
      const hx = await outsider.get(path).set('HX-Request', 'true');
      assert.equal(hx.status, 404, `htmx GET ${path}`);
      assert.equal(hx.text, (await outsider.get(gets(unknown)[i]!).set('HX-Request', 'true')).text, `htmx GET ${path}`);
    }
    for (const c of [id, unknown]) {
      const send1 = await outsider.post(`/messages/${c}/messages`).type('form').send({ _csrf: tok, body: 'let me in', client_id: randomUUID() });
      assert.equal(send1.status, 404, `POST send to ${c}`);
      const send2 = await outsider.post(`/messages/${c}/messages`).type('form').set('HX-Request', 'true').set('X-CSRF-Token', tok).send({ body: 'let me in' });
      assert.equal(send2.status, 404, `htmx POST send to ${c}`);
      assert.equal((await outsider.post(`/messages/${c}/messages`).type('form').send({ _csrf: tok, body: '' })).status, 404, 'refused before the body is checked');
      for (const mid of [fromA, fromB]) {
        assert.equal((await outsider.post(`/messages/${c}/messages/${mid}/delete`).type('form').send({ _csrf: tok })).status, 404, `POST delete ${mid} in ${c}`);
      }
    }
    assert.deepEqual(await snapshot(id), before);
  });

  test('an unknown conversation is 404 on every route; so is an id that is not a number', async () => {
    const agent = await t.userAgent('nowhere_me');
    const tok = await token(agent);
    for (const id of ['999999', 'abc', '12abc']) {
      for (const path of [`/messages/${id}`, `/messages/${id}?before=5`, `/messages/${id}/tail`]) {
        assert.equal((await agent.get(path)).status, 404, `GET ${path}`);
      }
      assert.equal((await agent.post(`/messages/${id}/messages`).type('form').send({ _csrf: tok, body: 'hello?' })).status, 404, `send to ${id}`);
      assert.equal((await agent.post(`/messages/${id}/messages/1/delete`).type('form').send({ _csrf: tok })).status, 404, `delete in ${id}`);
    }
    const me = await idOf('nowhere_me');
    assert.deepEqual(await mdb().selectFrom('messages').select('id').where('sender_id', '=', me).execute(), []);
  });

  test('logged out: pages go to the login form; posts and htmx requests are 401 before any CSRF check', async () => {
    const { agentA } = await pair('anon_a', 'anon_b');
    const id = await open(agentA, 'anon_b');
    const messageId = await send(agentA, id, 'before logging out');
    const before = await snapshot(id);
    const anon = t.agent();
    for (const path of [`/messages/${id}`, `/messages/${id}?before=${messageId + 1}`, '/messages']) {
      const res = await anon.get(path);
      assert.equal(res.status, 303, `GET ${path}`);
      assert.equal(res.headers.location, `/login?next=${encodeURIComponent(path)}`);
    }
    for (const path of [`/messages/${id}`, `/messages/${id}?before=${messageId + 1}`, `/messages/${id}/tail`]) {
      assert.equal((await anon.get(path).set('HX-Request', 'true')).status, 401, `htmx GET ${path}`);
    }
    const posts: [string, Record<string, string>][] = [
      ['/messages', { to: 'anon_b' }],
      [`/messages/${id}/messages`, { body: 'sneaky' }],
      [`/messages/${id}/messages/${messageId}/delete`, {}],
    ];
    for (const [path, fields] of posts) {
      assert.equal((await anon.post(path).type('form').send(fields)).status, 401, `POST ${path} without a token`);
      assert.equal((await anon.post(path).type('form').send({ ...fields, _csrf: 'bogus' })).status, 401, `POST ${path} with a bad token`);
      assert.equal((await anon.post(path).type('form').set('HX-Request', 'true').send(fields)).status, 401, `htmx POST ${path}`);
    }
    assert.deepEqual(await snapshot(id), before);
  });

  test('a missing or wrong CSRF token is 403 on every post, and nothing is stored', async () => {
    const { agentA, agentB, idA } = await pair('csrf_msg_a', 'csrf_msg_b');
    const idC = await t.createUser('csrf_msg_c');
    await t.connect(idA, idC);
    const id = await open(agentA, 'csrf_msg_b');
    const messageId = await send(agentA, id, 'please keep me');
    await token(agentA); // the session has a token; the requests below do not carry it
    const othersToken = await token(agentB); // a real token, of another session
    const before = await snapshot(id);
    const posts: [string, Record<string, string>][] = [
      ['/messages', { to: 'csrf_msg_c' }],
      [`/messages/${id}/messages`, { body: 'not without a token', client_id: randomUUID() }],
      [`/messages/${id}/messages/${messageId}/delete`, {}],
    ];
    for (const [path, fields] of posts) {
      assert.equal((await agentA.post(path).type('form').send(fields)).status, 403, `${path} without a token`);
      assert.equal((await agentA.post(path).type('form').send({ ...fields, _csrf: 'not-the-token' })).status, 403, `${path} with a wrong token`);
      assert.equal((await agentA.post(path).type('form').send({ ...fields, _csrf: othersToken })).status, 403, `${path} with another session's token`);
      assert.equal((await agentA.post(path).type('form').set('HX-Request', 'true').set('X-CSRF-Token', 'not-the-token').send(fields)).status, 403, `htmx ${path} with a wrong token`);
      assert.equal((await agentA.post(path).type('form').set('HX-Request', 'true').send(fields)).status, 403, `htmx ${path} without a token`);
    }
    assert.deepEqual(await snapshot(id), before);
    assert.deepEqual(await conversationsBetween(idA, idC), [], 'no conversation opened');
    assert.equal((await messagesOf(id)).length, 1);
  });
});

describe('the thread page', () => {
  test('bubbles in order, each with its sender and time; the title and every name are escaped', async () => {
    const nameB = '<b>Bea</b> & "Co" <script>x()</script>';
    const { agentA, agentB, idA, idB } = await pair('page_a', 'page_b', { nameB });
    const id = await open(agentA, 'page_b');
    const order: [Agent, string][] = [
      [agentA, 'first'],
      [agentB, 'second'],
      [agentA, 'third'],
      [agentB, 'fourth'],
    ];
    for (const [agent, text] of order) await send(agent, id, text);
    const rows = await messagesOf(id);
    assert.equal(rows.length, 4);

    const page = await agentA.get(`/messages/${id}`);
    assert.equal(page.status, 200);
    const $ = html(page.text);
    const items = $('li[data-message-id]');
    assert.deepEqual(shownIds(page.text), rows.map((r) => r.id), 'chronological, oldest first');
    items.each((i, el) => {
      const li = $(el);
      const row = rows[i]!;
      assert.equal(li.attr('id'), `m-${row.id}`);
      assert.equal(li.attr('data-from'), row.sender_id === idA ? 'page_a' : 'page_b');
      assert.equal(row.sender_id, i % 2 === 0 ? idA : idB);
      assert.match(li.attr('data-status') ?? '', /^(sent|delivered|seen)$/);
      assert.ok(li.text().includes(order[i]![1]));
      const time = li.find('time[datetime]');
      assert.equal(time.length, 1, 'one <time> per message');
      const datetime = time.attr('datetime')!;
      assert.match(datetime, ISO);
      assert.equal(new Date(datetime).getTime(), row.created_at.getTime(), 'the time the message was stored');
    });

    assert.ok($('title').text().includes(nameB), `the title names them, as text: ${$('title').text()}`);
    assert.ok(!page.text.includes('<b>Bea</b>'), 'the name is never raw HTML');
    assert.ok(!page.text.includes('<script>x()</script>'));
    assert.ok(page.text.includes('&lt;b&gt;Bea&lt;/b&gt; &amp; '));
    assert.equal($('b:contains("Bea")').length, 0);
  });

  describe('older messages, with small pages', () => {
    let s: TestApp;
    before(async () => {
      s = await startTestApp({ messagingPageSize: { messages: 5, conversations: 5 } });
    });

    const prevHref = (text: string) => {
      const links = html(text)('a[rel="prev"]');
      return links.length === 0 ? undefined : links.first().attr('href');
    };

    test('a rel=prev link appears past one page, and following it walks the whole history once', async () => {
      const { agentA, agentB } = await pair('hist_a', 'hist_b', { app: s });
      const id = await open(agentA, 'hist_b');
      // Alternating senders keeps each well inside any per-person sending limit.
      const ids: number[] = [];
      for (let i = 1; i <= 5; i++) ids.push(await send(i % 2 ? agentA : agentB, id, `history ${i}`));

      const onePage = await agentA.get(`/messages/${id}`);
      assert.deepEqual(shownIds(onePage.text), ids);
      assert.equal(prevHref(onePage.text), undefined, 'exactly one page: no link to older messages');

      for (let i = 6; i <= 12; i++) ids.push(await send(i % 2 ? agentA : agentB, id, `history ${i}`));
      assert.deepEqual(
        (await messagesOf(id, s)).map((m) => m.id),
        ids,
      );

      for (const agent of [agentA, agentB]) {
        const newest = await agent.get(`/messages/${id}`);
        assert.equal(newest.status, 200);
        assert.deepEqual(shownIds(newest.text), ids.slice(-5), 'the newest page holds the newest messages');
        const seen = [...shownIds(newest.text)];
        let href = prevHref(newest.text);
        let pages = 1;
        while (href !== undefined) {
          assert.match(href, new RegExp(`^/messages/${id}\\?before=[^&#\\s]+$`));
          assert.ok(pages < 10, 'the walk ends');
          const older = await agent.get(href);
          assert.equal(older.status, 200, `GET ${href}`);
          const pageIds = shownIds(older.text);
          assert.ok(pageIds.length > 0, `${href} shows messages`);
          assert.ok(pageIds.length <= 5, 'a page is at most the page size');
          seen.unshift(...pageIds);
          href = prevHref(older.text);
          pages++;
        }
        assert.deepEqual(seen, ids, 'every message once, in order: no duplicates, no gaps');
        assert.equal(pages, 3);
      }
    });

    test('with htmx, an older page answers only the fragment', async () => {
      const { agentA, agentB } = await pair('hxhist_a', 'hxhist_b', { app: s });
      const id = await open(agentA, 'hxhist_b');
      const ids: number[] = [];
      for (let i = 1; i <= 11; i++) ids.push(await send(i % 2 ? agentA : agentB, id, `older ${i} <i>x</i>`));
      const newest = await agentA.get(`/messages/${id}`);
      const href = prevHref(newest.text);
      assert.ok(href, 'a link to older messages');

      const full = await agentA.get(href);
      const fragment = await agentA.get(href).set('HX-Request', 'true');
      assert.equal(fragment.status, 200);
      assert.match(full.text, /<title/i, 'without htmx it is a whole page');
      assert.doesNotMatch(fragment.text, /<html|<title|<body|id="composer"/i, 'with htmx only the fragment');
      assert.deepEqual(shownIds(fragment.text), shownIds(full.text));
      assert.deepEqual(shownIds(fragment.text), ids.slice(1, 6));
      assert.ok(!fragment.text.includes('<i>x</i>'), 'escaped in the fragment too');
      const next = prevHref(fragment.text);
      assert.ok(next, 'the fragment links to the page before it');
      const oldest = await agentA.get(next).set('HX-Request', 'true');
      assert.deepEqual(shownIds(oldest.text), ids.slice(0, 1));
      assert.equal(prevHref(oldest.text), undefined);
    });
  });
});

describe('what a send costs', () => {
  test('a plain send is two statements: the session with its user, then the thread and the message together (with and without htmx; the people its answer draws are kept)', async () => {
    const { agentA, idB } = await pair('cost_a', 'cost_b');
    const id = await open(agentA, 'cost_b');
    // The first sends of a session write it (the daily renewal, the periodic touch): not a send's
    // own cost. The first answer drawn with htmx reads the two people, then kept by the instance.
    for (const n of [1, 2]) assert.equal((await postSend(agentA, id, `warm ${n}`)).status, 303);
    const csrf = await token(agentA);
    assert.equal((await agentA.post(`/messages/${id}/messages`).type('form').set('HX-Request', 'true').send({ _csrf: csrf, body: 'warm htmx' })).status, 200);
    for (const htmx of [false, true]) {
      const statements = await t.countQueries(async () => {
        const req = agentA.post(`/messages/${id}/messages`).type('form');
        const res = await (htmx ? req.set('HX-Request', 'true') : req).send({ _csrf: csrf, body: `counted ${htmx}`, client_id: randomUUID() });
        assert.equal(res.status, htmx ? 200 : 303, res.text.slice(0, 200));
      });
      assert.equal(statements.length, 2, `htmx ${htmx}:\n${statements.join('\n')}`);
      assert.match(statements[0]!, /from session s/i);
      assert.match(statements[1]!, /courier_send_message/);
      assert.match(statements[1]!, /conversation_participants/, 'the thread is read in the same statement');
    }
    const stored = await mdb().selectFrom('messages').select('body').where('conversation_id', '=', id).where('body', 'like', 'counted %').execute();
    assert.equal(stored.length, 2);
    assert.ok(idB > 0);

    // The composer with files on posts multipart, its file input empty: the same two statements.
    const form = multipart([field('_csrf', csrf), field('body', 'counted multipart'), field('client_id', randomUUID()), file('', Buffer.alloc(0))]);
    const multi = await t.countQueries(async () => {
      const res = await agentA.post(`/messages/${id}/messages`).set('HX-Request', 'true').set('Content-Type', form.contentType).send(form.body);
      assert.equal(res.status, 200, res.text.slice(0, 200));
    });
    assert.equal(multi.length, 2, multi.join('\n'));
    assert.match(multi[1]!, /courier_send_message/);
  });
});
