import { sql } from 'kysely';
import { renderView } from '../../http/render.js';
import { viewHelpers } from '../../http/view-helpers.js';
import type { Logger } from '../../logger.js';
import type { MessagingDeps } from '../deps.js';
import { presentMessages, threadPeopleFrom } from '../present.js';
import { deliveriesFor } from '../queries/delivery.js';
import { loadPreferences } from '../queries/preferences.js';
import { markDelivered } from '../queries/receipts.js';
import { Batcher } from './batcher.js';
import type { RealtimeSignal } from './channel.js';
import type { StreamHub } from './hub.js';
import { presenceOf } from './presence.js';
import type { SessionGuard } from './session-guard.js';

type MessageSignal = Extract<RealtimeSignal, { t: 'message' }>;

/** A bare hint: "something in conversation c changed", for the page to refresh that part. */
const hint = (conversationId: number, extra = '') => `<div data-conversation-id="${conversationId}"${extra}></div>`;

/**
 * Turns a signal heard on the channel into events on this instance's open streams. Work is done
 * only for users with a stream here, and once per user however many pages they have open.
 */
export class Dispatcher {
  private readonly deliveries: Batcher<MessageSignal>;

  constructor(
    private readonly deps: MessagingDeps,
    private readonly hub: StreamHub,
    private readonly log: Logger,
    private readonly guard: SessionGuard,
  ) {
    this.deliveries = new Batcher((signals) => this.deliver(signals), (err) => this.log.error({ err }, 'realtime delivery failed'));
  }

  handle(signal: RealtimeSignal): void {
    this.dispatch(signal).catch((err) => this.log.error({ err, signal: signal.t }, 'realtime dispatch failed'));
  }

  private async dispatch(signal: RealtimeSignal): Promise<void> {
    switch (signal.t) {
      case 'message':
        if (this.hub.has(signal.r)) this.deliveries.add(signal);
        // The sender's other pages (another tab, another device) catch up too.
        if (this.hub.has(signal.s)) this.hub.send(signal.s, 'thread', hint(signal.c));
        return;
      case 'receipt':
        this.hub.send(signal.o, 'read', hint(signal.c));
        return;
      case 'thread':
        this.hub.send(signal.a, 'thread', hint(signal.c));
        this.hub.send(signal.b, 'thread', hint(signal.c));
        return;
      case 'typing':
        this.hub.send(signal.o, 'typing', hint(signal.c, ` data-user-id="${signal.u}"`));
        return;
      case 'presence':
        await this.presence(signal.u);
        return;
      case 'sessions':
        await this.guard.sessionsChanged(signal.u);
        return;
      case 'stream-end': {
        const stream = this.hub.find(signal.u, signal.s);
        if (stream) this.hub.close(stream);
        return;
      }
    }
  }

  /**
   * New messages, each drawn for its recipient by the page's own partial, with their unread count
   * (an open inbox still fetches the row: drawn here it would make the event four times larger
   * until the stream is compressed). Three queries for the whole batch, however many it holds.
   */
  private async deliver(signals: MessageSignal[]): Promise<void> {
    const { db, people } = this.deps;
    const personIds = [...new Set(signals.flatMap((s) => [s.r, s.s]))];
    const [deliveries, persons] = await Promise.all([deliveriesFor(db, signals.map((s) => s.m)), people.findByIds(personIds)]);
    const reached = new Set<number>();
    for (const signal of signals) {
      const delivery = deliveries.get(signal.m);
      if (!delivery || delivery.recipientId !== signal.r) continue;
      const [view] = presentMessages([delivery.message], threadPeopleFrom(persons, signal.r, signal.s), delivery.access, { attachments: new Map([[signal.m, delivery.attachments]]) });
      const html = renderView('messages/_live_message', {
        h: viewHelpers,
        csrf: () => '',
        message: view,
        unreadCount: delivery.unreadCount,
        muted: delivery.muted,
        conversationId: signal.c,
      });
      if (this.hub.send(signal.r, 'message', html) > 0) reached.add(signal.r);
    }
    // What reached an open page is delivered (each sender hears of it through a receipt signal).
    if (reached.size > 0) await markDelivered(db, [...reached]);
  }

  /** Someone came or went: tell the people here who have a conversation with them. */
  private async presence(userId: number): Promise<void> {
    const here = this.hub.connectedUsers();
    if (here.length === 0) return;
    // Active status is shared only between people who both show theirs.
    if (!(await loadPreferences(this.deps.db, userId)).activeStatus) return;
    const watchers = await this.deps.db
      .selectFrom('conversation_participants as p')
      .leftJoin('messaging_preferences as w', 'w.user_id', 'p.user_id')
      .select('p.user_id')
      .where('p.other_user_id', '=', userId)
      .where('p.user_id', '=', sql<number>`any(${here})`)
      .where(sql<boolean>`coalesce(w.active_status, true)`)
      .execute();
    if (watchers.length === 0) return;
    // Across a block, neither sees the other come and go.
    const barred = await this.deps.policy.barredAmong(userId, watchers.map((w) => w.user_id));
    const told = watchers.filter((w) => !barred.has(w.user_id));
    if (told.length === 0) return;
    const state = await presenceOf(this.deps.db, userId);
    const html = renderView('messages/_presence', { h: viewHelpers, userId, presence: state });
    for (const { user_id } of told) this.hub.send(user_id, 'presence', html);
  }
}
