import { sql } from 'kysely';
import type { Db } from '../db/database.js';

/** The logged-in user's row as every request needs it, with what the navbar shows. */
function userSelection(db: Db) {
  return db
    .selectFrom('users as u')
    .select(['u.id', 'u.username', 'u.display_name', 'u.role', 'u.avatar_version', 'u.suspended_until', 'u.time_zone'])
    .select((eb) =>
      eb
        .selectFrom('moderation_notices as n')
        .select('n.id')
        .whereRef('n.user_id', '=', 'u.id')
        .where('n.acknowledged_at', 'is', null)
        .orderBy('n.id')
        .limit(1)
        .as('pending_notice_id'),
    )
    // In the same read: the navbar shows it on every page.
    .select(sql<number>`(select count(*)::int from connections c
                          where (c.user_low = u.id or c.user_high = u.id) and c.status = 'pending' and c.requested_by <> u.id)`.as('pending_invitations'));
}

export type CurrentUserRow = NonNullable<Awaited<ReturnType<typeof currentUserRow>>>;

/** The logged-in user: one primary-key read. */
export function currentUserRow(db: Db, userId: number) {
  return userSelection(db).where('u.id', '=', userId).executeTakeFirst();
}

/**
 * A session still alive (by its idle expiry) and, in the same read, the user it is logged in as:
 * every logged-in request needs both, one round trip instead of two.
 */
export async function sessionWithUser(db: Db, sid: string): Promise<{ sess: unknown; user: CurrentUserRow | undefined } | undefined> {
  const { rows } = await sql<{ sess: unknown; user: (Omit<CurrentUserRow, 'suspended_until'> & { suspended_until: string | null }) | null }>`
    select s.sess, (select to_json(cu) from (${userSelection(db).where('u.id', '=', sql<number>`s.user_id`)}) cu) as user
      from session s
     where s.sid = ${sid} and s.expire >= now()`.execute(db);
  const row = rows[0];
  if (!row) return undefined;
  const user = row.user ? { ...row.user, suspended_until: row.user.suspended_until === null ? null : new Date(row.user.suspended_until) } : undefined;
  return { sess: row.sess, user };
}
