import type { Db } from '../db/database.js';

/** The confirmed addresses of these people (those without one are left out): one query for any number. */
export async function confirmedAddresses(db: Db, ids: readonly number[]): Promise<Map<number, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('users').select(['id', 'email']).where('id', 'in', [...ids]).where('email_confirmed_at', 'is not', null).execute();
  return new Map(rows.flatMap((row) => (row.email ? [[row.id, row.email] as const] : [])));
}
