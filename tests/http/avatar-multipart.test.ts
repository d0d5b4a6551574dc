import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import sharp from 'sharp';
import type { MessagingDb } from '../../src/messaging/schema.js';
import { html, sessionCookie, startTestApp, type TestApp } from '../support/app.js';
import { newMember } from '../support/members.js';
import { openConversation } from '../support/messaging.js';
import { field, file, multipart, newBoundary, partHead, rawPost } from '../support/multipart.js';
import { listen, type Listening } from '../support/sse.js';

// One multipart path for the whole app (security review, item 18): the settings form (profile
// photo) and the message form are read by the same streaming reader, which checks the CSRF token
// first (the X-CSRF-Token header, or the form's first field) and, when it fails, answers at once,
// stores nothing and holds nothing of the body. It used to read the whole photo into memory first.

const MB = 1024 * 1024;

let t: TestApp;
let server: Listening;
before(async () => {
  t = await startTestApp({ attachments: { enabled: true, maxFileBytes: 10 * MB, dailyBytes: 256 * MB } });
  server = await listen(t.app);
});
after(async () => {
  await server?.close();
});

const userRow = (id: number) => t.db.selectFrom('users').select(['display_name', 'avatar_version']).where('id', '=', id).executeTakeFirstOrThrow();
const png = () => sharp({ create: { width: 120, height: 160, channels: 4, background: '#e0a020ff' } }).png().toBuffer();

/** The head of a settings form whose photo part has begun: the fields given, then the photo's part header. */
function settingsHead(fields: [string, string][], boundary: string): Buffer {
  return Buffer.concat([...fields.flatMap(([name, value]) => [partHead(boundary, field(name, value)), Buffer.from(`${value}\r\n`)]), partHead(boundary, file('me.png', Buffer.alloc(0), 'image/png', 'avatar'))]);
}

describe('the CSRF token comes first, and a failed one ends the request at once', () => {
  for (const [label, fields] of [
    ['a wrong token as the first field', (token: string) => [['_csrf', `${token}x`], ['display_name', 'Forged']] as [string, string][]],
    ['no token (the name first)', () => [['display_name', 'Forged']] as [string, string][]],
    ['the name before a good token', (token: string) => [['display_name', 'Forged'], ['_csrf', token]] as [string, string][]],
  ] as const) {
    test(`settings, ${label}: 403 while the photo is still unsent, nothing changes`, async () => {
      const A = await newMember(t, 'pat');
      const boundary = newBoundary();
      const head = settingsHead(fields(A.token), boundary);
      const answer = await rawPost(server.baseUrl, '/settings', {
        cookie: (await sessionCookie(A.agent))!,
        contentType: `multipart/form-data; boundary=${boundary}`,
        head,
        declaredLength: head.length + 7 * MB,
        hold: true,
        timeoutMs: 3000,
      });
      assert.equal(answer.status, 403, 'answered without waiting for the photo (0: no answer within 3 s)');
      assert.ok(answer.beforeBodyEnd);
      const row = await userRow(A.id);
      assert.equal(row.display_name, A.name);
      assert.equal(row.avatar_version, null);
    });
  }

  test('settings, a good token after the photo: 403, nothing changes', async () => {
    const A = await newMember(t, 'pam');
    const { body, contentType } = multipart([field('display_name', 'Late Token'), file('me.png', await png(), 'image/png', 'avatar'), field('_csrf', A.token)]);
    const res = await A.agent.post('/settings').set('Content-Type', contentType).send(body);
    assert.equal(res.status, 403);
    const row = await userRow(A.id);
    assert.equal(row.display_name, A.name);
    assert.equal(row.avatar_version, null);
  });

  test('settings, the token in the X-CSRF-Token header: the photo is saved', async () => {
    const A = await newMember(t, 'pia');
    const { body, contentType } = multipart([field('display_name', 'By Header'), file('me.png', await png(), 'image/png', 'avatar')]);
    const res = await A.agent.post('/settings').set('Content-Type', contentType).set('X-CSRF-Token', A.token).send(body);
    assert.equal(res.status, 303, res.text.slice(0, 200));
    const row = await userRow(A.id);
    assert.equal(row.display_name, 'By Header');
    assert.equal(row.avatar_version, 1);
  });

  test('settings, a photo over 8 MB with a good token: 413, the typed name and privacy choices kept', async () => {
    const A = await newMember(t, 'pod');
    const big = Buffer.alloc(8 * MB + 1024, 0);
    (await png()).copy(big);
    const { body, contentType } = multipart([field('_csrf', A.token), field('display_name', 'Kept Name'), file('huge.png', big, 'image/png', 'avatar'), field('privacy_form', '1'), field('typing_indicators', 'on')]);
    const res = await A.agent.post('/settings').set('Content-Type', contentType).send(body);
    assert.equal(res.status, 413);
    const page = html(res.text);
    assert.equal(page('#display_name').val(), 'Kept Name');
    assert.match(page('#avatar-error').text(), /at most 8 MB/);
    assert.equal(page('input[name=typing_indicators]').attr('checked'), 'checked');
    assert.equal(page('input[name=read_receipts]').attr('checked'), undefined, 'the unticked box stays unticked');
    assert.equal((await userRow(A.id)).avatar_version, null);
  });

  test('a message form, a wrong token as the first field: 403 while the file is still unsent, nothing stored', async () => {
    const A = await newMember(t, 'mo');
    const B = await newMember(t, 'mi');
    await t.connect(A.id, B.id);
    const conversation = await openConversation(A, B);
    const boundary = newBoundary();
    const head = Buffer.concat([partHead(boundary, field('_csrf', `${A.token}x`)), Buffer.from(`${A.token}x\r\n`), partHead(boundary, file('big.pdf', Buffer.alloc(0)))]);
    const answer = await rawPost(server.baseUrl, `/messages/${conversation}/messages`, {
      cookie: (await sessionCookie(A.agent))!,
      contentType: `multipart/form-data; boundary=${boundary}`,
      head: Buffer.concat([head, Buffer.from('%PDF-1.4\n')]),
      declaredLength: head.length + 5 * MB,
      hold: true,
      timeoutMs: 3000,
    });
    assert.equal(answer.status, 403, 'answered without waiting for the file (0: no answer within 3 s)');
    const rows = await (t.db as unknown as MessagingDb).selectFrom('attachments').select('id').where('conversation_id', '=', conversation).execute();
    assert.equal(rows.length, 0);
  });

  test('multer is gone from the dependencies', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    assert.equal(pkg.dependencies.multer, undefined);
    assert.equal(pkg.devDependencies['@types/multer'], undefined);
  });
});

// ---- Memory: forged photo uploads hold nothing ----

function gcFunction(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Sends N forged settings forms at once from another process (its buffers are not ours), each with a 7.5 MB photo, its end held back 1.5 s. */
const FORGER = `
const http = require('node:http');
const { URL: url, COOKIE: cookie, HEAD: head, BOUNDARY: boundary, N } = process.env;
const photo = 7.5 * 1024 * 1024;
const headBytes = Buffer.from(head, 'base64');
const tail = Buffer.from('\\r\\n--' + boundary + '--\\r\\n');
const piece = Buffer.alloc(64 * 1024, 7);
const statuses = [];
let done = 0;
for (let i = 0; i < Number(N); i++) {
  const req = http.request(url, { method: 'POST', headers: { Cookie: cookie, 'Content-Type': 'multipart/form-data; boundary=' + boundary, 'Content-Length': String(headBytes.length + photo + tail.length) } });
  req.on('response', (res) => { res.resume(); res.on('end', () => { statuses.push(res.statusCode); req.destroy(); if (++done === Number(N)) console.log(JSON.stringify(statuses)); }); });
  req.on('error', () => {});
  req.write(headBytes);
  let left = photo;
  const pump = () => {
    while (left > 0) {
      const n = Math.min(left, piece.length);
      left -= n;
      if (!req.write(piece.subarray(0, n))) return void req.once('drain', pump);
    }
    // The last bytes come a moment later, so a server that holds a photo until the form ends holds all twenty at once.
    setTimeout(() => req.end(tail), 1500);
  };
  pump();
}
`;

describe('memory', () => {
  test('twenty forged photo uploads of 7.5 MB at once: the server holds none of them', async () => {
    const gc = gcFunction();
    const A = await newMember(t, 'mem');
    const boundary = newBoundary();
    const head = settingsHead([['_csrf', 'forged-token'], ['display_name', 'Forged']], boundary);
    let base = process.memoryUsage().arrayBuffers;
    for (let round = 0; round < 10; round++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 20));
      base = Math.min(base, process.memoryUsage().arrayBuffers);
    }
    const samples: number[] = [];
    const timer = setInterval(() => {
      gc();
      samples.push(process.memoryUsage().arrayBuffers - base);
    }, 15);
    const forger = spawn(process.execPath, ['-e', FORGER], {
      env: { ...process.env, URL: `${server.baseUrl}/settings`, COOKIE: (await sessionCookie(A.agent))!, HEAD: head.toString('base64'), BOUNDARY: boundary, N: '20' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    forger.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await new Promise((resolve) => forger.on('exit', resolve));
    clearInterval(timer);
    const statuses = JSON.parse(output.trim() || '[]') as number[];
    assert.equal(statuses.length, 20, `every forged upload was answered (${output})`);
    assert.ok(statuses.every((s) => s === 403), `all refused: ${statuses.join(', ')}`);
    const sorted = [...samples].sort((a, b) => b - a);
    const peak = sorted[Math.min(2, sorted.length - 1)] ?? 0;
    console.log(`# ${samples.length} samples; buffers held over the baseline (3rd highest): ${(peak / MB).toFixed(1)} MB, highest ${((sorted[0] ?? 0) / MB).toFixed(1)} MB`);
    assert.ok(samples.length >= 3, 'enough samples');
    assert.ok(peak < 16 * MB, `forged uploads are not held: ${(peak / MB).toFixed(1)} MB over the baseline (20 × 7.5 MB would be 150 MB)`);
    assert.equal((await userRow(A.id)).display_name, A.name);
  });
});
