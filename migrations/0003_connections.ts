import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // One row per pair (user_low < user_high): two people asking each other at the same moment
  // meet on the primary key instead of making two requests.
  await sql`
    create table connections (
      user_low bigint not null references users (id) on delete cascade,
      user_high bigint not null references users (id) on delete cascade,
      requested_by bigint not null,
      status text not null check (status in ('pending', 'accepted')),
      created_at timestamptz not null default now(),
      accepted_at timestamptz,
      primary key (user_low, user_high),
      check (user_low < user_high),
      check (requested_by in (user_low, user_high)),
      check ((status = 'accepted') = (accepted_at is not null))
    )`.execute(db);
  await sql`create index connections_high_idx on connections (user_high, user_low)`.execute(db);
}
