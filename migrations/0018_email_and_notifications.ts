import { sql, type Kysely } from 'kysely';

/**
 * Email addresses on accounts (counting once confirmed), one-time links (confirm an address, reset
 * a password), the app's own outbox for a site without SMTP, and each person's choices of what
 * reaches them while away. Jobs themselves live in graphile-worker's schema (its own migrations).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table users
      add column email text,
      add column email_confirmed_at timestamptz,
      add constraint users_email_check check (email is null or (char_length(email) <= 254 and email ~ '^[^@[:space:]]+@[^@[:space:]]+$')),
      add constraint users_email_confirmed_check check (email_confirmed_at is null or email is not null)`.execute(db);
  // An address belongs to one account once confirmed (an unconfirmed one claims nothing).
  await sql`create unique index users_confirmed_email_idx on users (lower(email)) where email_confirmed_at is not null`.execute(db);

  // Only a digest of each token is kept: the link in the email is the one copy of the token.
  await sql`
    create table email_tokens (
      token_hash bytea primary key,
      user_id bigint not null references users (id) on delete cascade,
      purpose text not null check (purpose in ('confirm', 'reset')),
      email text not null,
      expires_at timestamptz not null,
      used_at timestamptz,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index email_tokens_user_idx on email_tokens (user_id, purpose)`.execute(db);
  await sql`create index email_tokens_expiry_idx on email_tokens (expires_at)`.execute(db);

  // Without SMTP_URL, mail is kept here (the whole RFC 5322 message, and its two parts to show) and
  // shown at /dev/mail.
  await sql`
    create table mail_outbox (
      id bigint generated always as identity primary key,
      recipient text not null,
      subject text not null,
      raw text not null,
      text_part text not null,
      html_part text not null,
      created_at timestamptz not null default now()
    )`.execute(db);

  await sql`
    alter table messaging_preferences
      add column email_messages text not null default 'after_10_minutes' check (email_messages in ('off', 'after_10_minutes', 'after_1_hour')),
      add column email_digest text not null default 'off' check (email_digest in ('off', 'daily', 'weekly')),
      add column email_preview boolean not null default true,
      add column push boolean not null default true,
      add column digest_sent_at timestamptz`.execute(db);
  // How far missed-message email has covered each conversation for each person (one email per
  // conversation per delay window, never a message twice).
  await sql`alter table conversation_participants add column emailed_upto_message_id bigint not null default 0`.execute(db);
  // The sweep for missed messages reads only rows with something neither seen nor emailed yet.
  await sql`
    create index conversation_participants_unemailed_idx on conversation_participants (user_id)
     where latest_incoming_message_id > greatest(last_read_message_id, emailed_upto_message_id) and muted_at is null`.execute(db);
}
