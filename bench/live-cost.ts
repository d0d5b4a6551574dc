// What each open page costs per delivered message, in real Chromium (issue 13's budgets): two
// connected people with a conversation, the app in its own process as in production on a fresh
// database; the measuring itself is bench/live-cost-measure.ts (a browser test can call it too).
// Scenario A: both on the thread. Scenario B: the recipient on the inbox. Bytes received: each
// response's encodedDataLength as Chromium counts it (headers and compressed body) and, for the
// event stream, each event's text from Network.eventSourceMessageReceived in its HTTP/1.1 chunk
// (Chromium's own per-chunk figure for a stream comes a chunk late; it is in the JSON beside).
//
//   npm run bench:live                  (10 messages per scenario; DATABASE_URL to use your server)
//   MESSAGES=20 QUIET_MS=2000 npm run bench:live
import { mkdirSync, writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { hashPassword } from '../src/auth/password.js';
import { kb, BYTES_COUNTED, measureLiveCost, type LiveCostResult, type PageCost, type ScenarioCost } from './live-cost-measure.js';
import { benchDatabase, createConversations, createUsers, startAppProcess } from './support.js';

const MESSAGES = Number(process.env.MESSAGES ?? 10);
const QUIET_MS = Number(process.env.QUIET_MS ?? 1500);
const PASSWORD = 'live-cost-password';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Debian's Chromium with the browser tests' flags: no background traffic, no updates, no sync.
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

const database = await benchDatabase();
let result: LiveCostResult;
let chromiumVersion = '';
try {
  const [sender, recipient] = await createUsers(database.db, 'live', 2);
  const ids = [sender!.id, recipient!.id];
  // Logged in through the form, so a real password (bench users come with sessions only).
  await database.db.updateTable('users').set({ password_hash: await hashPassword(PASSWORD) }).where('id', 'in', ids).execute();
  await database.db.insertInto('connections').values({ user_low: Math.min(...ids), user_high: Math.max(...ids), requested_by: sender!.id, status: 'accepted', accepted_at: new Date() }).execute();
  const [conversationId] = await createConversations(database.db, [[sender!.id, recipient!.id]]);
  const users = await database.db.selectFrom('users').select(['id', 'username']).where('id', 'in', ids).execute();
  const username = (id: number) => users.find((u) => u.id === id)!.username;

  const app = await startAppProcess(database.url);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
  chromiumVersion = browser.version();
  try {
    result = await measureLiveCost({
      newContext: () => browser.newContext({ baseURL: app.url, viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 }),
      sender: { username: username(sender!.id), password: PASSWORD },
      recipient: { username: username(recipient!.id), password: PASSWORD },
      conversationId: conversationId!,
      messages: MESSAGES,
      quietMs: QUIET_MS,
    });
  } finally {
    await browser.close();
    await app.stop();
  }
} finally {
  await database.drop();
}

const label = { both_threads_open: 'A. both threads open', recipient_on_inbox: 'B. recipient on the inbox' };
const rows: string[][] = [['scenario', 'page', 'requests', 'own POST', 'typing', 'other', 'received', 'of it headers', 'besides own POST+typing', 'stream', 'SSE events']];
const details: string[] = [];
for (const s of result.scenarios) {
  for (const who of ['recipient', 'sender'] as const) {
    const p = s.pages[who].per_message;
    rows.push([label[s.name], `${who} ${s.pages[who].path}`, fixed(p.requests), fixed(p.own_post.requests), fixed(p.typing.requests), fixed(p.other.requests), kb(p.received_bytes), kb(p.response_header_bytes), kb(p.received_bytes_besides_own_posts), kb(p.stream.wire_bytes), fixed(p.stream.events)]);
    details.push(`${label[s.name]}, ${who}: ${describe(p)}`);
  }
}
console.log(`\nPer delivered message, mean of ${result.messages} (1 KB = 1000 bytes, as Chromium counts them on the wire):\n`);
table(rows);
console.log('');
for (const line of details) console.log(line);

// Issue 13's budgets beside the figures an outside review measured on the code before it.
const page = (name: ScenarioCost['name'], who: 'sender' | 'recipient') => result.scenarios.find((s) => s.name === name)?.pages[who].per_message;
const budgets: { figure: string; value: string; target: string; before: string; met?: boolean }[] = [];
const budget = (p: PageCost | undefined, figure: string, read: (p: PageCost) => number, show: (v: number) => string, target: string, limit: number, before: string) => {
  if (p) budgets.push({ figure, value: show(read(p)), target, before, met: read(p) <= limit });
};
for (const name of ['both_threads_open', 'recipient_on_inbox'] as const) {
  const where = name === 'both_threads_open' ? 'both threads open' : 'recipient on the inbox';
  const inbox = name === 'recipient_on_inbox';
  budget(page(name, 'recipient'), `${where}: recipient requests per message`, (p) => p.requests, fixed, inbox ? '0' : '≤ 1', inbox ? 0 : 1, inbox ? '2' : '3 (/row, /badge, /tail)');
  budget(page(name, 'recipient'), `${where}: recipient received per message`, (p) => p.received_bytes, kb, '≤ 1.5 KB', 1500, inbox ? '~2 KB' : '~4 KB');
  budget(page(name, 'sender'), `${where}: sender requests besides its POST and typing`, (p) => p.other.requests, fixed, '0', 0, inbox ? '' : '2 (/tail)');
  budget(page(name, 'sender'), `${where}: sender received per message (answers to its POST and typing included)`, (p) => p.received_bytes, kb, '≤ 2 KB', 2000, inbox ? '' : '~6.6 KB');
  for (const who of ['recipient', 'sender'] as const) {
    const p = page(name, who);
    if (p) budgets.push({ figure: `${where}: ${who}'s SSE events per message`, value: `${fixed(p.stream.events)} (${events(p)})`, target: 'one per change', before: '' });
  }
}
console.log('');
table([['figure', 'value', 'target', 'before (review)', 'met'], ...budgets.map((b) => [b.figure, b.value, b.target, b.before, b.met === undefined ? '' : b.met ? 'yes' : 'NO'])]);

mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/live.json', `${JSON.stringify({ node: process.version, chromium: chromiumVersion, bytes: BYTES_COUNTED, ...result, budgets }, null, 2)}\n`);
console.log('\nresults in bench/results/live.json');
process.exit(0);

function table(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
}

function fixed(n: number): string {
  return n.toFixed(1);
}

function events(p: PageCost): string {
  return Object.entries(p.events_by_name).map(([name, n]) => `${name} ${fixed(n.events)}`).join(', ') || 'none';
}

function describe(p: PageCost): string {
  const paths = Object.entries(p.by_path).map(([path, v]) => `${path} ${fixed(v.requests)} (${kb(v.received_bytes)})`).join(', ') || 'no requests';
  const own = p.own_post.requests ? `; own POST ${kb(p.own_post.sent_bytes)} sent, ${kb(p.own_post.received_bytes)} received; typing ${fixed(p.typing.requests)}: ${kb(p.typing.sent_bytes)} sent, ${kb(p.typing.received_bytes)} received` : '';
  return `${paths}; events: ${Object.entries(p.events_by_name).map(([name, n]) => `${name} ${fixed(n.events)} (${kb(n.bytes)})`).join(', ') || 'none'}; stream ${kb(p.stream.wire_bytes)} on the wire (${kb(p.stream.event_bytes)} of event text, DevTools says ${kb(p.stream.devtools_bytes)})${own}${p.failed_requests ? `; ${fixed(p.failed_requests)} failed` : ''}`;
}
