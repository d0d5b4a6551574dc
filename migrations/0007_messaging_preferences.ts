import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // Privacy choices, LinkedIn style, each symmetric: turning mine off also hides the others' from
  // me. No row means the defaults (all on).
  await sql`
    create table messaging_preferences (
      user_id bigint primary key references users (id) on delete cascade,
      read_receipts boolean not null default true,
      typing_indicators boolean not null default true,
      active_status boolean not null default true
    )`.execute(db);
}
