import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { html, startTestApp, type TestApp } from '../support/app.js';
import { openConversation as open, sendMessage as send } from '../support/messaging.js';
import { listen, waitForListeners, type Listening } from '../support/sse.js';
import { newMember, type Member } from '../support/members.js';

// The green dot on an inbox row's photo (issue 15): shown while the other person has a page open
// on a live instance, only when both show their active status, and never across a block.

let t: TestApp;
let server: Listening;
before(async () => {
  t = await startTestApp();
  await waitForListeners(t.db, 1);
  server = await listen(t.app);
});
after(async () => {
  await server?.close();
});

/** As an open page makes it: a presence row on this instance. */
async function online(who: Member) {
  const instance = await t.db.selectFrom('realtime_instances').select('id').orderBy('heartbeat_at', 'desc').executeTakeFirstOrThrow();
  await t.db.insertInto('presence').values({ user_id: who.id, instance_id: instance.id }).onConflict((oc) => oc.doNothing()).execute();
}

async function dot(viewer: Member, conversation: number, path = '/messages') {
  const $ = html((await viewer.agent.get(path)).text);
  const row = $(`[data-conversation-id="${conversation}"]`).first();
  return { active: row.find('[data-presence-dot]').attr('data-active'), says: row.find('[data-presence-dot]').text() };
}

test('the dot follows presence, both people\'s active status and blocks, on the inbox and beside a thread', async () => {
  const A = await newMember(t, 'ip_a');
  const B = await newMember(t, 'ip_b');
  await t.connect(A.id, B.id);
  const conversation = await open(A, B);
  await send(A, conversation, 'hello');
  assert.equal((await dot(B, conversation)).active, 'false', 'not on any page yet');

  await online(A);
  assert.deepEqual(await dot(B, conversation), { active: 'true', says: 'Active now' });
  assert.equal((await dot(B, conversation, `/messages/${conversation}`)).active, 'true', 'the inbox beside the thread too');

  // A stale instance is nobody's presence.
  await t.db.updateTable('realtime_instances').set({ heartbeat_at: sql`now() - interval '2 minutes'` }).execute();
  assert.equal((await dot(B, conversation)).active, 'false', 'a dead instance');
  await t.db.updateTable('realtime_instances').set({ heartbeat_at: sql`now()` }).execute();

  for (const who of [A, B]) {
    await t.db.insertInto('messaging_preferences').values({ user_id: who.id, active_status: false }).onConflict((oc) => oc.column('user_id').doUpdateSet({ active_status: false })).execute();
    assert.equal((await dot(B, conversation)).active, 'false', `${who === A ? 'A' : 'B'} hides their active status`);
    await t.db.updateTable('messaging_preferences').set({ active_status: true }).where('user_id', '=', who.id).execute();
  }
  assert.equal((await dot(B, conversation)).active, 'true');

  await A.agent.post(`/u/${B.username}/block`).type('form').send({ _csrf: A.token });
  assert.equal((await dot(B, conversation)).active, 'false', 'never across a block');
});
