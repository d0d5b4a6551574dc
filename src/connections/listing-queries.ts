import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { decodeCursor, encodeCursor } from '../http/cursor.js';

export interface PersonRow {
  id: number;
  username: string;
  display_name: string;
  avatar_version: number | null;
}

export interface ConnectionRow extends PersonRow {
  since: Date;
  since_key: string;
}

export interface Page<T> {
  items: T[];
  next: string | undefined;
}

/** The other side of each of my rows, whichever column I am in. */
function otherSide(db: Db, me: number) {
  return db
    .selectFrom('connections as c')
    .innerJoin('users as u', (join) =>
      join.on((eb) => eb('u.id', '=', sql<number>`case when c.user_low = ${me} then c.user_high else c.user_low end`)),
    )
    .where((eb) => eb.or([eb('c.user_low', '=', me), eb('c.user_high', '=', me)]));
}

/** My connections, newest first, by keyset on (accepted_at, id): no OFFSET. */
export async function listConnections(db: Db, me: number, after: unknown, limit = 30): Promise<Page<ConnectionRow>> {
  const cursor = decodeCursor(after);
  let query = otherSide(db, me)
    .where('c.status', '=', 'accepted')
    .select(['u.id', 'u.username', 'u.display_name', 'u.avatar_version'])
    .select([sql<Date>`c.accepted_at`.as('since'), sql<string>`c.accepted_at::text`.as('since_key')])
    .orderBy('c.accepted_at', 'desc')
    .orderBy('u.id', 'desc')
    .limit(limit + 1);
  if (cursor) {
    query = query.where(sql<boolean>`(c.accepted_at, u.id) < (${cursor.at}::timestamptz, ${cursor.id}::bigint)`);
  }
  const rows = await query.execute();
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, next: rows.length > limit && last ? encodeCursor(last.since_key, last.id) : undefined };
}

export interface PendingList {
  items: (PersonRow & { since: Date })[];
  total: number;
}

/**
 * Pending requests one way, newest first. The list is capped (people act on the newest) and
 * the total is shown beside it.
 */
export async function listPending(db: Db, me: number, direction: 'received' | 'sent', limit = 50): Promise<PendingList> {
  const rows = await otherSide(db, me)
    .where('c.status', '=', 'pending')
    .where('c.requested_by', direction === 'sent' ? '=' : '<>', me)
    // Across a block either way a request can be neither accepted nor answered: it is not offered.
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('blocks as b').select(sql`1`.as('x')).where(sql<boolean>`(b.blocker_id = ${me} and b.blocked_id = u.id) or (b.blocker_id = u.id and b.blocked_id = ${me})`))),
    )
    .select(['u.id', 'u.username', 'u.display_name', 'u.avatar_version', 'c.created_at as since'])
    .select(sql<number>`count(*) over ()`.as('total'))
    .orderBy('c.created_at', 'desc')
    .limit(limit)
    .execute();
  return { items: rows, total: rows[0]?.total ?? 0 };
}
