import { sql } from 'kysely';
import type { MessagingDb } from '../schema.js';

export interface SearchHit {
  id: number;
  conversation_id: number;
  sender_id: number;
  other_user_id: number;
  created_at: Date;
  body: string;
}

/**
 * The words of a query as a prefix tsquery ("meet tom" → 'meet':* & 'tom':*): only letters and
 * digits get through, so the user's text can never be tsquery syntax. Undefined when no word is left.
 */
export function prefixQuery(q: string): string | undefined {
  const words = queryWords(q);
  return words.length > 0 ? words.map((w) => `'${w}':*`).join(' & ') : undefined;
}

/** The words of a search, as the index sees words: runs of letters and digits, lower case. */
export function queryWords(q: string): string[] {
  return q.toLowerCase().match(/[\p{L}\p{N}]+/gu)?.slice(0, 8) ?? [];
}

/**
 * My messages matching the query, newest first, by keyset on the message id: only conversations
 * I am in (through my own participant row), only what I have not deleted for me, never a deleted
 * or removed message (they have no text left to match).
 */
export async function searchMessages(
  db: MessagingDb,
  me: number,
  options: { query: string; conversationId?: number; before?: number; limit: number },
): Promise<{ items: SearchHit[]; next: number | undefined }> {
  const { rows } = await sql<SearchHit>`
    select m.id, m.conversation_id, m.sender_id, p.other_user_id, m.created_at, m.body
      from to_tsquery('simple', ${options.query}) as q(query)
      join messages m on m.search @@ q.query
      join conversation_participants p on p.conversation_id = m.conversation_id and p.user_id = ${me}
     where m.id > p.cleared_before_message_id
       and m.deleted_at is null and m.redacted_at is null
       ${options.conversationId !== undefined ? sql`and m.conversation_id = ${options.conversationId}` : sql``}
       ${options.before !== undefined ? sql`and m.id < ${options.before}` : sql``}
     order by m.id desc
     limit ${options.limit + 1}`.execute(db);
  const items = rows.slice(0, options.limit).map((r) => ({ ...r, id: Number(r.id), conversation_id: Number(r.conversation_id), sender_id: Number(r.sender_id), other_user_id: Number(r.other_user_id) }));
  return { items, next: rows.length > options.limit ? items[items.length - 1]?.id : undefined };
}
