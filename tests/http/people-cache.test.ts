import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.js';
import { newMember, type Member } from '../support/members.js';
import { sleep } from '../support/sse.js';
import { PeopleCache } from '../../src/messaging/realtime/people-cache.js';
import { peopleDirectory } from '../../src/people/directory.js';
import type { Person } from '../../src/messaging/index.js';

// What an instance keeps of the people it draws live (src/messaging/realtime/people-cache.ts);
// that a change reaches it through the host's trigger is tested in live-model.test.ts.

let t: TestApp;
before(async () => {
  t = await startTestApp();
});

async function person(prefix: string, name: string): Promise<Member> {
  return newMember(t, prefix, name);
}

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
