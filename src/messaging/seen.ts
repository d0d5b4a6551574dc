import type { ThreadAccess } from './queries/conversations.js';
import { deliveriesFor, type Delivery } from './queries/delivery.js';
import { latestIncomingId, markDelivered, markRead, type LiveRead } from './queries/receipts.js';
import type { MessagingDb } from './schema.js';

/*
 * "Delivered" and "seen" are written here and nowhere else, each by an explicit call where it
 * happens. Page loaders only read (a live delivery batch reads and writes both in one statement,
 * through deliveredAndSeen).
 * - Delivered: a full page of mine loaded (badge.ts), my event stream opened, a live event reached
 *   one of my pages, my page polled the badge or the open thread.
 * - Seen: I opened a thread at its newest messages, or a visible page of mine showed it (the page
 *   said so, or a live message arrived in it).
 */

/** What was sent to these people has reached one of their pages. Each moved conversation's new version. */
export function deliveredTo(db: MessagingDb, people: number | readonly number[]): Promise<Map<number, number>> {
  return markDelivered(db, people);
}

/**
 * A page drawn for me shows the thread up to `uptoId`: read to there (and "marked unread" clears).
 * True when anything changed; `access` then holds my new watermark, and the version when only this
 * change moved it. `fromStream`: the live page that draws the change itself (my other pages are told).
 */
export async function seenOnPage(db: MessagingDb, me: number, access: ThreadAccess, uptoId: number, fromStream?: string): Promise<boolean> {
  const upto = Math.max(uptoId, access.mine.lastReadId);
  const needed = upto > access.mine.lastReadId && access.mine.latestIncomingId > access.mine.lastReadId;
  if (!needed && !access.mine.markedUnread) return false;
  const outcome = await markRead(db, access.id, me, upto, { exceptStream: fromStream });
  if (!outcome) return false;
  access.mine.lastReadId = upto;
  access.mine.markedUnread = false;
  // Unset when the other side could see nothing change (receipts off): the version stays.
  adoptVersion(access, outcome.version);
  return true;
}

/**
 * Live messages reached open pages: the recipients whose pages take events now have them
 * delivered, and those whose visible page shows the conversation have read them as drawn, in the
 * statement that reads what the events draw (deliveriesFor). Those pages' own events carry the
 * row and the count, so the readers' pages are not told again.
 */
export function deliveredAndSeen(db: MessagingDb, wanted: readonly { messageId: number; userId: number }[], reads: readonly LiveRead[], delivered: readonly number[]): Promise<Map<string, Delivery>> {
  return deliveriesFor(db, wanted, { reads, delivered });
}

/** A visible page of mine says it shows the conversation: everything in it is read. */
export async function seenByLivePage(db: MessagingDb, conversationId: number, me: number): Promise<void> {
  const latest = await latestIncomingId(db, conversationId, me);
  if (latest !== undefined) await markRead(db, conversationId, me, latest);
}

/**
 * After this request's own write moved the thread to `version`, the page may carry it only if no
 * one else moved the thread since `access` was read: otherwise what the page shows predates that
 * other change, and its next poll must fetch again rather than get a 304.
 */
export function adoptVersion(access: ThreadAccess, version: number | undefined): void {
  if (version === access.version + 1) access.version = version;
}
