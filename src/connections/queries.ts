import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { pairOf, stateFor, type ConnectionState } from './policy.js';

export async function connectionState(db: Db, me: number, other: number): Promise<ConnectionState> {
  const { low, high } = pairOf(me, other);
  const row = await db
    .selectFrom('connections')
    .select(['requested_by', 'status'])
    .where('user_low', '=', low)
    .where('user_high', '=', high)
    .executeTakeFirst();
  return stateFor(me, other, row);
}

export async function areConnected(db: Db, a: number, b: number): Promise<boolean> {
  return (await connectionState(db, a, b)) === 'connected';
}

/** Of `others`, the people connected with `me` (accepted), in one query. */
export async function connectedAmong(db: Db, me: number, others: readonly number[]): Promise<Set<number>> {
  if (others.length === 0) return new Set();
  const { rows } = await sql<{ other: string }>`
    select case when user_low = ${me} then user_high else user_low end as other from connections
     where status = 'accepted' and ((user_low = ${me} and user_high = any(${[...others]}::bigint[])) or (user_high = ${me} and user_low = any(${[...others]}::bigint[])))`.execute(db);
  return new Set(rows.map((r) => Number(r.other)));
}

/**
 * No block between the two, either way: the routes check it first, and the writes that bring two
 * people closer check it again in the statement itself, so a block made meanwhile still holds.
 */
const noBlockBetween = (a: number, b: number) =>
  sql<boolean>`not exists (select 1 from blocks where (blocker_id = ${a} and blocked_id = ${b}) or (blocker_id = ${b} and blocked_id = ${a}))`;

/**
 * Sends a request, or accepts theirs if they already asked me. One statement on the pair's
 * primary key, so two people asking each other at once end up connected, not with two requests.
 * Nothing happens across a block.
 */
export async function requestConnection(db: Db, me: number, other: number): Promise<ConnectionState> {
  const { low, high } = pairOf(me, other);
  await db
    .insertInto('connections')
    .columns(['user_low', 'user_high', 'requested_by', 'status'])
    .expression(
      db
        .selectNoFrom([sql<number>`${low}::bigint`.as('user_low'), sql<number>`${high}::bigint`.as('user_high'), sql<number>`${me}::bigint`.as('requested_by'), sql<'pending'>`'pending'`.as('status')])
        .where(noBlockBetween(me, other)),
    )
    .onConflict((oc) =>
      oc
        .columns(['user_low', 'user_high'])
        .doUpdateSet({ status: 'accepted', accepted_at: sql`now()` })
        .where('connections.status', '=', 'pending')
        .where('connections.requested_by', '=', other)
        .where(noBlockBetween(me, other)),
    )
    .execute();
  return connectionState(db, me, other);
}

/** Accepts the other person's pending request to me. False when there is none, or a block stands between us. */
export async function acceptRequest(db: Db, me: number, other: number): Promise<boolean> {
  const { low, high } = pairOf(me, other);
  const result = await db
    .updateTable('connections')
    .set({ status: 'accepted', accepted_at: sql`now()` })
    .where('user_low', '=', low)
    .where('user_high', '=', high)
    .where('status', '=', 'pending')
    .where('requested_by', '=', other)
    .where(noBlockBetween(me, other))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Declines the other person's pending request to me. False when there is none. */
export async function declineRequest(db: Db, me: number, other: number): Promise<boolean> {
  const { low, high } = pairOf(me, other);
  const result = await db
    .deleteFrom('connections')
    .where('user_low', '=', low)
    .where('user_high', '=', high)
    .where('status', '=', 'pending')
    .where('requested_by', '=', other)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Removes a connection, or withdraws my own pending request. False when there is neither. */
export async function removeConnection(db: Db, me: number, other: number): Promise<boolean> {
  const { low, high } = pairOf(me, other);
  const result = await db
    .deleteFrom('connections')
    .where('user_low', '=', low)
    .where('user_high', '=', high)
    .where((eb) => eb.or([eb('status', '=', 'accepted'), eb('requested_by', '=', me)]))
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}
