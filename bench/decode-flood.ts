// Image uploads built to cost CPU, against everyone else's pages (security review, item 6): three
// hostile sends at a time, without pause, while another person loads their inbox. Target: that
// person's GET /messages stays under 200 ms at p95 while the flood runs.
//
//   npm run bench:decode                       (defaults below; DATABASE_URL to use your server)
//   SECONDS=20 FLOODERS=3 npm run bench:decode
//
// One app instance in its own process, started through the real server entry (its defaults: 10 MB
// a file, 200 MB a day, 20 messages a minute). Phases, each SECONDS long, the inbox timed in all:
// - quiet: nobody floods (the floor of this run);
// - png: each hostile send carries ten 40-megapixel 1-bit PNGs (about 5 KB each);
// - gif: each carries four 600-frame GIFs (250 × 250, 37.5 megapixels each, all of it within the
//   limits: the most decoding one message may ask for);
// - over-limit: the same PNGs from people already past 20 messages in the last minute.
// Hostile senders take turns over FLOOD_ACCOUNTS accounts, so the sending limit stops none of the
// first three phases. The victim asks for their inbox over VICTIMS parallel connections, with no
// think time, so every request competes with whatever decoding runs.
import http from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import { sql } from 'kysely';
import sharp from 'sharp';
import { benchDatabase, cpuSecondsOf, CpuMeter, createConversations, createUsers, percentile, postMessage, postmasterPid, round, selfCpuSeconds, startAppProcess, treeCpuSecondsOf, type BenchUser } from './support.js';

const SECONDS = Number(process.env.SECONDS ?? 15);
const FLOODERS = Number(process.env.FLOODERS ?? 3);
const FLOOD_ACCOUNTS = Number(process.env.FLOOD_ACCOUNTS ?? 30);
const VICTIMS = Number(process.env.VICTIMS ?? 2);
const TARGET_P95_MS = 200;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

// ---- Hostile files ----

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A real, all-black 1-bit PNG: a few KB that decode to width × height pixels. */
function onebitPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1;
  ihdr[9] = 0;
  const rows = Buffer.alloc((1 + Math.ceil(width / 8)) * height);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(rows, { level: 9 })), pngChunk('IEND', Buffer.alloc(0))]);
}

/** A valid animated GIF of `frames` frames: two made by sharp, the last one's blocks repeated. */
async function longGif(frames: number, side: number): Promise<Buffer> {
  const pictures = await Promise.all(['#ff0000', '#0000ff'].map((c) => sharp({ create: { width: side, height: side, channels: 3, background: c } }).png().toBuffer()));
  const two = await sharp(pictures, { join: { animated: true } }).gif({ delay: [40, 40], loop: 0 }).toBuffer();
  const packed = two[10]!;
  let at = 13 + (packed & 0x80 ? 3 * 2 ** ((packed & 0x07) + 1) : 0);
  const blocks: { start: number; end: number; gce: boolean }[] = [];
  const subBlocks = () => {
    while (two[at]! !== 0) at += two[at]! + 1;
    at += 1;
  };
  while (two[at] !== 0x3b) {
    const start = at;
    if (two[at] === 0x21) {
      const gce = two[at + 1] === 0xf9;
      at += 2;
      subBlocks();
      blocks.push({ start, end: at, gce });
    } else {
      const local = two[at + 9]!;
      at += 11 + (local & 0x80 ? 3 * 2 ** ((local & 0x07) + 1) : 0);
      subBlocks();
      blocks.push({ start, end: at, gce: false });
    }
  }
  const last = blocks[blocks.length - 1]!;
  const from = blocks[blocks.length - 2]!.gce ? blocks[blocks.length - 2]!.start : last.start;
  const frame = two.subarray(from, last.end);
  return Buffer.concat([two.subarray(0, last.end), ...Array.from({ length: frames - 2 }, () => frame), Buffer.from([0x3b])]);
}

/** The composer's multipart form: the token first, then the text and the files. */
function form(user: BenchUser, files: { name: string; bytes: Buffer; type: string }[]): { body: Buffer; contentType: string } {
  const boundary = `----bench-${randomUUID()}`;
  const parts: Buffer[] = [];
  const text = (name: string, value: string) => parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  text('_csrf', user.csrf);
  text('client_id', randomUUID());
  text('body', 'look at these');
  for (const f of files) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${f.name}"\r\nContent-Type: ${f.type}\r\n\r\n`), f.bytes, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

function request(url: string, options: { method?: string; cookie: string; body?: Buffer; contentType?: string }): Promise<number> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { Cookie: options.cookie, Accept: 'text/html' };
    if (options.body) {
      headers['Content-Type'] = options.contentType!;
      headers['Content-Length'] = String(options.body.length);
    }
    const req = http.request(url, { method: options.method ?? 'GET', agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end(options.body);
  });
}

// ---- Setup ----

const database = await benchDatabase();
const results: Record<string, unknown> = { seconds: SECONDS, flooders: FLOODERS, victims: VICTIMS, node: process.version };
try {
  const [victim] = await createUsers(database.db, 'victim', 1);
  const friends = await createUsers(database.db, 'friend', 20);
  const flooders = await createUsers(database.db, 'flood', FLOOD_ACCOUNTS);
  const partners = await createUsers(database.db, 'partner', FLOOD_ACCOUNTS);
  const limited = await createUsers(database.db, 'limited', FLOODERS * 3);
  const limitedPartners = await createUsers(database.db, 'lpartner', FLOODERS * 3);
  const inbox = await createConversations(database.db, friends.map((f) => [f.id, victim!.id]));
  const floodConversations = await createConversations(database.db, flooders.map((f, i) => [f.id, partners[i]!.id]));
  const limitedConversations = await createConversations(database.db, limited.map((l, i) => [l.id, limitedPartners[i]!.id]));
  const app = await startAppProcess(database.url);
  // Where the machine's CPU goes in each phase: the app, PostgreSQL, this load generator, and anything else on a shared machine.
  const postgresPid = await postmasterPid(database.db);
  const meter = new CpuMeter({ app: () => cpuSecondsOf(app.pid), postgres: () => treeCpuSecondsOf(postgresPid), bench: selfCpuSeconds });
  // The victim's inbox: twenty conversations, each with a message from the friend.
  for (const [i, friend] of friends.entries()) {
    const sent = await postMessage(app.url, friend, inbox[i]!, `hello from friend ${i}`);
    if (sent.status !== 303) throw new Error(`setup send: ${sent.status}`);
  }

  const png = onebitPng(6300, 6300);
  const gif = await longGif(600, 250);
  const payloads = {
    png: Array.from({ length: 10 }, (_, i) => ({ name: `big${i}.png`, bytes: png, type: 'image/png' })),
    gif: Array.from({ length: 4 }, (_, i) => ({ name: `long${i}.gif`, bytes: gif, type: 'image/gif' })),
  };
  console.log(`hostile files: a ${png.length}-byte PNG of 6,300 × 6,300 (x10 a send); a ${gif.length}-byte GIF of 600 frames of 250 × 250 (x4 a send)`);

  /** Times the victim's inbox over VICTIMS connections until `until`. */
  async function timeInbox(until: number): Promise<{ times: number[]; errors: number }> {
    const times: number[] = [];
    let errors = 0;
    await Promise.all(
      Array.from({ length: VICTIMS }, async () => {
        while (performance.now() < until) {
          const start = performance.now();
          const status = await request(`${app.url}/messages`, { cookie: victim!.cookie });
          if (status === 200) times.push(performance.now() - start);
          else errors += 1;
        }
      }),
    );
    return { times: times.sort((a, b) => a - b), errors };
  }

  /** FLOODERS hostile sends at a time, each started as the previous one is answered, until `until`. */
  async function flood(until: number, kind: 'png' | 'gif', senders: BenchUser[], conversations: number[]) {
    const statuses: Record<string, number> = {};
    const durations: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: FLOODERS }, async () => {
        while (performance.now() < until) {
          const i = next++ % senders.length;
          const { body, contentType } = form(senders[i]!, payloads[kind]);
          const start = performance.now();
          const status = await request(`${app.url}/messages/${conversations[i]}/messages`, { method: 'POST', cookie: senders[i]!.cookie, body, contentType });
          durations.push(performance.now() - start);
          statuses[status] = (statuses[status] ?? 0) + 1;
        }
      }),
    );
    return { sends: durations.length, statuses, send_p50_ms: round(percentile(durations.sort((a, b) => a - b), 50)), send_max_ms: round(durations[durations.length - 1] ?? 0) };
  }

  const phases: Record<string, unknown>[] = [];
  async function phase(name: string, run?: (until: number) => Promise<Record<string, unknown>>) {
    await sleep(1000);
    const cpuFrom = meter.snapshot();
    const started = performance.now();
    const until = started + SECONDS * 1000;
    // The flood stops starting sends at `until`; those in flight are waited for (and counted in the CPU).
    const [inboxTimes, hostile] = await Promise.all([timeInbox(until), run?.(until)]);
    const cpu = meter.since(cpuFrom);
    const elapsed = (performance.now() - started) / 1000;
    const row = {
      phase: name,
      inbox_requests: inboxTimes.times.length,
      inbox_errors: inboxTimes.errors,
      inbox_p50_ms: round(percentile(inboxTimes.times, 50)),
      inbox_p95_ms: round(percentile(inboxTimes.times, 95)),
      inbox_max_ms: round(inboxTimes.times[inboxTimes.times.length - 1] ?? 0),
      phase_seconds: round(elapsed),
      cpu,
      ...(hostile ? { hostile } : {}),
    };
    phases.push(row);
    const flooded = hostile ? `; hostile sends ${hostile.sends} (${JSON.stringify(hostile.statuses)}), each p50 ${hostile.send_p50_ms} ms` : '';
    console.log(`${name.padEnd(11)} inbox p50 ${row.inbox_p50_ms} ms, p95 ${row.inbox_p95_ms} ms, max ${row.inbox_max_ms} ms over ${row.inbox_requests} requests; CPU (% of one core, of ${cpu.machine_capacity_pct}) app ${cpu.app_pct}, PostgreSQL ${cpu.postgres_pct}, bench ${cpu.bench_pct}, other processes ${cpu.others_pct}, over ${row.phase_seconds} s${flooded}`);
  }

  // Warm-up: templates compiled, connections open.
  await timeInbox(performance.now() + 2000);
  await phase('quiet');
  await phase('png', (until) => flood(until, 'png', flooders, floodConversations));
  await phase('gif', (until) => flood(until, 'gif', flooders, floodConversations));
  // Past the sending limit: twenty messages each in the last few seconds.
  await sql`
    insert into messages (conversation_id, sender_id, body)
    select c.id, c.user_low, 'earlier ' || k from conversations c cross join generate_series(1, 20) k
     where c.id = any(${limitedConversations}::bigint[])`.execute(database.db);
  await phase('over-limit', (until) => flood(until, 'png', limited.map((l, i) => (l.id < limitedPartners[i]!.id ? l : limitedPartners[i]!)), limitedConversations));

  const worst = Math.max(...phases.filter((p) => p.phase !== 'quiet').map((p) => Number(p.inbox_p95_ms)));
  results.phases = phases;
  results.target_p95_ms = TARGET_P95_MS;
  results.worst_flood_p95_ms = worst;
  results.met = worst < TARGET_P95_MS;
  console.log(`worst inbox p95 under a flood: ${worst} ms (target < ${TARGET_P95_MS} ms): ${worst < TARGET_P95_MS ? 'met' : 'NOT met'}`);
  await app.stop();
} finally {
  await database.drop();
}
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/decode-flood.json', `${JSON.stringify(results, null, 2)}\n`);
console.log('results in bench/results/decode-flood.json');
process.exit(0);
