import assert from 'node:assert/strict';
import pg from 'pg';
import { after, afterEach, before, describe, test } from 'node:test';
import supertest from 'supertest';
import { html, sessionCookie, startTestApp, type TestApp } from '../support/app.js';
import { newMember, type Member } from '../support/members.js';
import { openConversation, sendMessage } from '../support/messaging.js';
import { closeAllEventStreams, listen, openEventStream, sleep, waitForListeners, type EventStream, type Listening } from '../support/sse.js';

// One live model: each change reaches each open page of each person it touches as one event of
// out-of-band fragments drawn by the server. A page says what it shows (POST /messages/view), so
// the server sends a message's text only where its conversation is open, and marks "seen" itself
// when that page is visible.

let t: TestApp;
let server: Listening;

before(async () => {
  t = await startTestApp();
  await waitForListeners(t.db, 1);
  server = await listen(t.app);
});
after(async () => {
  closeAllEventStreams();
  await server?.close();
});
afterEach(() => closeAllEventStreams());

type Person = Member & { cookie: string };

async function person(prefix: string): Promise<Person> {
  const member = await newMember(t, prefix);
  return { ...member, cookie: (await sessionCookie(member.agent))! };
}

async function pair() {
  const ann = await person('ann');
  const ben = await person('ben');
  await t.connect(ann.id, ben.id);
  return { ann, ben, conversation: await openConversation(ann, ben) };
}

/** A page: its stream, and its name from the stream's hello. */
async function page(p: Person): Promise<{ stream: EventStream; id: string }> {
  const stream = await openEventStream(server.baseUrl, p.cookie);
  const hello = await stream.waitFor((e) => e.event === 'hello', 1000, 'hello');
  return { stream, id: hello.data };
}

async function shows(p: Person, streamId: string, conversation: number | '', visible: boolean) {
  const res = await p.agent.post('/messages/view').type('form').send({ stream: streamId, c: String(conversation), visible: visible ? '1' : '0', _csrf: p.token });
  assert.equal(res.status, 204);
  // Heard through PostgreSQL by the instance holding the stream.
  await sleep(150);
}

const count = (data: string) => Number(html(data)('#messages-count').attr('data-count'));
const rowOf = (data: string) => html(html(data)('#row-sink template').html() ?? '')('li');
const events = (s: EventStream, name: string) => s.matching((e) => e.event === name);

describe('a message, as each page gets it', () => {
  test('one event per page: the text only where the conversation is open; a visible open page reads it at once', async () => {
    const { ann, ben, conversation } = await pair();
    const thread = await page(ben);
    const inbox = await page(ben);
    const sender = await page(ann);
    await shows(ben, thread.id, conversation, true);
    await shows(ben, inbox.id, '', true);
    await shows(ann, sender.id, conversation, true);

    const id = await sendMessage(ann, conversation, 'Shown where it is open');
    const onThread = await thread.stream.waitFor((e) => e.event === 'message', 1000, 'the thread page’s event');
    const onInbox = await inbox.stream.waitFor((e) => e.event === 'message', 1000, 'the inbox page’s event');
    assert.ok(onThread.data.includes(`id="m-${id}"`) && onThread.data.includes('Shown where it is open'), 'the thread page gets the message');
    assert.ok(onThread.data.includes(`hx-swap-oob="beforeend:[data-thread='${conversation}'] #thread-messages"`));
    assert.ok(!onInbox.data.includes('Shown where it is open'.slice(0, 10)) || !onInbox.data.includes(`id="m-${id}"`), 'the inbox page does not get the message');
    assert.ok(!onInbox.data.includes(`id="m-${id}"`));
    for (const data of [onThread.data, onInbox.data]) {
      assert.equal(count(data), 0, 'read already: a visible page shows the conversation');
      assert.equal(rowOf(data).attr('data-unread'), 'false');
      assert.equal(rowOf(data).attr('data-conversation-id'), String(conversation));
    }
    const read = await t.db.selectFrom('conversation_participants').select('last_read_message_id').where('conversation_id', '=', conversation).where('user_id', '=', ben.id).executeTakeFirstOrThrow();
    assert.equal(Number(read.last_read_message_id), id, 'stored as read');

    // The sender's page: the ticks, drawn from the new watermarks (seen).
    const receipts = await sender.stream.waitFor((e) => e.event === 'read', 1000, 'the read event (receipts)');
    assert.equal(html(receipts.data)(`#receipts-${conversation}`).attr('data-read'), String(id));

    await sleep(300);
    for (const s of [thread.stream, inbox.stream]) {
      assert.equal(events(s, 'message').length, 1, 'one event per page for the change');
      assert.deepEqual(s.events.filter((e) => !['hello', 'message', 'presence'].includes(e.event)).map((e) => e.event), [], 'and nothing else to fetch after');
    }
    assert.equal(events(sender.stream, 'read').length, 1, 'the sender: one read event (receipts)');
    assert.equal(sender.stream.matching((e) => e.event === 'thread').length, 0, 'no hint sending the sender’s page to fetch');
  });

  test('a hidden page does not read: counted until it is shown again, then read, and every page of mine hears it', async () => {
    const { ann, ben, conversation } = await pair();
    const thread = await page(ben);
    const other = await page(ben);
    await shows(ben, thread.id, conversation, false);
    const id = await sendMessage(ann, conversation, 'While the tab is hidden');
    const event = await thread.stream.waitFor((e) => e.event === 'message', 1000, 'the event');
    assert.ok(event.data.includes(`id="m-${id}"`), 'still drawn in the (hidden) thread');
    assert.equal(count(event.data), 1);
    assert.equal(rowOf(event.data).attr('data-unread'), 'true');

    await shows(ben, thread.id, conversation, true);
    for (const s of [thread.stream, other.stream]) {
      const mine = await s.waitFor((e) => e.event === 'mine', 1000, 'my view changed');
      assert.equal(count(mine.data), 0);
      assert.equal(rowOf(mine.data).attr('data-unread'), 'false');
    }
  });

  test('"Mark as unread" in one tab reaches my other pages: the row and the count', async () => {
    const { ann, ben, conversation } = await pair();
    await sendMessage(ann, conversation, 'Read, then marked unread');
    const tab = await page(ben);
    const res = await ben.agent.post(`/messages/${conversation}/unread`).type('form').send({ _csrf: ben.token });
    assert.equal(res.status, 303);
    const mine = await tab.stream.waitFor((e) => e.event === 'mine', 1000, 'my view changed');
    assert.equal(count(mine.data), 1);
    assert.equal(rowOf(mine.data).attr('data-unread'), 'true');
  });
});

describe('the people drawn live', () => {
  test('a delivery after the first reads no one; a new name is drawn in the next message after it', async () => {
    const ann = await newMember(t, 'pc_ann', 'Ann Before');
    const ben = await person('pc_ben');
    await t.connect(ann.id, ben.id);
    const conversation = await openConversation(ann, ben);
    const { stream } = await page(ben);

    await sendMessage(ann, conversation, 'first');
    const first = await stream.waitFor((e) => e.event === 'message', 2000, 'the first message');
    assert.match(first.data, /Ann Before/);

    const statements = await t.countQueries(async () => {
      await sendMessage(ann, conversation, 'second');
      await stream.waitFor((e) => e.event === 'message' && e.data.includes('second'), 2000, 'the second message');
    });
    assert.ok(statements.some((s) => /courier_send_message/.test(s)), 'the premise: the send was counted');
    assert.deepEqual(statements.filter((s) => /from "users"/.test(s) && !/from session s/.test(s)), [], 'no one is read for the second delivery');

    await t.db.updateTable('users').set({ display_name: 'Ann After' }).where('id', '=', ann.id).execute();
    await sendMessage(ann, conversation, 'third');
    const third = await stream.waitFor((e) => e.event === 'message' && e.data.includes('third'), 2000, 'the third message');
    assert.match(third.data, /Ann After/, 'the rename reached the instance before the message did');
    assert.doesNotMatch(third.data, /Ann Before/);

    // A change that is not one the pages draw (the password) tells no one.
    const heard: string[] = [];
    const listener = new pg.Client({ connectionString: t.database.url });
    await listener.connect();
    listener.on('notification', (n) => heard.push(n.payload ?? ''));
    await listener.query('listen courier_events');
    await t.db.updateTable('users').set({ password_hash: 'x' }).where('id', '=', ann.id).execute();
    await t.db.updateTable('users').set({ headline: 'Now a headline' }).where('id', '=', ann.id).execute();
    await sleep(200);
    await listener.end();
    assert.deepEqual(heard.map((p) => JSON.parse(p) as unknown).filter((p) => (p as { t: string }).t === 'person'), [{ t: 'person', u: ann.id }], 'one signal, for the headline');
  });
});

describe('what a delivery costs', () => {
  const isDeliveries = (s: string) => /from attachments a where a\.message_id = m\.id/.test(s);
  const readsToo = (s: string) => /unnest\(\$1::bigint\[\], \$2::bigint\[\], \$3::bigint\[\]\) as w\(conversation_id, user_id, upto\)/.test(s);

  test('one statement for the batch: the events drawn, what reached a page marked delivered and what a visible page shows marked read, together (the sender told of each)', async () => {
    const { ann, ben, conversation } = await pair();
    const hidden = await page(ben);
    const sender = await page(ann);
    await shows(ben, hidden.id, conversation, false);
    await shows(ann, sender.id, conversation, true);
    // The first delivery reads the two people, then kept by the instance.
    await sendMessage(ann, conversation, 'warm');
    await hidden.stream.waitFor((e) => e.event === 'message', 2000, 'the first message');
    await sleep(300);

    let id = 0;
    const statements = await t.countQueries(async () => {
      id = await sendMessage(ann, conversation, 'Counted once');
      await hidden.stream.waitFor((e) => e.event === 'message' && e.data.includes(`id="m-${id}"`), 2000, 'the counted message');
      await sender.stream.waitFor((e) => e.event === 'read' && html(e.data)(`#receipts-${conversation}`).attr('data-delivered') === String(id), 2000, 'the sender hears it delivered');
    });
    const deliveries = statements.filter(isDeliveries);
    assert.equal(deliveries.length, 1, statements.join('\n'));
    assert.match(deliveries[0]!, /lagging as/, 'delivered is marked in the same statement');
    assert.equal(statements.filter((s) => /lagging as/.test(s)).length, 1, 'and nowhere else');
    assert.equal(statements.filter((s) => /lagging as|last_read_message_id = greatest/.test(s)).length, 1, 'no other statement moves receipts');
    assert.ok(!statements.some((s) => /update conversation_participants/.test(s) && !isDeliveries(s) && !/courier_send_message/.test(s)), statements.join('\n'));
    assert.equal(statements.filter((s) => /from "users"/.test(s) && !/from session s/.test(s)).length, 0, 'no one is read');
    const row = await t.db.selectFrom('conversation_participants').select(['last_delivered_message_id', 'last_read_message_id']).where('conversation_id', '=', conversation).where('user_id', '=', ben.id).executeTakeFirstOrThrow();
    assert.equal(Number(row.last_delivered_message_id), id);
    assert.ok(Number(row.last_read_message_id) < id);

    await shows(ben, hidden.id, conversation, true);
    const shown = await t.countQueries(async () => {
      id = await sendMessage(ann, conversation, 'Read as it arrives');
      await hidden.stream.waitFor((e) => e.event === 'message' && e.data.includes(`id="m-${id}"`), 2000, 'the message, on a visible page');
      await sender.stream.waitFor((e) => e.event === 'read' && html(e.data)(`#receipts-${conversation}`).attr('data-read') === String(id), 2000, 'the sender hears it seen');
    });
    const batch = shown.filter(isDeliveries);
    assert.equal(batch.length, 1, shown.join('\n'));
    assert.ok(readsToo(batch[0]!), 'read in the same statement');
    assert.equal(shown.filter((s) => /last_read_message_id = greatest/.test(s)).length, 1, 'and nowhere else');
    const read = await t.db.selectFrom('conversation_participants').select(['last_read_message_id']).where('conversation_id', '=', conversation).where('user_id', '=', ben.id).executeTakeFirstOrThrow();
    assert.equal(Number(read.last_read_message_id), id);
  });
});

describe('what a page coming and going costs', () => {
  test('a person’s first page on an instance is one presence statement, their last page closing one more (each with its signal, no transaction around them)', async () => {
    const { ann } = await pair();
    const present = async (yes: boolean) => {
      for (let i = 0; i < 100; i++) {
        const row = await t.db.selectFrom('presence').select('user_id').where('user_id', '=', ann.id).executeTakeFirst();
        if (Boolean(row) === yes) return;
        await sleep(20);
      }
      assert.fail(`presence ${yes ? 'never written' : 'never removed'}`);
    };
    let opened: { stream: EventStream; id: string } | undefined;
    const coming = await t.countQueries(async () => {
      opened = await page(ann);
      await present(true);
    });
    const came = coming.filter((s) => /presence/.test(s) && /pg_notify/.test(s));
    assert.equal(came.length, 1, coming.join('\n'));
    assert.match(came[0]!, /insert into presence/);
    const going = await t.countQueries(async () => {
      opened!.stream.close();
      await present(false);
      await sleep(100);
    });
    // The test's own look at the table aside.
    const went = going.filter((s) => /presence|user_activity/.test(s) && !/^select "user_id" from "presence"/.test(s));
    assert.equal(went.length, 1, going.join('\n'));
    assert.match(went[0]!, /delete from presence[\s\S]*user_activity[\s\S]*pg_notify/);
    assert.equal([...coming, ...going].filter((s) => /^\s*(begin|commit)\b/i.test(s)).length, 0, [...coming, ...going].join('\n'));
    const active = await t.db.selectFrom('user_activity').select('last_active_at').where('user_id', '=', ann.id).executeTakeFirst();
    assert.ok(active, 'when they were last here is kept');
  });
});

describe('a message that changes, as each page gets it', () => {
  test('a reaction: one event per page of both people, the message redrawn in place as each sees it; the page that reacted gets none', async () => {
    const { ann, ben, conversation } = await pair();
    const id = await sendMessage(ann, conversation, 'React to this');
    const annPage = await page(ann);
    const benThread = await page(ben);
    const benInbox = await page(ben);
    await shows(ann, annPage.id, conversation, true);
    await shows(ben, benThread.id, conversation, true);
    await shows(ben, benInbox.id, '', true);
    const res = await ben.agent.post(`/messages/${conversation}/messages/${id}/reactions`).set('HX-Request', 'true').set('X-Stream', benThread.id).type('form').send({ emoji: '👍', on: '1', _csrf: ben.token });
    assert.equal(res.status, 200);
    const onAnn = await annPage.stream.waitFor((e) => e.event === 'message', 1000, 'the author’s page');
    const li = html(onAnn.data)(`li#m-${id}`);
    assert.equal(li.attr('hx-swap-oob'), 'true', 'swapped in place of the message the page shows');
    assert.ok(li.text().includes('👍'), 'with the reaction');
    await sleep(300);
    assert.equal(events(benThread.stream, 'message').length, 0, 'the page that reacted drew its own answer');
    assert.equal(events(benInbox.stream, 'message').length, 0, 'a reaction changes nothing on a page without the thread');
    assert.equal(events(annPage.stream, 'message').length, 1, 'one event for the change');
    for (const s of [annPage.stream, benThread.stream, benInbox.stream]) assert.equal(events(s, 'thread').length, 0, 'no hint to fetch anything');
  });

  test('a deletion: the message redrawn as deleted, and both people’s rows and counts (an unread message deleted is no longer unread)', async () => {
    const { ann, ben, conversation } = await pair();
    const id = await sendMessage(ann, conversation, 'Sent by mistake');
    const annOther = await page(ann);
    const benInbox = await page(ben);
    await shows(ann, annOther.id, conversation, true);
    await shows(ben, benInbox.id, '', true);
    const res = await ann.agent.post(`/messages/${conversation}/messages/${id}/delete`).type('form').send({ _csrf: ann.token });
    assert.equal(res.status, 303);
    const onAnn = await annOther.stream.waitFor((e) => e.event === 'message', 1000, 'the author’s other page');
    assert.equal(html(onAnn.data)(`li#m-${id}`).attr('data-deleted'), 'true');
    assert.ok(!onAnn.data.includes('Sent by mistake'));
    const onBen = await benInbox.stream.waitFor((e) => e.event === 'message', 1000, 'the reader’s inbox page');
    assert.equal(html(onBen.data)(`li#m-${id}`).length, 0, 'no message where the thread is not open');
    assert.equal(rowOf(onBen.data).attr('data-conversation-id'), String(conversation));
    assert.ok(!onBen.data.includes('Sent by mistake'), 'the row no longer previews it');
    assert.equal(count(onBen.data), 0, 'the deleted message was the only unread one: nothing is unread');
    assert.equal(rowOf(onBen.data).attr('data-unread'), 'false');
    const badge = await ben.agent.get('/messages/badge');
    assert.equal(html(badge.text)('#messages-count').attr('data-count'), '0', 'the badge agrees');
  });
});

describe('POST /messages/view', () => {
  test('logged out 401, a forged token 403, an unknown page 400', async () => {
    const { ben } = await pair();
    assert.equal((await supertest(t.app).post('/messages/view').type('form').send({ stream: '00000000-0000-4000-8000-000000000000', c: '', visible: '1' })).status, 401);
    assert.equal((await ben.agent.post('/messages/view').type('form').send({ stream: '00000000-0000-4000-8000-000000000000', c: '', visible: '1', _csrf: 'forged' })).status, 403);
    assert.equal((await ben.agent.post('/messages/view').type('form').send({ stream: 'not-a-stream', c: '', visible: '1', _csrf: ben.token })).status, 400);
  });

  test('naming someone else’s page changes nothing of it', async () => {
    const { ann, ben, conversation } = await pair();
    const outsider = await person('carol');
    const thread = await page(ben);
    await shows(ben, thread.id, conversation, true);
    // Carol names Ben's page (say its name leaked) and says it shows nothing: ignored.
    await shows(outsider, thread.id, '', false);
    const id = await sendMessage(ann, conversation, 'Still shown to Ben');
    const event = await thread.stream.waitFor((e) => e.event === 'message', 1000, 'the event');
    assert.ok(event.data.includes(`id="m-${id}"`));
    assert.equal(count(event.data), 0, 'still read at once: Ben’s page still shows it, visible');
  });
});
