// A small Server-Sent Events client for tests, and the plumbing to put app instances on real ports.
import http from 'node:http';
import zlib from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import type { Express } from 'express';
import type { TestDatabase } from './database.js';

export interface SseEvent {
  /** The `event:` field, or `message` for an unnamed event (as EventSource does). */
  event: string;
  /** The `data:` lines, joined by \n. */
  data: string;
  id: string | undefined;
  /** Its position in `events` (0 for the first). */
  index: number;
  /** When it arrived (Date.now()). */
  at: number;
}

export interface EventStream {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Every event received so far, in order. */
  events: SseEvent[];
  /** The raw text received so far (decompressed). */
  raw: string;
  /** Bytes received so far as they came on the wire (compressed, if the stream is). */
  wireBytes: number;
  /** The last `retry:` value received, if any. */
  retry: number | undefined;
  /** True once the server ended the response (or the connection broke). */
  ended: boolean;
  /** Resolves when the response ends (the server closed the stream, or close() was called). */
  done: Promise<void>;
  /** The first event (already received or still to come) that matches; rejects after timeoutMs or when the stream ends first. */
  waitFor(predicate: (event: SseEvent) => boolean, timeoutMs?: number, description?: string): Promise<SseEvent>;
  /** The events received so far that match. */
  matching(predicate: (event: SseEvent) => boolean): SseEvent[];
  close(): void;
}

const open = new Set<EventStream>();

/** Closes every stream opened through openEventStream and not closed yet. */
export function closeAllEventStreams(): void {
  for (const stream of [...open]) stream.close();
}

/** GET /events with the given session cookie; resolves once the response head has arrived. */
export function openEventStream(baseUrl: string, cookie: string | undefined, extraHeaders: Record<string, string> = {}, path = '/events'): Promise<EventStream> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Accept: 'text/event-stream', ...extraHeaders };
    if (cookie) headers.Cookie = cookie;
    // A socket of its own (no keep-alive pool): closing the stream closes the connection.
    const req = http.get(new URL(path, baseUrl), { headers, agent: false });
    req.on('error', (err) => reject(err));
    req.on('response', (res) => {
      res.on('data', (chunk: Buffer | string) => void (stream.wireBytes += Buffer.byteLength(chunk)));
      // Asked for with Accept-Encoding: gzip (as browsers do), the stream comes compressed.
      const body = res.headers['content-encoding'] === 'gzip' ? res.pipe(zlib.createGunzip()) : res;
      body.setEncoding('utf8');
      const waiters = new Set<{ predicate: (event: SseEvent) => boolean; resolve: (event: SseEvent) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }>();
      let buffer = '';
      let data: string[] = [];
      let eventName = '';
      let lastId: string | undefined;
      let markDone: () => void = () => {};
      const done = new Promise<void>((r) => (markDone = r));

      const stream: EventStream = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        events: [],
        raw: '',
        wireBytes: 0,
        retry: undefined,
        ended: false,
        done,
        waitFor(predicate, timeoutMs = 1000, description = 'a matching event') {
          const found = stream.events.find(predicate);
          if (found) return Promise.resolve(found);
          if (stream.ended) return Promise.reject(new Error(`the stream ended before ${description} arrived; got ${summary()}`));
          return new Promise((resolveWait, rejectWait) => {
            const waiter = {
              predicate,
              resolve: resolveWait,
              reject: rejectWait,
              timer: setTimeout(() => {
                waiters.delete(waiter);
                rejectWait(new Error(`no ${description} within ${timeoutMs} ms; got ${summary()}`));
              }, timeoutMs),
            };
            waiters.add(waiter);
          });
        },
        matching: (predicate) => stream.events.filter(predicate),
        close() {
          open.delete(stream);
          req.destroy();
          res.destroy();
          finish();
        },
      };
      open.add(stream);

      const summary = () =>
        stream.events.length === 0 ? 'no events' : stream.events.map((e) => `${e.event}: ${e.data.replace(/\s+/g, ' ').slice(0, 160)}`).join(' | ');

      const dispatch = () => {
        if (data.length === 0) {
          eventName = '';
          return;
        }
        const event: SseEvent = { event: eventName || 'message', data: data.join('\n'), id: lastId, index: stream.events.length, at: Date.now() };
        data = [];
        eventName = '';
        stream.events.push(event);
        for (const waiter of [...waiters]) {
          if (!waiter.predicate(event)) continue;
          clearTimeout(waiter.timer);
          waiters.delete(waiter);
          waiter.resolve(event);
        }
      };

      const line = (text: string) => {
        if (text === '') return dispatch();
        if (text.startsWith(':')) return; // a comment (heartbeat)
        const colon = text.indexOf(':');
        const field = colon === -1 ? text : text.slice(0, colon);
        let value = colon === -1 ? '' : text.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') eventName = value;
        else if (field === 'data') data.push(value);
        else if (field === 'id') lastId = value;
        else if (field === 'retry' && /^\d+$/.test(value)) stream.retry = Number(value);
      };

      function finish() {
        if (stream.ended) return;
        stream.ended = true;
        open.delete(stream);
        for (const waiter of waiters) {
          clearTimeout(waiter.timer);
          waiter.reject(new Error(`the stream ended before the awaited event arrived; got ${summary()}`));
        }
        waiters.clear();
        markDone();
      }

      body.on('data', (chunk: string) => {
        stream.raw += chunk;
        buffer += chunk;
        // Lines end with \r\n, \n or \r; a trailing \r may be the first half of a \r\n.
        let match: RegExpExecArray | null;
        const lineEnd = /\r\n|\n|\r(?!$)/;
        while ((match = lineEnd.exec(buffer))) {
          line(buffer.slice(0, match.index));
          buffer = buffer.slice(match.index + match[0].length);
        }
      });
      body.on('end', finish);
      res.on('close', finish);
      res.on('error', finish);
      body.on('error', finish);
      resolve(stream);
    });
  });
}

export interface Listening {
  server: http.Server;
  baseUrl: string;
  close(): Promise<void>;
}

/** Listens an Express app on an ephemeral port of 127.0.0.1. */
export async function listen(app: Express): Promise<Listening> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    server,
    baseUrl: `http://127.0.0.1:${port}`,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

/** The backends of this database that sit in LISTEN (one per app instance whose listener is up). */
export async function listenerPids(db: TestDatabase['db']): Promise<number[]> {
  const result = await sql<{ pid: number }>`
    select pid from pg_stat_activity
     where datname = current_database() and query ilike 'listen%' and pid <> pg_backend_pid()
     order by backend_start`.execute(db);
  return result.rows.map((row) => Number(row.pid));
}

/** Waits until `count` listeners are up on this database; returns their pids. */
export async function waitForListeners(db: TestDatabase['db'], count: number, timeoutMs = 10_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let pids: number[] = [];
  while (Date.now() < deadline) {
    pids = await listenerPids(db);
    if (pids.length >= count) return pids;
    await sleep(50);
  }
  throw new Error(`expected ${count} LISTEN connections within ${timeoutMs} ms, found ${pids.length}`);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Waits until `userId` is recorded as on a page (the stream's hello goes out before that row
 * commits, so a page read right after hello may not count them yet).
 */
export async function waitForPresence(db: TestDatabase['db'], userId: number, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const row = await db.selectFrom('presence').select('user_id').where('user_id', '=', userId).executeTakeFirst();
    if (row) return;
    await sleep(20);
  }
  throw new Error(`user ${userId} was not recorded as present within ${timeoutMs} ms`);
}
