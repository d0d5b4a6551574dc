import type { Db } from '../db/database.js';

export async function updateDisplayName(db: Db, userId: number, displayName: string): Promise<void> {
  await db.updateTable('users').set({ display_name: displayName }).where('id', '=', userId).execute();
}
