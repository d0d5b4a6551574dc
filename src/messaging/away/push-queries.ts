import { sql } from 'kysely';
import type { ConversationKind, GroupEvent, MessagingDb } from '../schema.js';

/** The job that notifies one person's devices of one message (graphile-worker task name; the send function adds it). */
export const PUSH_TASK = 'messaging:push';
/** Devices kept per person: the oldest goes when one more subscribes. */
const MAX_DEVICES = 20;

export interface Device {
  id: number;
  endpoint: string;
  p256dh: string;
  auth: string;
  session_key: string;
}

/**
 * A browser subscribed: kept for this person and this session (an endpoint is one browser's, so
 * one already known moves to whoever subscribes it now), past devices beyond the cap dropped.
 */
export async function saveDevice(db: MessagingDb, device: { userId: number; endpoint: string; p256dh: string; auth: string; sessionKey: string }): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const values = { user_id: device.userId, endpoint: device.endpoint, p256dh: device.p256dh, auth: device.auth, session_key: device.sessionKey };
    await trx
      .insertInto('push_subscriptions')
      .values(values)
      .onConflict((oc) => oc.column('endpoint').doUpdateSet({ ...values, created_at: sql`now()` }))
      .execute();
    await sql`
      delete from push_subscriptions
       where user_id = ${device.userId}
         and id not in (select id from push_subscriptions where user_id = ${device.userId} order by created_at desc, id desc limit ${MAX_DEVICES})`.execute(trx);
  });
}

/** This browser no longer wants them (only the person's own row can go). */
export async function forgetDevice(db: MessagingDb, userId: number, endpoint: string): Promise<void> {
  await db.deleteFrom('push_subscriptions').where('user_id', '=', userId).where('endpoint', '=', endpoint).execute();
}

export async function dropDevices(db: MessagingDb, ids: readonly number[]): Promise<void> {
  if (ids.length > 0) await db.deleteFrom('push_subscriptions').where('id', 'in', ids).execute();
}

export async function devicesOf(db: MessagingDb, userId: number): Promise<Device[]> {
  const rows = await db.selectFrom('push_subscriptions').select(['id', 'endpoint', 'p256dh', 'auth', 'session_key']).where('user_id', '=', userId).orderBy('id').execute();
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}

export async function deviceCount(db: MessagingDb, userId: number): Promise<number> {
  const row = await db.selectFrom('push_subscriptions').select((eb) => eb.fn.countAll<string>().as('n')).where('user_id', '=', userId).executeTakeFirst();
  return Number(row?.n ?? 0);
}

export interface PushData {
  conversationId: number;
  senderId: number;
  body: string;
  files: number;
  preview: boolean;
  /** A group's name: the notification is titled with it, and says who wrote. */
  group?: string;
  /** A group's line (someone added, left…) rather than a message. */
  event: GroupEvent | null;
}

/**
 * What a push about message m to person u says, read when it is sent: nothing (undefined) when the
 * message is gone or already seen, the conversation muted, push turned off, the sender someone
 * they blocked (or suspended), or a page of theirs is open and visible (they see it there).
 */
export async function pushData(db: MessagingDb, userId: number, messageId: number): Promise<PushData | undefined> {
  const { rows } = await sql<{
    conversation_id: string;
    sender_id: string;
    body: string | null;
    files: number;
    preview: boolean;
    kind: ConversationKind;
    name: string | null;
    event: GroupEvent | null;
  }>`
    select m.conversation_id, m.sender_id, m.body, coalesce(pref.email_preview, true) as preview, c.kind, c.name, m.event,
           (select count(*) from attachments a where a.message_id = m.id)::int as files
      from messages m
      join conversation_participants p on p.conversation_id = m.conversation_id and p.user_id = ${userId}
      join conversations c on c.id = m.conversation_id
      left join messaging_preferences pref on pref.user_id = p.user_id
     where m.id = ${messageId} and m.sender_id <> ${userId}
       and m.deleted_at is null and m.redacted_at is null
       and p.last_read_message_id < m.id and p.muted_at is null
       and (p.left_upto_message_id is null or m.id <= p.left_upto_message_id)
       and coalesce(pref.push, true)
       and courier_may_write(m.sender_id, p.user_id)
       and not exists (select 1 from event_streams s join realtime_instances i on i.id = s.instance_id
                        where s.user_id = p.user_id and s.visible and i.heartbeat_at > now() - interval '45 seconds')`.execute(db);
  const row = rows[0];
  if (!row) return undefined;
  return { conversationId: Number(row.conversation_id), senderId: Number(row.sender_id), body: row.body ?? '', files: row.files, preview: row.preview, group: row.kind === 'group' ? (row.name ?? 'Group') : undefined, event: row.event };
}

/** Devices after `afterId`, oldest first, with the session each lasts with (for the sweep). */
export async function devicesAfter(db: MessagingDb, afterId: number, limit: number): Promise<{ id: number; user_id: number; session_key: string }[]> {
  const rows = await db.selectFrom('push_subscriptions').select(['id', 'user_id', 'session_key']).where('id', '>', afterId).orderBy('id').limit(limit).execute();
  return rows.map((r) => ({ ...r, id: Number(r.id), user_id: Number(r.user_id) }));
}
