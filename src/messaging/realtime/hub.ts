import type { Response } from 'express';

/** Bytes a stream may have waiting in its buffer before we give up on it (it will reconnect). */
const MAX_BACKLOG = 256 * 1024;
const HEARTBEAT_MS = 25_000;

export interface Stream {
  userId: number;
  res: Response;
}

/** This instance's open event streams, by user. */
export class StreamHub {
  private readonly byUser = new Map<number, Set<Stream>>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly onFirstOpen: (userId: number) => void, private readonly onLastClose: (userId: number) => void) {
    // One timer for every stream: a comment line keeps proxies and NATs from closing idle ones.
    this.heartbeat = setInterval(() => this.broadcastRaw(': ping\n\n'), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  add(stream: Stream): void {
    let set = this.byUser.get(stream.userId);
    if (!set) {
      set = new Set();
      this.byUser.set(stream.userId, set);
    }
    set.add(stream);
    if (set.size === 1) this.onFirstOpen(stream.userId);
  }

  remove(stream: Stream): void {
    const set = this.byUser.get(stream.userId);
    if (!set?.delete(stream)) return;
    if (set.size === 0) {
      this.byUser.delete(stream.userId);
      this.onLastClose(stream.userId);
    }
  }

  has(userId: number): boolean {
    return this.byUser.has(userId);
  }

  connectedUsers(): number[] {
    return [...this.byUser.keys()];
  }

  get size(): number {
    let n = 0;
    for (const set of this.byUser.values()) n += set.size;
    return n;
  }

  /** Sends one event to every open stream of a user; returns how many took it. */
  send(userId: number, event: string, data: string): number {
    const set = this.byUser.get(userId);
    if (!set) return 0;
    const frame = formatEvent(event, data);
    let delivered = 0;
    for (const stream of set) if (this.write(stream, frame)) delivered += 1;
    return delivered;
  }

  /** Ends every stream (at shutdown): browsers reconnect, to another instance if there is one. */
  closeAll(): void {
    clearInterval(this.heartbeat);
    for (const set of this.byUser.values()) for (const stream of set) stream.res.end();
  }

  private broadcastRaw(frame: string): void {
    for (const set of this.byUser.values()) for (const stream of set) this.write(stream, frame);
  }

  private write(stream: Stream, frame: string): boolean {
    if (stream.res.writableLength > MAX_BACKLOG) {
      // A slow consumer: drop it rather than buffer without bound.
      stream.res.destroy();
      return false;
    }
    stream.res.write(frame);
    return true;
  }
}

/** One SSE frame; every line of the data gets its own `data:` field. */
export function formatEvent(event: string, data: string): string {
  return `event: ${event}\ndata: ${data.replace(/\r\n|\r|\n/g, '\ndata: ')}\n\n`;
}
