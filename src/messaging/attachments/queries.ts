import { sql } from 'kysely';
import type { MessagingDb } from '../schema.js';

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

/** A new attachment, not yet part of a message, its bytes still to come. */
export async function createPending(
  db: MessagingDb,
  row: { conversationId: number; uploaderId: number; kind: 'image' | 'file'; name: string; mime: string; width?: number; height?: number },
): Promise<number> {
  const inserted = await db
    .insertInto('attachments')
    .values({ conversation_id: row.conversationId, uploader_id: row.uploaderId, kind: row.kind, name: row.name, mime: row.mime, width: row.width ?? null, height: row.height ?? null })
    .returning('id')
    .executeTakeFirstOrThrow();
  return inserted.id;
}

export async function markComplete(db: MessagingDb, id: number, sizeBytes: number): Promise<void> {
  await db.updateTable('attachments').set({ complete: true, size_bytes: sizeBytes }).where('id', '=', id).execute();
}

/** Removes attachments not (yet) sent, with their bytes. */
export async function discardPending(db: MessagingDb, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await db.deleteFrom('attachments').where('id', '=', sql<number>`any(${[...ids]}::bigint[])`).where('message_id', 'is', null).execute();
}

/** Bytes this person uploaded in the last 24 hours, sent or not. */
export async function uploadedToday(db: MessagingDb, uploaderId: number): Promise<number> {
  const row = await db
    .selectFrom('attachments')
    .select(sql<string>`coalesce(sum(size_bytes), 0)`.as('bytes'))
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
export async function findSentAttachment(db: MessagingDb, conversationId: number, attachmentId: number, visibleAfter: number): Promise<AttachmentRow | undefined> {
  return db
    .selectFrom('attachments as a')
    .innerJoin('messages as m', 'm.id', 'a.message_id')
    .select(['a.id', 'a.message_id', 'a.kind', 'a.name', 'a.mime', 'a.size_bytes', 'a.width', 'a.height', 'a.created_at'])
    .where('a.id', '=', attachmentId)
    .where('a.conversation_id', '=', conversationId)
    .where('m.deleted_at', 'is', null)
    .where('m.redacted_at', 'is', null)
    .where('m.id', '>', visibleAfter)
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
  options: { visibleAfter: number; before?: number; limit: number },
): Promise<{ groups: FileGroup[]; nextBefore: number | undefined }> {
  const { rows } = await sql<FileVersion & { group_latest: number }>`
    with visible as (
      select a.*, m.sender_id
        from attachments a join messages m on m.id = a.message_id
       where a.conversation_id = ${conversationId} and a.message_id is not null
         and m.id > ${options.visibleAfter} and m.deleted_at is null and m.redacted_at is null
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
