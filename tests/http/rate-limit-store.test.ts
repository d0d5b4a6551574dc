import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { sql, type RawBuilder } from 'kysely';
import { PostgresRateLimitStore, sweepExpiredRateLimits } from '../../src/http/rate-limit-store.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let database: TestDatabase;
before(async () => {
  database = await createTestDatabase();
});
after(async () => {
  await database.drop();
});

const storeWith = (prefix: string, windowMs: number) => {
  const store = new PostgresRateLimitStore(database.hostDb, prefix);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  store.init({ windowMs } as any);
  return store;
};

const rowOf = (key: string) => database.db.selectFrom('rate_limit_hits').selectAll().where('key', '=', key).executeTakeFirst();

describe('PostgresRateLimitStore', () => {
  test('40 concurrent increments of one key count 1..40, each exactly once', async () => {
    const store = storeWith('burst', 60_000);
    const results = await Promise.all(Array.from({ length: 40 }, () => store.increment('10.0.0.1')));
    const hits = results.map((r) => r.totalHits).sort((a, b) => a - b);
    assert.deepEqual(hits, Array.from({ length: 40 }, (_, i) => i + 1));
    const resetTimes = new Set(results.map((r) => r.resetTime?.getTime()));
    assert.equal(resetTimes.size, 1, 'one window for all of them');
    const [resetTime] = [...resetTimes];
    assert.ok(resetTime! > Date.now() + 50_000 && resetTime! <= Date.now() + 61_000, 'the window ends windowMs from the first hit');
    assert.equal((await rowOf('burst:10.0.0.1'))?.hits, 40);
    assert.equal((await store.get('10.0.0.1'))?.totalHits, 40);
  });

  test('keys and prefixes are counted separately', async () => {
    const login = storeWith('login', 60_000);
    const signup = storeWith('signup', 60_000);
    assert.equal((await login.increment('k')).totalHits, 1);
    assert.equal((await login.increment('k')).totalHits, 2);
    assert.equal((await login.increment('other')).totalHits, 1);
    assert.equal((await signup.increment('k')).totalHits, 1);
    assert.equal((await login.get('k'))?.totalHits, 2);
    assert.equal((await signup.get('k'))?.totalHits, 1);
    assert.equal(await signup.get('never'), undefined);
  });

  test('decrement takes one hit back, never below zero', async () => {
    const store = storeWith('dec', 60_000);
    await store.increment('a');
    await store.increment('a');
    await store.increment('a');
    await store.decrement('a');
    assert.equal((await store.get('a'))?.totalHits, 2);
    assert.equal((await store.increment('a')).totalHits, 3);
    for (let i = 0; i < 5; i++) await store.decrement('a');
    assert.equal((await rowOf('dec:a'))?.hits, 0);
    await store.decrement('missing');
    assert.equal(await rowOf('dec:missing'), undefined, 'decrementing an unknown key makes no row');
  });

  test('resetKey forgets the key; the next hit starts at 1', async () => {
    const store = storeWith('reset', 60_000);
    await store.increment('a');
    await store.increment('a');
    await store.increment('b');
    await store.resetKey('a');
    assert.equal(await rowOf('reset:a'), undefined);
    assert.equal(await store.get('a'), undefined);
    assert.equal((await store.get('b'))?.totalHits, 1, 'other keys are untouched');
    assert.equal((await store.increment('a')).totalHits, 1);
  });

  test('a window that has expired restarts at 1', async () => {
    const store = storeWith('short', 50);
    assert.equal((await store.increment('a')).totalHits, 1);
    const second = await store.increment('a');
    assert.equal(second.totalHits, 2);
    await sleep(150);
    assert.equal(await store.get('a'), undefined, 'an expired window is not reported');
    const fresh = await store.increment('a');
    assert.equal(fresh.totalHits, 1);
    assert.ok(fresh.resetTime!.getTime() > second.resetTime!.getTime(), 'a new window');
    assert.equal((await store.increment('a')).totalHits, 2);
  });

  test('sweepExpiredRateLimits deletes expired rows only', async () => {
    const insert = (key: string, resetAt: RawBuilder<Date>) =>
      database.db.insertInto('rate_limit_hits').values({ key, hits: 3, reset_at: resetAt }).execute();
    await insert('sweep:long-gone', sql<Date>`now() - interval '1 hour'`);
    await insert('sweep:gone', sql<Date>`now() - interval '5 minutes'`);
    await insert('sweep:live', sql<Date>`now() + interval '1 minute'`);
    await insert('sweep:later', sql<Date>`now() + interval '1 day'`);
    const live = storeWith('sweep', 60_000);
    await live.increment('counted');

    await sweepExpiredRateLimits(database.hostDb);

    const keys = (await database.db.selectFrom('rate_limit_hits').select('key').where('key', 'like', 'sweep:%').orderBy('key').execute()).map((r) => r.key);
    assert.deepEqual(keys, ['sweep:counted', 'sweep:later', 'sweep:live']);
    assert.equal((await live.get('counted'))?.totalHits, 1);
    assert.equal((await rowOf('sweep:live'))?.hits, 3, 'live rows keep their counts');
  });
});
