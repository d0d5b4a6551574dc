import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { csrfToken, html, insertConnection as connectionRow, logIn, startTestApp, type Agent, type TestApp } from '../support/app.js';

let t: TestApp;
before(async () => {
  t = await startTestApp();
});

const XSS = '<script>alert(1)</script>';

async function idOf(app: TestApp, username: string): Promise<number> {
  const row = await app.db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirstOrThrow();
  return row.id;
}

const insertConnection = (app: TestApp, a: number, b: number, requestedBy: number, status: 'pending' | 'accepted') =>
  connectionRow(app.db, a, b, requestedBy, status);

/** The usernames of the rows on a directory page (full page or fragment), in order. */
function rowUsernames(text: string): string[] {
  const $ = html(text);
  return $('li[data-username]')
    .map((_i, el) => $(el).attr('data-username'))
    .get();
}

/** The state shown on each row of a directory page, by username. */
function rowStates(text: string): Record<string, string | undefined> {
  const $ = html(text);
  const states: Record<string, string | undefined> = {};
  $('li[data-username]').each((_i, el) => {
    const actions = $(el).find('[data-connection-actions]');
    assert.equal(actions.length, 1, `one set of actions on the row of ${$(el).attr('data-username')}`);
    states[$(el).attr('data-username')!] = actions.attr('data-state');
  });
  return states;
}

const nextLink = (text: string) => html(text)('a[rel="next"]').attr('href');

async function search(agent: Agent, q: string) {
  const res = await agent.get('/people').query({ q });
  assert.equal(res.status, 200);
  return rowUsernames(res.text);
}

describe('GET /people', () => {
  test('lists the others but not me, each row with its connection state', async () => {
    const app = await startTestApp();
    const agent = await app.userAgent('dir_me');
    for (const name of ['dir_none', 'dir_sent', 'dir_recv', 'dir_conn']) await app.createUser(name);
    const me = await idOf(app, 'dir_me');
    await insertConnection(app, me, await idOf(app, 'dir_sent'), me, 'pending');
    await insertConnection(app, me, await idOf(app, 'dir_recv'), await idOf(app, 'dir_recv'), 'pending');
    await insertConnection(app, me, await idOf(app, 'dir_conn'), me, 'accepted');

    const res = await agent.get('/people');
    assert.equal(res.status, 200);
    assert.match(res.text, /<html/);
    assert.deepEqual(rowUsernames(res.text), ['dir_conn', 'dir_none', 'dir_recv', 'dir_sent']);
    assert.deepEqual(rowStates(res.text), { dir_conn: 'connected', dir_none: 'none', dir_recv: 'received', dir_sent: 'sent' });
    assert.equal(nextLink(res.text), undefined, 'no "Load more" when everything fits on one page');

    // The state is seen from the viewer: the one I asked sees a request received from me.
    const other = app.agent();
    await logIn(other, 'dir_sent');
    const theirs = await other.get('/people');
    assert.equal(rowStates(theirs.text).dir_me, 'received');
    assert.ok(!rowUsernames(theirs.text).includes('dir_sent'));
  });

  test('searching for my own name does not find me', async () => {
    const agent = await t.userAgent('selfsearch', 'Selfie Searcher');
    assert.deepEqual(await search(agent, 'selfsearch'), []);
    assert.deepEqual(await search(agent, 'Selfie'), []);
  });

  test('q matches any part of the username or the display name, in any case', async () => {
    const agent = await t.userAgent('finder');
    await t.createUser('zora_neale', 'Hurston Writer');
    await t.createUser('zadie_s', 'Smith Novelist');
    assert.deepEqual(await search(agent, 'zora_neale'), ['zora_neale']);
    assert.deepEqual(await search(agent, 'NEALE'), ['zora_neale'], 'part of the username, other case');
    assert.deepEqual(await search(agent, 'hURSTON'), ['zora_neale'], 'part of the name, other case');
    assert.deepEqual(await search(agent, 'writ'), ['zora_neale']);
    assert.deepEqual(await search(agent, ' novelist '), ['zadie_s'], 'surrounding spaces are ignored');
    assert.deepEqual(await search(agent, 'ston wri'), ['zora_neale'], 'across words of the name');
    const none = await agent.get('/people').query({ q: 'qqqnomatchqqq' });
    assert.equal(none.status, 200);
    assert.deepEqual(rowUsernames(none.text), []);
    assert.match(html(none.text)('#people-results').text(), /Nobody matches/);
    assert.equal(html(none.text)('#people-q').val(), 'qqqnomatchqqq', 'the search box keeps the query');
  });

  test('q matches non-ASCII names in any case', async () => {
    const agent = await t.userAgent('unifinder');
    await t.createUser('emile_z', 'Émile Zola');
    assert.deepEqual(await search(agent, 'Émile'), ['emile_z']);
    assert.deepEqual(await search(agent, 'émile'), ['emile_z']);
    assert.deepEqual(await search(agent, 'ÉMILE'), ['emile_z']);
  });

  test('q does not match text that runs across the username into the name', async () => {
    const agent = await t.userAgent('seamfinder');
    await t.createUser('seam_left', 'Right Side');
    assert.deepEqual(await search(agent, 'left'), ['seam_left']);
    assert.deepEqual(await search(agent, 'right side'), ['seam_left']);
    // "left right" is part of neither the username nor the name.
    assert.deepEqual(await search(agent, 'left right'), []);
  });

  test('LIKE wildcards in q are matched literally', async () => {
    const agent = await t.userAgent('wildcard');
    await t.createUser('wild_pct', 'Fifty % Off');
    await t.createUser('wild_nopct', 'Fifty Off');
    await t.createUser('abc_def', 'Underscored');
    await t.createUser('abcxdef', 'Not Underscored');
    await t.createUser('wild_slash', 'Back\\slash');
    assert.deepEqual(await search(agent, '%'), ['wild_pct']);
    assert.deepEqual(await search(agent, 'fifty %'), ['wild_pct']);
    assert.deepEqual(await search(agent, 'c_d'), ['abc_def'], '_ is not "any one character"');
    assert.deepEqual(await search(agent, 'c%d'), []);
    assert.deepEqual(await search(agent, '\\'), ['wild_slash'], 'a backslash is not an escape either');
  });

  test('keyset pagination: "Load more" walks every person once, in order, with no gaps', async () => {
    const app = await startTestApp();
    const agent = await app.userAgent('aaa_me');
    const others: string[] = [];
    // 40 others: exactly two full pages, so the second must not offer an empty third.
    for (let i = 1; i <= 40; i++) {
      const username = `pager_${String(i).padStart(2, '0')}`;
      others.push(username);
      await app.createUser(username, i % 2 ? `Odd Person ${i}` : `Even Person ${i}`);
    }
    const expected = [...others].sort();

    const seen: string[] = [];
    const pageSizes: number[] = [];
    let url: string | undefined = '/people';
    while (url) {
      assert.ok(pageSizes.length < 10, 'pagination ends');
      const res = await agent.get(url);
      assert.equal(res.status, 200);
      const names = rowUsernames(res.text);
      pageSizes.push(names.length);
      seen.push(...names);
      const next = nextLink(res.text);
      if (next) {
        const parsed = new URL(next, 'http://x');
        assert.equal(parsed.pathname, '/people');
        assert.ok(parsed.searchParams.get('after'), 'the link carries a cursor');
        assert.equal(html(res.text)('a[rel="next"]').text().trim(), 'Load more');
      }
      url = next;
    }
    assert.deepEqual(pageSizes, [20, 20]);
    assert.equal(new Set(seen).size, seen.length, 'no duplicates');
    assert.deepEqual(seen, expected, 'everyone, in username order, no gaps');
    assert.ok(!seen.includes('aaa_me'));

    // The same walk through htmx's "Load more": each answer is a fragment of rows.
    const first = await agent.get('/people').set('HX-Request', 'true');
    const link = nextLink(first.text);
    assert.ok(link);
    const more = await agent.get(link).set('HX-Request', 'true');
    assert.equal(more.status, 200);
    assert.ok(!/<html/i.test(more.text));
    assert.deepEqual([...rowUsernames(first.text), ...rowUsernames(more.text)], expected);
    assert.equal(nextLink(more.text), undefined);

    // With a search, the cursor keeps the query: only the odd ones, 20 of them, then none.
    await app.createUser('pager_41', 'Odd Person 41');
    const odd = await agent.get('/people').query({ q: 'ODD' });
    const oddNames = rowUsernames(odd.text);
    assert.equal(oddNames.length, 20);
    const oddNext = nextLink(odd.text);
    assert.ok(oddNext);
    assert.equal(new URL(oddNext, 'http://x').searchParams.get('q'), 'ODD');
    const oddMore = await agent.get(oddNext);
    const oddRest = rowUsernames(oddMore.text);
    const allOdd = [...oddNames, ...oddRest];
    assert.equal(new Set(allOdd).size, allOdd.length);
    assert.deepEqual(allOdd, [...expected.filter((_n, i) => i % 2 === 0), 'pager_41']);
    assert.equal(nextLink(oddMore.text), undefined);
  });

  test('with HX-Request it answers only the results fragment', async () => {
    const agent = await t.userAgent('htmxer');
    await t.createUser('htmx_target', 'Fragment Person');
    const res = await agent.get('/people').query({ q: 'htmx_tar' }).set('HX-Request', 'true');
    assert.equal(res.status, 200);
    assert.ok(!/<html/i.test(res.text), 'no page around the fragment');
    assert.ok(!res.text.includes('messages-badge'), 'no navbar');
    const $ = html(res.text);
    assert.equal($('#people-results').length, 1);
    assert.deepEqual(rowUsernames(res.text), ['htmx_target']);
    assert.equal(rowStates(res.text).htmx_target, 'none');
  });

  test('logged out: 303 to the login form, coming back to the same URL', async () => {
    const res = await t.agent().get('/people?q=a%20b');
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/login?next=%2Fpeople%3Fq%3Da%2520b');
    const plain = await t.agent().get('/people');
    assert.equal(plain.status, 303);
    assert.equal(plain.headers.location, '/login?next=%2Fpeople');
    const htmx = await t.agent().get('/people').set('HX-Request', 'true');
    assert.equal(htmx.status, 401, 'an htmx request is not a page');
  });
});

describe('GET /u/:username', () => {
  test('shows the name, the initials avatar and the join time', async () => {
    const agent = await t.userAgent('prof_viewer');
    await t.createUser('prof_plain', 'Marie Curie');
    const user = await t.db.selectFrom('users').selectAll().where('username', '=', 'prof_plain').executeTakeFirstOrThrow();
    const res = await agent.get('/u/prof_plain');
    assert.equal(res.status, 200);
    const $ = html(res.text);
    const profile = $('article');
    assert.equal(profile.find('h1').text().trim(), 'Marie Curie');
    assert.match(profile.text(), /@prof_plain/);
    assert.equal(profile.find('img').length, 0, 'no photo');
    const initials = profile.find('span[role="img"], span[aria-hidden="true"]').filter((_i, el) => $(el).text().trim() === 'MC');
    assert.equal(initials.length, 1, 'the initials stand in for the photo');
    const time = profile.find('time[datetime]');
    assert.equal(time.length, 1);
    assert.equal(time.attr('datetime'), new Date(user.created_at).toISOString());
    assert.ok(time.text().trim().length > 0);
  });

  test('shows the photo when there is one, served at a versioned URL', async () => {
    const agent = await t.userAgent('photo_viewer');
    const id = await t.createUser('photo_owner', 'Photo Owner');
    const small = Buffer.from('RIFF\u0000\u0000\u0000\u0000WEBPsmall');
    const large = Buffer.from('RIFF\u0000\u0000\u0000\u0000WEBPlarge');
    await t.db.insertInto('user_avatars').values({ user_id: id, small, large }).execute();
    await t.db.updateTable('users').set({ avatar_version: 3 }).where('id', '=', id).execute();

    const res = await agent.get('/u/photo_owner');
    assert.equal(res.status, 200);
    const img = html(res.text)('article img');
    assert.equal(img.length, 1);
    assert.equal(img.attr('src'), `/avatars/${id}/3/large.webp`);
    assert.match(img.attr('alt') ?? '', /Photo Owner/);

    const photo = await agent.get(`/avatars/${id}/3/large.webp`);
    assert.equal(photo.status, 200);
    assert.match(photo.headers['content-type'] ?? '', /^image\/webp/);
    assert.deepEqual(photo.body, large);
    const smallPhoto = await agent.get(`/avatars/${id}/3/small.webp`);
    assert.equal(smallPhoto.status, 200);
    assert.deepEqual(smallPhoto.body, small);
    assert.equal((await agent.get(`/avatars/${id}/2/large.webp`)).status, 404, 'an old version is gone');

    // The directory row shows the small photo.
    const list = await agent.get('/people').query({ q: 'photo_owner' });
    assert.equal(html(list.text)('li[data-username="photo_owner"] img').attr('src'), `/avatars/${id}/3/small.webp`);
  });

  test('a user without a photo has no avatar image: 404', async () => {
    const agent = await t.userAgent('nophoto_viewer');
    const id = await t.createUser('nophoto_owner');
    assert.equal((await agent.get(`/avatars/${id}/1/small.webp`)).status, 404);
    assert.equal((await agent.get(`/avatars/${id}/0/small.webp`)).status, 404);
    assert.equal((await agent.get(`/avatars/${id}/1/large.webp`)).status, 404);
  });

  test('shows the connection state: none, sent, received, connected, self', async () => {
    const agent = await t.userAgent('state_me');
    const me = await idOf(t, 'state_me');
    await t.createUser('state_none');
    const sent = await t.createUser('state_sent');
    const received = await t.createUser('state_recv');
    const connected = await t.createUser('state_conn');
    await insertConnection(t, me, sent, me, 'pending');
    await insertConnection(t, me, received, received, 'pending');
    await insertConnection(t, me, connected, connected, 'accepted');

    const stateOn = async (username: string) => {
      const res = await agent.get(`/u/${username}`);
      assert.equal(res.status, 200);
      const $ = html(res.text);
      const actions = $('article [data-connection-actions]');
      assert.equal(actions.length, 1);
      return { state: actions.attr('data-state'), $, actions };
    };

    const n = await stateOn('state_none');
    assert.equal(n.state, 'none');
    const form = n.actions.find('form');
    assert.equal(form.attr('method'), 'post');
    assert.equal(form.attr('action'), '/connections');
    assert.equal(form.find('input[name=username]').val(), 'state_none');
    assert.ok(form.find('input[name=_csrf]').val());

    const s = await stateOn('state_sent');
    assert.equal(s.state, 'sent');
    assert.equal(s.actions.find('form').attr('action'), '/connections/state_sent/remove');

    const r = await stateOn('state_recv');
    assert.equal(r.state, 'received');
    assert.deepEqual(
      r.actions.find('form').map((_i, el) => r.$(el).attr('action')).get(),
      ['/connections/state_recv/accept', '/connections/state_recv/decline'],
    );

    const c = await stateOn('state_conn');
    assert.equal(c.state, 'connected');
    assert.deepEqual(
      c.actions.find('form').map((_i, el) => c.$(el).attr('action')).get(),
      ['/messages', '/connections/state_conn/remove'],
      'a connection can be messaged (a form posting `to` to /messages) and removed',
    );
    assert.equal(c.actions.find('form[action="/messages"] input[name=to]').val(), 'state_conn');

    const self = await stateOn('state_me');
    assert.equal(self.state, 'self');
    assert.equal(self.actions.find('form').length, 0, 'nothing to connect with myself');
  });

  test('the username may be given in any case; an unknown one is 404', async () => {
    const agent = await t.userAgent('case_viewer');
    await t.createUser('case_target', 'Case Target');
    const res = await agent.get('/u/CASE_Target');
    assert.equal(res.status, 200);
    assert.equal(html(res.text)('article h1').text().trim(), 'Case Target');
    const missing = await agent.get('/u/nobody_here');
    assert.equal(missing.status, 404);
    assert.ok(!html(missing.text)('article [data-connection-actions]').length);
    assert.equal((await agent.get('/u/NOBODY_HERE')).status, 404);
  });

  test('logged out: 303 to the login form with next', async () => {
    await t.createUser('lo_target');
    const res = await t.agent().get('/u/x');
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/login?next=%2Fu%2Fx');
    const known = await t.agent().get('/u/lo_target');
    assert.equal(known.status, 303);
    assert.equal(known.headers.location, '/login?next=%2Fu%2Flo_target');
  });
});

describe('names are text, never HTML', () => {
  test('a display name with a script tag is escaped on every people page', async () => {
    const agent = await t.userAgent('xss_viewer');
    await t.createUser('xss_person', XSS);
    const urls = ['/people?q=xss_person', '/people?q=script', '/u/xss_person'];
    const pages = [
      ...(await Promise.all(urls.map((url) => agent.get(url)))),
      await agent.get('/people').query({ q: 'xss_person' }).set('HX-Request', 'true'),
    ];
    for (const [i, res] of pages.entries()) {
      assert.equal(res.status, 200);
      assert.ok(!res.text.includes(XSS), `the raw tag never appears (${urls[i] ?? 'htmx fragment'})`);
      assert.ok(!/<script>alert/i.test(res.text));
      assert.ok(res.text.includes('&lt;script&gt;'), 'it is shown, escaped');
    }
    assert.deepEqual(rowUsernames(pages[1]!.text), ['xss_person']);
    assert.equal(html(pages[2]!.text)('article h1').text().trim(), XSS, 'the name reads as typed');
    // The token helper reads a form; the profile carries one, so the page is a working one.
    assert.ok(await csrfToken(agent, '/u/xss_person'));
  });

  test('my own script-tag name is escaped in the navbar too', async () => {
    const agent = await t.userAgent('xss_self', XSS);
    const res = await agent.get('/people');
    assert.equal(res.status, 200);
    assert.ok(!res.text.includes(XSS));
  });
});
