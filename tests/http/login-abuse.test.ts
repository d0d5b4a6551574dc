import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { csrfToken, html, PASSWORD, startTestApp, type Agent } from '../support/app.js';

// Failed logins: what they leave behind (a password typed into the username box must not be
// kept anywhere) and whom they lock out (an attacker at one address must not lock the owner out).

const attempt = (agent: Agent, token: string, ip: string, username: string, password: string) =>
  agent.post('/login').set('X-Forwarded-For', ip).type('form').send({ username, password, _csrf: token });

describe('what a failed login stores', () => {
  test('a password typed into the username box is in neither the audit log nor the rate-limit keys', async () => {
    const t = await startTestApp({ trustProxy: true });
    await t.createUser('vera');
    const agent = t.agent();
    const token = await csrfToken(agent, '/login');
    const typedPassword = 'Hunter2-Secret-9f4c';
    assert.equal((await attempt(agent, token, '10.1.0.1', typedPassword, 'whatever-else')).status, 401);
    assert.equal((await attempt(agent, token, '10.1.0.1', 'vera', typedPassword)).status, 401);

    const audit = await t.db.selectFrom('audit_log').select(['action', 'subject_user_id', 'detail']).where('action', '=', 'auth.login_failed').orderBy('id').execute();
    assert.equal(audit.length, 2);
    const vera = await t.db.selectFrom('users').select('id').where('username', '=', 'vera').executeTakeFirstOrThrow();
    assert.equal(audit[0]!.subject_user_id, null, 'an unknown username: no one');
    assert.equal(audit[1]!.subject_user_id, vera.id, 'a known account: its id');
    const auditText = JSON.stringify(audit).toLowerCase();
    assert.ok(!auditText.includes(typedPassword.toLowerCase()), 'the typed text is not in the audit log');
    assert.ok(!auditText.includes('vera'), 'not even a real username: the id says it');

    const keys = (await t.db.selectFrom('rate_limit_hits').select('key').execute()).map((row) => row.key);
    assert.ok(keys.length > 0, 'failures were counted');
    for (const key of keys) {
      assert.ok(!key.toLowerCase().includes(typedPassword.toLowerCase()), `the typed text is not a key: ${key}`);
      assert.ok(!key.includes('vera'), `usernames are not keys in clear: ${key}`);
    }
  });

  test('the keyed hash depends on the secret: the same username under another secret counts separately', async () => {
    const limits = { perIp: 100, perUsername: 1, perAccount: 100, windowMs: 60_000, accountWindowMs: 60_000 };
    const first = await startTestApp({ authLimits: limits, trustProxy: true });
    const other = first.secondInstance({ sessionSecret: 'another-secret-another-secret-another', authLimits: limits, trustProxy: true });
    const a = first.agent();
    const tokenA = await csrfToken(a, '/login');
    assert.equal((await attempt(a, tokenA, '10.2.0.1', 'wendy', 'wrong-one-1')).status, 401);
    assert.equal((await attempt(a, tokenA, '10.2.0.1', 'wendy', 'wrong-one-2')).status, 429);
    const keysA = new Set((await first.db.selectFrom('rate_limit_hits').select('key').execute()).map((r) => r.key));
    const { default: supertest } = await import('supertest');
    const b = supertest.agent(other.app);
    const tokenB = await csrfToken(b, '/login');
    assert.equal((await attempt(b, tokenB, '10.2.0.1', 'wendy', 'wrong-one-3')).status, 401, 'a fresh count under the other secret');
    const keysB = (await first.db.selectFrom('rate_limit_hits').select('key').execute()).map((r) => r.key).filter((k) => !keysA.has(k));
    assert.ok(keysB.length > 0);
  });
});

describe('who a run of failed logins locks out', () => {
  test('8 wrong passwords from one address: that address is stopped, the owner elsewhere still gets in', async () => {
    // The product's own limits (the attack in the report: 8 wrong passwords, then the owner locked out for 11 minutes).
    const t = await startTestApp({ authLimits: undefined, trustProxy: true });
    await t.createUser('xena');
    const attacker = t.agent();
    const attackerToken = await csrfToken(attacker, '/login');
    const statuses: number[] = [];
    for (let i = 0; i < 10; i += 1) statuses.push((await attempt(attacker, attackerToken, '203.0.113.7', 'xena', `guess-number-${i}`)).status);
    assert.deepEqual(statuses.slice(0, 8), Array(8).fill(401), 'the first 8 are ordinary failures');
    assert.deepEqual(statuses.slice(8), [429, 429], 'then this address is stopped');

    const stopped = await attempt(attacker, attackerToken, '203.0.113.7', 'xena', PASSWORD);
    assert.equal(stopped.status, 429, 'even with the right password, from that address');
    assert.ok(Number(stopped.headers['retry-after']) > 0);
    assert.equal(html(stopped.text)('#username').val(), 'xena', 'the form kept');

    const owner = t.agent();
    const ownerToken = await csrfToken(owner, '/login');
    const res = await attempt(owner, ownerToken, '198.51.100.20', 'xena', PASSWORD);
    assert.equal(res.status, 303, 'the owner, from their own address, logs in');
  });

  test('the owner who mistypes at home is not affected by the attacker either', async () => {
    const t = await startTestApp({ authLimits: undefined, trustProxy: true });
    await t.createUser('yara');
    const attacker = t.agent();
    const attackerToken = await csrfToken(attacker, '/login');
    for (let i = 0; i < 9; i += 1) await attempt(attacker, attackerToken, '203.0.113.8', 'yara', `guess-${i}-x`);
    const owner = t.agent();
    const ownerToken = await csrfToken(owner, '/login');
    assert.equal((await attempt(owner, ownerToken, '198.51.100.21', 'yara', 'typo-password')).status, 401);
    assert.equal((await attempt(owner, ownerToken, '198.51.100.21', 'yara', PASSWORD)).status, 303);
  });

  test('failures spread over many addresses meet the much higher account-wide cap', async () => {
    const limits = { perIp: 100, perUsername: 2, perAccount: 5, windowMs: 60_000, accountWindowMs: 60 * 60_000 };
    const t = await startTestApp({ authLimits: limits, trustProxy: true });
    await t.createUser('zoe');
    const agent = t.agent();
    const token = await csrfToken(agent, '/login');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) statuses.push((await attempt(agent, token, `192.0.2.${i + 1}`, 'Zoe', `wrong-${i}-pass`)).status);
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429], 'five failures from five addresses, then the account is held');
    const res = await attempt(agent, token, '192.0.2.99', 'zoe', PASSWORD);
    assert.equal(res.status, 429, 'for everyone, until the hour is over');
    assert.ok(Number(res.headers['retry-after']) > 60, 'Retry-After counts the account window');
  });

  test('per (username, address): two failures each from two addresses, then each address is stopped on its own', async () => {
    const limits = { perIp: 100, perUsername: 2, perAccount: 100, windowMs: 60_000, accountWindowMs: 60 * 60_000 };
    const t = await startTestApp({ authLimits: limits, trustProxy: true });
    await t.createUser('ada');
    const agent = t.agent();
    const token = await csrfToken(agent, '/login');
    assert.equal((await attempt(agent, token, '10.9.0.1', 'ada', 'bad-one-1')).status, 401);
    assert.equal((await attempt(agent, token, '10.9.0.1', 'ada', 'bad-one-2')).status, 401);
    assert.equal((await attempt(agent, token, '10.9.0.1', 'ada', 'bad-one-3')).status, 429);
    assert.equal((await attempt(agent, token, '10.9.0.2', 'ada', 'bad-two-1')).status, 401);
    assert.equal((await attempt(agent, token, '10.9.0.2', 'ada', 'bad-two-2')).status, 401);
    assert.equal((await attempt(agent, token, '10.9.0.2', 'ada', 'bad-two-3')).status, 429);
    assert.equal((await attempt(agent, token, '10.9.0.3', 'ada', PASSWORD)).status, 303);
  });
});

describe('what earlier versions stored', () => {
  test('migration 0016 takes typed usernames out of failed-login audit rows and drops counters keyed by them', async () => {
    const { createTestDatabase } = await import('../support/database.js');
    const { up } = await import('../../migrations/0016_reports_per_reporter.js');
    const { sql } = await import('kysely');
    const database = await createTestDatabase();
    try {
      const { db } = database;
      await db.insertInto('audit_log').values([
        { action: 'auth.login_failed', detail: JSON.stringify({ username: 'hunter2-typed-as-name' }) },
        { action: 'auth.login_failed', subject_user_id: null, detail: JSON.stringify({ suspended: true, username: 'x' }) },
        { action: 'report.created', detail: JSON.stringify({ reason: 'spam', username: 'kept' }) },
      ]).execute();
      await db.insertInto('rate_limit_hits').values([
        { key: 'login:user:hunter2-typed-as-name', hits: 3, reset_at: new Date(Date.now() + 60_000) },
        { key: 'signup:user:someone', hits: 1, reset_at: new Date(Date.now() + 60_000) },
        { key: 'login:ip:10.0.0.1', hits: 2, reset_at: new Date(Date.now() + 60_000) },
      ]).execute();
      // Already applied to this fresh database: run it again as on one from before it.
      await sql`drop index reports_reporter_time_idx`.execute(db);
      await up(db);
      const audit = await db.selectFrom('audit_log').select(['action', 'detail']).orderBy('id').execute();
      assert.deepEqual(audit.map((row) => row.detail), [null, { suspended: true }, { reason: 'spam', username: 'kept' }]);
      const keys = (await db.selectFrom('rate_limit_hits').select('key').execute()).map((row) => row.key);
      assert.deepEqual(keys, ['login:ip:10.0.0.1']);
    } finally {
      await database.drop();
    }
  });
});
