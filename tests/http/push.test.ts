import assert from 'node:assert/strict';
import { createDecipheriv, createECDH, createPublicKey, hkdfSync, randomBytes, verify, type ECDH } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import type http from 'node:http';
import https from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import supertest from 'supertest';
import { addJob } from '../../src/jobs/queries.js';
import { html, sessionCookie, startTestApp, type TestApp } from '../support/app.js';
import { newMember, type Member } from '../support/members.js';
import { openConversation, sendMessage } from '../support/messaging.js';
import { closeAllEventStreams, listen, openEventStream, sleep, type Listening } from '../support/sse.js';

// CONTRACT, version 2: "Notify me on this device" (POST /push/subscriptions). A local push service
// stands in for the browser's (FCM, Mozilla's...): the app posts to it the real encrypted request
// web-push makes, and the test decrypts it with the subscription's keys (RFC 8291) and checks the
// site's VAPID signature (RFC 8292), so the payload and the headers are checked for real.

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

let t: TestApp;
let server: Listening;
let pushService: https.Server;
let pushConfig: { hosts: string[]; ca: string };
let pushOrigin: string;
const received: Received[] = [];
/** What the push service answers per path (default 201, as push services do). */
const answers = new Map<string, number>();

/** A certificate for 127.0.0.1, made for this run (push services are reached over https only). */
function selfSigned(): { key: string; cert: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'courier-push-'));
  try {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

before(async () => {
  const tls = selfSigned();
  pushConfig = { hosts: ['127.0.0.1'], ca: tls.cert };
  pushService = https.createServer(tls, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      res.statusCode = answers.get(req.url ?? '') ?? 201;
      res.end();
    });
  });
  await new Promise<void>((resolve) => pushService.listen(0, '127.0.0.1', resolve));
  pushOrigin = `https://127.0.0.1:${(pushService.address() as AddressInfo).port}`;
  t = await startTestApp({ runJobs: true, push: pushConfig, meetingReminderSweepMs: 300 });
  server = await listen(t.app);
  queue = t;
});
after(async () => {
  closeAllEventStreams();
  await server.close();
  await new Promise((resolve) => pushService.close(resolve));
});
afterEach(() => closeAllEventStreams());

/** A browser's subscription: its push service URL and its own key pair and auth secret. */
interface Device {
  endpoint: string;
  path: string;
  ecdh: ECDH;
  auth: Buffer;
}

function newDevice(): Device {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const path = `/push/${randomBytes(8).toString('hex')}`;
  return { endpoint: `${pushOrigin}${path}`, path, ecdh, auth: randomBytes(16) };
}

const subscriptionForm = (device: Device, token: string) => ({
  endpoint: device.endpoint,
  'keys[p256dh]': device.ecdh.getPublicKey().toString('base64url'),
  'keys[auth]': device.auth.toString('base64url'),
  _csrf: token,
});

async function subscribe(member: Member, device = newDevice()): Promise<Device> {
  const res = await member.agent.post('/push/subscriptions').type('form').send(subscriptionForm(device, member.token));
  assert.equal(res.status, 204, res.text);
  return device;
}

async function pair(prefix: string) {
  const ann = await newMember(t, `${prefix}a`, `Ann ${prefix}`);
  const ben = await newMember(t, `${prefix}b`, `Ben ${prefix}`);
  await t.connect(ann.id, ben.id);
  return { ann, ben, conversation: await openConversation(ann, ben) };
}

/** Waits until no push job is waiting or running (each message's job has run). */
async function drained(timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from graphile_worker.jobs where task_identifier = 'messaging:push'`.execute(t.db);
    if (rows[0]!.n === 0) return;
    if (Date.now() > until) {
      const { rows: stuck } = await sql<{ last_error: string | null }>`select last_error from graphile_worker.jobs where task_identifier = 'messaging:push'`.execute(t.db);
      throw new Error(`push jobs still queued: ${stuck.map((j) => j.last_error ?? 'not run yet').join('; ')}`);
    }
    await sleep(100);
  }
}

/** Whichever instance runs the queue now (t first; another once a test stopped it). */
let queue: { stopJobs(): Promise<void> };

/** Runs `fn` with no instance running the queue (jobs wait), then starts one that runs them. */
async function queueStopped(fn: () => Promise<void>): Promise<void> {
  await queue.stopJobs();
  try {
    await fn();
  } finally {
    const next = t.secondInstance({ runJobs: true, push: pushConfig });
    await next.ready;
    queue = next;
    await drained();
  }
}

const at = (device: Device) => received.filter((r) => r.path === device.path);

/** RFC 8291 (aes128gcm, RFC 8188), as the browser does it with its private key and auth secret. */
function decrypt(body: Buffer, device: Device): unknown {
  const salt = body.subarray(0, 16);
  const idLength = body[20]!;
  const serverKey = body.subarray(21, 21 + idLength);
  const ciphertext = body.subarray(21 + idLength);
  const shared = device.ecdh.computeSecret(serverKey);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), device.ecdh.getPublicKey(), serverKey]);
  const ikm = Buffer.from(hkdfSync('sha256', shared, device.auth, keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const padded = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
  let end = padded.length - 1;
  while (padded[end] === 0) end -= 1;
  assert.equal(padded[end], 2, 'the last record ends with its delimiter');
  return JSON.parse(padded.subarray(0, end).toString('utf8'));
}

/** RFC 8292: `vapid t=JWT, k=KEY`, the JWT signed (ES256) by that key, for this push service. */
function checkVapid(authorization: string | undefined, siteKey: string): void {
  const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(authorization ?? '');
  assert.ok(match, `a VAPID Authorization header: ${authorization}`);
  const [, jwt, key] = match;
  assert.equal(key, siteKey, 'signed with the key pages subscribe with');
  const [header, claims, signature] = jwt!.split('.') as [string, string, string];
  const point = Buffer.from(key!, 'base64url');
  const publicKey = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') }, format: 'jwk' });
  assert.ok(verify('sha256', Buffer.from(`${header}.${claims}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url')), 'the signature verifies');
  const body = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as { aud: string; exp: number; sub: string };
  assert.equal(body.aud, pushOrigin);
  assert.ok(body.exp > Date.now() / 1000 && body.exp <= Date.now() / 1000 + 24 * 3600, 'expires within a day');
  assert.match(body.sub, /^mailto:/);
}

async function siteKey(member: Member): Promise<string> {
  const page = await member.agent.get('/settings/notifications');
  assert.equal(page.status, 200);
  const key = html(page.text)('[data-push-panel]').attr('data-push-key');
  assert.ok(key, 'the settings page offers push');
  return key;
}

describe('web push', () => {
  test('a subscribed device gets each new message, encrypted for it and signed by the site, with a link to the thread', async () => {
    const { ann, ben, conversation } = await pair('wp1');
    const key = await siteKey(ben);
    assert.equal(Buffer.from(key, 'base64url').length, 65, 'an uncompressed P-256 point');
    const device = await subscribe(ben);
    await sendMessage(ann, conversation, 'Lunch at noon?');
    await drained();
    const [push, ...more] = at(device);
    assert.ok(push, 'the push service got a request');
    assert.equal(more.length, 0, 'one push per message');
    assert.equal(push.headers['content-encoding'], 'aes128gcm');
    assert.equal(push.headers.ttl, '86400');
    assert.equal(push.headers.urgency, 'high');
    assert.equal(push.headers.topic, `c${conversation}`, 'undelivered pushes of one conversation collapse');
    checkVapid(push.headers.authorization, key);
    assert.deepEqual(decrypt(push.body, device), { title: 'Ann wp1', body: 'Lunch at noon?', url: `/messages/${conversation}`, tag: `conversation-${conversation}` });

    const settings = html((await ben.agent.get('/settings/notifications')).text);
    assert.match(settings('input[name=push]').parent().text(), /1 device/);
    assert.equal(settings('input[name=push]').attr('checked'), 'checked');
    assert.equal(await siteKey(ann), key, 'one key for the site');
  });

  test('in a group, each member with a device gets one push, titled with the group and saying who wrote; one who blocked the sender gets none', async () => {
    const ann = await newMember(t, 'wpga', 'Ann Group');
    const ben = await newMember(t, 'wpgb', 'Ben Group');
    const cat = await newMember(t, 'wpgc', 'Cat Group');
    await t.connect(ann.id, ben.id);
    await t.connect(ann.id, cat.id);
    const made = await ann.agent.post('/messages/groups').type('form').send(`_csrf=${ann.token}&name=Band&members=${ben.username}&members=${cat.username}`);
    assert.equal(made.status, 303);
    const group = Number(/\d+$/.exec(made.headers.location ?? '')![0]);
    const [benDevice, catDevice] = [await subscribe(ben), await subscribe(cat)];
    await drained();
    received.length = 0;
    await t.db.insertInto('blocks').values({ blocker_id: cat.id, blocked_id: ann.id }).execute();
    await sendMessage(ann, group, 'Rehearsal at six');
    await drained();
    assert.deepEqual(at(benDevice).map((p) => decrypt(p.body, benDevice)), [{ title: 'Band', body: 'Ann: Rehearsal at six', url: `/messages/${group}`, tag: `conversation-${group}` }]);
    assert.equal(at(catDevice).length, 0, 'Cat blocked Ann');
  });

  test('brought into a group: each member away gets "Ann created the group", one added later "Ann added you"; other members are not pushed for it', async () => {
    const ann = await newMember(t, 'wpna', 'Ann Maker');
    const ben = await newMember(t, 'wpnb', 'Ben Joiner');
    const cat = await newMember(t, 'wpnc', 'Cat Joiner');
    const dan = await newMember(t, 'wpnd', 'Dan Later');
    for (const other of [ben, cat, dan]) await t.connect(ann.id, other.id);
    const [annDevice, benDevice, danDevice] = [await subscribe(ann), await subscribe(ben), await subscribe(dan)];
    await drained();
    received.length = 0;
    const made = await ann.agent.post('/messages/groups').type('form').send(`_csrf=${ann.token}&name=Choir&members=${ben.username}&members=${cat.username}`);
    assert.equal(made.status, 303);
    const group = Number(/\d+$/.exec(made.headers.location ?? '')![0]);
    await drained();
    assert.deepEqual(at(benDevice).map((p) => decrypt(p.body, benDevice)), [{ title: 'Choir', body: 'Ann Maker created the group “Choir”', url: `/messages/${group}`, tag: `conversation-${group}` }]);
    assert.equal(at(annDevice).length, 0, 'not the one who made it');
    assert.equal(at(danDevice).length, 0, 'not someone outside it');
    received.length = 0;
    const added = await ann.agent.post(`/messages/${group}/members`).type('form').send({ _csrf: ann.token, username: dan.username });
    assert.equal(added.status, 303, added.text);
    await drained();
    assert.deepEqual(at(danDevice).map((p) => decrypt(p.body, danDevice)), [{ title: 'Choir', body: 'Ann Maker added you', url: `/messages/${group}`, tag: `conversation-${group}` }]);
    assert.equal(at(benDevice).length, 0, 'the others see the line in the thread, without a buzz');
  });

  test('nothing to people without a device: the send queues no push job for them', async () => {
    const { ann, ben, conversation } = await pair('wp2');
    await queueStopped(async () => {
      await sendMessage(ann, conversation, 'No device here');
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from graphile_worker.jobs where task_identifier = 'messaging:push'`.execute(t.db);
      assert.equal(rows[0]!.n, 0);
      await subscribe(ben);
      await sendMessage(ann, conversation, 'Now there is one');
      const { rows: after } = await sql<{ n: number }>`select count(*)::int as n from graphile_worker.jobs where task_identifier = 'messaging:push'`.execute(t.db);
      assert.equal(after[0]!.n, 1, 'one job for the message, added by the send');
    });
  });

  test('no push while a page of theirs is visible; one when it is hidden', async () => {
    const { ann, ben, conversation } = await pair('wp3');
    const device = await subscribe(ben);
    const stream = await openEventStream(server.baseUrl, await sessionCookie(ben.agent));
    const hello = await stream.waitFor((e) => e.event === 'hello', 2000, 'hello');
    const view = async (visible: boolean) => {
      const res = await ben.agent.post('/messages/view').type('form').send({ stream: hello.data, c: '', visible: visible ? '1' : '0', _csrf: ben.token });
      assert.equal(res.status, 204);
    };
    await view(true);
    await sendMessage(ann, conversation, 'You are looking');
    await drained();
    assert.equal(at(device).length, 0, 'they see it on the page');
    await view(false);
    await sendMessage(ann, conversation, 'You are in another tab');
    await drained();
    assert.equal(at(device).length, 1);
    assert.equal((decrypt(at(device)[0]!.body, device) as { body: string }).body, 'You are in another tab');
  });

  test('muted, seen already, or push turned off: none; without the text when they chose so', async () => {
    const { ann, ben, conversation } = await pair('wp4');
    const device = await subscribe(ben);
    assert.equal((await ben.agent.post(`/messages/${conversation}/mute`).type('form').send({ _csrf: ben.token })).status, 303);
    await sendMessage(ann, conversation, 'Muted');
    await drained();
    assert.equal(at(device).length, 0, 'muted');
    assert.equal((await ben.agent.post(`/messages/${conversation}/unmute`).type('form').send({ _csrf: ben.token })).status, 303);

    const prefs = (push: boolean, preview: boolean) => ({ email_messages: 'after_10_minutes', email_digest: 'off', push_form: '1', ...(push && { push: 'on' }), ...(preview && { email_preview: 'on' }), _csrf: ben.token });
    assert.equal((await ben.agent.post('/settings/notifications').type('form').send(prefs(false, true))).status, 303);
    await sendMessage(ann, conversation, 'Push is off');
    await drained();
    assert.equal(at(device).length, 0, 'push off');

    assert.equal((await ben.agent.post('/settings/notifications').type('form').send(prefs(true, false))).status, 303);
    await sendMessage(ann, conversation, 'A secret plan');
    await drained();
    assert.equal(at(device).length, 1);
    const payload = decrypt(at(device)[0]!.body, device) as { title: string; body: string };
    assert.equal(payload.title, 'Ann wp4');
    assert.equal(payload.body, 'Sent you a message', 'who wrote, never what');

    await queueStopped(async () => {
      await sendMessage(ann, conversation, 'Read before the push goes');
      assert.equal((await ben.agent.get(`/messages/${conversation}`)).status, 200);
    });
    assert.equal(at(device).length, 1, 'seen meanwhile');
  });

  test('a device its push service forgot (410), or whose session ended, is dropped', async () => {
    const { ann, ben, conversation } = await pair('wp5');
    const gone = await subscribe(ben);
    answers.set(gone.path, 410);
    await sendMessage(ann, conversation, 'To a device that is gone');
    await drained();
    assert.equal(at(gone).length, 1);
    const left = await t.db.selectFrom('push_subscriptions').select('endpoint').where('user_id', '=', ben.id).execute();
    assert.deepEqual(left, [], 'dropped');

    const device = await subscribe(ben);
    assert.equal((await ben.agent.post('/logout').type('form').send({ _csrf: ben.token })).status, 303);
    await sendMessage(ann, conversation, 'After logging out');
    await drained();
    assert.equal(at(device).length, 0, 'a logged-out browser shows nothing of theirs');
    assert.equal((await t.db.selectFrom('push_subscriptions').select('id').where('user_id', '=', ben.id).execute()).length, 0);
  });

  test('the sweep drops the devices of sessions that ended, and keeps the others', async () => {
    const { ann, ben } = await pair('wp8');
    await subscribe(ann);
    await subscribe(ben);
    assert.equal((await ben.agent.post('/logout').type('form').send({ _csrf: ben.token })).status, 303);
    await addJob(t.db, 'app:sweep', {});
    const until = Date.now() + 10_000;
    while ((await sql<{ n: number }>`select count(*)::int as n from graphile_worker.jobs where task_identifier = 'app:sweep'`.execute(t.db)).rows[0]!.n > 0) {
      assert.ok(Date.now() < until, 'the sweep ran');
      await sleep(100);
    }
    const left = await t.db.selectFrom('push_subscriptions').select('user_id').where('user_id', 'in', [ann.id, ben.id]).execute();
    assert.deepEqual(left.map((r) => Number(r.user_id)), [ann.id]);
  });

  test('subscribing: logged in, with the form token, a known push service, well-formed keys; undoing it', async () => {
    const ben = await newMember(t, 'wp6');
    const device = newDevice();
    const form = subscriptionForm(device, ben.token);
    assert.equal((await supertest(t.app).post('/push/subscriptions').type('form').send(form)).status, 401);
    assert.equal((await ben.agent.post('/push/subscriptions').type('form').send({ ...form, _csrf: 'forged' })).status, 403);
    const elsewhere = await ben.agent.post('/push/subscriptions').type('form').send({ ...form, endpoint: 'https://attacker.example/collect' });
    assert.equal(elsewhere.status, 400, 'the server posts only to push services it knows');
    assert.match(elsewhere.text, /push service/);
    assert.equal((await ben.agent.post('/push/subscriptions').type('form').send({ ...form, 'keys[p256dh]': 'short' })).status, 400);
    assert.equal((await ben.agent.post('/push/subscriptions').type('form').send({ ...form, 'keys[auth]': undefined })).status, 400);
    assert.equal((await t.db.selectFrom('push_subscriptions').select('id').where('user_id', '=', ben.id).execute()).length, 0);

    await subscribe(ben, device);
    await subscribe(ben, device);
    assert.equal((await t.db.selectFrom('push_subscriptions').select('id').where('user_id', '=', ben.id).execute()).length, 1, 'one row per browser');
    // Someone else cannot remove my device.
    const ann = await newMember(t, 'wp6x');
    assert.equal((await ann.agent.post('/push/subscriptions/delete').type('form').send({ endpoint: device.endpoint, _csrf: ann.token })).status, 204);
    assert.equal((await t.db.selectFrom('push_subscriptions').select('id').where('user_id', '=', ben.id).execute()).length, 1);
    assert.equal((await ben.agent.post('/push/subscriptions/delete').type('form').send({ endpoint: device.endpoint, _csrf: ben.token })).status, 204);
    assert.equal((await t.db.selectFrom('push_subscriptions').select('id').where('user_id', '=', ben.id).execute()).length, 0);
    assert.equal((await supertest(t.app).post('/push/subscriptions/delete').type('form').send({ endpoint: device.endpoint })).status, 401);
  });

  test('the service worker is served from the root, as a script, checked for updates each time', async () => {
    const res = await supertest(t.app).get('/sw.js');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'] ?? '', /^text\/javascript/);
    assert.equal(res.headers['cache-control'], 'no-cache');
    assert.match(res.text, /addEventListener\('push'/);
    assert.match(res.text, /addEventListener\('notificationclick'/);
  });

  test('without JavaScript the settings say push needs it; the form offers the push choice only once a device is subscribed', async () => {
    const ben = await newMember(t, 'wp7');
    const page = html((await ben.agent.get('/settings/notifications')).text);
    assert.match(page('[data-push-nojs]').text(), /need JavaScript/);
    assert.equal(page('input[name=push]').length, 0);
  });
});

describe('meeting reminders by push', () => {
  test('a device gets one reminder, with the meeting and a link to its card; the organiser with reminders off gets none', async () => {
    const { ann, ben, conversation } = await pair('wpm');
    const device = await subscribe(ben);
    const annDevice = await subscribe(ann);
    await t.db.insertInto('messaging_preferences' as never).values({ user_id: ann.id, meeting_reminder_minutes: 0 } as never).onConflict((oc) => oc.column('user_id' as never).doUpdateSet({ meeting_reminder_minutes: 0 } as never)).execute();
    const day = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    const made = await ann.agent.post(`/messages/${conversation}/meetings`).type('form').send({ _csrf: ann.token, title: 'Budget call', starts_at: `${day}T10:00`, time_zone: 'UTC', minutes: '30', link: '', notes: '' });
    assert.equal(made.status, 303);
    await drained();
    const before = at(device).length;
    const { rows } = await sql<{ id: number; card_message_id: number }>`update meetings set starts_at = now() + interval '4 minutes 10 seconds' where conversation_id = ${conversation} returning id, card_message_id`.execute(t.db);
    const meeting = rows[0]!;
    const until = Date.now() + 15_000;
    while (at(device).length === before && Date.now() < until) await sleep(100);
    await sleep(1000);
    const pushes = at(device).slice(before);
    assert.equal(pushes.length, 1, 'one push for the reminder');
    assert.equal(pushes[0]!.headers.topic, `g${meeting.id}`);
    assert.deepEqual(decrypt(pushes[0]!.body, device), { title: 'Meeting in 4 min', body: '“Budget call” with Ann wpm', url: `/messages/${conversation}#m-${meeting.card_message_id}`, tag: `meeting-${meeting.id}` });
    assert.equal(at(annDevice).length, 0, 'reminders off: nothing on her device');
  });
});
