import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Logger } from '../logger.js';
import { PreparingPool } from './prepared-pool.js';
import type { Database } from './schema.js';

// int8 (ids, counts) as JavaScript numbers: ids stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export type Db = Kysely<Database>;

export interface DbHandle {
  db: Db;
  pool: pg.Pool;
  close(): Promise<void>;
}

/** 57P01: the server is shutting down (our own embedded server at exit); not worth a log line. */
const ADMIN_SHUTDOWN = '57P01';

export interface DatabaseOptions {
  /** Pooled connections (10). */
  max?: number;
  /** Told each statement Kysely runs (tests count them). */
  onQuery?: (sql: string) => void;
  /** False: no statement is prepared (DATABASE_PREPARE=off). */
  prepare?: boolean;
  /**
   * Prepared statements always run their generic plan (`plan_cache_mode`), for a handle whose
   * statements are key lookups over arrays of any length: PostgreSQL would otherwise plan them
   * afresh on every run, each plan costing more than the run.
   */
  genericPlans?: boolean;
}

export function openDatabase(connectionString: string, log: Logger, { max = 10, onQuery, prepare = true, genericPlans = false }: DatabaseOptions = {}): DbHandle {
  const pool = new pg.Pool({
    connectionString,
    max,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
    ...(genericPlans ? { options: '-c plan_cache_mode=force_generic_plan' } : {}),
  });
  // An idle client that loses its server emits 'error' on the pool; unhandled, it would crash the process.
  pool.on('error', (err: Error & { code?: string }) => {
    if (err.code !== ADMIN_SHUTDOWN) log.error({ err }, 'idle database client failed');
  });
  // And each client's own errors while checked out (a query's error still reaches its caller).
  pool.on('connect', (client) => {
    client.on('error', (err: Error & { code?: string }) => {
      if (err.code !== ADMIN_SHUTDOWN) log.error({ err }, 'database client failed');
    });
  });
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: prepare ? new PreparingPool(pool) : pool }),
    ...(onQuery
      ? {
          log: (event) => {
            if (event.level === 'query') onQuery(event.query.sql);
          },
        }
      : {}),
  });
  let closed = false;
  return {
    db,
    pool,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

/** One round trip to the server (the health check's question: is it there and answering?). */
export async function ping(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}
