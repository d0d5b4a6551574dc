import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { SessionLifetime } from '../http/session.js';

/** One of my sessions, as Settings lists it. */
export interface SessionSummary {
  sid: string;
  userAgent: string;
  createdAt: Date | null;
  lastSeenAt: Date | null;
}

/**
 * The person's sessions still alive, most recently used first. "Last seen" is when the session
 * last pushed its expiry back (every few minutes while in use, see TOUCH_EVERY_MS).
 */
export async function listSessions(db: Db, userId: number, lifetime: SessionLifetime): Promise<SessionSummary[]> {
  const { rows } = await sql<{ sid: string; ua: string | null; created_ms: string | null; seen_ms: string | null }>`
    select sid, sess ->> 'ua' as ua, sess ->> 'createdAt' as created_ms, coalesce(sess ->> 'seen', sess ->> 'createdAt') as seen_ms
      from session
     where user_id = ${userId} and expire > now()
       and coalesce((sess ->> 'createdAt')::double precision, 'infinity') > ${Date.now() - lifetime.absoluteMs}
     order by seen_ms desc nulls last, sid
     limit 100`.execute(db);
  const date = (ms: string | null) => (ms === null ? null : new Date(Number(ms)));
  return rows.map((r) => ({ sid: r.sid, userAgent: r.ua ?? '', createdAt: date(r.created_ms), lastSeenAt: date(r.seen_ms) }));
}

/**
 * Ends every session of this person but `keep` (all of them without it). Deleting the rows is the
 * whole of it: a cookie that names no row is logged out, and migration 0013's trigger tells every
 * instance to close the event streams those sessions held.
 */
export async function endSessions(db: Db, userId: number, keep?: string): Promise<number> {
  const result = await sql`delete from session where user_id = ${userId} and sid is distinct from ${keep ?? null}`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/**
 * Of these sessions, those still valid, each with its owner and when it ends unless it is used
 * again: not expired, not past its absolute lifetime, and its person not suspended. One query
 * for any number of sessions (an instance re-checks all its streams at once).
 */
export async function liveSessions(db: Db, sids: readonly string[], lifetime: SessionLifetime): Promise<Map<string, { userId: number; endsAt: Date }>> {
  const alive = new Map<string, { userId: number; endsAt: Date }>();
  if (sids.length === 0) return alive;
  const { rows } = await sql<{ sid: string; user_id: string; expire_ms: string; created_ms: string | null }>`
    select s.sid, s.user_id, extract(epoch from s.expire::timestamptz) * 1000 as expire_ms, s.sess ->> 'createdAt' as created_ms
      from session s
      join users u on u.id = s.user_id
     where s.sid = any(${sql.val([...sids])}::varchar[])
       and s.expire > now()
       and (u.suspended_until is null or u.suspended_until <= now())`.execute(db);
  const now = Date.now();
  for (const row of rows) {
    const absoluteEnd = row.created_ms === null ? Infinity : Number(row.created_ms) + lifetime.absoluteMs;
    const endsAt = Math.min(Number(row.expire_ms), absoluteEnd);
    if (endsAt > now) alive.set(row.sid, { userId: Number(row.user_id), endsAt: new Date(endsAt) });
  }
  return alive;
}
