import { sql, type Kysely } from 'kysely';

/**
 * Group conversations (contract version 2). A direct conversation stays one row per pair (its
 * unique pair key decides races as before); a group has no pair, a name, and one participant row
 * per member, as a direct one has two. Receipts stay watermarks on those rows: "seen by N" is a
 * count over at most 50 rows, never a row per message per member.
 *
 * A member's row keeps what they may see: `cleared_before_message_id` is set to the group's last
 * message when they join (they see from there on), and `left_upto_message_id` to its last message
 * when they leave or are removed (they keep the history up to there, read-only, and nothing after).
 * A row whose member left stays, so their inbox keeps the group; the send function moves only
 * the rows of members still in it.
 *
 * Membership changes are lines in the thread: a message with an `event` ({t, u, n}) and no text.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table conversations
      add column kind text not null default 'direct' check (kind in ('direct', 'group', 'support')),
      add column name text check (name is null or char_length(name) between 1 and 80),
      alter column user_low drop not null,
      alter column user_high drop not null,
      -- A direct conversation has its pair; a group has none.
      add constraint conversations_kind_pair check ((kind = 'direct') = (user_low is not null and user_high is not null)),
      add constraint conversations_kind_name check ((kind = 'group') = (name is not null))`.execute(db);
  await sql`
    alter table conversation_participants
      alter column other_user_id drop not null,
      add column role text not null default 'member' check (role in ('admin', 'member')),
      add column joined_at timestamptz not null default now(),
      add column left_upto_message_id bigint`.execute(db);
  // One support conversation per person (its other side is the moderation team: admins join it when they open it).
  await sql`create unique index conversations_support_idx on conversations (created_by) where kind = 'support'`.execute(db);
  // The members of a group still in it, in the order they joined (the longest-standing first).
  await sql`create index conversation_participants_members_idx on conversation_participants (conversation_id, joined_at, user_id) where left_upto_message_id is null`.execute(db);
  await sql`alter table messages add column event jsonb check (event is null or jsonb_typeof(event) = 'object')`.execute(db);

  // Whose open pages hear of a change in a conversation: its two people, or a group's members still in it.
  await sql`
    create function courier_audience(p_conversation_id bigint) returns bigint[] language sql stable parallel safe as $$
      select case when c.kind = 'direct' then array[c.user_low, c.user_high]
                  else (select coalesce(array_agg(p.user_id order by p.user_id), '{}') from conversation_participants p
                         where p.conversation_id = c.id and p.left_upto_message_id is null) end
        from conversations c where c.id = p_conversation_id
    $$`.execute(db);

  // The host's blocks among a set of people (who may not share a group): asked where a group is made or grows.
  await sql`
    create function courier_blocked_pairs(p_ids bigint[]) returns table (blocker_id bigint, blocked_id bigint) language sql stable as $$
      select b.blocker_id, b.blocked_id from blocks b where b.blocker_id = any(p_ids) and b.blocked_id = any(p_ids)
    $$`.execute(db);

  // Audit rows name the other person of a direct conversation; a group has none to name.
  await sql`
    create or replace function audit_conversation_created() returns trigger language plpgsql as $$
    begin
      insert into audit_log (action, actor_id, subject_user_id, conversation_id)
      values ('conversation.created', new.created_by,
              case when new.kind <> 'direct' then null when new.created_by = new.user_low then new.user_high else new.user_low end, new.id);
      return null;
    end $$`.execute(db);

  // A group's messages are keyed by the group ('g<id>:word'), not by two people: who may find them
  // is who is in the group, which changes.
  await sql`
    create or replace function courier_message_search_keys() returns trigger language plpgsql as $$
    begin
      new.search_keys := case when new.body is null then ''::tsvector
                              else (select case when c.kind = 'direct' then courier_search_keys(new.body, c.user_low, c.user_high)
                                                else coalesce(array_to_tsvector(array(
                                                       select 'g' || c.id || ':' || word.lexeme
                                                         from unnest(to_tsvector('simple', translate(new.body, '<>&', '   '))) word)), ''::tsvector) end
                                      from conversations c where c.id = new.conversation_id) end;
      return new;
    end
    $$`.execute(db);

  /*
   * The send function, for groups (and support) too. A direct message goes to p_recipient_id as before. A group
   * message (p_recipient_id null) needs its sender still in the group, checked here where the
   * write commits; it moves the rows of the members still in it, except that a member who blocked
   * the sender does not receive it (no unread, no event, no push: their page shows it hidden); it is announced once, with
   * the members it is for ('g'), and pushed to each of them away from their pages.
   */
  await sql`drop function courier_send_message(bigint, bigint, bigint, text, uuid, bigint[], integer, integer, integer, text, bigint)`.execute(db);
  await sql`
    create function courier_send_message(p_conversation_id bigint, p_sender_id bigint, p_recipient_id bigint, p_body text, p_client_id uuid, p_attachment_ids bigint[], p_max integer, p_window_seconds integer, p_lock_space integer, p_channel text, p_reply_to bigint)
      returns table(id bigint, conversation_id bigint, sender_id bigint, body text, created_at timestamptz, deleted_at timestamptz, redacted_at timestamptz, edited_at timestamptz, reply_to_id bigint, reply json)
      language plpgsql as $$
    #variable_conflict use_column
    declare
      v_members bigint[];
      v_kind text := 'direct';
    begin
      perform pg_advisory_xact_lock(p_lock_space, (p_sender_id % 2147483647)::int);
      if p_recipient_id is null then
        select c.kind into v_kind from conversations c where c.id = p_conversation_id;
        -- A direct conversation is written to its other person, whose block is checked below: never as a group.
        if v_kind is distinct from 'group' and v_kind is distinct from 'support' then
          raise exception 'courier: conversation % takes a recipient', p_conversation_id using errcode = 'CW403';
        end if;
      end if;
      -- Support is reachable by everyone, a suspended person included (to ask why).
      if v_kind <> 'support' and not courier_may_write(p_sender_id, p_recipient_id) then
        raise exception 'courier: % may not write to %', p_sender_id, p_recipient_id using errcode = 'CW403';
      end if;
      if p_recipient_id is null then
        -- The group's row first, as the update below would take it: sends into one group (and
        -- changes to its members, which lock it too) go one at a time, each seeing the members as
        -- they are. Locking a member's row first deadlocked two senders, each holding their own
        -- row and needing the other's (bench:group-live).
        perform 1 from conversations c where c.id = p_conversation_id for no key update;
        perform 1 from conversation_participants p
         where p.conversation_id = p_conversation_id and p.user_id = p_sender_id and p.left_upto_message_id is null;
        if not found then
          raise exception 'courier: % is not in group %', p_sender_id, p_conversation_id using errcode = 'CW403';
        end if;
        select coalesce(array_agg(p.user_id order by p.user_id), '{}') into v_members
          from conversation_participants p
         where p.conversation_id = p_conversation_id and p.user_id <> p_sender_id and p.left_upto_message_id is null
           and not exists (select 1 from blocks b where b.blocker_id = p.user_id and b.blocked_id = p_sender_id);
      else
        v_members := array[p_recipient_id];
      end if;
      return query
      with recent as (
        select 1 from messages m
         where m.sender_id = p_sender_id and m.created_at > statement_timestamp() - make_interval(secs => p_window_seconds)
         limit p_max
      ), inserted as (
        insert into messages (conversation_id, sender_id, body, client_id, reply_to_id)
        select p_conversation_id, p_sender_id, p_body, p_client_id,
               -- Only a message of this conversation can be answered; any other id is dropped.
               (select q.id from messages q where q.id = p_reply_to and q.conversation_id = p_conversation_id)
         where (select count(*) from recent) < p_max
        on conflict (sender_id, client_id) where client_id is not null do nothing
        returning messages.id, messages.conversation_id, messages.sender_id, messages.body, messages.created_at, messages.deleted_at, messages.redacted_at, messages.edited_at, messages.reply_to_id
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
               latest_incoming_message_id = case when p.user_id = any(v_members) then greatest(p.latest_incoming_message_id, i.id) else p.latest_incoming_message_id end,
               last_read_message_id = case when p.user_id = i.sender_id then greatest(p.last_read_message_id, i.id) else p.last_read_message_id end,
               last_delivered_message_id = case when p.user_id = i.sender_id then greatest(p.last_delivered_message_id, i.id) else p.last_delivered_message_id end,
               marked_unread = case when p.user_id = i.sender_id then false else p.marked_unread end
          from inserted i
         where p.conversation_id = i.conversation_id and p.left_upto_message_id is null
           and (p.user_id = i.sender_id or p.user_id = any(v_members))
      )
      select i.id, i.conversation_id, i.sender_id, i.body, i.created_at, i.deleted_at, i.redacted_at, i.edited_at, i.reply_to_id, courier_message_quote(i.reply_to_id)
        from inserted i,
             lateral (select pg_notify(p_channel, case when p_recipient_id is null
                        then json_build_object('t', 'message', 'c', i.conversation_id, 'm', i.id, 's', i.sender_id, 'g', v_members)
                        else json_build_object('t', 'message', 'c', i.conversation_id, 'm', i.id, 's', i.sender_id, 'r', p_recipient_id) end::text)) announced,
             lateral (select count(graphile_worker.add_job('messaging:push', json_build_object('u', r.user_id, 'm', i.id), max_attempts => 3)) as jobs
                        from unnest(v_members) r(user_id)
                       where exists (select 1 from push_subscriptions s where s.user_id = r.user_id)
                         and coalesce((select pr.push from messaging_preferences pr where pr.user_id = r.user_id), true)
                         and not exists (select 1 from event_streams s join realtime_instances ri on ri.id = s.instance_id
                                          where s.user_id = r.user_id and s.visible and ri.heartbeat_at > now() - interval '45 seconds')) pushed;
    end
    $$`.execute(db);
}
