import { sql } from 'kysely';
import type { Db } from '../db/database.js';

/** No login until `days` from now (the database's clock); returns until when. */
export async function suspendUntil(db: Db, userId: number, days: number): Promise<Date> {
  const row = await db
    .updateTable('users')
    .set({ suspended_until: sql<Date>`now() + make_interval(days => ${days})` })
    .where('id', '=', userId)
    .returning('suspended_until')
    .executeTakeFirstOrThrow();
  return row.suspended_until!;
}
