import { sql } from 'kysely';
import type { MessagingDb } from '../schema.js';

export interface SearchHit {
  id: number;
  conversation_id: number;
  sender_id: number;
  /** The other person of a direct conversation; null in a group. */
  other_user_id: number | null;
  /** A group's name. */
  group_name: string | null;
  created_at: Date;
  body: string;
}

/** The words of a search, as the index sees words: runs of letters and digits, lower case. */
export function queryWords(q: string): string[] {
  return q.toLowerCase().match(/[\p{L}\p{N}]+/gu)?.slice(0, 8) ?? [];
}

/**
 * The words as PostgreSQL's 'simple' configuration spells them in the index (its lower case, which
 * follows the database's locale): asked of the database only for words outside ASCII, where
 * JavaScript's lower case and the database's may differ.
 */
async function indexSpelling(db: MessagingDb, words: string[]): Promise<string[]> {
  if (words.every((w) => /^[0-9a-z]*$/.test(w))) return words;
  const { rows } = await sql<{ lexeme: string }>`select lexeme from unnest(to_tsvector('simple', ${words.join(' ')}))`.execute(db);
  return rows.map((r) => r.lexeme);
}

/**
 * My words as a prefix tsquery over my own index entries ("meet tom" for person 7 →
 * '7:meet':* & '7:tom':*, see migration 0015). Only letters and digits get through, so the user's
 * text can never be tsquery syntax.
 */
function myPrefixQuery(me: number, words: string[], groups: readonly number[] = []): string {
  const terms = (key: string) => words.map((w) => `'${key}:${w.replace(/['\\]/g, '\\$&')}':*`).join(' & ');
  // A group's messages are keyed by the group ('g<id>', migration 0029): mine are the groups I am (or was) in.
  return [String(me), ...groups.map((g) => `g${g}`)].map((key) => (groups.length === 0 ? terms(key) : `(${terms(key)})`)).join(' | ');
}

/** The groups whose messages I may search: those I am in or left (up to my leaving). */
async function myGroups(db: MessagingDb, me: number, only?: number): Promise<number[]> {
  let query = db.selectFrom('conversation_participants').select('conversation_id').where('user_id', '=', me).where('other_user_id', 'is', null);
  if (only !== undefined) query = query.where('conversation_id', '=', only);
  return (await query.execute()).map((r) => Number(r.conversation_id));
}

/** The newest conversations (by their newest message) and messages of each that a search walks first. */
const WALK_CONVERSATIONS = 100;
const WALK_MESSAGES = 20;

interface Options {
  words: string[];
  conversationId?: number;
  before?: number;
  limit: number;
}

/**
 * My messages matching the words (each a prefix), newest first, by keyset on the message id: only
 * conversations I am in (through my own participant row), only what I have not deleted for me,
 * never a deleted or removed message (they have no text left to match).
 *
 * Both ways of answering read my own rows and nothing else, so the time a search takes is that of
 * my own messages and says nothing about what anyone else writes:
 * - first, the newest messages of my most recent conversations, read through my participant rows
 *   and each conversation's own index (a bounded amount of my own data): enough whenever the
 *   page is found among them, or they are all there is;
 * - otherwise, my own entries of the word index (my id prefixes every word, migration 0015).
 */
export async function searchMessages(db: MessagingDb, me: number, options: Options): Promise<{ items: SearchHit[]; next: number | undefined }> {
  const words = await indexSpelling(db, options.words);
  if (words.length === 0) return { items: [], next: undefined };
  const query = myPrefixQuery(me, words, await myGroups(db, me, options.conversationId));
  const take = options.limit + 1;
  const recent = await recentMatches(db, me, query, options, take);
  const rows = recent ?? (await indexMatches(db, me, query, options, take));
  const items = rows.slice(0, options.limit).map((r) => ({ ...r, id: Number(r.id), conversation_id: Number(r.conversation_id), sender_id: Number(r.sender_id), other_user_id: r.other_user_id === null ? null : Number(r.other_user_id) }));
  return { items, next: rows.length > options.limit ? items[items.length - 1]?.id : undefined };
}

/**
 * Matches among the newest WALK_MESSAGES messages of each of my WALK_CONVERSATIONS conversations
 * with the newest messages (ordered by an upper bound of their newest message id kept in my
 * participant row). Every message not read has an id at most the "frontier"; the answer is the
 * page when it holds `take` matches all newer than that, or when nothing was left unread.
 * Undefined when the page may lie beyond what was read.
 */
async function recentMatches(db: MessagingDb, me: number, query: string, options: Options, take: number): Promise<SearchHit[] | undefined> {
  const upper = sql`greatest(p.latest_incoming_message_id, p.last_read_message_id)`;
  const { rows } = await sql<SearchHit & { frontier: number }>`
    with mine as materialized (
      select p.conversation_id, p.other_user_id, p.cleared_before_message_id as cleared, p.left_upto_message_id as left_upto,
             ${options.before !== undefined ? sql`least(${upper}, ${options.before - 1})` : upper} as upper
        from conversation_participants p
       where p.user_id = ${me}
         ${options.conversationId !== undefined ? sql`and p.conversation_id = ${options.conversationId}` : sql``}
       order by ${upper} desc
       limit ${WALK_CONVERSATIONS + 1}
    ), walked as materialized (
      select mine.conversation_id, mine.other_user_id, r.id, r.sender_id, r.created_at, r.body, r.deleted_at, r.redacted_at, r.search_keys
        from (select * from mine order by upper desc limit ${WALK_CONVERSATIONS}) mine
       cross join lateral (
             select m.id, m.sender_id, m.created_at, m.body, m.deleted_at, m.redacted_at, m.search_keys
               from messages m
              -- Only the conversation's own index gives this order: "between", not "=", so the planner
              -- cannot drop conversation_id from the order and walk the whole table by id instead,
              -- reading other people's messages between these.
              where m.conversation_id between mine.conversation_id and mine.conversation_id
                and m.id > mine.cleared and (mine.left_upto is null or m.id <= mine.left_upto)
                ${options.before !== undefined ? sql`and m.id < ${options.before}` : sql``}
              order by m.conversation_id desc, m.id desc
              limit ${WALK_MESSAGES}) r
    ), frontier as (
      select greatest(
               coalesce((select upper from mine order by upper desc offset ${WALK_CONVERSATIONS} limit 1), 0),
               coalesce((select max(oldest) from (select min(id) as oldest from walked group by conversation_id having count(*) = ${WALK_MESSAGES}) cut), 0)
             ) as at
    )
    select w.id, w.conversation_id, w.sender_id, w.other_user_id, w.created_at, w.body, frontier.at as frontier,
           (select c.name from conversations c where c.id = w.conversation_id) as group_name
      from frontier
      left join lateral (
             select * from walked
              where walked.search_keys @@ ${query}::tsquery and walked.deleted_at is null and walked.redacted_at is null
                and ${notHidden(me, sql.ref('walked.other_user_id'), sql.ref('walked.sender_id'))}
              order by walked.id desc
              limit ${take}) w on true`.execute(db);
  const frontier = Number(rows[0]?.frontier ?? 0);
  const hits = rows.filter((r) => r.id !== null);
  const last = hits[hits.length - 1];
  if (hits.length === take ? Number(last!.id) > frontier : frontier === 0) return hits;
  return undefined;
}

/** Not a group message from someone I blocked (hidden from me, so never found either). */
const notHidden = (me: number, other: unknown, sender: unknown) =>
  sql<boolean>`(${other} is not null or ${sender} = ${me}
                or not exists (select 1 from courier_blocked_pairs(array[${me}::bigint, ${sender}]) b where b.blocker_id = ${me}))`;

/** Every match among my own entries of the word index, newest first. */
async function indexMatches(db: MessagingDb, me: number, query: string, options: Options, take: number): Promise<SearchHit[]> {
  // The match comes first, on its own (materialized): my entries of the index, or the messages of
  // the one conversation asked for (mine, checked by the caller). Ordering and paging come after,
  // so no plan can walk the table newest-first and read other people's messages between mine.
  // Then newest first, each checked against my participant row by its key, one at a time, until
  // the page is full: a word in thousands of my messages costs a sort of their ids, not a join of
  // every conversation I have (the planner, expecting fewer matches, chose the join: 4x slower at
  // 100,000 conversations). The text is read for the page's rows alone.
  const { rows } = await sql<SearchHit>`
    with matched as materialized (
      select m.id, m.conversation_id
        from messages m
       where m.search_keys @@ ${query}::tsquery
         and m.deleted_at is null and m.redacted_at is null
         ${options.conversationId !== undefined ? sql`and m.conversation_id = ${options.conversationId}` : sql``}
         ${options.before !== undefined ? sql`and m.id < ${options.before}` : sql``}
    )
    select m.id, m.conversation_id, x.sender_id, p.other_user_id, x.created_at, x.body,
           (select c.name from conversations c where c.id = m.conversation_id) as group_name
      from (select * from matched order by id desc) m
      cross join lateral (
             select p.other_user_id, p.cleared_before_message_id, p.left_upto_message_id
               from conversation_participants p
              where p.conversation_id = m.conversation_id and p.user_id = ${me}
              limit 1) p
      join messages x on x.id = m.id
     where m.id > p.cleared_before_message_id and (p.left_upto_message_id is null or m.id <= p.left_upto_message_id)
       and ${notHidden(me, sql.ref('p.other_user_id'), sql.ref('x.sender_id'))}
     order by m.id desc
     limit ${take}`.execute(db);
  return rows;
}
