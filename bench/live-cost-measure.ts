// What each open page of Courier costs per delivered message, measured in real Chromium through
// the DevTools protocol: requests, bytes received on the wire and server-sent events. Separate
// from starting the app, so a browser test can call measureLiveCost() on its own harness.
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { logInPage } from '../tests/support/browser.js';

export type ScenarioName = 'both_threads_open' | 'recipient_on_inbox';
export type Person = { username: string; password: string };

export interface LiveCostOptions {
  /** A fresh browser context on the app: baseURL set, JavaScript on, 1280 px wide. */
  newContext(): Promise<BrowserContext>;
  sender: Person;
  recipient: Person;
  /** Their conversation (the two must be connected). */
  conversationId: number;
  /** Messages measured per scenario (after one warm-up message that is not counted). Default 10. */
  messages?: number;
  /** Quiet time after each message (no request in flight, no event) before the next. Default 1500 ms. */
  quietMs?: number;
  scenarios?: ScenarioName[];
}

type Traffic = { requests: number; sent_bytes: number; received_bytes: number };

export interface PageCost {
  /** Every request but the long-lived /events stream. */
  requests: number;
  /** Everything received on the wire: every response (headers and encoded body) and the stream's wire_bytes. */
  received_bytes: number;
  /** Of those, the responses' headers (the stream's excepted). */
  response_header_bytes: number;
  /** The page's own send (POST /messages/:id/messages); sent bytes: request line, headers, body. */
  own_post: Traffic;
  /** The "typing…" signals (POST /messages/:id/typing). */
  typing: Traffic;
  /** Every other request. */
  other: Traffic;
  /**
   * The event stream: events; their text (event: and data: lines, Network.eventSourceMessageReceived);
   * that text in HTTP/1.1 chunks, one per event as the server writes them; and Network.dataReceived's
   * encodedDataLength, which Chromium reports a chunk late (0, then with the next), so off at the edges.
   */
  stream: { events: number; event_bytes: number; wire_bytes: number; devtools_bytes: number };
  /** received_bytes less the own POST's and the typing signals' answers. */
  received_bytes_besides_own_posts: number;
  failed_requests: number;
  by_path: Record<string, { requests: number; received_bytes: number }>;
  events_by_name: Record<string, { events: number; bytes: number }>;
}

export interface ScenarioCost {
  name: ScenarioName;
  description: string;
  pages: Record<'sender' | 'recipient', { path: string; totals: PageCost; per_message: PageCost }>;
}

export type LiveCostResult = { messages: number; quiet_ms: number; body_chars: number; type_delay_ms: number; scenarios: ScenarioCost[] };

/** How the bytes are counted, for the results' JSON. */
export const BYTES_COUNTED = 'received: each response\'s encodedDataLength at Network.loadingFinished (headers and encoded body; at Network.responseReceived for one Chromium cancels unread), plus the stream\'s wire_bytes: each event\'s text (event:/data: lines, Network.eventSourceMessageReceived) in its HTTP/1.1 chunk; devtools_bytes: Network.dataReceived encodedDataLength for /events (reported a chunk late); sent bytes: request line, headers, body (HTTP/1.1 framing)';

export const TYPE_DELAY_MS = 20;
/** Bytes as the tables print them. */
export const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} KB`;
export const body = (label: string) => `${label}: are we still on for Saturday at the station?`.slice(0, 60).padEnd(60, '.');

/** A request. Bytes: its line and body, its headers, all that came back and of it the response's headers. */
type Hop = { key: string; kind: 'own_post' | 'typing' | 'other'; line: number; sent: number; received: number; headers: number; done: boolean; failed: boolean; status?: number };

/** One page's traffic since the last reset, from the DevTools protocol's Network domain. */
export class WireMeter {
  private hops = new Map<string, Hop>();
  private readonly streams = new Set<string>();
  /** The stream came gzip-compressed: then only DevTools' count says what crossed the wire. */
  private compressed = false;
  private readonly early = new Map<string, { sent?: number; headers?: number }>();
  private stream = { events: 0, event_bytes: 0, wire_bytes: 0, devtools_bytes: 0 };
  private events = new Map<string, { events: number; bytes: number }>();
  lastActivity = performance.now();

  constructor(cdp: CDPSession) {
    const hop = (id: string, touch = true) => {
      if (touch && this.hops.has(id)) this.lastActivity = performance.now();
      return this.hops.get(id);
    };
    cdp.on('Network.requestWillBeSent', (e) => {
      const url = new URL(e.request.url);
      if (!url.protocol.startsWith('http')) return;
      if (url.pathname === '/events' || e.type === 'EventSource') return void this.streams.add(e.requestId);
      this.lastActivity = performance.now();
      const previous = this.hops.get(e.requestId);
      // A redirect ends one hop (its answer counted here) and starts the next under the same id.
      if (previous && e.redirectResponse) this.hops.set(`${e.requestId}#${this.hops.size}`, { ...previous, received: e.redirectResponse.encodedDataLength, done: true });
      const path = url.pathname.replace(/\/\d+(?=\/|$)/g, '/:id');
      const post = e.request.method === 'POST';
      const kind = post && path === '/messages/:id/messages' ? 'own_post' : post && path.endsWith('/typing') ? 'typing' : 'other';
      // Sent bytes, as HTTP/1.1 frames them: the request line, the headers and the body.
      const line = `${e.request.method} ${url.pathname}${url.search} HTTP/1.1\r\n`.length + 2 + Buffer.byteLength(e.request.postData ?? '');
      const early = this.early.get(e.requestId);
      this.early.delete(e.requestId);
      this.hops.set(e.requestId, { key: `${e.request.method} ${path}`, kind, line, sent: early?.sent ?? headerBytes(e.request.headers), received: 0, headers: early?.headers ?? 0, done: false, failed: false });
    });
    // The headers really sent (cookies too) and received; these may come before requestWillBeSent.
    const extra = (id: string, field: 'sent' | 'headers', bytes: number) => {
      const h = hop(id, false);
      if (h && !h.done) h[field] = bytes;
      else this.early.set(id, { ...this.early.get(id), [field]: bytes });
    };
    cdp.on('Network.requestWillBeSentExtraInfo', (e) => extra(e.requestId, 'sent', headerBytes(e.headers)));
    cdp.on('Network.responseReceivedExtraInfo', (e) => extra(e.requestId, 'headers', e.headersText ? Buffer.byteLength(e.headersText) : headerBytes(e.headers)));
    // A response nobody reads (the typing signal's 204) is then cancelled by Chromium: what had
    // arrived by then counts, and it is no failure.
    cdp.on('Network.responseReceived', (e) => {
      if (this.streams.has(e.requestId)) this.compressed = /gzip|br|deflate/i.test(String(e.response.headers['Content-Encoding'] ?? e.response.headers['content-encoding'] ?? ''));
      const h = hop(e.requestId);
      if (h) [h.received, h.status] = [Math.max(h.received, e.response.encodedDataLength), e.response.status];
    });
    cdp.on('Network.loadingFinished', (e) => {
      const h = hop(e.requestId);
      if (h) [h.received, h.done] = [Math.max(h.received, e.encodedDataLength), true];
    });
    cdp.on('Network.loadingFailed', (e) => {
      const h = hop(e.requestId);
      if (h) [h.done, h.failed] = [true, h.status === undefined];
    });
    cdp.on('Network.dataReceived', (e) => {
      if (this.streams.has(e.requestId)) this.stream.devtools_bytes += e.encodedDataLength;
    });
    cdp.on('Network.eventSourceMessageReceived', (e) => {
      this.lastActivity = performance.now();
      const bytes = Buffer.byteLength(`${e.eventId ? `id: ${e.eventId}\n` : ''}event: ${e.eventName}\n${e.data.split('\n').map((l) => `data: ${l}\n`).join('')}\n`);
      const named = this.events.get(e.eventName) ?? { events: 0, bytes: 0 };
      this.events.set(e.eventName, { events: named.events + 1, bytes: named.bytes + bytes });
      this.stream.events += 1;
      this.stream.event_bytes += bytes;
      this.stream.wire_bytes += bytes.toString(16).length + 4 + bytes; // chunk size line, CRLF after the data
    });
  }

  reset(): void {
    this.hops = new Map();
    this.stream = { events: 0, event_bytes: 0, wire_bytes: 0, devtools_bytes: 0 };
    this.events = new Map();
  }

  busy(): boolean {
    return [...this.hops.values()].some((h) => !h.done);
  }

  cost(): PageCost {
    const hops = [...this.hops.values()];
    const traffic = (kind: Hop['kind']) => {
      const some = hops.filter((h) => h.kind === kind);
      return { requests: some.length, sent_bytes: sum(some.map((h) => h.line + h.sent)), received_bytes: sum(some.map((h) => h.received)) };
    };
    const by_path: PageCost['by_path'] = {};
    for (const h of hops) {
      const entry = (by_path[h.key] ??= { requests: 0, received_bytes: 0 });
      [entry.requests, entry.received_bytes] = [entry.requests + 1, entry.received_bytes + h.received];
    }
    const [own_post, typing, other] = [traffic('own_post'), traffic('typing'), traffic('other')];
    // Compressed, the event text says nothing of the wire: DevTools' bytes do (a chunk late at the
    // window's edges, which over ten messages is a few bytes each).
    const stream = this.compressed ? { ...this.stream, wire_bytes: this.stream.devtools_bytes } : { ...this.stream };
    const received = own_post.received_bytes + typing.received_bytes + other.received_bytes + stream.wire_bytes;
    return {
      requests: hops.length,
      received_bytes: received,
      response_header_bytes: sum(hops.map((h) => h.headers)),
      own_post,
      typing,
      other,
      stream,
      received_bytes_besides_own_posts: received - own_post.received_bytes - typing.received_bytes,
      failed_requests: hops.filter((h) => h.failed).length,
      by_path,
      events_by_name: Object.fromEntries(this.events),
    };
  }
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const headerBytes = (headers: Record<string, unknown>) => sum(Object.entries(headers).map(([k, v]) => Buffer.byteLength(`${k}: ${String(v)}\r\n`)));

export type OpenPage = { page: Page; meter: WireMeter; cdp: CDPSession };

/** Logs `who` in through the login form in a context of its own (pushed to `contexts`, to close), its traffic metered. */
export async function openMeteredPage(newContext: () => Promise<BrowserContext>, who: Person, contexts: BrowserContext[]): Promise<OpenPage> {
  const context = await newContext();
  contexts.push(context);
  const page = await logInPage(context, who.username, who.password);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  return { page, meter: new WireMeter(cdp), cdp };
}

const SCENARIOS: Record<ScenarioName, { description: string; recipientPath: (id: number) => string; arrived: (page: Page, id: number, text: string) => Promise<void> }> = {
  both_threads_open: {
    description: 'sender and recipient both on the thread',
    recipientPath: (id) => `/messages/${id}`,
    arrived: (page, _id, text) => page.locator('#thread-messages > li', { hasText: text }).first().waitFor(),
  },
  recipient_on_inbox: {
    description: 'sender on the thread, recipient on the inbox',
    recipientPath: () => '/messages',
    arrived: (page, id, text) => page.locator(`#inbox-list [data-conversation-id="${id}"]`, { hasText: text }).first().waitFor(),
  },
};

/**
 * Logs both people in (through the login form, each in a context of their own), then for each
 * scenario opens the pages, waits for their event streams, sends one warm-up message and then
 * `messages` more by typing in the composer and pressing Enter, each seen arriving and followed by
 * quiet time, so every request a message causes is counted. Figures per page: totals and per message.
 */
export async function measureLiveCost(options: LiveCostOptions): Promise<LiveCostResult> {
  const messages = options.messages ?? 10;
  const quietMs = options.quietMs ?? 1500;
  const names = options.scenarios ?? (Object.keys(SCENARIOS) as ScenarioName[]);
  const contexts: BrowserContext[] = [];
  try {
    const open = (who: Person) => openMeteredPage(options.newContext, who, contexts);
    const sender = await open(options.sender);
    const recipient = await open(options.recipient);
    const scenarios: ScenarioCost[] = [];
    let serial = 0;
    for (const name of names) {
      const scenario = SCENARIOS[name];
      const id = options.conversationId;
      const paths = { sender: `/messages/${id}`, recipient: scenario.recipientPath(id) };
      await Promise.all([sender.page.goto(paths.sender), recipient.page.goto(paths.recipient)]);
      // app.js marks the document once its event stream is open.
      await Promise.all([sender, recipient].map((p) => p.page.locator('html[data-live="true"]').waitFor({ state: 'attached' })));
      await settle([sender, recipient], quietMs);
      const send = async (text: string) => {
        const box = sender.page.locator('#composer-body');
        await sender.page.waitForFunction(() => (document.getElementById('composer-body') as HTMLTextAreaElement | null)?.value === '');
        await box.click();
        await box.pressSequentially(text, { delay: TYPE_DELAY_MS });
        await box.press('Enter');
        await scenario.arrived(recipient.page, id, text);
        await SCENARIOS.both_threads_open.arrived(sender.page, id, text);
        await settle([sender, recipient], quietMs);
      };
      await send(body(`Warm-up ${++serial}`));
      for (const p of [sender, recipient]) p.meter.reset();
      for (let i = 0; i < messages; i++) await send(body(`Message ${++serial}`));
      const figures = (p: OpenPage, path: string, totals = p.meter.cost()) => ({ path, totals, per_message: perMessage(totals, messages) });
      scenarios.push({ name, description: scenario.description, pages: { sender: figures(sender, paths.sender), recipient: figures(recipient, paths.recipient) } });
    }
    return { messages, quiet_ms: quietMs, body_chars: body('x').length, type_delay_ms: TYPE_DELAY_MS, scenarios };
  } finally {
    for (const context of contexts) await context.close();
  }
}

/** Waits until no page has a request in flight and none has had any traffic for quietMs (at most 20 s). */
export async function settle(pages: OpenPage[], quietMs: number): Promise<void> {
  const until = performance.now() + 20_000;
  while (performance.now() < until) {
    const last = Math.max(...pages.map((p) => p.meter.lastActivity));
    if (!pages.some((p) => p.meter.busy()) && performance.now() - last >= quietMs) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Every figure divided by the number of messages (counts to 0.1, bytes to whole bytes). */
export function perMessage<T>(value: T, n: number, key = ''): T {
  if (typeof value === 'number') return (key.includes('bytes') ? Math.round(value / n) : Math.round((10 * value) / n) / 10) as T;
  return Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, perMessage(v, n, k)])) as T;
}
