import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { before, test } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.js';
import { newMember } from '../support/members.js';

// Every logged-in request reads its session and the user it is logged in as: one round trip
// (the session store's read carries the user row), not two. What the user row decides still holds.

let t: TestApp;
before(async () => {
  t = await startTestApp();
});

test('a logged-in page reads the session and its user in one statement, and no other read of the user', async () => {
  const ann = await newMember(t, 'sr_ann', 'Ann Session');
  const statements = await t.countQueries(() => ann.agent.get('/messages'));
  const sessionReads = statements.filter((s) => /from session s/i.test(s));
  assert.equal(sessionReads.length, 1, 'one read of the session');
  assert.match(sessionReads[0]!, /pending_invitations/, 'the user row comes with it');
  assert.equal(statements.filter((s) => /pending_invitations/.test(s)).length, 1, 'the user is not read again');
});

test('the user read with the session still decides: a suspended account is logged out, a new name shows at once', async () => {
  const ben = await newMember(t, 'sr_ben', 'Ben Before');
  await t.db.updateTable('users').set({ display_name: 'Ben After' }).where('id', '=', ben.id).execute();
  const page = await ben.agent.get('/messages');
  assert.equal(page.status, 200);
  assert.match(page.text, /Ben After/);
  await t.db.updateTable('users').set({ suspended_until: new Date(Date.now() + 3_600_000) }).where('id', '=', ben.id).execute();
  const after = await ben.agent.get('/messages');
  assert.equal(after.status, 303);
  assert.match(after.headers.location ?? '', /^\/login/);
});

test('a session that is gone is no login, whatever the cookie says', async () => {
  const cat = await newMember(t, 'sr_cat', 'Cat Gone');
  await sql`delete from session where user_id = ${cat.id}`.execute(t.db);
  const res = await cat.agent.get('/messages');
  assert.equal(res.status, 303);
});
