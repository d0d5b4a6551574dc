// Real-time delivery across two app instances: latency from a message's scheduled send time to
// its arrival on the recipient's event stream, at fixed send rates, beside the bare PostgreSQL
// INSERT+NOTIFY round trip; then how many idle streams one instance holds and what each costs.
//
//   npm run bench:realtime                      (defaults below; DATABASE_URL to use your server)
//   RECIPIENTS=1000 RATES=50,200,500 SECONDS=5 REPEATS=3 IDLE_STREAMS=10000 npm run bench:realtime
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import { benchDatabase, createConversations, createUsers, openStream, percentile, round, rssOf, send, startAppProcess } from './support.js';

const RECIPIENTS = Number(process.env.RECIPIENTS ?? 1000);
const RATES = (process.env.RATES ?? '50,200,500').split(',').map(Number);
const SECONDS = Number(process.env.SECONDS ?? 5);
// A shared 2-core machine has stalls of tens of milliseconds now and then (other processes, GC):
// each rate runs several times and the median of the runs is reported, with every run's figures.
const REPEATS = Number(process.env.REPEATS ?? 3);
const IDLE_STREAMS = Number(process.env.IDLE_STREAMS ?? 10000);
const HEAP_CAP_MB = Number(process.env.HEAP_CAP_MB ?? 256);

const database = await benchDatabase();
const results: Record<string, unknown> = { recipients: RECIPIENTS, seconds: SECONDS, repeats: REPEATS, node: process.version };
try {
  console.log(`setting up ${RECIPIENTS} senders and recipients…`);
  const senders = await createUsers(database.db, 's', RECIPIENTS);
  const recipients = await createUsers(database.db, 'r', RECIPIENTS);
  const conversations = await createConversations(database.db, senders.map((s, i) => [s.id, recipients[i]!.id]));
  const [a, b] = await Promise.all([startAppProcess(database.url), startAppProcess(database.url)]);

  // Every recipient has one page open, half on each instance.
  const arrivals = new Map<number, number>();
  const eventCounts = new Map<string, number>();
  await Promise.all(
    recipients.map((r, i) =>
      openStream(i % 2 ? b.url : a.url, r.cookie, (event, data) => {
        eventCounts.set(event, (eventCounts.get(event) ?? 0) + 1);
        if (event !== 'message') return;
        const seq = /bench (\d+)/.exec(data)?.[1];
        if (seq) arrivals.set(Number(seq), performance.now());
      }),
    ),
  );
  console.log(`${RECIPIENTS} streams open across two instances`);
  // Let the instances finish the presence work those openings caused, so it does not bleed into the timings.
  await new Promise((resolve) => setTimeout(resolve, 5000));

  let seq = 0;
  const steps: { rate: number; sent: number; acknowledged: number; delivered: number; p50_ms: number; p99_ms: number; max_ms: number }[] = [];
  // A warm-up round at the lowest rate, not reported: compiled templates, JIT, pools filled.
  for (const [index, rate] of [RATES[0]!, ...RATES.flatMap((r) => Array<number>(REPEATS).fill(r))].entries()) {
    const warmUp = index === 0;
    const scheduled = new Map<number, number>();
    const acks: Promise<number>[] = [];
    const total = rate * SECONDS;
    const start = performance.now() + 100;
    await new Promise<void>((resolve) => {
      let sent = 0;
      const tick = () => {
        const now = performance.now();
        while (sent < total && start + (sent * 1000) / rate <= now) {
          const id = seq++;
          const pair = id % RECIPIENTS;
          scheduled.set(id, start + (sent * 1000) / rate);
          // Sent through the instance that does not hold the recipient's stream: every message crosses instances.
          acks.push(send(pair % 2 ? a.url : b.url, senders[pair]!, conversations[pair]!, `bench ${id}`));
          sent += 1;
        }
        // Sleep until the next send is due (a busy loop would take a core from the servers).
        if (sent < total) setTimeout(tick, Math.max(0, start + (sent * 1000) / rate - performance.now()));
        else resolve();
      };
      tick();
    });
    const statuses = await Promise.all(acks);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const latencies = [...scheduled].filter(([id]) => arrivals.has(id)).map(([id, at]) => arrivals.get(id)! - at).sort((x, y) => x - y);
    const step = {
      rate,
      sent: total,
      acknowledged: statuses.filter((s) => s === 303).length,
      delivered: latencies.length,
      p50_ms: round(percentile(latencies, 50)),
      p99_ms: round(percentile(latencies, 99)),
      max_ms: round(latencies[latencies.length - 1] ?? NaN),
    };
    if (warmUp) continue;
    steps.push(step);
    console.log(step);
  }
  results.runs = steps;
  results.delivery = RATES.map((rate) => {
    const runs = steps.filter((s) => s.rate === rate);
    const median = (values: number[]) => percentile([...values].sort((x, y) => x - y), 50);
    return {
      rate,
      runs: runs.length,
      sent: runs.reduce((n, s) => n + s.sent, 0),
      acknowledged: runs.reduce((n, s) => n + s.acknowledged, 0),
      delivered: runs.reduce((n, s) => n + s.delivered, 0),
      p50_ms: round(median(runs.map((s) => s.p50_ms))),
      p99_ms: round(median(runs.map((s) => s.p99_ms))),
      p99_each_run_ms: runs.map((s) => s.p99_ms),
    };
  });
  results.events_received = Object.fromEntries(eventCounts);
  console.log({ events: results.events_received });
  results.baseline = await insertNotifyRoundTrip(database.url, 500);
  console.log({ baseline: results.baseline });
  await Promise.all([a.stop(), b.stop()]);

  results.idle = await idleStreams(IDLE_STREAMS);
  results.idle_floor = await idleFloor(IDLE_STREAMS);
  console.log({ idle: results.idle, floor: results.idle_floor });
} finally {
  await database.drop();
}

mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/realtime.json', `${JSON.stringify(results, null, 2)}\n`);
printTable(results);
process.exit(0);

/** The floor: one INSERT and NOTIFY in a transaction, heard by a LISTEN connection, sequentially. */
async function insertNotifyRoundTrip(url: string, count: number) {
  const listener = new pg.Client({ connectionString: url });
  const writer = new pg.Client({ connectionString: url });
  await Promise.all([listener.connect(), writer.connect()]);
  await writer.query('create temporary table probe (id serial primary key, body text)');
  await listener.query('listen bench_probe');
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const heard = new Promise<void>((resolve) => listener.once('notification', () => resolve()));
    const started = performance.now();
    await writer.query('begin');
    await writer.query('insert into probe (body) values ($1)', [`probe ${i}`]);
    await writer.query(`select pg_notify('bench_probe', $1)`, [String(i)]);
    await writer.query('commit');
    await heard;
    times.push(performance.now() - started);
  }
  await Promise.all([listener.end(), writer.end()]);
  times.sort((x, y) => x - y);
  return { count, p50_ms: round(percentile(times, 50), 2), p99_ms: round(percentile(times, 99), 2) };
}

/** Opens `count` idle streams on one fresh instance and reads its resident memory before and after. */
async function idleStreams(count: number) {
  const users = await createUsers(database.db, 'idle', count);
  // A capped heap makes V8 collect the garbage that opening streams leaves behind instead of
  // growing into it, so resident memory shows what the streams really keep (uncapped, RSS also
  // counts that uncollected garbage: about 56 KB a stream here).
  const app = await startAppProcess(database.url, [`--max-old-space-size=${HEAP_CAP_MB}`]);
  // Warm up code paths (and the first allocations) with a few streams, then measure from there.
  const warm = await Promise.all(users.slice(0, 50).map((u) => openStream(app.url, u.cookie, () => {})));
  await new Promise((resolve) => setTimeout(resolve, 500));
  warm.forEach((req) => req.destroy());
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const before = rssOf(app.pid);
  const open = [];
  for (let i = 0; i < users.length; i += 500) {
    open.push(...(await Promise.all(users.slice(i, i + 500).map((u) => openStream(app.url, u.cookie, () => {})))));
  }
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const after = rssOf(app.pid);
  open.forEach((req) => req.destroy());
  await app.stop();
  return { streams: open.length, heap_cap_mb: HEAP_CAP_MB, rss_before_mb: round(before / 2 ** 20), rss_after_mb: round(after / 2 ** 20), bytes_per_stream: Math.round((after - before) / open.length) };
}

/** The same measurement on a bare node:http server that only holds the streams. */
async function idleFloor(count: number) {
  const port = 20000 + Math.floor(Math.random() * 10000);
  const child = spawn(process.execPath, ['bench/sse-floor-server.mjs', String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve) => child.stdout!.once('data', resolve));
  const url = `http://127.0.0.1:${port}`;
  const warm = await Promise.all(Array.from({ length: 50 }, () => openStream(url, '', () => {})));
  warm.forEach((req) => req.destroy());
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const before = rssOf(child.pid!);
  const open = [];
  for (let i = 0; i < count; i += 500) open.push(...(await Promise.all(Array.from({ length: Math.min(500, count - i) }, () => openStream(url, '', () => {})))));
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const after = rssOf(child.pid!);
  open.forEach((req) => req.destroy());
  child.kill();
  return { streams: open.length, bytes_per_stream: Math.round((after - before) / open.length) };
}

function printTable(r: Record<string, unknown>) {
  const delivery = r.delivery as { rate: number; sent: number; acknowledged: number; delivered: number; p50_ms: number; p99_ms: number; p99_each_run_ms: number[] }[];
  console.log(`\nReal-time delivery, ${r.recipients} recipients on two instances, ${r.seconds} s a run, median of ${REPEATS} runs per rate`);
  console.log('rate/s  sent  acked  delivered  p50 ms  p99 ms  p99 of each run');
  for (const d of delivery) console.log(`${String(d.rate).padStart(6)} ${String(d.sent).padStart(5)} ${String(d.acknowledged).padStart(6)} ${String(d.delivered).padStart(10)} ${String(d.p50_ms).padStart(7)} ${String(d.p99_ms).padStart(7)}  ${d.p99_each_run_ms.join(' / ')}`);
  const base = r.baseline as { p50_ms: number; p99_ms: number };
  console.log(`bare INSERT+NOTIFY round trip: p50 ${base.p50_ms} ms, p99 ${base.p99_ms} ms`);
  const idle = r.idle as { streams: number; bytes_per_stream: number; rss_before_mb: number; rss_after_mb: number };
  console.log(`idle streams on one instance: ${idle.streams}, RSS ${idle.rss_before_mb} → ${idle.rss_after_mb} MB, ${idle.bytes_per_stream} bytes each`);
  const floor = r.idle_floor as { streams: number; bytes_per_stream: number };
  console.log(`floor, bare node:http holding ${floor.streams} streams: ${floor.bytes_per_stream} bytes each`);
}
