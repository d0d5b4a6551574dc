import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { acceptRequest, requestConnection } from '../../src/connections/queries.js';
import { insertConnection, startTestApp, type TestApp } from '../support/app.js';
import { newMember, type Member } from '../support/members.js';

// A block, either way, stops every connection action that would bring two people closer: sending
// a request and accepting one (403, nothing changes). Declining and removing still work: they only
// take ties away.

let t: TestApp;
before(async () => {
  t = await startTestApp();
});

const post = (m: Member, path: string, fields: Record<string, string> = {}, htmx = false) => {
  const req = m.agent.post(path).type('form');
  if (htmx) req.set('HX-Request', 'true');
  return req.send({ _csrf: m.token, ...fields });
};

async function rowBetween(a: number, b: number) {
  return t.db
    .selectFrom('connections')
    .select(['requested_by', 'status'])
    .where('user_low', '=', Math.min(a, b))
    .where('user_high', '=', Math.max(a, b))
    .executeTakeFirst();
}

const block = (blocker: Member, blocked: Member) => t.db.insertInto('blocks').values({ blocker_id: blocker.id, blocked_id: blocked.id }).execute();

describe('a blocked person and the blocker', () => {
  test('the blocked person cannot accept the blocker\'s pending request (the reported case)', async () => {
    const blocker = await newMember(t, 'blocker');
    const blocked = await newMember(t, 'blocked');
    await post(blocker, '/connections', { username: blocked.username });
    assert.equal((await rowBetween(blocker.id, blocked.id))?.status, 'pending');
    await block(blocker, blocked);
    for (const htmx of [false, true]) {
      const res = await post(blocked, `/connections/${blocker.username}/accept`, {}, htmx);
      assert.equal(res.status, 403, htmx ? 'with htmx' : 'a plain form');
    }
    assert.deepEqual(await rowBetween(blocker.id, blocked.id), { requested_by: blocker.id, status: 'pending' }, 'still only a request');
  });

  test('the blocker cannot accept the blocked person\'s request either', async () => {
    const blocker = await newMember(t, 'blocker');
    const blocked = await newMember(t, 'blocked');
    await insertConnection(t.db, blocker.id, blocked.id, blocked.id, 'pending');
    await block(blocker, blocked);
    assert.equal((await post(blocker, `/connections/${blocked.username}/accept`)).status, 403);
    assert.equal((await rowBetween(blocker.id, blocked.id))?.status, 'pending');
  });

  test('across a block, neither side is offered the other\'s pending request on /connections', async () => {
    const blocker = await newMember(t, 'blocker');
    const blocked = await newMember(t, 'blocked');
    const stranger = await newMember(t, 'stranger');
    await insertConnection(t.db, blocker.id, blocked.id, blocked.id, 'pending');
    await insertConnection(t.db, blocker.id, stranger.id, stranger.id, 'pending');
    const before = await blocker.agent.get('/connections');
    assert.match(before.text, new RegExp(`/connections/${blocked.username}/accept`), 'offered before the block');
    await block(blocker, blocked);
    const after = await blocker.agent.get('/connections');
    assert.doesNotMatch(after.text, new RegExp(`/connections/${blocked.username}/accept`), 'not offered after it');
    assert.match(after.text, new RegExp(`/connections/${stranger.username}/accept`), 'other requests still are');
  });

  test('a request, or a request that would accept theirs, is 403 both ways', async () => {
    const blocker = await newMember(t, 'blocker');
    const blocked = await newMember(t, 'blocked');
    await block(blocker, blocked);
    assert.equal((await post(blocked, '/connections', { username: blocker.username })).status, 403);
    assert.equal((await post(blocker, '/connections', { username: blocked.username })).status, 403);
    assert.equal(await rowBetween(blocker.id, blocked.id), undefined);

    // A request made before the block: asking back would accept it.
    const other = await newMember(t, 'other');
    await insertConnection(t.db, blocker.id, other.id, other.id, 'pending');
    await block(other, blocker);
    assert.equal((await post(blocker, '/connections', { username: other.username })).status, 403);
    assert.equal((await post(other, '/connections', { username: blocker.username })).status, 403);
    assert.equal((await rowBetween(blocker.id, other.id))?.status, 'pending');
  });

  test('declining and removing still work across a block, both ways', async () => {
    const a = await newMember(t, 'decl');
    const b = await newMember(t, 'decl');
    await insertConnection(t.db, a.id, b.id, a.id, 'pending');
    await block(a, b);
    assert.equal((await post(b, `/connections/${a.username}/decline`)).status, 303, 'the blocked person declines');
    assert.equal(await rowBetween(a.id, b.id), undefined);

    const c = await newMember(t, 'rem');
    const d = await newMember(t, 'rem');
    await insertConnection(t.db, c.id, d.id, c.id, 'accepted');
    await block(d, c);
    assert.equal((await post(c, `/connections/${d.username}/remove`)).status, 303, 'the blocked person removes');
    assert.equal(await rowBetween(c.id, d.id), undefined);
  });

  test('the write itself re-checks: a block that lands after the route\'s check still holds', async () => {
    const a = await newMember(t, 'race');
    const b = await newMember(t, 'race');
    await insertConnection(t.db, a.id, b.id, a.id, 'pending');
    await block(a, b);
    assert.equal(await acceptRequest(t.database.hostDb, b.id, a.id), false, 'accept');
    assert.equal((await rowBetween(a.id, b.id))?.status, 'pending');
    assert.notEqual(await requestConnection(t.database.hostDb, b.id, a.id), 'connected', 'asking back');
    assert.equal((await rowBetween(a.id, b.id))?.status, 'pending');

    const c = await newMember(t, 'race');
    await block(c, a);
    await requestConnection(t.database.hostDb, a.id, c.id);
    assert.equal(await rowBetween(a.id, c.id), undefined, 'a new request');
  });
});
