import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { ContactSearch } from '../messaging/index.js';

/**
 * Whom I can start a message to, for the inbox's "New message": my connections, minus anyone
 * blocked either way, by name (any part of the display name, or the start of the username),
 * alphabetically with a keyset on (lower(name), id).
 */
export function contactSearch(db: Db): ContactSearch {
  return {
    async search(me, q, after, limit) {
      const cursor = decodeNameCursor(after);
      const pattern = q.replace(/[\\%_]/g, (c) => `\\${c}`);
      let query = db
        .selectFrom('connections as c')
        .innerJoin('users as u', (join) => join.on((eb) => eb('u.id', '=', sql<number>`case when c.user_low = ${me} then c.user_high else c.user_low end`)))
        .where((eb) => eb.or([eb('c.user_low', '=', me), eb('c.user_high', '=', me)]))
        .where('c.status', '=', 'accepted')
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom('blocks as b').select('b.blocker_id').where(sql<boolean>`(b.blocker_id = ${me} and b.blocked_id = u.id) or (b.blocker_id = u.id and b.blocked_id = ${me})`))),
        )
        .select(['u.id', 'u.username', 'u.display_name', 'u.avatar_version', sql<string>`lower(u.display_name)`.as('sort_name')])
        .orderBy(sql`lower(u.display_name)`)
        .orderBy('u.id')
        .limit(limit + 1);
      if (pattern) query = query.where((eb) => eb.or([eb('u.display_name', 'ilike', `%${pattern}%`), eb('u.username', 'ilike', `${pattern}%`)]));
      if (cursor) query = query.where(sql<boolean>`(lower(u.display_name), u.id) > (${cursor.name}, ${cursor.id}::bigint)`);
      const rows = await query.execute();
      const items = rows.slice(0, limit);
      const last = items[items.length - 1];
      return {
        items: items.map(({ sort_name: _sortName, ...person }) => person),
        next: rows.length > limit && last ? Buffer.from(`${last.sort_name}\u0000${last.id}`).toString('base64url') : undefined,
      };
    },
  };
}

function decodeNameCursor(raw: string | undefined): { name: string; id: number } | undefined {
  if (!raw || raw.length > 400) return undefined;
  const [name, id, ...rest] = Buffer.from(raw, 'base64url').toString('utf8').split('\u0000');
  if (name === undefined || !id || rest.length > 0 || !/^\d{1,15}$/.test(id)) return undefined;
  return { name, id: Number(id) };
}
