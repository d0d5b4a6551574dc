import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { sql } from 'kysely';
import supertest from 'supertest';
import type { MessagingDb } from '../../src/messaging/index.js';
import { csrfToken, html, sessionCookie, startTestApp, type Agent, type TestApp } from '../support/app.js';

// Sending limits (CONTRACT.md, Messaging; safety spec "Rate limits"), against the real defaults:
// 20 messages per rolling 60 s per sender, 5 new conversations per rolling 24 h per opener.
// Every test uses people of its own, because both limits count per person across the whole app.

let t: TestApp;
before(async () => {
  t = await startTestApp();
});

const MAX_MESSAGES = 20;
const MAX_CONVERSATIONS = 5;
const DAY = 24 * 60 * 60;

/** The app's Db type does not list the messaging tables; the module's own type does. */
const mdb = () => t.db as unknown as MessagingDb;

interface Person {
  username: string;
  id: number;
  agent: Agent;
  token: string;
}

let serial = 0;
/** A fresh logged-in person with a unique username (3-30 of a-z 0-9 _) and their CSRF token. */
async function person(prefix: string): Promise<Person> {
  serial += 1;
  const username = `${prefix}_${serial}`;
  const agent = await t.userAgent(username);
  const row = await t.db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirstOrThrow();
  const token = await csrfToken(agent, '/messages');
  return { username, id: row.id, agent, token };
}

/** Several fresh people, each connected to `to`. */
async function connectionsOf(to: Person, prefix: string, count: number): Promise<Person[]> {
  const people: Person[] = [];
  for (let i = 0; i < count; i++) {
    const other = await person(prefix);
    await t.connect(to.id, other.id);
    people.push(other);
  }
  return people;
}

/** A sender and a recipient who are connections, and the conversation the sender opened with them. */
async function thread(prefix: string) {
  const sender = await person(`${prefix}s`);
  const recipient = await person(`${prefix}r`);
  await t.connect(sender.id, recipient.id);
  const conversationId = await open(sender, recipient.username);
  return { sender, recipient, conversationId };
}

function postOpen(from: Person, to: string) {
  return from.agent.post('/messages').type('form').send({ to, _csrf: from.token });
}

/** The conversation id out of a 303 to /messages/:id. */
function conversationIdOf(res: { status: number; headers: Record<string, string>; text: string }): number {
  assert.equal(res.status, 303, `expected 303, got ${res.status}: ${res.text.slice(0, 300)}`);
  const match = /^\/messages\/(\d+)$/.exec(res.headers.location ?? '');
  assert.ok(match, `redirects to /messages/:id, got ${res.headers.location}`);
  return Number(match[1]);
}

async function open(from: Person, to: string): Promise<number> {
  return conversationIdOf(await postOpen(from, to));
}

function postSend(from: Person, conversationId: number, body: string, extra: Record<string, string> = {}) {
  return from.agent.post(`/messages/${conversationId}/messages`).type('form').send({ _csrf: from.token, body, ...extra });
}

function htmxSend(from: Person, conversationId: number, body: string, extra: Record<string, string> = {}) {
  return from.agent
    .post(`/messages/${conversationId}/messages`)
    .type('form')
    .set('HX-Request', 'true')
    .set('X-CSRF-Token', from.token)
    .send({ body, ...extra });
}

/** The message id out of a 303 to /messages/:conversationId#m-:id. */
function messageIdOf(res: { status: number; headers: Record<string, string>; text: string }, conversationId: number): number {
  assert.equal(res.status, 303, `expected 303, got ${res.status}: ${res.text.slice(0, 300)}`);
  const match = new RegExp(`^/messages/${conversationId}#m-(\\d+)$`).exec(res.headers.location ?? '');
  assert.ok(match, `redirects to /messages/${conversationId}#m-:id, got ${res.headers.location}`);
  return Number(match[1]);
}

/** Sends through the real route, expecting success; the stored message's id. */
async function send(from: Person, conversationId: number, body: string, extra: Record<string, string> = {}): Promise<number> {
  return messageIdOf(await postSend(from, conversationId, body, extra), conversationId);
}

/** Retry-After as a whole number of seconds (it must be one). */
function retryAfter(res: { headers: Record<string, string> }): number {
  const value = res.headers['retry-after'];
  assert.ok(value !== undefined, 'a Retry-After header');
  assert.match(value, /^\d+$/, `Retry-After is an integer number of seconds, got ${JSON.stringify(value)}`);
  return Number(value);
}

async function storedBy(senderId: number) {
  return mdb().selectFrom('messages').select(['id', 'client_id', 'body', 'conversation_id']).where('sender_id', '=', senderId).orderBy('id').execute();
}

async function conversationsCreatedBy(userId: number) {
  return mdb().selectFrom('conversations').select(['id', 'user_low', 'user_high', 'created_by']).where('created_by', '=', userId).orderBy('id').execute();
}

async function conversationBetween(a: number, b: number) {
  return mdb()
    .selectFrom('conversations')
    .select(['id', 'created_by'])
    .where('user_low', '=', Math.min(a, b))
    .where('user_high', '=', Math.max(a, b))
    .execute();
}

/** Moves a sender's messages back in time, as if that many seconds had passed. */
async function backdateMessages(senderId: number, seconds: number): Promise<void> {
  await sql`update messages set created_at = created_at - make_interval(secs => ${seconds}) where sender_id = ${senderId}`.execute(t.db);
}

/** What the app logged as failed requests (level error), for assertion messages. */
function serverErrors(): string {
  const failures = t.logs
    .map((line) => JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } })
    .filter((entry) => (entry.level ?? 0) >= 50)
    .map((entry) => `${entry.msg ?? ''}: ${entry.err?.message ?? ''}`);
  return failures.length ? ` | app errors: ${[...new Set(failures)].join('; ')}` : '';
}

function countStatuses(statuses: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

describe('message limit: 20 per 60 seconds per sender', () => {
  test('20 sends succeed; the 21st is 429 with Retry-After, the typed text kept and the reason shown', async () => {
    const { sender, conversationId } = await thread('seq');
    const ids: number[] = [];
    for (let i = 1; i <= MAX_MESSAGES; i++) ids.push(await send(sender, conversationId, `message ${i}`));
    assert.equal(new Set(ids).size, MAX_MESSAGES, '20 distinct messages');
    assert.equal((await storedBy(sender.id)).length, MAX_MESSAGES);

    const typed = 'Number 21 & <counting> "still"';
    const res = await postSend(sender, conversationId, typed);
    assert.equal(res.status, 429, `the 21st send: ${res.status} ${res.headers.location ?? ''}`);
    const seconds = retryAfter(res);
    assert.ok(seconds >= 1 && seconds <= 60, `Retry-After between 1 and 60, got ${seconds}`);

    // The full thread page again (no JS needed), the text kept and the reason next to it.
    assert.match(res.headers['content-type'] ?? '', /text\/html/);
    assert.match(res.text, /<html/i, 'a full page');
    const $ = html(res.text);
    assert.equal($('textarea#composer-body').length, 1, 'the composer is on the page');
    assert.equal($('textarea#composer-body').text(), typed, 'the typed text is kept in the composer');
    const error = $('#composer-error').text().trim();
    assert.match(error, /too fast/i, `the reason is shown, got ${JSON.stringify(error)}`);
    assert.match(error, new RegExp(`\\b${seconds} seconds?\\b`), `says when to send again (Retry-After ${seconds}), got ${JSON.stringify(error)}`);

    const rows = await storedBy(sender.id);
    assert.equal(rows.length, MAX_MESSAGES, 'exactly 20 rows for the sender');
    assert.ok(!rows.some((r) => r.body === typed), 'the refused text is not stored');
    assert.deepEqual(
      rows.map((r) => r.id),
      [...ids].sort((a, b) => a - b),
      'the stored rows are the 20 that were answered 303',
    );

    // htmx: the same refusal, as just the error fragment.
    const fragment = await htmxSend(sender, conversationId, 'htmx over the limit');
    assert.equal(fragment.status, 429);
    const fragmentSeconds = retryAfter(fragment);
    assert.ok(fragmentSeconds >= 1 && fragmentSeconds <= 60, `Retry-After between 1 and 60, got ${fragmentSeconds}`);
    assert.doesNotMatch(fragment.text, /<html/i, 'just a fragment, not a page');
    assert.doesNotMatch(fragment.text, /<body/i, 'just a fragment, not a page');
    assert.match(fragment.text, /too fast/i, 'the fragment says why');
    assert.equal((await storedBy(sender.id)).length, MAX_MESSAGES, 'still exactly 20 rows');
  });

  test('40 parallel sends from one person: exactly 20 answered 303, 20 answered 429, 20 stored', async () => {
    const { sender, conversationId } = await thread('par');
    const clientIds = Array.from({ length: 2 * MAX_MESSAGES }, () => randomUUID());
    const responses = await Promise.all(clientIds.map((clientId, i) => postSend(sender, conversationId, `parallel ${i}`, { client_id: clientId })));
    const statuses = responses.map((r) => r.status);
    assert.deepEqual(countStatuses(statuses), { 303: MAX_MESSAGES, 429: MAX_MESSAGES }, `statuses: ${statuses.join(',')}${serverErrors()}`);
    for (const res of responses.filter((r) => r.status === 429)) {
      const seconds = retryAfter(res);
      assert.ok(seconds >= 1 && seconds <= 60, `Retry-After between 1 and 60, got ${seconds}`);
    }

    const rows = await storedBy(sender.id);
    assert.equal(rows.length, MAX_MESSAGES, 'exactly 20 rows stored');
    // The stored ones are exactly the accepted ones.
    const acceptedIds = responses.filter((r) => r.status === 303).map((r) => messageIdOf(r, conversationId));
    assert.deepEqual(
      rows.map((r) => r.id),
      [...acceptedIds].sort((a, b) => a - b),
    );
    const acceptedClientIds = clientIds.filter((_id, i) => responses[i]!.status === 303).sort();
    assert.deepEqual(rows.map((r) => r.client_id).sort(), acceptedClientIds, 'the stored client_ids are those of the 303 answers');
  });

  test('a burst from one person holds at most one database connection here: the others keep being served', async () => {
    const { sender, conversationId } = await thread('burst');
    const other = await thread('calm');
    // Hold the burster's lock in the database, so every one of their sends has to wait for it.
    const client = await t.database.pool.connect();
    let burst: Promise<{ status: number }[]> | undefined;
    try {
      await client.query('begin');
      await client.query('select pg_advisory_xact_lock($1::int, ($2::bigint % 2147483647)::int)', [0x436f7201, sender.id]);
      burst = Promise.all(Array.from({ length: 40 }, (_, i) => postSend(sender, conversationId, `burst ${i}`).then((r) => r)));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const waiting = await t.database.pool.query("select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'");
      assert.ok(waiting.rows[0].n <= 1, `one waiting connection at most, got ${waiting.rows[0].n}`);
      // Someone else sends meanwhile, without waiting for a free connection.
      const started = Date.now();
      const res = await postSend(other.sender, other.conversationId, 'not stuck behind the burst');
      assert.equal(res.status, 303, `served: ${res.status}${serverErrors()}`);
      assert.ok(Date.now() - started < 3000, 'promptly');
    } finally {
      await client.query('commit');
      client.release();
    }
    const statuses = (await burst!).map((r) => r.status);
    assert.deepEqual(countStatuses(statuses), { 303: MAX_MESSAGES, 429: 20 }, `statuses: ${statuses.join(',')}`);
  });

  test('two app instances on one database share the limit: 20 parallel sends on each, 20 stored in total', async () => {
    const { sender, conversationId } = await thread('two');
    const cookie = await sessionCookie(sender.agent);
    assert.ok(cookie, 'the sender has a session cookie');
    const second = t.secondInstance();
    const instances = [t.app, second.app];

    // The same session works on both (otherwise the rest proves nothing).
    for (const app of instances) {
      const page: supertest.Response = await supertest(app).get(`/messages/${conversationId}`).set('Cookie', cookie);
      assert.equal(page.status, 200, 'the session is valid on this instance');
    }

    const requests = instances.flatMap((app, n) =>
      Array.from({ length: MAX_MESSAGES }, (_x, i) =>
        supertest(app)
          .post(`/messages/${conversationId}/messages`)
          .set('Cookie', cookie)
          .type('form')
          .send({ _csrf: sender.token, body: `instance ${n} message ${i}`, client_id: randomUUID() }),
      ),
    );
    const responses = await Promise.all(requests);
    const statuses = responses.map((r) => r.status);
    assert.deepEqual(countStatuses(statuses), { 303: MAX_MESSAGES, 429: MAX_MESSAGES }, `statuses: ${statuses.join(',')}${serverErrors()}`);
    assert.equal((await storedBy(sender.id)).length, MAX_MESSAGES, 'exactly 20 stored across both instances');
  });

  test('a repeated client_id answers with the first message, stores nothing and does not count, even over the limit', async () => {
    const { sender, conversationId } = await thread('cid');
    const first = Array.from({ length: 10 }, () => randomUUID());
    const firstIds: number[] = [];
    for (const [i, clientId] of first.entries()) firstIds.push(await send(sender, conversationId, `first ${i}`, { client_id: clientId }));
    assert.equal((await storedBy(sender.id)).length, 10);

    // Resend the same 10: each answers 303 to the message stored the first time.
    for (const [i, clientId] of first.entries()) {
      const res = await postSend(sender, conversationId, `first ${i}`, { client_id: clientId });
      assert.equal(messageIdOf(res, conversationId), firstIds[i], `resend ${i} answers with the first message`);
    }
    assert.equal((await storedBy(sender.id)).length, 10, 'nothing new stored by the resends');

    // The resends did not count: 10 new ones still go through.
    for (let i = 0; i < 10; i++) await send(sender, conversationId, `second ${i}`, { client_id: randomUUID() });
    assert.equal((await storedBy(sender.id)).length, MAX_MESSAGES);

    const over = await postSend(sender, conversationId, 'one too many', { client_id: randomUUID() });
    assert.equal(over.status, 429, 'the 21st new message is refused');
    retryAfter(over);

    // Over the limit, a resend of an already-stored client_id still answers like the first send.
    const resend = await postSend(sender, conversationId, 'first 0', { client_id: first[0]! });
    assert.equal(messageIdOf(resend, conversationId), firstIds[0], 'the resend over the limit answers 303 with the original message');
    const htmxResend = await htmxSend(sender, conversationId, 'first 3', { client_id: first[3]! });
    assert.equal(htmxResend.status, 200, `htmx resend over the limit: ${htmxResend.status} ${htmxResend.text.slice(0, 200)}`);
    const $ = html(htmxResend.text);
    assert.deepEqual(
      $('li[data-message-id]')
        .map((_i, el) => Number($(el).attr('data-message-id')))
        .get(),
      [firstIds[3]],
      'the htmx resend answers with the original message',
    );

    const rows = await storedBy(sender.id);
    assert.equal(rows.length, MAX_MESSAGES, 'still exactly 20 stored');
    assert.equal(rows.filter((r) => r.client_id === first[0]).length, 1, 'one message for the repeated client_id');
  });

  test('refused sends (400 empty, 413 too long, 404 not a participant) do not count', async () => {
    const { sender, conversationId } = await thread('ref');
    const outsider = await thread('refo');

    const empties = ['', ' ', '\n\t ', '   \r\n '];
    for (let i = 0; i < 25; i++) {
      const res = await postSend(sender, conversationId, empties[i % empties.length]!);
      assert.equal(res.status, 400, `empty send ${i}`);
    }
    for (let i = 0; i < 5; i++) {
      const res = await postSend(sender, conversationId, 'x'.repeat(5001 + i));
      assert.equal(res.status, 413, `too long send ${i}`);
    }
    for (let i = 0; i < 5; i++) {
      const res = await postSend(sender, outsider.conversationId, `not mine ${i}`);
      assert.equal(res.status, 404, `send into someone else's conversation ${i}`);
    }
    assert.equal((await storedBy(sender.id)).length, 0, 'nothing stored by the refused sends');

    for (let i = 1; i <= MAX_MESSAGES; i++) await send(sender, conversationId, `good ${i}`);
    assert.equal((await storedBy(sender.id)).length, MAX_MESSAGES);
    const over = await postSend(sender, conversationId, 'good 21');
    assert.equal(over.status, 429, 'the limit still applies after 20 good ones');
  });

  test('the window rolls: once the counted messages are older than 60 seconds, sending works again', async () => {
    const { sender, conversationId } = await thread('roll');
    for (let i = 1; i <= MAX_MESSAGES; i++) await send(sender, conversationId, `early ${i}`);
    const refused = await postSend(sender, conversationId, 'too soon');
    assert.equal(refused.status, 429);
    const seconds = retryAfter(refused);
    assert.ok(seconds >= 1 && seconds <= 60, `Retry-After between 1 and 60, got ${seconds}`);

    // Retry-After is honest: once that many seconds have passed, one more message goes through.
    await backdateMessages(sender.id, seconds);
    await send(sender, conversationId, 'after Retry-After');

    // All of them out of the window: a full 20 again, then 429.
    await backdateMessages(sender.id, 61);
    const again = await postSend(sender, conversationId, 'after the window');
    messageIdOf(again, conversationId);
    for (let i = 2; i <= MAX_MESSAGES; i++) await send(sender, conversationId, `late ${i}`);
    const over = await postSend(sender, conversationId, 'late 21');
    assert.equal(over.status, 429, 'the new window holds 20 as well');
    assert.equal((await storedBy(sender.id)).length, MAX_MESSAGES + 1 + MAX_MESSAGES);
  });
});

describe('conversation limit: 5 new conversations per 24 hours per opener', () => {
  test('the 6th new conversation is 429 with Retry-After and a readable page; existing ones still open', async () => {
    const opener = await person('cop');
    const people = await connectionsOf(opener, 'cot', 7);
    const opened: number[] = [];
    for (const other of people.slice(0, MAX_CONVERSATIONS)) opened.push(await open(opener, other.username));
    assert.equal(new Set(opened).size, MAX_CONVERSATIONS, '5 distinct conversations');
    assert.equal((await conversationsCreatedBy(opener.id)).length, MAX_CONVERSATIONS);

    const sixth = people[MAX_CONVERSATIONS]!;
    const res = await postOpen(opener, sixth.username);
    assert.equal(res.status, 429, `the 6th new conversation: ${res.status} ${res.headers.location ?? ''}`);
    const seconds = retryAfter(res);
    assert.ok(seconds > 0 && seconds <= DAY, `Retry-After within a day, got ${seconds}`);
    assert.ok(seconds > DAY - 600, `the oldest counted conversation was opened moments ago, so about a day to wait; got ${seconds}`);
    assert.match(res.headers['content-type'] ?? '', /text\/html/);
    assert.match(res.text, /<html/i, 'a full, readable page');
    const $ = html(res.text);
    const text = $('main').length ? $('main').text() : $('body').text();
    assert.match(text.replace(/\s+/g, ' '), /5 new conversations/, 'the page names the limit');
    assert.deepEqual(await conversationBetween(opener.id, sixth.id), [], 'no conversation row is created');
    assert.equal((await conversationsCreatedBy(opener.id)).length, MAX_CONVERSATIONS);

    // Over the limit, existing conversations still open, to the same id, and count nothing.
    for (const [i, other] of people.slice(0, MAX_CONVERSATIONS).entries()) {
      assert.equal(await open(opener, other.username), opened[i], `reopening the conversation with ${other.username}`);
    }
    // Usernames are folded to lower case: the same person in capitals is the same conversation.
    assert.equal(await open(opener, people[0]!.username.toUpperCase()), opened[0]);
    assert.equal((await postOpen(opener, people[6]!.username)).status, 429, 'still refused for the 7th person');
    assert.equal((await conversationsCreatedBy(opener.id)).length, MAX_CONVERSATIONS);
  });

  test('the other person opening an existing conversation back does not count for them', async () => {
    const starter = await person('bks');
    const me = await person('bkm');
    await t.connect(starter.id, me.id);
    const shared = await open(starter, me.username);

    // I open it back, more than the limit's worth of times: it is the same conversation each time.
    for (let i = 0; i < MAX_CONVERSATIONS + 1; i++) assert.equal(await open(me, starter.username), shared, 'the same conversation');
    assert.deepEqual(await conversationsCreatedBy(me.id), [], 'opening it back created nothing for me');
    assert.deepEqual(
      (await conversationBetween(starter.id, me.id)).map((c) => c.created_by),
      [starter.id],
      'still created by the one who started it',
    );

    // So all 5 of my own new conversations are still available, and the 6th is not.
    const others = await connectionsOf(me, 'bko', MAX_CONVERSATIONS + 1);
    for (const other of others.slice(0, MAX_CONVERSATIONS)) await open(me, other.username);
    assert.equal((await postOpen(me, others[MAX_CONVERSATIONS]!.username)).status, 429);
    assert.equal((await conversationsCreatedBy(me.id)).length, MAX_CONVERSATIONS);
  });

  test('conversations others started with me do not count against me', async () => {
    const me = await person('swm');
    const starters = await connectionsOf(me, 'sws', 3);
    for (const starter of starters) await open(starter, me.username);
    const mine = await mdb().selectFrom('conversation_participants').select('conversation_id').where('user_id', '=', me.id).execute();
    assert.equal(mine.length, 3, 'I am in 3 conversations others started');

    const others = await connectionsOf(me, 'swo', MAX_CONVERSATIONS + 1);
    for (const other of others.slice(0, MAX_CONVERSATIONS)) await open(me, other.username);
    const refused = await postOpen(me, others[MAX_CONVERSATIONS]!.username);
    assert.equal(refused.status, 429, 'my own 6th new conversation is refused');
    assert.equal((await conversationsCreatedBy(me.id)).length, MAX_CONVERSATIONS);
  });

  test('10 parallel new conversations: exactly 5 succeed, 5 get 429, 5 conversations created', async () => {
    const opener = await person('pco');
    const people = await connectionsOf(opener, 'pct', 10);
    const responses = await Promise.all(people.map((other) => postOpen(opener, other.username)));
    const statuses = responses.map((r) => r.status);
    assert.deepEqual(countStatuses(statuses), { 303: MAX_CONVERSATIONS, 429: MAX_CONVERSATIONS }, `statuses: ${statuses.join(',')}${serverErrors()}`);

    const created = await conversationsCreatedBy(opener.id);
    assert.equal(created.length, MAX_CONVERSATIONS, 'exactly 5 conversations created by the opener');
    const answered = responses.filter((r) => r.status === 303).map((r) => conversationIdOf(r));
    assert.deepEqual(
      created.map((c) => c.id),
      [...answered].sort((a, b) => a - b),
      'the created conversations are the ones answered 303',
    );
    for (const [i, res] of responses.entries()) {
      if (res.status !== 429) continue;
      retryAfter(res);
      assert.deepEqual(await conversationBetween(opener.id, people[i]!.id), [], `no conversation with ${people[i]!.username}`);
    }
  });

  test('over the limit, a person one may not message is still 403, not 429', async () => {
    const opener = await person('pol');
    const people = await connectionsOf(opener, 'plt', MAX_CONVERSATIONS + 1);
    for (const other of people.slice(0, MAX_CONVERSATIONS)) await open(opener, other.username);
    assert.equal((await postOpen(opener, people[MAX_CONVERSATIONS]!.username)).status, 429, 'the opener is over the limit');

    const stranger = await person('pls');
    const res = await postOpen(opener, stranger.username);
    assert.equal(res.status, 403, `not connected: ${res.status}`);
    assert.equal(res.headers['retry-after'], undefined, 'no Retry-After on a policy refusal');
    assert.deepEqual(await conversationBetween(opener.id, stranger.id), []);
  });

  test('over the limit, a blocked connection is still 403, not 429', async () => {
    const opener = await person('blo');
    const people = await connectionsOf(opener, 'blt', MAX_CONVERSATIONS + 2);
    for (const other of people.slice(0, MAX_CONVERSATIONS)) await open(opener, other.username);
    assert.equal((await postOpen(opener, people[MAX_CONVERSATIONS]!.username)).status, 429, 'the opener is over the limit');

    const blocked = people[MAX_CONVERSATIONS + 1]!;
    const blocking = await opener.agent.post(`/u/${blocked.username}/block`).type('form').send({ _csrf: opener.token });
    assert.equal(blocking.status, 303, 'the block is made');
    const res = await postOpen(opener, blocked.username);
    assert.equal(res.status, 403, `blocked: ${res.status}`);
    assert.deepEqual(await conversationBetween(opener.id, blocked.id), []);
  });
});
