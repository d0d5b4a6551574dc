import { after } from 'node:test';
import { Writable } from 'node:stream';
import * as cheerio from 'cheerio';
import supertest from 'supertest';
import { createApp, type AppDeps } from '../../src/app.js';
import { hashPassword } from '../../src/auth/password.js';
import { createLogger } from '../../src/logger.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export const PASSWORD = 'correct horse battery';

// Registered when a test file imports this module (the file's root context), so every app and
// database made during the file, in hooks or in tests, is torn down once the whole file is done.
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});
let passwordHash: Promise<string> | undefined;

export type Agent = ReturnType<typeof supertest.agent>;

export interface TestApp {
  app: ReturnType<typeof createApp>['app'];
  database: TestDatabase;
  db: TestDatabase['db'];
  /** Everything the app logged, as JSON lines. */
  logs: string[];
  agent(): Agent;
  /** A user made straight in the database (fast), then logged in through the form. */
  userAgent(username: string, displayName?: string): Promise<Agent>;
  createUser(username: string, displayName?: string): Promise<number>;
  /** Makes two users connections (straight in the database). */
  connect(a: number, b: number): Promise<void>;
  /** The SQL statements (through Kysely) that `run` caused. */
  countQueries(run: () => Promise<unknown>): Promise<string[]>;
  /** Stops this app's job queue (an instance going away while its jobs wait). */
  stopJobs(): Promise<void>;
  /** Another app instance on the same database (as a second server process would be). */
  secondInstance(overrides?: Partial<AppDeps>): ReturnType<typeof createApp>;
}

/** A connections row straight in the database, the pair ordered as the table wants it. */
export async function insertConnection(
  db: TestDatabase['db'],
  a: number,
  b: number,
  requestedBy: number,
  status: 'pending' | 'accepted',
  acceptedAt?: Date,
): Promise<void> {
  await db
    .insertInto('connections')
    .values({ user_low: Math.min(a, b), user_high: Math.max(a, b), requested_by: requestedBy, status, accepted_at: status === 'accepted' ? (acceptedAt ?? new Date()) : null })
    .execute();
}

/** The agent's session cookie, as a browser would send it. */
export async function sessionCookie(agent: Agent): Promise<string | undefined> {
  return (await agent.jar.getCookie('courier.sid', { domain: '127.0.0.1', path: '/', secure: false, script: false }))?.toValueString();
}

export const TEST_SECRET = 'test-secret-test-secret-test-secret';

/** Boots the whole app in-process on a database of its own; everything is torn down after the file. */
export async function startTestApp(overrides: Partial<AppDeps> = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const { app, ready, close, stopJobs } = createApp({
    db: database.hostDb,
    deliveryDb: database.deliveryDb,
    pool: database.pool,
    log: createLogger('info', sink),
    sessionSecret: TEST_SECRET,
    pruneSessions: false,
    authLimits: { perIp: 10_000, perUsername: 10_000, perAccount: 10_000, windowMs: 60_000, accountWindowMs: 60_000 },
    ...overrides,
  });
  cleanups.push(async () => {
    await close();
    await database.drop();
  });
  // As the server does before it listens: its stream listener and, when asked, its job queue are up.
  await ready;

  const createUser = async (username: string, displayName = titleCase(username)) => {
    passwordHash ??= hashPassword(PASSWORD);
    const row = await database.db
      .insertInto('users')
      .values({ username, display_name: displayName, password_hash: await passwordHash })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  };

  return {
    app,
    database,
    db: database.db,
    logs,
    agent: () => supertest.agent(app),
    createUser,
    connect: (a, b) => insertConnection(database.db, a, b, a, 'accepted'),
    stopJobs,
    secondInstance(more = {}) {
      const instance = createApp({ db: database.hostDb, deliveryDb: database.deliveryDb, pool: database.pool, log: createLogger('silent'), sessionSecret: TEST_SECRET, pruneSessions: false, ...overrides, ...more });
      cleanups.push(instance.close);
      return instance;
    },
    async countQueries(run) {
      database.queries.length = 0;
      await run();
      // Timer work, not the request's, is left out: the realtime instance heartbeat, and the
      // re-check of the sessions of streams this instance holds (liveSessions, on the heartbeat).
      return database.queries.splice(0).filter((text) => !text.includes('realtime_instances') && !text.includes('s.sid = any('));
    },
    async userAgent(username, displayName) {
      await createUser(username, displayName);
      const agent = supertest.agent(app);
      await logIn(agent, username);
      return agent;
    },
  };
}

export async function logIn(agent: Agent, username: string, password = PASSWORD) {
  const token = await csrfToken(agent, '/login');
  const res = await agent.post('/login').type('form').send({ username, password, _csrf: token });
  if (res.status !== 303) throw new Error(`login as ${username} failed: ${res.status}`);
  return res;
}

/** The CSRF token from a form on the page (every page a logged-in user sees carries one). */
export async function csrfToken(agent: Agent, path = '/settings'): Promise<string> {
  const res = await agent.get(path);
  const token = cheerio.load(res.text)('input[name=_csrf]').first().val();
  if (typeof token !== 'string' || !token) throw new Error(`no CSRF token on ${path} (status ${res.status})`);
  return token;
}

export const html = (text: string) => cheerio.load(text);

function titleCase(username: string): string {
  return username.charAt(0).toUpperCase() + username.slice(1);
}
