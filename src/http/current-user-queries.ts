import { sql } from 'kysely';
import type { Db } from '../db/database.js';

/** The logged-in user as every request needs them: one primary-key read, with what the navbar shows. */
export function currentUserRow(db: Db, userId: number) {
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
                          where (c.user_low = u.id or c.user_high = u.id) and c.status = 'pending' and c.requested_by <> u.id)`.as('pending_invitations'))
    .where('u.id', '=', userId)
    .executeTakeFirst();
}
