import { sql, type Kysely } from 'kysely';

/**
 * Every open event stream, whichever instance holds it: one person holds at most so many across
 * all instances, and opening one more closes their oldest wherever it is.
 */
export async function up(db: Kysely<any>): Promise<void> {
  // An instance that dies takes its rows with it (its registration is swept after two minutes;
  // until then its rows count last, as the oldest).
  await sql`
    create table event_streams (
      id uuid primary key,
      user_id bigint not null references users (id) on delete cascade,
      instance_id uuid not null references realtime_instances (id) on delete cascade,
      opened_at timestamptz not null default clock_timestamp()
    )`.execute(db);
  await sql`create index event_streams_user_idx on event_streams (user_id, opened_at)`.execute(db);

  // Registers a stream and ends the person's streams past p_max, newest kept, those of instances
  // that stopped beating first. The ended streams are named on the channel at commit: the instance
  // holding each closes it. A per-person lock keeps two opens at once from both keeping 20.
  await sql`
    create function courier_open_stream(p_id uuid, p_user_id bigint, p_instance_id uuid, p_max int, p_lock_space int, p_channel text)
    returns setof uuid
    language plpgsql volatile
    as $fn$
    begin
      perform pg_advisory_xact_lock(p_lock_space, (p_user_id % 2147483647)::int);
      insert into event_streams (id, user_id, instance_id) values (p_id, p_user_id, p_instance_id);
      return query
        with excess as (
          select s.id
            from event_streams s join realtime_instances i on i.id = s.instance_id
           where s.user_id = p_user_id
           order by (i.heartbeat_at > now() - interval '45 seconds') desc, s.opened_at desc, s.id desc
          offset p_max
        ),
        ended as (delete from event_streams s using excess where s.id = excess.id returning s.id)
        select ended.id from ended, lateral (
          select pg_notify(p_channel, json_build_object('t', 'stream-end', 'u', p_user_id, 's', ended.id)::text)
        ) told;
    end
    $fn$`.execute(db);
}
