import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { wholeDatabase, type AppDb } from '../../src/app-database.js';
import { openDatabase, type Db, type DbHandle } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { prepareJobTables } from '../../src/jobs/runner.js';
import { createLogger } from '../../src/logger.js';

export interface TestDatabase extends Omit<DbHandle, 'db'> {
  /** Every table, the messaging module's too: what tests arrange and inspect. */
  db: AppDb;
  /** The same handle typed for the host's tables, as the app and its features take it. */
  hostDb: Db;
  /** Live deliveries' connection of their own, as the server opens it (generic plans; counted in `queries` too). */
  deliveryDb: Db;
  url: string;
  /** Every SQL statement the app ran through Kysely since the last reset. */
  queries: string[];
  drop(): Promise<void>;
}

function adminUrl(): string {
  const url = process.env.TEST_ADMIN_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!url) throw new Error('Run the tests with `npm test`: it provides a PostgreSQL server.');
  return url;
}

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl() });
  client.on('error', () => {});
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** A fresh database of its own for one test file, migrated from empty; drop() removes it. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `courier_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin((client) => client.query(`create database ${name}`));
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  const queries: string[] = [];
  const handle = openDatabase(url.toString(), createLogger('silent'), { max: 20, onQuery: (text) => queries.push(text) });
  await migrateToLatest(handle.db);
  await prepareJobTables(handle.pool, createLogger('silent'));
  const delivery = openDatabase(url.toString(), createLogger('silent'), { max: 1, genericPlans: true, onQuery: (text) => queries.push(text) });
  return {
    ...handle,
    db: wholeDatabase(handle.db),
    hostDb: handle.db,
    deliveryDb: delivery.db,
    url: url.toString(),
    queries,
    async drop() {
      await delivery.close();
      await handle.close();
      await admin((client) => client.query(`drop database if exists ${name} with (force)`));
    },
  };
}
