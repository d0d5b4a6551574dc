import assert from 'node:assert/strict';
import pg from 'pg';
import { after, afterEach, before, describe, test } from 'node:test';
import { sessionCookie, startTestApp, type TestApp } from '../support/app.js';
import { newMember, type Member } from '../support/members.js';
import { openConversation, sendMessage } from '../support/messaging.js';
import { closeAllEventStreams, listen, openEventStream, sleep, waitForListeners, type EventStream, type Listening } from '../support/sse.js';
import { PeopleCache } from '../../src/messaging/realtime/people-cache.js';
import { peopleDirectory } from '../../src/people/directory.js';
import type { Person } from '../../src/messaging/index.js';

// Live events draw people (names, photos) from what the instance keeps of them, not from a read
// per delivery; a change to a person reaches every instance through the host's trigger (migration
// 0031) before anything sent after it is drawn.

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

type Person2 = Member & { cookie: string };
async function person(prefix: string, name: string): Promise<Person2> {
  const member = await newMember(t, prefix, name);
  return { ...member, cookie: (await sessionCookie(member.agent))! };
}

async function pageOf(p: Person2): Promise<EventStream> {
  const stream = await openEventStream(server.baseUrl, p.cookie);
  await stream.waitFor((e) => e.event === 'hello', 1000, 'hello');
  return stream;
}

describe('the people drawn live', () => {
  test('a delivery after the first reads no one; a new name is drawn in the next message after it', async () => {
    const ann = await person('pc_ann', 'Ann Before');
    const ben = await person('pc_ben', 'Ben Reader');
    await t.connect(ann.id, ben.id);
    const conversation = await openConversation(ann, ben);
    const stream = await pageOf(ben);

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

describe('PeopleCache', () => {
  const directory = () => peopleDirectory(t.db as unknown as Parameters<typeof peopleDirectory>[0]);

  test('keeps what it read, and reads again after a change or past its lifetime', async () => {
    const ann = await person('pc_keep', 'Keep Before');
    let reads = 0;
    const counting = { findByIds: (ids: readonly number[]) => ((reads += 1), directory().findByIds(ids)) };
    const cache = new PeopleCache(counting, { maxEntries: 10, ttlMs: 300 });
    assert.equal((await cache.findByIds([ann.id])).get(ann.id)?.display_name, 'Keep Before');
    assert.equal((await cache.findByIds([ann.id, ann.id])).get(ann.id)?.display_name, 'Keep Before');
    assert.equal(reads, 1, 'the second lookup is answered from what was kept');

    await t.db.updateTable('users').set({ display_name: 'Keep After' }).where('id', '=', ann.id).execute();
    cache.forget(ann.id);
    assert.equal((await cache.findByIds([ann.id])).get(ann.id)?.display_name, 'Keep After');
    assert.equal(reads, 2);
    await sleep(350);
    await cache.findByIds([ann.id]);
    assert.equal(reads, 3, 'read again past its lifetime');
  });

  test('a read in flight across a change is answered but not kept; at most maxEntries are kept', async () => {
    const [a, b, c] = await Promise.all([person('pc_fl_a', 'Flight A'), person('pc_fl_b', 'Flight B'), person('pc_fl_c', 'Flight C')]);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let reads = 0;
    const slow = {
      async findByIds(ids: readonly number[]): Promise<Map<number, Person>> {
        reads += 1;
        const found = await directory().findByIds(ids);
        if (reads === 1) await gate;
        return found;
      },
    };
    const cache = new PeopleCache(slow, { maxEntries: 2, ttlMs: 60_000 });
    const inFlight = cache.findByIds([a.id]);
    cache.forget(b.id);
    release();
    assert.equal((await inFlight).get(a.id)?.display_name, 'Flight A');
    assert.equal(cache.size, 0, 'read before a change: not kept');

    await cache.findByIds([a.id, b.id, c.id]);
    assert.equal(cache.size, 2, 'the cap holds');
    cache.clear();
    assert.equal(cache.size, 0);
  });
});
