import type { EmailDigest, EmailMessages, MessagingDb, ReminderMinutes } from '../schema.js';

/** What reaches a person while away (CONTRACT, version 2: notifications). */
export interface NotificationPreferences {
  emailMessages: EmailMessages;
  emailDigest: EmailDigest;
  /** The message text in emails (and push), or only who wrote. */
  emailPreview: boolean;
  push: boolean;
  /** Minutes before a meeting its reminder comes (toast, push, email); 0: no reminders. */
  meetingReminderMinutes: ReminderMinutes;
}

export const EMAIL_MESSAGES: readonly EmailMessages[] = ['off', 'after_10_minutes', 'after_1_hour'];
export const EMAIL_DIGESTS: readonly EmailDigest[] = ['off', 'daily', 'weekly'];
export const REMINDER_MINUTES: readonly ReminderMinutes[] = [0, 5, 15, 60];
export const defaultNotificationPreferences: NotificationPreferences = { emailMessages: 'after_10_minutes', emailDigest: 'off', emailPreview: true, push: true, meetingReminderMinutes: 15 };

export async function loadNotificationPreferences(db: MessagingDb, userId: number): Promise<NotificationPreferences> {
  const row = await db.selectFrom('messaging_preferences').select(['email_messages', 'email_digest', 'email_preview', 'push', 'meeting_reminder_minutes']).where('user_id', '=', userId).executeTakeFirst();
  return row ? { emailMessages: row.email_messages, emailDigest: row.email_digest, emailPreview: row.email_preview, push: row.push, meetingReminderMinutes: row.meeting_reminder_minutes } : defaultNotificationPreferences;
}

export async function saveNotificationPreferences(db: MessagingDb, userId: number, prefs: Partial<NotificationPreferences>): Promise<void> {
  const values = {
    ...(prefs.emailMessages !== undefined && { email_messages: prefs.emailMessages }),
    ...(prefs.emailDigest !== undefined && { email_digest: prefs.emailDigest }),
    ...(prefs.emailPreview !== undefined && { email_preview: prefs.emailPreview }),
    ...(prefs.push !== undefined && { push: prefs.push }),
    ...(prefs.meetingReminderMinutes !== undefined && { meeting_reminder_minutes: prefs.meetingReminderMinutes }),
  };
  if (Object.keys(values).length === 0) return;
  await db
    .insertInto('messaging_preferences')
    .values({ user_id: userId, ...values })
    .onConflict((oc) => oc.column('user_id').doUpdateSet(values))
    .execute();
}
