import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { rollUpAnalytics, type RollupResult } from '../../src/admin/analytics-rollup.js';
import { addDays, utcDay } from '../../src/admin/analytics-days.js';
import { html, startTestApp, type Agent, type TestApp } from '../support/app.js';

// Admin analytics (CONTRACT.md, "Admin analytics"): figures checked against data written straight
// into the database at known instants, rolled up by the job's own function, then read in the page's
// tables and the CSV. Days are UTC. The range is 3 to 6 March 2025; the period before it is
// 27 Feb to 2 Mar 2025.

let t: TestApp;
let admin: Agent;
let member: Agent;
let adminId: number;
const users: number[] = [];

const at = (iso: string) => new Date(iso);

async function conversation(a: number, b: number, createdAt: string): Promise<number> {
  const row = await t.db
    .insertInto('conversations')
    .values({ user_low: Math.min(a, b), user_high: Math.max(a, b), created_at: at(createdAt) } as never)
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Messages in the order given (ids follow time, as they do when sent). */
async function message(conversationId: number, senderId: number, createdAt: string): Promise<number> {
  const row = await t.db
    .insertInto('messages')
    .values({ conversation_id: conversationId, sender_id: senderId, body: 'never counted, never shown', created_at: at(createdAt) } as never)
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

async function report(createdAt: string, resolved?: { action: 'dismiss' | 'warn' | 'suspend' | 'redact'; at: string }): Promise<void> {
  await t.db
    .insertInto('reports')
    .values({
      reporter_id: users[1]!,
      reported_id: users[0]!,
      reason: 'spam',
      created_at: at(createdAt),
      ...(resolved ? { status: 'resolved', resolution: resolved.action, resolved_at: at(resolved.at), resolved_by: adminId } : {}),
    } as never)
    .execute();
}

async function blockEvent(atIso: string): Promise<void> {
  await t.db.insertInto('audit_log').values({ action: 'user.blocked', actor_id: users[2]!, subject_user_id: users[0]!, at: at(atIso) } as never).execute();
}

/** Runs the job's function until it has caught up (a long history is done in batches). */
async function rollUpAll(now = new Date()): Promise<RollupResult[]> {
  const results: RollupResult[] = [];
  for (;;) {
    const result = await rollUpAnalytics(t.database.hostDb, now);
    results.push(result);
    if (!result.behind) return results;
  }
}

/** The cells of a figure's table, by day: { '2025-03-03': ['11'], ... }. */
function tableOf(page: ReturnType<typeof html>, figure: string): Record<string, string[]> {
  const rows: Record<string, string[]> = {};
  page(`[data-figure="${figure}"] tbody tr`).each((_, tr) => {
    rows[page(tr).attr('data-day')!] = page(tr)
      .find('td')
      .map((_i, td) => page(td).text().trim())
      .get();
  });
  return rows;
}

const headline = (page: ReturnType<typeof html>, figure: string) => page(`[data-figure="${figure}"] [data-headline]`).text().trim();
const changeOf = (page: ReturnType<typeof html>, figure: string) => page(`[data-figure="${figure}"] [data-change]`).text().replace(/\s+/g, ' ').trim();

/** RFC 4180, enough for the test: quoted fields with doubled quotes, CRLF records. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    }
    else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  assert.equal(field + row.join(''), '', 'the CSV ends with CRLF');
  return rows;
}

before(async () => {
  t = await startTestApp();
  for (let i = 1; i <= 8; i++) users.push(await t.createUser(`person_${i}`, `Secret Name ${i}`));
  admin = await t.userAgent('the_admin', 'Admin Person');
  adminId = (await t.db.selectFrom('users').select('id').where('username', '=', 'the_admin').executeTakeFirstOrThrow()).id;
  await t.db.updateTable('users').set({ role: 'admin' }).where('id', '=', adminId).execute();
  member = await t.userAgent('a_member');
  const [u1, u2, u3, u4, u5, u6, u7] = users as [number, number, number, number, number, number, number];

  // The previous period: one conversation on 1 March, 10 messages taking turns (one first reply).
  const c0 = await conversation(u2, u3, '2025-03-01T10:00:00Z');
  for (let i = 0; i < 10; i++) await message(c0, i % 2 === 0 ? u2 : u3, `2025-03-01T10:${String(i).padStart(2, '0')}:00Z`);
  for (let i = 0; i < 3; i++) await report('2025-03-01T12:00:00Z', { action: 'dismiss', at: `2025-03-04T0${i}:00:00Z` });

  // 3 March: six new conversations, each opened by person 1; five answered the same day
  // (after 60, 120, 180, 240 and 600 s), the sixth the next day (after 86,400 s).
  const delays = [60, 120, 180, 240, 600];
  const partners = [u2, u3, u4, u5, u6, u7];
  const convs: number[] = [];
  for (const [i, partner] of partners.entries()) convs.push(await conversation(u1, partner, `2025-03-03T09:0${i}:00Z`));
  const firsts: number[] = [];
  for (const [i, c] of convs.entries()) firsts.push(await message(c, u1, `2025-03-03T09:0${i}:00Z`));
  for (const [i, delay] of delays.entries()) await message(convs[i]!, partners[i]!, new Date(Date.parse(`2025-03-03T09:0${i}:00Z`) + delay * 1000).toISOString());
  // Five files of 1,000 bytes, in person 1's first messages.
  for (const messageId of firsts.slice(0, 5)) {
    await t.db
      .insertInto('attachments')
      .values({ conversation_id: convs[0]!, uploader_id: u1, message_id: messageId, kind: 'file', name: 'f.txt', mime: 'text/plain', size_bytes: 1000, complete: true } as never)
      .execute();
  }
  await report('2025-03-03T13:00:00Z');
  await report('2025-03-03T14:00:00Z');

  // 4 March: the sixth reply (a day late), two more messages from person 1; five blocks.
  await message(convs[5]!, u7, '2025-03-04T09:05:00Z');
  await message(convs[0]!, u1, '2025-03-04T10:00:00Z');
  await message(convs[0]!, u1, '2025-03-04T11:00:00Z');
  for (let i = 0; i < 5; i++) await blockEvent(`2025-03-04T15:0${i}:00Z`);

  // 5 March: nothing at all.

  // 6 March: seven messages from person 1, the last at the day's very end; six reports, all resolved that day.
  for (let i = 0; i < 6; i++) await message(convs[0]!, u1, `2025-03-06T1${i}:00:00Z`);
  await message(convs[0]!, u1, '2025-03-06T23:59:59.999Z');
  for (let i = 0; i < 6; i++) await report(`2025-03-06T08:0${i}:00Z`, { action: i < 5 ? 'warn' : 'suspend', at: `2025-03-06T20:0${i}:00Z` });
  // 7 March (after the range) from its first instant.
  await message(convs[0]!, u1, '2025-03-07T00:00:00Z');

  await rollUpAll();
});

describe('admin analytics: who may see it', () => {
  test('logged out: the page is a 303 to the login, the CSV a 303 too (a page GET), htmx a 401', async () => {
    const page = await t.agent().get('/admin/analytics');
    assert.equal(page.status, 303);
    assert.match(page.headers.location!, /^\/login\?next=%2Fadmin%2Fanalytics/);
    assert.equal((await t.agent().get('/admin/analytics.csv')).status, 303);
    assert.equal((await t.agent().get('/admin/analytics').set('HX-Request', 'true')).status, 401);
  });

  test('a member who is not an admin gets 403, and nothing is audited', async () => {
    const before = await t.db.selectFrom('audit_log').select(t.db.fn.countAll<number>().as('n')).where('action', 'like', 'analytics.%').executeTakeFirstOrThrow();
    assert.equal((await member.get('/admin/analytics')).status, 403);
    assert.equal((await member.get('/admin/analytics.csv')).status, 403);
    const after = await t.db.selectFrom('audit_log').select(t.db.fn.countAll<number>().as('n')).where('action', 'like', 'analytics.%').executeTakeFirstOrThrow();
    assert.equal(Number(after.n), Number(before.n));
  });

  test('the admin menu links to it', async () => {
    const page = html((await admin.get('/admin/reports')).text);
    assert.equal(page('a[href="/admin/analytics"]').length > 0, true);
  });
});

describe('admin analytics: the figures', () => {
  const range = '/admin/analytics?from=2025-03-03&to=2025-03-06';

  test('the page: each table, day by day, as computed by hand ("<5" for 1 to 4, 0 on an empty day)', async () => {
    const res = await admin.get(range);
    assert.equal(res.status, 200);
    const page = html(res.text);
    assert.deepEqual(tableOf(page, 'messages'), { '2025-03-03': ['11'], '2025-03-04': ['<5'], '2025-03-05': ['0'], '2025-03-06': ['7'] });
    assert.deepEqual(tableOf(page, 'senders'), { '2025-03-03': ['6'], '2025-03-04': ['<5'], '2025-03-05': ['0'], '2025-03-06': ['<5'] });
    assert.deepEqual(tableOf(page, 'conversations'), { '2025-03-03': ['6', '0', '6'], '2025-03-04': ['0', '0', '0'], '2025-03-05': ['0', '0', '0'], '2025-03-06': ['0', '0', '0'] });
    assert.deepEqual(tableOf(page, 'first-reply'), { '2025-03-03': ['5', '3 min'], '2025-03-04': ['<5', '<5 replies'], '2025-03-05': ['0', '—'], '2025-03-06': ['0', '—'] });
    assert.deepEqual(tableOf(page, 'attachments'), { '2025-03-03': ['5', '5 kB'], '2025-03-04': ['0', '0 B'], '2025-03-05': ['0', '0 B'], '2025-03-06': ['0', '0 B'] });
    assert.deepEqual(tableOf(page, 'reports-opened'), { '2025-03-03': ['<5'], '2025-03-04': ['0'], '2025-03-05': ['0'], '2025-03-06': ['6'] });
    assert.deepEqual(tableOf(page, 'reports-resolved'), {
      '2025-03-03': ['0', '0', '0', '0', '0'],
      '2025-03-04': ['<5', '0', '0', '0', '<5'],
      '2025-03-05': ['0', '0', '0', '0', '0'],
      '2025-03-06': ['0', '5', '<5', '0', '6'],
    });
    assert.deepEqual(tableOf(page, 'blocks'), { '2025-03-03': ['0'], '2025-03-04': ['5'], '2025-03-05': ['0'], '2025-03-06': ['0'] });
  });

  test('the headlines and their change against the previous 4 days', async () => {
    const page = html((await admin.get(range)).text);
    assert.equal(headline(page, 'messages'), '21');
    assert.match(changeOf(page, 'messages'), /^\+110% against the previous period$/);
    // (6 + 2 + 0 + 1) / 4 = 2.25 people a day: under 5.
    assert.equal(headline(page, 'senders'), '<5');
    assert.equal(headline(page, 'conversations'), '6');
    assert.match(changeOf(page, 'conversations'), /too few to compare/, 'the previous period had 1: no percentage may reveal it');
    // The six delays merged: 60, 120, 180, 240, 600, 86400 s; the median is (180 + 240) / 2 = 210 s.
    assert.equal(headline(page, 'first-reply'), '4 min');
    assert.equal(headline(page, 'attachments'), '5');
    assert.equal(page('[data-figure="attachments"] [data-extra]').text().trim(), '5 kB in total');
    assert.equal(headline(page, 'reports-opened'), '8');
    assert.equal(headline(page, 'reports-resolved'), '9');
    assert.equal(headline(page, 'blocks'), '5');
    assert.match(changeOf(page, 'blocks'), /none in the previous period/);
  });

  test('the charts: server-drawn SVG, one bar per day with a count, a grey stub for "<5", no script', async () => {
    const page = html((await admin.get(range)).text);
    const chart = page('[data-figure="messages"] svg');
    assert.equal(chart.attr('role'), 'img');
    assert.match(chart.attr('viewBox')!, /^0 0 \d+ \d+$/);
    const titles = chart.find('rect title').map((_, el) => page(el).text()).get();
    assert.deepEqual(titles, ['3 Mar 2025: 11 messages', '4 Mar 2025: <5 messages', '6 Mar 2025: 7 messages']);
    assert.equal(chart.find('rect[data-small]').length, 1);
    assert.equal(page('script:not([src])').filter((_, el) => /analytics/i.test(page(el).text())).length, 0);
  });

  test('never a name, never message text', async () => {
    const text = (await admin.get(range)).text + (await admin.get(range.replace('analytics', 'analytics.csv'))).text;
    assert.doesNotMatch(text, /Secret Name|person_\d|never counted/);
  });

  test('the CSV: same figures, a header row, one row per day, an attachment', async () => {
    const res = await admin.get('/admin/analytics.csv?from=2025-03-03&to=2025-03-06');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type']!, /^text\/csv/);
    assert.match(res.headers['content-disposition']!, /^attachment; filename="?courier-analytics-2025-03-03-to-2025-03-06\.csv"?$/);
    const rows = parseCsv(res.text);
    assert.deepEqual(rows[0], [
      'day', 'messages_sent', 'people_who_sent', 'new_conversations', 'new_direct_conversations', 'new_group_conversations', 'first_replies', 'median_first_reply_seconds',
      'files_sent', 'files_bytes', 'reports_opened', 'reports_resolved', 'resolved_dismiss', 'resolved_warn', 'resolved_suspend', 'resolved_redact', 'blocks',
    ]);
    assert.deepEqual(rows.slice(1), [
      ['2025-03-03', '11', '6', '6', '6', '0', '5', '180', '5', '5000', '<5', '0', '0', '0', '0', '0', '0'],
      ['2025-03-04', '<5', '<5', '0', '0', '0', '<5', '<5', '0', '0', '0', '<5', '<5', '0', '0', '0', '5'],
      ['2025-03-05', '0', '0', '0', '0', '0', '0', '', '0', '0', '0', '0', '0', '0', '0', '0', '0'],
      ['2025-03-06', '7', '<5', '0', '0', '0', '0', '', '0', '0', '6', '6', '0', '5', '<5', '0', '0'],
    ]);
  });

  test('every view and every export is in the audit log, with its range', async () => {
    await t.db.deleteFrom('audit_log').where('action', 'like', 'analytics.%').execute();
    await admin.get(range);
    await admin.get('/admin/analytics.csv?from=2025-03-03&to=2025-03-06');
    const rows = await t.db.selectFrom('audit_log').select(['action', 'actor_id', 'detail']).where('action', 'like', 'analytics.%').orderBy('id').execute();
    assert.deepEqual(rows, [
      { action: 'analytics.viewed', actor_id: adminId, detail: { from: '2025-03-03', to: '2025-03-06' } },
      { action: 'analytics.exported', actor_id: adminId, detail: { from: '2025-03-03', to: '2025-03-06' } },
    ]);
  });

  test('the page costs the same few statements whatever the range', async () => {
    const week = await t.countQueries(() => admin.get('/admin/analytics?range=7'));
    const year = await t.countQueries(() => admin.get('/admin/analytics?from=2024-03-07&to=2025-03-07'));
    assert.equal(week.length, year.length);
    assert.equal(week.filter((q) => /analytics_days/.test(q)).length, 1);
    assert.equal(week.filter((q) => /\bmessages\b/.test(q) && !/analytics/.test(q)).length, 0, 'no statement reads messages');
  });
});

describe('admin analytics: the range', () => {
  test('range=7|30|90 and the default (30) end today', async () => {
    const today = utcDay(new Date());
    for (const [query, days] of [['?range=7', 7], ['?range=90', 90], ['', 30]] as const) {
      const page = html((await admin.get(`/admin/analytics${query}`)).text);
      assert.equal(page('[data-range]').attr('data-range'), `${addDays(today, -(days - 1))}/${today}`);
      assert.equal(page('[data-figure="messages"] tbody tr').length, days);
    }
  });

  test('bad dates, from after to, a future end or too long a span: 400 with the form kept, nothing audited', async () => {
    await t.db.deleteFrom('audit_log').where('action', 'like', 'analytics.%').execute();
    const cases = [
      ['from=2025-02-30&to=2025-03-04', /calendar days/],
      ['from=yesterday&to=2025-03-04', /calendar days/],
      ['from=2025-03-04', /calendar days/],
      ['from=2025-03-06&to=2025-03-03', /must not be after/],
      ['from=2025-03-06&to=2999-01-01', /at the latest/],
      ['from=2023-01-01&to=2025-01-01', /at most 366 days/],
      ['range=12', /Choose the last 7, 30, 90 days/],
    ] as const;
    for (const [query, message] of cases) {
      const res = await admin.get(`/admin/analytics?${query}`);
      assert.equal(res.status, 400, query);
      const page = html(res.text);
      assert.match(page('[data-range-error]').text(), message, query);
      const from = new URLSearchParams(query).get('from');
      if (from) assert.equal(page('input[name=from]').val(), from, 'what was typed stays');
      assert.equal(page('[data-figure]').length, 0);
      assert.equal((await admin.get(`/admin/analytics.csv?${query}`)).status, 400);
    }
    assert.equal((await t.db.selectFrom('audit_log').select('id').where('action', 'like', 'analytics.%').execute()).length, 0);
  });
});

describe('admin analytics: the rollup job', () => {
  test('after downtime, every missed day is rolled up, each once; then only yesterday and today', async () => {
    const today = utcDay(new Date());
    const conv = await conversation(users[6]!, users[7]!, `${addDays(today, -10)}T12:00:00Z`);
    for (let back = 4; back >= 1; back--) {
      for (let i = 0; i < 5 + back; i++) await message(conv, users[6]!, `${addDays(today, -back)}T0${i}:00:00Z`);
    }
    // The job last ran five days ago: the days after hold nothing yet.
    await t.db.updateTable('analytics_rollup_state').set({ rolled_through: addDays(today, -5) }).execute();
    await t.db.deleteFrom('analytics_days').where('day', '>', addDays(today, -5)).execute();
    const [result] = await rollUpAll();
    assert.deepEqual(result!.days, [-4, -3, -2, -1, 0].map((n) => addDays(today, n)));
    const rows = await t.db.selectFrom('analytics_days').select(['messages']).select((eb) => eb.fn<string>('to_char', ['day', eb.val('YYYY-MM-DD')]).as('day')).where('day', '>=', addDays(today, -5)).orderBy('day').execute();
    assert.deepEqual(
      rows.map((r) => [r.day, r.messages]),
      [[addDays(today, -5), 0], [addDays(today, -4), 9], [addDays(today, -3), 8], [addDays(today, -2), 7], [addDays(today, -1), 6], [today, 0]],
    );
    // Next run: only yesterday and today again.
    assert.deepEqual((await rollUpAll())[0]!.days, [addDays(today, -1), today]);
  });

  test('a long history is caught up in batches of at most 31 days', async () => {
    await t.db.updateTable('analytics_rollup_state').set({ rolled_through: '2025-01-01' }).execute();
    const results = await rollUpAll();
    assert.ok(results.length > 1);
    assert.ok(results.every((r) => r.days.length <= 31));
    assert.deepEqual(results.slice(0, -1).map((r) => r.behind), results.slice(0, -1).map(() => true));
    const all = results.flatMap((r) => r.days);
    assert.equal(new Set(all).size, all.length, 'no day twice');
    assert.equal(all[0], '2025-01-02');
    assert.equal(all.at(-1), utcDay(new Date()));
  });

  test('through the job queue: an instance that starts rolls up at once', async () => {
    const today = utcDay(new Date());
    await t.db.updateTable('analytics_rollup_state').set({ rolled_through: addDays(today, -3) }).execute();
    await t.db.deleteFrom('analytics_days').where('day', '=', today).execute();
    const conv = await conversation(users[5]!, users[7]!, new Date().toISOString());
    for (let i = 0; i < 6; i++) await message(conv, users[5]!, new Date().toISOString());
    const instance = t.secondInstance({ runJobs: true });
    await instance.ready;
    const deadline = Date.now() + 20_000;
    let row: { messages: number } | undefined;
    while (Date.now() < deadline) {
      row = await t.db.selectFrom('analytics_days').select('messages').where('day', '=', today).executeTakeFirst();
      if (row) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.ok(row, 'the job rolled today up');
    assert.ok(row.messages >= 6);
    const state = await t.db.selectFrom('analytics_rollup_state').select((eb) => eb.fn<string>('to_char', ['rolled_through', eb.val('YYYY-MM-DD')]).as('day')).executeTakeFirstOrThrow();
    assert.equal(state.day, addDays(today, -1), 'the watermark: the last day rolled up after it ended');
    await instance.close();
  });
});
