import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import supertest from 'supertest';
import { createApp } from '../../src/app.js';
import { projectRoot } from '../../src/config.js';
import type { Database } from '../../src/db/schema.js';
import { createLogger } from '../../src/logger.js';
import { html, sessionCookie, startTestApp, type Agent, type TestApp } from '../support/app.js';

const SECRET = 'test-secret-test-secret-test-secret';

let t: TestApp;
before(async () => {
  t = await startTestApp();
});

const idOf = async (username: string) =>
  (await t.db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirstOrThrow()).id;

/** One row per pair, user_low < user_high, as the schema wants. */
async function connect(from: string, to: string, status: 'pending' | 'accepted') {
  const a = await idOf(from);
  const b = await idOf(to);
  await t.db
    .insertInto('connections')
    .values({ user_low: Math.min(a, b), user_high: Math.max(a, b), requested_by: a, status, accepted_at: status === 'accepted' ? new Date() : null })
    .execute();
}

const binary = (res: unknown, done: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  const stream = res as NodeJS.ReadableStream;
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
};

describe('GET /healthz', () => {
  test('200 JSON when the database is reachable', async () => {
    const res = await supertest(t.app).get('/healthz');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type']!, /application\/json/);
    assert.equal(res.body.status, 'ok');
  });

  test('503 when the database cannot be reached', async () => {
    const pool = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/x', connectionTimeoutMillis: 500, max: 2 });
    pool.on('error', () => {});
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    const broken = createApp({ db, pool, log: createLogger('silent'), sessionSecret: SECRET, pruneSessions: false });
    try {
      const started = Date.now();
      const res = await supertest(broken.app).get('/healthz');
      assert.equal(res.status, 503);
      assert.match(res.headers['content-type']!, /application\/json/);
      assert.notEqual(res.body.status, 'ok');
      assert.ok(Date.now() - started < 5_000, 'answers promptly');
    } finally {
      await broken.close();
      await db.destroy();
    }
  });
});

describe('the request log', () => {
  test('one line per request with the full path (never the query), the status and the user', async () => {
    const me = await t.userAgent('logcheck', 'Log Check');
    const before = t.logs.length;
    await me.get('/people?q=secret-query-text');
    await me.get('/messages/search?q=another-secret');
    const lines = t.logs.slice(before).map((line) => JSON.parse(line) as { msg: string; path: string; status: number; user?: number });
    const requests = lines.filter((l) => l.msg === 'request');
    assert.deepEqual(requests.map((l) => [l.path, l.status]), [['/people', 200], ['/messages/search', 200]]);
    assert.ok(requests.every((l) => typeof l.user === 'number'), 'the user id is kept');
    assert.ok(!t.logs.slice(before).join('\n').includes('secret'), 'never the query string');
  });
});

describe('security headers', () => {
  test('an htmx fragment answer (never a document) carries nosniff but not the document headers; a page carries them all', async () => {
    const agent = await t.userAgent('headers_fragment');
    const fragment = await agent.get('/messages/badge?v=999').set('HX-Request', 'true');
    assert.equal(fragment.status, 200);
    assert.equal(fragment.headers['x-content-type-options'], 'nosniff');
    assert.equal(fragment.headers['content-security-policy'], undefined);
    assert.match(String(fragment.headers.vary), /HX-Request/i);
    for (const headers of [{}, { 'HX-Request': 'true', 'HX-Boosted': 'true' }]) {
      const page = await agent.get('/messages').set(headers);
      assert.ok(page.headers['content-security-policy'], 'a page (or a boosted navigation) has its CSP');
      assert.equal(page.headers['x-frame-options'], 'SAMEORIGIN');
      assert.match(String(page.headers.vary), /HX-Request/i, 'kept apart from fragments by caches');
    }
  });

  test('the Content-Security-Policy allows scripts from self only: no inline, no eval', async () => {
    for (const path of ['/login', '/healthz', '/no-such-page']) {
      const res = await supertest(t.app).get(path);
      const csp = res.headers['content-security-policy'];
      assert.ok(csp, `${path} has a CSP`);
      const directives = new Map(
        csp
          .split(';')
          .map((d) => d.trim().split(/\s+/))
          .filter((parts) => parts[0])
          .map(([name, ...values]) => [name!, values]),
      );
      const scriptSrc = directives.get('script-src') ?? directives.get('default-src');
      assert.ok(scriptSrc, `${path}: script-src is set`);
      assert.deepEqual(scriptSrc, ["'self'"], `${path}: script-src 'self'`);
      assert.ok(!csp.includes("'unsafe-inline'"), `${path}: no 'unsafe-inline'`);
      assert.ok(!csp.includes("'unsafe-eval'"), `${path}: no 'unsafe-eval'`);
    }
  });
});

describe('pages of a logged-in user', () => {
  let me: Agent;
  before(async () => {
    me = await t.userAgent('pagecheck', 'Page Check');
    await t.createUser('friend', 'Friend Person');
    await t.createUser('asker', 'Asker Person');
    await t.createUser('asked', 'Asked Person');
    await t.createUser('stranger', 'Stranger Person');
    await connect('pagecheck', 'friend', 'accepted');
    await connect('asker', 'pagecheck', 'pending');
    await connect('pagecheck', 'asked', 'pending');
  });

  const pages = [
    '/messages',
    '/people',
    '/people?q=person',
    '/connections',
    '/settings',
    '/u/pagecheck',
    '/u/friend',
    '/u/asker',
    '/u/asked',
    '/u/stranger',
  ];

  for (const path of pages) {
    test(`${path}: no inline script or style, navbar badge, landmark, CSRF everywhere`, async () => {
      const res = await me.get(path);
      assert.equal(res.status, 200);
      assert.match(res.headers['content-type']!, /text\/html/);
      const $ = html(res.text);

      const scripts = $('script');
      assert.ok(scripts.length > 0);
      scripts.each((_i, el) => {
        assert.ok($(el).attr('src'), 'every script has a src');
        assert.equal($(el).text().trim(), '', 'and no inline code');
      });

      $('*').each((_i, el) => {
        const attribs = (el as unknown as { attribs?: Record<string, string> }).attribs ?? {};
        for (const name of Object.keys(attribs)) {
          assert.ok(!/^(data-)?hx-on/i.test(name), `no ${name} attribute`);
          assert.notEqual(name.toLowerCase(), 'style', `no style attribute (on <${(el as unknown as { name: string }).name}>)`);
          assert.ok(!/^on[a-z]+$/i.test(name), `no inline event handler ${name}`);
        }
      });
      assert.equal($('style').length, 0, 'no inline <style> element');

      const badge = $('a#messages-badge');
      assert.equal(badge.length, 1);
      assert.equal(badge.attr('href'), '/messages');
      assert.equal(badge.attr('data-unread-count'), '0');

      assert.equal($('main').length, 1, 'one <main> landmark');

      const headers = $('body').attr('hx-headers');
      assert.ok(headers, '<body hx-headers> is set');
      const token = (JSON.parse(headers) as Record<string, string>)['X-CSRF-Token'];
      assert.ok(token, 'it carries the CSRF token');

      const postForms = $('form').filter((_i, form) => ($(form).attr('method') ?? '').toLowerCase() === 'post');
      assert.ok(postForms.length > 0, 'at least the log out form');
      postForms.each((_i, form) => {
        const input = $(form).find('input[type=hidden][name=_csrf]');
        assert.equal(input.length, 1, `the form to ${$(form).attr('action')} has a hidden _csrf input`);
        assert.equal(input.val(), token, 'the same token as the htmx header');
      });
    });
  }

  test('the token in <body hx-headers> works as the X-CSRF-Token header', async () => {
    const $ = html((await me.get('/people')).text);
    const token = (JSON.parse($('body').attr('hx-headers')!) as Record<string, string>)['X-CSRF-Token']!;
    const res = await me.post('/connections').set('X-CSRF-Token', token).type('form').send({ username: 'stranger' });
    assert.equal(res.status, 303);
    const stranger = await idOf('stranger');
    const row = await t.db
      .selectFrom('connections')
      .select(['status', 'requested_by'])
      .where('requested_by', '=', await idOf('pagecheck'))
      .where((eb) => eb.or([eb('user_low', '=', stranger), eb('user_high', '=', stranger)]))
      .executeTakeFirst();
    assert.equal(row?.status, 'pending');
  });
});

describe('assets', () => {
  for (const [name, type] of [
    ['app.css', /text\/css/],
    ['htmx.min.js', /javascript/],
  ] as const) {
    test(`/assets/${name} is served with long cache headers, gzip-compressed when asked`, async () => {
      const file = readFileSync(path.join(projectRoot, 'public/build', name));
      const plain = await supertest(t.app).get(`/assets/${name}`).set('Accept-Encoding', 'identity').buffer(true).parse(binary);
      assert.equal(plain.status, 200);
      assert.match(plain.headers['content-type']!, type);
      const cache = plain.headers['cache-control']!;
      assert.ok(cache, 'a Cache-Control header');
      const maxAge = Number(/max-age=(\d+)/.exec(cache)?.[1]);
      assert.ok(maxAge >= 30 * 24 * 3600, `a long max-age (${cache})`);
      assert.match(cache, /immutable/);
      assert.equal(plain.headers['content-encoding'], undefined, 'not compressed unless asked');
      assert.deepEqual(plain.body, file);

      const gzipped = await supertest(t.app).get(`/assets/${name}`).set('Accept-Encoding', 'gzip').buffer(true).parse(binary);
      assert.equal(gzipped.status, 200);
      assert.equal(gzipped.headers['content-encoding'], 'gzip');
      assert.deepEqual(gzipped.body, file, 'the same bytes once decompressed');

      // The build's own brotli file: no validators (the URL changes with the content), its length told.
      const br = await supertest(t.app).get(`/assets/${name}`).set('Accept-Encoding', 'br').buffer(true).parse(binary);
      assert.equal(br.status, 200);
      assert.equal(br.headers['content-encoding'], 'br');
      assert.equal(br.headers.etag, undefined, 'no ETag');
      assert.equal(br.headers['last-modified'], undefined, 'no Last-Modified');
      assert.equal(Number(br.headers['content-length']), statSync(path.join(projectRoot, 'public/build/compressed', `${name}.br`)).size);
      assert.deepEqual(br.body, file, 'the same bytes once decompressed');
      const head = await supertest(t.app).head(`/assets/${name}`).set('Accept-Encoding', 'br');
      assert.equal(head.status, 200);
      assert.equal(head.headers['content-length'], br.headers['content-length']);
    });
  }

  test('the asset URLs in a page carry their content hash in the name, and are served', async () => {
    const $ = html((await t.agent().get('/login')).text);
    const urls = [...$('link[rel=stylesheet]').map((_i, el) => $(el).attr('href')), ...$('script[src]').map((_i, el) => $(el).attr('src'))];
    assert.ok(urls.length >= 2);
    for (const url of urls) {
      assert.match(url!, /^\/assets\/.+\.[A-Za-z0-9_-]{10}\.(css|js)$/, `${url}: the content hash is in the name`);
      assert.equal((await supertest(t.app).get(url!)).status, 200, `${url} is served`);
    }
  });
});

describe('routing', () => {
  test('an unknown page is a 404 with an HTML page', async () => {
    const loggedOut = await t.agent().get('/no-such-page').set('Accept', 'text/html');
    assert.equal(loggedOut.status, 404);
    assert.match(loggedOut.headers['content-type']!, /text\/html/);
    assert.equal(html(loggedOut.text)('main').length, 1);
    assert.match(html(loggedOut.text)('h1').text(), /not found/i);

    const agent = await t.userAgent('lost', 'Lost Person');
    const loggedIn = await agent.get('/definitely/not/here').set('Accept', 'text/html');
    assert.equal(loggedIn.status, 404);
    assert.match(loggedIn.headers['content-type']!, /text\/html/);
    assert.equal(html(loggedIn.text)('#messages-badge').length, 1, 'the page has the navbar');
  });

  test('GET / goes to /login logged out and /messages logged in', async () => {
    const out = await t.agent().get('/');
    assert.equal(out.status, 303);
    assert.equal(out.headers.location, '/login');
    const agent = await t.userAgent('rooter', 'Rooter');
    const res = await agent.get('/');
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/messages');
  });
});

describe('several instances', () => {
  test('a session made by one instance works on another on the same database', async () => {
    const agent = await t.userAgent('roamer', 'Roamer Person');
    const cookie = await sessionCookie(agent);
    assert.ok(cookie);
    const other = t.secondInstance({ sessionSecret: SECRET });
    const page = await supertest(other.app).get('/settings').set('Cookie', cookie);
    assert.equal(page.status, 200);
    assert.equal(html(page.text)('#display_name').val(), 'Roamer Person');

    // A state change through B, with the token the session holds, is seen on A.
    const token = html(page.text)('input[name=_csrf]').val() as string;
    const res = await supertest(other.app).post('/settings').set('Cookie', cookie).field('_csrf', token).field('display_name', 'Roamer Moved');
    assert.equal(res.status, 303);
    assert.equal(html((await agent.get('/settings')).text)('#display_name').val(), 'Roamer Moved');

    const stranger = await supertest(other.app).get('/settings');
    assert.equal(stranger.status, 303, 'no cookie, no session');
  });

  test('a cookie signed with another secret is not accepted', async () => {
    const agent = await t.userAgent('wrongsecret', 'Wrong Secret');
    const cookie = await sessionCookie(agent);
    assert.ok(cookie);
    const other = t.secondInstance({ sessionSecret: 'another-secret-another-secret-another' });
    const res = await supertest(other.app).get('/settings').set('Cookie', cookie);
    assert.equal(res.status, 303);
  });
});
