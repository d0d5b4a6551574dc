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

/** The name, and the headline unless left out (undefined: an older form without the field). */
export async function updateProfile(db: Db, userId: number, profile: { display_name: string; headline: string | undefined }): Promise<void> {
  const headline = profile.headline === undefined ? {} : { headline: profile.headline };
  await db.updateTable('users').set({ display_name: profile.display_name, ...headline }).where('id', '=', userId).execute();
}

export async function headlineOf(db: Db, userId: number): Promise<string> {
  const row = await db.selectFrom('users').select('headline').where('id', '=', userId).executeTakeFirst();
  return row?.headline ?? '';
}

/** Sets (or, with null, forgets) the zone pages draw this person's times in; `onlyIfUnset`: only when none is saved. */
export async function saveTimeZone(db: Db, userId: number, timeZone: string | null, { onlyIfUnset = false } = {}): Promise<void> {
  let update = db.updateTable('users').set({ time_zone: timeZone }).where('id', '=', userId);
  if (onlyIfUnset) update = update.where('time_zone', 'is', null);
  await update.execute();
}
