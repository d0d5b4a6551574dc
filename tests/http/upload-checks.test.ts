import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { MessagingDb } from '../../src/messaging/schema.js';
import { html, startTestApp, type TestApp } from '../support/app.js';
import { newMember, type Member } from '../support/members.js';
import { openConversation } from '../support/messaging.js';
import { field, file, multipart, type Part } from '../support/multipart.js';

// What a file is, checked through and through (security review, item 17): markup anywhere in a
// text file, not just its first 2 KB, and markup that runs script without a <script> tag
// (<img onerror>, javascript: links); text that turns binary later on; and a name that hides its
// real extension behind an invisible character, a trailing dot or space.

let t: TestApp;
before(async () => {
  t = await startTestApp({ attachments: { enabled: true, maxFileBytes: 2 * 1024 * 1024, dailyBytes: 256 * 1024 * 1024 } });
});

async function pair() {
  const A = await newMember(t, 'ann');
  const B = await newMember(t, 'bob');
  await t.connect(A.id, B.id);
  return { A, B, conversation: await openConversation(A, B) };
}

function send(who: Member, conversation: number, text: string, files: Part[]) {
  const { body, contentType } = multipart([field('_csrf', who.token), field('body', text), ...files]);
  return who.agent.post(`/messages/${conversation}/messages`).set('Content-Type', contentType).send(body);
}

const mdb = () => t.db as unknown as MessagingDb;
const attachmentRows = (conversation: number) => mdb().selectFrom('attachments').selectAll().where('conversation_id', '=', conversation).orderBy('id').execute();

const pdf = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');
const notes = (bytes: number) => Buffer.from('just some notes, nothing to see here\n'.repeat(Math.ceil(bytes / 37))).subarray(0, bytes);

/** Refused: 400, the text kept, the reason naming the file, and nothing stored. */
async function assertRefused(res: { status: number; text: string }, conversation: number, text: string, reason: RegExp) {
  assert.equal(res.status, 400, `refused (got ${res.status}): ${html(res.text)('#composer-error').text()}`);
  const page = html(res.text);
  assert.equal(page('#composer-body').text(), text);
  assert.match(page('#composer-error').text(), reason);
  assert.equal((await attachmentRows(conversation)).length, 0, 'nothing stored');
}

describe('markup anywhere in a text file', () => {
  const cases: { label: string; bytes: () => Buffer }[] = [
    { label: 'a <script> after 100 KB of notes', bytes: () => Buffer.concat([notes(100 * 1024), Buffer.from('<script>alert(document.domain)</script>\n')]) },
    { label: 'an HTML page after 1 MB of notes (past the stored chunks too)', bytes: () => Buffer.concat([notes(1024 * 1024 + 17), Buffer.from('<!DOCTYPE html><html><body>hi</body></html>\n')]) },
    { label: 'a tag split across the 64 KB the type is judged by', bytes: () => Buffer.concat([notes(64 * 1024 - 4), Buffer.from('<svg onload=alert(1)>\n')]) },
    { label: 'a tag split across a 256 KB stored chunk', bytes: () => Buffer.concat([notes(256 * 1024 - 2), Buffer.from('<iframe src="https://evil.example/">\n')]) },
    { label: '<img src=x onerror=…> at the start', bytes: () => Buffer.from('<img src=x onerror=alert(1)>\n') },
    { label: '<img/onerror> with a slash for a space, far down', bytes: () => Buffer.concat([notes(80 * 1024), Buffer.from('<img/src="x"/onerror="alert(1)">\n')]) },
    { label: 'an event handler on any tag', bytes: () => Buffer.from('Hello\n<details open ontoggle=alert(1)>x</details>\n') },
    { label: 'an event handler after 5 KB of attributes', bytes: () => Buffer.from(`<p ${'data-x="y" '.repeat(500)}onmouseover="alert(1)">hover</p>\n`) },
    { label: 'a javascript: link', bytes: () => Buffer.from('click <a href="java\tscript:alert(1)">here</a>\n') },
    { label: 'a <style> sheet', bytes: () => Buffer.from('notes\n<style>@import url(https://evil.example/x.css)</style>\n') },
    { label: 'an XML stylesheet processing instruction far down', bytes: () => Buffer.concat([notes(70 * 1024), Buffer.from('<?xml-stylesheet href="evil.xsl"?>\n')]) },
  ];
  for (const c of cases) {
    test(`${c.label}: 400, the text kept, nothing stored`, async () => {
      const { A, conversation } = await pair();
      const res = await send(A, conversation, 'my notes', [file('notes.txt', c.bytes(), 'text/plain')]);
      await assertRefused(res, conversation, 'my notes', /notes\.txt: web pages, SVG and XML files can.t be sent/);
    });
  }

  test('text that turns binary after the first 64 KB: 400', async () => {
    const { A, conversation } = await pair();
    const bytes = Buffer.concat([notes(200 * 1024), Buffer.from([0, 1, 2, 3, 0xff, 0xfe, 0])]);
    const res = await send(A, conversation, 'text?', [file('data.txt', bytes, 'text/plain')]);
    await assertRefused(res, conversation, 'text?', /data\.txt: this kind of file can.t be sent/);
  });

  test('ordinary text with angle brackets is sent, whole', async () => {
    const { A, conversation } = await pair();
    const text = `${notes(90 * 1024).toString()}if a<b and c>d then x => y <3\nMail <ann@example.com>, see <https://example.com>\nUse <br> and <b>bold</b> in Markdown.\nimport { x } from "y"; const f = (a) => a < 2 && a > 0;\n`;
    const res = await send(A, conversation, 'fine', [file('notes.md', Buffer.from(text), 'text/plain')]);
    assert.equal(res.status, 303, html(res.text)('#composer-error').text());
    const [row] = await attachmentRows(conversation);
    assert.equal(Number(row!.size_bytes), Buffer.byteLength(text));
  });
});

describe('a name that hides its extension', () => {
  const tails: [string, string][] = [
    ['a zero-width space (U+200B)', '\u200b'],
    ['a byte order mark (U+FEFF)', '\ufeff'],
    ['a no-break space (U+00A0)', '\u00a0'],
    ['a right-to-left mark (U+200F)', '\u200f'],
    ['a pop directional formatting (U+202C)', '\u202c'],
    ['a word joiner (U+2060)', '\u2060'],
    ['a trailing dot', '.'],
    ['trailing dots and spaces', '. . '],
    ['a soft hyphen (U+00AD)', '\u00ad'],
  ];
  for (const [label, tail] of tails) {
    test(`PDF bytes named photo.png + ${label}: refused as not what the name says`, async () => {
      const { A, conversation } = await pair();
      const res = await send(A, conversation, 'a photo', [{ name: 'files', file: pdf, filenameStar: `photo.png${tail}` }]);
      await assertRefused(res, conversation, 'a photo', /photo\.png is really a PDF/);
    });
  }

  test('a name cleaned of invisible characters is what is stored and shown', async () => {
    const { A, conversation } = await pair();
    const res = await send(A, conversation, 'report', [{ name: 'files', file: pdf, filenameStar: 're\u200bport.pdf\u200b\u00a0. ' }]);
    assert.equal(res.status, 303, html(res.text)('#composer-error').text());
    const [row] = await attachmentRows(conversation);
    assert.equal(row!.name, 'report.pdf');
  });
});
