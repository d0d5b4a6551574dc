import type { MessagingDeps } from '../deps.js';
import { presentInboxRows, presentMessages, threadPeopleFrom, threadPersonIds, type InboxRowView, type MessageView } from '../present.js';
import { deliveriesFor, inboxRowOfDelivery } from '../queries/delivery.js';
import type { GroupRead } from '../queries/receipts.js';
import { deliveredTo, seenAsDelivered, seenInGroupsAsDelivered } from '../seen.js';
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
 * Only people with a page on this instance are looked at. Three queries for the whole batch,
 * however many messages, people and groups it holds (and one more for each recipient whose
 * visible page reads it at once).
 */
export async function deliverMessages(deps: MessagingDeps, hub: StreamHub, signals: MessageSignal[]): Promise<void> {
  const { db, people } = deps;
  const wanted: { messageId: number; userId: number }[] = [];
  const personIds = new Set<number>();
  const reading: Promise<void>[] = [];
  // A group's members reading at once: one statement for all of them, rows in key order.
  const groupReads: GroupRead[] = [];
  for (const signal of signals) {
    const here = recipientsOf(signal).filter((user) => hub.has(user));
    for (const user of here) {
      if (hub.streamsOf(user).some((stream) => shows(stream, signal.c, true))) {
        if (signal.g) groupReads.push({ conversationId: signal.c, userId: user, uptoId: signal.m });
        else reading.push(seenAsDelivered(db, signal.c, user, signal.m));
      }
      wanted.push({ messageId: signal.m, userId: user });
    }
    if (hub.has(signal.s)) wanted.push({ messageId: signal.m, userId: signal.s });
    for (const id of [signal.s, ...recipientsOf(signal)]) personIds.add(id);
  }
  reading.push(seenInGroupsAsDelivered(db, groupReads));
  await Promise.all(reading);
  // No one here has a page for these messages.
  if (wanted.length === 0) return;
  const [deliveries, found] = await Promise.all([deliveriesFor(db, wanted), people.findByIds([...personIds])]);
  // Someone a message quotes or a line names who is not among its people (one who left): rare, one more lookup.
  const missing = new Set<number>();
  for (const d of deliveries.values()) {
    for (const id of [...threadPersonIds(d.access, d.recipientId, [d.message]), ...(d.message.reply ? [d.message.reply.sender_id] : [])]) if (!found.has(id)) missing.add(id);
  }
  const persons = missing.size === 0 ? found : new Map([...found, ...(await people.findByIds([...missing]))]);
  const reached = new Set<number>();
  for (const signal of signals) {
    for (const user of recipientsOf(signal)) {
      const delivery = deliveries.get(`${signal.m}:${user}`);
      if (!delivery) continue;
      const attachments = new Map([[signal.m, delivery.attachments]]);
      const [message] = presentMessages([delivery.message], threadPeopleFrom(persons, user, delivery.access), delivery.access, { attachments });
      const [row] = presentInboxRows([inboxRowOfDelivery(delivery)], persons, user);
      const rest = rowFragment(row!, true) + countFragment(delivery.unreadCount) + noteFragment(signal.c, noteTitle(row!, message!), row!.preview, delivery.muted);
      const withMessage = messageFragment(signal.c, message!, helpersFor(hub.streamsOf(user))) + rest;
      for (const stream of hub.streamsOf(user)) if (hub.sendTo(stream, 'message', mayShow(stream, signal.c) ? withMessage : rest)) reached.add(user);
    }
    const own = deliveries.get(`${signal.m}:${signal.s}`);
    if (!own) continue;
    const [message] = presentMessages([own.message], threadPeopleFrom(persons, signal.s, own.access), own.access, { attachments: new Map([[signal.m, own.attachments]]) });
    const [rowView] = presentInboxRows([inboxRowOfDelivery(own)], persons, signal.s);
    const rest = rowFragment(rowView!, true);
    const withMessage = messageFragment(signal.c, message!, helpersFor(hub.streamsOf(signal.s))) + rest;
    for (const stream of hub.streamsOf(signal.s)) hub.sendTo(stream, 'message', mayShow(stream, signal.c) ? withMessage : rest);
  }
  // What reached an open page is delivered (each sender hears of it through a receipt signal).
  if (reached.size > 0) await deliveredTo(db, [...reached]);
}

/** The toast's title: who wrote, or in a group, the group (its preview says who). */
const noteTitle = (row: InboxRowView, message: MessageView): string => (row.group ? row.other.display_name : message.from.display_name);
