import { sql } from 'kysely';
import type { MessagingDb } from '../schema.js';

/** My support conversation's id, if I have one. */
export async function mySupportId(db: MessagingDb, me: number): Promise<number | undefined> {
  const row = await db.selectFrom('conversations').select('id').where('kind', '=', 'support').where('created_by', '=', me).executeTakeFirst();
  return row?.id;
}

/**
 * My one support conversation, made if new (its unique index decides a race: both get the same
 * one). I am its participant; the team join it as they open it. It counts against no limit:
 * anyone, a suspended person included, can always reach the team.
 */
export async function openSupport(db: MessagingDb, me: number): Promise<number> {
  const existing = await mySupportId(db, me);
  if (existing !== undefined) return existing;
  return db.transaction().execute(async (trx) => {
    const made = await sql<{ id: string }>`
      insert into conversations (kind, created_by) values ('support', ${me})
      on conflict (created_by) where kind = 'support' do nothing returning id`.execute(trx);
    const id = made.rows[0] ? Number(made.rows[0].id) : await mySupportId(trx, me);
    if (id === undefined) throw new Error('support conversation vanished while opening it');
    await trx
      .insertInto('conversation_participants')
      .values({ conversation_id: id, user_id: me, other_user_id: null, role: 'member', last_activity_at: new Date() })
      .onConflict((oc) => oc.columns(['conversation_id', 'user_id']).doNothing())
      .execute();
    return id;
  });
}

export interface SupportRow {
  id: number;
  owner_id: number;
  last_activity_at: Date | null;
  /** The person wrote last: no one of the team has answered since. */
  awaiting: boolean;
  /** Admins who have opened it. */
  team: number;
}

/**
 * The team's list of support conversations, newest activity first, by keyset on (activity, id):
 * who wrote and when, never what (the text is read by opening one, which the host audits).
 */
export async function supportInbox(db: MessagingDb, options: { before?: { at: string; id: number }; limit: number }): Promise<{ items: SupportRow[]; next: { at: string; id: number } | undefined }> {
  const { rows } = await sql<SupportRow & { activity_key: string }>`
    select c.id, c.created_by as owner_id, p.last_activity_at, p.last_activity_at::text as activity_key,
           (c.last_sender_id = c.created_by) as awaiting,
           (select count(*)::int from conversation_participants t where t.conversation_id = c.id and t.user_id <> c.created_by) as team
      from conversations c join conversation_participants p on p.conversation_id = c.id and p.user_id = c.created_by
     where c.kind = 'support' and c.last_message_id is not null
       ${options.before ? sql`and (p.last_activity_at, c.id) < (${options.before.at}::timestamptz, ${options.before.id}::bigint)` : sql``}
     order by p.last_activity_at desc, c.id desc
     limit ${options.limit + 1}`.execute(db);
  const items = rows.slice(0, options.limit).map((r) => ({ ...r, id: Number(r.id), owner_id: Number(r.owner_id) }));
  const last = rows.length > options.limit ? rows[options.limit - 1] : undefined;
  return { items, next: last ? { at: last.activity_key, id: Number(last.id) } : undefined };
}

/**
 * An admin opens a support conversation: they join it (seeing all of it, as the team does) and may
 * answer from their own inbox from then on. Its owner, or undefined when there is no such support
 * conversation.
 */
export async function joinSupport(db: MessagingDb, conversationId: number, adminId: number): Promise<{ ownerId: number } | undefined> {
  const { rows } = await sql<{ owner_id: string }>`
    with support as (select id, created_by, last_message_id from conversations where id = ${conversationId} and kind = 'support'),
    joined as (
      insert into conversation_participants (conversation_id, user_id, other_user_id, role, last_activity_at, last_read_message_id, last_delivered_message_id, latest_incoming_message_id)
      select s.id, ${adminId}, null, 'admin', now(), coalesce(s.last_message_id, 0), coalesce(s.last_message_id, 0), coalesce(s.last_message_id, 0)
        from support s where s.created_by <> ${adminId}
      on conflict (conversation_id, user_id) do update set left_upto_message_id = null
      returning 1
    )
    select created_by as owner_id from support`.execute(db);
  return rows[0] && { ownerId: Number(rows[0].owner_id) };
}
