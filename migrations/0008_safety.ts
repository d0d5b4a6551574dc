import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // Rate limits count what is stored, per user: who opened a conversation, and when each message
  // was sent. (Conversations from before this migration have no opener and never count.)
  await sql`alter table conversations add column created_by bigint references users (id) on delete set null`.execute(db);
  await sql`create index conversations_created_by_idx on conversations (created_by, created_at) where created_by is not null`.execute(db);
  await sql`create index messages_sender_time_idx on messages (sender_id, created_at)`.execute(db);

  // A moderator's redaction: the text is erased like a deletion, shown differently. The body is
  // null exactly when the message was deleted or removed.
  await sql`alter table messages add column redacted_at timestamptz`.execute(db);
  await sql`
    alter table messages
      drop constraint messages_check,
      add constraint messages_body_check check (
        (deleted_at is null and redacted_at is null and char_length(body) between 1 and 5000)
        or ((deleted_at is not null or redacted_at is not null) and body is null))`.execute(db);

  await sql`
    alter table users
      add column suspended_until timestamptz
  `.execute(db);

  await sql`
    create table blocks (
      blocker_id bigint not null references users (id) on delete cascade,
      blocked_id bigint not null references users (id) on delete cascade,
      created_at timestamptz not null default now(),
      primary key (blocker_id, blocked_id),
      check (blocker_id <> blocked_id)
    )`.execute(db);
  await sql`create index blocks_blocked_idx on blocks (blocked_id, blocker_id)`.execute(db);

  await sql`
    create table reports (
      id bigserial primary key,
      reporter_id bigint not null references users (id) on delete cascade,
      reported_id bigint not null references users (id) on delete cascade,
      conversation_id bigint references conversations (id) on delete set null,
      reason text not null check (reason in ('spam', 'harassment', 'other')),
      details text not null default '',
      status text not null default 'open' check (status in ('open', 'resolved')),
      resolution text check (resolution in ('dismiss', 'warn', 'suspend', 'redact')),
      resolved_by bigint references users (id) on delete set null,
      resolved_at timestamptz,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index reports_status_idx on reports (status, id desc)`.execute(db);
  await sql`create index reports_reported_idx on reports (reported_id)`.execute(db);

  // What the reporter chose to attach: a copy, so the record stands whatever happens to the thread.
  // The only place outside the messages table where message text may live.
  await sql`
    create table report_evidence (
      report_id bigint not null references reports (id) on delete cascade,
      message_id bigint not null,
      sender_id bigint not null,
      body text,
      sent_at timestamptz not null,
      primary key (report_id, message_id)
    )`.execute(db);

  // A moderator's warning, shown on the person's next page until they acknowledge it.
  await sql`
    create table moderation_notices (
      id bigserial primary key,
      user_id bigint not null references users (id) on delete cascade,
      report_id bigint references reports (id) on delete set null,
      kind text not null check (kind in ('warning')),
      created_at timestamptz not null default now(),
      acknowledged_at timestamptz
    )`.execute(db);
  await sql`create index moderation_notices_pending_idx on moderation_notices (user_id) where acknowledged_at is null`.execute(db);

  // Who did what to whom, and when: never message text, never passwords.
  await sql`
    create table audit_log (
      id bigserial primary key,
      at timestamptz not null default now(),
      action text not null,
      actor_id bigint,
      subject_user_id bigint,
      conversation_id bigint,
      message_id bigint,
      report_id bigint,
      ip inet,
      detail jsonb
    )`.execute(db);
  await sql`create index audit_log_actor_idx on audit_log (actor_id, id)`.execute(db);
  await sql`create index audit_log_subject_idx on audit_log (subject_user_id, id)`.execute(db);
  await sql`create index audit_log_report_idx on audit_log (report_id, id) where report_id is not null`.execute(db);

  // Conversations and messages are audited by the database itself, in the same transaction as the
  // write, whichever code path made it: metadata columns only, the text is never read here.
  await sql`
    create function audit_conversation_created() returns trigger language plpgsql as $$
    begin
      insert into audit_log (action, actor_id, subject_user_id, conversation_id)
      values ('conversation.created', new.created_by,
              case when new.created_by = new.user_low then new.user_high else new.user_low end, new.id);
      return null;
    end $$`.execute(db);
  await sql`
    create trigger conversations_audit after insert on conversations
      for each row execute function audit_conversation_created()`.execute(db);

  await sql`
    create function audit_message_written() returns trigger language plpgsql as $$
    declare
      recipient bigint;
    begin
      select case when c.user_low = new.sender_id then c.user_high else c.user_low end
        into recipient from conversations c where c.id = new.conversation_id;
      if tg_op = 'INSERT' then
        insert into audit_log (action, actor_id, subject_user_id, conversation_id, message_id, at)
        values ('message.sent', new.sender_id, recipient, new.conversation_id, new.id, new.created_at);
      elsif new.deleted_at is not null and old.deleted_at is null and new.redacted_at is null then
        insert into audit_log (action, actor_id, subject_user_id, conversation_id, message_id)
        values ('message.deleted', new.sender_id, recipient, new.conversation_id, new.id);
      end if;
      return null;
    end $$`.execute(db);
  await sql`
    create trigger messages_audit_insert after insert on messages
      for each row execute function audit_message_written()`.execute(db);
  await sql`
    create trigger messages_audit_delete after update of deleted_at on messages
      for each row execute function audit_message_written()`.execute(db);
}
