import { sql, type Kysely } from 'kysely';

/**
 * A headline on each profile ("Mentor in product design", "Accountant at Ortiz & Co"): one line,
 * shown under the name on the profile and in the thread's header, so people know whom they are
 * writing to. Empty until the person writes one.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table users add column headline text not null default '' check (char_length(headline) <= 100)`.execute(db);
}
