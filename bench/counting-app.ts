import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { createApp } from '../src/app.js';
import { openDatabase } from '../src/db/database.js';
import { createLogger } from '../src/logger.js';
import { SECRET } from './support.js';

/**
 * The app in this process with every statement counted at the driver (every pg client's query(),
 * the session store's alike): what one request costs in statements, exactly, beside timings
 * taken from the app in a process of its own.
 */
export async function countingApp(url: string) {
  let count = 0;
  const original = pg.Client.prototype.query;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a counting wrapper around pg's overloaded query()
  (pg.Client.prototype as any).query = function (this: pg.Client, ...args: unknown[]) {
    count += 1;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return (original as any).apply(this, args);
  };
  const handle = openDatabase(url, createLogger('silent'));
  const instance = createApp({ db: handle.db, pool: handle.pool, log: createLogger('silent'), sessionSecret: SECRET, pruneSessions: false });
  await instance.ready;
  const server = instance.app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    count: () => count,
    async close() {
      instance.closeStreams();
      await new Promise((resolve) => server.close(resolve));
      await instance.close();
      await handle.close();
      pg.Client.prototype.query = original;
    },
  };
}
