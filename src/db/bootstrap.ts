import type { Logger } from '../logger.js';
import { openDatabase, type DbHandle } from './database.js';
import { ensureDatabase, startEmbeddedPostgres, type EmbeddedServer } from './embedded.js';
import { migrateToLatest } from './migrate.js';

export interface ConnectedDatabase extends DbHandle {
  /**
   * One connection of its own for live deliveries (one batch at a time per instance), every
   * statement on it run with its generic plan: a batch's statement would otherwise be planned
   * afresh each time, at more than it costs to run.
   */
  delivery: DbHandle;
  /** Set when no DATABASE_URL was given and an embedded server serves the app. */
  embedded: EmbeddedServer | undefined;
  /** Closes the pool, then stops the embedded server if this process started it. */
  shutdown(): Promise<void>;
}

const EMBEDDED_DATABASE = 'courier';

/** Where the database is (the config's words for it; this layer reads no config of its own). */
export interface DatabaseSettings {
  /** Absent: an embedded PostgreSQL is started, with its data in `embeddedDataDir`. */
  databaseUrl: string | undefined;
  embeddedDataDir: string;
  /** False: every statement parsed and planned afresh (for a connection pooler that cannot keep prepared statements). */
  preparedStatements: boolean;
}

/** DATABASE_URL when set, an embedded PostgreSQL otherwise; either way migrated to the latest schema. */
export async function connectDatabase(config: DatabaseSettings, log: Logger): Promise<ConnectedDatabase> {
  let embedded: EmbeddedServer | undefined;
  let url = config.databaseUrl;
  if (!url) {
    embedded = await startEmbeddedPostgres(config.embeddedDataDir, log);
    await ensureDatabase(embedded.url('postgres'), EMBEDDED_DATABASE);
    url = embedded.socketUrl(EMBEDDED_DATABASE);
  }
  const handle = openDatabase(url, log, { prepare: config.preparedStatements });
  try {
    const applied = await migrateToLatest(handle.db);
    if (applied.length > 0) log.info({ migrations: applied }, 'database migrated');
  } catch (err) {
    await handle.close();
    await embedded?.stop();
    throw err;
  }
  const delivery = openDatabase(url, log, { max: 1, prepare: config.preparedStatements, genericPlans: true });
  return {
    ...handle,
    delivery,
    embedded,
    async shutdown() {
      await delivery.close();
      await handle.close();
      await embedded?.stop();
    },
  };
}
