import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // One conversation per pair of users: (user_low, user_high) is unique, so two people pressing
  // "Message" at the same moment land in the same conversation. `version` goes up on every change
  // anyone could see in the thread (a message, a deletion, a receipt): polls compare it first.
  await sql`
    create table conversations (
      id bigint generated always as identity primary key,
      user_low bigint not null references users (id) on delete cascade,
      user_high bigint not null references users (id) on delete cascade,
      created_at timestamptz not null default now(),
      last_message_id bigint,
      last_sender_id bigint,
      version bigint not null default 0,
      unique (user_low, user_high),
      check (user_low < user_high)
    )`.execute(db);

  // Each participant's own view of the conversation. Unread state and receipts are watermarks
  // (message ids), never a row per message. last_activity_at stays null until the first
  // message, so an opened but empty conversation does not show in anyone's inbox.
  await sql`
    create table conversation_participants (
      conversation_id bigint not null references conversations (id) on delete cascade,
      user_id bigint not null references users (id) on delete cascade,
      other_user_id bigint not null references users (id) on delete cascade,
      last_activity_at timestamptz,
      latest_incoming_message_id bigint not null default 0,
      last_read_message_id bigint not null default 0,
      last_delivered_message_id bigint not null default 0,
      marked_unread boolean not null default false,
      archived_at timestamptz,
      pinned_at timestamptz,
      muted_at timestamptz,
      cleared_before_message_id bigint not null default 0,
      primary key (conversation_id, user_id)
    )`.execute(db);
  // The inbox: one user's conversations, newest activity first, by keyset.
  await sql`
    create index conversation_participants_inbox_idx
      on conversation_participants (user_id, last_activity_at desc, conversation_id desc)
      where last_activity_at is not null`.execute(db);
  // Who has a conversation with this person (presence is told to them).
  await sql`create index conversation_participants_other_idx on conversation_participants (other_user_id, user_id)`.execute(db);
  // The navbar badge counts only unread rows, so it reads only those.
  await sql`
    create index conversation_participants_unread_idx on conversation_participants (user_id)
      where latest_incoming_message_id > last_read_message_id or marked_unread`.execute(db);

  // A deleted message loses its text for good: body is null exactly when deleted_at is set.
  await sql`
    create table messages (
      id bigint generated always as identity primary key,
      conversation_id bigint not null references conversations (id) on delete cascade,
      sender_id bigint not null references users (id) on delete cascade,
      body text,
      client_id uuid,
      created_at timestamptz not null default now(),
      deleted_at timestamptz,
      check ((deleted_at is null and char_length(body) between 1 and 5000) or (deleted_at is not null and body is null))
    )`.execute(db);
  await sql`create index messages_conversation_idx on messages (conversation_id, id)`.execute(db);
  // A retried or double-submitted form carries the same client_id: one message per sender and key.
  await sql`create unique index messages_client_id_idx on messages (sender_id, client_id) where client_id is not null`.execute(db);
}
