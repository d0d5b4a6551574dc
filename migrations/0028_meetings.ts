import { sql, type Kysely } from 'kysely';

/**
 * Meetings in a conversation (contract version 2). A meeting is shown in its thread as a message:
 * its card is a message the organiser "sent" (so it is ordered, paged, announced, pushed and
 * emailed like any other), and each later change (moved, changed, cancelled) is one more message,
 * a line. Both point at the meeting (`messages.meeting_id`); what the card draws is read with the
 * message by `courier_meeting_card`, a strict function: a message with no meeting costs no call.
 *
 * Times are instants (timestamptz) plus the organiser's IANA zone, which says what "10:00" meant
 * to them; each reader sees the instant in their own zone, and a calendar gets it in UTC.
 *
 * A reminder is owed to each participant once per start time: `meeting_reminders` is the claim,
 * taken in the transaction that queues the reminder's deliveries, so a retry, a restart or a
 * second instance finds it taken. A moved meeting has a new start, so a new reminder is owed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table meetings (
      id bigint generated always as identity primary key,
      conversation_id bigint not null references conversations (id) on delete cascade,
      organiser_id bigint not null references users (id) on delete cascade,
      title text not null check (char_length(title) between 1 and 120),
      starts_at timestamptz not null,
      time_zone text not null check (char_length(time_zone) between 1 and 64),
      minutes int not null check (minutes between 5 and 720),
      link text check (link is null or (link like 'https://%' and char_length(link) <= 2000)),
      notes text not null default '' check (char_length(notes) <= 2000),
      -- Bumped by every change, for calendars (SEQUENCE in .ics): a higher one replaces the event.
      sequence int not null default 0,
      cancelled_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      -- A retried form carries the same key: one meeting per organiser and key.
      client_id uuid
    )`.execute(db);
  await sql`create index meetings_conversation_idx on meetings (conversation_id, starts_at, id)`.execute(db);
  // Reminders look only at meetings still on, by start.
  await sql`create index meetings_upcoming_idx on meetings (starts_at) where cancelled_at is null`.execute(db);
  await sql`create unique index meetings_client_id_idx on meetings (organiser_id, client_id) where client_id is not null`.execute(db);

  await sql`
    create table meeting_answers (
      meeting_id bigint not null references meetings (id) on delete cascade,
      user_id bigint not null references users (id) on delete cascade,
      answer text not null check (answer in ('yes', 'no', 'maybe')),
      answered_at timestamptz not null default now(),
      primary key (meeting_id, user_id)
    )`.execute(db);

  await sql`
    create table meeting_reminders (
      meeting_id bigint not null references meetings (id) on delete cascade,
      user_id bigint not null references users (id) on delete cascade,
      starts_at timestamptz not null,
      sent_at timestamptz not null default now(),
      primary key (meeting_id, user_id, starts_at)
    )`.execute(db);

  // Each person's private calendar address. The token is kept as it is (not hashed) so the page can
  // show the address again: what it opens (titles and times) is less than the database already holds.
  await sql`
    create table meeting_feeds (
      user_id bigint primary key references users (id) on delete cascade,
      token text not null unique check (char_length(token) >= 32),
      created_at timestamptz not null default now()
    )`.execute(db);

  await sql`alter table messages add column meeting_id bigint references meetings (id) on delete cascade`.execute(db);
  await sql`create index messages_meeting_idx on messages (meeting_id) where meeting_id is not null`.execute(db);
  await sql`alter table meetings add column card_message_id bigint references messages (id) on delete set null`.execute(db);

  // Off, or how many minutes before a meeting its reminder comes.
  await sql`alter table messaging_preferences add column meeting_reminder_minutes smallint not null default 15 check (meeting_reminder_minutes in (0, 5, 15, 60))`.execute(db);

  await sql`
    create function courier_meeting_card(p_meeting_id bigint) returns json
      language sql stable strict parallel safe as $fn$
        select json_build_object(
                 'id', g.id, 'organiser_id', g.organiser_id, 'title', g.title, 'starts_at', g.starts_at, 'time_zone', g.time_zone,
                 'minutes', g.minutes, 'link', g.link, 'notes', g.notes, 'cancelled_at', g.cancelled_at, 'card_message_id', g.card_message_id,
                 'answers', coalesce((select json_agg(json_build_object('user_id', a.user_id, 'answer', a.answer) order by a.answered_at)
                                        from meeting_answers a where a.meeting_id = g.id), '[]'::json))
          from meetings g where g.id = p_meeting_id
      $fn$`.execute(db);
}
