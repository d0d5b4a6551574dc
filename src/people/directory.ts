import type { Db } from '../db/database.js';
import type { PeopleDirectory } from '../messaging/index.js';

/** How the messaging module sees this app's people: by username, or many by id in one query. */
export function peopleDirectory(db: Db): PeopleDirectory {
  const columns = ['id', 'username', 'display_name', 'avatar_version', 'headline', 'time_zone'] as const;
  return {
    findByUsername: (username) => db.selectFrom('users').select(columns).where('username', '=', username).executeTakeFirst(),
    async findByUsernames(usernames) {
      if (usernames.length === 0) return new Map();
      const rows = await db.selectFrom('users').select(columns).where('username', 'in', [...usernames]).execute();
      return new Map(rows.map((row) => [row.username, row]));
    },
    async findByIds(ids) {
      if (ids.length === 0) return new Map();
      const rows = await db.selectFrom('users').select(columns).where('id', 'in', [...ids]).execute();
      return new Map(rows.map((row) => [row.id, row]));
    },
  };
}
