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

/** The first page of a user opened on this instance. */
export async function cameOnline(db: MessagingDb, instanceId: string, userId: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('presence').values({ user_id: userId, instance_id: instanceId }).onConflict((oc) => oc.columns(['user_id', 'instance_id']).doNothing()).execute();
    await sql`select ${notifyExpression({ t: 'presence', u: userId })}`.execute(trx);
  });
}

/** The last page of a user on this instance closed. */
export async function wentAway(db: MessagingDb, instanceId: string, userId: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('presence').where('user_id', '=', userId).where('instance_id', '=', instanceId).execute();
    await trx
      .insertInto('user_activity')
      .values({ user_id: userId, last_active_at: sql`now()` })
      .onConflict((oc) => oc.column('user_id').doUpdateSet({ last_active_at: sql`now()` }))
      .execute();
    await sql`select ${notifyExpression({ t: 'presence', u: userId })}`.execute(trx);
  });
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
