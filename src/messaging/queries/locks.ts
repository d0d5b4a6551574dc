import { sql, type Transaction } from 'kysely';
import type { MessagingTables } from '../schema.js';

// Advisory lock namespaces (the first key of pg_advisory_xact_lock(int, int)).
export const LOCK_SPACES = { messages: 0x436f7201, conversations: 0x436f7202 } as const;

/**
 * Serialises one person's sends (or conversation openings) across every instance until the
 * transaction ends. Taken in its own statement, so the count that follows, in a new statement,
 * sees everything the previous holder committed (READ COMMITTED takes a snapshot per statement).
 */
export async function lockSender(trx: Transaction<MessagingTables>, what: keyof typeof LOCK_SPACES, userId: number): Promise<void> {
  await sql`select pg_advisory_xact_lock(${LOCK_SPACES[what]}::int, (${userId}::bigint % 2147483647)::int)`.execute(trx);
}
