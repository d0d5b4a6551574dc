-- GENERATED FILE: do not edit. Written by `npm run db:schema` (scripts/db-schema.ts).
--
-- courier_send_message, as the migrations leave it: the one statement a message is stored by
-- (src/messaging/queries/messages.ts calls it). Under the sender's advisory lock it checks that
-- they may write (no block either way, not suspended, except to support; in a group or in support, that they are still in it),
-- counts their sending limit, inserts the message once per client id (with the message it
-- answers, if that one is of this conversation), attaches its files, moves the conversation and
-- its participants' watermarks (a group's members still in it, but none who blocked the sender),
-- announces it on the live channel at commit, and queues a push job for
-- each recipient with a device for web push and no page open and visible (none otherwise). The
-- same text is in db/schema.sql.

CREATE OR REPLACE FUNCTION public.courier_send_message(p_conversation_id bigint, p_sender_id bigint, p_recipient_id bigint, p_body text, p_client_id uuid, p_attachment_ids bigint[], p_max integer, p_window_seconds integer, p_lock_space integer, p_channel text, p_reply_to bigint)
 RETURNS TABLE(id bigint, conversation_id bigint, sender_id bigint, body text, created_at timestamp with time zone, deleted_at timestamp with time zone, redacted_at timestamp with time zone, edited_at timestamp with time zone, reply_to_id bigint, reply json)
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
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
    $function$;
