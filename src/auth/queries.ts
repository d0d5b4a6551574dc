import type { Db } from '../db/database.js';

export async function findLogin(db: Db, username: string) {
  return db.selectFrom('users').select(['id', 'password_hash', 'suspended_until']).where('username', '=', username).executeTakeFirst();
}

/** Undefined when the username is taken (the database's unique constraint decides, race-free). */
export async function createUser(
  db: Db,
  user: { username: string; displayName: string; passwordHash: string; email?: string },
): Promise<number | undefined> {
  const row = await db
    .insertInto('users')
    .values({ username: user.username, display_name: user.displayName, password_hash: user.passwordHash, email: user.email || null })
    .onConflict((oc) => oc.column('username').doNothing())
    .returning('id')
    .executeTakeFirst();
  return row?.id;
}

export async function passwordHashOf(db: Db, userId: number): Promise<string | undefined> {
  return (await db.selectFrom('users').select('password_hash').where('id', '=', userId).executeTakeFirst())?.password_hash;
}

export async function setPasswordHash(db: Db, userId: number, passwordHash: string): Promise<void> {
  await db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', userId).execute();
}
