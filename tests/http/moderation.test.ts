import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { csrfToken, html, logIn, PASSWORD, startTestApp, type Agent, type TestApp } from '../support/app.js';
import { openConversation, sendMessage } from '../support/messaging.js';

// Moderation (CONTRACT.md, Safety): who may use /admin, the report queue, the report page, the
// four actions (dismiss, warn, suspend, redact) and the audit trail they all leave.

let t: TestApp;
before(async () => {
  t = await startTestApp();
});

const DAY_MS = 24 * 60 * 60 * 1000;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)$/;
const REMOVED = 'Removed by a moderator';

interface Member {
  agent: Agent;
  id: number;
  username: string;
  name: string;
  /** The session's CSRF token (it stays the same for a logged-in session). */
  token: string;
}

let serial = 0;
/** A logged-in member with a unique username and display name. */
async function member(prefix: string, app: TestApp = t): Promise<Member> {
  serial += 1;
  const username = `${prefix}_${serial}`;
  const name = `${prefix.charAt(0).toUpperCase()}${prefix.slice(1)} Person${serial}`;
  const agent = await app.userAgent(username, name);
  const row = await app.db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirstOrThrow();
  return { agent, id: row.id, username, name, token: await csrfToken(agent, '/settings') };
}

/** A member made an admin the documented way (the role column). */
async function moderator(app: TestApp = t): Promise<Member> {
  const mod = await member('mod', app);
  await app.db.updateTable('users').set({ role: 'admin' }).where('id', '=', mod.id).execute();
  return mod;
}

/** Connects two members and opens their conversation (through the route). */
async function converse(a: Member, b: Member, app: TestApp = t): Promise<number> {
  await app.connect(a.id, b.id);
  return openConversation(a, b);
}

const unique = (label: string) => `${label} ${randomUUID()}`;

interface ReportFields {
  reason?: string;
  details?: string;
  message_ids?: number[];
  from?: string;
  block?: string;
}

function postReport(reporter: Member, reported: Member, fields: ReportFields = {}) {
  const form: Record<string, string | string[]> = { _csrf: reporter.token, reason: fields.reason ?? 'harassment', details: fields.details ?? '' };
  if (fields.message_ids) form.message_ids = fields.message_ids.map(String);
  if (fields.from !== undefined) form.from = fields.from;
  if (fields.block !== undefined) form.block = fields.block;
  return reporter.agent.post(`/u/${reported.username}/report`).type('form').send(form);
}

/** Files a report through the route; its id. */
async function fileReport(reporter: Member, reported: Member, fields: ReportFields = {}, app: TestApp = t): Promise<number> {
  const res = await postReport(reporter, reported, fields);
  assert.equal(res.status, 303, `report: ${res.status} ${res.text.slice(0, 300)}`);
  const row = await app.db
    .selectFrom('reports')
    .select('id')
    .where('reporter_id', '=', reporter.id)
    .where('reported_id', '=', reported.id)
    .orderBy('id', 'desc')
    .executeTakeFirstOrThrow();
  return row.id;
}

function resolve(mod: Member, reportId: number | string, fields: Record<string, string | string[]>) {
  return mod.agent.post(`/admin/reports/${reportId}/resolve`).type('form').send({ _csrf: mod.token, ...fields });
}

interface SentMessage {
  id: number;
  body: string;
  from: Member;
}

interface ReportCase {
  reporter: Member;
  reported: Member;
  conversation: number;
  /** [reporter, reported, reporter, reported]: four messages, each with unique text. */
  messages: SentMessage[];
  details: string;
  reportId: number;
}

/**
 * A reporter and the person they report, a conversation of four messages (alternating, the
 * reporter first) and a report with the messages at `attach` (indexes) picked as evidence.
 */
async function reportCase(options: { attach?: number[]; details?: string; extraIds?: number[]; reason?: string } = {}): Promise<ReportCase> {
  const reporter = await member('rep');
  const reported = await member('bad');
  const conversation = await converse(reporter, reported);
  const messages: SentMessage[] = [];
  for (const [i, from] of [reporter, reported, reporter, reported].entries()) {
    const body = unique(`case message ${i} from ${from.username}`);
    messages.push({ id: await sendMessage(from, conversation, body), body, from });
  }
  const details = options.details ?? unique('details');
  const picked = (options.attach ?? [1]).map((i) => messages[i]!.id);
  const reportId = await fileReport(reporter, reported, { reason: options.reason ?? 'harassment', details, message_ids: [...picked, ...(options.extraIds ?? [])] });
  return { reporter, reported, conversation, messages, details, reportId };
}

async function sessionsOf(userId: number, app: TestApp = t): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from session where (sess ->> 'userId')::bigint = ${userId}`.execute(app.db);
  return rows[0]!.n;
}

/** Everything a moderation action could change around one report: for "nothing changed". */
async function stateOf(c: ReportCase) {
  return {
    report: await t.db.selectFrom('reports').selectAll().where('id', '=', c.reportId).execute(),
    evidence: await t.db.selectFrom('report_evidence').selectAll().where('report_id', '=', c.reportId).orderBy('message_id').execute(),
    messages: await t.db.selectFrom('messages').select(['id', 'body', 'deleted_at', 'redacted_at']).where('conversation_id', '=', c.conversation).orderBy('id').execute(),
    users: await t.db.selectFrom('users').select(['id', 'role', 'suspended_until']).where('id', 'in', [c.reporter.id, c.reported.id]).orderBy('id').execute(),
    notices: await t.db.selectFrom('moderation_notices').selectAll().where('user_id', 'in', [c.reporter.id, c.reported.id]).execute(),
    audit: await t.db.selectFrom('audit_log').select(['id', 'action']).where('report_id', '=', c.reportId).orderBy('id').execute(),
    sessions: [await sessionsOf(c.reporter.id), await sessionsOf(c.reported.id)],
  };
}

type AuditMatch = Partial<Record<'actor_id' | 'subject_user_id' | 'conversation_id' | 'message_id' | 'report_id', number | null>>;

/** The audit rows of one action that match every given column, oldest first. */
async function audit(action: string, match: AuditMatch = {}, app: TestApp = t) {
  const rows = await app.db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('id').execute();
  return rows.filter((row) => Object.entries(match).every(([key, value]) => (row as unknown as Record<string, unknown>)[key] === value));
}

async function reportRow(id: number) {
  return t.db.selectFrom('reports').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

async function messageRow(id: number) {
  return t.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

const htmxGet = (agent: Agent, path: string) => agent.get(path).set('HX-Request', 'true');

/** The inbox row of one conversation, as text. */
async function inboxRowText(agent: Agent, conversationId: number): Promise<string> {
  const res = await agent.get('/messages');
  assert.equal(res.status, 200);
  const row = html(res.text)(`[data-conversation-id="${conversationId}"]`);
  assert.equal(row.length, 1, `one inbox row for conversation ${conversationId}`);
  return row.text().replace(/\s+/g, ' ').trim();
}

function noticeOf(text: string) {
  const $ = html(text);
  return { $, notice: $('[data-moderation-notice]') };
}

describe('who may use /admin', () => {
  const adminGets = (reportId: number) => ['/admin', '/admin/reports', '/admin/reports?status=all', '/admin/reports?status=resolved', `/admin/reports/${reportId}`, '/admin/reports/999999999'];

  test('a logged-in member who is not an admin: 403 on every admin route, nothing leaks and nothing changes', async () => {
    const c = await reportCase({ attach: [1, 3] });
    const nosy = await member('nosy');
    const before = await stateOf(c);
    // Anyone who is not an admin: a stranger, the reporter, the reported person.
    for (const who of [nosy, c.reporter, c.reported]) {
      for (const path of adminGets(c.reportId)) {
        const res = await who.agent.get(path);
        assert.equal(res.status, 403, `${who.username} GET ${path}`);
        for (const m of c.messages) assert.ok(!res.text.includes(m.body), `GET ${path} shows no message text`);
        assert.ok(!res.text.includes(c.details), `GET ${path} shows no report details`);
        assert.equal(html(res.text)('#report-list, article[data-report-id], #report-evidence').length, 0);
        assert.equal((await htmxGet(who.agent, path)).status, 403, `${who.username} htmx GET ${path}`);
      }
      for (const action of ['dismiss', 'warn', 'suspend', 'redact']) {
        const res = await resolve(who, c.reportId, { action, days: '7' });
        assert.equal(res.status, 403, `${who.username} POST resolve ${action} with a valid CSRF token`);
      }
    }
    assert.deepEqual(await stateOf(c), before, 'the report, its evidence, the messages, the users, notices, sessions and audit rows are as they were');
    assert.equal((await audit('report.viewed', { report_id: c.reportId })).length, 0);
    assert.equal((await audit('report.resolved', { report_id: c.reportId })).length, 0);
    // The premise: the same requests from an admin do work.
    const mod = await moderator();
    assert.equal((await mod.agent.get(`/admin/reports/${c.reportId}`)).status, 200);
    assert.equal((await mod.agent.get('/admin/reports?status=all')).status, 200);
  });

  test('logged out: a page GET is 303 to /login?next=..., a POST is 401; nothing changes', async () => {
    const c = await reportCase({ attach: [1] });
    const before = await stateOf(c);
    const anon = t.agent();
    for (const path of adminGets(c.reportId)) {
      const res = await anon.get(path);
      assert.equal(res.status, 303, `GET ${path}`);
      assert.equal(res.headers.location, `/login?next=${encodeURIComponent(path)}`, `GET ${path}`);
      assert.equal((await htmxGet(anon, path)).status, 401, `htmx GET ${path}`);
    }
    const loginToken = await csrfToken(anon, '/login');
    for (const action of ['dismiss', 'warn', 'suspend', 'redact']) {
      assert.equal((await anon.post(`/admin/reports/${c.reportId}/resolve`).type('form').send({ action, days: '7' })).status, 401, `POST ${action} without a token`);
      assert.equal((await anon.post(`/admin/reports/${c.reportId}/resolve`).type('form').send({ action, days: '7', _csrf: loginToken })).status, 401, `POST ${action} with a token`);
    }
    assert.deepEqual(await stateOf(c), before);
  });

  test('an admin cannot read, poll, post to or act in a conversation between two other people', async () => {
    const c = await reportCase({ attach: [1] });
    const mod = await moderator();
    const before = await stateOf(c);
    const id = c.conversation;
    const { version } = await t.db.selectFrom('conversations').select('version').where('id', '=', id).executeTakeFirstOrThrow();
    const gets = [`/messages/${id}`, `/messages/${id}?before=${c.messages[3]!.id + 1}`, `/messages/${id}/tail`, `/messages/${id}/tail?from=1`, `/messages/${id}/tail?from=1&v=${version}`];
    for (const path of gets) {
      for (const hx of [false, true]) {
        const res = hx ? await htmxGet(mod.agent, path) : await mod.agent.get(path);
        assert.equal(res.status, 404, `${hx ? 'htmx ' : ''}GET ${path}`);
        for (const m of c.messages) assert.ok(!res.text.includes(m.body), `GET ${path} shows no message text`);
        assert.equal(html(res.text)('li[data-message-id]').length, 0);
      }
    }
    const send = await mod.agent.post(`/messages/${id}/messages`).type('form').send({ _csrf: mod.token, body: 'a moderator butting in' });
    assert.equal(send.status, 404, 'send');
    const hxSend = await mod.agent.post(`/messages/${id}/messages`).type('form').set('HX-Request', 'true').set('X-CSRF-Token', mod.token).send({ body: 'a moderator butting in' });
    assert.equal(hxSend.status, 404, 'htmx send');
    for (const path of [`/messages/${id}/messages/${c.messages[1]!.id}/delete`, `/messages/${id}/typing`, `/messages/${id}/archive`, `/messages/${id}/unread`, `/messages/${id}/delete`]) {
      assert.equal((await mod.agent.post(path).type('form').send({ _csrf: mod.token })).status, 404, `POST ${path}`);
    }
    assert.deepEqual(await stateOf(c), before, 'nothing stored, deleted or changed');

    // Nor through their own pages: the inbox has no row of it, the report form offers nothing of it.
    const inbox = await mod.agent.get('/messages');
    assert.equal(inbox.status, 200);
    assert.equal(html(inbox.text)(`[data-conversation-id="${id}"]`).length, 0);
    const form = await mod.agent.get(`/u/${c.reported.username}/report`);
    assert.equal(form.status, 200);
    assert.equal(html(form.text)('input[name=message_ids]').length, 0, 'no messages to pick from a conversation that is not mine');
    for (const m of c.messages) assert.ok(!form.text.includes(m.body));
    // The participants themselves still can (the premise of the 404s).
    const own = await c.reporter.agent.get(`/messages/${id}`);
    assert.equal(own.status, 200);
    assert.ok(own.text.includes(c.messages[0]!.body));
  });
});

describe('the report queue (GET /admin/reports)', () => {
  let q: TestApp;
  let mod: Member;
  before(async () => {
    // A database of its own, so the queue holds exactly what these tests put in it.
    q = await startTestApp();
    mod = await moderator(q);
  });

  interface Row {
    id: number;
    status: string | undefined;
    text: string;
  }

  async function page(path: string) {
    const res = await mod.agent.get(path);
    assert.equal(res.status, 200, `GET ${path}`);
    const $ = html(res.text);
    const rows: Row[] = $('#report-list li[data-report-id]')
      .map((_i, el) => ({ id: Number($(el).attr('data-report-id')), status: $(el).attr('data-status'), text: $(el).text().replace(/\s+/g, ' ') }))
      .get();
    const times = $('#report-list li[data-report-id] time')
      .map((_i, el) => $(el).attr('datetime') ?? '')
      .get();
    const next = $('a[rel=next]');
    assert.ok(next.length <= 1, 'at most one next link');
    return { $, rows, times, next: next.attr('href'), empty: $('[data-reports-empty]').length };
  }

  /** Follows a[rel=next] from `first` to the end: every row in order, and each page's size. */
  async function walk(first: string) {
    const rows: Row[] = [];
    const sizes: number[] = [];
    const times: string[] = [];
    let path: string | undefined = first;
    while (path !== undefined) {
      assert.ok(sizes.length < 10, 'the paging ends');
      const p = await page(path);
      assert.ok(p.rows.length <= 25, `a page holds at most 25 (got ${p.rows.length})`);
      assert.equal(p.empty, 0, `no empty state on a page with rows (${path})`);
      rows.push(...p.rows);
      times.push(...p.times);
      sizes.push(p.rows.length);
      path = p.next;
    }
    return { rows, sizes, times };
  }

  test('with no reports: the empty state, under every filter', async () => {
    for (const path of ['/admin/reports', '/admin/reports?status=open', '/admin/reports?status=resolved', '/admin/reports?status=all']) {
      const p = await page(path);
      assert.equal(p.empty, 1, `[data-reports-empty] on ${path}`);
      assert.deepEqual(p.rows, []);
      assert.equal(p.next, undefined);
    }
  });

  test('newest first, filtered by status, every report exactly once across the a[rel=next] pages', async () => {
    // Six reporters, as each may file at most 10 reports an hour.
    const reporters = await Promise.all(Array.from({ length: 6 }, () => member('qrep', q)));
    const reported = [await member('qbad', q), await member('qbad', q), await member('qbad', q), await member('qbad', q)];
    const reasons = ['spam', 'harassment', 'other'];
    const ids: number[] = [];
    for (let i = 0; i < 57; i++) {
      ids.push(await fileReport(reporters[i % 6]!, reported[i % 4]!, { reason: reasons[i % 3], details: `queue report ${i}` }, q));
    }
    assert.deepEqual([...ids].sort((a, b) => a - b), ids, 'ids grow');
    assert.equal(new Set(ids).size, 57);

    // Before anything is resolved, "resolved" is empty and "open" holds them all.
    assert.equal((await page('/admin/reports?status=resolved')).empty, 1);

    // Resolve exactly 25 (every other one of the oldest 49), so "resolved" is one full page.
    const resolved = new Set(ids.filter((_id, i) => i % 2 === 0 && i < 49));
    assert.equal(resolved.size, 25);
    for (const id of resolved) {
      const res = await resolve(mod, id, { action: 'dismiss' });
      assert.equal(res.status, 303);
    }

    const newestFirst = [...ids].reverse();
    const expected = {
      open: newestFirst.filter((id) => !resolved.has(id)),
      resolved: newestFirst.filter((id) => resolved.has(id)),
      all: newestFirst,
    };
    const statusOf = (id: number) => (resolved.has(id) ? 'resolved' : 'open');

    const open = await walk('/admin/reports?status=open');
    assert.deepEqual(
      open.rows.map((r) => r.id),
      expected.open,
    );
    assert.deepEqual(open.sizes, [25, 7]);
    assert.ok(open.rows.every((r) => r.status === 'open'));

    const byDefault = await walk('/admin/reports');
    assert.deepEqual(
      byDefault.rows.map((r) => r.id),
      expected.open,
      'without a status: the open ones',
    );
    const bogus = await page('/admin/reports?status=bogus');
    assert.deepEqual(
      bogus.rows.map((r) => r.id),
      expected.open.slice(0, 25),
      'an unknown status: the open ones',
    );

    const done = await walk('/admin/reports?status=resolved');
    assert.deepEqual(
      done.rows.map((r) => r.id),
      expected.resolved,
    );
    assert.deepEqual(done.sizes, [25], 'exactly 25: one page and no next link');
    assert.ok(done.rows.every((r) => r.status === 'resolved'));

    const all = await walk('/admin/reports?status=all');
    assert.deepEqual(
      all.rows.map((r) => r.id),
      expected.all,
    );
    assert.deepEqual(all.sizes, [25, 25, 7]);
    for (const row of all.rows) assert.equal(row.status, statusOf(row.id), `row ${row.id}'s data-status`);
    // Newest first by time too, and each row names who reported whom.
    for (const time of all.times) assert.match(time, ISO);
    const millis = all.times.map((time) => Date.parse(time));
    assert.deepEqual(
      [...millis].sort((a, b) => b - a),
      millis,
      'times never increase down the list',
    );
    const newest = all.rows[0]!;
    const newestIndex = ids.indexOf(newest.id);
    assert.ok(newest.text.includes(reporters[newestIndex % 3]!.name), `the reporter's name: ${newest.text}`);
    assert.ok(newest.text.includes(`@${reported[newestIndex % 4]!.username}`), `the reported username: ${newest.text}`);

    // The next link keeps the filter.
    const first = await page('/admin/reports?status=all');
    assert.match(first.next ?? '', /^\/admin\/reports\?status=all&before=\d+$/);
  });
});

describe('the report page (GET /admin/reports/:id)', () => {
  test('shows reporter, reported, reason, the details escaped, the attached text and no other message', async () => {
    const outsider = await member('third');
    const details = `Look at <script>alert("x")</script> & <b>bold</b> ${randomUUID()}`;
    // A message of the reporter's conversation with someone else: picking its id attaches nothing.
    const reporter = await member('rep');
    const elsewhere = await converse(reporter, outsider);
    const foreignBody = unique('elsewhere');
    const foreign = await sendMessage(reporter, elsewhere, foreignBody);

    const reported = await member('bad');
    const conversation = await converse(reporter, reported);
    const bodies = [unique('first'), unique('the attached one'), unique('third'), unique('fourth'), unique('fifth')];
    const sent: number[] = [];
    for (const [i, body] of bodies.entries()) sent.push(await sendMessage(i % 2 === 1 ? reported : reporter, conversation, body));
    // The reported person's conversation with someone else: never part of it either.
    const theirOther = await converse(reported, outsider);
    const theirOtherBody = unique('their other conversation');
    await sendMessage(reported, theirOther, theirOtherBody);

    const reportId = await fileReport(reporter, reported, { reason: 'harassment', details, message_ids: [sent[1]!, foreign] });
    const evidence = await t.db.selectFrom('report_evidence').selectAll().where('report_id', '=', reportId).execute();
    assert.deepEqual(
      evidence.map((e) => [e.message_id, e.sender_id, e.body]),
      [[sent[1], reported.id, bodies[1]]],
      'only the picked message of their own conversation is copied',
    );

    const mod = await moderator();
    const res = await mod.agent.get(`/admin/reports/${reportId}`);
    assert.equal(res.status, 200);
    const $ = html(res.text);
    const article = $(`article[data-report-id="${reportId}"]`);
    assert.equal(article.length, 1);
    assert.equal(article.attr('data-status'), 'open');
    const text = article.text().replace(/\s+/g, ' ');
    for (const part of [reporter.name, `@${reporter.username}`, reported.name, `@${reported.username}`, 'Harassment']) {
      assert.ok(text.includes(part), `the page shows ${JSON.stringify(part)}`);
    }
    assert.ok(article.text().includes(details), 'the details, as typed');
    assert.ok(!res.text.includes('<script>alert("x")</script>'), 'the details are escaped');
    assert.ok(res.text.includes('&lt;script&gt;'), 'the details are escaped');
    assert.equal($('b:contains("bold")').length, 0);
    assert.equal($('script:contains("alert")').length, 0);
    assert.match(article.find('time').first().attr('datetime') ?? '', ISO);

    const shown = $('#report-evidence li[data-evidence-message-id]');
    assert.deepEqual(
      shown.map((_i, el) => Number($(el).attr('data-evidence-message-id'))).get(),
      [sent[1]],
    );
    assert.ok(shown.first().text().includes(bodies[1]!), 'the attached text');
    for (const [i, body] of bodies.entries()) {
      if (i !== 1) assert.ok(!res.text.includes(body), `message ${i} of the conversation is not shown`);
    }
    assert.ok(!res.text.includes(foreignBody), 'a message from another conversation is not shown');
    assert.ok(!res.text.includes(theirOtherBody), "the reported person's other conversations are not shown");

    const form = $(`form[action="/admin/reports/${reportId}/resolve"]`);
    assert.equal(form.length, 1);
    assert.equal(form.attr('method'), 'post');
    assert.ok(form.find('input[name=_csrf]').val());
    assert.deepEqual(
      form
        .find('input[name=action]')
        .map((_i, el) => $(el).attr('value'))
        .get()
        .sort(),
      ['dismiss', 'redact', 'suspend', 'warn'],
    );
    assert.deepEqual(
      form
        .find('select[name=days] option')
        .map((_i, el) => $(el).attr('value'))
        .get(),
      ['1', '7', '30', '365'],
    );
  });

  test('an unknown or malformed id is 404 (GET and POST) and writes no audit row', async () => {
    const mod = await moderator();
    const viewed = (await audit('report.viewed')).length;
    for (const id of ['999999999', 'abc', '0', '-1', '1e3', '1.5', '12abc']) {
      assert.equal((await mod.agent.get(`/admin/reports/${id}`)).status, 404, `GET ${id}`);
      assert.equal((await resolve(mod, id, { action: 'dismiss' })).status, 404, `POST ${id}`);
    }
    assert.equal((await audit('report.viewed')).length, viewed);
  });

  test("every view writes one 'report.viewed' row: the admin, the reported person, the report", async () => {
    const c = await reportCase({ attach: [1] });
    const mod = await moderator();
    const other = await moderator();
    assert.deepEqual(await audit('report.viewed', { report_id: c.reportId }), []);
    assert.equal((await mod.agent.get(`/admin/reports/${c.reportId}`)).status, 200);
    let rows = await audit('report.viewed', { report_id: c.reportId });
    assert.equal(rows.length, 1);
    assert.equal((await mod.agent.get(`/admin/reports/${c.reportId}`)).status, 200);
    assert.equal((await other.agent.get(`/admin/reports/${c.reportId}`)).status, 200);
    rows = await audit('report.viewed', { report_id: c.reportId });
    assert.deepEqual(
      rows.map((r) => [r.actor_id, r.subject_user_id, r.report_id]),
      [
        [mod.id, c.reported.id, c.reportId],
        [mod.id, c.reported.id, c.reportId],
        [other.id, c.reported.id, c.reportId],
      ],
    );
    // The queue is not a view of a report.
    assert.equal((await mod.agent.get('/admin/reports?status=all')).status, 200);
    assert.equal((await audit('report.viewed', { report_id: c.reportId })).length, 3);
  });
});

describe('POST /admin/reports/:id/resolve', () => {
  test('dismiss: 303 to the report, resolved as dismiss, audited, and nothing else changes', async () => {
    const c = await reportCase({ attach: [1] });
    const mod = await moderator();
    const before = await stateOf(c);
    const res = await resolve(mod, c.reportId, { action: 'dismiss' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, `/admin/reports/${c.reportId}`);
    const row = await reportRow(c.reportId);
    assert.equal(row.status, 'resolved');
    assert.equal(row.resolution, 'dismiss');
    assert.equal(row.resolved_by, mod.id);
    assert.ok(row.resolved_at instanceof Date);
    const resolved = await audit('report.resolved', { report_id: c.reportId });
    assert.equal(resolved.length, 1);
    assert.equal(resolved[0]!.actor_id, mod.id);
    assert.equal(resolved[0]!.subject_user_id, c.reported.id);
    assert.equal(resolved[0]!.detail?.action, 'dismiss');

    const after = await stateOf(c);
    assert.deepEqual([after.messages, after.users, after.notices, after.evidence, after.sessions], [before.messages, before.users, before.notices, before.evidence, before.sessions]);
    const page = await c.reported.agent.get('/messages');
    assert.equal(page.status, 200, 'the reported person is still logged in');
    assert.equal(noticeOf(page.text).notice.length, 0, 'and sees no warning');
    const shown = await mod.agent.get(res.headers.location!);
    assert.equal(html(shown.text)(`article[data-report-id="${c.reportId}"]`).attr('data-status'), 'resolved');
  });

  test('warn: a notice on every full page of the reported person until they acknowledge it; nobody else can', async () => {
    const c = await reportCase({ attach: [1] });
    const mod = await moderator();
    const bystander = await member('calm');
    const res = await resolve(mod, c.reportId, { action: 'warn' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, `/admin/reports/${c.reportId}`);
    const row = await reportRow(c.reportId);
    assert.deepEqual([row.status, row.resolution], ['resolved', 'warn']);
    const resolved = await audit('report.resolved', { report_id: c.reportId, actor_id: mod.id });
    assert.equal(resolved.length, 1);
    assert.equal(resolved[0]!.detail?.action, 'warn');

    const notices = await t.db.selectFrom('moderation_notices').selectAll().where('user_id', '=', c.reported.id).execute();
    assert.equal(notices.length, 1);
    const notice = notices[0]!;
    assert.equal(notice.report_id, c.reportId);
    assert.equal(notice.acknowledged_at, null);

    // On the next full page, and it stays on later ones.
    for (const path of ['/messages', '/people', '/settings', `/messages/${c.conversation}`, '/messages']) {
      const page = await c.reported.agent.get(path);
      assert.equal(page.status, 200, path);
      const { notice: shown } = noticeOf(page.text);
      assert.equal(shown.length, 1, `the warning on ${path}`);
      assert.equal(shown.attr('role'), 'alert');
      assert.equal(shown.find('form').attr('action'), `/notices/${notice.id}/ack`);
    }
    for (const who of [c.reporter, bystander, mod]) {
      assert.equal(noticeOf((await who.agent.get('/messages')).text).notice.length, 0, `${who.username} sees no warning`);
    }

    // Someone else acknowledging it: 403 (with a valid token), and it stays.
    for (const who of [c.reporter, bystander, mod]) {
      const refused = await who.agent.post(`/notices/${notice.id}/ack`).type('form').send({ _csrf: who.token, next: '/messages' });
      assert.equal(refused.status, 403, `${who.username} acks another's notice`);
    }
    assert.equal((await t.agent().post(`/notices/${notice.id}/ack`).type('form').send({})).status, 401, 'logged out');
    assert.equal((await c.reported.agent.post('/notices/999999999/ack').type('form').send({ _csrf: c.reported.token })).status, 404, 'an unknown notice');
    assert.equal((await c.reported.agent.post(`/notices/${notice.id}/ack`).type('form').send({ next: '/people' })).status, 403, 'no CSRF token');
    assert.equal((await t.db.selectFrom('moderation_notices').select('acknowledged_at').where('id', '=', notice.id).executeTakeFirstOrThrow()).acknowledged_at, null);
    assert.deepEqual(await audit('notice.acknowledged', { actor_id: c.reported.id }), [], 'not acknowledged by anyone');
    const still = await c.reported.agent.get('/people');
    const { $, notice: shown } = noticeOf(still.text);
    assert.equal(shown.length, 1, 'still shown after the refused acks');

    // The person posts the notice's own form: 303 back, and it is gone from every page.
    const form = shown.find('form');
    const fields: Record<string, string> = {};
    form.find('input[type=hidden]').each((_i, el) => {
      fields[$(el).attr('name')!] = String($(el).val());
    });
    assert.ok(fields._csrf, 'the form carries a CSRF token');
    const ack = await c.reported.agent.post(form.attr('action')!).type('form').send(fields);
    assert.equal(ack.status, 303);
    assert.equal(ack.headers.location, '/people', 'back to the page it was on');
    const acked = await t.db.selectFrom('moderation_notices').select('acknowledged_at').where('id', '=', notice.id).executeTakeFirstOrThrow();
    assert.ok(acked.acknowledged_at instanceof Date);
    assert.equal((await audit('notice.acknowledged', { actor_id: c.reported.id })).length, 1);
    for (const path of ['/people', '/messages', '/settings']) {
      assert.equal(noticeOf((await c.reported.agent.get(path)).text).notice.length, 0, `no warning on ${path} once acknowledged`);
    }
    // Acknowledging again changes nothing.
    assert.equal((await c.reported.agent.post(`/notices/${notice.id}/ack`).type('form').send({ _csrf: c.reported.token })).status, 303);
    assert.equal((await audit('notice.acknowledged', { actor_id: c.reported.id })).length, 1);
  });

  test('suspend for 7 days: logged out everywhere, login 403 "suspended", the old session cannot send; others unaffected', async () => {
    const c = await reportCase({ attach: [1] });
    const mod = await moderator();
    const bystander = await member('calm');
    // A second session of the reported person (another device).
    const otherDevice = t.agent();
    await logIn(otherDevice, c.reported.username);
    assert.equal(await sessionsOf(c.reported.id), 2);
    const reporterSessions = await sessionsOf(c.reporter.id);
    const messagesBefore = (await stateOf(c)).messages;

    const started = Date.now();
    const res = await resolve(mod, c.reportId, { action: 'suspend', days: '7' });
    const finished = Date.now();
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, `/admin/reports/${c.reportId}`);

    const user = await t.db.selectFrom('users').select('suspended_until').where('id', '=', c.reported.id).executeTakeFirstOrThrow();
    assert.ok(user.suspended_until instanceof Date, 'suspended_until is set');
    const until = user.suspended_until.getTime();
    assert.ok(until >= started + 7 * DAY_MS - 5000 && until <= finished + 7 * DAY_MS + 5000, `about 7 days ahead: ${user.suspended_until.toISOString()}`);
    assert.equal(await sessionsOf(c.reported.id), 0, 'every session of theirs is gone');

    for (const agent of [c.reported.agent, otherDevice]) {
      const page = await agent.get('/messages');
      assert.equal(page.status, 303);
      assert.equal(page.headers.location, '/login?next=%2Fmessages');
    }
    const send = await c.reported.agent.post(`/messages/${c.conversation}/messages`).type('form').send({ _csrf: c.reported.token, body: 'sent while suspended' });
    assert.equal(send.status, 401, 'a send with the old session');
    const hxSend = await otherDevice.post(`/messages/${c.conversation}/messages`).type('form').set('HX-Request', 'true').set('X-CSRF-Token', c.reported.token).send({ body: 'sent while suspended' });
    assert.equal(hxSend.status, 401);
    assert.deepEqual((await stateOf(c)).messages, messagesBefore, 'nothing was stored');

    const fresh = t.agent();
    const token = await csrfToken(fresh, '/login');
    const login = await fresh.post('/login').type('form').send({ _csrf: token, username: c.reported.username, password: PASSWORD });
    assert.equal(login.status, 403);
    assert.match(html(login.text)('#login-error').text(), /suspended until/i);
    assert.equal(await sessionsOf(c.reported.id), 0, 'the refused login starts no session');
    assert.equal((await fresh.get('/messages')).status, 303);
    const failed = await audit('auth.login_failed', { subject_user_id: c.reported.id });
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.detail?.suspended, true);

    const row = await reportRow(c.reportId);
    assert.deepEqual([row.status, row.resolution], ['resolved', 'suspend']);
    const resolved = await audit('report.resolved', { report_id: c.reportId, actor_id: mod.id, subject_user_id: c.reported.id });
    assert.equal(resolved.length, 1);
    assert.equal(resolved[0]!.detail?.action, 'suspend');
    assert.equal(resolved[0]!.detail?.days, 7);
    const page = await mod.agent.get(`/admin/reports/${c.reportId}`);
    assert.match(page.text, /suspended until/i);

    // Everyone else carries on.
    assert.equal(await sessionsOf(c.reporter.id), reporterSessions);
    for (const who of [c.reporter, bystander, mod]) assert.equal((await who.agent.get('/messages')).status, 200, `${who.username} is still logged in`);
    await t.connect(c.reporter.id, bystander.id);
    const between = await openConversation(c.reporter, bystander);
    await sendMessage(c.reporter, between, 'life goes on');
    await sendMessage(bystander, between, 'it does');
    const others = await t.db.selectFrom('users').select(['id', 'suspended_until']).where('id', 'in', [c.reporter.id, bystander.id, mod.id]).execute();
    assert.ok(others.every((u) => u.suspended_until === null));
  });

  test('suspend with a days value other than 1, 7, 30 or 365: 400 and nothing changes', async () => {
    const c = await reportCase({ attach: [1] });
    const mod = await moderator();
    const before = await stateOf(c);
    for (const days of ['2', '0', '-7', '7.5', 'abc', '', '3650']) {
      const res = await resolve(mod, c.reportId, { action: 'suspend', days });
      assert.equal(res.status, 400, `days=${JSON.stringify(days)}`);
    }
    assert.deepEqual(await stateOf(c), before);
    assert.equal((await c.reported.agent.get('/messages')).status, 200, 'still logged in');
  });

  test('redact: the attached messages say "Removed by a moderator" for both, the text is gone; the rest and the evidence copy stay', async () => {
    const c = await reportCase({ attach: [1, 3] });
    const [m0, m1, m2, m3] = c.messages as [SentMessage, SentMessage, SentMessage, SentMessage];
    const mod = await moderator();
    // The premise: m3 is the last message, so it is the inbox preview.
    assert.ok((await inboxRowText(c.reporter.agent, c.conversation)).includes(m3.body));

    const res = await resolve(mod, c.reportId, { action: 'redact' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, `/admin/reports/${c.reportId}`);

    for (const m of [m1, m3]) {
      const row = await messageRow(m.id);
      assert.equal(row.body, null, `message ${m.id}'s text is erased`);
      assert.ok(row.redacted_at instanceof Date);
    }
    for (const m of [m0, m2]) {
      const row = await messageRow(m.id);
      assert.equal(row.body, m.body, 'an unattached message is untouched');
      assert.equal(row.redacted_at, null);
      assert.equal(row.deleted_at, null);
    }

    for (const who of [c.reporter, c.reported]) {
      const page = await who.agent.get(`/messages/${c.conversation}`);
      assert.equal(page.status, 200);
      const tail = await htmxGet(who.agent, `/messages/${c.conversation}/tail?from=1`);
      assert.equal(tail.status, 200);
      for (const [where, answer] of [
        ['thread', page],
        ['tail', tail],
      ] as const) {
        const $ = html(answer.text);
        for (const m of [m1, m3]) {
          const li = $(`li#m-${m.id}`);
          assert.equal(li.length, 1, `${who.username}'s ${where} keeps message ${m.id}'s place`);
          assert.equal(li.attr('data-redacted'), 'true');
          assert.ok(li.text().includes(REMOVED), `${where}: "${REMOVED}"`);
          assert.ok(!answer.text.includes(m.body), `${who.username}'s ${where} no longer holds the text`);
        }
        for (const m of [m0, m2]) {
          const li = $(`li#m-${m.id}`);
          assert.equal(li.attr('data-redacted'), undefined);
          assert.ok(li.text().includes(m.body), `${where}: an unattached message still reads as sent`);
        }
      }
      const preview = await inboxRowText(who.agent, c.conversation);
      assert.ok(preview.includes(REMOVED), `${who.username}'s inbox preview: ${preview}`);
      assert.ok(!preview.includes(m3.body));
    }

    // The report keeps its copy of the evidence, for the record.
    const evidence = await t.db.selectFrom('report_evidence').select(['message_id', 'body']).where('report_id', '=', c.reportId).orderBy('message_id').execute();
    assert.deepEqual(evidence, [
      { message_id: m1.id, body: m1.body },
      { message_id: m3.id, body: m3.body },
    ]);
    const report = await mod.agent.get(`/admin/reports/${c.reportId}`);
    const $ = html(report.text);
    assert.equal($(`article[data-report-id="${c.reportId}"]`).attr('data-status'), 'resolved');
    for (const m of [m1, m3]) assert.ok($(`#report-evidence li[data-evidence-message-id="${m.id}"]`).text().includes(m.body), 'the evidence copy still reads');

    const row = await reportRow(c.reportId);
    assert.deepEqual([row.status, row.resolution], ['resolved', 'redact']);
    const resolved = await audit('report.resolved', { report_id: c.reportId, actor_id: mod.id });
    assert.equal(resolved.length, 1);
    assert.equal(resolved[0]!.detail?.action, 'redact');
    assert.deepEqual(resolved[0]!.detail?.messages, [m1.id, m3.id]);
    for (const m of [m1, m3]) assert.deepEqual(await audit('message.deleted', { message_id: m.id }), [], 'a redaction is not a deletion by the sender');
    // A removed message can no longer be picked as evidence.
    const form = html((await c.reporter.agent.get(`/u/${c.reported.username}/report`)).text);
    const offered = form('input[name=message_ids]')
      .map((_i, el) => Number(form(el).attr('value')))
      .get();
    assert.deepEqual(offered.sort((a, b) => a - b), [m0.id, m2.id]);
  });

  test('redact with message_ids: only those among the attached ones', async () => {
    const c = await reportCase({ attach: [1, 3] });
    const [m0, m1, m2, m3] = c.messages as [SentMessage, SentMessage, SentMessage, SentMessage];
    const mod = await moderator();
    const res = await resolve(mod, c.reportId, { action: 'redact', message_ids: [String(m1.id), String(m0.id)] });
    assert.equal(res.status, 303);
    assert.equal((await messageRow(m1.id)).body, null);
    for (const m of [m0, m2, m3]) assert.equal((await messageRow(m.id)).body, m.body, `message ${m.id} is untouched`);
    const page = html((await c.reported.agent.get(`/messages/${c.conversation}`)).text);
    assert.equal(page(`li#m-${m1.id}`).attr('data-redacted'), 'true');
    assert.equal(page(`li#m-${m3.id}`).attr('data-redacted'), undefined);
    assert.equal(page(`li#m-${m0.id}`).attr('data-redacted'), undefined);
  });

  test('redact with nothing attached, or an unknown action: 400 and nothing changes', async () => {
    const bare = await reportCase({ attach: [] });
    const mod = await moderator();
    const before = await stateOf(bare);
    assert.deepEqual(before.evidence, [], 'the premise: nothing attached');
    const res = await resolve(mod, bare.reportId, { action: 'redact' });
    assert.equal(res.status, 400);
    assert.deepEqual(await stateOf(bare), before);

    const c = await reportCase({ attach: [1] });
    const state = await stateOf(c);
    const bad: Record<string, string | string[]>[] = [{ action: 'ban' }, { action: 'DISMISS' }, { action: '' }, {}, { action: ['dismiss', 'warn'] }];
    for (const fields of bad) {
      const refused = await resolve(mod, c.reportId, fields);
      assert.equal(refused.status, 400, `action ${JSON.stringify(fields)}`);
    }
    assert.deepEqual(await stateOf(c), state);
    // Without a token: 403, also nothing.
    assert.equal((await mod.agent.post(`/admin/reports/${c.reportId}/resolve`).type('form').send({ action: 'dismiss' })).status, 403);
    assert.deepEqual(await stateOf(c), state);
  });
});

describe('the audit log', () => {
  test('records who did what to whom, for every audited action, and never the text', async () => {
    // auth.signup
    const signup = t.agent();
    const signupToken = await csrfToken(signup, '/signup');
    const newcomer = `newcomer_${++serial}`;
    assert.equal((await signup.post('/signup').type('form').send({ _csrf: signupToken, username: newcomer, display_name: 'New Comer', password: 'a long enough password' })).status, 303);
    const newcomerId = (await t.db.selectFrom('users').select('id').where('username', '=', newcomer).executeTakeFirstOrThrow()).id;
    assert.equal((await audit('auth.signup', { actor_id: newcomerId })).length, 1);

    // auth.login (userAgent logs in through the form)
    const amy = await member('amy');
    const ben = await member('ben');
    const logins = await audit('auth.login', { actor_id: amy.id });
    assert.equal(logins.length, 1);
    assert.ok(logins[0]!.ip, 'with the address');
    assert.ok(logins[0]!.at instanceof Date);

    // auth.login_failed: a wrong password for a real user, and an unknown username
    const stranger = t.agent();
    const strangerToken = await csrfToken(stranger, '/login');
    const wrongPassword = `wrong password ${randomUUID()}`;
    assert.equal((await stranger.post('/login').type('form').send({ _csrf: strangerToken, username: amy.username, password: wrongPassword })).status, 401);
    const failed = await audit('auth.login_failed', { subject_user_id: amy.id });
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.actor_id, null);
    // The account is named by its id only: what was typed may be a password.
    assert.equal(failed[0]!.detail, null);
    const ghost = `ghost_${randomUUID().slice(0, 8)}`;
    const unknownBefore = (await audit('auth.login_failed', { subject_user_id: null })).length;
    assert.equal((await stranger.post('/login').type('form').send({ _csrf: strangerToken, username: ghost, password: wrongPassword })).status, 401);
    const ghostRows = (await audit('auth.login_failed', { subject_user_id: null })).slice(unknownBefore);
    assert.equal(ghostRows.length, 1, 'an unknown username: a row with no one named');
    assert.ok(!JSON.stringify(ghostRows).includes(ghost), 'and nothing of what was typed');

    // conversation.created, message.sent, message.deleted
    const conversation = await converse(amy, ben);
    const created = await audit('conversation.created', { conversation_id: conversation });
    assert.deepEqual(
      created.map((r) => [r.actor_id, r.subject_user_id]),
      [[amy.id, ben.id]],
    );
    const fromAmy = unique('audited text from amy');
    const fromBen = unique('audited text from ben');
    const amyMessage = await sendMessage(amy, conversation, fromAmy);
    const benMessage = await sendMessage(ben, conversation, fromBen);
    assert.deepEqual(
      (await audit('message.sent', { conversation_id: conversation })).map((r) => [r.actor_id, r.subject_user_id, r.conversation_id, r.message_id]),
      [
        [amy.id, ben.id, conversation, amyMessage],
        [ben.id, amy.id, conversation, benMessage],
      ],
    );
    assert.equal((await amy.agent.post(`/messages/${conversation}/messages/${amyMessage}/delete`).type('form').send({ _csrf: amy.token })).status, 303);
    assert.deepEqual(
      (await audit('message.deleted', { conversation_id: conversation })).map((r) => [r.actor_id, r.subject_user_id, r.conversation_id, r.message_id]),
      [[amy.id, ben.id, conversation, amyMessage]],
    );

    // user.blocked / user.unblocked, only when it changed
    const blockPost = (path: string) => amy.agent.post(`/u/${ben.username}/${path}`).type('form').send({ _csrf: amy.token });
    assert.equal((await blockPost('block')).status, 303);
    assert.equal((await blockPost('block')).status, 303);
    assert.deepEqual(
      (await audit('user.blocked', { actor_id: amy.id })).map((r) => r.subject_user_id),
      [ben.id],
    );
    assert.equal((await blockPost('unblock')).status, 303);
    assert.equal((await blockPost('unblock')).status, 303);
    assert.deepEqual(
      (await audit('user.unblocked', { actor_id: amy.id })).map((r) => r.subject_user_id),
      [ben.id],
    );

    // report.created, report.viewed, report.resolved
    const reportId = await fileReport(amy, ben, { reason: 'spam', message_ids: [benMessage] });
    const reportCreated = await audit('report.created', { report_id: reportId });
    assert.deepEqual(
      reportCreated.map((r) => [r.actor_id, r.subject_user_id]),
      [[amy.id, ben.id]],
    );
    assert.deepEqual(reportCreated[0]!.detail, { reason: 'spam', evidence: [benMessage] });
    const mod = await moderator();
    assert.equal((await mod.agent.get(`/admin/reports/${reportId}`)).status, 200);
    assert.deepEqual(
      (await audit('report.viewed', { report_id: reportId })).map((r) => [r.actor_id, r.subject_user_id]),
      [[mod.id, ben.id]],
    );
    assert.equal((await resolve(mod, reportId, { action: 'dismiss' })).status, 303);
    const resolved = await audit('report.resolved', { report_id: reportId });
    assert.deepEqual(
      resolved.map((r) => [r.actor_id, r.subject_user_id, r.detail?.action]),
      [[mod.id, ben.id, 'dismiss']],
    );

    // auth.logout
    assert.equal((await amy.agent.post('/logout').type('form').send({ _csrf: amy.token })).status, 303);
    assert.equal((await audit('auth.logout', { actor_id: amy.id })).length, 1);

    // Never message text or passwords, in any row of the log.
    const { rows } = await sql<{ row: string }>`select a::text as row from audit_log a`.execute(t.db);
    assert.ok(rows.length > 10, 'the premise: the log has rows');
    for (const secret of [fromAmy, fromBen, wrongPassword, PASSWORD, 'a long enough password']) {
      assert.deepEqual(
        rows.filter((r) => r.row.includes(secret)),
        [],
        `the audit log holds no ${JSON.stringify(secret)}`,
      );
    }
  });
});
