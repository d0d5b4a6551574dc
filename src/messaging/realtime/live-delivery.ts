import type { MessagingDeps } from '../deps.js';
import { presentMessages, threadPeopleFrom, threadPersonIds, type MessageView } from '../present.js';
import { presentInboxRows, type InboxRowView } from '../present-inbox.js';
import { inboxRowOfDelivery } from '../queries/delivery.js';
import type { LiveRead } from '../queries/receipts.js';
import { deliveredAndSeen } from '../seen.js';
import type { RealtimeSignal } from './channel.js';
import type { Stream, StreamHub } from './hub.js';
import { countFragment, helpersFor, messageFragment, noteFragment, rowFragment } from './live-fragments.js';

export type MessageSignal = Extract<RealtimeSignal, { t: 'message' }>;

/** The page shows this conversation at its newest messages (and, if asked, is visible). */
export const shows = (stream: Stream, conversationId: number, visible = false) =>
  stream.view?.conversationId === conversationId && (!visible || stream.view.visible);

/**
 * The page may show the conversation: it said so, or it never said what it shows (a client that
 * does not report, or a page whose report is still on its way): those get the message too.
 */
export const mayShow = (stream: Stream, conversationId: number) => stream.view === undefined || shows(stream, conversationId);

/** Whom a stored message is for: its recipient, or a group's members still in it (not the sender). */
export const recipientsOf = (signal: MessageSignal): number[] => (signal.g ?? (signal.r === undefined ? [] : [signal.r])).map(Number);

/**
 * New messages, one event per page of each person they touch, whatever that page shows:
 * - each recipient's pages get their row, their unread count and who wrote; a page showing the
 *   conversation also gets the message. A visible such page reads it as it arrives, so what is
 *   drawn is already read (no badge going up while the person reads);
 * - the sender's pages get the message and their row (their other tabs and devices catch up; the
 *   page that sent it already shows it, and keeps its copy).
 * Only people with a page on this instance are looked at. One statement for the whole batch,
 * however many messages, people and groups it holds, its reads and deliveries included (the
 * people it draws are kept by the instance).
 */
export async function deliverMessages(deps: MessagingDeps, hub: StreamHub, signals: MessageSignal[]): Promise<void> {
  const { db, people } = deps;
  const wanted: { messageId: number; userId: number }[] = [];
  const personIds = new Set<number>();
  // Visible pages reading as the messages arrive: one statement for all of them, rows in key order.
  const reads: LiveRead[] = [];
  const senderOf = new Map(signals.map((signal) => [signal.m, signal.s]));
  for (const signal of signals) {
    const here = recipientsOf(signal).filter((user) => hub.has(user));
    for (const user of here) {
      if (hub.streamsOf(user).some((stream) => shows(stream, signal.c, true))) {
        reads.push({ conversationId: signal.c, userId: user, uptoId: signal.m });
      }
      wanted.push({ messageId: signal.m, userId: user });
    }
    if (hub.has(signal.s)) wanted.push({ messageId: signal.m, userId: signal.s });
    for (const id of [signal.s, ...recipientsOf(signal)]) personIds.add(id);
  }
  // No one here has a page for these messages.
  if (wanted.length === 0) return;
  // What reaches an open page is delivered, and what reaches a visible one showing it is read:
  // both marked in the statement that reads the batch (each sender hears of it through its signals).
  const delivered = [...new Set(wanted.filter((w) => w.userId !== senderOf.get(w.messageId) && hub.takesNow(w.userId)).map((w) => w.userId))];
  const [deliveries, found] = await Promise.all([deliveredAndSeen(db, wanted, reads, delivered), people.findByIds([...personIds])]);
  // Someone a message quotes or a line names who is not among its people (one who left): rare, one more lookup.
  const missing = new Set<number>();
  for (const d of deliveries.values()) {
    for (const id of [...threadPersonIds(d.access, d.recipientId, [d.message]), ...(d.message.reply ? [d.message.reply.sender_id] : [])]) if (!found.has(id)) missing.add(id);
  }
  const persons = missing.size === 0 ? found : new Map([...found, ...(await people.findByIds([...missing]))]);
  for (const signal of signals) {
    for (const user of recipientsOf(signal)) {
      const delivery = deliveries.get(`${signal.m}:${user}`);
      if (!delivery) continue;
      const attachments = new Map([[signal.m, delivery.attachments]]);
      const [message] = presentMessages([delivery.message], threadPeopleFrom(persons, user, delivery.access), delivery.access, { attachments });
      const [row] = presentInboxRows([inboxRowOfDelivery(delivery)], persons, user);
      const rest = rowFragment(row!, true) + countFragment(delivery.unreadCount) + noteFragment(signal.c, noteTitle(row!, message!), row!.preview, delivery.muted);
      const withMessage = messageFragment(signal.c, message!, helpersFor(hub.streamsOf(user))) + rest;
      for (const stream of hub.streamsOf(user)) hub.sendTo(stream, 'message', mayShow(stream, signal.c) ? withMessage : rest);
    }
    const own = deliveries.get(`${signal.m}:${signal.s}`);
    if (!own) continue;
    const [message] = presentMessages([own.message], threadPeopleFrom(persons, signal.s, own.access), own.access, { attachments: new Map([[signal.m, own.attachments]]) });
    const [rowView] = presentInboxRows([inboxRowOfDelivery(own)], persons, signal.s);
    const rest = rowFragment(rowView!, true);
    const withMessage = messageFragment(signal.c, message!, helpersFor(hub.streamsOf(signal.s))) + rest;
    for (const stream of hub.streamsOf(signal.s)) hub.sendTo(stream, 'message', mayShow(stream, signal.c) ? withMessage : rest);
  }
}

/** The toast's title: who wrote, or in a group, the group (its preview says who). */
const noteTitle = (row: InboxRowView, message: MessageView): string => (row.group ? row.other.display_name : message.from.display_name);
