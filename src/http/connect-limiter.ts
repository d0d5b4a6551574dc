/**
 * How often one person (or one session cookie) may open an event stream on this instance: a bucket of `burst` opens that
 * refills at `perMinute`. A page opens one stream; a restart brings every tab back at once, well
 * within the burst. Kept in memory: it guards this process's sockets and pool, and costs nothing
 * to ask before any query.
 */
export class ConnectLimiter {
  private readonly buckets = new Map<number | string, { tokens: number; at: number }>();

  constructor(
    private readonly burst = 30,
    private readonly perMinute = 30,
  ) {}

  /** Takes one open; undefined when allowed, else the seconds until the next one is. */
  take(key: number | string, now = Date.now()): number | undefined {
    const refill = this.perMinute / 60_000;
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) * refill);
    bucket.at = now;
    if (this.buckets.size > 100_000) this.sweep(now);
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    return Math.ceil((1 - bucket.tokens) / refill / 1000);
  }

  /** Full buckets are the default: forgetting them changes nothing. */
  private sweep(now: number): void {
    const fullAfterMs = (this.burst * 60_000) / this.perMinute;
    for (const [key, bucket] of this.buckets) if (now - bucket.at > fullAfterMs) this.buckets.delete(key);
  }
}
