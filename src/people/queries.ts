import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { PersonRow } from '../connections/listing-queries.js';
import { stateFor, type ConnectionState } from '../connections/policy.js';

export type PersonWithState = PersonRow & { state: ConnectionState; created_at: Date };

/** Users, each joined to their connection row with me (if any): one query, no per-row lookups. */
function peopleSeenBy(db: Db, me: number) {
  return db
    .selectFrom('users as u')
    .leftJoin('connections as c', (join) =>
      join
        .onRef('c.user_low', '=', sql<number>`least(u.id, ${me}::bigint)`)
        .onRef('c.user_high', '=', sql<number>`greatest(u.id, ${me}::bigint)`),
    )
    .select(['u.id', 'u.username', 'u.display_name', 'u.avatar_version', 'u.headline', 'u.created_at', 'c.requested_by', 'c.status']);
}

function withState(me: number) {
  return ({ requested_by, status, ...person }: PersonRow & { created_at: Date; requested_by: number | null; status: 'pending' | 'accepted' | null }): PersonWithState => ({
    ...person,
    state: stateFor(me, person.id, requested_by !== null && status !== null ? { requested_by, status } : null),
  });
}

/** A person by username, with where they stand with me. */
export async function findPerson(db: Db, me: number, username: string): Promise<PersonWithState | undefined> {
  const row = await peopleSeenBy(db, me).where('u.username', '=', username).executeTakeFirst();
  return row && withState(me)(row);
}

export async function findUserRef(db: Db, username: string) {
  return db.selectFrom('users').select(['id', 'display_name']).where('username', '=', username).executeTakeFirst();
}

/** Escapes LIKE wildcards so a search for "_" or "%" means those characters. */
const likeEscape = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * People whose username or name contains q (any case), in username order, by keyset on the
 * username: no OFFSET. Everyone but me; trigram indexes serve the substring matches.
 */
export async function searchPeople(db: Db, me: number, q: string, after: string | undefined, limit = 20) {
  let query = peopleSeenBy(db, me)
    .where('u.id', '<>', me)
    .orderBy('u.username')
    .limit(limit + 1);
  if (q) {
    const pattern = `%${likeEscape(q.toLowerCase())}%`;
    query = query.where((eb) => eb.or([eb('u.username', 'like', pattern), eb(sql<string>`lower(u.display_name)`, 'like', pattern)]));
  }
  if (after) query = query.where('u.username', '>', after);
  const rows = await query.execute();
  const items = rows.slice(0, limit).map(withState(me));
  return { items, next: rows.length > limit ? items[items.length - 1]?.username : undefined };
}
