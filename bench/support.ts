// Shared plumbing for the benchmarks: a PostgreSQL server, a fresh database, app processes,
// users with ready-made sessions, and an SSE reader.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { wholeDatabase } from '../src/app-database.js';
import { openDatabase, type DbHandle } from '../src/db/database.js';
import { startThrowawayPostgres } from '../src/db/embedded.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { createLogger } from '../src/logger.js';
import { prepareJobTables } from '../src/jobs/runner.js';

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
    // Over its Unix socket, as `npm start` talks to its embedded server: the app and the floors alike.
    adminUrl = server.socketUrl('postgres');
    stopServer = server.stop;
  }
  const name = `courier_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const handle = openDatabase(url.toString(), createLogger('warn'));
  await migrateToLatest(handle.db);
  // The job queue's tables too, as the app makes them at boot: a group's lines and a send add jobs.
  await prepareJobTables(handle.pool, createLogger('warn'));
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
      // `day`: renewed today already (src/http/session.ts), as a session in use would be.
      const sess = { cookie: { originalMaxAge: 86_400_000, expires: expires.toISOString(), httpOnly: true, path: '/', sameSite: 'lax' }, userId: row.id, csrfToken: csrf, day: Math.floor(Date.now() / 86_400_000) };
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
export async function createConversations(hostDb: DbHandle['db'], pairs: [number, number][]): Promise<number[]> {
  const db = wholeDatabase(hostDb);
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
        { conversation_id: c.id, user_id: c.user_low!, other_user_id: c.user_high },
        { conversation_id: c.id, user_id: c.user_high!, other_user_id: c.user_low },
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

// ---- Added for bench:send and bench:load: sends with a known client_id, CPU accounting, exactly-once checks ----

export interface PostOutcome {
  status: number;
  /** The idempotency key sent with the message (the form's client_id). */
  clientId: string;
}

/**
 * Like `send`, with the client_id chosen by the caller (so a retry can repeat it and the database
 * can be checked by it afterwards) and an agent of the caller's (so its socket limit is not `send`'s 64).
 */
export function postMessage(
  baseUrl: string,
  user: BenchUser,
  conversationId: number,
  body: string,
  options: { clientId?: string; agent?: http.Agent } = {},
): Promise<PostOutcome> {
  const clientId = options.clientId ?? randomUUID();
  const form = new URLSearchParams({ body, _csrf: user.csrf, client_id: clientId }).toString();
  return new Promise((resolve) => {
    const req = http.request(
      `${baseUrl}/messages/${conversationId}/messages`,
      { method: 'POST', agent: options.agent ?? sendAgent, headers: { Cookie: user.cookie, 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(form) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, clientId }));
      },
    );
    req.on('error', () => resolve({ status: 0, clientId }));
    req.end(form);
  });
}

/** How many stored messages carry each of these client_ids (absent: none). */
export async function storedByClientId(db: DbHandle['db'], clientIds: string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let start = 0; start < clientIds.length; start += 10_000) {
    const chunk = clientIds.slice(start, start + 10_000);
    const { rows } = await sql<{ client_id: string; n: number }>`
      select client_id::text as client_id, count(*)::int as n from messages
       where client_id = any(${chunk}::uuid[]) group by client_id`.execute(db);
    for (const row of rows) counts.set(row.client_id, row.n);
  }
  return counts;
}

/** Exactly-once check of acknowledged sends: each stored once, none missing, none twice, and what was stored unacknowledged. */
export async function exactlyOnce(db: DbHandle['db'], acknowledged: string[], unacknowledged: string[]) {
  const counts = await storedByClientId(db, [...acknowledged, ...unacknowledged]);
  const storedOnce = acknowledged.filter((id) => counts.get(id) === 1).length;
  const missing = acknowledged.filter((id) => !counts.has(id)).length;
  const duplicated = [...counts.values()].filter((n) => n > 1).length;
  const storedWithoutAck = unacknowledged.filter((id) => counts.has(id)).length;
  return { acknowledged: acknowledged.length, stored_once: storedOnce, missing, duplicated, unacknowledged: unacknowledged.length, stored_without_ack: storedWithoutAck, ok: storedOnce === acknowledged.length && duplicated === 0 };
}

const CLOCK_TICKS = 100; // getconf CLK_TCK on Linux

/** utime, stime, children's utime + stime (reaped ones), in seconds, and the parent pid, from /proc/<pid>/stat. */
function procStat(pid: number): { own: number; children: number; ppid: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name (which may hold spaces), counted from field 3 (state).
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ticks = (i: number) => Number(fields[i - 3]);
  return { own: (ticks(14) + ticks(15)) / CLOCK_TICKS, children: (ticks(16) + ticks(17)) / CLOCK_TICKS, ppid: ticks(4) };
}

/** CPU seconds used so far by one process (its own threads only). */
export function cpuSecondsOf(pid: number): number {
  return procStat(pid)?.own ?? 0;
}

/**
 * CPU seconds used so far by a server and its direct children, live or already exited (a reaped
 * child's time is added to its parent's): for PostgreSQL, the postmaster and every backend.
 */
export function treeCpuSecondsOf(rootPid: number): number {
  const root = procStat(rootPid);
  if (!root) return 0;
  let total = root.own + root.children;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat?.ppid === rootPid) total += stat.own;
  }
  return total;
}

/** The postmaster's pid of the server behind `db` (the parent of a backend). */
export async function postmasterPid(db: DbHandle['db']): Promise<number> {
  const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db);
  const backend = procStat(rows[0]!.pid);
  if (!backend) throw new Error('the database server is not on this machine: its CPU cannot be read');
  return backend.ppid;
}

/** Busy and total CPU seconds of the whole machine so far, from /proc/stat. */
export function machineCpuSeconds(): { busy: number; total: number; cores: number } {
  const lines = readFileSync('/proc/stat', 'utf8').split('\n');
  const values = lines[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = values.reduce((a, b) => a + b, 0);
  const idle = values[3]! + values[4]!;
  return { busy: (total - idle) / CLOCK_TICKS, total: total / CLOCK_TICKS, cores: lines.filter((l) => /^cpu\d/.test(l)).length };
}

export interface CpuSnapshot {
  at: number;
  groups: Record<string, number>;
  machine: { busy: number; total: number; cores: number };
}

/**
 * Where the machine's CPU goes between two moments: each named group (a function giving its CPU
 * seconds so far), and "others" (whatever else ran: other people's processes on a shared machine).
 * Percentages are of one core, so a 2-core machine tops out at 200.
 */
export class CpuMeter {
  constructor(private readonly groups: Record<string, () => number>) {}

  snapshot(): CpuSnapshot {
    return { at: performance.now(), groups: Object.fromEntries(Object.entries(this.groups).map(([name, read]) => [name, read()])), machine: machineCpuSeconds() };
  }

  /** Percent of one core for each group, the machine's busy share and the rest ("others"), since `from`. */
  since(from: CpuSnapshot, to: CpuSnapshot = this.snapshot()): Record<string, number> {
    const seconds = (to.at - from.at) / 1000;
    const out: Record<string, number> = {};
    let ours = 0;
    for (const name of Object.keys(this.groups)) {
      const used = to.groups[name]! - from.groups[name]!;
      ours += used;
      out[`${name}_pct`] = round((100 * used) / seconds);
    }
    const busy = to.machine.busy - from.machine.busy;
    out.machine_busy_pct = round((100 * busy) / seconds);
    out.others_pct = round(Math.max(0, (100 * (busy - ours)) / seconds));
    out.machine_capacity_pct = 100 * to.machine.cores;
    return out;
  }
}

/** This process's CPU seconds so far (the load generator). */
export const selfCpuSeconds = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};

export interface CountingProxy {
  /** The database URL to hand an app: the same server and database, through the proxy. */
  url: string;
  /** Statements sent so far through the proxy (simple queries plus extended-protocol Executes). */
  statements(): number;
  /** The text of every statement since `from` (a count from statements()), for a look at what a request runs. */
  texts(from: number): string[];
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of PostgreSQL that counts the statements clients send (each simple Query
 * and each Execute of the extended protocol): the number of SQL queries a request costs, read
 * without touching the app. It adds a hop, so it is for counting, never for timing.
 */
export async function countingProxy(databaseUrl: string): Promise<CountingProxy> {
  const target = new URL(databaseUrl);
  let statements = 0;
  const texts: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    // A host that is a path is a socket folder (the embedded server's): the port names the socket.
    const folder = decodeURIComponent(target.hostname);
    const upstream = folder.startsWith('/') ? net.connect(path.join(folder, `.s.PGSQL.${target.port || 5432}`)) : net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    let started = false;
    let pending: Buffer = Buffer.alloc(0);
    let parsed = '';
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      for (;;) {
        // The startup message (and an SSL request) has no type byte: a length, then the body.
        if (!started) {
          if (pending.length < 8) break;
          const length = pending.readInt32BE(0);
          if (pending.length < length) break;
          const code = pending.readInt32BE(4);
          pending = pending.subarray(length);
          if (code !== 80877103) started = true; // 80877103: SSLRequest, answered before the real startup
          continue;
        }
        if (pending.length < 5) break;
        const length = pending.readInt32BE(1);
        if (pending.length < length + 1) break;
        const type = String.fromCharCode(pending[0]!);
        // Parse: a statement name, then its text; Query: the text. Both NUL-terminated.
        const message = pending.subarray(5, length + 1);
        if (type === 'P') parsed = message.subarray(message.indexOf(0) + 1, message.indexOf(0, message.indexOf(0) + 1)).toString('utf8');
        if (type === 'Q' || type === 'E') {
          statements += 1;
          texts.push(type === 'Q' ? message.subarray(0, message.indexOf(0)).toString('utf8') : parsed);
          if (texts.length > 10_000) texts.splice(0, 5_000);
        }
        pending = pending.subarray(length + 1);
      }
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as net.AddressInfo).port);
  return {
    url: url.toString(),
    statements: () => statements,
    texts: (from) => texts.slice(Math.max(0, texts.length - (statements - from))),
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Looks inside an app process without changing it: loaded with `--import` before the app, it
 * measures the event loop's delay and how long each request for a pooled database connection
 * waits (pg.Pool's connect, which Kysely and the session store both use), and writes both to a
 * file four times a second. SIGUSR2 starts the figures afresh (for one step of a benchmark).
 */
const PROBE_SOURCE = `
import { createRequire } from 'node:module';
import { writeFile } from 'node:fs';
import { createHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
const file = process.env.BENCH_APP_PROBE_FILE;
const require = createRequire(process.cwd() + '/package.json');
const pg = require('pg');
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
let utilizationFrom = performance.eventLoopUtilization();
const waits = createHistogram();
let maxWaiting = 0;
let pools = new Set();
const original = pg.Pool.prototype.connect;
pg.Pool.prototype.connect = function (callback) {
  pools.add(this);
  maxWaiting = Math.max(maxWaiting, this.waitingCount + 1);
  const started = performance.now();
  const done = () => waits.record(Math.max(1, Math.round((performance.now() - started) * 1000)));
  if (callback) return original.call(this, (err, client, release) => { done(); callback(err, client, release); });
  return original.call(this).then((client) => { done(); return client; });
};
const ms = (h, p) => h.count === 0 ? 0 : Math.round(h.percentile(p) / 10) / 100;
const lag = (ns) => Math.max(0, Math.round((ns - 5e6) / 1e4) / 100);
// Written asynchronously (off the event loop), one write at a time.
let writing = false;
const write = () => {
  if (writing) return;
  writing = true;
  const size = [...pools].reduce((n, p) => n + p.totalCount, 0);
  writeFile(file, JSON.stringify({
    // The histogram holds whole intervals between the timer's runs: the delay is what exceeds the 5 ms asked for.
    loop_delay_ms: { p50: lag(loop.percentile(50)), p99: lag(loop.percentile(99)), max: lag(loop.max) },
    // The share of the time the event loop was running code rather than waiting for I/O (1: saturated).
    loop_utilization: Math.round(performance.eventLoopUtilization(utilizationFrom).utilization * 100) / 100,
    pool_wait_ms: { count: waits.count, p50: ms(waits, 50), p99: ms(waits, 99), max: ms(waits, 100) },
    pool_max_waiting: maxWaiting,
    pool_connections: size,
  }), () => { writing = false; });
};
setInterval(write, 250).unref();
process.on('SIGUSR2', () => { loop.reset(); waits.reset(); maxWaiting = 0; utilizationFrom = performance.eventLoopUtilization(); write(); });
`;

export interface AppProbe {
  /** Node arguments for startAppProcess. The file's name travels in BENCH_APP_PROBE_FILE, set here. */
  nodeArgs: string[];
  /** Starts the figures afresh (call, then wait a moment before the work to measure). */
  reset(pid: number): void;
  /** The figures since the last reset, as of the last quarter second. */
  read(): { loop_delay_ms: { p50: number; p99: number; max: number }; loop_utilization: number; pool_wait_ms: { count: number; p50: number; p99: number; max: number }; pool_max_waiting: number; pool_connections: number } | undefined;
}

/** Set up before startAppProcess: the app it starts next carries the probe. */
export function appProbe(): AppProbe {
  const file = path.join(os.tmpdir(), `courier-bench-probe-${process.pid}-${randomBytes(4).toString('hex')}.json`);
  process.env.BENCH_APP_PROBE_FILE = file;
  process.once('exit', () => rmSync(file, { force: true }));
  let last: ReturnType<AppProbe['read']>;
  return {
    nodeArgs: ['--import', `data:text/javascript,${encodeURIComponent(PROBE_SOURCE)}`],
    reset: (pid) => {
      last = undefined;
      process.kill(pid, 'SIGUSR2');
    },
    read: () => {
      try {
        last = JSON.parse(readFileSync(file, 'utf8'));
      } catch {
        // Caught mid-write: the previous figures stand.
      }
      return last;
    },
  };
}

/**
 * Samples pg_stat_activity while work runs: what the database's other client backends (the app's
 * connections) are doing, as shares of the samples: running, idle, in a transaction, and which
 * wait events hold them (Lock: a heavyweight lock, "object" among them the NOTIFY commit lock;
 * LWLock; IO:WalSync: the commit's WAL flush; Client: waiting for the app), and how many wait for
 * the NOTIFY commit lock.
 */
export class ActivitySampler {
  private timer: NodeJS.Timeout | undefined;
  private readonly counts = new Map<string, number>();
  private samples = 0;

  constructor(private readonly db: DbHandle['db'], private readonly everyMs = 200) {}

  private generation = 0;

  /** Starts afresh (a sampling still running stops). */
  start(): void {
    clearTimeout(this.timer);
    const generation = ++this.generation;
    this.counts.clear();
    this.samples = 0;
    const tick = async () => {
      const { rows } = await sql<{ what: string; n: number }>`
        select coalesce(state, '?') || coalesce(' / ' || wait_event_type || ':' || wait_event, '') as what, count(*)::int as n
          from pg_stat_activity
         where datname = current_database() and backend_type = 'client backend' and pid <> pg_backend_pid()
           and coalesce(query, '') not ilike 'listen %'
         group by 1
         union all
        -- A notifying transaction takes this one lock (on the database object 0 of pg_database) from
        -- just before its commit until after it: every commit that notifies goes one at a time.
        select 'waiting for the NOTIFY commit lock', count(*)::int from pg_locks
         where locktype = 'object' and classid = 'pg_database'::regclass and objid = 0 and not granted`.execute(this.db);
      if (generation !== this.generation) return;
      this.samples += 1;
      for (const row of rows) {
        this.counts.set(row.what, (this.counts.get(row.what) ?? 0) + Number(row.n));
      }
      if (this.timer && generation === this.generation) this.timer = setTimeout(() => void tick().catch(() => {}), this.everyMs);
    };
    this.timer = setTimeout(() => void tick().catch(() => {}), 0);
  }

  /** Average number of backends in each state (or wait) over the samples. */
  stop(): Record<string, number> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.generation += 1;
    const out: Record<string, number> = {};
    for (const [what, n] of [...this.counts].sort((a, b) => b[1] - a[1])) out[what] = round(n / Math.max(1, this.samples), 2);
    return out;
  }
}
