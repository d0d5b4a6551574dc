import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import supertest from 'supertest';
import { createApp } from '../../src/app.js';
import { projectRoot } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { demoLogins, isEmpty, seedDemo } from '../../src/seed/demo.js';
import { html, logIn } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let database: TestDatabase;
before(async () => {
  database = await createTestDatabase();
});
after(async () => {
  await database.drop();
});

const db = () => database.hostDb;

/** Everything the seed writes, in a stable order, to compare one run with the next. */
async function snapshot() {
  const users = await db().selectFrom('users').select(['id', 'username', 'display_name', 'password_hash', 'role', 'avatar_version']).orderBy('id').execute();
  const avatars = await db().selectFrom('user_avatars').select(['user_id', 'small', 'large', 'updated_at']).orderBy('user_id').execute();
  const connections = await db()
    .selectFrom('connections')
    .select(['user_low', 'user_high', 'requested_by', 'status', 'accepted_at', 'created_at'])
    .orderBy('user_low')
    .orderBy('user_high')
    .execute();
  return { users, avatars, connections };
}

async function connectionBetween(a: string, b: string) {
  const ids = await db().selectFrom('users').select(['id', 'username']).where('username', 'in', [a, b]).execute();
  const idA = ids.find((u) => u.username === a)!.id;
  const idB = ids.find((u) => u.username === b)!.id;
  const row = await db()
    .selectFrom('connections')
    .select(['status', 'requested_by'])
    .where('user_low', '=', Math.min(idA, idB))
    .where('user_high', '=', Math.max(idA, idB))
    .executeTakeFirst();
  return row && { status: row.status, requestedBy: row.requested_by === idA ? a : b };
}

describe('seedDemo', () => {
  test('creates the demo people, photos, connections and pending requests', async () => {
    assert.equal(await isEmpty(db()), true);
    await seedDemo(db());
    assert.equal(await isEmpty(db()), false);

    const usernames = demoLogins.map((l) => l.username);
    assert.ok(usernames.length >= 4);
    assert.ok(demoLogins.every((l) => l.password === 'courier-demo'));
    const users = await db().selectFrom('users').select(['id', 'username', 'display_name', 'avatar_version', 'role']).execute();
    assert.deepEqual(users.map((u) => u.username).sort(), [...usernames].sort());
    assert.ok(users.every((u) => u.display_name.trim().length > 0));
    assert.ok(users.every((u) => u.role === 'member'), 'nobody is an admin by default');

    const withPhoto = users.filter((u) => u.avatar_version !== null);
    assert.ok(withPhoto.length > 0, 'some have photos');
    assert.ok(withPhoto.length < users.length, 'some keep their initials');
    const avatars = await db().selectFrom('user_avatars').select(['user_id', 'small', 'large']).execute();
    assert.deepEqual(avatars.map((a) => a.user_id).sort(), withPhoto.map((u) => u.id).sort(), 'a stored photo for each, and only for them');
    for (const a of avatars) {
      assert.equal(a.small.subarray(8, 12).toString('latin1'), 'WEBP');
      assert.equal(a.large.subarray(8, 12).toString('latin1'), 'WEBP');
    }

    const connections = await db().selectFrom('connections').select(['status', 'accepted_at']).execute();
    const accepted = connections.filter((c) => c.status === 'accepted');
    const pending = connections.filter((c) => c.status === 'pending');
    assert.ok(accepted.length > 0, 'accepted connections');
    assert.ok(pending.length > 0, 'pending requests');
    assert.ok(accepted.every((c) => c.accepted_at !== null));
    assert.ok(pending.every((c) => c.accepted_at === null));

    assert.deepEqual(await connectionBetween('alice', 'bob'), { status: 'accepted', requestedBy: 'alice' });
    assert.deepEqual(await connectionBetween('farah', 'alice'), { status: 'pending', requestedBy: 'farah' });
    assert.deepEqual(await connectionBetween('alice', 'emeka'), { status: 'pending', requestedBy: 'alice' });
  });

  test('running it again changes nothing', async () => {
    const first = await snapshot();
    await seedDemo(db());
    const second = await snapshot();
    assert.deepEqual(second, first);
  });

  test('a demo user can log in with the demo password and sees the demo data', async () => {
    const { app, close } = createApp({
      db: db(),
      pool: database.pool,
      log: createLogger('silent'),
      sessionSecret: 'test-secret-test-secret-test-secret',
      pruneSessions: false,
      authLimits: { perIp: 10_000, perUsername: 10_000, windowMs: 60_000 },
    });
    try {
      const agent = supertest.agent(app);
      const res = await logIn(agent, 'alice', 'courier-demo');
      assert.equal(res.headers.location, '/messages');
      const page = await agent.get('/connections');
      assert.equal(page.status, 200);
      const text = html(page.text)('main').text();
      assert.match(text, /Bob Okafor/, 'a connection is listed');
      assert.match(text, /Farah Haddad/, 'a pending request is listed');

      const alice = await db().selectFrom('users').select(['id', 'avatar_version']).where('username', '=', 'alice').executeTakeFirstOrThrow();
      assert.notEqual(alice.avatar_version, null);
      const photo = await agent.get(`/avatars/${alice.id}/${alice.avatar_version}/small.webp`);
      assert.equal(photo.status, 200);
      assert.match(photo.headers['content-type']!, /image\/webp/);

      const wrong = await supertest.agent(app);
      await assert.rejects(logIn(wrong, 'alice', 'not-the-demo-password'), /401/);
    } finally {
      await close();
    }
  });
});

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function admin(...args: string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: database.url };
    for (const name of ['PORT', 'SESSION_SECRET', 'TRUST_PROXY', 'LOG_LEVEL']) delete env[name];
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/admin.ts', ...args], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill(), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const roleOf = async (username: string) =>
  (await db().selectFrom('users').select('role').where('username', '=', username).executeTakeFirstOrThrow()).role;

describe('the admin command', () => {
  test('list with no admins says so', async () => {
    const res = await admin('list');
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout.trim(), '(no admins)');
  });

  test('grant makes a user an admin (username folded to lower case)', async () => {
    const res = await admin('grant', 'Alice');
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /alice/);
    assert.equal(await roleOf('alice'), 'admin');
    assert.equal(await roleOf('bob'), 'member', 'nobody else');
    assert.equal((await admin('grant', 'dana')).code, 0);
    assert.equal(await roleOf('dana'), 'admin');
  });

  test('list prints the admins', async () => {
    const res = await admin('list');
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(res.stdout.trim().split('\n'), ['alice', 'dana']);
  });

  test('revoke makes an admin a member again', async () => {
    const res = await admin('revoke', 'alice');
    assert.equal(res.code, 0, res.stderr);
    assert.equal(await roleOf('alice'), 'member');
    assert.equal(await roleOf('dana'), 'admin');
    assert.equal((await admin('list')).stdout.trim(), 'dana');
  });

  test('an unknown username exits 1 and changes nothing', async () => {
    const before = await db().selectFrom('users').select(['username', 'role']).orderBy('username').execute();
    const [grant, revoke] = await Promise.all([admin('grant', 'nobody_here'), admin('revoke', 'nobody_here')]);
    assert.equal(grant.code, 1);
    assert.match(grant.stderr, /nobody_here/);
    assert.equal(revoke.code, 1);
    assert.deepEqual(await db().selectFrom('users').select(['username', 'role']).orderBy('username').execute(), before);
  });

  test('no arguments, an unknown command or a missing username exit 2 with usage', async () => {
    const cases = [[], ['promote', 'alice'], ['grant']];
    const results = await Promise.all(cases.map((args) => admin(...args)));
    results.forEach((res, i) => {
      assert.equal(res.code, 2, `exit code for ${JSON.stringify(cases[i])}`);
      assert.match(res.stderr, /usage/i);
      assert.match(res.stderr, /grant/);
    });
    assert.equal(await roleOf('alice'), 'member');
  });
});
