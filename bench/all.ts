// Every benchmark, one after another (each also runs alone: npm run bench:<name>), then one table
// of the headline figures beside their targets, written to bench/results/summary.json.
//
//   npm run bench                      (all)
//   BENCHES=thread,inbox npm run bench (some)
//   REPORT_ONLY=1 npm run bench        (the table from the last results, nothing run)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';

type Json = Record<string, unknown>;
interface Line {
  bench: string;
  figure: string;
  value: string;
  target: string;
  met: boolean | undefined;
}

const ALL = ['thread', 'inbox', 'search', 'realtime', 'send', 'load', 'lighthouse', 'decode', 'streams', 'live'];
const chosen = (process.env.BENCHES ?? ALL.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
const resultFile: Record<string, string> = { send: 'send-throughput', decode: 'decode-flood', streams: 'stream-flood' };

const ran: Record<string, { exit: number | null; seconds: number }> = {};
for (const name of chosen) {
  // REPORT_ONLY=1: the table from the results already on disk, without running anything.
  if (process.env.REPORT_ONLY) {
    ran[name] = { exit: 0, seconds: 0 };
    continue;
  }
  console.log(`\n=== npm run bench:${name} ===`);
  const started = performance.now();
  const run = spawnSync('npm', ['run', '--silent', `bench:${name}`], { stdio: 'inherit', env: process.env });
  ran[name] = { exit: run.status, seconds: Math.round((performance.now() - started) / 1000) };
}

const read = (name: string): Json | undefined => {
  const file = `bench/results/${resultFile[name] ?? name}.json`;
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Json) : undefined;
};
const lines: Line[] = [];
const add = (bench: string, figure: string, value: string, target = '', met?: boolean) => lines.push({ bench, figure, value, target, met });
const num = (v: unknown) => (typeof v === 'number' ? v : Number(v));

for (const name of chosen) {
  const r = read(name);
  if (!r || ran[name]?.exit !== 0) {
    add(name, 'run', `exit ${ran[name]?.exit ?? '?'}`, 'exit 0', false);
    continue;
  }
  if (name === 'thread') {
    for (const p of r.pages as Json[]) {
      add(name, `${p.page}: ${r.small} vs ${r.messages} messages, p50`, `${p.small_p50_ms} / ${p.big_p50_ms} ms (x${p.ratio_p50})`, '≤ x2', num(p.ratio_p50) <= 2);
      add(name, `${p.page}: statements per request`, `${p.statements_small} / ${p.statements_big}`, 'same', p.statements_small === p.statements_big);
    }
    const poll = r.polling as Json;
    add(name, 'unchanged poll (304) vs full render, req/s', `${poll.poll_304_rps} / ${poll.full_render_rps} (x${poll.ratio})`, '≥ x4', num(poll.ratio) >= 4);
  } else if (name === 'inbox') {
    for (const p of r.pages as Json[]) add(name, `${p.page}: ${r.small} vs ${r.conversations} conversations, p50`, `${p.small_p50_ms} / ${p.big_p50_ms} ms (x${p.ratio_p50})`, '≤ x2', num(p.ratio_p50) <= 2);
  } else if (name === 'realtime') {
    for (const d of r.delivery as Json[]) {
      add(name, `${d.rate} msg/s: delivered, p50, p99`, `${d.delivered}/${d.sent}, ${d.p50_ms} ms, ${d.p99_ms} ms`, d.rate === 200 ? 'p99 < 50 ms, none lost' : 'none lost', d.delivered === d.sent && (d.rate !== 200 || num(d.p99_ms) < 50));
    }
    const idle = r.idle as Json;
    add(name, 'idle streams on one instance', `${idle.streams} at ${(num(idle.bytes_per_stream) / 1024).toFixed(1)} KB each`, '10,000 at < 25 KB', num(idle.streams) >= 10_000 && num(idle.bytes_per_stream) < 25 * 1024);
  } else if (name === 'send') {
    const peak = r.peak as Json;
    const sustained = r.max_sustainable as Json;
    const floor = (r.floor as Json[]).filter((f) => f.kind === 'insert+notify').map((f) => num(f.stored_per_s));
    add(name, 'messages stored and delivered per second, one instance (peak)', `${peak.stored_per_s} / ${peak.delivered_per_s} (p99 ${peak.send_p99_ms} ms)`, '≥ 1,000 at p99 < 100 ms', false);
    add(name, 'highest rate with p99 < 100 ms', `${sustained.stored_per_s}/s`, '≥ 1,000', num(sustained.stored_per_s) >= 1000);
    add(name, 'floor: bare INSERT+NOTIFY per second', `${Math.max(...floor)}`, '');
    const once = r.exactly_once as Json;
    add(name, 'acknowledged sends stored exactly once', `${once.stored_once}/${once.acknowledged}`, 'all', once.ok === true);
  } else if (name === 'load') {
    const pages = r.pages as Json;
    const once = r.exactly_once as Json;
    add(name, `${r.vus} users for ${r.duration_s} s: page p95`, `${pages.p95_ms} ms`, '< 300 ms', num(pages.p95_ms) < 300);
    add(name, '5xx answers', String(r.five_xx), '0', num(r.five_xx) === 0);
    add(name, 'acknowledged sends stored exactly once', `${once.stored_once}/${once.acknowledged}`, 'all', once.ok === true);
  } else if (name === 'lighthouse') {
    for (const p of r.pages as Json[]) add(name, `${p.page} at phone size: performance, accessibility`, `${p.performance}, ${p.accessibility}`, '≥ 95, ≥ 95', num(p.performance) >= 95 && num(p.accessibility) >= 95);
  } else if (name === 'search') {
    for (const p of r.http as Json[]) add(name, `search, ${p.query}: p50`, `${p.p50_ms} ms`, '');
    add(name, 'words only in others\' messages vs absent words, p50', `x${r.ratio_present_vs_absent_p50} (prefixes x${r.ratio_prefix_vs_absent_p50})`, `≤ x${r.goal}`, r.met === true);
  } else if (name === 'streams') {
    const during = r.during as Json;
    const flood = r.flood as Json;
    add(name, `another person's inbox p95 during ${r.connects} stream connects by one person`, `${during.p95_ms} ms, ${during.errors} errors`, '< 300 ms, no errors', num(during.p95_ms) < 300 && num(during.errors) === 0);
    add(name, 'streams the flooder holds at the end', String(flood.held_at_end), '≤ 20', num(flood.held_at_end) <= 20);
  } else if (name === 'live') {
    // Issue 13's wire budgets per delivered message, beside the figures measured before the rewrite.
    for (const b of r.budgets as Json[]) add(name, b.before ? `${b.figure} (before: ${b.before})` : String(b.figure), String(b.value), String(b.target), b.met as boolean | undefined);
  } else if (name === 'decode') {
    for (const p of r.phases as Json[]) {
      const flood = p.phase !== 'quiet';
      add(name, `another person's inbox, p50 / p95, ${flood ? `${r.flooders} hostile image sends at a time (${p.phase})` : 'no flood'}`, `${p.inbox_p50_ms} / ${p.inbox_p95_ms} ms`, flood ? 'p95 < 200 ms' : '', flood ? num(p.inbox_p95_ms) < 200 : undefined);
    }
  }
}

const width = (key: keyof Line) => Math.max(...lines.map((l) => String(l[key]).length), key.length);
const cols: (keyof Line)[] = ['bench', 'figure', 'value', 'target'];
console.log(`\n${cols.map((c) => c.padEnd(width(c))).join('  ')}  met`);
for (const l of lines) console.log(`${cols.map((c) => String(l[c]).padEnd(width(c))).join('  ')}  ${l.met === undefined ? '' : l.met ? 'yes' : 'NO'}`);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/summary.json', `${JSON.stringify({ node: process.version, ran, lines }, null, 2)}\n`);
console.log('\nresults in bench/results/summary.json');
