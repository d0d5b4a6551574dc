import { sql } from 'kysely';
import type { MessagingDb } from '../schema.js';

export interface SavedReply {
  id: number;
  title: string;
  body: string;
}

// The first key of pg_advisory_xact_lock(int, int) for a person's saved replies (messaging uses 0x436f7201-04).
const REPLIES_LOCK_SPACE = 0x436f7205;

/** The most a person keeps (contract version 2). */
export const SAVED_REPLIES_MAX = 50;

/** Mine, by title; `q` narrows them to those whose title or text holds it (case aside). Fifty at most: no paging. */
export async function listSavedReplies(db: MessagingDb, userId: number, q = ''): Promise<SavedReply[]> {
  let query = db.selectFrom('saved_replies').select(['id', 'title', 'body']).where('user_id', '=', userId);
  const needle = q.trim();
  if (needle) {
    const pattern = `%${needle.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where((eb) => eb.or([eb('title', 'ilike', pattern), eb('body', 'ilike', pattern)]));
  }
  const rows = await query.orderBy(sql`lower(title)`).orderBy('id').limit(SAVED_REPLIES_MAX).execute();
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}

export async function findSavedReply(db: MessagingDb, userId: number, id: number): Promise<SavedReply | undefined> {
  const row = await db.selectFrom('saved_replies').select(['id', 'title', 'body']).where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
  return row && { ...row, id: Number(row.id) };
}

/**
 * Adds one unless the person already has the most allowed: counted under a transaction-scoped lock
 * of their replies, so two adds at once cannot both pass the count. False when full.
 */
export async function addSavedReply(db: MessagingDb, userId: number, reply: { title: string; body: string }): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    await sql`select pg_advisory_xact_lock(${REPLIES_LOCK_SPACE}::int, (${userId}::bigint % 2147483647)::int)`.execute(tx);
    const { n } = await tx.selectFrom('saved_replies').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow();
    if (Number(n) >= SAVED_REPLIES_MAX) return false;
    await tx.insertInto('saved_replies').values({ user_id: userId, title: reply.title, body: reply.body }).execute();
    return true;
  });
}

/** Removes one of mine; false when there is none of mine with that id. */
export async function removeSavedReply(db: MessagingDb, userId: number, id: number): Promise<boolean> {
  const result = await db.deleteFrom('saved_replies').where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
