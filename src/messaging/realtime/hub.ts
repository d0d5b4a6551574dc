import type { Response } from 'express';
import type { StreamBody } from './stream-body.js';

/** Bytes a stream may have waiting in its buffer before we give up on it (it will reconnect). */
const MAX_BACKLOG = 256 * 1024;
const HEARTBEAT_MS = 25_000;
/**
 * Open streams one person may hold, across every instance (the shared registry, stream-queries.ts)
 * and on this one (this hub, in case the registry is slow or unreachable); one more closes their oldest.
 */
export const MAX_STREAMS_PER_PERSON = 20;

export interface Stream {
  /** Its name in the registry every instance shares. */
  id: string;
  userId: number;
  /** The person's zone as the stream opened (a meeting's time in a live event is drawn on their clock). */
  timeZone?: string;
  /** The session that opened it (the host's opaque key): the stream ends with it. */
  sessionKey: string;
  res: Response;
  /** Where frames go (compressed or not); the response itself when absent. */
  body?: StreamBody;
  /** What the page shows, as it last said: the conversation open at its newest messages, and whether it is visible. */
  view?: { conversationId: number | null; visible: boolean };
  /** While its session is being checked again, frames wait here instead of going out. */
  held?: string[];
  heldBytes?: number;
  closed?: boolean;
}

/** This instance's open event streams, by user. */
export class StreamHub {
  private readonly byUser = new Map<number, Set<Stream>>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly onFirstOpen: (userId: number) => void,
    private readonly onLastClose: (userId: number) => void,
    /** Each heartbeat: every stream's session is checked again. */
    private readonly onHeartbeat: (streams: Stream[]) => void = () => {},
    private readonly maxPerPerson = MAX_STREAMS_PER_PERSON,
    heartbeatMs = HEARTBEAT_MS,
  ) {
    // One timer for every stream: a comment line keeps proxies and NATs from closing idle ones.
    this.heartbeat = setInterval(() => {
      this.broadcastRaw(': ping\n\n');
      this.onHeartbeat(this.all());
    }, heartbeatMs);
    this.heartbeat.unref();
  }

  /** Adds a stream; past the per-person cap, the person's oldest stream is closed. */
  add(stream: Stream): void {
    let set = this.byUser.get(stream.userId);
    if (!set) {
      set = new Set();
      this.byUser.set(stream.userId, set);
    }
    // A Set iterates in insertion order: the first is the oldest.
    while (set.size >= this.maxPerPerson) this.close(set.values().next().value!);
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

  /**
   * Ends a stream now: nothing more is written to it, and its connection goes too (an idle
   * keep-alive socket would otherwise hold a file descriptor until it times out).
   */
  close(stream: Stream): void {
    if (stream.closed) return;
    stream.closed = true;
    stream.held = undefined;
    this.remove(stream);
    stream.res.once('finish', () => stream.res.socket?.destroy());
    if (stream.body) stream.body.end();
    else stream.res.end();
  }

  has(userId: number): boolean {
    return this.byUser.has(userId);
  }

  connectedUsers(): number[] {
    return [...this.byUser.keys()];
  }

  find(userId: number, streamId: string): Stream | undefined {
    for (const stream of this.byUser.get(userId) ?? []) if (stream.id === streamId) return stream;
    return undefined;
  }

  streamsOf(userId: number): Stream[] {
    return [...(this.byUser.get(userId) ?? [])];
  }

  all(): Stream[] {
    const streams: Stream[] = [];
    for (const set of this.byUser.values()) for (const stream of set) streams.push(stream);
    return streams;
  }

  get size(): number {
    let n = 0;
    for (const set of this.byUser.values()) n += set.size;
    return n;
  }

  /** Frames for these streams wait until release(): their sessions are being checked. */
  hold(streams: readonly Stream[]): void {
    for (const stream of streams) if (!stream.closed && !stream.held) {
      stream.held = [];
      stream.heldBytes = 0;
    }
  }

  /** The session is still good: what waited goes out, in order. */
  release(stream: Stream): void {
    const held = stream.held;
    if (!held) return;
    stream.held = undefined;
    for (const frame of held) if (!this.write(stream, frame)) return;
  }

  /** Some stream of this user takes an event now (open, not held for a session check, not backed up). */
  takesNow(userId: number): boolean {
    for (const stream of this.byUser.get(userId) ?? []) {
      if (!stream.closed && !stream.held && backlogOf(stream) <= MAX_BACKLOG) return true;
    }
    return false;
  }

  /** Sends one event to one stream; false when it did not take it. */
  sendTo(stream: Stream, event: string, data: string): boolean {
    return this.write(stream, formatEvent(event, data));
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
    for (const stream of this.all()) this.close(stream);
  }

  private broadcastRaw(frame: string): void {
    for (const set of this.byUser.values()) for (const stream of set) this.write(stream, frame);
  }

  private write(stream: Stream, frame: string): boolean {
    if (stream.closed) return false;
    if (stream.held) {
      stream.held.push(frame);
      stream.heldBytes = (stream.heldBytes ?? 0) + frame.length;
      if (stream.heldBytes > MAX_BACKLOG) this.close(stream);
      // Not yet delivered: it counts once it goes out.
      return false;
    }
    if (backlogOf(stream) > MAX_BACKLOG) {
      // A slow consumer: drop it rather than buffer without bound.
      stream.closed = true;
      this.remove(stream);
      stream.res.destroy();
      return false;
    }
    if (stream.body) stream.body.write(frame);
    else stream.res.write(frame);
    return true;
  }
}

/** One SSE frame; every line of the data gets its own `data:` field. */
export function formatEvent(event: string, data: string): string {
  return `event: ${event}\ndata: ${data.replace(/\r\n|\r|\n/g, '\ndata: ')}\n\n`;
}

/** What a stream has written and not yet sent. */
const backlogOf = (stream: Stream): number => (stream.body ? stream.body.backlog() : stream.res.writableLength);
