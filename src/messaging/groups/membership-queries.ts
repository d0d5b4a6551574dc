import { sql } from 'kysely';
import type { MessagingDb } from '../schema.js';
import { BlockedTogether, blockAmong, postGroupLine } from './group-queries.js';
import { GROUP_OTHERS_MAX } from './group-form.js';
import { notifyExpression } from '../queries/notify.js';

/** Why a change to a group's members was not made (the route says it in words). */
export type MembershipRefusal = 'not-admin' | 'not-member' | 'already-member' | 'full' | 'left' | 'last-admin-self';

export class MembershipRefused extends Error {
  constructor(readonly reason: MembershipRefusal) {
    super(`group change refused: ${reason}`);
    this.name = 'MembershipRefused';
  }
}

interface Member {
  user_id: number;
  role: 'admin' | 'member';
}

/**
 * The group's members still in it, under a lock on the group's row: changes to one group's
 * members are made one at a time, so each is checked against the members as they are when it
 * commits (two admins removing each other, an add racing a leave).
 */
async function lockedMembers(trx: MessagingDb, conversationId: number): Promise<Member[]> {
  await sql`select 1 from conversations where id = ${conversationId} and kind = 'group' for no key update`.execute(trx);
  const rows = await trx
    .selectFrom('conversation_participants')
    .select(['user_id', 'role'])
    .where('conversation_id', '=', conversationId)
    .where('left_upto_message_id', 'is', null)
    .orderBy('joined_at')
    .orderBy('user_id')
    .execute();
  return rows.map((r) => ({ user_id: Number(r.user_id), role: r.role }));
}

function adminAmong(members: Member[], actor: number): void {
  const me = members.find((m) => m.user_id === actor);
  if (!me) throw new MembershipRefused('left');
  if (me.role !== 'admin') throw new MembershipRefused('not-admin');
}

/**
 * An admin adds someone (the route checked they are the admin's connection): refused when a block
 * stands between them and anyone in the group, or when the group is full. Someone who left and
 * comes back sees the group from their return on, as a newcomer does.
 */
export async function addMember(db: MessagingDb, conversationId: number, actor: number, userId: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const members = await lockedMembers(trx, conversationId);
    adminAmong(members, actor);
    if (members.some((m) => m.user_id === userId)) throw new MembershipRefused('already-member');
    if (members.length >= GROUP_OTHERS_MAX + 1) throw new MembershipRefused('full');
    const block = await blockAmong(trx, [userId, ...members.map((m) => m.user_id)]);
    if (block) throw new BlockedTogether(block.blocker_id, block.blocked_id);
    // From the group's newest message on: what was said before they came is not theirs to read.
    await sql`
      insert into conversation_participants as p (conversation_id, user_id, other_user_id, role, joined_at, cleared_before_message_id, last_read_message_id, last_delivered_message_id, latest_incoming_message_id)
      select c.id, ${userId}, null, 'member', now(), coalesce(c.last_message_id, 0), coalesce(c.last_message_id, 0), coalesce(c.last_message_id, 0), coalesce(c.last_message_id, 0)
        from conversations c where c.id = ${conversationId}
      on conflict (conversation_id, user_id) do update
         set role = 'member', joined_at = now(), left_upto_message_id = null, archived_at = null,
             cleared_before_message_id = excluded.cleared_before_message_id, last_read_message_id = excluded.last_read_message_id,
             last_delivered_message_id = excluded.last_delivered_message_id, latest_incoming_message_id = excluded.latest_incoming_message_id`.execute(trx);
    await membershipChangedFor(trx, conversationId, userId);
    return postGroupLine(trx, conversationId, actor, { t: 'added', u: userId });
  });
}

/** Ends a member's time in the group at the line that says so: they keep what came before it, and nothing after. */
async function endMembership(trx: MessagingDb, conversationId: number, userId: number, lineId: number): Promise<void> {
  await trx
    .updateTable('conversation_participants')
    .set({ left_upto_message_id: lineId, role: 'member' })
    .where('conversation_id', '=', conversationId)
    .where('user_id', '=', userId)
    .execute();
  await membershipChangedFor(trx, conversationId, userId);
}

/** Their open pages showing the group redraw its message box (at commit). */
const membershipChangedFor = (trx: MessagingDb, conversationId: number, userId: number) => sql`select ${notifyExpression({ t: 'membership', c: conversationId, u: userId })}`.execute(trx);

/** An admin removes a member (not themselves: they leave). The removed person's pages get the line, then nothing more. */
export async function removeMember(db: MessagingDb, conversationId: number, actor: number, userId: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const members = await lockedMembers(trx, conversationId);
    adminAmong(members, actor);
    if (!members.some((m) => m.user_id === userId) || userId === actor) throw new MembershipRefused('not-member');
    const line = await postGroupLine(trx, conversationId, actor, { t: 'removed', u: userId });
    await endMembership(trx, conversationId, userId, line);
    return line;
  });
}

/**
 * I leave. The last admin leaving hands admin to the longest-standing member left (one line says
 * I left; the group goes on with an admin).
 */
export async function leaveGroup(db: MessagingDb, conversationId: number, me: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const members = await lockedMembers(trx, conversationId);
    const mine = members.find((m) => m.user_id === me);
    if (!mine) throw new MembershipRefused('left');
    const line = await postGroupLine(trx, conversationId, me, { t: 'left' });
    await endMembership(trx, conversationId, me, line);
    const rest = members.filter((m) => m.user_id !== me);
    if (mine.role === 'admin' && rest.length > 0 && !rest.some((m) => m.role === 'admin')) {
      await trx.updateTable('conversation_participants').set({ role: 'admin' }).where('conversation_id', '=', conversationId).where('user_id', '=', rest[0]!.user_id).execute();
    }
    return line;
  });
}

/** An admin renames the group. */
export async function renameGroup(db: MessagingDb, conversationId: number, actor: number, name: string): Promise<number | undefined> {
  return db.transaction().execute(async (trx) => {
    const members = await lockedMembers(trx, conversationId);
    adminAmong(members, actor);
    const { numUpdatedRows } = await trx.updateTable('conversations').set({ name }).where('id', '=', conversationId).where('name', 'is distinct from', name).executeTakeFirst();
    // The same name again changes nothing and says nothing.
    if (numUpdatedRows === 0n) return undefined;
    return postGroupLine(trx, conversationId, actor, { t: 'renamed', n: name });
  });
}

/** An admin makes another member an admin too. */
export async function makeAdmin(db: MessagingDb, conversationId: number, actor: number, userId: number): Promise<number | undefined> {
  return db.transaction().execute(async (trx) => {
    const members = await lockedMembers(trx, conversationId);
    adminAmong(members, actor);
    const target = members.find((m) => m.user_id === userId);
    if (!target) throw new MembershipRefused('not-member');
    if (target.role === 'admin') return undefined;
    await trx.updateTable('conversation_participants').set({ role: 'admin' }).where('conversation_id', '=', conversationId).where('user_id', '=', userId).execute();
    return postGroupLine(trx, conversationId, actor, { t: 'admin', u: userId });
  });
}
