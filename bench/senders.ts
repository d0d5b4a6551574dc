import http from 'node:http';
import { defaultLimits } from '../src/messaging/limits.js';
import { CpuMeter, selfCpuSeconds, type BenchUser } from './support.js';

// What the benches that send through the app share: senders that never meet the app's limit, warm
// sessions, and how busy the machine was before the run.

const LIMIT = defaultLimits.messages;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Hands out senders so that none is ever refused by the app's per-person limit: a sender is free
 * when nothing of theirs is in flight and fewer than `max` of their sends were answered in the
 * last window plus a second (the database counts by the time it stored them, which falls between
 * the send's start and its answer). Round robin, so the load spreads over everyone.
 */
export class SenderPool {
  private readonly answered: number[][];
  private readonly busy = new Set<number>();
  private next = 0;
  waits = 0;

  constructor(private readonly size: number) {
    this.answered = Array.from({ length: size }, () => []);
  }

  acquire(now = performance.now()): number | undefined {
    for (let tried = 0; tried < this.size; tried++) {
      const i = this.next;
      this.next = (this.next + 1) % this.size;
      if (this.busy.has(i)) continue;
      const times = this.answered[i]!;
      while (times.length > 0 && times[0]! < now - (LIMIT.windowSeconds + 1) * 1000) times.shift();
      if (times.length >= LIMIT.max) continue;
      this.busy.add(i);
      return i;
    }
    this.waits += 1;
    return undefined;
  }

  release(i: number, at: number): void {
    this.busy.delete(i);
    this.answered[i]!.push(at);
  }
}

/** Two requests per person first, so that a session's first-of-the-day write is not measured. */
export async function warmSessions(base: string, users: BenchUser[], agent: http.Agent): Promise<void> {
  const get = (user: BenchUser) =>
    new Promise<void>((resolve, reject) => {
      http
        .get(`${base}/messages/badge`, { agent, headers: { Cookie: user.cookie, 'HX-Request': 'true' } }, (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`badge: ${res.statusCode}`))));
        })
        .on('error', reject);
    });
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < users.length) {
        const user = users[next++]!;
        await get(user);
        await get(user);
      }
    }),
  );
}

/** Three seconds of the machine before anything starts: how busy other people's processes keep it. */
export async function idleMachine() {
  const meter = new CpuMeter({ generator: selfCpuSeconds });
  const from = meter.snapshot();
  await sleep(3000);
  return meter.since(from);
}
