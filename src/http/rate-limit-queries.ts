import { sql } from 'kysely';
import type { Db } from '../db/database.js';

export interface Hits {
  hits: number;
  resetAt: Date;
}

/**
 * Counts one hit on a key as one atomic upsert, so concurrent requests cannot both read the same
 * old count; a window that has ended starts again at 1.
 */
export async function countHit(db: Db, key: string, windowMs: number): Promise<Hits> {
  const { rows } = await sql<{ hits: number; reset_at: Date }>`
    insert into rate_limit_hits (key, hits, reset_at)
    values (${key}, 1, now() + ${windowMs} * interval '1 millisecond')
    on conflict (key) do update set
      hits = case when rate_limit_hits.reset_at <= now() then 1 else rate_limit_hits.hits + 1 end,
      reset_at = case when rate_limit_hits.reset_at <= now() then excluded.reset_at else rate_limit_hits.reset_at end
    returning hits, reset_at`.execute(db);
  const row = rows[0]!;
  return { hits: row.hits, resetAt: row.reset_at };
}

export async function uncountHit(db: Db, key: string): Promise<void> {
  await db
    .updateTable('rate_limit_hits')
    .set({ hits: sql`greatest(hits - 1, 0)` })
    .where('key', '=', key)
    .execute();
}

export async function forgetHits(db: Db, key: string): Promise<void> {
  await db.deleteFrom('rate_limit_hits').where('key', '=', key).execute();
}

/** The key's count while its window lasts (undefined once it has ended). */
export async function currentHits(db: Db, key: string): Promise<Hits | undefined> {
  const row = await db
    .selectFrom('rate_limit_hits')
    .select(['hits', 'reset_at'])
    .where('key', '=', key)
    .where('reset_at', '>', sql<Date>`now()`)
    .executeTakeFirst();
  return row && { hits: row.hits, resetAt: row.reset_at };
}

/** Expired counters are only clutter; any instance may sweep them. */
export async function sweepExpiredRateLimits(db: Db): Promise<void> {
  await db.deleteFrom('rate_limit_hits').where('reset_at', '<', sql<Date>`now() - interval '1 minute'`).execute();
}
