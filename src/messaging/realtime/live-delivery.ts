import type { MessagingDeps } from '../deps.js';
import { presentInboxRows, presentMessages, threadPeopleFrom } from '../present.js';
import { threadAccess } from '../queries/conversations.js';
import { deliveriesFor, inboxRowOfDelivery } from '../queries/delivery.js';
import { inboxRowOf } from '../queries/inbox.js';
import { markDelivered, markRead } from '../queries/receipts.js';
import type { RealtimeSignal } from './channel.js';
import type { Stream, StreamHub } from './hub.js';
import { countFragment, messageFragment, noteFragment, rowFragment } from './live-fragments.js';

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
 * A handful of queries for the whole batch, however many messages it holds.
 */
export async function deliverMessages(deps: MessagingDeps, hub: StreamHub, signals: MessageSignal[]): Promise<void> {
  const { db, people } = deps;
  for (const s of signals) {
    if (hub.streamsOf(s.r).some((stream) => shows(stream, s.c, true))) await markRead(db, s.c, s.r, s.m, { tellMyPages: false });
  }
  const senders = signals.filter((s) => hub.has(s.s));
  const personIds = [...new Set(signals.flatMap((s) => [s.r, s.s]))];
  const [deliveries, persons, senderViews] = await Promise.all([
    deliveriesFor(db, signals.map((s) => s.m)),
    people.findByIds(personIds),
    Promise.all(senders.map(async (s) => ({ signal: s, access: await threadAccess(db, s.c, s.s), row: await inboxRowOf(db, s.s, s.c) }))),
  ]);
  const reached = new Set<number>();
  for (const signal of signals) {
    const delivery = deliveries.get(signal.m);
    if (!delivery || delivery.recipientId !== signal.r || !hub.has(signal.r)) continue;
    const attachments = new Map([[signal.m, delivery.attachments]]);
    const [message] = presentMessages([delivery.message], threadPeopleFrom(persons, signal.r, signal.s), delivery.access, { attachments });
    const [row] = presentInboxRows([inboxRowOfDelivery(delivery)], persons, signal.r);
    const rest = rowFragment(row!, true) + countFragment(delivery.unreadCount) + noteFragment(signal.c, message!.from.display_name, delivery.muted);
    const withMessage = messageFragment(signal.c, message!) + rest;
    for (const stream of hub.streamsOf(signal.r)) if (hub.sendTo(stream, 'message', mayShow(stream, signal.c) ? withMessage : rest)) reached.add(signal.r);
  }
  for (const { signal, access, row } of senderViews) {
    const delivery = deliveries.get(signal.m);
    if (!delivery || !access || !row) continue;
    const [message] = presentMessages([delivery.message], threadPeopleFrom(persons, signal.s, signal.r), access, { attachments: new Map([[signal.m, delivery.attachments]]) });
    const [rowView] = presentInboxRows([row], persons, signal.s);
    const rest = rowFragment(rowView!, true);
    const withMessage = messageFragment(signal.c, message!) + rest;
    for (const stream of hub.streamsOf(signal.s)) hub.sendTo(stream, 'message', mayShow(stream, signal.c) ? withMessage : rest);
  }
  // What reached an open page is delivered (each sender hears of it through a receipt signal).
  if (reached.size > 0) await markDelivered(db, [...reached]);
}
