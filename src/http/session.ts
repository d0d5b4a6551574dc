import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import connectPgSimple from 'connect-pg-simple';
import type { Request, RequestHandler } from 'express';
import session from 'express-session';
import type pg from 'pg';
import type { Db } from '../db/database.js';

declare module 'express-session' {
  interface SessionData {
    userId: number;
    flash: string;
    /** The day (since 1970) the cookie was last renewed: see renewDaily. */
    day: number;
    /** When this login began (ms since 1970): the absolute lifetime counts from here. */
    createdAt: number;
    /** The browser's User-Agent at login, cut short: "my sessions" names the device from it. */
    ua: string;
    /** When the session was last used (ms since 1970), to the nearest few minutes. */
    seen: number;
  }
}

export interface SessionLifetime {
  /** Ends after this long without a visit (renewed daily while in use). */
  idleMs: number;
  /** Ends this long after login, used or not. */
  absoluteMs: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
export const defaultSessionLifetime: SessionLifetime = { idleMs: 30 * DAY_MS, absoluteMs: 90 * DAY_MS };

/**
 * How often a session's expiry is pushed back in the database (per session and instance). The
 * push also dates "last seen" in the list of my sessions, so it is minutes, not a day.
 */
export const TOUCH_EVERY_MS = 5 * 60 * 1000;

/** True when a stored session is past its absolute lifetime (sessions from before it counted are dated at their next visit). */
export function pastLifetime(sess: Partial<session.SessionData> | null | undefined, lifetime: SessionLifetime, now = Date.now()): boolean {
  return typeof sess?.createdAt === 'number' && now - sess.createdAt >= lifetime.absoluteMs;
}

/**
 * Reads a live session (by its idle expiry) and, in the same round trip, what the request will
 * want with it (the host's current user); `extra` is kept for the request (sessionExtra).
 */
export type SessionReader = (sid: string) => Promise<{ sess: unknown; extra: unknown } | undefined>;

/** Marks a session made in the current request (store.generate): the only kind a save may insert. */
const MADE_HERE = Symbol('session made in this request');

/** What the session's read brought along for this request, until the request ends. */
const readAlong = new AsyncLocalStorage<{ sid?: string; extra?: unknown }>();

/** What the session read brought for this request (the session `sid`'s), if it was read with one. */
export function sessionExtra(sid: string): unknown {
  const slot = readAlong.getStore();
  return slot?.sid === sid ? slot.extra : undefined;
}

/** Sessions live in PostgreSQL: a restart logs no one out and every instance reads the same ones. */
export function sessionMiddleware(pool: pg.Pool, secret: string, pruneExpired = true, lifetime: SessionLifetime, reader: SessionReader) {
  const PgStore = connectPgSimple(session);
  /**
   * express-session "touches" a session on every request to push its expiry back: one UPDATE per
   * request. Once every few minutes per session (and instance) is plenty. And a session past its
   * absolute lifetime is not found, whatever its idle expiry says: it is deleted instead (which
   * closes its event streams on every instance, see migration 0013).
   */
  /** When a stored session ends unless used again: its cookie's expiry (as connect-pg-simple stores it). */
  const expiresAt = (sess: session.SessionData) => (sess.cookie?.expires ? new Date(sess.cookie.expires).getTime() : Date.now() + lifetime.idleMs);
  class LifetimeStore extends PgStore {
    private readonly touched = new Map<string, number>();
    override touch(sid: string, sess: session.SessionData, done?: () => void): void {
      const now = Date.now();
      if (now - (this.touched.get(sid) ?? 0) < TOUCH_EVERY_MS) return done?.();
      if (this.touched.size > 50_000) this.touched.clear();
      this.touched.set(sid, now);
      // Pushes the expiry back as connect-pg-simple would, and notes when the session was last used.
      const expires = expiresAt(sess);
      pool
        .query(`update session set expire = to_timestamp($1), sess = (sess::jsonb || jsonb_build_object('seen', $2::bigint))::json where sid = $3`, [Math.ceil(expires / 1000), now, sid])
        .then(() => done?.(), () => done?.());
    }
    /**
     * Only a session made in this request (a login) is inserted. Any other save updates the row
     * if it is still there: a request that changed its session (the daily renewal, a flash) and
     * ends after a logout, a password change or an "end my other sessions" deleted that row (an
     * event stream ends just then) must not write it back, which connect-pg-simple's upsert did.
     */
    override set(sid: string, sess: session.SessionData, done?: (err?: unknown) => void): void {
      if ((sess as unknown as Record<symbol, unknown>)[MADE_HERE]) return super.set(sid, sess, done);
      const expires = expiresAt(sess);
      pool
        .query(`update session set sess = $1, expire = to_timestamp($2) where sid = $3`, [JSON.stringify(sess), Math.ceil(expires / 1000), sid])
        .then(() => done?.(), (err: unknown) => done?.(err));
    }
    override get(sid: string, done: (err: unknown, sess?: session.SessionData | null) => void): void {
      const checked = (err: unknown, sess?: session.SessionData | null) => {
        if (err || !pastLifetime(sess, lifetime)) return done(err, sess);
        this.destroy(sid, (destroyErr?: unknown) => done(destroyErr, null));
      };
      // The request's slot, taken now: the read's callback may run in another context.
      const slot = readAlong.getStore();
      reader(sid).then(
        (found) => {
          if (!found) return checked(null, null);
          let sess: session.SessionData;
          try {
            sess = (typeof found.sess === 'string' ? JSON.parse(found.sess) : found.sess) as session.SessionData;
          } catch {
            return this.destroy(sid, (destroyErr?: unknown) => done(destroyErr, null));
          }
          if (slot) Object.assign(slot, { sid, extra: found.extra });
          checked(null, sess);
        },
        (err: unknown) => done(err),
      );
    }
  }
  const store = new LifetimeStore({
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
    // Nothing is stored for a visitor who has not logged in: the login and sign-up forms carry a
    // CSRF token without a session (src/http/csrf.ts), so a visit writes no row.
    saveUninitialized: false,
    // Not on every response: a Set-Cookie on each answer costs every poll 200 bytes. The session
    // still slides: renewDaily changes it once a day, and a changed session gets a new cookie.
    rolling: false,
    cookie: { httpOnly: true, sameSite: 'lax', secure: 'auto', maxAge: lifetime.idleMs },
  });
  // A session express-session makes (a first visit, a login's regenerate) is marked as made in
  // this request, where it may be inserted (see set). The mark is a symbol: never stored.
  const generating = store as unknown as { generate(req: Request): void };
  const generate = generating.generate.bind(store);
  generating.generate = (req) => {
    generate(req);
    Object.defineProperty(req.session, MADE_HERE, { value: true, enumerable: false });
  };
  // connect-pg-simple arms its pruning timer in its own read, which a reader replaces: armed here
  // (each pruning arms the next).
  if (pruneExpired) store.pruneSessions();
  // Each request gets its own slot for what the session's read brings along.
  const withSlot: RequestHandler = (req, res, next) => readAlong.run({}, () => middleware(req, res, next));
  return { middleware: [withSlot, renewDaily(lifetime)], close: () => store.close() };
}

/**
 * A logged-in session's first request of each day renews its cookie (the idle lifetime again),
 * never past the absolute end: both the cookie and the stored row expire by then.
 */
function renewDaily(lifetime: SessionLifetime): RequestHandler {
  return (req, _res, next) => {
    const sess = req.session;
    if (sess?.userId === undefined) return next();
    const today = Math.floor(Date.now() / DAY_MS);
    if (sess.day !== today) {
      sess.day = today;
      // Sessions from before the absolute lifetime counted start counting now.
      sess.createdAt ??= Date.now();
      sess.cookie.maxAge = Math.max(1000, Math.min(lifetime.idleMs, sess.createdAt + lifetime.absoluteMs - Date.now()));
    }
    next();
  };
}

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
