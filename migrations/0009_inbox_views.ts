import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // The inbox's first page reads my pins (a handful) apart from the rest.
  await sql`
    create index conversation_participants_pinned_idx on conversation_participants (user_id, pinned_at)
      where pinned_at is not null`.execute(db);
  // The Archived and Unread tabs page by keyset like All, each through an index of its own rows.
  await sql`
    create index conversation_participants_archived_idx
      on conversation_participants (user_id, last_activity_at desc, conversation_id desc)
      where archived_at is not null and last_activity_at is not null`.execute(db);
  await sql`
    create index conversation_participants_unread_tab_idx
      on conversation_participants (user_id, last_activity_at desc, conversation_id desc)
      where (latest_incoming_message_id > last_read_message_id or marked_unread) and last_activity_at is not null`.execute(db);

  // The navbar badge counts my unread, unmuted conversations on every page: from an index of
  // exactly those rows (an index-only count), not from all my conversations.
  await sql`
    create index conversation_participants_badge_idx on conversation_participants (user_id)
      where (latest_incoming_message_id > last_read_message_id or marked_unread) and muted_at is null`.execute(db);
  // Every page also marks delivered what has not been: usually nothing, found through an index of
  // just the undelivered rows instead of every unread one.
  await sql`
    create index conversation_participants_undelivered_idx on conversation_participants (user_id)
      where last_delivered_message_id < latest_incoming_message_id`.execute(db);
  // Those two serve everything the broader unread index did.
  await sql`drop index conversation_participants_unread_idx`.execute(db);

  // Message search: a generated tsvector (the 'simple' configuration: no language's stemming or
  // stop words, since people write in many languages; queries match word prefixes instead) with a
  // GIN index. The parser would read "<...>" and "&...;" as markup and skip it, but messages are
  // plain text, so those characters become spaces first. A deleted or removed message has no text,
  // so nothing of it can match.
  await sql`
    alter table messages
      add column search tsvector generated always as (to_tsvector('simple', translate(coalesce(body, ''), '<>&', '   '))) stored`.execute(db);
  await sql`create index messages_search_idx on messages using gin (search)`.execute(db);
}
