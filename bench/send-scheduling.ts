// What the scheduling for away notifications costs the send path: a send's p99 with it, beside the
// figure before it. Target: the p99 grows by no more than 10%.
//
//   npm run bench:send-scheduling                       (defaults below; DATABASE_URL to use your server)
//   CONCURRENCY=8 ROUNDS=5 STEP_SECONDS=8 SETTLE_SECONDS=1 SENDERS=3000 npm run bench:send-scheduling
//
// The away work added two costs to courier_send_message, the one statement a message is stored by:
// migration 0018's partial index conversation_participants_unemailed_idx (kept up by every send's
// participant update; missed-message email is found later by a sweep, not scheduled by the send),
// and migration 0019's push job (graphile_worker.add_job when the recipient has a web-push device).
// Three variants on one database, switched between steps by SQL (the app calls the function by
// name, so `create or replace` swaps it live):
//   A  before: the function as it was (bench/fixtures/send-message-before-away.sql), no index;
//   B  now, no push device: db/send-message.sql and the index;
//   C  now, every recipient has a device: B plus a push_subscriptions row per recipient, bound to
//      their real session. Their pages are open and visible (each says so through POST
//      /messages/view, from the inbox: no thread open, so nothing is read on arrival). Since
//      migration 0021 the send queues no push job for them (it did before: each job ran its checks
//      and ended, and cost the send 16-23% of its p99); a job that did run and try a push would fail
//      (the endpoint is a closed local port), and be counted. Jobs queued, left and failed are
//      reported. A push that is really due (no page visible) is the push's own cost, not measured here.
// Every step starts from the same state: the function replaced, the index dropped and built again
// (B, C), the devices' table emptied and filled again (C), then analyzed.
//
// One app instance in its own process, with its job worker in-process (as the server runs it);
// every recipient holds an /events stream on it. Each message is the form post a browser makes
// without JS (a 303 is the acknowledgement), from its own sender: the app allows 20 messages a
// minute per person, so the load is spread over SENDERS people and none goes past it. Closed loop:
// C requests always in flight, for each concurrency in CONCURRENCY. ROUNDS rounds, each runs A, B
// and C in rotated order for STEP_SECONDS each (after SETTLE_SECONDS unmeasured, for the plans
// made again after the switch); after each step the push jobs are let finish before the next, so
// no step pays for another's. Interleaving is what keeps a shared, noisy machine fair to all three.
// p99 is given two ways: the median of the rounds' p99s (one noisy round moves it little) and the
// p99 of every send of the variant pooled; each is compared with A's.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { sql } from 'kysely';
import { PUSH_TASK } from '../src/messaging/away/push-queries.js';
import {
  benchDatabase,
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
} from './support.js';
import { idleMachine, SenderPool, warmSessions } from './senders.js';

const SENDERS = Number(process.env.SENDERS ?? 3000);
const CONCURRENCY = (process.env.CONCURRENCY ?? '8,32').split(',').map(Number);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const STEP_SECONDS = Number(process.env.STEP_SECONDS ?? 8);
const SETTLE_SECONDS = Number(process.env.SETTLE_SECONDS ?? 1);
const MAX_RATIO = 1.1;
const INDEX = 'conversation_participants_unemailed_idx';
const BEFORE_SQL = readFileSync('bench/fixtures/send-message-before-away.sql', 'utf8');
const NOW_SQL = readFileSync('db/send-message.sql', 'utf8');

type Variant = 'A' | 'B' | 'C';
const VARIANTS: Variant[] = ['A', 'B', 'C'];
const LABELS: Record<Variant, string> = { A: 'A before', B: 'B now, no push device', C: 'C now, device for all' };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

interface SendRecord {
  ms: number;
  status: number;
  end: number;
}

const database = await benchDatabase();
const { db } = database;
const results: Record<string, unknown> = {
  senders: SENDERS,
  rounds: ROUNDS,
  step_seconds: STEP_SECONDS,
  settle_seconds: SETTLE_SECONDS,
  max_ratio: MAX_RATIO,
  variants: LABELS,
  node: process.version,
};
const acknowledged: string[] = [];
const unacknowledged: string[] = [];
let retries = 0;
try {
  const idle = await idleMachine();
  console.log(`before the run, other processes used ${idle.others_pct}% of one core (of ${idle.machine_capacity_pct}%)`);
  results.machine_before = idle;

  console.log(`setting up ${SENDERS} senders and ${SENDERS} recipients…`);
  const senders = await createUsers(db, 's', SENDERS);
  const recipients = await createUsers(db, 'r', SENDERS);
  const recipientIds = recipients.map((r) => r.id);
  const conversations = await createConversations(db, senders.map((s, i) => [s.id, recipients[i]!.id]));
  // As the migrations made them: the index's definition and the function's, to rebuild and to check against.
  const indexDef = (await sql<{ def: string }>`select indexdef as def from pg_indexes where indexname = ${INDEX}`.execute(db)).rows[0]?.def;
  if (!indexDef) throw new Error(`${INDEX} is missing: the migrations no longer make it`);
  const functionDef = () => sql<{ def: string }>`select pg_get_functiondef('courier_send_message'::regproc) as def`.execute(db).then((r) => r.rows[0]!.def);
  const migratedDef = await functionDef();
  // The "before" fixture swaps in a function of the same signature. Migration 0022 (replies) gave
  // the send one more argument and more columns, so the fixture of the away work's "before" no
  // longer fits: this comparison stands as recorded in the README, and is not re-run on top.
  const signature = (def: string) => /FUNCTION public\.courier_send_message\(([^)]*)\)\s+RETURNS TABLE\(([^)]*)\)/.exec(def)?.slice(1).join(' -> ');
  if (signature(BEFORE_SQL) !== signature(migratedDef)) {
    throw new Error('bench/fixtures/send-message-before-away.sql has another signature than the send function the migrations make now (migration 0022 added replies); this bench compared the send before and after migration 0021, and its figures are in the README');
  }

  const app = await startAppProcess(database.url);
  const postgresPid = await postmasterPid(db);
  const meter = new CpuMeter({ app: () => cpuSecondsOf(app.pid), postgres: () => treeCpuSecondsOf(postgresPid), generator: selfCpuSeconds });
  // graphile-worker's tables exist once the app has booted. Its job ids count every job queued.
  const jobSequence = (await sql<{ seq: string }>`select pg_get_serial_sequence('graphile_worker._private_jobs', 'id') as seq`.execute(db)).rows[0]!.seq;
  const jobsQueuedSoFar = async () =>
    Number((await sql<{ n: string }>`select case when is_called then last_value else last_value - 1 end as n from ${sql.raw(jobSequence)}`.execute(db)).rows[0]!.n);
  const pushJobs = async () =>
    (await sql<{ pending: number; failed: number }>`
      select count(*) filter (where last_error is null)::int as pending, count(*) filter (where last_error is not null)::int as failed
        from graphile_worker.jobs where task_identifier = ${PUSH_TASK}`.execute(db)).rows[0]!;

  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  let events = 0;
  const streamIds = new Map<number, string>();
  const streams: http.ClientRequest[] = [];
  for (let i = 0; i < recipients.length; i += 500) {
    const chunk = recipients.slice(i, i + 500);
    streams.push(...(await Promise.all(chunk.map((r) => openStream(app.url, r.cookie, (event, data) => {
      events += 1;
      if (event === 'hello') streamIds.set(r.id, data);
    })))));
  }
  for (let waited = 0; waited < 5000 && streamIds.size < recipients.length; waited += 50) await sleep(50);
  // Each recipient's page says it is visible, on the inbox: their pushes are skipped for it.
  const views = await inParallel(recipients, 16, (r) => postForm(app.url, '/messages/view', r, { stream: streamIds.get(r.id) ?? '', visible: '1' }, agent));
  const visible = (await sql<{ visible: number; streams: number }>`
    select count(*) filter (where visible)::int as visible, count(*)::int as streams from event_streams where user_id = any(${recipientIds}::bigint[])`.execute(db)).rows[0]!;
  results.recipients_pages = { ...visible, view_reports_answered_204: views.filter((s) => s === 204).length };
  console.log(`${visible.streams} recipients hold a stream, ${visible.visible} of them visible (${views.filter((s) => s === 204).length} view reports answered 204)`);
  if (visible.visible !== recipients.length) throw new Error('not every recipient has a visible page: pushes would not be skipped');
  await warmSessions(app.url, senders, agent);

  const p256dh = Buffer.concat([Buffer.from([4]), randomBytes(64)]).toString('base64url');
  const auth = randomBytes(16).toString('base64url');
  async function useVariant(v: Variant): Promise<void> {
    await db.transaction().execute(async (trx) => {
      await sql.raw(v === 'A' ? BEFORE_SQL : NOW_SQL).execute(trx);
      await sql`drop index if exists ${sql.id(INDEX)}`.execute(trx);
      if (v !== 'A') await sql.raw(indexDef!).execute(trx);
      await sql`truncate push_subscriptions`.execute(trx);
      // Port 9 on this machine: a push that was not skipped would fail there, never leave it.
      if (v === 'C') {
        await sql`
          insert into push_subscriptions (user_id, endpoint, p256dh, auth, session_key)
          select s.user_id, 'https://127.0.0.1:9/bench-push/' || s.user_id, ${p256dh}, ${auth}, s.sid
            from session s where s.user_id = any(${recipientIds}::bigint[])`.execute(trx);
      }
    });
    await sql`analyze push_subscriptions`.execute(db);
    const def = await functionDef();
    if (v !== 'A' && def !== migratedDef) throw new Error('db/send-message.sql is not the function the migrations make');
    if (v === 'A' && def.includes(PUSH_TASK)) throw new Error('the fixture still queues a push job');
  }

  const pool = new SenderPool(SENDERS);
  let seq = 0;
  async function closedLoop(concurrency: number, seconds: number): Promise<{ records: SendRecord[]; start: number }> {
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
          const body = `sched-${seq++}`;
          const user: BenchUser = senders[sender]!;
          let outcome = await postMessage(app.url, user, conversations[sender]!, body, { agent });
          if (outcome.status === 0) {
            // Once more with the same client_id, as a client would: stored once either way.
            retries += 1;
            outcome = await postMessage(app.url, user, conversations[sender]!, body, { agent, clientId: outcome.clientId });
          }
          const end = performance.now();
          pool.release(sender, end);
          (outcome.status === 303 ? acknowledged : unacknowledged).push(outcome.clientId);
          records.push({ ms: end - from, status: outcome.status, end });
        }
      }),
    );
    return { records, start };
  }

  /** Waits (up to a minute) for the push jobs to finish, so the next step does not pay for them. */
  async function drainPushes(): Promise<{ ms: number; pending: number; failed: number }> {
    const from = performance.now();
    let jobs = await pushJobs();
    while (jobs.pending > 0 && performance.now() - from < 60_000) {
      await sleep(100);
      jobs = await pushJobs();
    }
    return { ms: Math.round(performance.now() - from), ...jobs };
  }

  async function step(v: Variant, concurrency: number, roundNo: number) {
    await useVariant(v);
    const jobsFrom = await jobsQueuedSoFar();
    const settle = await closedLoop(concurrency, SETTLE_SECONDS);
    const waitsBefore = pool.waits;
    const cpuFrom = meter.snapshot();
    const { records, start } = await closedLoop(concurrency, STEP_SECONDS);
    const cpu = meter.since(cpuFrom);
    const atEnd = await pushJobs();
    const drained = await drainPushes();
    const jobsQueued = (await jobsQueuedSoFar()) - jobsFrom;
    const acked = records.filter((r) => r.status === 303);
    const elapsed = (records.reduce((m, r) => Math.max(m, r.end), start) - start) / 1000;
    const latencies = records.map((r) => r.ms).sort((a, b) => a - b);
    const statuses: Record<string, number> = {};
    for (const r of records) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    const row = {
      concurrency,
      round: roundNo,
      variant: v,
      sent: records.length,
      acknowledged: acked.length,
      statuses,
      per_s: Math.round(acked.length / elapsed),
      p50_ms: round(percentile(latencies, 50)),
      p99_ms: round(percentile(latencies, 99)),
      max_ms: round(latencies[latencies.length - 1] ?? NaN),
      latencies,
      // Settling sends queue jobs too: the jobs expected are every acknowledged send of the step.
      jobs: {
        acknowledged_in_step: acked.length + settle.records.filter((r) => r.status === 303).length,
        queued: jobsQueued,
        push_pending_at_end: atEnd.pending,
        drain_ms: drained.ms,
        push_left_after_drain: drained.pending,
        push_failed: drained.failed,
      },
      sender_pool_waits: pool.waits - waitsBefore,
      cpu,
    };
    console.log(
      `c=${concurrency} round ${roundNo} ${LABELS[v].padEnd(22)} ${String(row.per_s).padStart(5)}/s  p50 ${row.p50_ms} ms  p99 ${row.p99_ms} ms  ` +
        `jobs queued ${jobsQueued} for ${row.jobs.acknowledged_in_step} sends (push pending at end ${atEnd.pending}, drained in ${drained.ms} ms, failed ${drained.failed})  ` +
        `CPU app ${cpu.app_pct}% pg ${cpu.postgres_pct}% gen ${cpu.generator_pct}% others ${cpu.others_pct}%` +
        (row.sender_pool_waits ? `  (${row.sender_pool_waits} waits for a sender under the limit: SENDERS is too few)` : ''),
    );
    return row;
  }

  // Warm-up, not reported: every variant's path once (templates, JIT, the pool's connections, the push task).
  for (const v of VARIANTS) {
    await useVariant(v);
    await closedLoop(8, 2);
    await drainPushes();
  }

  const blocks = [];
  for (const concurrency of CONCURRENCY) {
    const steps: Awaited<ReturnType<typeof step>>[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      // Rotated: each variant takes each place in the round in turn.
      for (let k = 0; k < VARIANTS.length; k++) steps.push(await step(VARIANTS[(r + k) % VARIANTS.length]!, concurrency, r + 1));
    }
    blocks.push({ concurrency, summary: summarise(concurrency, steps), steps: steps.map(({ latencies: _latencies, ...rest }) => rest) });
  }
  results.closed_loop = blocks;
  results.events_received = events;
  results.retries = retries;
  results.push_jobs_failed_at_end = (await pushJobs()).failed;

  streams.forEach((s) => s.destroy());
  await app.stop();
  agent.destroy();
  await useVariant('B');
  const restored = (await sql<{ n: number }>`select count(*)::int as n from pg_indexes where indexname = ${INDEX}`.execute(db)).rows[0]!.n === 1 && (await functionDef()) === migratedDef;
  results.restored = restored;
  results.exactly_once = await exactlyOnce(db, acknowledged, unacknowledged);
} finally {
  await database.drop();
}

mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/send-scheduling.json', `${JSON.stringify(results, null, 2)}\n`);
printTable(results);
process.exit(0);

interface Summary {
  variant: Variant;
  per_s: number;
  p50_ms: number;
  p99_ms_median: number;
  p99_ms_pooled: number;
  p99_ms_rounds: number[];
  ratio_median?: number;
  ratio_pooled?: number;
  pass_median?: boolean;
  pass_pooled?: boolean;
  others_cpu_pct: number;
  jobs_queued: number;
  acknowledged: number;
  push_pending_at_end_max: number;
  push_failed: number;
}

function summarise(concurrency: number, steps: { variant: Variant; per_s: number; p50_ms: number; p99_ms: number; latencies: number[]; cpu: Record<string, number>; jobs: { queued: number; acknowledged_in_step: number; push_pending_at_end: number; push_failed: number } }[]): Summary[] {
  const rows = VARIANTS.map((v) => {
    const mine = steps.filter((s) => s.variant === v);
    const pooled = mine.flatMap((s) => s.latencies).sort((a, b) => a - b);
    return {
      variant: v,
      per_s: Math.round(median(mine.map((s) => s.per_s))),
      p50_ms: round(median(mine.map((s) => s.p50_ms))),
      p99_ms_median: round(median(mine.map((s) => s.p99_ms))),
      p99_ms_pooled: round(percentile(pooled, 99)),
      p99_ms_rounds: mine.map((s) => s.p99_ms),
      others_cpu_pct: round(median(mine.map((s) => s.cpu.others_pct!))),
      jobs_queued: mine.reduce((n, s) => n + s.jobs.queued, 0),
      acknowledged: mine.reduce((n, s) => n + s.jobs.acknowledged_in_step, 0),
      push_pending_at_end_max: Math.max(...mine.map((s) => s.jobs.push_pending_at_end)),
      push_failed: Math.max(...mine.map((s) => s.jobs.push_failed)),
    } as Summary;
  });
  const before = rows[0]!;
  for (const row of rows.slice(1)) {
    row.ratio_median = round(row.p99_ms_median / before.p99_ms_median, 3);
    row.ratio_pooled = round(row.p99_ms_pooled / before.p99_ms_pooled, 3);
    row.pass_median = row.ratio_median <= MAX_RATIO;
    row.pass_pooled = row.ratio_pooled <= MAX_RATIO;
  }
  console.log(`c=${concurrency}: ${rows.map((r) => `${r.variant} p99 ${r.p99_ms_median} ms (pooled ${r.p99_ms_pooled})${r.ratio_median ? `, ×${r.ratio_median} (pooled ×${r.ratio_pooled})` : ''}`).join('; ')}`);
  return rows;
}

/** Runs `work` over `items`, `width` at a time; the answers in order. */
async function inParallel<T, R>(items: T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i]!);
      }
    }),
  );
  return out;
}

function postForm(base: string, path: string, user: BenchUser, fields: Record<string, string>, agent: http.Agent): Promise<number> {
  const form = new URLSearchParams({ ...fields, _csrf: user.csrf }).toString();
  return new Promise((resolve) => {
    const req = http.request(`${base}${path}`, { method: 'POST', agent, headers: { Cookie: user.cookie, 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(form) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end(form);
  });
}

/**
 * A session's first requests on an instance write it (the daily renewal, then the touch every few
 * minutes): real, but not per message. Two cheap requests per sender first, so a step measures a
 * send's steady cost.
 */
function printTable(r: Record<string, unknown>) {
  const blocks = (r.closed_loop as { concurrency: number; summary: Summary[] }[]) ?? [];
  const verdict = (ratio: number | undefined, pass: boolean | undefined) => (ratio === undefined ? '' : `${ratio.toFixed(2)} ${pass ? 'PASS' : 'FAIL'}`);
  for (const block of blocks) {
    console.log(`\nSend path p99 with the away scheduling, closed loop c=${block.concurrency}: ${ROUNDS} rounds, ${STEP_SECONDS} s per variant per round (rotated), ${SENDERS} senders, every recipient's page open and visible`);
    console.log('variant                   msg/s  p50 ms  p99 ms median  p99 ms pooled  p99/A median  p99/A pooled  others CPU%  jobs queued/acked  p99 per round (ms)');
    for (const x of block.summary) {
      console.log(
        `${LABELS[x.variant].padEnd(24)} ${String(x.per_s).padStart(6)} ${String(x.p50_ms).padStart(7)} ${String(x.p99_ms_median).padStart(14)} ${String(x.p99_ms_pooled).padStart(14)} ` +
          `${verdict(x.ratio_median, x.pass_median).padStart(13)} ${verdict(x.ratio_pooled, x.pass_pooled).padStart(13)} ${String(x.others_cpu_pct).padStart(12)} ${`${x.jobs_queued}/${x.acknowledged}`.padStart(18)}  ${x.p99_ms_rounds.join(' ')}`,
      );
    }
    const c = block.summary.find((x) => x.variant === 'C');
    if (c) console.log(`push jobs (C): ${c.jobs_queued} queued for ${c.acknowledged} acknowledged sends, at most ${c.push_pending_at_end_max} still pending as a step ended, ${c.push_failed} failed (none may: a failure means a push was tried)`);
  }
  console.log(`\npass: p99 ratio ≤ ${MAX_RATIO.toFixed(2)}; "jobs queued" counts every job the queue took in those steps (A and B: background sweeps only)`);
  const once = r.exactly_once as { acknowledged: number; stored_once: number; missing: number; duplicated: number; stored_without_ack: number } | undefined;
  if (once) console.log(`exactly once: ${once.stored_once}/${once.acknowledged} acknowledged sends stored once, ${once.missing} missing, ${once.duplicated} twice, ${once.stored_without_ack} stored without an answer`);
  console.log(`current function and index restored: ${r.restored ? 'yes' : 'NO'}; retries ${r.retries}`);
  console.log('results in bench/results/send-scheduling.json');
}
