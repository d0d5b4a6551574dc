import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { html, startTestApp, type TestApp } from '../support/app.js';
import { newMember, type Member } from '../support/members.js';

// Reports reach the moderators, so one person cannot flood them: at most 10 an hour per
// reporter (CONTRACT.md, Safety), counted in the database from the reports stored, so parallel
// posts and several instances cannot slip past; and the details are at most 2,000 characters.

let t: TestApp;
before(async () => {
  t = await startTestApp();
});

const report = (from: Member, about: Member, fields: Record<string, string> = {}) =>
  from.agent.post(`/u/${about.username}/report`).type('form').send({ _csrf: from.token, reason: 'spam', details: 'sent me spam', ...fields });

const reportsBy = async (m: Member) => (await t.db.selectFrom('reports').select('id').where('reporter_id', '=', m.id).execute()).length;

describe('reports per reporter', () => {
  test('10 in an hour; the 11th is 429 with Retry-After, the form kept, nothing stored or blocked', async () => {
    const reporter = await newMember(t, 'rep');
    const targets = await Promise.all(Array.from({ length: 11 }, () => newMember(t, 'target')));
    for (const target of targets.slice(0, 10)) assert.equal((await report(reporter, target)).status, 303);
    const last = targets[10]!;
    const res = await report(reporter, last, { reason: 'harassment', details: 'kept details 51e0', block: 'on' });
    assert.equal(res.status, 429);
    const retryAfter = Number(res.headers['retry-after']);
    assert.ok(retryAfter > 0 && retryAfter <= 3600, `Retry-After ${res.headers['retry-after']}`);
    const $ = html(res.text);
    assert.equal($('#report-details').text(), 'kept details 51e0', 'the details kept');
    assert.equal($('input[name=reason][value=harassment]').attr('checked'), 'checked', 'the reason kept');
    assert.equal($('input[name=block]').attr('checked'), 'checked', 'the block choice kept');
    assert.match($('main').text(), /too many reports|try again/i);
    assert.equal(await reportsBy(reporter), 10);
    const blocked = await t.db.selectFrom('blocks').select('blocked_id').where('blocker_id', '=', reporter.id).execute();
    assert.deepEqual(blocked, [], 'the block asked for with a refused report is not made');
  });

  test('40 at once from one person: exactly 10 stored, the rest 429', async () => {
    const reporter = await newMember(t, 'burst');
    const target = await newMember(t, 'target');
    const statuses = (await Promise.all(Array.from({ length: 40 }, () => report(reporter, target)))).map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 303).length, 10);
    assert.equal(statuses.filter((s) => s === 429).length, 30);
    assert.equal(await reportsBy(reporter), 10);
  });

  test('another reporter is not held by someone else\'s limit; refused reports do not count', async () => {
    const busy = await newMember(t, 'busy');
    const calm = await newMember(t, 'calm');
    const target = await newMember(t, 'target');
    for (let i = 0; i < 10; i += 1) await report(busy, target);
    assert.equal((await report(busy, target)).status, 429);
    for (let i = 0; i < 5; i += 1) assert.equal((await report(calm, target, { reason: 'nonsense' })).status, 400);
    for (let i = 0; i < 10; i += 1) assert.equal((await report(calm, target)).status, 303, `calm report ${i + 1}`);
  });

  test('the hour rolls: reports older than an hour no longer count', async () => {
    const reporter = await newMember(t, 'roll');
    const target = await newMember(t, 'target');
    for (let i = 0; i < 10; i += 1) await report(reporter, target);
    assert.equal((await report(reporter, target)).status, 429);
    await sql`update reports set created_at = now() - interval '61 minutes' where reporter_id = ${reporter.id}`.execute(t.db);
    assert.equal((await report(reporter, target)).status, 303);
  });
});

describe('report details', () => {
  test('over 2,000 characters: 400 with the form and the details kept', async () => {
    const reporter = await newMember(t, 'long');
    const target = await newMember(t, 'target');
    const details = 'x'.repeat(2001);
    const res = await report(reporter, target, { details });
    assert.equal(res.status, 400);
    assert.equal(html(res.text)('#report-details').text(), details);
    assert.match(html(res.text)('#details-error').text(), /2000/);
    assert.equal(await reportsBy(reporter), 0);
  });
});
