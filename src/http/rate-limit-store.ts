import { sql } from 'kysely';
import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';
import type { Db } from '../db/database.js';

/**
 * express-rate-limit counters kept in PostgreSQL, so every app instance shares them. Each
 * increment is one atomic upsert: concurrent requests cannot both read the same old count.
 */
export class PostgresRateLimitStore implements Store {
  windowMs = 60_000;
  localKeys = false;

  constructor(
    private readonly db: Db,
    readonly prefix: string,
  ) {}

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    const row = await sql<{ hits: number; reset_at: Date }>`
      insert into rate_limit_hits (key, hits, reset_at)
      values (${this.key(key)}, 1, now() + ${this.windowMs} * interval '1 millisecond')
      on conflict (key) do update set
        hits = case when rate_limit_hits.reset_at <= now() then 1 else rate_limit_hits.hits + 1 end,
        reset_at = case when rate_limit_hits.reset_at <= now() then excluded.reset_at else rate_limit_hits.reset_at end
      returning hits, reset_at`.execute(this.db);
    const { hits, reset_at } = row.rows[0]!;
    return { totalHits: hits, resetTime: reset_at };
  }

  async decrement(key: string): Promise<void> {
    await this.db
      .updateTable('rate_limit_hits')
      .set({ hits: sql`greatest(hits - 1, 0)` })
      .where('key', '=', this.key(key))
      .execute();
  }

  async resetKey(key: string): Promise<void> {
    await this.db.deleteFrom('rate_limit_hits').where('key', '=', this.key(key)).execute();
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    const row = await this.db
      .selectFrom('rate_limit_hits')
      .select(['hits', 'reset_at'])
      .where('key', '=', this.key(key))
      .where('reset_at', '>', sql<Date>`now()`)
      .executeTakeFirst();
    return row && { totalHits: row.hits, resetTime: row.reset_at };
  }

  private key(key: string): string {
    return `${this.prefix}:${key}`;
  }
}

/** Expired counters are only clutter; any instance may sweep them. */
export async function sweepExpiredRateLimits(db: Db): Promise<void> {
  await db.deleteFrom('rate_limit_hits').where('reset_at', '<', sql<Date>`now() - interval '1 minute'`).execute();
}
