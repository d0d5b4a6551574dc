import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { before, describe, test } from 'node:test';
import express from 'express';
import supertest from 'supertest';
import { loadConfig } from '../../src/config.js';
import { errorHandler } from '../../src/http/error-handler.js';
import { createLogger } from '../../src/logger.js';
import { csrfToken, html, startTestApp, type TestApp } from '../support/app.js';

// Error pages reach anonymous users: whatever failed, and however early, they show our page with
// a status that says what was wrong, and never a stack trace or the text of an internal error
// (only `npm run dev` shows those, to the developer).

let t: TestApp;
before(async () => {
  t = await startTestApp();
});

/** Signs that a page leaks how the server is built: a stack frame, a file path, an error class. */
function assertNoInternals(text: string, what: string) {
  assert.ok(!/\bat [\w.<>]+ \(|node_modules|node:internal|\/src\/|\.ts:\d+/.test(text), `${what}: no stack trace`);
  assert.ok(!/TypeError|ReferenceError|PayloadTooLargeError|UnsupportedMediaTypeError|BadRequestError/.test(text), `${what}: no error class`);
}

const form = 'application/x-www-form-urlencoded';

describe('a request the body parser refuses, before anything else ran', () => {
  test('a 200 KB login body: 413 with our page, no stack', async () => {
    const res = await t.agent().post('/login').type('form').send(`username=${'a'.repeat(200_000)}&password=x`);
    assert.equal(res.status, 413);
    assert.match(res.headers['content-type'] ?? '', /text\/html/);
    assertNoInternals(res.text, '413');
    const $ = html(res.text);
    assert.equal($('main#main').length, 1, 'the app layout');
    assert.match($('main').text(), /too large/i);
  });

  test('charset=bogus: 400, no stack', async () => {
    const res = await t.agent().post('/login').set('Content-Type', `${form}; charset=bogus`).send('username=a&password=b');
    assert.equal(res.status, 400);
    assertNoInternals(res.text, 'charset');
    assert.equal(html(res.text)('main#main').length, 1);
  });

  test('Content-Encoding: bogus: 400, no stack', async () => {
    const res = await t.agent().post('/signup').set('Content-Type', form).set('Content-Encoding', 'bogus').send('username=a&password=b');
    assert.equal(res.status, 400);
    assertNoInternals(res.text, 'encoding');
    assert.equal(html(res.text)('main#main').length, 1);
  });

  test('a body that claims gzip but is not: 400, no stack', async () => {
    const res = await t.agent().post('/login').set('Content-Type', form).set('Content-Encoding', 'gzip').send('username=a&password=b');
    assert.equal(res.status, 400);
    assertNoInternals(res.text, 'bad gzip');
  });

  test('the same with htmx or a non-HTML client: short text, no stack', async () => {
    const htmx = await t.agent().post('/login').set('HX-Request', 'true').set('Content-Type', `${form}; charset=bogus`).send('a=b');
    assert.equal(htmx.status, 400);
    assertNoInternals(htmx.text, 'htmx');
    const api = await t.agent().post('/login').set('Accept', 'application/json').type('form').send(`username=${'a'.repeat(200_000)}`);
    assert.equal(api.status, 413);
    assertNoInternals(api.text, 'json client');
  });

  test('a logged-in person\'s oversized post: 413, no stack', async () => {
    const agent = await t.userAgent('erin');
    const token = await csrfToken(agent, '/settings');
    const res = await agent.post('/connections').type('form').send(`_csrf=${token}&username=${'b'.repeat(200_000)}`);
    assert.equal(res.status, 413);
    assertNoInternals(res.text, 'logged in');
  });
});

describe('the error handler on its own', () => {
  /** An Express app with nothing but a failing route and the app's error handler. */
  function bareApp(route: express.RequestHandler, devErrors = false) {
    const app = express();
    app.get('/boom', route);
    const logs: string[] = [];
    const sink = new Writable({ write: (chunk, _e, done) => (logs.push(String(chunk)), done()) });
    app.use(errorHandler(createLogger('info', sink), { devErrors }));
    return { app, logs };
  }

  test('renders the error page when no middleware set anything up', async () => {
    const { app, logs } = bareApp(() => {
      throw new Error('internal detail 8c1e');
    });
    const res = await supertest(app).get('/boom');
    assert.equal(res.status, 500);
    assert.match(res.headers['content-type'] ?? '', /text\/html/);
    assert.ok(!res.text.includes('internal detail 8c1e'), 'the internal message is not shown');
    assertNoInternals(res.text, 'bare 500');
    assert.equal(html(res.text)('main#main').length, 1, 'the app layout');
    assert.ok(logs.some((line) => line.includes('internal detail 8c1e')), 'the log keeps it');
  });

  test('when even the error page cannot be drawn, a plain page answers: never Express\'s default with a stack', async () => {
    const { app } = bareApp((_req, res) => {
      // Something half-set-up that the layout trips over.
      res.locals.h = { asset: () => { throw new Error('broken helper'); } };
      throw new Error('first failure');
    });
    const res = await supertest(app).get('/boom');
    assert.equal(res.status, 500);
    assertNoInternals(res.text, 'double failure');
    assert.ok(!/broken helper|first failure/.test(res.text));
    assert.match(res.text, /went wrong/i);
  });

  test('npm run dev shows the stack of a 500 to the developer', async () => {
    const { app } = bareApp(() => {
      throw new Error('dev detail 4b2d');
    }, true);
    const res = await supertest(app).get('/boom');
    assert.equal(res.status, 500);
    assert.match(res.text, /dev detail 4b2d/);
  });

  test('dev mode is NODE_ENV=development, which only scripts/dev.mjs sets', async () => {
    assert.equal(loadConfig({ NODE_ENV: 'development' }).development, true);
    assert.equal(loadConfig({}).development, false);
    assert.equal(loadConfig({ NODE_ENV: 'test' }).development, false);
    assert.equal(loadConfig({ NODE_ENV: 'production' }).development, false);
    const { readFile } = await import('node:fs/promises');
    const dev = await readFile(new URL('../../scripts/dev.mjs', import.meta.url), 'utf8');
    assert.match(dev, /NODE_ENV: 'development'/);
  });

  test('the app answers in Express\'s production mode outside dev, so its own last resort prints no stack', async () => {
    assert.equal(t.app.get('env'), 'production');
  });
});
