// A flood of event-stream connects by one person, and what another person's inbox feels of it.
// One person opens CONNECTS streams (CONCURRENCY at a time, holding every one that is accepted)
// while another loads GET /messages in a closed loop; the same loop first runs alone as the
// baseline. The goal (hardening issue, item 4): their p95 stays under 300 ms with no errors, and
// the flooder never holds more than 20 streams.
//
//   npm run bench:streams                         (defaults below; DATABASE_URL to use your server)
//   CONNECTS=2000 CONCURRENCY=500 SECONDS=5 npm run bench:streams
import http from 'node:http';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { benchDatabase, createConversations, createUsers, percentile, round, rssOf, startAppProcess, type BenchUser } from './support.js';

const CONNECTS = Number(process.env.CONNECTS ?? 2000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 500);
const SECONDS = Number(process.env.SECONDS ?? 5);

const database = await benchDatabase();
const pageAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });
const results: Record<string, unknown> = { connects: CONNECTS, concurrency: CONCURRENCY, node: process.version };
try {
  const [flooder, reader, ...others] = await createUsers(database.db, 'f', 22);
  await createConversations(database.db, others.map((o) => [reader!.id, o.id] as [number, number]));
  const app = await startAppProcess(database.url);
  try {
    for (let i = 0; i < 20; i += 1) await getPage(app.url, reader!, '/messages');

    const baseline = await readerLoop(app.url, reader!, SECONDS * 1000, () => false);
    report('baseline (no flood)', baseline);
    const fdsBefore = fdsOf(app.pid);
    const rssBefore = rssOf(app.pid);

    let flooding = true;
    const flood = floodStreams(app.url, flooder!).finally(() => (flooding = false));
    // The reader's loop runs while the flood lasts, and at least SECONDS.
    const during = await readerLoop(app.url, reader!, SECONDS * 1000, () => flooding);
    const outcome = await flood;
    report('during the flood', during);
    const held = outcome.open();
    console.log(`flood: ${CONNECTS} connects in ${round(outcome.ms)} ms: ${JSON.stringify(outcome.statuses)}; streams the flooder still holds: ${held}`);
    console.log(`app: file descriptors ${fdsBefore} -> ${fdsOf(app.pid)}, RSS ${round(rssBefore / 1048576)} -> ${round(rssOf(app.pid) / 1048576)} MB`);
    outcome.closeAll();

    results.baseline = summary(baseline);
    results.during = summary(during);
    results.flood = { ms: round(outcome.ms), statuses: outcome.statuses, held_at_end: held, fds_before: fdsBefore, fds_after: fdsOf(app.pid) };
    const ok = percentile(during.ms, 95) < 300 && during.errors === 0 && held <= 20;
    results.target = { p95_under_ms: 300, no_errors: true, at_most_streams: 20, met: ok };
    console.log(ok ? 'target met: p95 under 300 ms, no errors, at most 20 streams held' : 'TARGET NOT MET');
  } finally {
    await app.stop();
  }
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/stream-flood.json', `${JSON.stringify(results, null, 2)}\n`);
} finally {
  pageAgent.destroy();
  await database.drop();
}

interface Loop {
  ms: number[];
  errors: number;
  statuses: Record<string, number>;
}

/** GET /messages one after another until `durationMs` has passed and `more()` is false. */
async function readerLoop(baseUrl: string, user: BenchUser, durationMs: number, more: () => boolean): Promise<Loop> {
  const loop: Loop = { ms: [], errors: 0, statuses: {} };
  const until = Date.now() + durationMs;
  while (Date.now() < until || more()) {
    const started = performance.now();
    const status = await getPage(baseUrl, user, '/messages');
    loop.ms.push(performance.now() - started);
    loop.statuses[status] = (loop.statuses[status] ?? 0) + 1;
    if (status !== 200) loop.errors += 1;
  }
  loop.ms.sort((a, b) => a - b);
  return loop;
}

function getPage(baseUrl: string, user: BenchUser, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(`${baseUrl}${path}`, { agent: pageAgent, headers: { Cookie: user.cookie, 'Accept-Encoding': 'br' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
  });
}

/** CONNECTS opens of /events by one person, CONCURRENCY in flight; accepted streams are held open. */
async function floodStreams(baseUrl: string, user: BenchUser) {
  const statuses: Record<string, number> = {};
  const streams = new Set<http.IncomingMessage>();
  const started = performance.now();
  let next = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      const req = http.get(`${baseUrl}/events`, { agent: false, headers: { Cookie: user.cookie, Accept: 'text/event-stream' } }, (res) => {
        const key = String(res.statusCode);
        statuses[key] = (statuses[key] ?? 0) + 1;
        if (res.statusCode === 200) {
          streams.add(res);
          res.on('close', () => streams.delete(res));
          res.resume();
        } else res.resume();
        resolve();
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        const key = `error ${err.code ?? err.message}`;
        statuses[key] = (statuses[key] ?? 0) + 1;
        resolve();
      });
    });
  const worker = async () => {
    while (next < CONNECTS) {
      next += 1;
      await one();
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, CONNECTS) }, worker));
  const ms = performance.now() - started;
  // Closes by the server reach us a moment later.
  await new Promise((r) => setTimeout(r, 500));
  return { statuses, ms, open: () => streams.size, closeAll: () => streams.forEach((s) => s.destroy()) };
}

function fdsOf(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

function summary(loop: Loop) {
  return { requests: loop.ms.length, errors: loop.errors, statuses: loop.statuses, p50_ms: round(percentile(loop.ms, 50)), p95_ms: round(percentile(loop.ms, 95)), max_ms: round(loop.ms.at(-1) ?? NaN) };
}

function report(what: string, loop: Loop): void {
  const s = summary(loop);
  console.log(`${what.padEnd(22)} GET /messages x${s.requests}: p50 ${s.p50_ms} ms, p95 ${s.p95_ms} ms, max ${s.max_ms} ms, errors ${s.errors} ${JSON.stringify(s.statuses)}`);
}
