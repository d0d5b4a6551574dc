// What each open page of a GROUP conversation costs per delivered message, in real Chromium: the
// group counterpart of bench/live-cost.ts, measured with its pieces (bench/live-cost-measure.ts:
// the same DevTools meter, so the same requests and bytes). A group of four made by its admin A
// with B, C and D (connections of A), the app in its own process on a fresh database. Each person
// logs in through the form in a browser context of their own; open: A (the sender) on the group's
// thread, B on it too, C on the inbox, D on the thread. A sends MESSAGES messages the way a browser
// does (the composer filled, Enter: its form post, and the "typing…" signal the input sends), one
// every INTERVAL_MS (the next waits for the previous send's answer, as the composer does), after a
// warm-up message that is not counted. Then every page's requests, events by name and bytes per
// message. B and D read each message as it arrives, so A's page hears "Seen by N" (`read` events):
// at most one a second per sender and group (src/messaging/realtime/live-seen.ts), which messages
// closer together than a second make visible in the counts and in the times of A's `read` events.
//
//   npm run bench:group-live-cost              (10 messages, one every 300 ms; DATABASE_URL to use your server)
//   MESSAGES=15 INTERVAL_MS=200 QUIET_MS=2000 npm run bench:group-live-cost
//
// A person may send 20 messages a minute (src/messaging/limits.ts): MESSAGES stays under 20.
import { mkdirSync, writeFileSync } from 'node:fs';
import { chromium, type BrowserContext, type Response } from 'playwright-core';
import { messagingDatabase } from '../src/app-database.js';
import { hashPassword } from '../src/auth/password.js';
import { createGroup } from '../src/messaging/groups/group-queries.js';
import { defaultLimits } from '../src/messaging/limits.js';
import { kb, BYTES_COUNTED, body, openMeteredPage, perMessage, settle, type OpenPage, type PageCost, type Person } from './live-cost-measure.js';
import { benchDatabase, createUsers, startAppProcess } from './support.js';

const MESSAGES = Number(process.env.MESSAGES ?? 10);
const INTERVAL_MS = Number(process.env.INTERVAL_MS ?? 300);
const QUIET_MS = Number(process.env.QUIET_MS ?? 1500);
const PASSWORD = 'group-live-cost-password';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// As bench/live-cost.ts: Debian's Chromium with the browser tests' flags (no background traffic, no updates, no sync).
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
if (MESSAGES + 1 >= defaultLimits.messages.max) console.warn(`warning: ${MESSAGES + 1} sends within a minute nears the ${defaultLimits.messages.max}-a-minute limit: some may be refused`);

type Who = 'sender' | 'member_b' | 'member_c' | 'member_d';
/** One open page: its meter, and every event it received since the last reset (ms since the first measured send). */
type Watched = OpenPage & { who: Who; path: string; log: { at: number; name: string; data: string }[] };

const database = await benchDatabase();
let chromiumVersion = '';
let result: Record<string, unknown>;
let pages: { who: Who; path: string; description: string; totals: PageCost; per_message: PageCost; message_events_per_message: { min: number; max: number }; read_events_at_ms: number[] }[];
let sends: { at_ms: number; status: number }[];
try {
  const users = await createUsers(database.db, 'glc', 4);
  const ids = users.map((u) => u.id);
  const [a, ...others] = ids as [number, number, number, number];
  // Logged in through the form, so a real password (bench users come with sessions only).
  await database.db.updateTable('users').set({ password_hash: await hashPassword(PASSWORD) }).where('id', 'in', ids).execute();
  // A group is made of one's connections: A is connected to each of the three.
  await database.db.insertInto('connections').values(others.map((o) => ({ user_low: Math.min(a, o), user_high: Math.max(a, o), requested_by: a, status: 'accepted' as const, accepted_at: new Date() }))).execute();
  // The app first: its job queue's schema (graphile_worker) is made as it starts, and the group's "created" line queues pushes in it.
  const app = await startAppProcess(database.url);
  const group = await createGroup(messagingDatabase(database.db), { me: a, name: 'Saturday', members: others, clientId: crypto.randomUUID() }, defaultLimits.conversations);
  const groupId = group.id;
  const rows = await database.db.selectFrom('users').select(['id', 'username']).where('id', 'in', ids).execute();
  const person = (id: number): Person => ({ username: rows.find((u) => u.id === id)!.username, password: PASSWORD });

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
  chromiumVersion = browser.version();
  const contexts: BrowserContext[] = [];
  try {
    const newContext = () => browser.newContext({ baseURL: app.url, viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    const thread = `/messages/${groupId}`;
    const plan: { who: Who; id: number; path: string; description: string }[] = [
      { who: 'sender', id: a, path: thread, description: 'A, the sender, on the thread' },
      { who: 'member_b', id: others[0], path: thread, description: 'B on the thread (visible)' },
      { who: 'member_c', id: others[1], path: '/messages', description: 'C on the inbox' },
      { who: 'member_d', id: others[2], path: thread, description: 'D on the thread (visible)' },
    ];
    let zero = performance.now();
    const open: Watched[] = [];
    for (const p of plan) {
      const page = await openMeteredPage(newContext, person(p.id), contexts);
      const watched: Watched = { ...page, who: p.who, path: p.path, log: [] };
      page.cdp.on('Network.eventSourceMessageReceived', (e) => watched.log.push({ at: performance.now() - zero, name: e.eventName, data: e.data }));
      open.push(watched);
    }
    await Promise.all(open.map((p) => p.page.goto(p.path)));
    // app.js marks the document once its event stream is open.
    await Promise.all(open.map((p) => p.page.locator('html[data-live="true"]').waitFor({ state: 'attached' })));
    await settle(open, QUIET_MS);

    const sender = open[0]!;
    const box = sender.page.locator('#composer-body');
    /** Fills the composer and presses Enter: the form post (and the typing signal the input makes); resolves with the post's answer. */
    const send = async (text: string): Promise<Response> => {
      await sender.page.waitForFunction(() => (document.getElementById('composer-body') as HTMLTextAreaElement | null)?.value === '');
      const answered = sender.page.waitForResponse((r) => r.request().method() === 'POST' && /^\/messages\/\d+\/messages$/.test(new URL(r.url()).pathname));
      await box.fill(text);
      await box.press('Enter');
      return answered;
    };
    /** Every page shows the message labelled `label` (the inbox: its group's row, which shows the newest). */
    const arrived = (label: string) =>
      Promise.all(
        open.map((p) =>
          p.path === '/messages'
            ? p.page.locator(`#inbox-list [data-conversation-id="${groupId}"]`, { hasText: label }).first().waitFor()
            : p.page.locator('#thread-messages > li:not([data-pending])', { hasText: label }).first().waitFor(),
        ),
      );

    let serial = 0;
    const label = () => `Message ${++serial}:`;
    const warm = label();
    const warmAnswer = await send(body(warm.slice(0, -1)));
    if (warmAnswer.status() !== 200) throw new Error(`warm-up send: ${warmAnswer.status()}`);
    await arrived(warm);
    await settle(open, QUIET_MS);
    for (const p of open) p.log.length = 0;
    for (const p of open) p.meter.reset();

    // One send every INTERVAL_MS from the first; a send waits for the previous one's answer (the composer drops a second tap while one travels).
    zero = performance.now();
    sends = [];
    const labels: string[] = [];
    let previous: Promise<Response> | undefined;
    for (let i = 0; i < MESSAGES; i++) {
      const due = zero + i * INTERVAL_MS;
      if (performance.now() < due) await new Promise((resolve) => setTimeout(resolve, due - performance.now()));
      if (previous) sends.at(-1)!.status = (await previous).status();
      labels.push(label());
      sends.push({ at_ms: Math.round(performance.now() - zero), status: 0 });
      previous = send(body(labels.at(-1)!.slice(0, -1)));
    }
    sends.at(-1)!.status = (await previous!).status();
    for (const l of labels.slice(0, -1)) await Promise.all(open.filter((p) => p.path !== '/messages').map((p) => p.page.locator('#thread-messages > li:not([data-pending])', { hasText: l }).first().waitFor()));
    await arrived(labels.at(-1)!);
    await settle(open, QUIET_MS);

    pages = open.map((p) => {
      const totals = p.meter.cost();
      // Per measured message, the `message` events whose fragment carries its text.
      const perLabel = labels.map((l) => p.log.filter((e) => e.name === 'message' && e.data.includes(l)).length);
      return {
        who: p.who,
        path: p.path.replace(String(groupId), ':id'),
        description: plan.find((x) => x.who === p.who)!.description,
        totals,
        per_message: perMessage(totals, MESSAGES),
        message_events_per_message: { min: Math.min(...perLabel), max: Math.max(...perLabel) },
        read_events_at_ms: p.log.filter((e) => e.name === 'read').map((e) => Math.round(e.at)),
      };
    });
    const reads = pages[0]!.read_events_at_ms;
    const gaps = reads.slice(1).map((t, i) => t - reads[i]!);
    const lastRead = [...sender.log].reverse().find((e) => e.name === 'read');
    const senderSees = await sender.page.locator('#thread-messages').innerText();
    result = {
      messages: MESSAGES,
      interval_ms: INTERVAL_MS,
      quiet_ms: QUIET_MS,
      body_chars: body('x').length,
      sending: {
        how: 'composer filled (one input event: the typing signal) and Enter (the form post); the next send waits for the previous answer',
        span_ms: sends.at(-1)!.at_ms,
        mean_interval_ms: Math.round(sends.at(-1)!.at_ms / Math.max(1, MESSAGES - 1)),
        refused: sends.filter((s) => s.status !== 200).length,
        sends,
      },
      sender_read_events: {
        count: reads.length,
        at_ms: reads,
        min_gap_ms: gaps.length ? Math.min(...gaps) : null,
        last_says: lastRead ? (/Seen by [^<]*/.exec(lastRead.data)?.[0] ?? /Seen[^<]*/.exec(lastRead.data)?.[0] ?? null) : null,
        thread_says: /Seen by \d+/.exec(senderSees)?.[0] ?? null,
      },
      pages,
    };
  } finally {
    await browser.close();
    await app.stop();
  }
} finally {
  await database.drop();
}

const fixed = (n: number) => n.toFixed(1);
const events = (p: PageCost) => Object.entries(p.events_by_name).map(([name, n]) => `${name} ${fixed(n.events)}`).join(', ') || 'none';
const sending = result.sending as { span_ms: number; mean_interval_ms: number; refused: number };
const reads = result.sender_read_events as { count: number; at_ms: number[]; min_gap_ms: number | null; last_says: string | null; thread_says: string | null };

console.log(`\nA group of 4; ${MESSAGES} messages from A, one every ${INTERVAL_MS} ms asked (${sending.mean_interval_ms} ms on average, ${sending.span_ms} ms from first to last${sending.refused ? `, ${sending.refused} refused` : ''}).`);
console.log('Per delivered message, mean (1 KB = 1000 bytes, as Chromium counts them on the wire):\n');
table([
  ['page', 'path', 'requests', 'own POST', 'typing', 'other', 'received', 'besides own POST+typing', 'stream', 'SSE events', 'by name', '`message` events per message'],
  ...pages.map((p) => {
    const m = p.per_message;
    const perMsg = p.message_events_per_message.min === p.message_events_per_message.max ? String(p.message_events_per_message.min) : `${p.message_events_per_message.min}-${p.message_events_per_message.max}`;
    return [p.description, p.path, fixed(m.requests), fixed(m.own_post.requests), fixed(m.typing.requests), fixed(m.other.requests), kb(m.received_bytes), kb(m.received_bytes_besides_own_posts), kb(m.stream.wire_bytes), fixed(m.stream.events), events(m), perMsg];
  }),
]);
console.log('');
for (const p of pages) {
  const paths = Object.entries(p.per_message.by_path).map(([path, v]) => `${path} ${fixed(v.requests)} (${kb(v.received_bytes)})`).join(', ') || 'no requests';
  const named = Object.entries(p.per_message.events_by_name).map(([name, n]) => `${name} ${fixed(n.events)} (${kb(n.bytes)})`).join(', ') || 'none';
  console.log(`${p.description}: ${paths}; events: ${named}${p.per_message.failed_requests ? `; ${fixed(p.per_message.failed_requests)} failed` : ''}`);
}
const gaps = reads.at_ms.slice(1).map((t, i) => t - reads.at_ms[i]!);
console.log(`\nA's \`read\` events ("Seen by N"): ${reads.count} for ${MESSAGES} messages, at ${reads.at_ms.join(', ')} ms after the first send (gaps ${gaps.join(', ') || '-'} ms); the last says "${reads.last_says ?? '?'}"`);

// The goals: as for a direct conversation, one `message` event per member page per message and no
// request besides the sender's own send and typing; the sender's `read` events at most one a second.
const members = pages.filter((p) => p.who !== 'sender');
const senderPage = pages[0]!;
const goals = [
  ...members.map((p) => ({ figure: `${p.description}: \`message\` events per message`, value: `${p.message_events_per_message.min === p.message_events_per_message.max ? p.message_events_per_message.min : `${p.message_events_per_message.min}-${p.message_events_per_message.max}`}`, goal: '1', met: p.message_events_per_message.min === 1 && p.message_events_per_message.max === 1 })),
  ...members.map((p) => ({ figure: `${p.description}: requests per message`, value: fixed(p.per_message.requests), goal: '0', met: p.per_message.requests === 0 })),
  { figure: 'A (sender): requests besides its send and typing', value: fixed(senderPage.per_message.other.requests), goal: '0', met: senderPage.per_message.other.requests === 0 },
  // The server draws them 1000 ms apart at least; on arrival a draw slower than the next (its queries) shows as a shorter gap: 100 ms of that is allowed.
  { figure: 'A (sender): `read` events, closest two apart on arrival', value: reads.min_gap_ms === null ? `${reads.count} event(s)` : `${reads.min_gap_ms} ms`, goal: '≥ 1000 ms (at most one a second; 100 ms of delivery jitter allowed)', met: reads.min_gap_ms === null || reads.min_gap_ms >= 900 },
];
console.log('');
table([['figure', 'value', 'goal', 'met'], ...goals.map((g) => [g.figure, g.value, g.goal, g.met ? 'yes' : 'NO'])]);

mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/group-live-cost.json', `${JSON.stringify({ node: process.version, chromium: chromiumVersion, bytes: BYTES_COUNTED, ...result, goals }, null, 2)}\n`);
console.log('\nresults in bench/results/group-live-cost.json');
process.exit(0);

function table(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
}
