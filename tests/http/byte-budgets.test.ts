import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';
import { html, sessionCookie, startTestApp, type TestApp } from '../support/app.js';
import { openEventStream } from '../support/sse.js';
import { openConversation as open, sendMessage as send } from '../support/messaging.js';
import { csrfToken } from '../support/app.js';

// Byte budgets (issue #8): what a phone on a slow network downloads, measured on the wire
// (headers and compressed bodies), so the pages cannot silently grow.
const BUDGET = {
  firstLoad: 40 * 1024,
  firstLoadNoJs: 20 * 1024,
  swap: 8 * 1024,
  // A live message event on the wire (compressed): the first on a fresh stream, with nothing yet to
  // refer back to, and any later one (which repeats the partials the compressor has seen).
  sseMessageFirst: 2048,
  sseMessage: 512,
  notModified: 400,
};

let t: TestApp;
let server: http.Server;
let base: string;
let cookie: string;
let conversationId: number;
let version: number;
let other: { username: string; token: string; agent: TestApp['agent'] extends () => infer A ? A : never };

before(async () => {
  t = await startTestApp({ messagingLimits: { messages: { max: 100_000, windowSeconds: 60 }, conversations: { max: 100_000, windowSeconds: 86_400 } } });
  server = t.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // A full inbox page (20 conversations) and a full thread page (30 messages of ordinary length).
  const me = await t.userAgent('reader', 'Rea Der');
  const meId = (await t.db.selectFrom('users').select('id').where('username', '=', 'reader').executeTakeFirstOrThrow()).id;
  const meToken = await csrfToken(me);
  for (let i = 0; i < 20; i++) {
    const username = `friend_${i}`;
    const agent = await t.userAgent(username, `Friend Number ${i}`);
    const id = (await t.db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirstOrThrow()).id;
    await t.connect(meId, id);
    const token = await csrfToken(agent);
    const c = await open({ agent, username, token }, { username: 'reader' });
    const count = i === 0 ? 30 : 2;
    for (let m = 0; m < count; m++) {
      const who = m % 2 ? { agent: me, username: 'reader', token: meToken } : { agent, username, token };
      await send(who, c, `Message ${m} of conversation ${i}: a sentence of ordinary length, like people write.`);
    }
    if (i === 0) {
      conversationId = c;
      other = { username, token, agent };
    }
  }
  cookie = (await sessionCookie(me))!;
  const row = await t.db.selectFrom('conversations').select('version').where('id', '=', conversationId).executeTakeFirstOrThrow();
  version = row.version;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

interface Wire {
  status: number;
  headerBytes: number;
  bodyBytes: number;
  total: number;
  body: Buffer;
  headers: http.IncomingHttpHeaders;
}

/** One GET as a browser makes it, counting what crosses the wire: the response head and the (compressed) body. */
function fetchWire(path: string, headers: Record<string, string> = {}): Promise<Wire> {
  return new Promise((resolve, reject) => {
    const req = http.get(new URL(path, base), { headers: { 'Accept-Encoding': 'gzip, deflate, br', Cookie: cookie, ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const head = `HTTP/1.1 ${res.statusCode} ${res.statusMessage}\r\n` + res.rawHeaders.reduce((text, value, i) => (i % 2 ? `${text}${value}\r\n` : `${text}${value}: `), '') + '\r\n';
        const headerBytes = Buffer.byteLength(head);
        resolve({ status: res.statusCode ?? 0, headerBytes, bodyBytes: body.length, total: headerBytes + body.length, body, headers: res.headers });
      });
    });
    req.on('error', reject);
  });
}

/** The page, then everything it makes the browser download (other than people's photos). */
async function firstLoad(path: string, withScripts: boolean) {
  const page = await fetchWire(path);
  assert.equal(page.status, 200);
  const text = decode(page).toString('utf8');
  const $ = html(text);
  const assets = new Set<string>();
  $('link[rel="stylesheet"], link[rel="icon"]').each((_, el) => void assets.add($(el).attr('href')!));
  if (withScripts) $('script[src]').each((_, el) => void assets.add($(el).attr('src')!));
  $('img[src]').each((_, el) => {
    const src = $(el).attr('src')!;
    if (!src.startsWith('/avatars/')) assets.add(src);
  });
  const parts = [{ url: path, bytes: page.total }];
  for (const url of assets) {
    const res = await fetchWire(url);
    assert.equal(res.status, 200, url);
    parts.push({ url, bytes: res.total });
  }
  return { total: parts.reduce((n, p) => n + p.bytes, 0), parts };
}

function decode(res: Wire): Buffer {
  const encoding = res.headers['content-encoding'];
  if (encoding === 'br') return zlib.brotliDecompressSync(res.body);
  if (encoding === 'gzip') return zlib.gunzipSync(res.body);
  if (encoding === 'deflate') return zlib.inflateSync(res.body);
  return res.body;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

describe('byte budgets', () => {
  test(`first load of the inbox, everything downloaded, compressed: at most ${kb(BUDGET.firstLoad)}`, async () => {
    const load = await firstLoad('/messages', true);
    console.log(`# first load with JS: ${kb(load.total)} (${load.total} bytes)`, load.parts.map((p) => `${p.url.replace(/\?.*/, '')} ${kb(p.bytes)}`).join(', '));
    assert.ok(load.parts.some((p) => p.url.includes('htmx')), 'htmx is counted');
    assert.ok(load.total <= BUDGET.firstLoad, `${kb(load.total)} > ${kb(BUDGET.firstLoad)}`);
  });

  test(`first load with JavaScript off: at most ${kb(BUDGET.firstLoadNoJs)}`, async () => {
    const load = await firstLoad('/messages', false);
    console.log(`# first load without JS: ${kb(load.total)}`);
    assert.ok(load.total <= BUDGET.firstLoadNoJs, `${kb(load.total)} > ${kb(BUDGET.firstLoadNoJs)}`);
  });

  test(`an htmx swap or a boosted navigation: at most ${kb(BUDGET.swap)}`, async () => {
    const swaps = {
      'inbox tab (Unread)': await fetchWire('/messages?filter=unread', { 'HX-Request': 'true', 'HX-Target': 'inbox-results' }),
      'open a thread (boosted)': await fetchWire(`/messages/${conversationId}`, { 'HX-Request': 'true', 'HX-Boosted': 'true' }),
      'back to the inbox (boosted)': await fetchWire('/messages', { 'HX-Request': 'true', 'HX-Boosted': 'true' }),
      'tail refresh after a change': await fetchWire(`/messages/${conversationId}/tail?from=1&v=0`, { 'HX-Request': 'true' }),
    };
    for (const [name, res] of Object.entries(swaps)) {
      console.log(`# ${name}: ${kb(res.total)} (${res.total} bytes)`);
      assert.equal(res.status, 200, name);
      assert.ok(res.total <= BUDGET.swap, `${name}: ${kb(res.total)} > ${kb(BUDGET.swap)}`);
    }
  });

  test(`an unchanged poll is a 304 of at most ${BUDGET.notModified} bytes on the wire`, async () => {
    // Settle the version first (opening the thread marks it read).
    const current = (await t.db.selectFrom('conversations').select('version').where('id', '=', conversationId).executeTakeFirstOrThrow()).version;
    assert.ok(current >= version);
    const poll = await fetchWire(`/messages/${conversationId}/tail?from=1&v=${current}`, { 'HX-Request': 'true' });
    console.log(`# 304 poll: ${poll.total} bytes`);
    if (process.env.SHOW) console.log(poll.headers);
    assert.equal(poll.status, 304);
    assert.ok(poll.total <= BUDGET.notModified, `${poll.total} bytes > ${BUDGET.notModified}`);
  });

  test('poll answers are never stored: a 304 from the version in the URL must not make the browser reuse an older 200', async () => {
    const tail = await fetchWire(`/messages/${conversationId}/tail?from=1&v=0`, { 'HX-Request': 'true' });
    const badge = await fetchWire('/messages/badge?v=999', { 'HX-Request': 'true' });
    for (const [name, res] of [['tail', tail], ['badge', badge]] as const) {
      assert.equal(res.status, 200, name);
      assert.equal(res.headers['cache-control'], 'no-store', name);
    }
  });

  test(`one live message event: at most ${BUDGET.sseMessageFirst} bytes on the wire on a fresh stream, ${BUDGET.sseMessage} after`, async () => {
    // As a browser takes it: compressed (gzip, one compressor for the stream's life). The event
    // carries the message, the inbox row, the count and who wrote: nothing is fetched after it.
    const stream = await openEventStream(base, cookie, { 'Accept-Encoding': 'gzip' });
    try {
      const costs: number[] = [];
      for (const text of ['A new message of ordinary length arriving live, as people write them.', 'And a second one, a little later, about something else entirely.']) {
        const before = stream.wireBytes;
        const id = await send(other, conversationId, text);
        const event = await stream.waitFor((e) => e.event === 'message' && e.data.includes(`id="m-${id}"`), 5000);
        assert.ok(event.data.includes('id="row-sink"') && event.data.includes('id="messages-count"'), 'the row and the count come with it');
        costs.push(stream.wireBytes - before);
      }
      const plain = Buffer.byteLength(stream.matching((e) => e.event === 'message').pop()!.data);
      console.log(`# SSE message event on the wire: first ${costs[0]} bytes, then ${costs[1]} (${plain} bytes uncompressed)`);
      if (process.env.SHOW) console.log(stream.events.at(-1)?.data);
      assert.ok(costs[0]! <= BUDGET.sseMessageFirst, `the first: ${costs[0]} bytes > ${BUDGET.sseMessageFirst}`);
      assert.ok(costs[1]! <= BUDGET.sseMessage, `a later one: ${costs[1]} bytes > ${BUDGET.sseMessage}`);
    } finally {
      stream.close();
    }
  });
});
