import { sql } from 'kysely';
import type { MessagingLimits } from '../limits.js';
import type { MessagingDb } from '../schema.js';

/**
 * Whether this person is already at their sending limit, asked before a costly step (reading,
 * storing and decoding a message's files): the seconds until they may send again, or undefined.
 * Not under the sender's lock: the send itself counts again, under it, where the message is stored.
 */
export async function sendingLimitReached(db: MessagingDb, senderId: number, limit: MessagingLimits['messages']): Promise<number | undefined> {
  const { rows } = await sql<{ seconds: number }>`
    select greatest(1, ceil(extract(epoch from created_at + make_interval(secs => ${limit.windowSeconds}) - statement_timestamp())))::int as seconds
      from messages
     where sender_id = ${senderId} and created_at > statement_timestamp() - make_interval(secs => ${limit.windowSeconds})
     order by created_at desc offset ${limit.max - 1} limit 1`.execute(db);
  return rows[0]?.seconds;
}
