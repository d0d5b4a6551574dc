import { sql } from 'kysely';
import type { Db } from '../db/database.js';

/** Sessions past their expiry go (a cookie naming one was already logged out; this frees the rows). */
export async function sweepExpiredSessions(db: Db): Promise<void> {
  await sql`delete from session where expire < now()`.execute(db);
}
