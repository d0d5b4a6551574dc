import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Response } from 'express';
import { sql } from 'kysely';
import supertest from 'supertest';
import type { App } from '../../src/app.js';
import { formatEvent, StreamHub } from '../../src/messaging/realtime/hub.js';
import { csrfToken, html, sessionCookie, startTestApp, type Agent, type TestApp } from '../support/app.js';
import { openConversation, sendMessage as send } from '../support/messaging.js';
import {
  closeAllEventStreams,
  listen,
  listenerPids,
  openEventStream,
  sleep,
  waitForListeners,
  type EventStream,
  type Listening,
  type SseEvent,
} from '../support/sse.js';

// Real-time over Server-Sent Events, with two app instances on one database: instance A (t.app)
// and instance B (t.secondInstance()), both listening on real ports. What one stores, the other
// delivers to its own streams, through PostgreSQL LISTEN/NOTIFY.

let t: TestApp;
let instanceB: App;
let A: Listening;
let B: Listening;
let listenerOfA: number;
let listenerOfB: number;

before(async () => {
  t = await startTestApp();
  // startTestApp does not wait for the instance's listener: its LISTEN connection shows it is up.
  const first = await waitForListeners(t.db, 1);
  assert.equal(first.length, 1, 'instance A listens');
  listenerOfA = first[0]!;
  instanceB = t.secondInstance();
  await instanceB.ready;
  const pids = await waitForListeners(t.db, 2);
  assert.equal(pids.length, 2, 'one LISTEN connection per instance');
  listenerOfB = pids.find((pid) => pid !== listenerOfA)!;
  assert.ok(listenerOfB, 'instance B has a listener of its own');
  A = await listen(t.app);
  B = await listen(instanceB.app);
});

after(async () => {
  closeAllEventStreams();
  await A?.close();
  await B?.close();
});

afterEach(() => closeAllEventStreams());

interface Member {
  agent: Agent;
  id: number;
  username: string;
  token: string;
  cookie: string;
}

let serial = 0;

/** A logged-in member (on instance A's agent); their CSRF token and session cookie, taken once. */
async function member(name: string): Promise<Member> {
  serial += 1;
  const username = `${name}_${serial}`;
  const agent = await t.userAgent(username, name.charAt(0).toUpperCase() + name.slice(1));
  const token = await csrfToken(agent, '/settings');
  const cookie = await sessionCookie(agent);
  assert.ok(cookie, `${username} has a session cookie`);
  const row = await t.db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirstOrThrow();
  return { agent, id: row.id, username, token, cookie };
}


/** Two connected members and their (empty) conversation. */
async function pair(a: string, b: string) {
  const first = await member(a);
  const second = await member(b);
  await t.connect(first.id, second.id);
  const conversation = await openConversation(first, second);
  return { alice: first, bob: second, conversation };
}

/** The member's event stream on an instance. */
async function streamOf(m: Member, on: Listening): Promise<EventStream> {
  const stream = await openEventStream(on.baseUrl, m.cookie);
  assert.equal(stream.status, 200, `${m.username}'s stream opens`);
  return stream;
}

const about = (conversationId: number) => (data: string) => data.includes(`data-conversation-id="${conversationId}"`);
const is = (name: string, conversationId: number, since = 0) => (e: SseEvent) => e.index >= since && e.event === name && about(conversationId)(e.data);

async function participant(conversationId: number, userId: number) {
  return t.db
    .selectFrom('conversation_participants')
    .selectAll()
    .where('conversation_id', '=', conversationId)
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
}

/** The message's data-status on the thread page as `viewer` sees it (through A). */
async function statusSeenBy(viewer: Member, conversationId: number, messageId: number): Promise<string | undefined> {
  const res = await viewer.agent.get(`/messages/${conversationId}`);
  assert.equal(res.status, 200);
  return html(res.text)(`li[data-message-id="${messageId}"]`).attr('data-status');
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

describe('GET /events', () => {
  test('logged out: 401, on both instances, and no stream', async () => {
    for (const on of [A, B]) {
      const stream = await openEventStream(on.baseUrl, undefined);
      assert.equal(stream.status, 401, `${on.baseUrl} refuses a stream without a session`);
      assert.doesNotMatch(String(stream.headers['content-type']), /text\/event-stream/);
      await stream.done;
      assert.equal(stream.events.length, 0);
    }
  });

  test('logged in: an unbuffered event stream (gzip when asked, flushed per frame) that starts with a jittered retry', async () => {
    const m = await member('streamer');
    for (const on of [A, B]) {
      const stream = await openEventStream(on.baseUrl, m.cookie, { 'Accept-Encoding': 'gzip, deflate, br' });
      assert.equal(stream.status, 200);
      assert.match(String(stream.headers['content-type']), /^text\/event-stream\b/);
      assert.equal(stream.headers['x-accel-buffering'], 'no');
      assert.equal(stream.headers['content-encoding'], 'gzip', 'compressed by its own flushed compressor (not the app-wide middleware, which would hold frames back)');
      await until(() => stream.raw.includes('\n\n'), 2000, 'the first frame');
      const first = /^retry: ?(\d+)\r?\n/.exec(stream.raw);
      assert.ok(first, `the stream starts with a retry: line: ${JSON.stringify(stream.raw.slice(0, 40))}`);
      const retry = Number(first[1]);
      assert.ok(retry >= 2000 && retry <= 5000, `retry ${retry} is between 2000 and 5000 ms`);
      assert.equal(stream.ended, false, 'the stream stays open');
      stream.close();
    }
  });
});

describe('live messages across instances', () => {
  test("a message posted through A reaches the recipient's stream on B within a second; outsiders hear nothing; the sender's pages get it as theirs", async () => {
    const { alice, bob, conversation } = await pair('alice', 'bob');
    const olga = await member('olga');
    const carol = await member('carol');
    await t.connect(carol.id, olga.id);
    const olgaConversation = await openConversation(carol, olga);

    const bobOnB = await streamOf(bob, B);
    const aliceOnA = await streamOf(alice, A);
    const olgaOnA = await streamOf(olga, A);
    const olgaOnB = await streamOf(olga, B);

    const text = 'Lunch <b>at noon</b> & "bring" it?';
    const messageId = await send(alice, conversation, text);
    const received = await bobOnB.waitFor(is('message', conversation), 1000, `bob's message event for conversation ${conversation}`);
    assert.ok(received.data.includes(`id="m-${messageId}"`), `the event carries the message partial: ${received.data}`);
    assert.ok(received.data.includes('Lunch &lt;b&gt;at noon&lt;/b&gt; &amp;'), 'the text is escaped');
    assert.ok(!received.data.includes('<b>at noon</b>'), 'no raw markup from the text');
    assert.equal(bobOnB.matching(is('message', conversation)).length, 1, 'one message event per message');

    // The sender's own pages (other tabs, devices) get it drawn as theirs: nothing to fetch.
    const own = await aliceOnA.waitFor(is('message', conversation), 1000, "alice's own message event");
    assert.ok(own.data.includes(`id="m-${messageId}"`) && own.data.includes('class="msg mine"'), 'drawn as hers');
    assert.ok(!own.data.includes('id="messages-count"'), 'her count did not change: not in it');
    assert.equal(aliceOnA.matching((e) => e.event === 'thread').length, 0, 'no hint to fetch anything');

    // The premise: the outsider's streams are open and do receive their own events...
    await send(carol, olgaConversation, 'hello olga');
    await olgaOnA.waitFor(is('message', olgaConversation), 1000, "olga's own message event on A");
    await olgaOnB.waitFor(is('message', olgaConversation), 1000, "olga's own message event on B");
    // ...and nothing about alice and bob's conversation reached them.
    for (const stream of [olgaOnA, olgaOnB]) {
      assert.deepEqual(
        stream.matching((e) => about(conversation)(e.data) || e.data.includes('at noon')),
        [],
        "the outsider's stream carries nothing about the conversation",
      );
    }
  });

  test("once bob's stream has the message it is delivered, and alice's stream gets a read event (the delivery receipt) within a second", async () => {
    const { alice, bob, conversation } = await pair('alice', 'bob');
    const bobOnB = await streamOf(bob, B);
    const aliceOnA = await streamOf(alice, A);
    // Opening the streams delivers nothing yet: there is nothing to deliver.
    await sleep(100);
    const before = aliceOnA.events.length;

    const messageId = await send(alice, conversation, 'did this reach you?');
    const got = await bobOnB.waitFor(is('message', conversation), 1000, "bob's message event");
    const receipt = await aliceOnA.waitFor(is('read', conversation, before), 1000, "alice's delivery receipt (read event)");
    assert.ok(receipt.at - got.at <= 1000, `the receipt came ${receipt.at - got.at} ms after bob got the message`);

    const row = await participant(conversation, bob.id);
    assert.ok(Number(row.last_delivered_message_id) >= messageId, `delivered up to ${row.last_delivered_message_id}, message ${messageId}`);
    assert.ok(Number(row.last_read_message_id) < messageId, 'delivered, not read: bob has not opened the thread');
    assert.equal(await statusSeenBy(alice, conversation, messageId), 'delivered', "alice's page shows it delivered");
  });

  test("bob opening the thread through B sends alice's stream on A a read event within a second", async () => {
    const { alice, bob, conversation } = await pair('alice', 'bob');
    const aliceOnA = await streamOf(alice, A);
    const messageId = await send(alice, conversation, 'read me');
    // Delivered first (bob loads another page through B), so the next receipt is the seen one.
    const settings = await supertest(B.baseUrl).get('/settings').set('Cookie', bob.cookie);
    assert.equal(settings.status, 200);
    await aliceOnA.waitFor(is('read', conversation), 1000, 'the delivery receipt');
    await sleep(50);
    const before = aliceOnA.events.length;
    assert.ok(Number((await participant(conversation, bob.id)).last_read_message_id) < messageId, 'not read yet');

    const page = await supertest(B.baseUrl).get(`/messages/${conversation}`).set('Cookie', bob.cookie);
    assert.equal(page.status, 200);
    assert.equal(html(page.text)(`li[data-message-id="${messageId}"]`).length, 1, 'bob sees the message');
    await aliceOnA.waitFor(is('read', conversation, before), 1000, "alice's read event after bob opened the thread");
    assert.ok(Number((await participant(conversation, bob.id)).last_read_message_id) >= messageId, 'the database has it read');
    assert.equal(await statusSeenBy(alice, conversation, messageId), 'seen');
  });

  test('typing through A reaches the other side on B within a second; outsiders, logged-out and CSRF-less requests are refused and signal nothing', async () => {
    const { alice, bob, conversation } = await pair('alice', 'bob');
    const olga = await member('olga');
    const bobOnB = await streamOf(bob, B);

    const typed = await alice.agent.post(`/messages/${conversation}/typing`).set('X-CSRF-Token', alice.token).set('HX-Request', 'true');
    assert.equal(typed.status, 204);
    const typing = await bobOnB.waitFor(is('typing', conversation), 1000, "bob's typing event");
    assert.ok(typing.data.includes(`data-user-id="${alice.id}"`), `says who types: ${typing.data}`);

    const outsider = await olga.agent.post(`/messages/${conversation}/typing`).set('X-CSRF-Token', olga.token).set('HX-Request', 'true');
    assert.equal(outsider.status, 404, 'an outsider cannot type into the conversation (to them it does not exist)');
    const anonymous = await supertest(A.baseUrl).post(`/messages/${conversation}/typing`).set('HX-Request', 'true');
    assert.equal(anonymous.status, 401);
    const noCsrf = await alice.agent.post(`/messages/${conversation}/typing`).set('HX-Request', 'true');
    assert.equal(noCsrf.status, 403, 'no CSRF token: refused');
    const badCsrf = await alice.agent.post(`/messages/${conversation}/typing`).type('form').send({ _csrf: 'not-the-token' });
    assert.equal(badCsrf.status, 403, 'a wrong CSRF token: refused');

    // A barrier: the next signal from alice arrives, and nothing came in between.
    const again = await alice.agent.post(`/messages/${conversation}/typing`).type('form').send({ _csrf: alice.token });
    assert.equal(again.status, 204);
    await until(() => bobOnB.matching((e) => e.event === 'typing').length >= 2, 1000, 'the second typing event');
    await sleep(100);
    const typings = bobOnB.matching((e) => e.event === 'typing');
    assert.equal(typings.length, 2, 'exactly the two accepted typing signals reached bob');
    for (const e of typings) assert.ok(e.data.includes(`data-user-id="${alice.id}"`), `only alice typed: ${e.data}`);
    assert.equal(bobOnB.matching((e) => e.data.includes(`data-user-id="${olga.id}"`)).length, 0);
  });

  test("deleting a message through A redraws it, deleted, on both participants' streams", async () => {
    const { alice, bob, conversation } = await pair('alice', 'bob');
    const bobOnB = await streamOf(bob, B);
    const aliceOnA = await streamOf(alice, A);
    const messageId = await send(alice, conversation, 'oops, wrong chat');
    await bobOnB.waitFor(is('message', conversation), 1000, "bob's message event");
    await aliceOnA.waitFor(is('message', conversation), 1000, "alice's own message event");
    await sleep(100);
    const bobBefore = bobOnB.events.length;
    const aliceBefore = aliceOnA.events.length;

    const res = await alice.agent.post(`/messages/${conversation}/messages/${messageId}/delete`).type('form').send({ _csrf: alice.token });
    assert.equal(res.status, 303);
    const redrawn = (since: number) => (e: SseEvent) => e.index >= since && e.event === 'message' && e.data.includes(`id="m-${messageId}" hx-swap-oob="true"`) && e.data.includes('data-deleted="true"');
    await bobOnB.waitFor(redrawn(bobBefore), 1000, "bob's redrawn message after the deletion");
    await aliceOnA.waitFor(redrawn(aliceBefore), 1000, "alice's redrawn message after the deletion");
    const stored = await t.db.selectFrom('messages').select(['body', 'deleted_at']).where('id', '=', messageId).executeTakeFirstOrThrow();
    assert.equal(stored.body, null);
    assert.ok(stored.deleted_at);
  });
});

describe('presence', () => {
  const presenceOf = (userId: number, active: boolean, since = 0) => (e: SseEvent) =>
    e.index >= since && e.event === 'presence' && e.data.includes(`data-presence-user="${userId}"`) && e.data.includes(`data-active="${active}"`);

  async function shownPresence(viewer: Member, conversationId: number, userId: number) {
    const res = await viewer.agent.get(`/messages/${conversationId}`);
    assert.equal(res.status, 200);
    const el = html(res.text)(`[data-presence-user="${userId}"]`);
    assert.equal(el.length, 1, 'the thread page shows the other person’s presence');
    return { active: el.attr('data-active'), text: el.text().replace(/\s+/g, ' ').trim() };
  }

  test('"Active now" while bob has a stream open on B; when it closes alice\'s stream hears he went away and the page stops saying so', async () => {
    const { alice, bob, conversation } = await pair('alice', 'bob');
    const aliceOnA = await streamOf(alice, A);
    const before = await shownPresence(alice, conversation, bob.id);
    assert.equal(before.active, 'false', 'bob has no page open yet');
    assert.doesNotMatch(before.text, /Active now/);

    const bobOnB = await streamOf(bob, B);
    await aliceOnA.waitFor(presenceOf(bob.id, true), 2000, 'the presence event saying bob came online');
    const online = await shownPresence(alice, conversation, bob.id);
    assert.equal(online.active, 'true');
    assert.match(online.text, /Active now/);

    const mark = aliceOnA.events.length;
    bobOnB.close();
    const gone = await aliceOnA.waitFor(presenceOf(bob.id, false, mark), 3000, 'the presence event saying bob went away');
    assert.doesNotMatch(gone.data, /Active now/);
    const offline = await shownPresence(alice, conversation, bob.id);
    assert.equal(offline.active, 'false');
    assert.doesNotMatch(offline.text, /Active now/);
  });
});

describe('the listener', () => {
  test("when instance B's LISTEN connection dies it reconnects, B's streams get a resync event, and messages flow again", async () => {
    const { alice, bob, conversation } = await pair('alice', 'bob');
    const bobOnB = await streamOf(bob, B);
    const aliceOnA = await streamOf(alice, A);
    assert.deepEqual((await listenerPids(t.db)).sort(), [listenerOfA, listenerOfB].sort(), 'both listeners are the ones seen at start');

    const killed = await sql<{ ok: boolean }>`select pg_terminate_backend(${listenerOfB}::int) as ok`.execute(t.db);
    assert.equal(killed.rows[0]?.ok, true, "instance B's listener was terminated");

    const resync = await bobOnB.waitFor((e) => e.event === 'resync', 10_000, "bob's resync event after B's listener reconnected");
    assert.ok(resync);
    const pids = await waitForListeners(t.db, 2, 5000);
    assert.ok(pids.includes(listenerOfA), "A's listener was left alone");
    listenerOfB = pids.find((pid) => pid !== listenerOfA)!;
    assert.ok(listenerOfB, 'B listens again on a new connection');
    assert.equal(aliceOnA.matching((e) => e.event === 'resync').length, 0, "A's listener did not drop: no resync on A");

    const messageId = await send(alice, conversation, 'still there?');
    const got = await bobOnB.waitFor(is('message', conversation), 1000, "bob's message event after the reconnect");
    assert.ok(got.data.includes(`id="m-${messageId}"`));
  });
});

describe('shutdown', () => {
  test("closeStreams() on instance B ends B's streams (so clients reconnect elsewhere) and leaves A's open", async () => {
    const { alice, bob } = await pair('alice', 'bob');
    const bobOnB = await streamOf(bob, B);
    const aliceOnB = await streamOf(alice, B);
    const aliceOnA = await streamOf(alice, A);
    await sleep(50);
    assert.equal(bobOnB.ended, false);

    instanceB.closeStreams();
    await Promise.race([
      Promise.all([bobOnB.done, aliceOnB.done]),
      sleep(2000).then(() => assert.fail('the streams on B did not end within 2 s')),
    ]);
    assert.equal(bobOnB.ended, true, "bob's stream ended");
    assert.equal(aliceOnB.ended, true);
    await sleep(100);
    assert.equal(aliceOnA.ended, false, "a stream on A is not B's to close");
  });
});

describe('StreamHub (unit)', () => {
  class FakeResponse {
    writes: string[] = [];
    destroyed = false;
    ended = false;
    writableLength = 0;
    write(chunk: string) {
      this.writes.push(chunk);
      return true;
    }
    once() {
      return this;
    }
    destroy() {
      this.destroyed = true;
      return this;
    }
    end() {
      this.ended = true;
      return this;
    }
  }
  const fake = () => new FakeResponse();
  const asRes = (res: FakeResponse) => res as unknown as Response;

  /** Parses frames as an EventSource does (CR, LF and CRLF end lines). */
  function parseFrames(text: string): { event: string; data: string }[] {
    const out: { event: string; data: string }[] = [];
    let event = '';
    let data: string[] = [];
    for (const line of text.split(/\r\n|\r|\n/)) {
      if (line === '') {
        if (data.length) out.push({ event: event || 'message', data: data.join('\n') });
        event = '';
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') event = value;
      if (field === 'data') data.push(value);
    }
    return out;
  }

  test('send() writes one well-formed frame to every stream of that user, and only theirs', () => {
    const hub = new StreamHub(() => {}, () => {});
    try {
      const [one, two, other] = [fake(), fake(), fake()];
      hub.add({ id: randomUUID(), userId: 1, sessionKey: 's', res: asRes(one) });
      hub.add({ id: randomUUID(), userId: 1, sessionKey: 's', res: asRes(two) });
      hub.add({ id: randomUUID(), userId: 2, sessionKey: 's', res: asRes(other) });

      assert.equal(hub.send(1, 'message', '<div>\n  <p>hi</p>\n</div>'), 2, 'both of user 1’s streams took it');
      const frame = 'event: message\ndata: <div>\ndata:   <p>hi</p>\ndata: </div>\n\n';
      assert.deepEqual(one.writes, [frame]);
      assert.deepEqual(two.writes, [frame]);
      assert.deepEqual(other.writes, [], 'user 2 got nothing');
      assert.equal(hub.send(3, 'message', 'x'), 0, 'no stream, nothing sent');

      hub.send(2, 'read', 'a\r\nb');
      assert.deepEqual(other.writes, ['event: read\ndata: a\ndata: b\n\n']);
      assert.deepEqual(parseFrames(other.writes[0]!), [{ event: 'read', data: 'a\nb' }]);
    } finally {
      hub.closeAll();
    }
  });

  test('formatEvent: every line of the data is its own data: field, whatever the line ending, so the data cannot forge fields', () => {
    for (const data of ['one line', 'a\nb\nc', 'a\r\nb', 'a\rb', 'tail\n', 'x\revent: forged\rdata: y']) {
      const frame = formatEvent('thread', data);
      assert.ok(frame.endsWith('\n\n'), 'a frame ends with a blank line');
      assert.deepEqual(parseFrames(frame), [{ event: 'thread', data: data.split(/\r\n|\r|\n/).join('\n') }], `data ${JSON.stringify(data)} comes back as sent`);
    }
  });

  test('a stream whose buffer backs up past 256 KiB is destroyed instead of written to', () => {
    const hub = new StreamHub(() => {}, () => {});
    try {
      const [slow, atLimit, fine] = [fake(), fake(), fake()];
      slow.writableLength = 256 * 1024 + 1;
      atLimit.writableLength = 256 * 1024;
      hub.add({ id: randomUUID(), userId: 1, sessionKey: 's', res: asRes(slow) });
      hub.add({ id: randomUUID(), userId: 1, sessionKey: 's', res: asRes(atLimit) });
      hub.add({ id: randomUUID(), userId: 1, sessionKey: 's', res: asRes(fine) });
      assert.equal(hub.send(1, 'message', 'x'), 2, 'the slow stream does not count as delivered');
      assert.equal(slow.destroyed, true);
      assert.deepEqual(slow.writes, [], 'nothing more is buffered for it');
      assert.equal(atLimit.destroyed, false);
      assert.equal(atLimit.writes.length, 1);
      assert.equal(fine.destroyed, false);
      assert.equal(fine.writes.length, 1);
    } finally {
      hub.closeAll();
    }
  });

  test('first-open and last-close callbacks fire once per user', () => {
    const opened: number[] = [];
    const closed: number[] = [];
    const hub = new StreamHub((id) => opened.push(id), (id) => closed.push(id));
    try {
      const a1 = { id: randomUUID(), userId: 1, sessionKey: 's', res: asRes(fake()) };
      const a2 = { id: randomUUID(), userId: 1, sessionKey: 's', res: asRes(fake()) };
      const b1 = { id: randomUUID(), userId: 2, sessionKey: 's', res: asRes(fake()) };
      hub.add(a1);
      hub.add(a2);
      hub.add(b1);
      assert.deepEqual(opened, [1, 2], 'once per user, on their first stream');
      assert.equal(hub.size, 3);
      assert.equal(hub.has(1), true);

      hub.remove(a1);
      assert.deepEqual(closed, [], 'user 1 still has a stream');
      hub.remove(a2);
      assert.deepEqual(closed, [1]);
      hub.remove(a2);
      hub.remove(a1);
      assert.deepEqual(closed, [1], 'removing an already removed stream fires nothing');
      assert.equal(hub.has(1), false);
      hub.remove(b1);
      assert.deepEqual(closed, [1, 2]);
      assert.deepEqual(hub.connectedUsers(), []);

      hub.add(a1);
      assert.deepEqual(opened, [1, 2, 1], 'coming back is a first open again');
    } finally {
      hub.closeAll();
    }
  });

  test('closeAll() ends every stream', () => {
    const hub = new StreamHub(() => {}, () => {});
    const [x, y] = [fake(), fake()];
    hub.add({ id: randomUUID(), userId: 1, sessionKey: 's', res: asRes(x) });
    hub.add({ id: randomUUID(), userId: 2, sessionKey: 's', res: asRes(y) });
    hub.closeAll();
    assert.equal(x.ended, true);
    assert.equal(y.ended, true);
  });
});
