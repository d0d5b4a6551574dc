import { sql, type Kysely } from 'kysely';

/**
 * Sessions a person can see and end, streams that end with their session, and a block or a
 * suspension that holds against a write already in flight.
 */
export async function up(db: Kysely<any>): Promise<void> {
  // The owner of each session, kept by PostgreSQL from the session's JSON (connect-pg-simple writes
  // only sid, sess and expire): "my sessions" and "end my other sessions" are then index lookups.
  await sql`alter table session add column user_id bigint generated always as ((sess ->> 'userId')::bigint) stored`.execute(db);
  await sql`create index session_user_idx on session (user_id) where user_id is not null`.execute(db);

  // A session that ends (logout, a password change, "end other sessions", a suspension, pruning
  // after expiry) or loses its user tells every app instance at commit, whichever code path ended
  // it: each instance then closes the event streams that session held. Ids only, never the sid.
  await sql`
    create function courier_sessions_ended() returns trigger language plpgsql as $fn$
    begin
      if tg_op = 'DELETE' then
        perform pg_notify('courier_events', json_build_object('t', 'sessions', 'u', ended.user_id)::text)
           from (select distinct user_id from gone where user_id is not null) ended;
      else
        perform pg_notify('courier_events', json_build_object('t', 'sessions', 'u', ended.user_id)::text)
           from (select distinct o.user_id from gone o join kept n on n.sid = o.sid
                  where o.user_id is not null and o.user_id is distinct from n.user_id) ended;
      end if;
      return null;
    end
    $fn$`.execute(db);
  await sql`
    create trigger session_deleted after delete on session
      referencing old table as gone
      for each statement execute function courier_sessions_ended()`.execute(db);
  await sql`
    create trigger session_user_changed after update on session
      referencing old table as gone new table as kept
      for each statement execute function courier_sessions_ended()`.execute(db);

  // The host's answer to "may this person write to that one now?", asked by the messaging
  // module's writes inside their own transaction: no block either way, and the writer is not
  // suspended. Checks made before a slow step (reading an upload) are made again here.
  await sql`
    create function courier_may_write(p_from bigint, p_to bigint) returns boolean
    language sql stable
    as $fn$
      select not exists (select 1 from users u where u.id = p_from and u.suspended_until > now())
         and not exists (select 1 from blocks b
                          where (b.blocker_id = p_from and b.blocked_id = p_to)
                             or (b.blocker_id = p_to and b.blocked_id = p_from))
    $fn$`.execute(db);

  // The send of migration 0011, which now asks courier_may_write after taking the sender's lock
  // (a new statement, so a block committed while the body was being read is seen). Refused: the
  // error 'CW403', and nothing is stored.
  await sql`
    create or replace function courier_send_message(
      p_conversation_id bigint, p_sender_id bigint, p_recipient_id bigint, p_body text, p_client_id uuid,
      p_attachment_ids bigint[], p_max int, p_window_seconds int, p_lock_space int, p_channel text)
    returns table (id bigint, conversation_id bigint, sender_id bigint, body text, created_at timestamptz, deleted_at timestamptz, redacted_at timestamptz)
    language plpgsql volatile
    as $fn$
    #variable_conflict use_column
    begin
      perform pg_advisory_xact_lock(p_lock_space, (p_sender_id % 2147483647)::int);
      if not courier_may_write(p_sender_id, p_recipient_id) then
        raise exception 'courier: % may not write to %', p_sender_id, p_recipient_id using errcode = 'CW403';
      end if;
      return query
      with recent as (
        select 1 from messages m
         where m.sender_id = p_sender_id and m.created_at > statement_timestamp() - make_interval(secs => p_window_seconds)
         limit p_max
      ), inserted as (
        insert into messages (conversation_id, sender_id, body, client_id)
        select p_conversation_id, p_sender_id, p_body, p_client_id
         where (select count(*) from recent) < p_max
        on conflict (sender_id, client_id) where client_id is not null do nothing
        returning messages.id, messages.conversation_id, messages.sender_id, messages.body, messages.created_at, messages.deleted_at, messages.redacted_at
      ), attached as (
        update attachments a
           set message_id = i.id
          from inserted i
         where a.id = any(p_attachment_ids) and a.uploader_id = p_sender_id and a.conversation_id = p_conversation_id
           and a.message_id is null and a.complete
      ), conversation as (
        update conversations c
           set last_sender_id = case when i.id > coalesce(c.last_message_id, 0) then i.sender_id else c.last_sender_id end,
               last_message_id = greatest(coalesce(c.last_message_id, 0), i.id),
               version = c.version + 1
          from inserted i
         where c.id = i.conversation_id
      ), participants as (
        update conversation_participants p
           set last_activity_at = greatest(coalesce(p.last_activity_at, '-infinity'), now()),
               archived_at = null,
               latest_incoming_message_id = case when p.user_id = i.sender_id then p.latest_incoming_message_id else greatest(p.latest_incoming_message_id, i.id) end,
               last_read_message_id = case when p.user_id = i.sender_id then greatest(p.last_read_message_id, i.id) else p.last_read_message_id end,
               last_delivered_message_id = case when p.user_id = i.sender_id then greatest(p.last_delivered_message_id, i.id) else p.last_delivered_message_id end,
               marked_unread = case when p.user_id = i.sender_id then false else p.marked_unread end
          from inserted i
         where p.conversation_id = i.conversation_id
      )
      select i.id, i.conversation_id, i.sender_id, i.body, i.created_at, i.deleted_at, i.redacted_at
        from inserted i,
             lateral (select pg_notify(p_channel, json_build_object('t', 'message', 'c', i.conversation_id, 'm', i.id, 's', i.sender_id, 'r', p_recipient_id)::text)) announced;
    end
    $fn$`.execute(db);
}
