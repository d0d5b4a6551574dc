// Shared plumbing for the benchmarks: a PostgreSQL server, a fresh database, app processes,
// users with ready-made sessions, and an SSE reader.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { sql } from 'kysely';
import pg from 'pg';
import { openDatabase, type DbHandle } from '../src/db/database.js';
import { startThrowawayPostgres } from '../src/db/embedded.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { createLogger } from '../src/logger.js';

export const SECRET = 'bench-secret-bench-secret-bench-secret-bench';

export interface BenchDatabase extends DbHandle {
  url: string;
  drop(): Promise<void>;
}

/** DATABASE_URL's server when set, otherwise an embedded one; a fresh database on it either way. */
export async function benchDatabase(): Promise<BenchDatabase> {
  let adminUrl = process.env.DATABASE_URL;
  let stopServer = async () => {};
  if (!adminUrl) {
    const server = await startThrowawayPostgres('bench', createLogger('warn'));
    adminUrl = server.url('postgres');
    stopServer = server.stop;
  }
  const name = `courier_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const handle = openDatabase(url.toString(), createLogger('warn'), 10);
  await migrateToLatest(handle.db);
  return {
    ...handle,
    url: url.toString(),
    async drop() {
      await handle.close();
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
      await stopServer();
    },
  };
}

export interface BenchUser {
  id: number;
  cookie: string;
  csrf: string;
}

/**
 * `count` users with sessions written straight into the session table (no password hashing, no
 * login round trips), as express-session would have stored them.
 */
export async function createUsers(db: DbHandle['db'], prefix: string, count: number): Promise<BenchUser[]> {
  const users: BenchUser[] = [];
  for (let start = 0; start < count; start += 1000) {
    const size = Math.min(1000, count - start);
    const rows = await db
      .insertInto('users')
      .values(Array.from({ length: size }, (_, i) => ({ username: `${prefix}_${String(start + i).padStart(5, "0")}`, display_name: `Bench ${prefix} ${start + i}`, password_hash: 'x' })))
      .returning('id')
      .execute();
    const expires = new Date(Date.now() + 86_400_000);
    const sessions = rows.map((row) => {
      const sid = randomBytes(18).toString('base64url');
      const csrf = randomBytes(32).toString('hex');
      const sess = { cookie: { originalMaxAge: 86_400_000, expires: expires.toISOString(), httpOnly: true, path: '/', sameSite: 'lax' }, userId: row.id, csrfToken: csrf };
      users.push({ id: row.id, cookie: `courier.sid=${encodeURIComponent(`s:${sign(sid)}`)}`, csrf });
      return { sid, sess: JSON.stringify(sess), expire: expires };
    });
    await sql`insert into session (sid, sess, expire) select * from unnest(${sessions.map((s) => s.sid)}::varchar[], ${sessions.map((s) => s.sess)}::json[], ${sessions.map((s) => s.expire)}::timestamp[])`.execute(db);
  }
  return users;
}

function sign(sid: string): string {
  return `${sid}.${createHmac('sha256', SECRET).update(sid).digest('base64').replace(/=+$/, '')}`;
}

/** One conversation per (sender, recipient) pair, with both participant rows; returns the ids in order. */
export async function createConversations(db: DbHandle['db'], pairs: [number, number][]): Promise<number[]> {
  const ids: number[] = [];
  for (let start = 0; start < pairs.length; start += 1000) {
    const chunk = pairs.slice(start, start + 1000);
    const rows = await db
      .insertInto('conversations')
      .values(chunk.map(([a, b]) => ({ user_low: Math.min(a, b), user_high: Math.max(a, b) })))
      .returning(['id', 'user_low', 'user_high'])
      .execute();
    await db
      .insertInto('conversation_participants')
      .values(rows.flatMap((c) => [
        { conversation_id: c.id, user_id: c.user_low, other_user_id: c.user_high },
        { conversation_id: c.id, user_id: c.user_high, other_user_id: c.user_low },
      ]))
      .execute();
    ids.push(...rows.map((r) => r.id));
  }
  return ids;
}

export interface AppProcess {
  url: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** An app instance in its own process, on the bench database, started through the real server entry. */
export async function startAppProcess(databaseUrl: string, nodeArgs: string[] = []): Promise<AppProcess> {
  const port = await freePort();
  const extra = process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : [];
  const child = spawn(process.execPath, [...extra, ...nodeArgs, '--import', 'tsx', 'src/server.ts'], {
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), HOST: '127.0.0.1', SESSION_SECRET: SECRET, LOG_LEVEL: 'warn', NODE_ENV: 'production' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (await healthy(url)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    pid: child.pid!,
    child,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function healthy(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    http.get(`${url}/healthz`, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    }).on('error', () => resolve(false));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address() as net.AddressInfo;
      probe.close(() => resolve(address.port));
    });
    probe.on('error', reject);
  });
}

/** Resident memory of a process, in bytes (Linux). */
export function rssOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.match(/(\d+)/)?.[1] ?? 0) * 1024;
}

const streamAgent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

/** Opens /events for a user; calls onEvent(name, data) for every event. Resolves once the stream is open. */
export function openStream(baseUrl: string, cookie: string, onEvent: (event: string, data: string) => void): Promise<http.ClientRequest> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${baseUrl}/events`, { headers: { Cookie: cookie, Accept: 'text/event-stream' }, agent: streamAgent }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`events: ${res.statusCode}`));
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let name = 'message';
          const data: string[] = [];
          for (const line of frame.split('\n')) {
            if (line.startsWith('event: ')) name = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length) onEvent(name, data.join('\n'));
        }
      });
      resolve(req);
    });
    req.on('error', reject);
  });
}

const sendAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** Sends a message through the app's own form endpoint; resolves with the HTTP status. */
export function send(baseUrl: string, user: BenchUser, conversationId: number, body: string): Promise<number> {
  const form = new URLSearchParams({ body, _csrf: user.csrf, client_id: randomUUID() }).toString();
  return new Promise((resolve) => {
    const req = http.request(
      `${baseUrl}/messages/${conversationId}/messages`,
      { method: 'POST', agent: sendAgent, headers: { Cookie: user.cookie, 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(form) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(form);
  });
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
