import type { Db } from '../db/database.js';

export async function findLogin(db: Db, username: string) {
  return db.selectFrom('users').select(['id', 'password_hash', 'suspended_until']).where('username', '=', username).executeTakeFirst();
}

/** Undefined when the username is taken (the database's unique constraint decides, race-free). */
export async function createUser(
  db: Db,
  user: { username: string; displayName: string; passwordHash: string },
): Promise<number | undefined> {
  const row = await db
    .insertInto('users')
    .values({ username: user.username, display_name: user.displayName, password_hash: user.passwordHash })
    .onConflict((oc) => oc.column('username').doNothing())
    .returning('id')
    .executeTakeFirst();
  return row?.id;
}
