import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // Reactions from a small fixed set, at most one of each emoji per person and message: adding one
  // twice stores one row, so a retried form changes nothing. A deleted or removed message keeps
  // its row (and these), but its reactions are neither shown nor changed any more.
  await sql`
    create table message_reactions (
      message_id bigint not null references messages (id) on delete cascade,
      user_id bigint not null references users (id) on delete cascade,
      emoji text not null check (emoji in ('👍', '❤️', '😂', '😮', '😢', '🙏')),
      created_at timestamptz not null default now(),
      primary key (message_id, user_id, emoji)
    )`.execute(db);
  // Removing an account deletes its reactions through this index, not a scan of every reaction.
  await sql`create index message_reactions_user_idx on message_reactions (user_id)`.execute(db);
}
