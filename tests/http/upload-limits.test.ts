import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, test } from 'node:test';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import type { AppDeps } from '../../src/app.js';
import { DecodeGate } from '../../src/http/decode-gate.js';
import type { MessagingDb } from '../../src/messaging/schema.js';
import { html, sessionCookie, startTestApp, type TestApp } from '../support/app.js';
import { newMember, type Member } from '../support/members.js';
import { openConversation, sendMessage } from '../support/messaging.js';
import { field, file, multipart, newBoundary, partHead, type Part } from '../support/multipart.js';
import { listen } from '../support/sse.js';

// The upload's limits hold before any costly work (security review, items 5 and 6): the daily
// quota is reserved under the person's lock before a file streams in, so parallel sends cannot
// pass it, and counts the bytes uploaded; the sending limit, a block and the quota are checked
// before an image is decoded; decoding has a budget per message, from the image's header.

const KB = 1024;
const MB = 1024 * 1024;

const apps = new Map<string, Promise<TestApp>>();
/** One app per configuration, made on first use (each has a database of its own). */
const appWith = (key: string, overrides: Partial<AppDeps>) => {
  if (!apps.has(key)) apps.set(key, startTestApp(overrides));
  return apps.get(key)!;
};

async function pair(app: TestApp) {
  const A = await newMember(app, 'ann');
  const B = await newMember(app, 'bob');
  await app.connect(A.id, B.id);
  return { A, B, conversation: await openConversation(A, B) };
}

function postParts(who: Member, conversation: number, parts: Part[]) {
  const { body, contentType } = multipart(parts);
  return who.agent.post(`/messages/${conversation}/messages`).set('Content-Type', contentType).send(body);
}

/** The composer's form: token first, then the text, then the files. */
const send = (who: Member, conversation: number, text: string, files: Part[]) => postParts(who, conversation, [field('_csrf', who.token), field('body', text), ...files]);

const mdb = (app: TestApp) => app.db as unknown as MessagingDb;

async function attachmentRows(app: TestApp, uploader: number) {
  return mdb(app).selectFrom('attachments').selectAll().where('uploader_id', '=', uploader).orderBy('id').execute();
}

/** A PDF of exactly `size` bytes (a comment pads it). */
function pdfOfSize(size: number): Buffer {
  const head = Buffer.from('%PDF-1.4\n%');
  const tail = Buffer.from('\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');
  const bytes = Buffer.alloc(size, 0x61);
  head.copy(bytes, 0);
  tail.copy(bytes, size - tail.length);
  return bytes;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A real, all-black 1-bit PNG of width × height: a few KB that decode to tens of megapixels. */
function onebitPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  const rows = Buffer.alloc((1 + Math.ceil(width / 8)) * height);
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(rows, { level: 9 })), pngChunk('IEND', Buffer.alloc(0))]);
}

/** A small PNG carrying `padding` bytes in a private ancillary chunk, which re-encoding drops. */
async function paddedPng(padding: number): Promise<Buffer> {
  const png = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#c81e3c' } }).png().toBuffer();
  const iend = png.length - 12;
  return Buffer.concat([png.subarray(0, iend), pngChunk('prVt', Buffer.alloc(padding, 0x55)), png.subarray(iend)]);
}

/** Where each top-level block of a GIF starts and ends (header and colour table first). */
function gifBlocks(gif: Buffer): { start: number; end: number; kind: 'ext' | 'image' | 'gce' }[] {
  const packed = gif[10]!;
  let at = 13 + (packed & 0x80 ? 3 * 2 ** ((packed & 0x07) + 1) : 0);
  const blocks: { start: number; end: number; kind: 'ext' | 'image' | 'gce' }[] = [];
  const skipSubBlocks = () => {
    while (gif[at]! !== 0) at += gif[at]! + 1;
    at += 1;
  };
  while (gif[at] !== 0x3b) {
    const start = at;
    if (gif[at] === 0x21) {
      const label = gif[at + 1];
      at += 2;
      skipSubBlocks();
      blocks.push({ start, end: at, kind: label === 0xf9 ? 'gce' : 'ext' });
    } else if (gif[at] === 0x2c) {
      const local = gif[at + 9]!;
      at += 10 + (local & 0x80 ? 3 * 2 ** ((local & 0x07) + 1) : 0);
      at += 1; // LZW minimum code size
      skipSubBlocks();
      blocks.push({ start, end: at, kind: 'image' });
    } else {
      throw new Error(`unexpected GIF block 0x${gif[at]!.toString(16)} at ${at}`);
    }
  }
  return blocks;
}

/** A valid animated GIF of `frames` frames of width × height, its last frame repeated (cheap to make, costly to decode). */
async function longGif(frames: number, width: number, height: number): Promise<Buffer> {
  const pictures = await Promise.all(['#ff0000', '#0000ff'].map((c) => sharp({ create: { width, height, channels: 3, background: c } }).png().toBuffer()));
  const two = await sharp(pictures, { join: { animated: true } }).gif({ delay: [40, 40], loop: 0 }).toBuffer();
  const blocks = gifBlocks(two);
  const lastImage = blocks.length - 1;
  const from = blocks[lastImage - 1]!.kind === 'gce' ? blocks[lastImage - 1]!.start : blocks[lastImage]!.start;
  const frame = two.subarray(from, blocks[lastImage]!.end);
  return Buffer.concat([two.subarray(0, blocks[lastImage]!.end), ...Array.from({ length: frames - 2 }, () => frame), Buffer.from([0x3b])]);
}

/** "GIF89a" and then nothing a decoder can read: refused only once someone tries to decode it. */
const brokenGif = (size = 2000) => Buffer.concat([Buffer.from('GIF89a'), Buffer.alloc(size - 6, 0x41)]);

describe('the daily quota (item 5)', () => {
  test('ten parallel sends against a 1 MB quota store at most 1 MB', async () => {
    const app = await appWith('quota-1mb', { attachments: { enabled: true, maxFileBytes: MB, dailyBytes: MB } });
    const { A, conversation } = await pair(app);
    const size = 240 * KB;
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => send(A, conversation, `parallel ${i}`, [file(`f${i}.pdf`, pdfOfSize(size))])));
    const statuses = answers.map((r) => r.status).sort();
    const rows = await attachmentRows(app, A.id);
    const stored = rows.reduce((sum, r) => sum + Number(r.size_bytes), 0);
    assert.ok(stored <= MB, `at most the quota is stored: ${(stored / MB).toFixed(2)} MB in ${rows.length} files (answers ${statuses.join(', ')})`);
    assert.equal(answers.filter((r) => r.status === 303).length, 4, `four files of 240 KB fit in 1 MB and are sent (answers ${statuses.join(', ')})`);
    for (const r of answers.filter((a) => a.status !== 303)) {
      assert.equal(r.status, 413, r.text.slice(0, 200));
      assert.match(html(r.text)('#composer-error').text(), /of files in 24 hours/);
    }
  });

  test('an upload still streaming in counts: a second send meanwhile cannot take its room', async () => {
    const app = await appWith('quota-1mb', { attachments: { enabled: true, maxFileBytes: MB, dailyBytes: MB } });
    const { A, conversation } = await pair(app);
    const server = await listen(app.app);
    try {
      // The first send: 600 KB declared, half of it sent, then held.
      const boundary = newBoundary();
      const bytes = pdfOfSize(600 * KB);
      const head = Buffer.concat([partHead(boundary, field('_csrf', A.token)), Buffer.from(`${A.token}\r\n`), partHead(boundary, file('slow.pdf', Buffer.alloc(0)))]);
      const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
      const slow = http.request(`${server.baseUrl}/messages/${conversation}/messages`, {
        method: 'POST',
        headers: { Cookie: (await sessionCookie(A.agent))!, 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': String(head.length + bytes.length + tail.length) },
      });
      const answered = new Promise<number>((resolve, reject) => {
        slow.on('response', (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        slow.on('error', reject);
      });
      slow.write(head);
      slow.write(bytes.subarray(0, 300 * KB));
      const deadline = Date.now() + 5000;
      while ((await attachmentRows(app, A.id)).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal((await attachmentRows(app, A.id)).length, 1, 'premise: the first upload has begun');

      const second = await send(A, conversation, 'meanwhile', [file('second.pdf', pdfOfSize(600 * KB))]);
      assert.equal(second.status, 413, `600 KB in progress + 600 KB is past 1 MB (got ${second.status})`);
      assert.equal(html(second.text)('#composer-body').text(), 'meanwhile');

      slow.end(Buffer.concat([bytes.subarray(300 * KB), tail]));
      assert.equal(await answered, 303, 'the first one, finished, is sent');
      const rows = await attachmentRows(app, A.id);
      assert.equal(rows.length, 1);
      assert.equal(Number(rows[0]!.size_bytes), 600 * KB);
    } finally {
      await server.close();
    }
  });

  test('an image counts the bytes uploaded, not its smaller re-encoded copy', async () => {
    const app = await appWith('quota-40k', { attachments: { enabled: true, maxFileBytes: MB, dailyBytes: 40 * KB } });
    const { A, conversation } = await pair(app);
    const image = await paddedPng(30 * KB);
    const first = await send(A, conversation, 'a padded picture', [file('padded.png', image, 'image/png')]);
    assert.equal(first.status, 303, first.text.slice(0, 300));
    const [row] = await attachmentRows(app, A.id);
    assert.ok(Number(row!.size_bytes) < 2 * KB, `premise: the re-encoded copy is small (${row!.size_bytes} bytes)`);
    const second = await send(A, conversation, 'and a document', [file('doc.pdf', pdfOfSize(15 * KB))]);
    assert.equal(second.status, 413, `30 KB uploaded + 15 KB is past 40 KB (got ${second.status})`);
    assert.equal(html(second.text)('#composer-body').text(), 'and a document');
  });
});

describe('limits before decoding (item 6)', () => {
  test('over the sending limit: 429 before any file is read, the text kept, nothing stored or decoded', async () => {
    const app = await appWith('limit-2', { attachments: { enabled: true, maxFileBytes: MB, dailyBytes: 64 * MB }, messagingLimits: { messages: { max: 2, windowSeconds: 60 } } });
    const { A, conversation } = await pair(app);
    await sendMessage(A, conversation, 'one');
    await sendMessage(A, conversation, 'two');
    // An image that fails only when decoded: had it been decoded first, the answer would be its 400.
    const res = await send(A, conversation, 'three', [file('broken.gif', brokenGif(), 'image/gif'), file('ok.pdf', pdfOfSize(4 * KB))]);
    assert.equal(res.status, 429, `the sending limit comes first (got ${res.status}: ${html(res.text)('#composer-error').text()})`);
    assert.ok(Number(res.headers['retry-after']) >= 1);
    assert.equal(html(res.text)('#composer-body').text(), 'three', 'the text is kept');
    assert.equal((await attachmentRows(app, A.id)).length, 0, 'no file was stored');
  });

  test('past the daily quota: refused before the image is decoded (413, not the decoder’s 400)', async () => {
    const app = await appWith('quota-5000', { attachments: { enabled: true, maxFileBytes: MB, dailyBytes: 5000 } });
    const { A, conversation } = await pair(app);
    assert.equal((await send(A, conversation, 'first', [file('a.pdf', pdfOfSize(4000))])).status, 303);
    const res = await send(A, conversation, 'second', [file('broken.gif', brokenGif(2000), 'image/gif')]);
    assert.equal(res.status, 413, `the quota comes first (got ${res.status}: ${html(res.text)('#composer-error').text()})`);
    assert.match(html(res.text)('#composer-error').text(), /of files in 24 hours/);
    assert.equal(html(res.text)('#composer-body').text(), 'second');
  });

  test('blocked: 403 before the body is read, nothing stored', async () => {
    const app = await appWith('quota-1mb', { attachments: { enabled: true, maxFileBytes: MB, dailyBytes: MB } });
    const { A, B, conversation } = await pair(app);
    const blocked = await B.agent.post(`/u/${A.username}/block`).type('form').send({ _csrf: B.token });
    assert.equal(blocked.status, 303);
    const res = await send(A, conversation, 'blocked', [file('broken.gif', brokenGif(), 'image/gif')]);
    assert.equal(res.status, 403);
    assert.equal((await attachmentRows(app, A.id)).length, 0);
  });

  test('ten 40-megapixel PNGs in one message: the ones past the decoding budget are refused from their headers', async () => {
    const app = await appWith('big', { attachments: { enabled: true, maxFileBytes: 10 * MB, dailyBytes: 64 * MB } });
    const { A, conversation } = await pair(app);
    const bomb = onebitPng(6300, 6300);
    assert.ok(bomb.length < 10 * KB, `premise: a small file (${bomb.length} bytes)`);
    const res = await send(A, conversation, 'ten big ones', Array.from({ length: 10 }, (_, i) => file(`big${i}.png`, bomb, 'image/png')));
    assert.equal(res.status, 400, `refused (got ${res.status})`);
    const page = html(res.text);
    assert.match(page('#composer-error').text(), /more image than one message may carry/);
    assert.equal(page('#composer-body').text(), 'ten big ones');
    const rows = await attachmentRows(app, A.id);
    assert.ok(rows.length <= 3, `at most three fit the budget (${rows.length} kept)`);
  });

  test('a 600-frame GIF past 40 megapixels in all its frames is refused from its header', async () => {
    const app = await appWith('big', { attachments: { enabled: true, maxFileBytes: 10 * MB, dailyBytes: 64 * MB } });
    const { A, conversation } = await pair(app);
    const gif = await longGif(600, 260, 260);
    const meta = await sharp(gif, { animated: true, limitInputPixels: false }).metadata();
    assert.deepEqual([meta.format, meta.pages, meta.width, meta.pageHeight], ['gif', 600, 260, 260], 'premise: a readable 600-frame GIF');
    const res = await send(A, conversation, 'long gif', [file('long.gif', gif, 'image/gif')]);
    assert.equal(res.status, 400, `refused (got ${res.status})`);
    assert.match(html(res.text)('#composer-error').text(), /600 frames/);
    assert.equal((await attachmentRows(app, A.id)).length, 0);
  });
});

describe('the decode gate', () => {
  const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

  test('one turn at a time per person; others are not held up by them', async () => {
    const gate = new DecodeGate(4);
    const order: string[] = [];
    const first = await gate.person(1);
    let secondIn = false;
    const second = gate.person(1).then((release) => {
      secondIn = true;
      order.push('1b');
      return release;
    });
    const other = await gate.person(2);
    order.push('2');
    await tick();
    assert.equal(secondIn, false, 'the same person waits for their first turn to end');
    first();
    (await second)();
    other();
    assert.deepEqual(order, ['2', '1b']);
  });

  test('at most `slots` decodes at once in the instance, first come first served', async () => {
    const gate = new DecodeGate(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    await Promise.all(
      Array.from({ length: 7 }, async (_, i) => {
        const release = await gate.slot();
        started.push(i);
        running += 1;
        most = Math.max(most, running);
        await tick();
        running -= 1;
        release();
      }),
    );
    assert.equal(most, 2);
    assert.deepEqual(started, [0, 1, 2, 3, 4, 5, 6]);
  });

  test('a release given twice frees one turn, not two', async () => {
    const gate = new DecodeGate(1);
    const release = await gate.slot();
    const next = gate.slot();
    const after = gate.slot();
    release();
    release();
    const second = await next;
    let thirdIn = false;
    void after.then(() => (thirdIn = true));
    await tick();
    assert.equal(thirdIn, false);
    second();
    (await after)();
  });
});
