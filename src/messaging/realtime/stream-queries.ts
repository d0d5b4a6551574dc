import { sql } from 'kysely';
import type { MessagingDb } from '../schema.js';
import { notifyExpression } from '../queries/notify.js';
import { CHANNEL, type RealtimeSignal } from './channel.js';

// The first key of pg_advisory_xact_lock(int, int) for a person's streams (see LOCK_SPACES).
const STREAM_LOCK_SPACE = 0x436f7204;

/**
 * Records an open stream in the table every instance shares; returns the person's streams it
 * pushed past `max` (already removed, and named on the channel for whichever instance holds them).
 */
export async function registerStream(db: MessagingDb, streamId: string, userId: number, instanceId: string, max: number): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    select id from courier_open_stream(${streamId}::uuid, ${userId}::bigint, ${instanceId}::uuid, ${max}::int, ${STREAM_LOCK_SPACE}::int, ${CHANNEL}) as id`.execute(db);
  return rows.map((r) => r.id);
}

export async function unregisterStream(db: MessagingDb, streamId: string): Promise<void> {
  await db.deleteFrom('event_streams').where('id', '=', streamId).execute();
}

/**
 * A page's view, announced to the instance holding its stream, and whether it is visible kept on
 * its row (so work done elsewhere, a push, knows a page of theirs is in front of them): one statement.
 */
export async function announceView(db: MessagingDb, signal: Extract<RealtimeSignal, { t: 'view' }>): Promise<void> {
  await sql`
    with shown as (update event_streams set visible = ${signal.v} where id = ${signal.s}::uuid and user_id = ${signal.u} and visible is distinct from ${signal.v})
    select ${notifyExpression(signal)}`.execute(db);
}
