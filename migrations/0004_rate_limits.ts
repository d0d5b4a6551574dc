import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // Fixed-window counters shared by every app instance.
  await sql`
    create table rate_limit_hits (
      key text primary key,
      hits integer not null,
      reset_at timestamptz not null
    )`.execute(db);
  await sql`create index rate_limit_hits_reset_idx on rate_limit_hits (reset_at)`.execute(db);
}
