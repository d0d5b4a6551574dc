import { sql, type Transaction } from 'kysely';
import { visibleIds, type Visible } from '../queries/messages.js';
import type { MessagingDb, MessagingTables } from '../schema.js';

export interface AttachmentRow {
  id: number;
  message_id: number | null;
  kind: 'image' | 'file';
  name: string;
  mime: string;
  size_bytes: number;
  width: number | null;
  height: number | null;
  created_at: Date;
}

const columns = ['id', 'message_id', 'kind', 'name', 'mime', 'size_bytes', 'width', 'height', 'created_at'] as const;

/**
 * Advisory lock namespace for a person's upload reservations (the first key of
 * pg_advisory_xact_lock(int, int), beside the sending limits' in limits.ts).
 */
const UPLOAD_LOCK_SPACE = 0x436f7203;

export type Reservation = { ok: true; id: number; reserved: number } | { ok: false; left: number };

/**
 * A new attachment, not yet part of a message, its bytes still to come, with room reserved for
 * them in the person's daily quota: `want` bytes, or what is left if less. Under the person's
 * lock, taken in its own statement, so the sum that follows sees every reservation committed
 * before: parallel uploads cannot all see the same room left. Nothing is reserved (and no row
 * made) when less than `atLeast` is left.
 */
export async function reservePending(
  db: MessagingDb,
  row: { conversationId: number; uploaderId: number; kind: 'image' | 'file'; name: string; mime: string },
  quota: { dailyBytes: number; want: number; atLeast: number },
): Promise<Reservation> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${UPLOAD_LOCK_SPACE}::int, (${row.uploaderId}::bigint % 2147483647)::int)`.execute(trx);
    const left = quota.dailyBytes - (await uploadedToday(trx, row.uploaderId));
    if (left < Math.max(1, quota.atLeast)) return { ok: false, left: Math.max(0, left) };
    const reserved = Math.min(quota.want, left);
    const inserted = await trx
      .insertInto('attachments')
      .values({ conversation_id: row.conversationId, uploader_id: row.uploaderId, kind: row.kind, name: row.name, mime: row.mime, upload_bytes: reserved })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { ok: true, id: inserted.id, reserved };
  });
}

/** The bytes are in: what is served, and what the quota keeps counting (the upload, at most what was reserved). */
export async function markComplete(db: MessagingDb, id: number, sizes: { served: number; uploaded: number; width?: number; height?: number }): Promise<void> {
  await db
    .updateTable('attachments')
    .set({ complete: true, size_bytes: sizes.served, upload_bytes: sizes.uploaded, width: sizes.width ?? null, height: sizes.height ?? null })
    .where('id', '=', id)
    .execute();
}

/** Removes attachments not (yet) sent, with their bytes. */
export async function discardPending(db: MessagingDb, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await db.deleteFrom('attachments').where('id', '=', sql<number>`any(${[...ids]}::bigint[])`).where('message_id', 'is', null).execute();
}

/** Bytes this person uploaded (or reserved for an upload in progress) in the last 24 hours, sent or not. */
export async function uploadedToday(db: MessagingDb | Transaction<MessagingTables>, uploaderId: number): Promise<number> {
  const row = await db
    .selectFrom('attachments')
    .select(sql<string>`coalesce(sum(upload_bytes), 0)`.as('bytes'))
    .where('uploader_id', '=', uploaderId)
    .where('created_at', '>', sql<Date>`now() - interval '24 hours'`)
    .executeTakeFirstOrThrow();
  return Number(row.bytes);
}

/** Of these ids, the complete ones I uploaded here and have not sent yet (kept from a refused send). */
export async function myPending(db: MessagingDb, conversationId: number, me: number, ids: readonly number[]): Promise<AttachmentRow[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('attachments')
    .select(columns)
    .where('id', '=', sql<number>`any(${[...ids]}::bigint[])`)
    .where('conversation_id', '=', conversationId)
    .where('uploader_id', '=', me)
    .where('message_id', 'is', null)
    .where('complete', '=', true)
    .orderBy('id')
    .execute();
}

/** The files of a page of messages, in one query: by message id, in the order they were attached. */
export async function attachmentsOf(db: MessagingDb, messageIds: readonly number[]): Promise<Map<number, AttachmentRow[]>> {
  const byMessage = new Map<number, AttachmentRow[]>();
  if (messageIds.length === 0) return byMessage;
  const rows = await db
    .selectFrom('attachments')
    .select(columns)
    .where('message_id', '=', sql<number>`any(${[...messageIds]}::bigint[])`)
    .orderBy('id')
    .execute();
  for (const row of rows) {
    const list = byMessage.get(row.message_id!) ?? [];
    list.push(row);
    byMessage.set(row.message_id!, list);
  }
  return byMessage;
}

/**
 * One sent file as a participant may fetch it: in this conversation, on a message that still
 * stands and that is not before my own "delete for me".
 */
export async function findSentAttachment(db: MessagingDb, conversationId: number, attachmentId: number, visible: Visible): Promise<AttachmentRow | undefined> {
  return db
    .selectFrom('attachments as a')
    .innerJoin('messages as m', 'm.id', 'a.message_id')
    .select(['a.id', 'a.message_id', 'a.kind', 'a.name', 'a.mime', 'a.size_bytes', 'a.width', 'a.height', 'a.created_at'])
    .where('a.id', '=', attachmentId)
    .where('a.conversation_id', '=', conversationId)
    .where('m.deleted_at', 'is', null)
    .where('m.redacted_at', 'is', null)
    .where(visibleIds(visible, 'm.id'))
    .executeTakeFirst();
}

export interface FileVersion extends AttachmentRow {
  sender_id: number;
  version: number;
}

export interface FileGroup {
  latestId: number;
  versions: FileVersion[];
}

/**
 * The Files view: every file shared in a conversation, grouped by name (the same name sent again
 * is a new version of it), groups by their newest version, newest first, a page at a time.
 */
export async function filesOf(
  db: MessagingDb,
  conversationId: number,
  options: { visible: Visible; before?: number; limit: number },
): Promise<{ groups: FileGroup[]; nextBefore: number | undefined }> {
  const { rows } = await sql<FileVersion & { group_latest: number }>`
    with visible as (
      select a.*, m.sender_id
        from attachments a join messages m on m.id = a.message_id
       where a.conversation_id = ${conversationId} and a.message_id is not null
         and ${visibleIds(options.visible, 'm.id')} and m.deleted_at is null and m.redacted_at is null
    ), groups as (
      select lower(name) as key, max(id) as latest
        from visible group by lower(name)
      having max(id) < ${options.before ?? Number.MAX_SAFE_INTEGER}
       order by latest desc
       limit ${options.limit + 1}
    )
    select v.id, v.message_id, v.kind, v.name, v.mime, v.size_bytes, v.width, v.height, v.created_at, v.sender_id,
           row_number() over (partition by g.key order by v.id)::int as version, g.latest as group_latest
      from groups g join visible v on lower(v.name) = g.key
     order by g.latest desc, v.id desc`.execute(db);
  const groups: FileGroup[] = [];
  for (const row of rows) {
    const { group_latest: latestId, ...version } = row;
    let group = groups[groups.length - 1];
    if (!group || group.latestId !== latestId) {
      group = { latestId, versions: [] };
      groups.push(group);
    }
    group.versions.push(version);
  }
  const more = groups.length > options.limit;
  const page = groups.slice(0, options.limit);
  return { groups: page, nextBefore: more ? page[page.length - 1]?.latestId : undefined };
}

/** Files that never joined a message (an abandoned upload, a refused send not retried). */
export async function sweepPendingAttachments(db: MessagingDb): Promise<number> {
  const result = await db.deleteFrom('attachments').where('message_id', 'is', null).where('created_at', '<', sql<Date>`now() - interval '1 day'`).executeTakeFirst();
  return Number(result.numDeletedRows);
}
