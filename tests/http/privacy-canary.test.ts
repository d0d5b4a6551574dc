import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { csrfToken, html, PASSWORD, startTestApp, type Agent, type TestApp } from '../support/app.js';
import { openConversation, sendMessage } from '../support/messaging.js';

// The privacy canary (CONTRACT.md: "The audit log keeps who, whom, what and when: never message
// text"). A message carries a unique marker; every feature is exercised with it; then every table
// of the database and everything the app logged is searched for it. Message text may live in
// `messages` and in the copy a reporter attached (`report_evidence`), nowhere else. The marker is
// also used as a password (a failed login, a sign-up): passwords are never stored or logged either.

let t: TestApp;
before(async () => {
  t = await startTestApp();
});

const CANARY_ID = randomUUID();
const MARKER = `canary-${CANARY_ID}`;
const SIGNUP_PASSWORD = `signup password ${randomUUID()}`;
/** Where message text may be stored. */
const ALLOWED = new Set(['messages', 'report_evidence']);

interface Member {
  agent: Agent;
  id: number;
  username: string;
  token: string;
}

async function member(username: string): Promise<Member> {
  const agent = await t.userAgent(username);
  const row = await t.db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirstOrThrow();
  return { agent, id: row.id, username, token: await csrfToken(agent, '/settings') };
}

const htmxGet = (who: Member, path: string) => who.agent.get(path).set('HX-Request', 'true');
const htmxPost = (who: Member, path: string, fields: Record<string, string> = {}) =>
  who.agent.post(path).type('form').set('HX-Request', 'true').set('X-CSRF-Token', who.token).send(fields);
const post = (who: Member, path: string, fields: Record<string, string | string[]> = {}) => who.agent.post(path).type('form').send({ _csrf: who.token, ...fields });

/** Every table of the public schema (information_schema), each row as text: which tables hold `needle`, with how many rows. */
async function tablesHolding(needle: string): Promise<Record<string, number>> {
  const { rows: tables } = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public' order by table_name`.execute(t.db);
  const found: Record<string, number> = {};
  for (const { table_name: table } of tables) {
    const { rows } = await sql<{ row: string | null }>`select t::text as row from ${sql.id(table)} t`.execute(t.db);
    const hits = rows.filter((r) => (r.row ?? '').toLowerCase().includes(needle.toLowerCase())).length;
    if (hits > 0) found[table] = hits;
  }
  return found;
}

async function publicTables(): Promise<string[]> {
  const { rows } = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public' order by table_name`.execute(t.db);
  return rows.map((r) => r.table_name);
}

const outside = (found: Record<string, number>) => Object.fromEntries(Object.entries(found).filter(([table]) => !ALLOWED.has(table)));

describe('privacy canary', () => {
  test('a marker sent as a message, used in every feature, is stored only in messages and report_evidence, and never logged', async () => {
    const alice = await member('canary_alice');
    const bob = await member('canary_bob');
    const carol = await member('canary_carol');
    const dave = await member('canary_dave');
    const mod = await member('canary_mod');
    await t.db.updateTable('users').set({ role: 'admin' }).where('id', '=', mod.id).execute();
    await t.connect(alice.id, bob.id);
    await t.connect(alice.id, dave.id);
    await t.connect(carol.id, bob.id);
    const conversation = await openConversation(alice, bob);
    const thread = `/messages/${conversation}`;

    // The marker message.
    const markerBody = `hello bob, ${MARKER} is the word`;
    const markerId = await sendMessage(alice, conversation, markerBody);
    assert.equal((await t.db.selectFrom('messages').select('body').where('id', '=', markerId).executeTakeFirstOrThrow()).body, markerBody);

    // Thread page, both sides (the premise: the marker is really on the page).
    for (const who of [alice, bob]) {
      const page = await who.agent.get(thread);
      assert.equal(page.status, 200);
      assert.ok(page.text.includes(MARKER), `${who.username}'s thread page shows the marker`);
    }
    // The tail poll, with and without a current version.
    const tail = await htmxGet(bob, `${thread}/tail?from=1`);
    assert.equal(tail.status, 200);
    assert.ok(tail.text.includes(MARKER));
    const version = html(tail.text)('#thread-tail').attr('data-version');
    assert.equal((await htmxGet(bob, `${thread}/tail?from=1&v=${version}&seen=1`)).status, 304);
    // The inbox (the marker is the preview), its search, the badge.
    const inbox = await bob.agent.get('/messages');
    assert.equal(inbox.status, 200);
    assert.ok(inbox.text.includes(MARKER), 'the inbox preview shows the marker');
    assert.equal((await bob.agent.get(`/messages?q=${encodeURIComponent(MARKER)}`)).status, 200);
    assert.equal((await bob.agent.get('/messages?filter=unread')).status, 200);
    for (const who of [alice, bob]) assert.ok([200, 304].includes((await htmxGet(who, '/messages/badge')).status));
    // Typing.
    assert.equal((await htmxPost(alice, `${thread}/typing`)).status, 204);
    assert.equal((await htmxPost(bob, `${thread}/typing`)).status, 204);

    // A 400 carrying the marker: a client_id alice already used in another conversation.
    const withDave = await openConversation(alice, dave);
    const reusedClientId = randomUUID();
    assert.equal((await post(alice, `/messages/${withDave}/messages`, { body: 'hi dave', client_id: reusedClientId })).status, 303);
    const reused = await post(alice, `${thread}/messages`, { body: `reused id ${MARKER}`, client_id: reusedClientId });
    assert.equal(reused.status, 400);
    // Another 400 with the text kept in the form: the report form with no reason.
    const badReport = await post(bob, `/u/${alice.username}/report`, { reason: 'nonsense', details: `they wrote ${MARKER}` });
    assert.equal(badReport.status, 400);
    assert.ok(html(badReport.text)('#report-details').text().includes(MARKER), 'the premise: the refused form keeps the text');
    // And a settings form refused (a name too long) with the marker in it.
    const badName = await post(alice, '/settings', { display_name: `${MARKER} ${'x'.repeat(60)}` });
    assert.equal(badName.status, 400);
    assert.ok(badName.text.includes(MARKER), 'the premise: the refused settings form keeps the text');

    // A 413 carrying the marker, as a page and as an htmx fragment.
    const tooLong = `${MARKER} ${'x'.repeat(5000)}`;
    const refused = await post(alice, `${thread}/messages`, { body: tooLong, client_id: randomUUID() });
    assert.equal(refused.status, 413);
    assert.ok(html(refused.text)('#composer-body').text().includes(MARKER), 'the premise: the text is kept in the composer');
    assert.equal((await htmxPost(alice, `${thread}/messages`, { body: tooLong })).status, 413);

    // A 429 carrying the marker: carol is over 20 messages a minute, then tries again.
    const carolThread = await openConversation(carol, bob);
    for (let i = 0; i < 20; i++) await sendMessage(carol, carolThread, `filler ${i}`);
    const fastClientId = randomUUID();
    const tooFast = await post(carol, `/messages/${carolThread}/messages`, { body: `too fast ${MARKER}`, client_id: fastClientId });
    assert.equal(tooFast.status, 429);
    assert.match(tooFast.headers['retry-after'] ?? '', /^[1-9]\d*$/);
    assert.ok(html(tooFast.text)('#composer-body').text().includes(MARKER), 'the premise: the text is kept in the composer');
    const retry = await post(carol, `/messages/${carolThread}/messages`, { body: `too fast ${MARKER}`, client_id: fastClientId });
    assert.equal(retry.status, 429, 'the retry is refused too');
    assert.equal((await htmxPost(carol, `/messages/${carolThread}/messages`, { body: `too fast ${MARKER}`, client_id: fastClientId })).status, 429);

    // Delete another marker message.
    const doomed = await sendMessage(alice, conversation, `delete me: ${MARKER}`);
    assert.equal((await post(alice, `${thread}/messages/${doomed}/delete`)).status, 303);
    assert.equal((await t.db.selectFrom('messages').select('body').where('id', '=', doomed).executeTakeFirstOrThrow()).body, null);

    // Block, refused sends across it, unblock.
    assert.equal((await bob.agent.get(`/u/${alice.username}/block?next=${encodeURIComponent(thread)}`)).status, 200);
    const blocked = await post(bob, `/u/${alice.username}/block`, { next: thread });
    assert.equal(blocked.status, 303);
    assert.equal((await post(alice, `${thread}/messages`, { body: `blocked ${MARKER}` })).status, 403);
    assert.equal((await htmxPost(alice, `${thread}/typing`)).status, 204);
    for (const who of [alice, bob]) assert.equal((await who.agent.get(thread)).status, 200);
    assert.equal((await bob.agent.get('/settings/blocked')).status, 200);
    assert.equal((await bob.agent.get(`/u/${alice.username}`)).status, 200);
    assert.equal((await post(bob, `/u/${alice.username}/unblock`, { next: '/settings/blocked' })).status, 303);

    // Report with the marker message attached.
    const reportForm = await bob.agent.get(`/u/${alice.username}/report?from=${conversation}`);
    assert.equal(reportForm.status, 200);
    assert.ok(reportForm.text.includes(MARKER), 'the premise: the reporter picks from their own messages');
    const reported = await post(bob, `/u/${alice.username}/report`, { reason: 'harassment', details: 'They keep sending this.', message_ids: [String(markerId)], from: thread });
    assert.equal(reported.status, 303);
    const report = await t.db.selectFrom('reports').select('id').where('reporter_id', '=', bob.id).executeTakeFirstOrThrow();

    // The search works: before the redaction the marker is in messages and report_evidence.
    const beforeRedaction = await tablesHolding(MARKER);
    assert.ok((beforeRedaction.messages ?? 0) >= 1, `the marker is found in messages: ${JSON.stringify(beforeRedaction)}`);
    assert.equal(beforeRedaction.report_evidence, 1, `the marker is found in report_evidence: ${JSON.stringify(beforeRedaction)}`);
    assert.deepEqual(outside(beforeRedaction), {}, 'and nowhere else, midway');

    // The admin views and resolves it: warn, then redact.
    assert.equal((await mod.agent.get('/admin/reports')).status, 200);
    assert.equal((await mod.agent.get('/admin/reports?status=all')).status, 200);
    const reportPage = await mod.agent.get(`/admin/reports/${report.id}`);
    assert.equal(reportPage.status, 200);
    assert.ok(reportPage.text.includes(MARKER), 'the premise: the admin sees the attached copy');
    assert.equal((await post(mod, `/admin/reports/${report.id}/resolve`, { action: 'warn' })).status, 303);
    const warned = html((await alice.agent.get('/messages')).text)('[data-moderation-notice] form');
    assert.equal(warned.length, 1, 'alice is warned');
    assert.equal((await post(alice, warned.attr('action')!, { next: '/messages' })).status, 303);
    assert.equal((await post(mod, `/admin/reports/${report.id}/resolve`, { action: 'redact' })).status, 303);
    assert.ok((await mod.agent.get(`/admin/reports/${report.id}`)).text.includes(MARKER), 'the report keeps its copy');
    for (const who of [alice, bob]) {
      const page = await who.agent.get(thread);
      assert.ok(!page.text.includes(MARKER), `${who.username}'s thread no longer shows the marker`);
      assert.ok(!(await who.agent.get('/messages')).text.includes(MARKER), `${who.username}'s inbox no longer shows it`);
    }

    // Settings.
    assert.equal((await alice.agent.get('/settings')).status, 200);
    assert.equal((await post(alice, '/settings', { display_name: 'Canary Alice', privacy_form: '1', read_receipts: 'on', typing_indicators: 'on', active_status: 'on' })).status, 303);

    // People search, as a page, as htmx, and logged out.
    assert.equal((await alice.agent.get(`/people?q=${encodeURIComponent(MARKER)}`)).status, 200);
    assert.equal((await htmxGet(alice, `/people?q=${encodeURIComponent(MARKER)}`)).status, 200);
    assert.equal((await t.agent().get(`/people?q=${encodeURIComponent(MARKER)}`)).status, 303);

    // A failed login with the marker as the password.
    const stranger = t.agent();
    const loginToken = await csrfToken(stranger, '/login');
    assert.equal((await stranger.post('/login').type('form').send({ _csrf: loginToken, username: alice.username, password: MARKER })).status, 401);
    assert.equal((await stranger.post('/login').type('form').send({ _csrf: loginToken, username: 'canary_nobody', password: MARKER })).status, 401);
    // Sign-ups with the marker as the password: refused (a taken username), and accepted.
    const signupToken = await csrfToken(stranger, '/signup');
    assert.equal((await stranger.post('/signup').type('form').send({ _csrf: signupToken, username: alice.username, display_name: 'Imposter', password: MARKER })).status, 400);
    assert.equal((await stranger.post('/signup').type('form').send({ _csrf: signupToken, username: 'x', display_name: 'Imposter', password: MARKER })).status, 400);
    assert.equal((await stranger.post('/signup').type('form').send({ _csrf: signupToken, username: 'canary_new', display_name: 'New Canary', password: MARKER })).status, 303);
    const other = t.agent();
    const otherToken = await csrfToken(other, '/signup');
    assert.equal((await other.post('/signup').type('form').send({ _csrf: otherToken, username: 'canary_newer', display_name: 'Newer Canary', password: SIGNUP_PASSWORD })).status, 303);
    // The premise: those passwords work (so they went somewhere, hashed).
    const check = t.agent();
    const checkToken = await csrfToken(check, '/login');
    assert.equal((await check.post('/login').type('form').send({ _csrf: checkToken, username: 'canary_new', password: MARKER })).status, 303);

    // Now search every table.
    const tables = await publicTables();
    for (const expected of ['audit_log', 'session', 'users', 'reports', 'report_evidence', 'moderation_notices', 'messages', 'conversations', 'conversation_participants', 'blocks', 'rate_limit_hits']) {
      assert.ok(tables.includes(expected), `the search covers ${expected} (tables: ${tables.join(', ')})`);
    }
    const { rows: sessions } = await sql<{ n: number }>`select count(*)::int as n from session`.execute(t.db);
    assert.ok(sessions[0]!.n >= 6, 'the premise: the sessions table has the sessions of everyone here');
    const { rows: audits } = await sql<{ n: number }>`select count(*)::int as n from audit_log`.execute(t.db);
    assert.ok(audits[0]!.n >= 30, 'the premise: the audit log has rows');

    const found = await tablesHolding(MARKER);
    assert.deepEqual(outside(found), {}, `the marker is stored outside messages and report_evidence: ${JSON.stringify(found)}`);
    assert.deepEqual(outside(await tablesHolding(CANARY_ID)), {}, 'not even its random part');
    assert.equal(found.report_evidence, 1, 'the report keeps its copy after the redaction');
    assert.equal(found.messages, undefined, 'the redacted and the deleted message hold no text any more');
    for (const password of [PASSWORD, SIGNUP_PASSWORD]) {
      assert.deepEqual(await tablesHolding(password), {}, `the password ${JSON.stringify(password)} is stored nowhere`);
    }

    // And the logs.
    assert.ok(t.logs.length > 50, 'the premise: the app logged requests');
    const logged = t.logs.join('\n');
    assert.ok(logged.includes('"path":"/login"'), 'the premise: the logs name the paths');
    for (const secret of [MARKER, CANARY_ID, PASSWORD, SIGNUP_PASSWORD]) {
      const lines = t.logs.filter((line) => line.includes(secret));
      assert.deepEqual(lines, [], `the logs hold ${JSON.stringify(secret)}`);
    }
  });
});
