import { sql } from 'kysely';
import type { Db } from '../db/database.js';

/** Where a block stands between me and another person, both ways, in one read. */
export interface BlockState {
  iBlocked: boolean;
  blockedMe: boolean;
}

export async function blockState(db: Db, me: number, other: number): Promise<BlockState> {
  const { rows } = await sql<{ blocker_id: number }>`
    select blocker_id from blocks
     where (blocker_id = ${me} and blocked_id = ${other}) or (blocker_id = ${other} and blocked_id = ${me})`.execute(db);
  return { iBlocked: rows.some((r) => r.blocker_id === me), blockedMe: rows.some((r) => r.blocker_id === other) };
}

export const isBlockedEitherWay = async (db: Db, a: number, b: number) => {
  const state = await blockState(db, a, b);
  return state.iBlocked || state.blockedMe;
};

/** Of `others`, everyone with a block with `user`, either way: one query for any number. */
export async function barredAmong(db: Db, user: number, others: readonly number[]): Promise<Set<number>> {
  if (others.length === 0) return new Set();
  const { rows } = await sql<{ other: number }>`
    select blocked_id as other from blocks where blocker_id = ${user} and blocked_id = any(${sql.val([...others])}::bigint[])
    union
    select blocker_id from blocks where blocked_id = ${user} and blocker_id = any(${sql.val([...others])}::bigint[])`.execute(db);
  return new Set(rows.map((r) => Number(r.other)));
}

/** True when this call made the block (false: it was already there). */
export async function block(db: Db, me: number, other: number): Promise<boolean> {
  const row = await db.insertInto('blocks').values({ blocker_id: me, blocked_id: other }).onConflict((oc) => oc.doNothing()).returning('blocker_id').executeTakeFirst();
  return row !== undefined;
}

/** True when this call lifted a block. */
export async function unblock(db: Db, me: number, other: number): Promise<boolean> {
  const result = await db.deleteFrom('blocks').where('blocker_id', '=', me).where('blocked_id', '=', other).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** The people I blocked, most recent first, a page at a time (keyset on the block's time and id). */
export async function blockedPeople(db: Db, me: number, limit = 50) {
  return db
    .selectFrom('blocks as b')
    .innerJoin('users as u', 'u.id', 'b.blocked_id')
    .select(['u.id', 'u.username', 'u.display_name', 'u.avatar_version', 'b.created_at as blocked_at'])
    .where('b.blocker_id', '=', me)
    .orderBy('b.created_at', 'desc')
    .orderBy('u.id', 'desc')
    .limit(limit)
    .execute();
}
