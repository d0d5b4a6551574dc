import { sql } from 'kysely';
import type { MessagingDb } from '../schema.js';
import { notifyExpression } from '../queries/notify.js';

/** An instance whose heartbeat is older than this is taken for dead: its users are not "active". */
const STALE = sql`interval '45 seconds'`;

export async function registerInstance(db: MessagingDb, instanceId: string): Promise<void> {
  await db.insertInto('realtime_instances').values({ id: instanceId }).onConflict((oc) => oc.column('id').doUpdateSet({ heartbeat_at: sql`now()` })).execute();
}

/** Keeps this instance alive in others' eyes, and sweeps instances that died without saying so. */
export async function beat(db: MessagingDb, instanceId: string): Promise<void> {
  await db.updateTable('realtime_instances').set({ heartbeat_at: sql`now()` }).where('id', '=', instanceId).execute();
  await sql`
    with dead as (delete from realtime_instances where heartbeat_at < now() - interval '2 minutes' returning id)
    select 1 from dead`.execute(db);
}

/** Unregisters this instance: its users are no longer here (their last-active time is now). */
export async function retireInstance(db: MessagingDb, instanceId: string, userIds: number[]): Promise<void> {
  for (const userId of userIds) await wentAway(db, instanceId, userId);
  await db.deleteFrom('realtime_instances').where('id', '=', instanceId).execute();
}

/** The first page of a user opened on this instance: one statement (its row and the signal commit together). */
export async function cameOnline(db: MessagingDb, instanceId: string, userId: number): Promise<void> {
  await sql`
    with here as (
      insert into presence (user_id, instance_id) values (${userId}, ${instanceId}) on conflict (user_id, instance_id) do nothing
    )
    select ${notifyExpression({ t: 'presence', u: userId })}`.execute(db);
}

/** The last page of a user on this instance closed: one statement (gone, last active now, the signal). */
export async function wentAway(db: MessagingDb, instanceId: string, userId: number): Promise<void> {
  await sql`
    with gone as (
      delete from presence where user_id = ${userId} and instance_id = ${instanceId}
    ), dated as (
      insert into user_activity (user_id, last_active_at) values (${userId}, now())
      on conflict (user_id) do update set last_active_at = now()
    )
    select ${notifyExpression({ t: 'presence', u: userId })}`.execute(db);
}

export interface PresenceState {
  active: boolean;
  lastActiveAt: Date | null;
}

/** Active now on any live instance, or when last seen. */
export async function presenceOf(db: MessagingDb, userId: number): Promise<PresenceState> {
  const row = await sql<{ active: boolean; last_active_at: Date | null }>`
    select exists (
             select 1 from presence p join realtime_instances i on i.id = p.instance_id
              where p.user_id = ${userId} and i.heartbeat_at > now() - ${STALE}
           ) as active,
           (select last_active_at from user_activity where user_id = ${userId}) as last_active_at`.execute(db);
  const first = row.rows[0];
  return { active: first?.active ?? false, lastActiveAt: first?.last_active_at ?? null };
}

/** Of the people here, those with a conversation with `userId` who show their own active status. */
export async function presenceWatchers(db: MessagingDb, userId: number, here: readonly number[]): Promise<{ user_id: number }[]> {
  return db
    .selectFrom('conversation_participants as p')
    .leftJoin('messaging_preferences as w', 'w.user_id', 'p.user_id')
    .select('p.user_id')
    .where('p.other_user_id', '=', userId)
    .where('p.user_id', '=', sql<number>`any(${[...here]})`)
    .where(sql<boolean>`coalesce(w.active_status, true)`)
    .execute();
}

/** How many of these people are on a page of a live instance now and show their active status: a group's "N active now". */
export async function activeCount(db: MessagingDb, ids: readonly number[]): Promise<number> {
  if (ids.length === 0) return 0;
  const { rows } = await sql<{ n: number }>`
    select count(distinct pr.user_id)::int as n
      from presence pr join realtime_instances i on i.id = pr.instance_id
     where pr.user_id = any(${[...ids]}::bigint[]) and i.heartbeat_at > now() - ${STALE}
       and coalesce((select w.active_status from messaging_preferences w where w.user_id = pr.user_id), true)`.execute(db);
  return rows[0]?.n ?? 0;
}

/** A group's members still in it, as its header's "K active now" counts them. */
export interface GroupPresence {
  conversationId: number;
  members: { userId: number; showsStatus: boolean; here: boolean }[];
  /** Blocks among its members: [blocker, blocked]. */
  blocks: [number, number][];
}

/**
 * Of these conversations, the groups `userId` is in, each with its members' presence and the
 * blocks among them: what every member's header count needs, in one statement.
 */
export async function groupPresence(db: MessagingDb, userId: number, conversationIds: readonly number[]): Promise<GroupPresence[]> {
  if (conversationIds.length === 0) return [];
  const { rows } = await sql<{ conversation_id: number; members: { u: number; s: boolean; h: boolean }[]; blocks: [number, number][] }>`
    with groups as (
      select p.conversation_id from conversation_participants p
       where p.user_id = ${userId} and p.other_user_id is null and p.left_upto_message_id is null
         and p.conversation_id = any(${[...conversationIds]}::bigint[])
    ), members as (
      select m.conversation_id, m.user_id, coalesce(w.active_status, true) as shows,
             exists (select 1 from presence pr join realtime_instances i on i.id = pr.instance_id
                      where pr.user_id = m.user_id and i.heartbeat_at > now() - ${STALE}) as here
        from conversation_participants m
        join groups g on g.conversation_id = m.conversation_id
        left join messaging_preferences w on w.user_id = m.user_id
       where m.left_upto_message_id is null
    )
    select conversation_id, json_agg(json_build_object('u', user_id, 's', shows, 'h', here)) as members,
           (select coalesce(json_agg(json_build_array(x.blocker_id, x.blocked_id)), '[]')
              from courier_blocked_pairs(array(select n.user_id from members n where n.conversation_id = members.conversation_id)) x) as blocks
      from members group by conversation_id`.execute(db);
  return rows.map((row) => ({
    conversationId: Number(row.conversation_id),
    members: row.members.map((m) => ({ userId: Number(m.u), showsStatus: m.s, here: m.h })),
    blocks: row.blocks.map(([a, b]) => [Number(a), Number(b)] as [number, number]),
  }));
}
