import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import sharp from 'sharp';
import { html, startTestApp, type TestApp } from '../support/app.js';
import { openConversation as open } from '../support/messaging.js';
import { newMember, type Member } from '../support/members.js';

// Files in messages (issue #7): sent with the message form, judged by their bytes, stored in
// PostgreSQL, shown in the thread, listed in the Files view and served only to the two people.

let t: TestApp;
before(async () => {
  t = await startTestApp({ attachments: { enabled: true, maxFileBytes: 1024 * 1024, dailyBytes: 8 * 1024 * 1024 } });
});

const member = (prefix: string, app: TestApp = t): Promise<Member> => newMember(app, prefix);

async function pair(app: TestApp = t) {
  const A = await member('ann', app);
  const B = await member('bob', app);
  await app.connect(A.id, B.id);
  return { A, B, conversation: await open(A, B) };
}

interface Upload {
  name: string;
  bytes: Buffer;
  type?: string;
}

/** The composer's multipart form, its token first as the page puts it. */
function sendWithFiles(who: Member, conversation: number, body: string, files: Upload[], extra: Record<string, string> = {}) {
  let req = who.agent.post(`/messages/${conversation}/messages`).field('_csrf', who.token).field('body', body);
  for (const [k, v] of Object.entries(extra)) req = req.field(k, v);
  for (const f of files) req = req.attach('files', f.bytes, { filename: f.name, contentType: f.type ?? 'application/octet-stream' });
  return req;
}

const png = (width = 40, height = 30) => sharp({ create: { width, height, channels: 3, background: { r: 200, g: 30, b: 60 } } }).png().toBuffer();
const jpegWithGps = () =>
  sharp({ create: { width: 64, height: 48, channels: 3, background: '#3366aa' } })
    .jpeg()
    .withExif({ IFD0: { Make: 'SpyCam', Model: 'X1' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1' } })
    .toBuffer();
const pdf = () => Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

function messageIdFrom(location: string | undefined, conversation: number): number {
  const match = new RegExp(`^/messages/${conversation}#m-(\\d+)$`).exec(location ?? '');
  assert.ok(match, `redirects to the message: ${location}`);
  return Number(match[1]);
}

describe('sending files', () => {
  test('an image and a PDF go with the text; the thread shows a thumbnail and a card; both download', async () => {
    const { A, B, conversation } = await pair();
    const image = await png(800, 600);
    const res = await sendWithFiles(A, conversation, 'the plans', [
      { name: 'site.png', bytes: image, type: 'image/png' },
      { name: 'plans.pdf', bytes: pdf(), type: 'application/pdf' },
    ]);
    assert.equal(res.status, 303, res.text.slice(0, 300));
    const messageId = messageIdFrom(res.headers.location, conversation);

    const page = html((await B.agent.get(`/messages/${conversation}`)).text);
    const li = page(`#m-${messageId}`);
    assert.match(li.text(), /the plans/);
    const thumb = li.find('img[loading="lazy"]');
    assert.equal(thumb.length, 1);
    assert.match(thumb.attr('src') ?? '', new RegExp(`^/messages/${conversation}/files/\\d+/thumb$`));
    assert.equal(thumb.attr('alt'), 'site.png');
    const card = li.find('a[download]');
    assert.match(card.text(), /plans\.pdf/);
    assert.match(card.text(), /PDF/);

    const thumbRes = await B.agent.get(thumb.attr('src')!).buffer(true);
    assert.equal(thumbRes.status, 200);
    assert.equal(thumbRes.headers['content-type'], 'image/webp');
    const meta = await sharp(thumbRes.body as Buffer).metadata();
    assert.ok((meta.width ?? 0) <= 320 && (meta.height ?? 0) <= 320);

    const display = await A.agent.get(li.find('a[data-attachment-id]').first().attr('href')!).buffer(true);
    assert.equal(display.status, 200);
    assert.equal(display.headers['content-type'], 'image/png');
    assert.match(display.headers['content-disposition'] ?? '', /^inline; filename="site\.png"/);

    const file = await B.agent.get(card.attr('href')!).buffer(true);
    assert.equal(file.status, 200);
    assert.equal(file.headers['content-type'], 'application/pdf');
    assert.match(file.headers['content-disposition'] ?? '', /^attachment; filename="plans\.pdf"/);
    assert.equal(file.headers['x-content-type-options'], 'nosniff');
    assert.match(file.headers['content-security-policy'] ?? '', /sandbox/);
    assert.match(file.headers['cache-control'] ?? '', /private/);
    assert.deepEqual(file.body as Buffer, pdf());
  });

  test('images are re-encoded: EXIF and GPS are gone', async () => {
    const { A, B, conversation } = await pair();
    const original = jpegWithGps();
    const source = await original;
    assert.ok((await sharp(source).metadata()).exif, 'the test image does carry EXIF');
    const res = await sendWithFiles(A, conversation, '', [{ name: 'holiday.jpg', bytes: source, type: 'image/jpeg' }]);
    assert.equal(res.status, 303, res.text.slice(0, 300));
    const row = await t.db.selectFrom('attachments' as never).select(['id' as never]).where('conversation_id' as never, '=', conversation as never).executeTakeFirstOrThrow() as { id: number };
    const served = await B.agent.get(`/messages/${conversation}/files/${row.id}`).buffer(true);
    assert.equal(served.status, 200);
    const meta = await sharp(served.body as Buffer).metadata();
    assert.equal(meta.exif, undefined);
    assert.equal(meta.format, 'jpeg');
    assert.ok(!(served.body as Buffer).includes(Buffer.from('SpyCam')));
  });

  test('a file alone, without text, is a message; the inbox says a file was sent', async () => {
    const { A, B, conversation } = await pair();
    const res = await sendWithFiles(A, conversation, '   ', [{ name: 'notes.txt', bytes: Buffer.from('plain notes\n'), type: 'text/plain' }]);
    assert.equal(res.status, 303, res.text.slice(0, 300));
    const inbox = html((await B.agent.get('/messages')).text);
    assert.match(inbox(`[data-conversation-id="${conversation}"]`).text(), /Sent a file/);
  });

  test('nothing at all (no text, no file) is still a 400', async () => {
    const { A, conversation } = await pair();
    const res = await sendWithFiles(A, conversation, '', []);
    assert.equal(res.status, 400);
  });

  test('a refused type keeps the text and says why; nothing is stored', async () => {
    const { A, conversation } = await pair();
    const res = await sendWithFiles(A, conversation, 'keep me', [{ name: 'page.txt', bytes: Buffer.from('<!DOCTYPE html><script>alert(1)</script>'), type: 'text/plain' }]);
    assert.equal(res.status, 400);
    const page = html(res.text);
    assert.equal(page('#composer-body').text(), 'keep me');
    assert.match(page('#composer-error').text(), /can.t be sent/);
    const count = await t.db.selectFrom('attachments' as never).select((eb) => eb.fn.countAll<number>().as('n')).where('conversation_id' as never, '=', conversation as never).executeTakeFirstOrThrow();
    assert.equal(Number(count.n), 0);
  });

  test('a file one byte over the limit is 413, the text kept', async () => {
    const { A, conversation } = await pair();
    const big = Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(1024 * 1024 - 3)]);
    const res = await sendWithFiles(A, conversation, 'too big?', [{ name: 'big.zip', bytes: big }]);
    assert.equal(res.status, 413, res.text.slice(0, 200));
    assert.equal(html(res.text)('#composer-body').text(), 'too big?');
  });

  test('a refused send without JS keeps the files that were fine, ticked, for the next try', async () => {
    const { A, B, conversation } = await pair();
    const res = await sendWithFiles(A, conversation, 'x'.repeat(5001), [{ name: 'ok.pdf', bytes: pdf() }]);
    assert.equal(res.status, 413);
    const kept = html(res.text)('input[name="attachment_id"]');
    assert.equal(kept.length, 1);
    const retry = await A.agent.post(`/messages/${conversation}/messages`).type('form').send({ _csrf: A.token, body: 'shorter', attachment_id: kept.attr('value') });
    assert.equal(retry.status, 303);
    const messageId = messageIdFrom(retry.headers.location, conversation);
    const page = html((await B.agent.get(`/messages/${conversation}`)).text);
    assert.match(page(`#m-${messageId}`).text(), /ok\.pdf/);
  });

  test('a multipart send without its token stores nothing: 403', async () => {
    const { A, conversation } = await pair();
    const res = await A.agent.post(`/messages/${conversation}/messages`).field('body', 'hi').attach('files', pdf(), 'x.pdf');
    assert.equal(res.status, 403);
    const count = await t.db.selectFrom('attachments' as never).select((eb) => eb.fn.countAll<number>().as('n')).where('conversation_id' as never, '=', conversation as never).executeTakeFirstOrThrow();
    assert.equal(Number(count.n), 0);
  });
});

describe('who may fetch a file', () => {
  test('an outsider and an admin get 404 on the file, its thumbnail and the Files view, as for an unknown conversation', async () => {
    const { A, conversation } = await pair();
    const res = await sendWithFiles(A, conversation, 'pic', [{ name: 'p.png', bytes: await png() }]);
    assert.equal(res.status, 303);
    const row = (await t.db.selectFrom('attachments' as never).select(['id' as never]).where('conversation_id' as never, '=', conversation as never).executeTakeFirstOrThrow()) as { id: number };
    const outsider = await member('eve');
    const admin = await member('root');
    await t.db.updateTable('users').set({ role: 'admin' }).where('id', '=', admin.id).execute();
    for (const who of [outsider, admin]) {
      for (const path of [`/messages/${conversation}/files/${row.id}`, `/messages/${conversation}/files/${row.id}/thumb`, `/messages/${conversation}/files`]) {
        const res = await who.agent.get(path);
        assert.equal(res.status, 404, `${who.username} ${path}`);
        assert.equal(res.text, (await who.agent.get(path.replace(`/messages/${conversation}/`, '/messages/999999999/'))).text, `${who.username} ${path}: the page of an unknown conversation`);
      }
    }
  });

  test('deleting the message deletes its files for both sides', async () => {
    const { A, B, conversation } = await pair();
    const res = await sendWithFiles(A, conversation, 'oops', [{ name: 'p.pdf', bytes: pdf() }]);
    const messageId = messageIdFrom(res.headers.location, conversation);
    const row = (await t.db.selectFrom('attachments' as never).select(['id' as never]).where('conversation_id' as never, '=', conversation as never).executeTakeFirstOrThrow()) as { id: number };
    assert.equal((await B.agent.get(`/messages/${conversation}/files/${row.id}`)).status, 200);
    assert.equal((await A.agent.post(`/messages/${conversation}/messages/${messageId}/delete`).type('form').send({ _csrf: A.token })).status, 303);
    assert.equal((await B.agent.get(`/messages/${conversation}/files/${row.id}`)).status, 404);
    assert.equal((await A.agent.get(`/messages/${conversation}/files/${row.id}`)).status, 404);
    const chunks = await t.db.selectFrom('attachment_chunks' as never).select((eb) => eb.fn.countAll<number>().as('n')).where('attachment_id' as never, '=', row.id as never).executeTakeFirstOrThrow();
    assert.equal(Number(chunks.n), 0);
  });
});

describe('the Files view', () => {
  test('lists every file; the same name sent again is a new version, the older ones listed under it', async () => {
    const { A, B, conversation } = await pair();
    await sendWithFiles(A, conversation, 'v1', [{ name: 'Report.pdf', bytes: pdf() }]);
    await sendWithFiles(B, conversation, 'v2', [{ name: 'report.pdf', bytes: pdf() }]);
    await sendWithFiles(A, conversation, 'pic', [{ name: 'cat.png', bytes: await png() }]);
    const page = html((await A.agent.get(`/messages/${conversation}/files`)).text);
    const items = page('[data-files] > li');
    assert.equal(items.length, 2);
    assert.equal(items.first().attr('data-file-name'), 'cat.png');
    const report = items.eq(1);
    assert.match(report.text(), /version 2/);
    assert.equal(report.find('[data-versions] li').length, 1);
    assert.match(report.find('[data-versions]').text(), /Version 1/);
  });
});

describe('ATTACHMENTS=off', () => {
  test('the composer has no file input and a file sent anyway is refused, the text kept', async () => {
    const off = await startTestApp({ attachments: { enabled: false, maxFileBytes: 0, dailyBytes: 0 } });
    const { A, conversation } = await pair(off);
    const page = html((await A.agent.get(`/messages/${conversation}`)).text);
    assert.equal(page('input[type="file"]').length, 0);
    assert.equal(page('#composer').attr('enctype'), undefined);
    const res = await sendWithFiles(A, conversation, 'text only', [{ name: 'a.pdf', bytes: pdf() }]);
    assert.equal(res.status, 400);
    assert.equal(html(res.text)('#composer-body').text(), 'text only');
  });
});
