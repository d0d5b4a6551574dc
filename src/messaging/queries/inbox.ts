import { sql } from 'kysely';
import { decodeCursor, encodeCursor } from '../../http/cursor.js';
import type { MessagingDb } from '../schema.js';

export interface InboxRow {
  conversation_id: number;
  other_user_id: number;
  last_activity_at: Date;
  activity_key: string;
  unread: boolean;
  muted: boolean;
  last_message_id: number | null;
  last_sender_id: number | null;
  last_body: string | null;
  last_deleted: boolean;
  last_redacted: boolean;
  last_created_at: Date | null;
}

/**
 * One page of my inbox, newest activity first, by keyset on (last_activity_at, conversation_id):
 * one query whatever the page holds (the last message comes by a join, not a query per row).
 */
/** My conversations with their last message, unread flag and activity: the shape of an inbox row. */
function inboxRows(db: MessagingDb, me: number) {
  return db
    .selectFrom('conversation_participants as p')
    .innerJoin('conversations as c', 'c.id', 'p.conversation_id')
    .leftJoin('messages as m', (join) => join.onRef('m.id', '=', 'c.last_message_id').on('m.id', '>', sql.ref('p.cleared_before_message_id')))
    .select([
      'p.conversation_id',
      'p.other_user_id',
      sql<Date>`p.last_activity_at`.as('last_activity_at'),
      sql<string>`p.last_activity_at::text`.as('activity_key'),
      sql<boolean>`(p.latest_incoming_message_id > p.last_read_message_id or p.marked_unread)`.as('unread'),
      sql<boolean>`(p.muted_at is not null)`.as('muted'),
      'm.id as last_message_id',
      'm.sender_id as last_sender_id',
      'm.body as last_body',
      sql<boolean>`(m.deleted_at is not null)`.as('last_deleted'),
      sql<boolean>`(m.redacted_at is not null)`.as('last_redacted'),
      'm.created_at as last_created_at',
    ])
    .where('p.user_id', '=', me)
    .where('p.last_activity_at', 'is not', null);
}

/**
 * One page of my inbox, newest activity first, by keyset on (last_activity_at, conversation_id):
 * one query whatever the page holds (the last message comes by a join, not a query per row).
 */
export async function inboxPage(db: MessagingDb, me: number, after: unknown, limit: number): Promise<{ items: InboxRow[]; next: string | undefined }> {
  const cursor = decodeCursor(after);
  let query = inboxRows(db, me).orderBy('p.last_activity_at', 'desc').orderBy('p.conversation_id', 'desc').limit(limit + 1);
  if (cursor) {
    query = query.where(sql<boolean>`(p.last_activity_at, p.conversation_id) < (${cursor.at}::timestamptz, ${cursor.id}::bigint)`);
  }
  const rows = (await query.execute()) as InboxRow[];
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, next: rows.length > limit && last ? encodeCursor(last.activity_key, last.conversation_id) : undefined };
}
