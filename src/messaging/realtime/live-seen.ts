import type { MessagingDeps } from '../deps.js';
import { threadAccess } from '../queries/conversations.js';
import type { StreamHub } from './hub.js';
import { mayShow } from './live-delivery.js';
import { receiptsFragment } from './live-fragments.js';

/** How often at most one person's pages hear of reads in one group: fifty members read each message. */
export const SEEN_EVERY_MS = 1_000;

/**
 * Members of group `conversationId` read my messages up to `messageId` (my newest they passed
 * over): my pages showing the group get my messages' ticks and "Seen by N" under that message,
 * with the names. One query for the group (its members' watermarks) and one for the names.
 */
export async function groupSeenMoved(deps: MessagingDeps, hub: StreamHub, conversationId: number, ownerId: number, messageId: number): Promise<void> {
  const pages = hub.streamsOf(ownerId).filter((stream) => mayShow(stream, conversationId));
  if (pages.length === 0) return;
  const access = await threadAccess(deps.db, conversationId, ownerId);
  if (!access || access.mine.leftUptoId !== null) return;
  // My own choice decides (receipts off: I see no one's, as no one sees mine).
  const readers = access.shared.readReceipts ? access.members.filter((m) => m.userId !== ownerId && m.receipts && m.lastReadId >= messageId) : [];
  const people = readers.length === 0 ? new Map() : await deps.people.findByIds(readers.map((m) => m.userId));
  const seen = readers.length === 0 ? undefined : { messageId, people: readers.map((m) => people.get(m.userId)).filter((p) => p !== undefined) };
  const html = receiptsFragment(conversationId, access.shared.readReceipts ? access.theirs.lastReadId : 0, access.theirs.lastDeliveredId, true, seen);
  for (const stream of pages) hub.sendTo(stream, 'read', html);
}

/**
 * Redraws of "Seen by N", at most one per person and group every SEEN_EVERY_MS: the first at
 * once, the rest gathered (the newest message named wins) and drawn when the time is up.
 */
export class SeenThrottle {
  private readonly last = new Map<string, number>();
  private readonly pending = new Map<string, { messageId: number; timer: NodeJS.Timeout }>();

  constructor(private readonly draw: (conversationId: number, ownerId: number, messageId: number) => void) {}

  add(conversationId: number, ownerId: number, messageId: number): void {
    const key = `${conversationId}:${ownerId}`;
    const waiting = this.pending.get(key);
    if (waiting) {
      waiting.messageId = Math.max(waiting.messageId, messageId);
      return;
    }
    const since = Date.now() - (this.last.get(key) ?? 0);
    if (since >= SEEN_EVERY_MS) {
      this.fire(key, conversationId, ownerId, messageId);
      return;
    }
    const timer = setTimeout(() => {
      const due = this.pending.get(key);
      this.pending.delete(key);
      if (due) this.fire(key, conversationId, ownerId, due.messageId);
    }, SEEN_EVERY_MS - since);
    timer.unref();
    this.pending.set(key, { messageId, timer });
  }

  stop(): void {
    for (const { timer } of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }

  private fire(key: string, conversationId: number, ownerId: number, messageId: number): void {
    this.last.set(key, Date.now());
    // Entries older than the window tell nothing: the map stays as small as the last second's readers.
    if (this.last.size > 1_000) for (const [k, at] of this.last) if (Date.now() - at >= SEEN_EVERY_MS) this.last.delete(k);
    this.draw(conversationId, ownerId, messageId);
  }
}
