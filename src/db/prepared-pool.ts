import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';

/** A statement text seen this many times is prepared on each connection that runs it (as PgJDBC's prepareThreshold). */
const PREPARE_AFTER = 5;
/** At most this many texts prepared per process: a query whose text varies (a list of n values) must not fill the server's memory. */
const MAX_PREPARED = 300;
/** Texts counted but not yet prepared, forgotten past this many (the counts of rare texts do not pile up). */
const MAX_COUNTED = 5_000;

/** 0A000 "cached plan must not change result type": the table changed under a prepared `select *` (another instance's migration). */
const PLAN_CHANGED = '0A000';

/**
 * The pool Kysely runs on, its statements prepared once they repeat: a statement the app runs again
 * and again (the session read, a thread's access, a delivery batch's queries) is parsed and
 * analysed once per connection, and PostgreSQL's plan cache may then keep its plan, instead of
 * doing all of that for every request. Kysely's own SQL text is the key (values are parameters),
 * so a query's shapes are few; the caps bound the rest.
 */
export class PreparingPool implements PostgresPool {
  private readonly counts = new Map<string, number>();
  private readonly names = new Map<string, string>();
  private readonly clients = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  private next = 0;

  constructor(private readonly pool: pg.Pool) {}

  async connect(): Promise<PostgresPoolClient> {
    const client = await this.pool.connect();
    let wrapped = this.clients.get(client);
    if (!wrapped) {
      wrapped = this.wrap(client);
      this.clients.set(client, wrapped);
    }
    return wrapped;
  }

  end(): Promise<void> {
    return this.pool.end();
  }

  /** How many statement texts are prepared (for tests and benches). */
  get prepared(): number {
    return this.names.size;
  }

  private wrap(client: pg.PoolClient): PostgresPoolClient {
    const query = async (text: string, values: readonly unknown[]) => {
      // A text without parameters goes as a simple query (it may hold several commands: a migration).
      const name = values.length === 0 ? undefined : this.nameFor(text);
      if (name === undefined) return client.query(text, values as unknown[]);
      try {
        return await client.query({ name, text, values: values as unknown[] });
      } catch (err) {
        if ((err as { code?: string }).code !== PLAN_CHANGED) throw err;
        // Prepared again under a new name (the old one stays on this connection, unused).
        const fresh = `k${this.next++}`;
        this.names.set(text, fresh);
        return client.query({ name: fresh, text, values: values as unknown[] });
      }
    };
    return {
      // Kysely passes a cursor only when its dialect is given one to stream with; ours is not.
      query: query as unknown as PostgresPoolClient['query'],
      release: () => client.release(),
    };
  }

  private nameFor(text: string): string | undefined {
    const known = this.names.get(text);
    if (known !== undefined) return known;
    if (this.names.size >= MAX_PREPARED) return undefined;
    const seen = (this.counts.get(text) ?? 0) + 1;
    if (seen < PREPARE_AFTER) {
      if (this.counts.size >= MAX_COUNTED) this.counts.clear();
      this.counts.set(text, seen);
      return undefined;
    }
    this.counts.delete(text);
    const name = `k${this.next++}`;
    this.names.set(text, name);
    return name;
  }
}
