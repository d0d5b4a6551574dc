import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { defaultLimits } from '../../src/messaging/limits.js';
import { openConversation as openInDb } from '../../src/messaging/queries/conversations.js';
import { setReaction } from '../../src/messaging/queries/reactions.js';
import { WriteRefused } from '../../src/messaging/queries/write-check.js';
import type { MessagingDb } from '../../src/messaging/schema.js';
import { csrfToken, sessionCookie, startTestApp, type TestApp } from '../support/app.js';
import { newMember, type Member } from '../support/members.js';
import { openConversation, sendMessage } from '../support/messaging.js';
import { listen, sleep, type Listening } from '../support/sse.js';

// A block or a suspension that lands while a write is on its way wins: the check made before a
// slow step (reading a multipart body) is made again inside the write's own transaction.

let t: TestApp;
let server: Listening;
const mdb = () => t.db as unknown as MessagingDb;

before(async () => {
  t = await startTestApp();
  server = await listen(t.app);
});

after(async () => {
  await server?.close();
});

async function pair(): Promise<{ ana: Member & { cookie: string }; ben: Member; conversation: number }> {
  const ana = await newMember(t, 'ana');
  const ben = await newMember(t, 'ben');
  await t.connect(ana.id, ben.id);
  const conversation = await openConversation(ana, ben);
  return { ana: { ...ana, cookie: (await sessionCookie(ana.agent))! }, ben, conversation };
}

/**
 * A multipart send whose body is held open: the head and the first fields go now, the rest when
 * `finish` is called. Resolves with the status once the server answers.
 */
function slowMultipartSend(cookie: string, token: string, conversation: number, text: string) {
  const boundary = '----courier-test-boundary';
  const field = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const first = field('_csrf', token) + field('body', text);
  const rest = `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="note.txt"\r\nContent-Type: text/plain\r\n\r\nhello, a plain note\r\n--${boundary}--\r\n`;
  const req = http.request(new URL(`/messages/${conversation}/messages`, server.baseUrl), {
    method: 'POST',
    agent: false,
    headers: { Cookie: cookie, 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': Buffer.byteLength(first + rest) },
  });
  const answered = new Promise<number>((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
  });
  req.write(first);
  return { answered, finish: () => req.end(rest) };
}

const storedWith = async (text: string) => (await sql<{ n: number }>`select count(*)::int as n from messages where body = ${text}`.execute(t.db)).rows[0]!.n;

describe('a send in flight', () => {
  test('blocked while the body was still arriving: 403, nothing stored, nothing attached', async () => {
    const { ana, ben, conversation } = await pair();
    await sendMessage(ana, conversation, 'a first message, before the block');
    const send = slowMultipartSend(ana.cookie, ana.token, conversation, 'sent across a block');
    await sleep(300);
    const blocked = await ben.agent.post(`/u/${ana.username}/block`).type('form').send({ _csrf: ben.token });
    assert.equal(blocked.status, 303);
    send.finish();
    assert.equal(await send.answered, 403);
    assert.equal(await storedWith('sent across a block'), 0, 'not stored');
    const files = await sql<{ n: number }>`select count(*)::int as n from attachments where message_id is not null and uploader_id = ${ana.id}`.execute(t.db);
    assert.equal(files.rows[0]!.n, 0, 'no file joined a message');
  });

  test('the sender blocked the other person meanwhile (from another tab): refused too', async () => {
    const { ana, ben, conversation } = await pair();
    const send = slowMultipartSend(ana.cookie, ana.token, conversation, 'sent after I blocked');
    await sleep(200);
    const blocked = await ana.agent.post(`/u/${ben.username}/block`).type('form').send({ _csrf: ana.token });
    assert.equal(blocked.status, 303);
    send.finish();
    assert.equal(await send.answered, 403);
    assert.equal(await storedWith('sent after I blocked'), 0);
  });

  test('suspended while the body was still arriving: refused, nothing stored', async () => {
    const { ana, conversation } = await pair();
    const send = slowMultipartSend(ana.cookie, ana.token, conversation, 'sent while being suspended');
    await sleep(200);
    await t.db.updateTable('users').set({ suspended_until: sql<Date>`now() + interval '1 day'` }).where('id', '=', ana.id).execute();
    send.finish();
    assert.equal(await send.answered, 403);
    assert.equal(await storedWith('sent while being suspended'), 0);
  });

  test('nothing in the way: the same slow send is stored (the test can tell the difference)', async () => {
    const { ana, conversation } = await pair();
    const send = slowMultipartSend(ana.cookie, ana.token, conversation, 'a slow but welcome message');
    await sleep(200);
    send.finish();
    assert.equal(await send.answered, 303);
    assert.equal(await storedWith('a slow but welcome message'), 1);
  });
});

describe('the other writes check again where they commit', () => {
  test('a reaction across a block that came after the route’s check is refused in its transaction', async () => {
    const { ana, ben, conversation } = await pair();
    const message = await sendMessage(ana, conversation, 'react to me');
    await t.db.insertInto('blocks').values({ blocker_id: ana.id, blocked_id: ben.id }).execute();
    await assert.rejects(
      setReaction(mdb(), { conversationId: conversation, messageId: message, userId: ben.id, otherUserId: ana.id, emoji: '👍', on: true, visible: { after: 0, upto: null } }),
      WriteRefused,
    );
    const rows = await sql<{ n: number }>`select count(*)::int as n from message_reactions where message_id = ${message}`.execute(t.db);
    assert.equal(rows.rows[0]!.n, 0);
  });

  test('starting a conversation across a block or while suspended is refused in its transaction', async () => {
    const cy = await newMember(t, 'cy');
    const dee = await newMember(t, 'dee');
    await t.connect(cy.id, dee.id);
    await t.db.insertInto('blocks').values({ blocker_id: dee.id, blocked_id: cy.id }).execute();
    await assert.rejects(openInDb(mdb(), cy.id, dee.id, defaultLimits.conversations), WriteRefused);
    const eve = await newMember(t, 'eve');
    await t.connect(cy.id, eve.id);
    await t.db.updateTable('users').set({ suspended_until: sql<Date>`now() + interval '1 day'` }).where('id', '=', cy.id).execute();
    await assert.rejects(openInDb(mdb(), cy.id, eve.id, defaultLimits.conversations), WriteRefused);
    const made = await t.db.selectFrom('conversations').select('id').where('created_by', '=', cy.id).execute();
    assert.equal(made.length, 0);
  });

  test('a reaction with nothing in the way still works', async () => {
    const { ana, ben, conversation } = await pair();
    const message = await sendMessage(ana, conversation, 'like me');
    const token = await csrfToken(ben.agent, `/messages/${conversation}`);
    const res = await ben.agent.post(`/messages/${conversation}/messages/${message}/reactions`).type('form').send({ _csrf: token, emoji: '👍', on: '1' });
    assert.equal(res.status, 303);
  });
});
