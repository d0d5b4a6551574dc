import { sql } from 'kysely';
import { PUSH_TASK } from '../away/push-queries.js';
import type { MessagingLimits } from '../limits.js';
import { CHANNEL } from '../realtime/channel.js';
import type { GroupEvent, MessagingDb } from '../schema.js';
import { assertConversationLimit } from '../queries/conversations.js';
import { lockSender } from '../queries/locks.js';
import { WriteRefused } from '../queries/write-check.js';

/** Two of the people asked for cannot share a group: one blocked the other. */
export class BlockedTogether extends Error {
  constructor(readonly blockerId: number, readonly blockedId: number) {
    super('a block stands between two of the members');
    this.name = 'BlockedTogether';
  }
}

/** Of these people, a block between two of them (either way), or undefined: the host's blocks, read where the write commits. */
export async function blockAmong(trx: MessagingDb, ids: readonly number[]): Promise<{ blocker_id: number; blocked_id: number } | undefined> {
  const { rows } = await sql<{ blocker_id: string; blocked_id: string }>`select * from courier_blocked_pairs(${[...ids]}::bigint[]) limit 1`.execute(trx);
  const row = rows[0];
  return row && { blocker_id: Number(row.blocker_id), blocked_id: Number(row.blocked_id) };
}

/**
 * A group line (created, added, …) stored as a message of `actor` with no text, the conversation
 * and the rows of the members still in it moved as a message moves them (the actor's row read,
 * everyone else's unread), and announced at commit to the members (g) as a message is. Returns its id.
 */
export async function postGroupLine(trx: MessagingDb, conversationId: number, actor: number, event: GroupEvent, clientId?: string): Promise<number> {
  // Who is pushed: everyone a new group was made with, or the one added; other lines are not worth a phone's buzz.
  const toEveryone = event.t === 'created';
  const told = event.t === 'added' && event.u !== undefined ? [Number(event.u)] : [];
  const { rows } = await sql<{ id: string }>`
    with line as (
      insert into messages (conversation_id, sender_id, body, event, client_id)
      values (${conversationId}, ${actor}, null, ${JSON.stringify(event)}::jsonb, ${clientId ?? null}::uuid)
      returning id
    ), conversation as (
      update conversations c set last_message_id = line.id, last_sender_id = ${actor}, version = c.version + 1 from line where c.id = ${conversationId}
    ), members as (
      update conversation_participants p
         set last_activity_at = now(), archived_at = null,
             latest_incoming_message_id = case when p.user_id = ${actor} then p.latest_incoming_message_id else line.id end,
             last_read_message_id = case when p.user_id = ${actor} then line.id else p.last_read_message_id end,
             last_delivered_message_id = case when p.user_id = ${actor} then line.id else p.last_delivered_message_id end
        from line
       where p.conversation_id = ${conversationId} and p.left_upto_message_id is null
      returning p.user_id
    ), pushed as (
      -- Being brought into a group is news to someone away: one push job each, as for a message
      -- (the task looks again when it runs: seen, muted, push off, a page open).
      select count(graphile_worker.add_job(${PUSH_TASK}, json_build_object('u', r.user_id, 'm', line.id), max_attempts => 3)) as jobs
        from line, members r
       where ((${toEveryone}::boolean and r.user_id <> ${actor}) or r.user_id = any(${told}::bigint[]))
         and exists (select 1 from push_subscriptions s where s.user_id = r.user_id)
         and coalesce((select w.push from messaging_preferences w where w.user_id = r.user_id), true)
         and not exists (select 1 from event_streams s join realtime_instances ri on ri.id = s.instance_id
                          where s.user_id = r.user_id and s.visible and ri.heartbeat_at > now() - interval '45 seconds')
    )
    select line.id, pg_notify(${CHANNEL}, json_build_object('t', 'message', 'c', ${conversationId}::bigint, 'm', line.id, 's', ${actor}::bigint,
                                'g', (select coalesce(json_agg(user_id), '[]') from members where user_id <> ${actor}))::text),
           (select jobs from pushed)
      from line`.execute(trx);
  return Number(rows[0]!.id);
}

/**
 * A new group of `me` (its admin) and `members`, named `name`, opened by a "created" line: one new
 * conversation against my daily limit (counted under my lock, as a direct one is). Asked again here,
 * where it commits: I am not suspended, and no block stands between any two of us (BlockedTogether).
 * The same `clientId` again (a retried form) answers the group made the first time.
 */
export async function createGroup(
  db: MessagingDb,
  input: { me: number; name: string; members: readonly number[]; clientId: string },
  limit: MessagingLimits['conversations'],
): Promise<{ id: number; duplicate: boolean }> {
  return db.transaction().execute(async (trx) => {
    await lockSender(trx, 'conversations', input.me);
    const earlier = await trx.selectFrom('messages').select('conversation_id').where('sender_id', '=', input.me).where('client_id', '=', input.clientId).executeTakeFirst();
    if (earlier) return { id: earlier.conversation_id, duplicate: true };
    const { rows: allowed } = await sql<{ ok: boolean }>`select courier_may_write(${input.me}, null::bigint) as ok`.execute(trx);
    if (!allowed[0]?.ok) throw new WriteRefused();
    const everyone = [input.me, ...input.members];
    const block = await blockAmong(trx, everyone);
    if (block) throw new BlockedTogether(block.blocker_id, block.blocked_id);
    await assertConversationLimit(trx, input.me, limit);
    const group = await trx.insertInto('conversations').values({ kind: 'group', name: input.name, created_by: input.me }).returning('id').executeTakeFirstOrThrow();
    await trx
      .insertInto('conversation_participants')
      .values(everyone.map((userId) => ({ conversation_id: group.id, user_id: userId, other_user_id: null, role: userId === input.me ? ('admin' as const) : ('member' as const) })))
      .execute();
    await postGroupLine(trx, group.id, input.me, { t: 'created', n: input.name }, input.clientId);
    return { id: group.id, duplicate: false };
  });
}
