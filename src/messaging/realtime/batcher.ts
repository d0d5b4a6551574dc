/**
 * Gathers items and hands them to `work` in batches: the first item of a quiet moment goes out
 * alone (no timer, no added wait), and while a batch is in the database the next one gathers.
 * Under load, a few queries serve many items instead of a few queries each. Order is kept.
 */
export class Batcher<T> {
  private pending: T[] = [];
  private running = false;

  constructor(
    private readonly work: (items: T[]) => Promise<void>,
    private readonly onError: (err: unknown) => void,
    private readonly maxBatch = 500,
  ) {}

  add(item: T): void {
    this.pending.push(item);
    if (this.running) return;
    this.running = true;
    // Items heard in the same tick (one read from the socket) share the first batch.
    queueMicrotask(() => void this.drain());
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch);
      try {
        await this.work(batch);
      } catch (err) {
        this.onError(err);
      }
    }
    this.running = false;
  }
}
