import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // A file shared in a conversation. It is uploaded first (message_id null, "pending") and joins
  // its message when that is stored; pending files nobody sent are swept after a day. The name is
  // the sender's, shown to people and never used to store or serve the bytes.
  await sql`
    create table attachments (
      id bigint generated always as identity primary key,
      conversation_id bigint not null references conversations (id) on delete cascade,
      uploader_id bigint not null references users (id) on delete cascade,
      message_id bigint references messages (id) on delete cascade,
      kind text not null check (kind in ('image', 'file')),
      name text not null check (char_length(name) between 1 and 255),
      -- Decided from the file's bytes, never from its name or the browser's word.
      mime text not null,
      -- Bytes of what is served: the file itself, or an image's re-encoded display size.
      size_bytes bigint not null default 0,
      width int,
      height int,
      -- False while the bytes are still streaming in.
      complete boolean not null default false,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index attachments_message_idx on attachments (message_id) where message_id is not null`.execute(db);
  // The Files view: a conversation's files by name (versions), newest first.
  await sql`create index attachments_files_idx on attachments (conversation_id, lower(name), id) where message_id is not null`.execute(db);
  await sql`create index attachments_pending_idx on attachments (created_at) where message_id is null`.execute(db);
  // The daily quota sums what one person uploaded in the last 24 hours.
  await sql`create index attachments_quota_idx on attachments (uploader_id, created_at) include (size_bytes)`.execute(db);

  // The bytes, in chunks of a few hundred KB, so they stream in and out without ever being whole
  // in memory. An image keeps only its re-encoded display size and thumbnail (no EXIF, no GPS).
  await sql`
    create table attachment_chunks (
      attachment_id bigint not null references attachments (id) on delete cascade,
      variant text not null check (variant in ('original', 'display', 'thumb')),
      seq int not null,
      data bytea not null,
      primary key (attachment_id, variant, seq)
    )`.execute(db);
  // Mostly compressed formats already: skip PostgreSQL's own compression attempt.
  await sql`alter table attachment_chunks alter column data set storage external`.execute(db);

  // A message may now be files alone, with empty text.
  await sql`alter table messages drop constraint messages_body_check`.execute(db);
  await sql`
    alter table messages
      add constraint messages_body_check check (
        (deleted_at is null and redacted_at is null and char_length(body) <= 5000)
        or ((deleted_at is not null or redacted_at is not null) and body is null))`.execute(db);
}
