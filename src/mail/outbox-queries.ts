import type { Db } from '../db/database.js';

export interface OutboxRow {
  id: number;
  recipient: string;
  subject: string;
  raw: string;
  text_part: string;
  html_part: string;
  created_at: Date;
}

/** The outbox is one of the host's tables (migration 0018). */
export type MailDb = Db;

export async function keepInOutbox(db: MailDb, mail: { recipient: string; subject: string; raw: string; text_part: string; html_part: string }): Promise<void> {
  await db.insertInto('mail_outbox').values(mail).execute();
}

/** The newest mail first, by keyset. */
export async function outboxPage(db: MailDb, before: number | undefined, limit: number): Promise<OutboxRow[]> {
  let query = db.selectFrom('mail_outbox').select(['id', 'recipient', 'subject', 'raw', 'text_part', 'html_part', 'created_at']).orderBy('id', 'desc').limit(limit);
  if (before !== undefined) query = query.where('id', '<', before);
  return (await query.execute()).map((row) => ({ ...row, id: Number(row.id) }));
}

export async function outboxMail(db: MailDb, id: number): Promise<OutboxRow | undefined> {
  const row = await db.selectFrom('mail_outbox').select(['id', 'recipient', 'subject', 'raw', 'text_part', 'html_part', 'created_at']).where('id', '=', id).executeTakeFirst();
  return row && { ...row, id: Number(row.id) };
}

/** Mail kept longer than a week goes (the outbox is for trying the app, not an archive). */
export async function sweepOutbox(db: MailDb): Promise<void> {
  await db.deleteFrom('mail_outbox').where('created_at', '<', new Date(Date.now() - 7 * 24 * 3600 * 1000)).execute();
}
