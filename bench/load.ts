// Load test: VUS logged-in people for DURATION seconds against one app instance, each doing what a
// person with the app open does: reads the inbox, opens a thread, polls its tail, holds an event
// stream and sends below the rate limit. Goals: no 5xx, p95 of page requests under 300 ms on this
// machine, every acknowledged message stored exactly once.
//
//   npm run bench:load                                  (defaults below; DATABASE_URL to use your server)
//   VUS=200 DURATION=180 RAMP_SECONDS=10 POLL=always npm run bench:load
//
// Each virtual user (VU) is a browser with JS: its own keep-alive agent (6 sockets, as a browser
// per host), gzip/br accepted, htmx headers on fragment requests, and one /events stream held
// throughout. Its journey, until the time is up:
//   1. GET /messages (the inbox page), think 1-3 s;
//   2. GET /messages/:id (one of its threads, at random), then stay 15-40 s on it:
//      - the tail poll, GET /messages/:id/tail?from=..&v=..&seen=1 (the URL the page itself holds,
//        304 while the thread's version is unchanged) every 4 s, and at once when an event says
//        the thread changed (as public/js/behaviours/live.js does, one in flight and one queued at most);
//      - the navbar badge, GET /messages/badge?v=.., every 15 s;
//      - a message every 3.5-5 s (at most 17 a minute, under the limit of 20): the htmx form post,
//        multipart as the composer sends it with attachments on, with _csrf and a client_id UUID;
//        retried once with the same client_id if the connection fails;
//   3. back to 1.
// POLL=always (the default) keeps the timed polls going while the stream is live: heavier than a
// browser, whose app.js skips timed polls while its stream is up (POLL=events does the same).
// Latency counts from the moment a request is sent to the end of its answer.
import http from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import zlib from 'node:zlib';
import { sql } from 'kysely';
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
  postmasterPid,
  round,
  rssOf,
  selfCpuSeconds,
  startAppProcess,
  treeCpuSecondsOf,
  type BenchUser,
} from './support.js';

const VUS = Number(process.env.VUS ?? 200);
const DURATION = Number(process.env.DURATION ?? 180);
const RAMP_SECONDS = Number(process.env.RAMP_SECONDS ?? 10);
const POLL = process.env.POLL === 'events' ? 'events' : 'always';
/** Each VU has a conversation with the next PARTNERS VUs (so 2 x PARTNERS conversations each). */
const PARTNERS = Number(process.env.PARTNERS ?? 3);
const SEED_MESSAGES = Number(process.env.SEED_MESSAGES ?? 40);
const QUERY_PROBE = process.env.QUERY_PROBE !== '0';
const PAGE_P95_TARGET_MS = 300;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const between = (low: number, high: number) => low + Math.random() * (high - low);

type Kind = 'inbox page' | 'thread page' | 'tail poll' | 'badge poll' | 'send' | 'events open';
const KINDS: Kind[] = ['inbox page', 'thread page', 'tail poll', 'badge poll', 'send', 'events open'];

interface Answer {
  status: number;
  body: string;
  ms: number;
}

const connectionErrors: Record<string, number> = {};
let getRetries = 0;

/**
 * One HTTP request as a browser makes it; the body is read (and decompressed) only when asked for.
 * A GET that fails on its connection (the server closing an idle keep-alive socket just as it is
 * reused) is sent again once on a fresh one, as browsers do for idempotent requests; each such
 * error is counted by its code. Latency counts from the first try.
 */
async function request(url: string, options: { method?: string; agent?: http.Agent; headers: Record<string, string | number>; body?: Buffer; read?: boolean }): Promise<Answer> {
  const started = performance.now();
  const first = await requestOnce(url, options);
  if (first.status !== 0 || (options.method ?? 'GET') !== 'GET') return first;
  getRetries += 1;
  const again = await requestOnce(url, options);
  return { ...again, ms: performance.now() - started };
}

function requestOnce(url: string, options: { method?: string; agent?: http.Agent; headers: Record<string, string | number>; body?: Buffer; read?: boolean }): Promise<Answer> {
  const started = performance.now();
  const failed = (err: NodeJS.ErrnoException) => {
    const code = err.code ?? err.message;
    connectionErrors[code] = (connectionErrors[code] ?? 0) + 1;
    return { status: 0, body: '', ms: performance.now() - started };
  };
  return new Promise((resolve) => {
    const req = http.request(url, { method: options.method ?? 'GET', agent: options.agent, headers: { 'Accept-Encoding': 'gzip, deflate, br', ...options.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => {
        if (options.read) chunks.push(chunk);
      });
      res.on('end', () => {
        const ms = performance.now() - started;
        let body = '';
        if (options.read && chunks.length) {
          const raw = Buffer.concat(chunks);
          const encoding = res.headers['content-encoding'];
          body = (encoding === 'gzip' ? zlib.gunzipSync(raw) : encoding === 'br' ? zlib.brotliDecompressSync(raw) : encoding === 'deflate' ? zlib.inflateSync(raw) : raw).toString('utf8');
        }
        resolve({ status: res.statusCode ?? 0, body, ms });
      });
      res.on('error', (err) => resolve(failed(err)));
    });
    req.on('error', (err) => resolve(failed(err)));
    req.end(options.body);
  });
}

/** The composer's form as htmx posts it (multipart: attachments are on), with an empty file input. */
function composerForm(csrf: string, clientId: string, text: string): { body: Buffer; type: string } {
  const boundary = `----courierbench${randomUUID().replace(/-/g, '')}`;
  const field = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const body =
    field('_csrf', csrf) +
    field('client_id', clientId) +
    field('body', text) +
    `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename=""\r\nContent-Type: application/octet-stream\r\n\r\n\r\n` +
    `--${boundary}--\r\n`;
  return { body: Buffer.from(body), type: `multipart/form-data; boundary=${boundary}` };
}

const tailUrlIn = (html: string) => /hx-get="(\/messages\/\d+\/tail\?from=\d+&amp;v=\d+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
const badgeUrlIn = (html: string) => /hx-get="(\/messages\/badge\?v=\d+)"/.exec(html)?.[1];

const database = await benchDatabase();
const results: Record<string, unknown> = { vus: VUS, duration_s: DURATION, ramp_s: RAMP_SECONDS, poll: POLL, partners: PARTNERS, seed_messages: SEED_MESSAGES, node: process.version };
const latencies = new Map<Kind, number[]>(KINDS.map((k) => [k, []]));
const statuses = new Map<Kind, Record<string, number>>(KINDS.map((k) => [k, {}]));
const tailByStatus: Record<string, number[]> = {};
const eventCounts: Record<string, number> = {};
const acknowledged: string[] = [];
const unacknowledged: string[] = [];
const sentAt = new Map<string, number>();
/** The recipient of each message sent (by its token), and when each VU's stream opened. */
const recipientOf = new Map<string, number>();
const streamOpenAt = new Map<number, number>();
const deliveryMs: number[] = [];
let retries = 0;
let refused429 = 0;

function record(kind: Kind, answer: Answer): void {
  latencies.get(kind)!.push(answer.ms);
  const counts = statuses.get(kind)!;
  counts[answer.status] = (counts[answer.status] ?? 0) + 1;
  if (kind === 'tail poll') (tailByStatus[answer.status] ??= []).push(answer.ms);
}

try {
  const before = new CpuMeter({ generator: selfCpuSeconds });
  const idleFrom = before.snapshot();
  await sleep(3000);
  results.machine_before = before.since(idleFrom);
  console.log(`before the run, other processes used ${(results.machine_before as Record<string, number>).others_pct}% of one core (of 200%)`);

  console.log(`setting up ${VUS} people, ${VUS * PARTNERS} conversations, ${SEED_MESSAGES} messages each…`);
  const users = await createUsers(database.db, 'vu', VUS);
  const pairs: [number, number][] = [];
  for (let i = 0; i < VUS; i++) for (let k = 1; k <= PARTNERS; k++) pairs.push([users[i]!.id, users[(i + k) % VUS]!.id]);
  const conversationIds = await createConversations(database.db, pairs);
  const threadsOf = new Map<number, { id: number; other: number }[]>(users.map((u) => [u.id, []]));
  pairs.forEach(([a, b], i) => {
    threadsOf.get(a)!.push({ id: conversationIds[i]!, other: b });
    threadsOf.get(b)!.push({ id: conversationIds[i]!, other: a });
  });
  await seedMessages();
  const probeUsers = await createUsers(database.db, 'probe', 2);
  const [probeConversation] = await createConversations(database.db, [[probeUsers[0]!.id, probeUsers[1]!.id]]);
  await seedMessages();

  if (QUERY_PROBE) {
    results.queries_per_request = await queriesPerRequest(probeUsers as [BenchUser, BenchUser], probeConversation!);
    console.log('SQL statements per request (one at a time, median):', results.queries_per_request);
  }

  // Inside the app: event-loop delay and waits for a pooled connection. In PostgreSQL: what its backends do.
  const probe = appProbe();
  const app = await startAppProcess(database.url, probe.nodeArgs);
  const activity = new ActivitySampler(database.db);
  const postgres = await postmasterPid(database.db);
  const meter = new CpuMeter({ app: () => cpuSecondsOf(app.pid), postgres: () => treeCpuSecondsOf(postgres), generator: selfCpuSeconds });
  const samples: Record<string, number>[] = [];
  const rssStart = rssOf(app.pid);
  probe.reset(app.pid);
  activity.start();
  const runFrom = meter.snapshot();
  const started = performance.now();
  const endAt = started + DURATION * 1000;
  let last = runFrom;
  const sampler = setInterval(() => {
    const now = meter.snapshot();
    const inside = probe.read();
    samples.push({
      t_s: round((now.at - started) / 1000),
      app_rss_mb: round(rssOf(app.pid) / 2 ** 20),
      ...meter.since(last, now),
      // Since the start of the run.
      loop_delay_p99_ms: inside?.loop_delay_ms.p99 ?? NaN,
      pool_wait_p99_ms: inside?.pool_wait_ms.p99 ?? NaN,
      pool_max_waiting: inside?.pool_max_waiting ?? NaN,
      loop_utilization: inside?.loop_utilization ?? NaN,
    });
    last = now;
  }, 5000);
  const progress = setInterval(() => {
    const pages = [...latencies.get('inbox page')!, ...latencies.get('thread page')!].sort((a, b) => a - b);
    const s = samples[samples.length - 1];
    console.log(
      `t=${Math.round((performance.now() - started) / 1000)}s sends acked ${acknowledged.length}, page p95 ${round(percentile(pages, 95))} ms, 5xx ${fiveHundreds()}` +
        (s ? `, CPU app ${s.app_pct}% pg ${s.postgres_pct}% gen ${s.generator_pct}% others ${s.others_pct}%, app RSS ${s.app_rss_mb} MB, event loop busy ${Math.round(s.loop_utilization! * 100)}%, loop delay p99 ${s.loop_delay_p99_ms} ms, pool wait p99 ${s.pool_wait_p99_ms} ms (max ${s.pool_max_waiting} waiting)` : ''),
    );
  }, 15000);

  const streams: http.ClientRequest[] = [];
  const vus = users.map((user, i) => (async () => {
    await sleep((i / VUS) * RAMP_SECONDS * 1000);
    await virtualUser(app.url, user, i, threadsOf.get(user.id)!, endAt, streams);
  })());
  await Promise.all(vus);
  const elapsed = (performance.now() - started) / 1000;
  clearInterval(sampler);
  clearInterval(progress);
  const cpu = meter.since(runFrom);
  const rssEnd = rssOf(app.pid);
  results.postgres_backends = activity.stop();
  await sleep(300);
  results.app_inside = probe.read();
  // Deliveries still on their way (up to 10 s).
  for (let waited = 0; waited < 10_000 && sentAt.size > 0; waited += 100) await sleep(100);
  streams.forEach((s) => s.destroy());

  results.elapsed_s = round(elapsed);
  results.requests = Object.fromEntries(
    KINDS.map((kind) => {
      const sorted = [...latencies.get(kind)!].sort((a, b) => a - b);
      return [kind, { count: sorted.length, per_s: round(sorted.length / elapsed), p50_ms: round(percentile(sorted, 50)), p95_ms: round(percentile(sorted, 95)), p99_ms: round(percentile(sorted, 99)), max_ms: round(sorted[sorted.length - 1] ?? NaN), statuses: statuses.get(kind) }];
    }),
  );
  results.tail_by_status = Object.fromEntries(Object.entries(tailByStatus).map(([status, values]) => {
    const sorted = values.sort((a, b) => a - b);
    return [status, { count: sorted.length, p50_ms: round(percentile(sorted, 50)), p95_ms: round(percentile(sorted, 95)), p99_ms: round(percentile(sorted, 99)) }];
  }));
  const pages = [...latencies.get('inbox page')!, ...latencies.get('thread page')!].sort((a, b) => a - b);
  results.pages = { count: pages.length, p50_ms: round(percentile(pages, 50)), p95_ms: round(percentile(pages, 95)), p99_ms: round(percentile(pages, 99)) };
  const everything = KINDS.filter((k) => k !== 'events open').flatMap((k) => latencies.get(k)!).sort((a, b) => a - b);
  results.all_requests = { count: everything.length, per_s: round(everything.length / elapsed), p50_ms: round(percentile(everything, 50)), p95_ms: round(percentile(everything, 95)), p99_ms: round(percentile(everything, 99)) };
  results.five_xx = fiveHundreds();
  // Failed even after a retry (GETs) or once (sends, retried in the VU with the same client_id).
  results.connection_errors = KINDS.reduce((n, k) => n + (statuses.get(k)![0] ?? 0), 0);
  results.connection_errors_by_code = connectionErrors;
  results.get_retries = getRetries;
  results.send_retries = retries;
  results.refused_429 = refused429;
  results.events_received = eventCounts;
  deliveryMs.sort((a, b) => a - b);
  results.deliveries = {
    acknowledged_sends: acknowledged.length,
    delivered_on_stream: deliveryMs.length,
    p50_ms: round(percentile(deliveryMs, 50)),
    p99_ms: round(percentile(deliveryMs, 99)),
    // When each message never seen on its recipient's stream was sent, and whether that recipient's stream was open then.
    not_seen: [...sentAt].map(([token, at]) => ({ token, sent_at_s: round((at - started) / 1000), recipient_stream_open: streamOpenAt.has(recipientOf.get(token)!) && streamOpenAt.get(recipientOf.get(token)!)! <= at })),
  };
  results.exactly_once = await exactlyOnce(database.db, acknowledged, unacknowledged);
  results.app = { rss_start_mb: round(rssStart / 2 ** 20), rss_end_mb: round(rssEnd / 2 ** 20), rss_max_mb: Math.max(...samples.map((s) => s.app_rss_mb!), round(rssEnd / 2 ** 20)) };
  results.cpu = cpu;
  results.samples = samples;
  await app.stop();
  results.targets = {
    no_5xx: results.five_xx === 0,
    page_p95_under_300ms: (results.pages as { p95_ms: number }).p95_ms < PAGE_P95_TARGET_MS,
    exactly_once: (results.exactly_once as { ok: boolean }).ok,
  };
} finally {
  await database.drop();
}

mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/load.json', `${JSON.stringify(results, null, 2)}\n`);
printTable(results);
process.exit(0);

function fiveHundreds(): number {
  let n = 0;
  for (const counts of statuses.values()) for (const [status, count] of Object.entries(counts)) if (Number(status) >= 500) n += count;
  return n;
}

/**
 * SEED_MESSAGES messages in every conversation that has none yet, both ways, through the app's own
 * send statement (so every watermark is as the app keeps it), then moved an hour back so they do
 * not count against anyone's limit. The notifications go to a channel nobody listens on.
 */
async function seedMessages(): Promise<void> {
  await sql`
    select count(*) from (
      select c.id, c.user_low, c.user_high, k from conversations c, generate_series(1, ${SEED_MESSAGES}) k
       where c.last_message_id is null order by k, c.id) x,
      lateral courier_send_message(x.id, case when k % 2 = 0 then x.user_low else x.user_high end, case when k % 2 = 0 then x.user_high else x.user_low end,
        'Seeded message ' || k || ' of a conversation, long enough to wrap on a phone screen now and then.', null, '{}'::bigint[], 1000000, 60, ${LOCK_SPACES.messages}, 'bench_seed', null)`.execute(database.db);
  await sql`update messages set created_at = created_at - interval '1 hour' where created_at > now() - interval '1 hour'`.execute(database.db);
  await sql`analyze`.execute(database.db);
}

async function virtualUser(base: string, user: BenchUser, index: number, threads: { id: number; other: number }[], endAt: number, streams: http.ClientRequest[]): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 6 });
  const page = { Cookie: user.cookie, Accept: 'text/html' };
  const fragment = { ...page, 'HX-Request': 'true', 'X-CSRF-Token': user.csrf };
  let openThread: number | undefined;
  let tailUrl: string | undefined;
  let badgeUrl = '/messages/badge?v=0';
  let tailBusy = false;
  let tailAgain = false;
  let sent = 0;

  const refreshTail = async (): Promise<void> => {
    if (!tailUrl || performance.now() >= endAt) return;
    if (tailBusy) {
      tailAgain = true;
      return;
    }
    tailBusy = true;
    const thread = openThread;
    const answer = await request(`${base}${tailUrl}&seen=1`, { agent, headers: fragment, read: true });
    record('tail poll', answer);
    if (answer.status === 200 && thread === openThread) tailUrl = tailUrlIn(answer.body) ?? tailUrl;
    tailBusy = false;
    if (tailAgain) {
      tailAgain = false;
      void refreshTail();
    }
  };

  const streamOpened = performance.now();
  try {
    const stream = await openStream(base, user.cookie, (event, data) => {
      eventCounts[event] = (eventCounts[event] ?? 0) + 1;
      if (event === 'message') {
        const token = /lt-\d+-\d+-x/.exec(data)?.[0];
        const at = token === undefined ? undefined : sentAt.get(token);
        if (at !== undefined) {
          deliveryMs.push(performance.now() - at);
          sentAt.delete(token!);
        }
      }
      // As app.js: a message, a receipt or a change in the open thread refreshes its tail; a resync, everything.
      const conversation = Number(/data-conversation-id="(\d+)"/.exec(data)?.[1]);
      if (((event === 'message' || event === 'read' || event === 'thread') && conversation === openThread) || event === 'resync') void refreshTail();
    });
    record('events open', { status: 200, body: '', ms: performance.now() - streamOpened });
    streamOpenAt.set(user.id, performance.now());
    streams.push(stream);
  } catch {
    record('events open', { status: 0, body: '', ms: performance.now() - streamOpened });
  }

  const until = (deadline: number) => sleep(Math.max(0, Math.min(deadline, endAt) - performance.now()));

  while (performance.now() < endAt) {
    record('inbox page', await request(`${base}/messages`, { agent, headers: page }));
    await until(performance.now() + between(1000, 3000));
    if (performance.now() >= endAt) break;

    const thread = threads[Math.floor(Math.random() * threads.length)]!;
    const opened = await request(`${base}/messages/${thread.id}`, { agent, headers: page, read: true });
    record('thread page', opened);
    openThread = thread.id;
    tailUrl = tailUrlIn(opened.body);
    badgeUrl = badgeUrlIn(opened.body) ?? badgeUrl;
    const leaveAt = performance.now() + between(15_000, 40_000);

    const polls = (async () => {
      if (POLL === 'events') return;
      while (performance.now() < Math.min(leaveAt, endAt)) {
        await until(Math.min(leaveAt, performance.now() + 4000));
        if (performance.now() < Math.min(leaveAt, endAt)) await refreshTail();
      }
    })();
    const badge = (async () => {
      if (POLL === 'events') return;
      while (performance.now() < Math.min(leaveAt, endAt)) {
        await until(Math.min(leaveAt, performance.now() + 15_000));
        if (performance.now() >= Math.min(leaveAt, endAt)) break;
        const answer = await request(`${base}${badgeUrl}`, { agent, headers: fragment, read: true });
        record('badge poll', answer);
        if (answer.status === 200) badgeUrl = badgeUrlIn(answer.body) ?? badgeUrl;
      }
    })();
    const sends = (async () => {
      while (performance.now() < Math.min(leaveAt, endAt)) {
        await until(Math.min(leaveAt, performance.now() + between(3500, 5000)));
        if (performance.now() >= Math.min(leaveAt, endAt)) break;
        const token = `lt-${index}-${sent++}-x`;
        const clientId = randomUUID();
        const post = () => {
          const form = composerForm(user.csrf, clientId, `Hello from a load test, message ${token}`);
          return request(`${base}/messages/${thread.id}/messages`, {
            method: 'POST',
            agent,
            headers: { ...fragment, 'HX-Target': 'thread-messages', 'Content-Type': form.type, 'Content-Length': form.body.length },
            body: form.body,
          });
        };
        sentAt.set(token, performance.now());
        recipientOf.set(token, thread.other);
        let answer = await post();
        if (answer.status === 0) {
          // A dropped connection: the page would send the same form again, with the same client_id.
          retries += 1;
          answer = await post();
        }
        record('send', answer);
        if (answer.status === 429) refused429 += 1;
        if (answer.status === 200) acknowledged.push(clientId);
        else {
          unacknowledged.push(clientId);
          sentAt.delete(token);
        }
      }
    })();
    await Promise.all([polls, badge, sends]);
    openThread = undefined;
    tailUrl = undefined;
  }
  // Requests still in flight finish on their sockets; idle ones close.
  setTimeout(() => agent.destroy(), 5000).unref();
}

/**
 * SQL statements each kind of request costs, counted on the wire by a proxy in front of
 * PostgreSQL, on a separate instance started through it, one request at a time (median of 5).
 */
async function queriesPerRequest([me, other]: [BenchUser, BenchUser], conversation: number) {
  const proxy = await countingProxy(database.url);
  const app = await startAppProcess(proxy.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const page = { Cookie: me.cookie, Accept: 'text/html' };
  const fragment = { ...page, 'HX-Request': 'true', 'X-CSRF-Token': me.csrf };
  const count = async (what: () => Promise<unknown>, settle = 150) => {
    const values: number[] = [];
    for (let i = 0; i < 5; i++) {
      await sleep(settle);
      const from = proxy.statements();
      await what();
      await sleep(settle);
      values.push(proxy.statements() - from);
    }
    return percentile(values.sort((a, b) => a - b), 50);
  };
  // The first request of a session on an instance also pushes its expiry back (once an hour): not counted.
  await request(`${app.url}/messages`, { agent, headers: page });
  const opened = await request(`${app.url}/messages/${conversation}`, { agent, headers: page, read: true });
  let tail = tailUrlIn(opened.body)!;
  const badge = badgeUrlIn(opened.body)!;
  const out: Record<string, number> = {};
  out['inbox page'] = await count(() => request(`${app.url}/messages`, { agent, headers: page }));
  out['thread page'] = await count(() => request(`${app.url}/messages/${conversation}`, { agent, headers: page }));
  out['tail poll, unchanged (304)'] = await count(() => request(`${app.url}${tail}&seen=1`, { agent, headers: fragment }));
  out['badge poll, unchanged (304)'] = await count(() => request(`${app.url}${badge}`, { agent, headers: fragment }));
  const sendOne = (user: BenchUser, text: string) => {
    const form = composerForm(user.csrf, randomUUID(), text);
    return request(`${app.url}/messages/${conversation}/messages`, {
      method: 'POST',
      agent: user === me ? agent : undefined,
      headers: { Cookie: user.cookie, 'HX-Request': 'true', 'X-CSRF-Token': user.csrf, 'Content-Type': form.type, 'Content-Length': form.body.length },
      body: form.body,
    });
  };
  out['send (no stream open)'] = await count(() => sendOne(me, 'probe'));
  await request(`${app.url}/messages/badge?v=0`, { agent: undefined, headers: { Cookie: other.cookie, 'HX-Request': 'true' } });
  // A poll after the other side sent a message: the poll alone is counted.
  const tailAlone: number[] = [];
  for (let i = 0; i < 5; i++) {
    await sendOne(other, 'probe from the other side');
    await sleep(300);
    const from = proxy.statements();
    const answer = await request(`${app.url}${tail}&seen=1`, { agent, headers: fragment, read: true });
    tail = tailUrlIn(answer.body) ?? tail;
    await sleep(150);
    tailAlone.push(proxy.statements() - from);
  }
  out['tail poll after a new message (200)'] = percentile(tailAlone.sort((a, b) => a - b), 50);
  const stream = await openStream(app.url, other.cookie, () => {});
  await sleep(300);
  out['send, recipient streaming (with the live delivery)'] = await count(() => sendOne(me, 'probe'), 300);
  stream.destroy();
  out['events open, then closed'] = await count(async () => {
    const s = await openStream(app.url, me.cookie, () => {});
    await sleep(300);
    s.destroy();
  }, 300);
  agent.destroy();
  await app.stop();
  await proxy.close();
  return out;
}

function printTable(r: Record<string, unknown>) {
  const requests = r.requests as Record<string, { count: number; per_s: number; p50_ms: number; p95_ms: number; p99_ms: number; max_ms: number; statuses: Record<string, number> }>;
  console.log(`\nLoad test: ${r.vus} virtual users for ${r.duration_s} s (ramp ${r.ramp_s} s, polls: ${r.poll}), one app instance`);
  console.log('request          count    /s    p50 ms   p95 ms   p99 ms   max ms  statuses');
  for (const [kind, x] of Object.entries(requests)) {
    console.log(
      `${kind.padEnd(14)} ${String(x.count).padStart(7)} ${String(x.per_s).padStart(5)} ${String(x.p50_ms).padStart(9)} ${String(x.p95_ms).padStart(8)} ${String(x.p99_ms).padStart(8)} ${String(x.max_ms).padStart(8)}  ` +
        Object.entries(x.statuses).map(([s, n]) => `${s}: ${n}`).join(', '),
    );
  }
  const pages = r.pages as { count: number; p50_ms: number; p95_ms: number; p99_ms: number };
  console.log(`pages (inbox + thread): ${pages.count}, p50 ${pages.p50_ms} ms, p95 ${pages.p95_ms} ms, p99 ${pages.p99_ms} ms`);
  const all = r.all_requests as { count: number; per_s: number; p95_ms: number };
  console.log(`all requests but streams: ${all.count} (${all.per_s}/s), p95 ${all.p95_ms} ms`);
  const tails = r.tail_by_status as Record<string, { count: number; p50_ms: number; p95_ms: number }>;
  console.log(`tail polls by answer: ${Object.entries(tails).map(([s, x]) => `${s}: ${x.count} (p50 ${x.p50_ms} ms, p95 ${x.p95_ms} ms)`).join('; ')}`);
  console.log(
    `5xx: ${r.five_xx}; requests failed on their connection: ${r.connection_errors} (every connection error seen, retries included: ${JSON.stringify(r.connection_errors_by_code)}; GETs retried: ${r.get_retries}, sends retried: ${r.send_retries}); refused 429: ${r.refused_429}`,
  );
  const once = r.exactly_once as { acknowledged: number; stored_once: number; missing: number; duplicated: number; stored_without_ack: number; unacknowledged: number };
  console.log(`sends: ${once.acknowledged} acknowledged, ${once.stored_once} stored exactly once, ${once.missing} missing, ${once.duplicated} twice; ${once.unacknowledged} not acknowledged (${once.stored_without_ack} of them stored)`);
  const d = r.deliveries as { acknowledged_sends: number; delivered_on_stream: number; p50_ms: number; p99_ms: number };
  console.log(`delivered on the recipient's stream: ${d.delivered_on_stream}/${d.acknowledged_sends}, send-to-delivery p50 ${d.p50_ms} ms, p99 ${d.p99_ms} ms`);
  const notSeen = (r.deliveries as { not_seen: { sent_at_s: number; recipient_stream_open: boolean }[] }).not_seen;
  if (notSeen.length) console.log(`  not seen: ${notSeen.map((n) => `sent at ${n.sent_at_s} s, recipient's stream ${n.recipient_stream_open ? 'open' : 'not open yet'}`).join('; ')}`);
  console.log(`events received: ${Object.entries(r.events_received as Record<string, number>).map(([e, n]) => `${e} ${n}`).join(', ')}`);
  const app = r.app as { rss_start_mb: number; rss_end_mb: number; rss_max_mb: number };
  const cpu = r.cpu as Record<string, number>;
  console.log(`app RSS ${app.rss_start_mb} → ${app.rss_end_mb} MB (max ${app.rss_max_mb}); CPU % of one core over the run: app ${cpu.app_pct}, PostgreSQL ${cpu.postgres_pct}, load generator ${cpu.generator_pct}, others ${cpu.others_pct} (machine ${cpu.machine_busy_pct} of ${cpu.machine_capacity_pct})`);
  const inside = r.app_inside as { loop_delay_ms: { p50: number; p99: number; max: number }; loop_utilization: number; pool_wait_ms: { count: number; p50: number; p99: number; max: number }; pool_max_waiting: number; pool_connections: number } | undefined;
  if (inside) {
    console.log(
      `inside the app: event loop busy ${Math.round(inside.loop_utilization * 100)}% of the time, delay p50 ${inside.loop_delay_ms.p50} ms, p99 ${inside.loop_delay_ms.p99} ms, max ${inside.loop_delay_ms.max} ms; ` +
        `wait for a pooled connection (${inside.pool_wait_ms.count} checkouts, ${inside.pool_connections} connections) p50 ${inside.pool_wait_ms.p50} ms, p99 ${inside.pool_wait_ms.p99} ms, max ${inside.pool_wait_ms.max} ms, at most ${inside.pool_max_waiting} waiting`,
    );
  }
  console.log(`app's PostgreSQL backends, average number in each state: ${Object.entries(r.postgres_backends as Record<string, number>).map(([k, n]) => `${k} ${n}`).join('; ')}`);
  if (r.queries_per_request) console.log(`SQL statements per request: ${Object.entries(r.queries_per_request as Record<string, number>).map(([k, n]) => `${k} ${n}`).join('; ')}`);
  const t = r.targets as Record<string, boolean>;
  console.log(`targets: no 5xx ${t.no_5xx ? 'met' : 'NOT met'}; page p95 < ${PAGE_P95_TARGET_MS} ms ${t.page_p95_under_300ms ? 'met' : 'NOT met'}; exactly once ${t.exactly_once ? 'met' : 'NOT met'}`);
  console.log('results in bench/results/load.json');
}
