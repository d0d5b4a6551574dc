// Live delivery in a group (issue 16): a group of MEMBERS (default 50), every member with one page
// open (an event stream on /events, logged in), each page saying what it shows as a browser's does
// (POST /messages/view): first the group's thread, visible ("thread open"), then the inbox
// ("inbox"). Messages go into the group at RATE a second from rotating members, each through the
// form post a browser makes (POST /messages/:id/messages, the sender's session and CSRF token),
// for DURATION seconds per scenario. For every (message, member) pair: the time from the POST's
// start to that member's page receiving its `message` event; then events and bytes per member
// per message. The app runs in its own process (the real server entry), PostgreSQL beside it.
//
//   npm run bench:group-live                    (defaults below; DATABASE_URL to use your server)
//   MEMBERS=50 RATE=20 DURATION=15 WARMUP=2 SCENARIOS=inbox,thread npm run bench:group-live
//   COUNT_STATEMENTS=1 MEMBERS=10 RATE=5 DURATION=3 npm run bench:group-live   (a look at the SQL, not a timing)
//
// The inbox runs first: if the thread scenario leaves a backlog, it does not spill into the other.
// COUNT_STATEMENTS=1 puts a counting proxy between the app and PostgreSQL (bench/support.ts): the
// statements each message costs the app, by kind; the hop it adds makes its timings not comparable.
//
// A member may send 20 messages a minute (src/messaging/limits.ts): with 50 members at 20/s a
// run stays under it for about 45 s of sending in all (the bench warns beyond that).
import http from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { sql } from 'kysely';
import { messagingDatabase } from '../src/app-database.js';
import { createGroup } from '../src/messaging/groups/group-queries.js';
import { defaultLimits } from '../src/messaging/limits.js';
import {
  ActivitySampler,
  benchDatabase,
  countingProxy,
  cpuSecondsOf,
  CpuMeter,
  createUsers,
  percentile,
  postmasterPid,
  round,
  selfCpuSeconds,
  send,
  startAppProcess,
  treeCpuSecondsOf,
  type BenchUser,
  type CountingProxy,
} from './support.js';

const MEMBERS = Number(process.env.MEMBERS ?? 50);
const RATE = Number(process.env.RATE ?? 20);
const DURATION = Number(process.env.DURATION ?? 15);
const WARMUP = Number(process.env.WARMUP ?? 2);
const SCENARIOS = (process.env.SCENARIOS ?? 'inbox,thread').split(',').map((s) => s.trim()).filter(Boolean) as ('thread' | 'inbox')[];
// After the last send, how long to wait for stragglers: until every pair arrived, or no `message` event came for QUIET_MS, or DRAIN_MAX_MS.
const QUIET_MS = Number(process.env.QUIET_MS ?? 10_000);
const DRAIN_MAX_MS = Number(process.env.DRAIN_MAX_MS ?? 120_000);
const COUNT_STATEMENTS = process.env.COUNT_STATEMENTS === '1';

const perMemberPerMinute = (RATE * 60) / MEMBERS;
const sendingSeconds = SCENARIOS.length * (DURATION + WARMUP);
if (perMemberPerMinute * Math.min(60, sendingSeconds) / 60 > defaultLimits.messages.max) {
  console.warn(`warning: ${round(perMemberPerMinute)} messages a minute per member for ${sendingSeconds} s goes over the ${defaultLimits.messages.max}-a-minute send limit: some sends will be refused`);
}

/** One member's page: its stream's name (from hello), and what arrived on it. */
interface Page {
  user: BenchUser;
  streamId: string;
  /** Per message seq: arrival times of its `message` events on this page. */
  arrivals: Map<number, number[]>;
  /** Per message seq: bytes of those events (the data payload, and the whole frame as written). */
  bytes: Map<number, { data: number; frame: number }[]>;
  /** Every event by name since the last reset: count and frame bytes. */
  events: Map<string, { count: number; bytes: number }>;
  /** When the last `message` event of a bench message arrived. */
  lastEventAt: number;
  request: http.ClientRequest;
}

const MARK = /gl-(\d+)-x/;
const streamAgent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
const formAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });

const database = await benchDatabase();
const results: Record<string, unknown> = { members: MEMBERS, rate: RATE, duration_s: DURATION, warmup_s: WARMUP, node: process.version };
try {
  console.log(`setting up a group of ${MEMBERS}…`);
  const users = await createUsers(database.db, 'g', MEMBERS);
  const [admin, ...others] = users;
  const group = await createGroup(messagingDatabase(database.db), { me: admin!.id, name: 'Bench group', members: others.map((u) => u.id), clientId: crypto.randomUUID() }, defaultLimits.conversations);
  const groupId = group.id;
  const proxy = COUNT_STATEMENTS ? await countingProxy(database.url) : undefined;
  const app = await startAppProcess(proxy?.url ?? database.url);
  const pgPid = await postmasterPid(database.db);
  const meter = new CpuMeter({ app: () => cpuSecondsOf(app.pid), postgres: () => treeCpuSecondsOf(pgPid), bench: selfCpuSeconds });

  const pages = await Promise.all(users.map((user) => openPage(app.url, user)));
  console.log(`${pages.length} streams open`);
  // Let the app finish what the openings caused (presence, delivered) before anything is timed.
  await sleep(3000);

  let seq = 0;
  const scenarios: Record<string, unknown>[] = [];
  for (const scenario of SCENARIOS) {
    if (app.child.exitCode !== null) {
      console.warn(`the app exited (code ${app.child.exitCode}): ${scenario} not run`);
      break;
    }
    // Every page says what it shows, as the page's script does on load and on visibility changes.
    const statuses = await Promise.all(pages.map((p) => postForm(app.url, p.user, '/messages/view', { stream: p.streamId, c: scenario === 'thread' ? String(groupId) : '', visible: '1' })));
    if (statuses.some((s) => s !== 204)) throw new Error(`POST /messages/view: ${statuses.filter((s) => s !== 204).join(', ')}`);
    await sleep(1500);

    // A warm-up (not counted): templates compiled, JIT, the pool filled, the view settled.
    if (WARMUP > 0) {
      const warm = await sendAt(app.url, users, groupId, () => seq++, WARMUP);
      await drain(pages, warm.seqs);
    }
    for (const p of pages) p.events.clear();
    const xactBefore = await writeTransactions();
    const deadlocksBefore = await deadlocks();
    const statementsBefore = proxy?.statements() ?? 0;
    const cpuFrom = meter.snapshot();
    const activity = new ActivitySampler(database.db);
    activity.start();
    const run = await sendAt(app.url, users, groupId, () => seq++, DURATION);
    const acked = await Promise.all(run.acks);
    const sendEndedAt = performance.now();
    const drained = await drain(pages, run.seqs);
    const cpu = meter.since(cpuFrom);
    const backends = activity.stop();
    const xacts = (await writeTransactions()) - xactBefore - 1;
    // A backend reports its counts a second or more after the fact: given time to.
    await sleep(1500);
    const deadlocked = (await deadlocks()) - deadlocksBefore;
    const statements = proxy && statementsBy(proxy, statementsBefore);

    // Every (message, member) pair: POST start to that member's first `message` event for it.
    const latencies: number[] = [];
    const recipientLatencies: number[] = [];
    const senderLatencies: number[] = [];
    let missing = 0;
    let duplicates = 0;
    let dataBytes = 0;
    let frameBytes = 0;
    let messageEvents = 0;
    for (const [s, started] of run.started) {
      const sender = run.senders.get(s)!;
      for (const p of pages) {
        const times = p.arrivals.get(s);
        if (!times?.length) {
          missing += 1;
          continue;
        }
        messageEvents += times.length;
        duplicates += times.length - 1;
        for (const b of p.bytes.get(s) ?? []) {
          dataBytes += b.data;
          frameBytes += b.frame;
        }
        const ms = times[0]! - started;
        latencies.push(ms);
        (p.user.id === sender ? senderLatencies : recipientLatencies).push(ms);
      }
    }
    for (const list of [latencies, recipientLatencies, senderLatencies]) list.sort((a, b) => a - b);
    const messages = run.started.size;
    const pairs = messages * pages.length;
    const ackMs = acked.map((a) => a.ms).sort((a, b) => a - b);
    const eventsByName = new Map<string, { count: number; bytes: number }>();
    for (const p of pages) {
      for (const [name, e] of p.events) {
        const total = eventsByName.get(name) ?? { count: 0, bytes: 0 };
        total.count += e.count;
        total.bytes += e.bytes;
        eventsByName.set(name, total);
      }
    }
    const row = {
      scenario: scenario === 'thread' ? 'thread open (visible)' : 'inbox (visible)',
      messages,
      acknowledged: acked.filter((a) => a.status === 303).length,
      statuses: countBy(acked.map((a) => a.status)),
      pairs,
      delivered_pairs: latencies.length,
      missing_pairs: missing,
      duplicate_events: duplicates,
      p50_ms: round(percentile(latencies, 50)),
      p99_ms: round(percentile(latencies, 99)),
      max_ms: round(latencies[latencies.length - 1] ?? NaN),
      recipients_p50_ms: round(percentile(recipientLatencies, 50)),
      recipients_p99_ms: round(percentile(recipientLatencies, 99)),
      sender_page_p50_ms: round(percentile(senderLatencies, 50)),
      sender_page_p99_ms: round(percentile(senderLatencies, 99)),
      post_ack_p50_ms: round(percentile(ackMs, 50)),
      post_ack_p99_ms: round(percentile(ackMs, 99)),
      message_events_per_member_per_message: round(messageEvents / pairs, 2),
      message_event_data_bytes_per_member_per_message: Math.round(dataBytes / Math.max(1, messageEvents)),
      message_event_frame_bytes_per_member_per_message: Math.round(frameBytes / Math.max(1, messageEvents)),
      // Every event a page got while this scenario ran, per member per message: what else a group message causes.
      all_events_per_member_per_message: Object.fromEntries([...eventsByName].sort().map(([name, e]) => [name, { events: round(e.count / pairs, 2), bytes: Math.round(e.bytes / pairs) }])),
      // Writing transactions in the database (transaction ids handed out): the send, receipts, "delivered"…
      db_write_transactions_per_message: round(xacts / messages, 1),
      // Deadlocks PostgreSQL detected (and broke, failing one side) meanwhile: pg_stat_database.deadlocks.
      deadlocks: deadlocked,
      ...(statements && { app_statements_per_message: round(statements.total / run.started.size, 1), app_statements_by_kind_per_message: Object.fromEntries(statements.kinds.map(([k, n]) => [k, round(n / statements.seen * (statements.total / run.started.size), 1)])) }),
      drain_after_last_send_ms: Math.round(drained - sendEndedAt),
      cpu_pct_of_one_core: cpu,
      // The app's database connections, sampled every 200 ms: on average how many in each state and wait.
      app_backends: backends,
    };
    scenarios.push(row);
    console.log(row);
  }
  results.scenarios = scenarios;
  for (const p of pages) p.request.destroy();
  // The app may have died under the load (its exit code then goes in the results).
  results.app_exit_code = app.child.exitCode;
  if (app.child.exitCode === null && app.child.signalCode === null) await app.stop();
  await proxy?.close();
} finally {
  await database.drop();
}

mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/group-live.json', `${JSON.stringify(results, null, 2)}\n`);
printTable(results.scenarios as Record<string, unknown>[]);
console.log('\nresults in bench/results/group-live.json');
process.exit(0);

/** Sends at RATE for `seconds` from rotating members; each send's POST start time and sender by seq. */
async function sendAt(base: string, users: BenchUser[], groupId: number, next: () => number, seconds: number) {
  const started = new Map<number, number>();
  const senders = new Map<number, number>();
  const seqs: number[] = [];
  const acks: Promise<{ status: number; ms: number }>[] = [];
  const total = Math.round(RATE * seconds);
  const start = performance.now() + 50;
  await new Promise<void>((resolve) => {
    let sent = 0;
    const tick = () => {
      const now = performance.now();
      while (sent < total && start + (sent * 1000) / RATE <= now) {
        const s = next();
        const sender = users[s % users.length]!;
        seqs.push(s);
        senders.set(s, sender.id);
        const at = performance.now();
        started.set(s, at);
        acks.push(send(base, sender, groupId, `gl-${s}-x a group message of ordinary length, like people write`).then((status) => ({ status, ms: performance.now() - at })));
        sent += 1;
      }
      // Sleep until the next send is due (a busy loop would take a core from the servers).
      if (sent < total) setTimeout(tick, Math.max(0, start + (sent * 1000) / RATE - performance.now()));
      else resolve();
    };
    tick();
  });
  return { started, senders, seqs, acks };
}

/** Waits until every page has every message, or nothing arrived for QUIET_MS, or DRAIN_MAX_MS; returns when it stopped. */
async function drain(pages: Page[], seqs: number[]): Promise<number> {
  const from = performance.now();
  const until = from + DRAIN_MAX_MS;
  for (;;) {
    const complete = pages.every((p) => seqs.every((s) => p.arrivals.has(s)));
    const lastEvent = Math.max(from, ...pages.map((p) => p.lastEventAt));
    if (complete || performance.now() > until || performance.now() - lastEvent > QUIET_MS) {
      return complete ? Math.max(...pages.flatMap((p) => seqs.map((s) => p.arrivals.get(s)![0]!))) : performance.now();
    }
    await sleep(100);
  }
}

/** Transaction ids handed out so far: every transaction that wrote takes one (reads take none), this call's own included. */
async function writeTransactions(): Promise<number> {
  const { rows } = await sql<{ n: string }>`select pg_current_xact_id()::text::bigint as n`.execute(database.db);
  return Number(rows[0]!.n);
}

async function deadlocks(): Promise<number> {
  await sql`select pg_stat_clear_snapshot()`.execute(database.db);
  const { rows } = await sql<{ n: string }>`select deadlocks as n from pg_stat_database where datname = current_database()`.execute(database.db);
  return Number(rows[0]!.n);
}

/** A member's page: /events opened with its session, named by its hello. */
function openPage(base: string, user: BenchUser): Promise<Page> {
  return new Promise((resolve, reject) => {
    const page: Page = { user, streamId: '', arrivals: new Map(), bytes: new Map(), events: new Map(), lastEventAt: 0, request: undefined as unknown as http.ClientRequest };
    const req = http.get(`${base}/events`, { headers: { Cookie: user.cookie, Accept: 'text/event-stream' }, agent: streamAgent }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`events: ${res.statusCode}`));
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        const now = performance.now();
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end + 2);
          buffer = buffer.slice(end + 2);
          let name = 'message';
          const data: string[] = [];
          for (const line of frame.slice(0, -2).split('\n')) {
            if (line.startsWith('event: ')) name = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (!data.length) continue;
          const text = data.join('\n');
          const frameBytes = Buffer.byteLength(frame);
          const seen = page.events.get(name) ?? { count: 0, bytes: 0 };
          seen.count += 1;
          seen.bytes += frameBytes;
          page.events.set(name, seen);
          if (name === 'hello' && !page.streamId) {
            page.streamId = text;
            resolve(page);
          }
          if (name !== 'message') continue;
          const s = MARK.exec(text)?.[1];
          if (s === undefined) continue;
          const key = Number(s);
          page.lastEventAt = now;
          page.arrivals.set(key, [...(page.arrivals.get(key) ?? []), now]);
          page.bytes.set(key, [...(page.bytes.get(key) ?? []), { data: Buffer.byteLength(text), frame: frameBytes }]);
        }
      });
    });
    page.request = req;
    req.on('error', reject);
  });
}

/** A form post with the user's session and CSRF token; resolves with the status. */
function postForm(base: string, user: BenchUser, path: string, fields: Record<string, string>): Promise<number> {
  const form = new URLSearchParams({ ...fields, _csrf: user.csrf }).toString();
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method: 'POST', agent: formAgent, headers: { Cookie: user.cookie, 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(form) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(form);
  });
}

/** Statements since `from`, and the most frequent kinds among the last (up to) 10,000 of them: each text's first words. */
function statementsBy(proxy: CountingProxy, from: number) {
  const total = proxy.statements() - from;
  const texts = proxy.texts(from);
  const kinds = new Map<string, number>();
  for (const text of texts) {
    const kind = text.replace(/\s+/g, ' ').trim().slice(0, 90);
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  return { total, seen: Math.max(1, texts.length), kinds: [...kinds].sort((a, b) => b[1] - a[1]).slice(0, 12) };
}

function countBy(values: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function printTable(rows: Record<string, unknown>[]) {
  console.log(`\nGroup of ${MEMBERS}, every member's page open, ${RATE} messages/s for ${DURATION} s from rotating members (one app process, PostgreSQL beside it)`);
  const header = ['scenario', 'msgs', 'acked', 'pairs delivered', 'p50 ms', 'p99 ms', 'max ms', 'POST p50/p99 ms', 'msg events/member/msg', 'bytes/member/msg', 'db write xacts/msg', 'deadlocks', 'app CPU %', 'pg CPU %'];
  const table = [header, ...rows.map((r) => {
    const cpu = r.cpu_pct_of_one_core as Record<string, number>;
    return [
      String(r.scenario),
      String(r.messages),
      String(r.acknowledged),
      `${r.delivered_pairs}/${r.pairs}`,
      String(r.p50_ms),
      String(r.p99_ms),
      String(r.max_ms),
      `${r.post_ack_p50_ms} / ${r.post_ack_p99_ms}`,
      String(r.message_events_per_member_per_message),
      String(r.message_event_frame_bytes_per_member_per_message),
      String(r.db_write_transactions_per_message),
      String(r.deadlocks),
      String(cpu.app_pct),
      String(cpu.postgres_pct),
    ];
  })];
  const widths = header.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  for (const r of table) console.log(r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
  console.log('\nother events per member per message (count, bytes):');
  for (const r of rows) {
    const all = r.all_events_per_member_per_message as Record<string, { events: number; bytes: number }>;
    console.log(`  ${String(r.scenario).padEnd(22)} ${Object.entries(all).map(([name, e]) => `${name} ${e.events} (${e.bytes} B)`).join(', ')}`);
  }
}
