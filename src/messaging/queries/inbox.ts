import { sql } from 'kysely';
import { decodeCursor, encodeCursor } from '../../http/cursor.js';
import type { ConversationKind, GroupEvent, MessagingDb } from '../schema.js';
import { nameAsSeenBy } from './conversations.js';

export interface InboxRow {
  conversation_id: number;
  /** The other person of a direct conversation; null for a group. */
  other_user_id: number | null;
  kind: ConversationKind;
  /** A group's name. */
  name: string | null;
  /** Who opened it (for support: the person it is for). */
  owner_id: number | null;
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
  /** The last message is a group's line ("Ana added Ben"). */
  last_event: GroupEvent | null;
  /** In a group, the last message is from someone I blocked: not previewed. */
  last_hidden: boolean;
  pinned: boolean;
  archived: boolean;
  /** On a page of a live instance now, and both of us show our active status (blocks are the host's to apply). */
  other_active: boolean;
}

export type InboxFilter = 'all' | 'unread' | 'archived';
export const INBOX_FILTERS: readonly InboxFilter[] = ['all', 'unread', 'archived'];

/** Where the host keeps people, so the inbox can filter by the other person's name in SQL. */
export interface PeopleTable {
  table: string;
  id: string;
  username: string;
  displayName: string;
  /** Usernames are stored in lower case (then an index on the bare column can serve the search). */
  usernamesLowerCase?: boolean;
}

export interface InboxQuery {
  filter: InboxFilter;
  /** Part of the other person's name or username, any case. */
  q: string;
  after: unknown;
}

/** My conversations with their last message, unread flag and activity: the shape of an inbox row. */
function inboxRows(db: MessagingDb, me: number) {
  return db
    .selectFrom('conversation_participants as p')
    .innerJoin('conversations as c', 'c.id', 'p.conversation_id')
    // Its last message as I may see it: one who left a group sees up to their leaving.
    .leftJoin('messages as m', (join) => join.on('m.id', '=', sql<number>`coalesce(p.left_upto_message_id, c.last_message_id)`).on('m.id', '>', sql.ref('p.cleared_before_message_id')))
    .select([
      'p.conversation_id',
      'p.other_user_id',
      'c.kind',
      nameAsSeenBy('p').as('name'),
      'c.created_by as owner_id',
      'm.event as last_event',
      // In a group, a last message from someone I blocked is hidden from me (the host's blocks, through its function).
      sql<boolean>`(c.kind <> 'direct' and m.sender_id <> p.user_id
                    and exists (select 1 from courier_blocked_pairs(array[p.user_id, m.sender_id]) x where x.blocker_id = p.user_id))`.as('last_hidden'),
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
      sql<boolean>`(p.pinned_at is not null)`.as('pinned'),
      sql<boolean>`(p.archived_at is not null)`.as('archived'),
      sql<boolean>`(coalesce((select w.active_status from messaging_preferences w where w.user_id = p.user_id), true)
                    and coalesce((select w.active_status from messaging_preferences w where w.user_id = p.other_user_id), true)
                    and exists (select 1 from presence pr join realtime_instances i on i.id = pr.instance_id
                                 where pr.user_id = p.other_user_id and i.heartbeat_at > now() - interval '45 seconds'))`.as('other_active'),
    ])
    .where('p.user_id', '=', me)
    .where('p.last_activity_at', 'is not', null);
}

/** My row of one conversation, as the inbox draws it (for a live update of the list). */
export async function inboxRowOf(db: MessagingDb, me: number, conversationId: number): Promise<InboxRow | undefined> {
  return (await inboxRows(db, me).where('p.conversation_id', '=', conversationId).executeTakeFirst()) as InboxRow | undefined;
}

const likeEscape = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The rows of one tab (and name search), pinned or not. */
/** The people a name search matches: who they are, or "too many to list" (then matched in SQL). */
type Matching = ({ ids: number[] } | { sql: ReturnType<typeof sql<boolean>>; members: ReturnType<typeof sql> }) & { pattern: string } | undefined;

/** Up to this many matching people are fetched as ids; beyond, the match stays a subquery. */
const MATCHING_IDS_MAX = 5000;

async function matchingPeople(db: MessagingDb, q: string, people: PeopleTable | undefined): Promise<Matching> {
  if (!q || !people) return undefined;
  const pattern = `%${likeEscape(q.toLowerCase())}%`;
  const username = people.usernamesLowerCase ? sql`person.${sql.ref(people.username)}` : sql`lower(person.${sql.ref(people.username)})`;
  const matches = sql`select person.${sql.ref(people.id)} as id from ${sql.table(people.table)} person
                       where ${username} like ${pattern} or lower(person.${sql.ref(people.displayName)}) like ${pattern}`;
  // The people first (trigram indexes serve the LIKEs): with their ids in hand, my rows are
  // tested against a hashed list, so the cost follows how many people match, not how many
  // conversations I have.
  const { rows } = await sql<{ id: number }>`${matches} limit ${MATCHING_IDS_MAX + 1}`.execute(db);
  if (rows.length <= MATCHING_IDS_MAX) return { ids: rows.map((r) => Number(r.id)), pattern };
  return { sql: sql<boolean>`p.other_user_id in (${matches})`, members: matches, pattern };
}

function filtered(db: MessagingDb, me: number, query: InboxQuery, matching: Matching) {
  let rows = inboxRows(db, me);
  if (query.filter === 'archived') rows = rows.where('p.archived_at', 'is not', null);
  else rows = rows.where('p.archived_at', 'is', null);
  if (query.filter === 'unread') rows = rows.where(sql<boolean>`(p.latest_incoming_message_id > p.last_read_message_id or p.marked_unread)`);
  if (!matching) return rows;
  // A direct conversation by the other person; a group by its name or by a member still in it.
  const person = 'ids' in matching ? sql<boolean>`p.other_user_id = any(${sql.val(matching.ids)}::bigint[])` : matching.sql;
  const member = 'ids' in matching ? sql<boolean>`g.user_id = any(${sql.val(matching.ids)}::bigint[])` : sql<boolean>`g.user_id in (${matching.members})`;
  return rows.where(sql<boolean>`(${person} or (c.kind = 'group' and (lower(c.name) like ${matching.pattern}
    or exists (select 1 from conversation_participants g where g.conversation_id = p.conversation_id and g.left_upto_message_id is null and g.user_id <> p.user_id and ${member}))))`);
}

/**
 * One page of my inbox: on the first page of All, pinned conversations first in the order they
 * were pinned (there are at most a few); then newest activity first, by keyset on
 * (last_activity_at, conversation_id). Two queries whatever the page holds, three with a name
 * search (the last message comes by a join, not a query per row).
 */
export async function inboxPage(
  db: MessagingDb,
  me: number,
  query: InboxQuery,
  limit: number,
  people?: PeopleTable,
): Promise<{ items: InboxRow[]; next: string | undefined }> {
  const cursor = decodeCursor(query.after);
  const matching = await matchingPeople(db, query.q, people);

  const pinsApart = query.filter === 'all';
  const pinned = pinsApart && !cursor ? ((await filtered(db, me, query, matching).where('p.pinned_at', 'is not', null).orderBy('p.pinned_at').orderBy('p.conversation_id').execute()) as InboxRow[]) : [];
  let page = filtered(db, me, query, matching).orderBy('p.last_activity_at', 'desc').orderBy('p.conversation_id', 'desc').limit(limit + 1);
  if (pinsApart) page = page.where('p.pinned_at', 'is', null);
  if (cursor) {
    page = page.where(sql<boolean>`(p.last_activity_at, p.conversation_id) < (${cursor.at}::timestamptz, ${cursor.id}::bigint)`);
  }
  const rows = (await page.execute()) as InboxRow[];
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items: [...pinned, ...items], next: rows.length > limit && last ? encodeCursor(last.activity_key, last.conversation_id) : undefined };
}
