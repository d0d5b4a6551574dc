// Send throughput of one app instance: messages stored and delivered per second, against the bare
// INSERT+NOTIFY rate of the same database in the same run. Target: 1,000 messages a second with
// p99 under 100 ms, or a note saying what stops it.
//
//   npm run bench:send                                  (defaults below; DATABASE_URL to use your server)
//   SENDERS=3000 CONCURRENCY=1,2,4,8,16,32,64,128 STEP_SECONDS=5 OPEN_RATES=auto,1000 FLOOR_CLIENTS=1,10,32 npm run bench:send
//
// One instance in its own process; every recipient holds an /events stream on it. Each message is
// the form post a browser makes without JS (a 303 is the acknowledgement), from its own sender:
// the app's limit is 20 messages a minute per person with no setting to lift it (src/messaging/
// limits.ts; createApp takes other limits, the server entry does not), so the load is spread over
// SENDERS people and no one of them ever goes past 20 in a minute.
//
// Two kinds of load, both reported:
// - closed loop, ramping concurrency: C requests always in flight (each one's next starts when it
//   is answered), for STEP_SECONDS at each C. Gives the most the instance takes and the latency
//   that goes with it; the highest rate with both p99s under 100 ms is the "max sustainable".
// - open loop at fixed rates (OPEN_RATES; "auto" is 90% of the max sustainable): sends start on a
//   schedule whatever the answers, and latency counts from the scheduled moment, so a stall is
//   not hidden by the load backing off (coordinated omission).
// The floor, in the same run: INSERT + NOTIFY as one statement (its own transaction, one round
// trip, as the app's send is) from N concurrent pg clients on the same database, heard by a LISTEN.
import http from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { defaultLimits } from '../src/messaging/limits.js';
import { LOCK_SPACES } from '../src/messaging/queries/locks.js';
import {
  ActivitySampler,
  appProbe,
  benchDatabase,
  countingProxy,
  cpuSecondsOf,
  CpuMeter,
  createConversations,
  createUsers,
  exactlyOnce,
  openStream,
  percentile,
  postMessage,
  postmasterPid,
  round,
  selfCpuSeconds,
  startAppProcess,
  treeCpuSecondsOf,
  type BenchUser,
  type CpuSnapshot,
} from './support.js';
import { idleMachine, SenderPool, warmSessions } from './senders.js';

const SENDERS = Number(process.env.SENDERS ?? 3000);
const CONCURRENCY = (process.env.CONCURRENCY ?? '1,2,4,8,16,32,64,128').split(',').map(Number);
const STEP_SECONDS = Number(process.env.STEP_SECONDS ?? 5);
const OPEN_RATES = (process.env.OPEN_RATES ?? 'auto,1000').split(',');
const FLOOR_CLIENTS = (process.env.FLOOR_CLIENTS ?? '1,10,32').split(',').map(Number);
const FLOOR_SECONDS = Number(process.env.FLOOR_SECONDS ?? 5);
const TARGET_RATE = 1000;
const TARGET_P99_MS = 100;
/** An open-loop step stops scheduling once this many sends wait for an answer: the instance is past its capacity. */
const MAX_IN_FLIGHT = 2000;
const LIMIT = defaultLimits.messages;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ms = (values: number[], p: number) => round(percentile(values, p));

interface SendRecord {
  seq: number;
  /** When it started (closed loop) or was due (open loop): latency counts from here. */
  from: number;
  end: number;
  status: number;
  clientId: string;
}

const database = await benchDatabase();
const results: Record<string, unknown> = { senders: SENDERS, step_seconds: STEP_SECONDS, limit_per_sender: LIMIT, node: process.version };
const acknowledged: string[] = [];
const unacknowledged: string[] = [];
let retries = 0;
try {
  const meterIdle = await idleMachine();
  results.machine_before = meterIdle;
  console.log(`before the run, other processes used ${meterIdle.others_pct}% of one core (of ${meterIdle.machine_capacity_pct}%)`);

  console.log(`setting up ${SENDERS} senders and ${SENDERS} recipients…`);
  const senders = await createUsers(database.db, 's', SENDERS);
  const recipients = await createUsers(database.db, 'r', SENDERS);
  const conversations = await createConversations(database.db, senders.map((s, i) => [s.id, recipients[i]!.id]));
  // Inside the app: event-loop delay and waits for a pooled connection. In PostgreSQL: what its backends do.
  const probe = appProbe();
  const app = await startAppProcess(database.url, probe.nodeArgs);
  const activity = new ActivitySampler(database.db);
  const postgresPid = await postmasterPid(database.db);
  const meter = new CpuMeter({ app: () => cpuSecondsOf(app.pid), postgres: () => treeCpuSecondsOf(postgresPid), generator: selfCpuSeconds });

  const arrivals = new Map<number, number>();
  const eventCounts = new Map<string, number>();
  const onEvent = (event: string, data: string) => {
    eventCounts.set(event, (eventCounts.get(event) ?? 0) + 1);
    if (event !== 'message') return;
    const seq = /tp-(\d+)-x/.exec(data)?.[1];
    if (seq) arrivals.set(Number(seq), performance.now());
  };
  const streams: http.ClientRequest[] = [];
  for (let i = 0; i < recipients.length; i += 500) streams.push(...(await Promise.all(recipients.slice(i, i + 500).map((r) => openStream(app.url, r.cookie, onEvent)))));
  console.log(`${streams.length} recipients hold a stream on the instance`);
  // Let the instance finish the presence work those openings caused.
  await sleep(5000);

  const pool = new SenderPool(SENDERS);
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  let seq = 0;

  /** One send, retried once with the same client_id if the connection failed (as a client would). */
  async function sendOne(sender: number): Promise<{ seq: number; status: number; clientId: string }> {
    const id = seq++;
    const user: BenchUser = senders[sender]!;
    let outcome = await postMessage(app.url, user, conversations[sender]!, `tp-${id}-x`, { agent });
    if (outcome.status === 0) {
      retries += 1;
      outcome = await postMessage(app.url, user, conversations[sender]!, `tp-${id}-x`, { agent, clientId: outcome.clientId });
    }
    (outcome.status === 303 ? acknowledged : unacknowledged).push(outcome.clientId);
    return { seq: id, status: outcome.status, clientId: outcome.clientId };
  }

  async function closedLoop(concurrency: number, seconds: number): Promise<{ records: SendRecord[]; start: number; cpuFrom: CpuSnapshot }> {
    probe.reset(app.pid);
    activity.start();
    const cpuFrom = meter.snapshot();
    const start = performance.now();
    const stopAt = start + seconds * 1000;
    const records: SendRecord[] = [];
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < stopAt) {
          const sender = pool.acquire();
          if (sender === undefined) {
            await sleep(5);
            continue;
          }
          const from = performance.now();
          const sent = await sendOne(sender);
          const end = performance.now();
          pool.release(sender, end);
          records.push({ ...sent, from, end });
        }
      }),
    );
    return { records, start, cpuFrom };
  }

  async function openLoop(rate: number, seconds: number): Promise<{ records: SendRecord[]; start: number; cpuFrom: CpuSnapshot; shed: number }> {
    probe.reset(app.pid);
    activity.start();
    const cpuFrom = meter.snapshot();
    const start = performance.now() + 50;
    const total = Math.round(rate * seconds);
    const records: SendRecord[] = [];
    const pending: Promise<void>[] = [];
    let inFlight = 0;
    let scheduled = 0;
    let shed = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = performance.now();
        while (scheduled < total && start + (scheduled * 1000) / rate <= now) {
          const due = start + (scheduled * 1000) / rate;
          scheduled += 1;
          if (inFlight >= MAX_IN_FLIGHT) {
            shed += 1;
            continue;
          }
          inFlight += 1;
          pending.push(
            (async () => {
              let sender = pool.acquire();
              while (sender === undefined) {
                await sleep(5);
                sender = pool.acquire();
              }
              const sent = await sendOne(sender);
              const end = performance.now();
              pool.release(sender, end);
              inFlight -= 1;
              records.push({ ...sent, from: due, end });
            })(),
          );
        }
        if (scheduled < total) setTimeout(tick, Math.max(0, start + (scheduled * 1000) / rate - performance.now()));
        else resolve();
      };
      tick();
    });
    await Promise.all(pending);
    return { records, start, cpuFrom, shed };
  }

  /** Waits (up to 5 s) for every acknowledged message of a step to arrive, then sums the step up. */
  async function summarise(kind: string, load: number, step: { records: SendRecord[]; start: number; cpuFrom: CpuSnapshot; shed?: number }) {
    const last = step.records.reduce((m, r) => Math.max(m, r.end), step.start);
    const cpu = meter.since(step.cpuFrom);
    const backends = activity.stop();
    await sleep(300);
    const inside = probe.read();
    const acked = step.records.filter((r) => r.status === 303);
    for (let waited = 0; waited < 5000 && acked.some((r) => !arrivals.has(r.seq)); waited += 50) await sleep(50);
    const elapsed = (last - step.start) / 1000;
    const sendMs = step.records.map((r) => r.end - r.from).sort((a, b) => a - b);
    const delivered = acked.filter((r) => arrivals.has(r.seq));
    const deliveryMs = delivered.map((r) => arrivals.get(r.seq)! - r.from).sort((a, b) => a - b);
    const lastArrival = delivered.reduce((m, r) => Math.max(m, arrivals.get(r.seq)!), last);
    const statuses: Record<string, number> = {};
    for (const r of step.records) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    const row = {
      kind,
      load,
      sent: step.records.length,
      ...(step.shed ? { shed: step.shed } : {}),
      acknowledged: acked.length,
      delivered: delivered.length,
      stored_per_s: Math.round(acked.length / elapsed),
      delivered_per_s: Math.round(delivered.length / ((lastArrival - step.start) / 1000)),
      send_p50_ms: ms(sendMs, 50),
      send_p99_ms: ms(sendMs, 99),
      delivery_p50_ms: ms(deliveryMs, 50),
      delivery_p99_ms: ms(deliveryMs, 99),
      delivery_max_ms: round(deliveryMs[deliveryMs.length - 1] ?? NaN),
      statuses,
      cpu,
      // CPU time each process spent per stored message: what the machine's two cores must cover.
      cpu_ms_per_message: Object.fromEntries(['app', 'postgres', 'generator'].map((g) => [g, round((cpu[`${g}_pct`]! * 10 * elapsed) / Math.max(1, acked.length), 2)])),
      app_inside: inside,
      postgres_backends: backends,
    };
    console.log(
      `${kind} ${String(load).padStart(5)}: ${row.stored_per_s}/s stored, ${row.delivered_per_s}/s delivered, send p50 ${row.send_p50_ms} p99 ${row.send_p99_ms} ms, delivery p50 ${row.delivery_p50_ms} p99 ${row.delivery_p99_ms} ms; ` +
        `CPU app ${cpu.app_pct}% pg ${cpu.postgres_pct}% gen ${cpu.generator_pct}% others ${cpu.others_pct}%; ` +
        `CPU ms a message app ${row.cpu_ms_per_message.app} pg ${row.cpu_ms_per_message.postgres} gen ${row.cpu_ms_per_message.generator}; ` +
        `app event loop busy ${Math.round((inside?.loop_utilization ?? NaN) * 100)}%, delay p99 ${inside?.loop_delay_ms.p99} ms, pool wait p99 ${inside?.pool_wait_ms.p99} ms (max ${inside?.pool_max_waiting} waiting); ` +
        `pg backends: ${Object.entries(backends).slice(0, 4).map(([k, n]) => `${k} ${n}`).join(', ')}`,
    );
    return row;
  }

  // Each sender's first requests of the day on an instance write their session (the daily renewal,
  // then the hourly touch): real, but once a day and once an hour, not per message. Done here,
  // two cheap requests each, so the figures are a send's steady cost.
  await warmSessions(app.url, senders, agent);
  // Warm-up (not reported): templates compiled, JIT, the pool's connections open.
  await closedLoop(8, 2);
  activity.stop();
  await sleep(1000);

  const closed = [];
  for (const c of CONCURRENCY) {
    const row = await summarise('closed', c, await closedLoop(c, STEP_SECONDS));
    closed.push(row);
    await sleep(1500);
    if (row.send_p99_ms > 3000) break; // far past capacity: more concurrency only queues
  }
  results.closed_loop = closed;
  const meets = (r: { send_p99_ms: number; delivery_p99_ms: number; acknowledged: number; sent: number; delivered: number }) =>
    r.send_p99_ms < TARGET_P99_MS && r.delivery_p99_ms < TARGET_P99_MS && r.acknowledged === r.sent && r.delivered === r.acknowledged;
  const sustainable = closed.filter(meets).sort((a, b) => b.stored_per_s - a.stored_per_s)[0];
  const peak = [...closed].sort((a, b) => b.stored_per_s - a.stored_per_s)[0]!;
  results.max_sustainable = sustainable ? { concurrency: sustainable.load, stored_per_s: sustainable.stored_per_s, delivered_per_s: sustainable.delivered_per_s } : null;
  results.peak = { concurrency: peak.load, stored_per_s: peak.stored_per_s, delivered_per_s: peak.delivered_per_s, send_p99_ms: peak.send_p99_ms };

  const open = [];
  for (const spec of OPEN_RATES) {
    const rate = spec === 'auto' ? (sustainable ? Math.floor((0.9 * sustainable.stored_per_s) / 10) * 10 : undefined) : Number(spec);
    if (!rate) continue;
    open.push(await summarise('open', rate, await openLoop(rate, STEP_SECONDS)));
    await sleep(1500);
  }
  results.open_loop = open;
  results.events_received = Object.fromEntries(eventCounts);
  results.sender_pool_waits = pool.waits;
  results.retries = retries;

  streams.forEach((s) => s.destroy());
  await app.stop();
  agent.destroy();

  // Their own people, whom the steps above left under no limit.
  const probeFrom = await createUsers(database.db, 'qs', 40);
  const probeTo = await createUsers(database.db, 'qr', 40);
  const probeConversations = await createConversations(database.db, probeFrom.map((u, i) => [u.id, probeTo[i]!.id]));
  results.queries = await queriesPerSend(probeFrom, probeTo, probeConversations);
  console.log({ queries: results.queries });

  results.floor = [];
  const triples = senders.map((s, i) => [conversations[i]!, s.id, recipients[i]!.id] as const);
  for (const kind of ['insert+notify', 'send function'] as const) {
    for (const n of FLOOR_CLIENTS) {
      activity.start();
      const row = { ...(await floor(database.url, kind, n, FLOOR_SECONDS, postgresPid, triples)), postgres_backends: activity.stop() };
      (results.floor as unknown[]).push(row);
      console.log(
        `floor, ${kind}, ${n} clients: ${row.stored_per_s}/s, p50 ${row.p50_ms} ms, p99 ${row.p99_ms} ms, heard ${row.heard}/${row.stored}; ` +
          `CPU pg ${row.cpu.postgres_pct}% gen ${row.cpu.generator_pct}% others ${row.cpu.others_pct}%; pg CPU ms a message ${row.postgres_cpu_ms_per_message}; ` +
          `backends: ${Object.entries(row.postgres_backends).slice(0, 4).map(([k, v]) => `${k} ${v}`).join(', ')}`,
      );
    }
  }

  results.exactly_once = await exactlyOnce(database.db, acknowledged, unacknowledged);
  console.log({ exactly_once: results.exactly_once });
  // Issue 19's goals, each against its floor from this same run (the floors' most clients).
  const floorOf = (kind: string) => (results.floor as { kind: string; clients: number; stored_per_s: number; postgres_cpu_ms_per_message: number }[]).filter((f) => f.kind === kind).sort((a, b) => b.clients - a.clients)[0];
  const bare = floorOf('insert+notify');
  const fn = floorOf('send function');
  const step = sustainable ?? peak;
  results.ratios = {
    sustainable_of_bare_pct: bare && sustainable ? round((100 * sustainable.stored_per_s) / bare.stored_per_s) : 0,
    peak_of_send_function_pct: fn ? round((100 * peak.stored_per_s) / fn.stored_per_s) : null,
    postgres_cpu_per_message_vs_bare: bare ? round(step.cpu_ms_per_message.postgres! / bare.postgres_cpu_ms_per_message, 2) : null,
    postgres_cpu_step: step.kind === 'closed' ? `closed c=${step.load}` : `open ${step.load}/s`,
  };
  const best = open.filter(meets).sort((a, b) => b.stored_per_s - a.stored_per_s)[0];
  results.target = {
    rate: TARGET_RATE,
    p99_ms: TARGET_P99_MS,
    met: Boolean((sustainable && sustainable.stored_per_s >= TARGET_RATE) || (best && best.load >= TARGET_RATE)),
  };
} finally {
  await database.drop();
}

mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/send-throughput.json', `${JSON.stringify(results, null, 2)}\n`);
printTable(results);
process.exit(0);

/**
 * SQL statements a send costs, counted on the wire by a proxy in front of PostgreSQL (a second
 * instance, started through it; sequential sends, one at a time): the request alone (no stream
 * open for the recipient), then request plus live delivery (the recipient's stream on that instance).
 */
async function queriesPerSend(from: BenchUser[], to: BenchUser[], conversationIds: number[]) {
  const proxy = await countingProxy(database.url);
  const app = await startAppProcess(proxy.url);
  const heard = new Set<number>();
  const half = Math.floor(from.length / 2);
  const streams = await Promise.all(to.slice(half).map((r) => openStream(app.url, r.cookie, (event, data) => {
    const seq = /tp-(\d+)-x/.exec(data)?.[1];
    if (event === 'message' && seq) heard.add(Number(seq));
  })));
  await sleep(1500);
  const counts = async (indexes: number[], live: boolean) => {
    const out: number[] = [];
    for (const i of indexes) {
      // Three times from each sender, the third one counted: a session's first requests write it
      // (the daily renewal, the hourly touch), which is not a send's own cost.
      for (const pass of [0, 1, 2]) {
        const id = 1_000_000 + i * 3 + pass;
        const before = proxy.statements();
        const sent = await postMessage(app.url, from[i]!, conversationIds[i]!, `tp-${id}-x`);
        if (sent.status !== 303) throw new Error(`probe send: ${sent.status}`);
        if (live) for (let w = 0; w < 2000 && !heard.has(id); w += 5) await sleep(5);
        await sleep(100);
        if (pass === 2) out.push(proxy.statements() - before);
      }
    }
    return out.sort((a, b) => a - b);
  };
  const requestOnly = await counts([...Array(half).keys()], false);
  const withDelivery = await counts([...Array(from.length - half).keys()].map((k) => k + half), true);
  streams.forEach((s) => s.destroy());
  await app.stop();
  await proxy.close();
  return {
    send_request: percentile(requestOnly, 50),
    send_request_with_live_delivery: percentile(withDelivery, 50),
    note: 'median statements per message, one message at a time (a delivery batch of one); under load one batch of up to 500 messages costs the same four queries',
  };
}

/**
 * The floor, two ways, from `clients` concurrent pg clients on the same database, heard by a LISTEN:
 * - "insert+notify": a bare INSERT and NOTIFY in one statement (its own transaction, one round trip);
 * - "send function": the app's own send statement (courier_send_message: lock, limit count, insert
 *   with its indexes and audit trigger, watermarks, notification) called directly, without HTTP or
 *   the app; its limit is passed as a million so the bench's direct calls are never refused.
 */
async function floor(url: string, kind: 'insert+notify' | 'send function', clients: number, seconds: number, postgres: number, triples: (readonly [number, number, number])[]) {
  const setup = new pg.Client({ connectionString: url });
  await setup.connect();
  await setup.query('create table if not exists bench_floor (id bigserial primary key, sender_id bigint not null, body text not null, client_id uuid not null, created_at timestamptz not null default now())');
  await setup.query('create unique index if not exists bench_floor_client_idx on bench_floor (sender_id, client_id)');
  const listener = new pg.Client({ connectionString: url });
  await listener.connect();
  await listener.query('listen bench_floor');
  let heard = 0;
  listener.on('notification', () => (heard += 1));
  const writers = await Promise.all(
    Array.from({ length: clients }, async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      return c;
    }),
  );
  const bare = `with i as (insert into bench_floor (sender_id, body, client_id) values ($1, $2, $3) returning id, sender_id)
    select pg_notify('bench_floor', json_build_object('m', i.id, 's', i.sender_id)::text) from i`;
  const send = `select id from courier_send_message($1, $2, $3, $4, $5::uuid, '{}'::bigint[], 1000000, 60, ${LOCK_SPACES.messages}, 'bench_floor', null)`;
  const meter = new CpuMeter({ postgres: () => treeCpuSecondsOf(postgres), generator: selfCpuSeconds });
  const cpuFrom = meter.snapshot();
  const times: number[] = [];
  const start = performance.now();
  const stopAt = start + seconds * 1000;
  let last = start;
  await Promise.all(
    writers.map(async (c, w) => {
      for (let i = 0; performance.now() < stopAt; i++) {
        const t = performance.now();
        if (kind === 'insert+notify') await c.query(bare, [w, `floor ${i}`, randomUUID()]);
        else {
          // Each client has its own senders (a sender's sends queue on their lock, as in the app).
          const [conversation, sender, recipient] = triples[(w + i * clients) % triples.length]!;
          await c.query(send, [conversation, sender, recipient, `floor ${i}`, randomUUID()]);
        }
        last = performance.now();
        times.push(last - t);
      }
    }),
  );
  const cpu = meter.since(cpuFrom);
  for (let waited = 0; waited < 3000 && heard < times.length; waited += 20) await sleep(20);
  await Promise.all([...writers, listener].map((c) => c.end()));
  await setup.query('truncate bench_floor');
  await setup.end();
  times.sort((a, b) => a - b);
  const elapsed = (last - start) / 1000;
  return {
    kind,
    clients,
    seconds,
    stored: times.length,
    stored_per_s: Math.round(times.length / elapsed),
    p50_ms: round(percentile(times, 50), 2),
    p99_ms: round(percentile(times, 99), 2),
    heard,
    cpu,
    postgres_cpu_ms_per_message: round((cpu.postgres_pct! * 10 * elapsed) / times.length, 2),
  };
}

function printTable(r: Record<string, unknown>) {
  type Row = { kind: string; load: number; sent: number; shed?: number; acknowledged: number; delivered: number; stored_per_s: number; delivered_per_s: number; send_p50_ms: number; send_p99_ms: number; delivery_p50_ms: number; delivery_p99_ms: number; cpu: Record<string, number>; cpu_ms_per_message: Record<string, number> };
  const rows = [...((r.closed_loop as Row[]) ?? []), ...((r.open_loop as Row[]) ?? [])];
  console.log(`\nSend throughput, one instance, ${r.senders} senders each with a recipient holding a stream, ${STEP_SECONDS} s a step`);
  console.log('load            sent   acked  delivered  stored/s  delivered/s  send p50  send p99  deliv p50  deliv p99   CPU% app/pg/gen/others   CPU ms/msg app/pg/gen');
  for (const x of rows) {
    const load = x.kind === 'closed' ? `closed c=${x.load}` : `open ${x.load}/s`;
    console.log(
      `${load.padEnd(15)} ${String(x.sent).padStart(5)} ${String(x.acknowledged).padStart(7)} ${String(x.delivered).padStart(10)} ${String(x.stored_per_s).padStart(9)} ${String(x.delivered_per_s).padStart(12)} ` +
        `${String(x.send_p50_ms).padStart(9)} ${String(x.send_p99_ms).padStart(9)} ${String(x.delivery_p50_ms).padStart(10)} ${String(x.delivery_p99_ms).padStart(10)}   ${`${x.cpu.app_pct}/${x.cpu.postgres_pct}/${x.cpu.generator_pct}/${x.cpu.others_pct}`.padEnd(22)} ${x.cpu_ms_per_message.app}/${x.cpu_ms_per_message.postgres}/${x.cpu_ms_per_message.generator}` +
        (x.shed ? `  (${x.shed} not sent: ${MAX_IN_FLIGHT} in flight)` : ''),
    );
  }
  const floors = (r.floor as { kind: string; clients: number; stored_per_s: number; p50_ms: number; p99_ms: number; heard: number; stored: number; cpu: Record<string, number>; postgres_cpu_ms_per_message: number }[]) ?? [];
  console.log('\nFloor, same database, same run: a bare INSERT + NOTIFY (one statement), and the app\'s send statement called directly');
  console.log('statement      clients  stored/s  p50 ms  p99 ms  heard by LISTEN  pg CPU ms/msg   CPU% pg/gen/others');
  for (const f of floors) {
    console.log(
      `${f.kind.padEnd(14)} ${String(f.clients).padStart(7)} ${String(f.stored_per_s).padStart(9)} ${String(f.p50_ms).padStart(7)} ${String(f.p99_ms).padStart(7)} ${`${f.heard}/${f.stored}`.padStart(16)} ${String(f.postgres_cpu_ms_per_message).padStart(14)}   ${f.cpu.postgres_pct}/${f.cpu.generator_pct}/${f.cpu.others_pct}`,
    );
  }
  const q = r.queries as { send_request: number; send_request_with_live_delivery: number };
  if (q) console.log(`\nSQL statements per send (one at a time): ${q.send_request} for the request, ${q.send_request_with_live_delivery} with its live delivery`);
  const sustainable = r.max_sustainable as { concurrency: number; stored_per_s: number; delivered_per_s: number } | null;
  console.log(sustainable ? `max sustainable (both p99 < ${TARGET_P99_MS} ms): ${sustainable.stored_per_s}/s stored, ${sustainable.delivered_per_s}/s delivered at concurrency ${sustainable.concurrency}` : `no step kept both p99s under ${TARGET_P99_MS} ms`);
  const peak = r.peak as { concurrency: number; stored_per_s: number; send_p99_ms: number };
  if (peak) console.log(`peak: ${peak.stored_per_s}/s at concurrency ${peak.concurrency} (send p99 ${peak.send_p99_ms} ms)`);
  const ratios = r.ratios as { sustainable_of_bare_pct: number; peak_of_send_function_pct: number | null; postgres_cpu_per_message_vs_bare: number | null; postgres_cpu_step: string } | undefined;
  if (ratios) {
    console.log(`goal: max sustainable ≥ 50% of the bare INSERT+NOTIFY of this run: ${ratios.sustainable_of_bare_pct}%`);
    console.log(`goal: peak ≥ 70% of the send function's own rate of this run: ${ratios.peak_of_send_function_pct}%`);
    console.log(`goal: PostgreSQL CPU per message within 2x the bare statement's: ${ratios.postgres_cpu_per_message_vs_bare}x (at ${ratios.postgres_cpu_step})`);
  }
  const once = r.exactly_once as { acknowledged: number; stored_once: number; missing: number; duplicated: number; stored_without_ack: number };
  if (once) console.log(`exactly once: ${once.stored_once}/${once.acknowledged} acknowledged sends stored once, ${once.missing} missing, ${once.duplicated} twice, ${once.stored_without_ack} stored without an answer`);
  const target = r.target as { met: boolean };
  if (target) console.log(`target ${TARGET_RATE}/s with p99 < ${TARGET_P99_MS} ms: ${target.met ? 'met' : 'NOT met'}`);
  console.log('results in bench/results/send-throughput.json');
}
