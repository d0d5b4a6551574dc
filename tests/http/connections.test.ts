import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { csrfToken, html, insertConnection as connectionRow, startTestApp, type Agent, type TestApp } from '../support/app.js';

let t: TestApp;
before(async () => {
  t = await startTestApp();
});

const XSS = '<script>alert(1)</script>';

async function idOf(username: string, app: TestApp = t): Promise<number> {
  const row = await app.db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirstOrThrow();
  return row.id;
}

/** Every row between two people, whichever way round (the table allows only one). */
async function rowsBetween(a: number, b: number, app: TestApp = t) {
  return app.db
    .selectFrom('connections')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb.and([eb('user_low', '=', a), eb('user_high', '=', b)]),
        eb.and([eb('user_low', '=', b), eb('user_high', '=', a)]),
      ]),
    )
    .execute();
}

async function rowBetween(a: number, b: number, app: TestApp = t) {
  const rows = await rowsBetween(a, b, app);
  assert.ok(rows.length <= 1, 'at most one row per pair');
  return rows[0];
}

const insertConnection = (a: number, b: number, requestedBy: number, status: 'pending' | 'accepted', acceptedAt?: Date, app: TestApp = t) =>
  connectionRow(app.db, a, b, requestedBy, status, acceptedAt);

/** Two logged-in people and their ids. */
async function pair(a: string, b: string) {
  const agentA = await t.userAgent(a);
  const agentB = await t.userAgent(b);
  return { agentA, agentB, idA: await idOf(a), idB: await idOf(b) };
}

const token = (agent: Agent) => csrfToken(agent, '/connections');

async function post(agent: Agent, path: string, fields: Record<string, string> = {}) {
  return agent.post(path).type('form').send({ _csrf: await token(agent), ...fields });
}

/** The rows of one list on /connections, by username, in order. */
function listed(text: string, list: 'connections' | 'received' | 'sent'): string[] {
  const $ = html(text);
  return $(`[data-list="${list}"] li[data-username]`)
    .map((_i, el) => $(el).attr('data-username'))
    .get();
}

describe('POST /connections', () => {
  test('sends a request: 303 to /connections and a pending row', async () => {
    const { agentA, agentB, idA, idB } = await pair('send_a', 'send_b');
    const res = await post(agentA, '/connections', { username: 'send_b' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/connections');
    const row = await rowBetween(idA, idB);
    assert.ok(row);
    assert.equal(row.user_low, Math.min(idA, idB));
    assert.equal(row.user_high, Math.max(idA, idB));
    assert.equal(row.requested_by, idA);
    assert.equal(row.status, 'pending');
    assert.equal(row.accepted_at, null);

    const mine = await agentA.get('/connections');
    assert.match(html(mine.text)('[role=status]').text(), /Request sent/);
    assert.deepEqual(listed(mine.text, 'sent'), ['send_b']);
    const theirs = await agentB.get('/connections');
    assert.deepEqual(listed(theirs.text, 'received'), ['send_a']);
  });

  test('goes to a same-site next, never another site', async () => {
    const { agentA, idA } = await pair('next_a', 'next_b');
    await t.createUser('next_c');
    const res = await post(agentA, '/connections', { username: 'next_b', next: '/people?q=next' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/people?q=next');
    const evil = await post(agentA, '/connections', { username: 'next_c', next: '//evil.example/x' });
    assert.equal(evil.status, 303);
    assert.equal(evil.headers.location, '/connections');
    assert.equal((await rowBetween(idA, await idOf('next_c')))?.status, 'pending');
  });

  test('the username may be in any case, with spaces around it', async () => {
    const { agentA, idA, idB } = await pair('case_a', 'case_b');
    const res = await post(agentA, '/connections', { username: '  CASE_B ' });
    assert.equal(res.status, 303);
    assert.equal((await rowBetween(idA, idB))?.status, 'pending');
  });

  test('accepts when they already asked me', async () => {
    const { agentA, idA, idB } = await pair('back_a', 'back_b');
    await insertConnection(idA, idB, idB, 'pending');
    const res = await post(agentA, '/connections', { username: 'back_b' });
    assert.equal(res.status, 303);
    const row = await rowBetween(idA, idB);
    assert.ok(row);
    assert.equal(row.status, 'accepted');
    assert.ok(row.accepted_at instanceof Date);
    assert.equal(row.requested_by, idB, 'who asked first is kept');
    assert.match(html((await agentA.get('/connections')).text)('[role=status]').text(), /now connected/);
  });

  test('asking again changes nothing: still my pending request, or still connected', async () => {
    const { agentA, agentB, idA, idB } = await pair('again_a', 'again_b');
    await post(agentA, '/connections', { username: 'again_b' });
    const first = await rowBetween(idA, idB);
    assert.equal((await post(agentA, '/connections', { username: 'again_b' })).status, 303);
    assert.deepEqual(await rowBetween(idA, idB), first);
    await post(agentB, '/connections', { username: 'again_a' });
    const connected = await rowBetween(idA, idB);
    assert.equal(connected?.status, 'accepted');
    assert.equal((await post(agentA, '/connections', { username: 'again_b' })).status, 303);
    assert.equal((await post(agentB, '/connections', { username: 'again_a' })).status, 303);
    assert.deepEqual(await rowBetween(idA, idB), connected);
  });

  test('two people asking each other at once end with one accepted row', async () => {
    // Several rounds, to give a race its chance; logins (the slow part) run side by side.
    const names = ['race_a', ...[0, 1, 2, 3, 4].map((i) => `race_b${i}`)];
    const agents = await Promise.all(names.map((name) => t.userAgent(name)));
    const ids = await Promise.all(names.map((name) => idOf(name)));
    const tokens = await Promise.all(agents.map((agent) => token(agent)));
    for (let i = 1; i < names.length; i++) {
      const [resA, resB] = await Promise.all([
        agents[0]!.post('/connections').type('form').send({ _csrf: tokens[0], username: names[i] }),
        agents[i]!.post('/connections').type('form').send({ _csrf: tokens[i], username: 'race_a' }),
      ]);
      assert.equal(resA.status, 303);
      assert.equal(resB.status, 303);
      const rows = await rowsBetween(ids[0]!, ids[i]!);
      assert.equal(rows.length, 1, 'exactly one row');
      assert.equal(rows[0]!.status, 'accepted');
      assert.ok(rows[0]!.accepted_at);
    }
  });

  test('connecting with myself is 400 and makes no row', async () => {
    const agent = await t.userAgent('selfish');
    const me = await idOf('selfish');
    for (const username of ['selfish', 'SELFISH']) {
      const res = await post(agent, '/connections', { username });
      assert.equal(res.status, 400);
      assert.match(html(res.text)('main').text(), /yourself/i, 'says what is wrong');
    }
    const rows = await t.db.selectFrom('connections').select('user_low').where((eb) => eb.or([eb('user_low', '=', me), eb('user_high', '=', me)])).execute();
    assert.equal(rows.length, 0);
  });

  test('an empty username is 400', async () => {
    const agent = await t.userAgent('emptyname');
    const me = await idOf('emptyname');
    for (const fields of [{ username: '' }, { username: '   ' }, {}] as Record<string, string>[]) {
      const res = await post(agent, '/connections', fields);
      assert.equal(res.status, 400, `for ${JSON.stringify(fields)}`);
    }
    const rows = await t.db.selectFrom('connections').select('user_low').where((eb) => eb.or([eb('user_low', '=', me), eb('user_high', '=', me)])).execute();
    assert.equal(rows.length, 0);
  });

  test('an unknown username is 404', async () => {
    const agent = await t.userAgent('unknown_sender');
    const res = await post(agent, '/connections', { username: 'no_such_user' });
    assert.equal(res.status, 404);
    const me = await idOf('unknown_sender');
    const rows = await t.db.selectFrom('connections').select('user_low').where((eb) => eb.or([eb('user_low', '=', me), eb('user_high', '=', me)])).execute();
    assert.equal(rows.length, 0);
  });
});

describe('accept, decline, remove', () => {
  test('accept: their pending request becomes a connection', async () => {
    const { agentA, idA, idB } = await pair('acc_a', 'acc_b');
    await insertConnection(idA, idB, idB, 'pending');
    const res = await post(agentA, '/connections/acc_b/accept');
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/connections');
    const row = await rowBetween(idA, idB);
    assert.equal(row?.status, 'accepted');
    assert.ok(row?.accepted_at instanceof Date);
    const page = await agentA.get('/connections');
    assert.deepEqual(listed(page.text, 'connections'), ['acc_b']);
    assert.deepEqual(listed(page.text, 'received'), []);
  });

  test('accept works with the username in any case and goes to next', async () => {
    const { agentA, idA, idB } = await pair('acccase_a', 'acccase_b');
    await insertConnection(idA, idB, idB, 'pending');
    const res = await post(agentA, '/connections/ACCCASE_B/accept', { next: '/u/acccase_b' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/u/acccase_b');
    assert.equal((await rowBetween(idA, idB))?.status, 'accepted');
  });

  test('decline: their pending request is gone', async () => {
    const { agentA, agentB, idA, idB } = await pair('dec_a', 'dec_b');
    await insertConnection(idA, idB, idB, 'pending');
    const res = await post(agentA, '/connections/dec_b/decline');
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/connections');
    assert.equal(await rowBetween(idA, idB), undefined);
    assert.deepEqual(listed((await agentB.get('/connections')).text, 'sent'), []);
  });

  test('remove: a connection is gone, from either side', async () => {
    const { agentA, agentB, idA, idB } = await pair('rem_a', 'rem_b');
    await insertConnection(idA, idB, idA, 'accepted');
    const res = await post(agentB, '/connections/rem_a/remove');
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/connections');
    assert.equal(await rowBetween(idA, idB), undefined);
    assert.deepEqual(listed((await agentA.get('/connections')).text, 'connections'), []);
  });

  test('remove also withdraws my own pending request', async () => {
    const { agentA, idA, idB } = await pair('wd_a', 'wd_b');
    await post(agentA, '/connections', { username: 'wd_b' });
    assert.equal((await rowBetween(idA, idB))?.status, 'pending');
    const res = await post(agentA, '/connections/wd_b/remove');
    assert.equal(res.status, 303);
    assert.equal(await rowBetween(idA, idB), undefined);
  });

  test('accepting or declining a request I sent myself is 403 and changes nothing', async () => {
    const { agentA, idA, idB } = await pair('own_a', 'own_b');
    await post(agentA, '/connections', { username: 'own_b' });
    const before = await rowBetween(idA, idB);
    assert.equal(before?.status, 'pending');
    for (const action of ['accept', 'decline']) {
      const res = await post(agentA, `/connections/own_b/${action}`);
      assert.equal(res.status, 403, action);
      assert.deepEqual(await rowBetween(idA, idB), before);
    }
  });

  test('accept or decline with no pending request is 404', async () => {
    const { agentA, idA } = await pair('nopend_a', 'nopend_b');
    const idC = await t.createUser('nopend_c');
    await insertConnection(idA, idC, idC, 'accepted');
    const connected = await rowBetween(idA, idC);
    for (const action of ['accept', 'decline']) {
      assert.equal((await post(agentA, `/connections/nopend_b/${action}`)).status, 404, `${action} with no row`);
      assert.equal((await post(agentA, `/connections/nopend_c/${action}`)).status, 404, `${action} when already connected`);
    }
    assert.equal(await rowBetween(idA, await idOf('nopend_b')), undefined);
    assert.deepEqual(await rowBetween(idA, idC), connected);
  });

  test('remove with no connection is 404; so is removing their request to me', async () => {
    const { agentA, idA, idB } = await pair('norem_a', 'norem_b');
    assert.equal((await post(agentA, '/connections/norem_b/remove')).status, 404);
    await insertConnection(idA, idB, idB, 'pending');
    const before = await rowBetween(idA, idB);
    const res = await post(agentA, '/connections/norem_b/remove');
    assert.equal(res.status, 404, 'a request to me is declined, not removed');
    assert.deepEqual(await rowBetween(idA, idB), before);
  });

  test('an unknown username in the path is 404', async () => {
    const agent = await t.userAgent('path_unknown');
    for (const action of ['accept', 'decline', 'remove']) {
      assert.equal((await post(agent, `/connections/no_such_user/${action}`)).status, 404, action);
    }
  });

  test('an outsider cannot accept, decline or remove what is between two others', async () => {
    const { idA, idB } = await pair('out_a', 'out_b');
    const outsider = await t.userAgent('out_c');
    const idC = await idOf('out_c');
    const idD = await t.createUser('out_d');
    const idE = await t.createUser('out_e');
    await insertConnection(idA, idB, idA, 'pending');
    await insertConnection(idD, idE, idD, 'accepted');
    const pendingBefore = await rowBetween(idA, idB);
    const acceptedBefore = await rowBetween(idD, idE);
    for (const username of ['out_a', 'out_b', 'out_d', 'out_e']) {
      for (const action of ['accept', 'decline', 'remove']) {
        const res = await post(outsider, `/connections/${username}/${action}`);
        assert.ok([403, 404].includes(res.status), `${action} ${username}: ${res.status}`);
      }
    }
    assert.deepEqual(await rowBetween(idA, idB), pendingBefore);
    assert.deepEqual(await rowBetween(idD, idE), acceptedBefore);
    for (const other of [idA, idB, idD, idE]) assert.equal(await rowBetween(idC, other), undefined);
  });
});

describe('guards', () => {
  test('logged out: every POST is 401 before any CSRF check; GET /connections goes to the login form', async () => {
    await t.createUser('lo_target');
    const anon = t.agent();
    for (const path of ['/connections', '/connections/lo_target/accept', '/connections/lo_target/decline', '/connections/lo_target/remove']) {
      assert.equal((await anon.post(path).type('form').send({ username: 'lo_target' })).status, 401, `${path} without a token`);
      assert.equal((await anon.post(path).type('form').send({ username: 'lo_target', _csrf: 'bogus' })).status, 401, `${path} with a bad token`);
      assert.equal((await anon.post(path).set('HX-Request', 'true').set('X-CSRF-Token', 'bogus')).status, 401, `${path} from htmx`);
    }
    const page = await anon.get('/connections');
    assert.equal(page.status, 303);
    assert.equal(page.headers.location, '/login?next=%2Fconnections');
    assert.equal((await anon.get('/connections').set('HX-Request', 'true')).status, 401);
    assert.equal(await t.db.selectFrom('connections').select('user_low').where('user_low', '=', await idOf('lo_target')).executeTakeFirst(), undefined);
    assert.equal(await t.db.selectFrom('connections').select('user_low').where('user_high', '=', await idOf('lo_target')).executeTakeFirst(), undefined);
  });

  test('a missing or wrong CSRF token is 403 and nothing changes', async () => {
    const { agentA, idA, idB } = await pair('csrf_a', 'csrf_b');
    const idC = await t.createUser('csrf_c');
    const idD = await t.createUser('csrf_d');
    await insertConnection(idA, idC, idC, 'pending');
    await insertConnection(idA, idD, idA, 'accepted');
    const snapshot = async () => [await rowBetween(idA, idB), await rowBetween(idA, idC), await rowBetween(idA, idD)];
    const before = await snapshot();
    await token(agentA); // the session has a token; the requests below just do not carry it
    const attempts: [string, Record<string, string>][] = [
      ['/connections', { username: 'csrf_b' }],
      ['/connections/csrf_c/accept', {}],
      ['/connections/csrf_c/decline', {}],
      ['/connections/csrf_d/remove', {}],
    ];
    for (const [path, fields] of attempts) {
      assert.equal((await agentA.post(path).type('form').send(fields)).status, 403, `${path} without a token`);
      assert.equal((await agentA.post(path).type('form').send({ ...fields, _csrf: 'not-the-token' })).status, 403, `${path} with a wrong token`);
      assert.equal(
        (await agentA.post(path).type('form').set('HX-Request', 'true').set('X-CSRF-Token', 'not-the-token').send(fields)).status,
        403,
        `${path} with a wrong header`,
      );
    }
    // Another person's valid token is not mine.
    const otherToken = await token(await t.userAgent('csrf_e'));
    assert.equal((await agentA.post('/connections').type('form').send({ username: 'csrf_b', _csrf: otherToken })).status, 403);
    assert.deepEqual(await snapshot(), before);
  });
});

describe('htmx', () => {
  const hx = async (agent: Agent, path: string, fields: Record<string, string> = {}) =>
    agent.post(path).type('form').set('HX-Request', 'true').set('X-CSRF-Token', await token(agent)).send(fields);

  const fragment = (res: { status: number; text: string }) => {
    assert.equal(res.status, 200);
    assert.ok(!/<html/i.test(res.text), 'no page around the fragment');
    assert.ok(!res.text.includes('messages-badge'), 'no navbar');
    const $ = html(res.text);
    const actions = $('[data-connection-actions]');
    assert.equal(actions.length, 1);
    assert.equal($('body').children().length, 1, 'just the actions');
    return { $, actions, state: actions.attr('data-state') };
  };

  test('each action answers 200 with the actions in their new state', async () => {
    const { agentA, agentB, idA, idB } = await pair('hx_a', 'hx_b');

    const sent = fragment(await hx(agentA, '/connections', { username: 'hx_b' }));
    assert.equal(sent.state, 'sent');
    assert.equal(sent.actions.find('form').attr('action'), '/connections/hx_b/remove');
    assert.equal((await rowBetween(idA, idB))?.status, 'pending');

    const accepted = fragment(await hx(agentB, '/connections/hx_a/accept'));
    assert.equal(accepted.state, 'connected');
    assert.equal((await rowBetween(idA, idB))?.status, 'accepted');

    const removed = fragment(await hx(agentA, '/connections/hx_b/remove'));
    assert.equal(removed.state, 'none');
    assert.equal(removed.actions.find('input[name=username]').val(), 'hx_b');
    assert.equal(await rowBetween(idA, idB), undefined);

    await hx(agentA, '/connections', { username: 'hx_b' });
    const declined = fragment(await hx(agentB, '/connections/hx_a/decline'));
    assert.equal(declined.state, 'none');
    assert.equal(await rowBetween(idA, idB), undefined);

    await hx(agentA, '/connections', { username: 'hx_b' });
    const withdrawn = fragment(await hx(agentA, '/connections/hx_b/remove'));
    assert.equal(withdrawn.state, 'none');
    assert.equal(await rowBetween(idA, idB), undefined);

    await insertConnection(idA, idB, idB, 'pending');
    const backAccepted = fragment(await hx(agentA, '/connections', { username: 'hx_b' }));
    assert.equal(backAccepted.state, 'connected');
    assert.equal((await rowBetween(idA, idB))?.status, 'accepted');
  });

  test('the outcome is the same as without htmx: errors keep their status', async () => {
    const { agentA, idA, idB } = await pair('hxerr_a', 'hxerr_b');
    await hx(agentA, '/connections', { username: 'hxerr_b' });
    const before = await rowBetween(idA, idB);
    assert.equal((await hx(agentA, '/connections/hxerr_b/accept')).status, 403);
    assert.equal((await hx(agentA, '/connections/no_such_user/accept')).status, 404);
    assert.equal((await hx(agentA, '/connections', { username: '' })).status, 400);
    assert.equal((await hx(agentA, '/connections', { username: 'hxerr_a' })).status, 400);
    assert.deepEqual(await rowBetween(idA, idB), before);
  });
});

describe('GET /connections', () => {
  test('lists my connections, invitations and sent requests, with counts', async () => {
    const agent = await t.userAgent('list_me');
    const me = await idOf('list_me');
    const ids: Record<string, number> = {};
    for (const name of ['list_c1', 'list_c2', 'list_r1', 'list_r2', 'list_r3', 'list_s1', 'list_x']) ids[name] = await t.createUser(name);
    await insertConnection(me, ids.list_c1!, me, 'accepted', new Date('2024-01-01T00:00:00Z'));
    await insertConnection(me, ids.list_c2!, ids.list_c2!, 'accepted', new Date('2024-02-01T00:00:00Z'));
    await insertConnection(me, ids.list_r1!, ids.list_r1!, 'pending');
    await insertConnection(me, ids.list_r2!, ids.list_r2!, 'pending');
    await insertConnection(me, ids.list_r3!, ids.list_r3!, 'pending');
    await insertConnection(me, ids.list_s1!, me, 'pending');
    // Someone else's connection is none of my business.
    await insertConnection(ids.list_x!, ids.list_c1!, ids.list_x!, 'accepted');

    const res = await agent.get('/connections');
    assert.equal(res.status, 200);
    const $ = html(res.text);
    assert.deepEqual(listed(res.text, 'connections'), ['list_c2', 'list_c1'], 'newest first');
    assert.deepEqual(listed(res.text, 'received').sort(), ['list_r1', 'list_r2', 'list_r3']);
    assert.deepEqual(listed(res.text, 'sent'), ['list_s1']);
    assert.match($('#received-title').text(), /\(3\)/);
    assert.match($('#sent-title').text(), /\(1\)/);

    const stateIn = (list: string) =>
      $(`[data-list="${list}"] [data-connection-actions]`)
        .map((_i, el) => $(el).attr('data-state'))
        .get();
    assert.deepEqual(stateIn('connections'), ['connected', 'connected']);
    assert.deepEqual(stateIn('received'), ['received', 'received', 'received']);
    assert.deepEqual(stateIn('sent'), ['sent']);
    assert.equal($('a[rel="next"]').length, 0);
  });

  test('with nothing yet, it says so', async () => {
    const agent = await t.userAgent('lonely');
    const res = await agent.get('/connections');
    assert.equal(res.status, 200);
    assert.deepEqual(listed(res.text, 'connections'), []);
    assert.deepEqual(listed(res.text, 'received'), []);
    assert.deepEqual(listed(res.text, 'sent'), []);
    assert.match(html(res.text)('main').text(), /no connections yet/i);
  });

  test('paginates connections by keyset, newest first, with no duplicates or gaps', async () => {
    const agent = await t.userAgent('many_me');
    const me = await idOf('many_me');
    const expected: { id: number; username: string; at: number }[] = [];
    const base = Date.parse('2024-06-01T12:00:00.000Z');
    for (let i = 0; i < 65; i++) {
      const username = `many_${String(i).padStart(2, '0')}`;
      const id = await t.createUser(username);
      // Groups of three share the same accepted_at, so the tie-break on id matters.
      const at = base + Math.floor(i / 3) * 60_000 + 123;
      await insertConnection(me, id, i % 2 ? me : id, 'accepted', new Date(at));
      expected.push({ id, username, at });
    }
    // Pending rows are not connections.
    for (let i = 0; i < 3; i++) {
      const id = await t.createUser(`many_pending_${i}`);
      await insertConnection(me, id, id, 'pending');
    }
    expected.sort((x, y) => y.at - x.at || y.id - x.id);

    const seen: string[] = [];
    const sizes: number[] = [];
    let url: string | undefined = '/connections';
    while (url) {
      assert.ok(sizes.length < 10, 'pagination ends');
      const res = await agent.get(url);
      assert.equal(res.status, 200);
      const names = listed(res.text, 'connections');
      sizes.push(names.length);
      seen.push(...names);
      const next = html(res.text)('a[rel="next"]').attr('href');
      if (next) assert.match(next, /^\/connections\?after=[^&]+$/);
      url = next;
    }
    assert.deepEqual(sizes, [30, 30, 5]);
    assert.equal(new Set(seen).size, seen.length, 'no duplicates');
    assert.deepEqual(seen, expected.map((e) => e.username), 'everyone, newest first, no gaps');
  });

  test('exactly 30 connections fit on one page with no "more" link', async () => {
    const agent = await t.userAgent('thirty_me');
    const me = await idOf('thirty_me');
    for (let i = 0; i < 30; i++) {
      const id = await t.createUser(`thirty_${String(i).padStart(2, '0')}`);
      await insertConnection(me, id, me, 'accepted');
    }
    const res = await agent.get('/connections');
    assert.equal(listed(res.text, 'connections').length, 30);
    assert.equal(html(res.text)('a[rel="next"]').length, 0);
  });

  test('a garbled cursor shows the first page (or a 400), never a server error', async () => {
    const agent = await t.userAgent('garbled_me');
    const me = await idOf('garbled_me');
    const id = await t.createUser('garbled_other');
    await insertConnection(me, id, me, 'accepted');
    for (const after of ['x', 'bm90IGEgY3Vyc29y', "'; drop table users; --"]) {
      const res = await agent.get('/connections').query({ after });
      assert.equal(res.status, 200, after);
      assert.deepEqual(listed(res.text, 'connections'), ['garbled_other']);
    }
    // Shaped like a cursor but not a real time: refused or ignored, never a server error.
    const impossible = Buffer.from('2024-13-45 99:99:99|1').toString('base64url');
    const res = await agent.get('/connections').query({ after: impossible });
    assert.ok([200, 400].includes(res.status), `status ${res.status}`);
  });

  test('a script-tag name is escaped in the lists, the notice and the htmx fragment', async () => {
    const agent = await t.userAgent('xssc_me');
    const me = await idOf('xssc_me');
    const idX = await t.createUser('xssc_person', XSS);
    const idY = await t.createUser('xssc_other', XSS);
    await insertConnection(me, idX, idX, 'pending');
    await insertConnection(me, idY, idY, 'pending');

    const page = await agent.get('/connections');
    assert.deepEqual(listed(page.text, 'received').sort(), ['xssc_other', 'xssc_person']);
    assert.ok(!page.text.includes(XSS));

    const res = await post(agent, '/connections/xssc_person/accept');
    assert.equal(res.status, 303);
    const after = await agent.get('/connections');
    assert.ok(!after.text.includes(XSS), 'the notice is escaped');
    assert.match(html(after.text)('[role=status]').text(), /<script>alert\(1\)<\/script>/, 'and reads as typed');

    const fragment = await agent
      .post('/connections/xssc_other/accept')
      .type('form')
      .set('HX-Request', 'true')
      .set('X-CSRF-Token', await token(agent))
      .send({});
    assert.equal(fragment.status, 200);
    assert.ok(!fragment.text.includes(XSS));
    assert.equal((await rowBetween(me, idY))?.status, 'accepted');
  });
});
