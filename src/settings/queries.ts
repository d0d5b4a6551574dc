import type { Db } from '../db/database.js';

/** The account's address and whether it is confirmed. */
export async function emailOf(db: Db, userId: number): Promise<{ email: string | null; confirmed: boolean }> {
  const row = await db.selectFrom('users').select(['email', 'email_confirmed_at']).where('id', '=', userId).executeTakeFirstOrThrow();
  return { email: row.email, confirmed: row.email_confirmed_at !== null };
}

/** A new address (or none): unconfirmed until its link is opened. Unchanged (any case) when the same is typed again. */
export async function changeEmail(db: Db, userId: number, email: string): Promise<boolean> {
  const result = await db
    .updateTable('users')
    .set({ email: email || null, email_confirmed_at: null })
    .where('id', '=', userId)
    .where((eb) => eb.or([eb('email', 'is', null), eb(eb.fn('lower', ['email']), '<>', email.toLowerCase())]))
    .where((eb) => (email ? eb.val(true) : eb('email', 'is not', null)))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function updateDisplayName(db: Db, userId: number, displayName: string): Promise<void> {
  await db.updateTable('users').set({ display_name: displayName }).where('id', '=', userId).execute();
}
