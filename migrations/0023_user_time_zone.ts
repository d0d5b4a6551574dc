import { sql, type Kysely } from 'kysely';

/**
 * Each person's time zone (IANA name, e.g. Europe/Paris), so pages drawn without JavaScript show
 * times as the person's clock does. Null: not known yet (the page script sets it once from the
 * browser; Settings sets it by hand), and times are drawn in UTC, saying so.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table users add column time_zone text`.execute(db);
}
