import pg from 'pg';
import type { Logger } from '../../logger.js';
import { CHANNEL, parseSignal, type RealtimeSignal } from './channel.js';

/**
 * One LISTEN connection per app instance. When it drops it reconnects with backoff, and tells
 * its owner, so pages can refresh what they may have missed in between.
 */
export class SignalListener {
  private client: pg.Client | undefined;
  private stopped = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly connectionString: string,
    private readonly log: Logger,
    private readonly onSignal: (signal: RealtimeSignal) => void,
    private readonly onReconnect: () => void = () => {},
  ) {}

  /** Resolves once the first LISTEN is in place. */
  async start(): Promise<void> {
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    client.on('notification', (message) => {
      const signal = parseSignal(message.payload);
      if (signal) this.onSignal(signal);
    });
    await client.connect();
    await client.query(`listen ${CHANNEL}`);
    if (this.stopped) {
      await client.end();
      return;
    }
    const reconnected = this.attempt > 0;
    this.client = client;
    this.attempt = 0;
    if (reconnected) {
      this.log.info('realtime listener reconnected');
      this.onReconnect();
    }
  }

  private lost(client: pg.Client, err?: Error): void {
    if (this.stopped || this.client !== client) return;
    this.client = undefined;
    this.log.warn({ err }, 'realtime listener lost its connection; retrying');
    client.end().catch(() => {});
    this.retry();
  }

  private retry(): void {
    this.attempt += 1;
    const delay = Math.min(30_000, 250 * 2 ** Math.min(this.attempt, 7)) * (0.5 + Math.random() / 2);
    this.timer = setTimeout(() => {
      this.connect().catch((err) => {
        this.log.warn({ err }, 'realtime listener could not reconnect');
        if (!this.stopped) this.retry();
      });
    }, delay);
    this.timer.unref();
  }
}
