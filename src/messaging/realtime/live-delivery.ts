import type { MessagingDeps } from '../deps.js';
import { presentInboxRows, presentMessages, threadPeopleFrom } from '../present.js';
import { deliveriesFor, inboxRowOfDelivery } from '../queries/delivery.js';
import { deliveredTo, seenAsDelivered } from '../seen.js';
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

/**
 * New messages, one event per page of each person they touch, whatever that page shows:
 * - the recipient's pages get their row, their unread count and who wrote; a page showing the
 *   conversation also gets the message. A visible such page reads it as it arrives, so what is
 *   drawn is already read (no badge going up while the person reads);
 * - the sender's pages get the message and their row (their other tabs and devices catch up; the
 *   page that sent it already shows it, and keeps its copy).
 * Four queries for the whole batch, however many messages and people it holds (and one more for
 * each recipient whose visible page reads it at once).
 */
export async function deliverMessages(deps: MessagingDeps, hub: StreamHub, signals: MessageSignal[]): Promise<void> {
  const { db, people } = deps;
  for (const s of signals) {
    if (hub.streamsOf(s.r).some((stream) => shows(stream, s.c, true))) await seenAsDelivered(db, s.c, s.r, s.m);
  }
  const senders = signals.filter((s) => hub.has(s.s));
  const personIds = [...new Set(signals.flatMap((s) => [s.r, s.s]))];
  const [deliveries, persons, ownCopies] = await Promise.all([
    deliveriesFor(db, signals.map((s) => s.m)),
    people.findByIds(personIds),
    deliveriesFor(db, senders.map((s) => s.m), 'sender'),
  ]);
  const reached = new Set<number>();
  for (const signal of signals) {
    const delivery = deliveries.get(signal.m);
    if (!delivery || delivery.recipientId !== signal.r || !hub.has(signal.r)) continue;
    const attachments = new Map([[signal.m, delivery.attachments]]);
    const [message] = presentMessages([delivery.message], threadPeopleFrom(persons, signal.r, signal.s), delivery.access, { attachments });
    const [row] = presentInboxRows([inboxRowOfDelivery(delivery)], persons, signal.r);
    const rest = rowFragment(row!, true) + countFragment(delivery.unreadCount) + noteFragment(signal.c, message!.from.display_name, row!.preview, delivery.muted);
    const withMessage = messageFragment(signal.c, message!, helpersFor(hub.streamsOf(signal.r))) + rest;
    for (const stream of hub.streamsOf(signal.r)) if (hub.sendTo(stream, 'message', mayShow(stream, signal.c) ? withMessage : rest)) reached.add(signal.r);
  }
  for (const signal of senders) {
    const own = ownCopies.get(signal.m);
    if (!own) continue;
    const [message] = presentMessages([own.message], threadPeopleFrom(persons, signal.s, signal.r), own.access, { attachments: new Map([[signal.m, own.attachments]]) });
    const [rowView] = presentInboxRows([inboxRowOfDelivery(own)], persons, signal.s);
    const rest = rowFragment(rowView!, true);
    const withMessage = messageFragment(signal.c, message!, helpersFor(hub.streamsOf(signal.s))) + rest;
    for (const stream of hub.streamsOf(signal.s)) hub.sendTo(stream, 'message', mayShow(stream, signal.c) ? withMessage : rest);
  }
  // What reached an open page is delivered (each sender hears of it through a receipt signal).
  if (reached.size > 0) await deliveredTo(db, [...reached]);
}
