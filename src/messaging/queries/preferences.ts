import type { MessagingDb } from '../schema.js';

export interface Preferences {
  readReceipts: boolean;
  typingIndicators: boolean;
  activeStatus: boolean;
}

export const defaultPreferences: Preferences = { readReceipts: true, typingIndicators: true, activeStatus: true };

export async function loadPreferences(db: MessagingDb, userId: number): Promise<Preferences> {
  const row = await db.selectFrom('messaging_preferences').selectAll().where('user_id', '=', userId).executeTakeFirst();
  return row ? { readReceipts: row.read_receipts, typingIndicators: row.typing_indicators, activeStatus: row.active_status } : defaultPreferences;
}

export async function savePreferences(db: MessagingDb, userId: number, prefs: Preferences): Promise<void> {
  const values = { read_receipts: prefs.readReceipts, typing_indicators: prefs.typingIndicators, active_status: prefs.activeStatus };
  await db
    .insertInto('messaging_preferences')
    .values({ user_id: userId, ...values })
    .onConflict((oc) => oc.column('user_id').doUpdateSet(values))
    .execute();
}
