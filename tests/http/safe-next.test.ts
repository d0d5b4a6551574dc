import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { safeNext } from '../../src/http/safe-next.js';
import { newMember } from '../support/members.js';
import { csrfToken, html, PASSWORD, startTestApp, type TestApp } from '../support/app.js';

// `next` comes from the URL or a form: it may only ever name a path on this site. Browsers strip
// TAB, CR and LF from URLs and read a backslash as a slash, so "/\t/evil.example" is
// "//evil.example" to them: another site.

const FALLBACK = '/fallback';

describe('safeNext', () => {
  test('same-site paths are kept as they are', () => {
    for (const path of ['/', '/messages', '/people?q=x', '/u/bob/block?next=%2F', '/messages/12#m-40', '/a%09b', '/search?q=a%2F%2Fb']) {
      assert.equal(safeNext(path, FALLBACK), path, path);
    }
  });

  test('control characters anywhere are refused (the reported TAB, CR, LF and the rest)', () => {
    for (const path of ['/\t/evil.example', '/\r/evil.example', '/\n/evil.example', '/\t\t/evil.example', '/x\u0000', '/\u001f/evil.example', '/\u007f', '/\u0085/x', '/messages\n']) {
      assert.equal(safeNext(path, FALLBACK), FALLBACK, JSON.stringify(path));
    }
  });

  test('a backslash anywhere is refused', () => {
    for (const path of ['/\\evil.example', '/x\\y', '/\\/evil.example', '\\\\evil.example']) {
      assert.equal(safeNext(path, FALLBACK), FALLBACK, JSON.stringify(path));
    }
  });

  test('other origins, schemes and paths that resolve elsewhere are refused', () => {
    for (const path of ['//evil.example', 'https://evil.example/', 'javascript:alert(1)', 'evil.example', '', ' /messages', '/../../etc', '/a/./b', '/a/../b', '///evil.example', '/%2e%2e/x']) {
      assert.equal(safeNext(path, FALLBACK), FALLBACK, JSON.stringify(path));
    }
  });

  test('anything not a string, or very long, falls back', () => {
    assert.equal(safeNext(undefined, FALLBACK), FALLBACK);
    assert.equal(safeNext(['/a', '/b'], FALLBACK), FALLBACK);
    assert.equal(safeNext(`/${'a'.repeat(600)}`, FALLBACK), FALLBACK);
  });
});

describe('where next is used', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });

  test('the block page\'s Cancel link from ?next=%2F%09%2Fevil.example stays on the site', async () => {
    const alice = await newMember(t, 'alice');
    const bob = await newMember(t, 'bob');
    const res = await alice.agent.get(`/u/${bob.username}/block?next=%2F%09%2Fevil.example`);
    assert.equal(res.status, 200);
    const $ = html(res.text);
    const cancel = $('a').filter((_i, a) => $(a).text().trim() === 'Cancel').attr('href');
    assert.equal(cancel, `/u/${bob.username}`);
    assert.equal($('input[name=next]').val(), `/u/${bob.username}`);
    for (const href of $('a').map((_i, a) => $(a).attr('href')).get()) {
      assert.equal(new URL(href, 'http://courier.test').origin, 'http://courier.test', `${JSON.stringify(href)} stays on the site`);
    }
  });

  test('login with next=/\\t/evil.example goes to /messages', async () => {
    await t.createUser('nora');
    const agent = t.agent();
    const token = await csrfToken(agent, '/login');
    const res = await agent.post('/login').type('form').send({ username: 'nora', password: PASSWORD, next: '/\t/evil.example', _csrf: token });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/messages');
  });
});
