import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { MessagingDb } from '../../src/messaging/schema.js';
import { html, startTestApp, type TestApp } from '../support/app.js';
import { newMember, type Member } from '../support/members.js';
import { openConversation } from '../support/messaging.js';
import { field, file, multipart, newBoundary, partHead, type Part } from '../support/multipart.js';

// Malformed multipart is bad input, not a server fault (security review, item 14): no boundary, a
// bad part header or a body cut short answer 400, with the message (or the settings form) drawn
// again holding what was typed wherever the body got that far; a NUL in a text field likewise.

let t: TestApp;
before(async () => {
  t = await startTestApp({ attachments: { enabled: true, maxFileBytes: 1024 * 1024, dailyBytes: 64 * 1024 * 1024 } });
});

async function pair() {
  const A = await newMember(t, 'ann');
  const B = await newMember(t, 'bob');
  await t.connect(A.id, B.id);
  return { A, B, conversation: await openConversation(A, B) };
}

const mdb = () => t.db as unknown as MessagingDb;
const messageCount = async (conversation: number) =>
  Number((await mdb().selectFrom('messages').select((eb) => eb.fn.countAll<string>().as('n')).where('conversation_id', '=', conversation).executeTakeFirstOrThrow()).n);
const attachmentCount = async (conversation: number) =>
  Number((await mdb().selectFrom('attachments').select((eb) => eb.fn.countAll<string>().as('n')).where('conversation_id', '=', conversation).executeTakeFirstOrThrow()).n);

const post = (who: Member, path: string, contentType: string, body: Buffer, headers: Record<string, string> = {}) =>
  who.agent.post(path).set('Content-Type', contentType).set(headers).send(body);

const pdf = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

/** Everything up to the last part's bytes, without the closing boundary: a body cut short. */
function truncated(parts: Part[], keepOfLast: number) {
  const boundary = newBoundary();
  const chunks: Buffer[] = [];
  parts.forEach((part, i) => {
    const bytes = 'file' in part ? part.file : Buffer.from(part.value, 'utf8');
    const last = i === parts.length - 1;
    chunks.push(partHead(boundary, part), last ? bytes.subarray(0, keepOfLast) : Buffer.concat([bytes, Buffer.from('\r\n')]));
  });
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** A form whose second part has a header line that is not a header. */
function badPartHeader(parts: Part[]) {
  const boundary = newBoundary();
  const good = multipart(parts, boundary).body;
  const closing = Buffer.from(`--${boundary}--\r\n`);
  const bad = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="x.pdf"\r\nthis line is not a header\r\n\r\n%PDF-1.4\r\n`);
  return { body: Buffer.concat([good.subarray(0, good.length - closing.length), bad, closing]), contentType: `multipart/form-data; boundary=${boundary}` };
}

describe('a message form', () => {
  test('multipart without a boundary: 400, not 500', async () => {
    const { A, conversation } = await pair();
    const res = await post(A, `/messages/${conversation}/messages`, 'multipart/form-data', Buffer.from(`_csrf=${A.token}&body=hello`));
    assert.equal(res.status, 400, res.text.slice(0, 200));
    assert.equal(await messageCount(conversation), 0);
  });

  test('a part header that is not a header: 400, the text kept', async () => {
    const { A, conversation } = await pair();
    const { body, contentType } = badPartHeader([field('_csrf', A.token), field('body', 'kept through a bad header')]);
    const res = await post(A, `/messages/${conversation}/messages`, contentType, body);
    assert.equal(res.status, 400, res.text.slice(0, 200));
    assert.equal(html(res.text)('#composer-body').text(), 'kept through a bad header');
    assert.match(html(res.text)('#composer-error').text(), /arrived incomplete/);
    assert.equal(await messageCount(conversation), 0);
    assert.equal(await attachmentCount(conversation), 0);
  });

  test('a body cut short in a file: 400, the text kept, no file left behind', async () => {
    const { A, conversation } = await pair();
    const { body, contentType } = truncated([field('_csrf', A.token), field('body', 'cut short'), file('x.pdf', Buffer.concat([pdf, Buffer.alloc(100_000, 0x61)]))], 80_000);
    const res = await post(A, `/messages/${conversation}/messages`, contentType, body);
    assert.equal(res.status, 400, res.text.slice(0, 200));
    assert.equal(html(res.text)('#composer-body').text(), 'cut short');
    assert.equal(await messageCount(conversation), 0);
    assert.equal(await attachmentCount(conversation), 0);
  });

  test('a body cut short inside a part header: 400', async () => {
    const { A, conversation } = await pair();
    const { body, contentType } = truncated([field('_csrf', A.token), field('body', 'cut in a header')], 0);
    const cut = body.subarray(0, body.length - 20);
    const res = await post(A, `/messages/${conversation}/messages`, contentType, cut);
    assert.equal(res.status, 400, res.text.slice(0, 200));
    assert.equal(await messageCount(conversation), 0);
  });

  test('with htmx, a broken body is a 400 with the reason for the composer', async () => {
    const { A, conversation } = await pair();
    const { body, contentType } = truncated([field('_csrf', A.token), field('body', 'htmx cut'), file('x.pdf', pdf)], 10);
    const res = await post(A, `/messages/${conversation}/messages`, contentType, body, { 'HX-Request': 'true', 'X-CSRF-Token': A.token });
    assert.equal(res.status, 400, res.text.slice(0, 200));
    assert.match(res.text, /arrived incomplete/);
  });

  test('a NUL in the text: 400 with the text kept, nothing stored', async () => {
    const { A, conversation } = await pair();
    const { body, contentType } = multipart([field('_csrf', A.token), field('body', 'before\u0000after'), file('x.pdf', pdf)]);
    const res = await post(A, `/messages/${conversation}/messages`, contentType, body);
    assert.equal(res.status, 400, res.text.slice(0, 200));
    assert.ok(res.text.includes('before\u0000after'), 'the text kept, as typed');
    assert.equal(html(res.text)('#composer').length, 1, 'in the composer');
    assert.match(html(res.text)('#composer-error').text(), /NUL|U\+0000/);
    assert.equal(await messageCount(conversation), 0);
  });

  test('a NUL in the text with htmx: 400 and the reason', async () => {
    const { A, conversation } = await pair();
    const { body, contentType } = multipart([field('_csrf', A.token), field('body', 'nul\u0000here')]);
    const res = await post(A, `/messages/${conversation}/messages`, contentType, body, { 'HX-Request': 'true', 'X-CSRF-Token': A.token });
    assert.equal(res.status, 400, res.text.slice(0, 200));
    assert.match(res.text, /NUL|U\+0000/);
    assert.equal(await messageCount(conversation), 0);
  });

  test('a broken body before the token is 400 too, and shows nothing of the thread', async () => {
    const { A, conversation } = await pair();
    const { body, contentType } = truncated([field('body', 'no token yet')], 5);
    const res = await post(A, `/messages/${conversation}/messages`, contentType, body);
    assert.ok(res.status === 400 || res.status === 403, `bad input or no token, never 500 (got ${res.status})`);
    assert.equal(html(res.text)('#composer-body').length, 0);
  });
});

describe('the settings form', () => {
  const userRow = (id: number) => t.db.selectFrom('users').select(['display_name', 'avatar_version']).where('id', '=', id).executeTakeFirstOrThrow();

  test('multipart without a boundary: 400, nothing changes', async () => {
    const A = await newMember(t, 'sam');
    const res = await post(A, '/settings', 'multipart/form-data', Buffer.from(`_csrf=${A.token}&display_name=Changed`));
    assert.equal(res.status, 400, res.text.slice(0, 200));
    assert.equal((await userRow(A.id)).display_name, A.name);
  });

  test('a body cut short in the photo: 400, the typed name kept, nothing changes', async () => {
    const A = await newMember(t, 'sue');
    const { body, contentType } = truncated([field('_csrf', A.token), field('display_name', 'Typed Name'), file('me.png', Buffer.alloc(50_000, 1), 'image/png', 'avatar')], 30_000);
    const res = await post(A, '/settings', contentType, body);
    assert.equal(res.status, 400, res.text.slice(0, 200));
    assert.equal(html(res.text)('#display_name').val(), 'Typed Name');
    const row = await userRow(A.id);
    assert.equal(row.display_name, A.name);
    assert.equal(row.avatar_version, null);
  });

  test('a bad part header: 400, the typed name kept', async () => {
    const A = await newMember(t, 'sid');
    const { body, contentType } = badPartHeader([field('_csrf', A.token), field('display_name', 'Another Name')]);
    const res = await post(A, '/settings', contentType, body);
    assert.equal(res.status, 400, res.text.slice(0, 200));
    assert.equal(html(res.text)('#display_name').val(), 'Another Name');
    assert.equal((await userRow(A.id)).display_name, A.name);
  });

  test('a NUL in the name: 400 with the name kept, nothing changes', async () => {
    const A = await newMember(t, 'syd');
    const { body, contentType } = multipart([field('_csrf', A.token), field('display_name', 'Nul\u0000Name')]);
    const res = await post(A, '/settings', contentType, body);
    assert.equal(res.status, 400, res.text.slice(0, 200));
    assert.ok(res.text.includes('Nul\u0000Name'), 'the name kept, as typed');
    assert.match(html(res.text)('#display_name-error').text(), /NUL|U\+0000/);
    assert.equal((await userRow(A.id)).display_name, A.name);
  });
});
