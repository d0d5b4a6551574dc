import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { decodeCursor, encodeCursor } from '../../http/cursor.js';
import type { MeetingAnswer, MessagingDb } from '../schema.js';
import type { MeetingRow } from './meetings-queries.js';

export type MeetingsWhen = 'upcoming' | 'past';

/** A meeting in my list or my feed: of a conversation I take part in. */
export type ListedMeeting = Omit<MeetingRow, 'time_zone'> & {
  my_answer: MeetingAnswer | null;
  /** starts_at as PostgreSQL's text (microseconds kept), for the cursor. */
  start_key: string;
};

/** My meetings, joined through my participant rows (one statement: my answer comes with them). */
function mine(db: MessagingDb, me: number) {
  return db
    .selectFrom('conversation_participants as p')
    .innerJoin('meetings as g', 'g.conversation_id', 'p.conversation_id')
    .leftJoin('meeting_answers as a', (join) => join.onRef('a.meeting_id', '=', 'g.id').on('a.user_id', '=', me))
    .select([
      'g.id',
      'g.conversation_id',
      'g.organiser_id',
      'g.title',
      'g.starts_at',
      'g.minutes',
      'g.link',
      'g.notes',
      'g.sequence',
      'g.cancelled_at',
      'g.created_at',
      'g.updated_at',
      'g.card_message_id',
      'p.other_user_id',
      'a.answer as my_answer',
      sql<string>`g.starts_at::text`.as('start_key'),
    ])
    .where('p.user_id', '=', me);
}

const ends = sql`g.starts_at + g.minutes * interval '1 minute'`;

/**
 * One page of my meetings: upcoming (not ended, soonest first) or past (ended, latest first),
 * cancelled ones included. Keyset on (starts_at, id); `after` is the last page's `next`.
 */
export async function myMeetingsPage(db: MessagingDb, me: number, when: MeetingsWhen, after: unknown, limit: number): Promise<{ items: ListedMeeting[]; next: string | undefined }> {
  const cursor = decodeCursor(after);
  let query = mine(db, me);
  if (when === 'upcoming') {
    query = query.where(sql<boolean>`${ends} > now()`).orderBy('g.starts_at', 'asc').orderBy('g.id', 'asc');
    if (cursor) query = query.where(sql<boolean>`(g.starts_at, g.id) > (${cursor.at}::timestamptz, ${cursor.id}::bigint)`);
  } else {
    query = query.where(sql<boolean>`${ends} <= now()`).orderBy('g.starts_at', 'desc').orderBy('g.id', 'desc');
    if (cursor) query = query.where(sql<boolean>`(g.starts_at, g.id) < (${cursor.at}::timestamptz, ${cursor.id}::bigint)`);
  }
  const rows = (await query.limit(limit + 1).execute()) as ListedMeeting[];
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, next: rows.length > limit && last ? encodeCursor(last.start_key, last.id) : undefined };
}

/** What a feed lists: my meetings from `days` ago on, soonest first, at most `cap`. */
export async function feedMeetings(db: MessagingDb, me: number, days: number, cap: number): Promise<ListedMeeting[]> {
  return (await mine(db, me)
    .where(sql<boolean>`g.starts_at >= now() - ${days} * interval '1 day'`)
    .orderBy('g.starts_at', 'asc')
    .orderBy('g.id', 'asc')
    .limit(cap)
    .execute()) as ListedMeeting[];
}

/** Whose feed a token opens (undefined: no such address, or one replaced since). */
export async function feedOwner(db: MessagingDb, token: string): Promise<number | undefined> {
  const row = await db.selectFrom('meeting_feeds').select('user_id').where('token', '=', token).executeTakeFirst();
  return row?.user_id;
}

export async function feedTokenOf(db: MessagingDb, me: number): Promise<string | undefined> {
  const row = await db.selectFrom('meeting_feeds').select('token').where('user_id', '=', me).executeTakeFirst();
  return row?.token;
}

/** A new secret address for my feed, in place of any old one (which stops working with this statement). */
export async function renewFeedToken(db: MessagingDb, me: number): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await db
    .insertInto('meeting_feeds')
    .values({ user_id: me, token })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ token, created_at: sql`now()` }))
    .execute();
  return token;
}
