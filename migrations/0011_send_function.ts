import { sql, type Kysely } from 'kysely';

/**
 * A send as one statement. It used to be BEGIN, the sender's advisory lock, the insert, COMMIT:
 * four round trips, with the lock held across three of them. A VOLATILE function takes a new
 * snapshot for each statement inside it, so the count after the lock still sees everything the
 * previous holder committed, and the whole send is one round trip in its own transaction.
 *
 * Files uploaded for the message (pending, the sender's own, in this conversation) join it in the
 * same transaction, so whoever sees the message sees its files.
 *
 * Returns the stored message, or no row when nothing was stored: a repeated client_id, or the
 * sender is over their limit (the caller tells which apart). The notification goes out at commit.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create function courier_send_message(
      p_conversation_id bigint, p_sender_id bigint, p_recipient_id bigint, p_body text, p_client_id uuid,
      p_attachment_ids bigint[], p_max int, p_window_seconds int, p_lock_space int, p_channel text)
    returns table (id bigint, conversation_id bigint, sender_id bigint, body text, created_at timestamptz, deleted_at timestamptz, redacted_at timestamptz)
    language plpgsql volatile
    as $fn$
    #variable_conflict use_column
    begin
      perform pg_advisory_xact_lock(p_lock_space, (p_sender_id % 2147483647)::int);
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
               -- A new message brings an archived conversation back to both inboxes.
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
