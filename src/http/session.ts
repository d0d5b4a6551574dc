import { randomBytes } from 'node:crypto';
import connectPgSimple from 'connect-pg-simple';
import type { RequestHandler } from 'express';
import session from 'express-session';
import type pg from 'pg';
import type { Db } from '../db/database.js';

declare module 'express-session' {
  interface SessionData {
    userId: number;
    flash: string;
    /** The day (since 1970) the cookie was last renewed: see renewDaily. */
    day: number;
  }
}

const THIRTY_DAYS = 30 * 24 * 60 * 60 * 1000;
const TOUCH_EVERY_MS = 60 * 60 * 1000;

/** Sessions live in PostgreSQL: a restart logs no one out and every instance reads the same ones. */
export function sessionMiddleware(pool: pg.Pool, secret: string, pruneExpired = true) {
  const PgStore = connectPgSimple(session);
  /**
   * express-session "touches" a session on every request to push its expiry back: one UPDATE per
   * request. Once an hour per session (and instance) is plenty for a thirty-day session.
   */
  class ThrottledStore extends PgStore {
    private readonly touched = new Map<string, number>();
    override touch(sid: string, sess: session.SessionData, done?: () => void): void {
      const now = Date.now();
      if (now - (this.touched.get(sid) ?? 0) < TOUCH_EVERY_MS) return done?.();
      if (this.touched.size > 50_000) this.touched.clear();
      this.touched.set(sid, now);
      super.touch(sid, sess, done);
    }
  }
  const store = new ThrottledStore({
    pool,
    tableName: 'session',
    createTableIfMissing: false,
    pruneSessionInterval: pruneExpired ? 15 * 60 : false,
  });
  const middleware = session({
    name: 'courier.sid',
    store,
    secret,
    resave: false,
    saveUninitialized: false,
    // Not on every response: a Set-Cookie on each answer costs every poll 200 bytes. The session
    // still slides: renewDaily changes it once a day, and a changed session gets a new cookie.
    rolling: false,
    cookie: { httpOnly: true, sameSite: 'lax', secure: 'auto', maxAge: THIRTY_DAYS },
  });
  return { middleware: [middleware, renewDaily], close: () => store.close() };
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** A logged-in session's first request of each day renews its cookie (thirty more days). */
const renewDaily: RequestHandler = (req, _res, next) => {
  const today = Math.floor(Date.now() / DAY_MS);
  if (req.session?.userId !== undefined && req.session.day !== today) req.session.day = today;
  next();
};

/**
 * SESSION_SECRET when given; otherwise one generated on first boot and kept in the database, so
 * several instances on one DATABASE_URL accept each other's cookies with no other setting.
 */
export async function resolveSessionSecret(db: Db, configured: string | undefined): Promise<string> {
  if (configured) return configured;
  await db
    .insertInto('app_settings')
    .values({ key: 'session_secret', value: randomBytes(48).toString('base64url') })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const row = await db.selectFrom('app_settings').select('value').where('key', '=', 'session_secret').executeTakeFirstOrThrow();
  return row.value;
}
