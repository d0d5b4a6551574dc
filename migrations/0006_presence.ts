import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // Each running app instance, with a heartbeat: presence rows of an instance that stopped
  // beating (a crash) stop counting, and are swept with it.
  await sql`
    create table realtime_instances (
      id uuid primary key,
      started_at timestamptz not null default now(),
      heartbeat_at timestamptz not null default now()
    )`.execute(db);

  // Who has at least one page open, and on which instance: "Active now" across instances.
  await sql`
    create table presence (
      user_id bigint not null references users (id) on delete cascade,
      instance_id uuid not null references realtime_instances (id) on delete cascade,
      since timestamptz not null default now(),
      primary key (user_id, instance_id)
    )`.execute(db);

  // When each person last had a page open: "Active 12 min ago".
  await sql`
    create table user_activity (
      user_id bigint primary key references users (id) on delete cascade,
      last_active_at timestamptz not null
    )`.execute(db);
}
