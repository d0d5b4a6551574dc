import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';
import type { Db } from '../db/database.js';
import { countHit, currentHits, forgetHits, uncountHit } from './rate-limit-queries.js';

export { sweepExpiredRateLimits } from './rate-limit-queries.js';

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
    const { hits, resetAt } = await countHit(this.db, this.key(key), this.windowMs);
    return { totalHits: hits, resetTime: resetAt };
  }

  async decrement(key: string): Promise<void> {
    await uncountHit(this.db, this.key(key));
  }

  async resetKey(key: string): Promise<void> {
    await forgetHits(this.db, this.key(key));
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    const row = await currentHits(this.db, this.key(key));
    return row && { totalHits: row.hits, resetTime: row.resetAt };
  }

  private key(key: string): string {
    return `${this.prefix}:${key}`;
  }
}
