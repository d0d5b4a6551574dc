import { sql } from 'kysely';
import type { Db } from '../db/database.js';

/** Stores the photo and bumps the version in one statement, so the two cannot disagree. */
export async function saveAvatar(db: Db, userId: number, images: { small: Buffer; large: Buffer; mail: Buffer }): Promise<void> {
  await sql`
    with saved as (
      insert into user_avatars (user_id, small, large, mail) values (${userId}, ${images.small}, ${images.large}, ${images.mail})
      on conflict (user_id) do update set small = excluded.small, large = excluded.large, mail = excluded.mail, updated_at = now()
      returning user_id
    )
    update users set avatar_version = coalesce(avatar_version, 0) + 1 where id = (select user_id from saved)`.execute(db);
}

export async function removeAvatar(db: Db, userId: number): Promise<void> {
  await sql`
    with removed as (delete from user_avatars where user_id = ${userId})
    update users set avatar_version = null where id = ${userId}`.execute(db);
}

/** The image bytes only while `version` is current, so an old URL cannot show a replaced photo. */
export async function loadAvatar(db: Db, userId: number, version: number, size: 'small' | 'large') {
  return db
    .selectFrom('user_avatars as a')
    .innerJoin('users as u', 'u.id', 'a.user_id')
    .select(size === 'small' ? 'a.small as bytes' : 'a.large as bytes')
    .where('a.user_id', '=', userId)
    .where('u.avatar_version', '=', version)
    .executeTakeFirst();
}

/** What an email needs of a person's photo: its JPEG copy, or (stored before there was one) its small copy. */
export async function loadMailPhoto(db: Db, userId: number) {
  return db.selectFrom('user_avatars').select(['mail', 'small']).where('user_id', '=', userId).executeTakeFirst();
}

/** Keeps the email copy drawn late, unless the photo changed meanwhile (then the new one has its own). */
export async function keepMailPhoto(db: Db, userId: number, small: Buffer, mail: Buffer): Promise<void> {
  await db.updateTable('user_avatars').set({ mail }).where('user_id', '=', userId).where('mail', 'is', null).where('small', '=', small).execute();
}
