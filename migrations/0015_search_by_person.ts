import { sql, type Kysely } from 'kysely';

/**
 * Message search keyed by person, and the search rate limit's counters.
 *
 * The search of migration 0009 went through one GIN index of every message's words: a word many
 * other people use made my search read all their messages before my participant rows threw them
 * away (111 ms to 3.7 s against 300,000 of them, against 13 to 33 ms for an absent word), which
 * was slow and told me which words others write. Now each message's words are indexed once per
 * participant, as '<user id>:<word>': a search looks up only its own person's entries, so what
 * others write is never read, and its cost is that of my own messages.
 */
export async function up(db: Kysely<any>): Promise<void> {
  // The words as the 'simple' configuration reads them (the same as migration 0009's column:
  // "<", ">" and "&" become spaces, since messages are plain text), each prefixed by each person.
  await sql`
    create function courier_search_keys(p_body text, p_user_low bigint, p_user_high bigint) returns tsvector
    language sql immutable parallel safe
    as $fn$
      select coalesce(array_to_tsvector(array(
               select person::text || ':' || word.lexeme
                 from unnest(to_tsvector('simple', translate(p_body, '<>&', '   '))) word,
                      unnest(array[p_user_low, p_user_high]) person)), ''::tsvector)
    $fn$`.execute(db);
  await sql`alter table messages add column search_keys tsvector not null default ''::tsvector`.execute(db);
  // Kept by the database on every write of a message's text, whichever code path makes it (a
  // send, a deletion or a moderator's removal, which leave no text and so no words).
  await sql`
    create function courier_message_search_keys() returns trigger language plpgsql as $fn$
    begin
      new.search_keys := case when new.body is null then ''::tsvector
                              else (select courier_search_keys(new.body, c.user_low, c.user_high) from conversations c where c.id = new.conversation_id) end;
      return new;
    end
    $fn$`.execute(db);
  await sql`
    create trigger messages_search_keys before insert or update of body, conversation_id on messages
      for each row execute function courier_message_search_keys()`.execute(db);
  await sql`
    update messages m set search_keys = courier_search_keys(m.body, c.user_low, c.user_high)
      from conversations c where c.id = m.conversation_id and m.body is not null`.execute(db);
  // Without the pending list (fastupdate), a search never scans other people's recent,
  // not-yet-merged entries: each write goes straight into the index.
  await sql`create index messages_search_keys_idx on messages using gin (search_keys) with (fastupdate = off)`.execute(db);
  await sql`drop index messages_search_idx`.execute(db);
  // A search reads the newest messages of my most recent conversations first: those come from my
  // participant rows in order of an upper bound of their newest message id (the newest I received,
  // or the newest I read, which a send moves to the sender's own message).
  await sql`
    create index conversation_participants_newest_idx
      on conversation_participants (user_id, greatest(latest_incoming_message_id, last_read_message_id) desc)`.execute(db);
  await sql`alter table messages drop column search`.execute(db);

  // Searches per person in the current window (fixed windows, one upsert per search), shared by
  // every instance. One row per person who ever searched.
  await sql`
    create table message_search_counts (
      user_id bigint primary key,
      hits integer not null,
      window_ends_at timestamptz not null
    )`.execute(db);
}
