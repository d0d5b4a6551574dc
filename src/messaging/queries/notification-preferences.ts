import type { EmailDigest, EmailMessages, MessagingDb } from '../schema.js';

/** What reaches a person while away (CONTRACT, version 2: notifications). */
export interface NotificationPreferences {
  emailMessages: EmailMessages;
  emailDigest: EmailDigest;
  /** The message text in emails (and push), or only who wrote. */
  emailPreview: boolean;
  push: boolean;
}

export const EMAIL_MESSAGES: readonly EmailMessages[] = ['off', 'after_10_minutes', 'after_1_hour'];
export const EMAIL_DIGESTS: readonly EmailDigest[] = ['off', 'daily', 'weekly'];
export const defaultNotificationPreferences: NotificationPreferences = { emailMessages: 'after_10_minutes', emailDigest: 'off', emailPreview: true, push: true };

export async function loadNotificationPreferences(db: MessagingDb, userId: number): Promise<NotificationPreferences> {
  const row = await db.selectFrom('messaging_preferences').select(['email_messages', 'email_digest', 'email_preview', 'push']).where('user_id', '=', userId).executeTakeFirst();
  return row ? { emailMessages: row.email_messages, emailDigest: row.email_digest, emailPreview: row.email_preview, push: row.push } : defaultNotificationPreferences;
}

export async function saveNotificationPreferences(db: MessagingDb, userId: number, prefs: Partial<NotificationPreferences>): Promise<void> {
  const values = {
    ...(prefs.emailMessages !== undefined && { email_messages: prefs.emailMessages }),
    ...(prefs.emailDigest !== undefined && { email_digest: prefs.emailDigest }),
    ...(prefs.emailPreview !== undefined && { email_preview: prefs.emailPreview }),
    ...(prefs.push !== undefined && { push: prefs.push }),
  };
  if (Object.keys(values).length === 0) return;
  await db
    .insertInto('messaging_preferences')
    .values({ user_id: userId, ...values })
    .onConflict((oc) => oc.column('user_id').doUpdateSet(values))
    .execute();
}
