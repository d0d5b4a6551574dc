import { sql, type RawBuilder } from 'kysely';
import { CHANNEL, type RealtimeSignal } from '../realtime/channel.js';
import type { MessagingDb } from '../schema.js';

/**
 * A pg_notify call for use inside the transaction that made the change: PostgreSQL delivers it
 * when (and only if) that transaction commits, so listeners never hear of uncommitted data.
 */
export function notifyExpression(signal: RealtimeSignal): RawBuilder<unknown> {
  return sql`pg_notify(${CHANNEL}, ${JSON.stringify(signal)})`;
}

/** A signal on its own (nothing else to commit with it): one statement. */
export async function announce(db: MessagingDb, signal: RealtimeSignal): Promise<void> {
  await sql`select ${notifyExpression(signal)}`.execute(db);
}
