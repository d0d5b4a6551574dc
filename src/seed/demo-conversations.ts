import { wholeDatabase } from '../app-database.js';
import type { Db } from '../db/database.js';
import { pairOf } from '../connections/policy.js';

type Line = [from: 'a' | 'b', text: string];

interface Script {
  a: string;
  b: string;
  /** How long ago the last line was sent, in minutes; earlier lines are spread before it. */
  endedMinutesAgo: number;
  lines: Line[];
  /** Lines at the end that b has not read yet (they are unread for b). */
  unreadByB?: number;
}

const scripts: Script[] = [
  {
    a: 'bob',
    b: 'alice',
    endedMinutesAgo: 3,
    unreadByB: 2,
    lines: [
      ['a', 'Hi Alice! Are you coming to the meetup on Thursday?'],
      ['b', 'Hey Bob 👋 I think so, is it still at the library?'],
      ['a', 'Yes, the small room on the second floor. 18:30.'],
      ['b', 'Perfect. Should I bring anything?'],
      ['a', 'Maybe your laptop, we want to try the new projector.'],
      ['b', 'Will do 💻'],
      ...Array.from({ length: 30 }, (_, i): Line => [i % 2 ? 'b' : 'a', i % 2 ? `Sounds good (${i})` : `One more thing about the agenda, item ${i + 1}.`]),
      ['a', 'Also: Chen says hi!'],
      ['a', 'Can you send me the slides from last time? 🙏'],
    ],
  },
  {
    a: 'alice',
    b: 'chen',
    endedMinutesAgo: 60 * 5,
    lines: [
      ['a', '你好 Chen! Thanks for the book recommendation.'],
      ['b', 'You are welcome! Did you like it?'],
      ['a', 'Loved it. The ending was ✨ unexpected ✨'],
    ],
  },
  {
    a: 'chen',
    b: 'bob',
    endedMinutesAgo: 60 * 30,
    unreadByB: 1,
    lines: [
      ['a', 'Bob, the café on Rue Nationale has reopened ☕'],
      ['b', 'Finally! Saturday morning?'],
      ['a', 'Saturday it is.'],
    ],
  },
  {
    a: 'emeka',
    b: 'chen',
    endedMinutesAgo: 60 * 24 * 3,
    lines: [
      ['a', 'Chen, can you review my pull request when you have a minute?'],
      ['b', 'Done, left two small comments.'],
    ],
  },
];

/** Conversations with some history for the demo people, a few of them unread. */
export async function seedConversations(hostDb: Db, ids: Map<string, number>): Promise<void> {
  // The demo is written straight into the module's tables (rows as they would be after sending).
  const db = wholeDatabase(hostDb);
  for (const script of scripts) {
    const a = ids.get(script.a);
    const b = ids.get(script.b);
    if (a === undefined || b === undefined) continue;
    const { low, high } = pairOf(a, b);
    const conversation = await db.insertInto('conversations').values({ user_low: low, user_high: high }).returning('id').executeTakeFirstOrThrow();
    const end = Date.now() - script.endedMinutesAgo * 60_000;
    const inserted = await db
      .insertInto('messages')
      .values(
        script.lines.map(([from, text], i) => ({
          conversation_id: conversation.id,
          sender_id: from === 'a' ? a : b,
          body: text,
          created_at: new Date(end - (script.lines.length - 1 - i) * 7 * 60_000),
        })),
      )
      .returning(['id', 'sender_id'])
      .execute();
    const last = inserted[inserted.length - 1]!;
    const lastFrom = (user: number) => Math.max(0, ...inserted.filter((m) => m.sender_id === user).map((m) => m.id));
    const unread = script.unreadByB ?? 0;
    const readByB = unread > 0 ? inserted[inserted.length - 1 - unread]!.id : last.id;
    await db.updateTable('conversations').set({ last_message_id: last.id, last_sender_id: last.sender_id, version: 1 }).where('id', '=', conversation.id).execute();
    const activity = new Date(end);
    await db
      .insertInto('conversation_participants')
      .values([
        { conversation_id: conversation.id, user_id: a, other_user_id: b, last_activity_at: activity, latest_incoming_message_id: lastFrom(b), last_read_message_id: last.id, last_delivered_message_id: last.id },
        { conversation_id: conversation.id, user_id: b, other_user_id: a, last_activity_at: activity, latest_incoming_message_id: lastFrom(a), last_read_message_id: readByB, last_delivered_message_id: last.id },
      ])
      .execute();
  }
}
