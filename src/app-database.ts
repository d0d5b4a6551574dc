import type { Kysely } from 'kysely';
import type { Db } from './db/database.js';
import type { Database } from './db/schema.js';
import type { MessagingDb, MessagingTables } from './messaging/index.js';

/** Table types as a plain mapped type: Kysely's withTables wants an index-signature-compatible type, which an interface is not. */
type Tables<T> = { [K in keyof T]: T[K] };

/** The whole database, as the migrations leave it: the host's tables and the messaging module's. */
export type AppDatabase = Tables<Database & MessagingTables>;
export type AppDb = Kysely<AppDatabase>;

/**
 * The host's handle seeing every table (the same pool and query log): for what fills or inspects
 * the whole database (the demo seed, tests, benchmarks). Widening needs no cast.
 */
export function wholeDatabase(db: Db): AppDb {
  return db.withTables<Tables<MessagingTables>>();
}

/**
 * The host's handle typed down to a module's own tables. The only casts between handles, here: a
 * Kysely handle's type is invariant in its tables, so the compiler cannot see that a handle on all
 * of them is a handle on some. It is the same pool and query log either way.
 */
export function messagingDatabase(db: Db): MessagingDb {
  return wholeDatabase(db) as unknown as MessagingDb;
}
