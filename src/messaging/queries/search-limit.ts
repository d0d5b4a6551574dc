import { sql } from 'kysely';
import { RateLimited, type MessagingLimits } from '../limits.js';
import type { MessagingDb } from '../schema.js';

/**
 * Counts one search by `me` against the limit, in one atomic upsert (so concurrent searches, on
 * any instance, cannot read the same old count). Past the limit, throws RateLimited with the
 * seconds until the window ends; nothing is searched then, but the attempt still counts.
 */
export async function countSearch(db: MessagingDb, me: number, limit: MessagingLimits['searches']): Promise<void> {
  const { rows } = await sql<{ hits: number; seconds: number }>`
    insert into message_search_counts as s (user_id, hits, window_ends_at)
    values (${me}, 1, statement_timestamp() + make_interval(secs => ${limit.windowSeconds}))
    on conflict (user_id) do update set
      hits = case when s.window_ends_at <= statement_timestamp() then 1 else s.hits + 1 end,
      window_ends_at = case when s.window_ends_at <= statement_timestamp() then excluded.window_ends_at else s.window_ends_at end
    returning hits, greatest(1, ceil(extract(epoch from window_ends_at - statement_timestamp())))::int as seconds`.execute(db);
  const row = rows[0]!;
  if (row.hits > limit.max) throw new RateLimited(row.seconds, 'searches');
}
