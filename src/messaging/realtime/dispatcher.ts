import { renderView } from '../../http/render.js';
import { viewHelpers } from '../../http/view-helpers.js';
import type { Logger } from '../../logger.js';
import type { MessagingDeps } from '../deps.js';
import { loadPreferences } from '../queries/preferences.js';
import { Batcher } from './batcher.js';
import type { RealtimeSignal } from './channel.js';
import type { StreamHub } from './hub.js';
import { presenceOf, presenceWatchers } from './presence-queries.js';
import type { SessionGuard } from './session-guard.js';
import type { PeopleCache } from './people-cache.js';
import type { MessagingDb } from '../schema.js';
import { deliverMessages, mayShow, recipientsOf, type MessageSignal } from './live-delivery.js';
import { myViewChanged, pageShows, receiptsMoved } from './live-views.js';
import { messagesChanged } from './live-changes.js';
import { barrierChanged } from './live-barrier.js';
import { meetingReminded } from './live-reminder.js';
import { membershipChanged } from './live-membership.js';
import { GroupTypers } from './live-typing.js';
import { groupSeenMoved, SeenThrottle } from './live-seen.js';
import { groupPresenceChanged } from './live-group-presence.js';

/** A bare hint: "something in conversation c changed", for the page to refresh that part. */
const hint = (conversationId: number, extra = '') => `<div data-conversation-id="${conversationId}"${extra}></div>`;

/**
 * Turns a signal heard on the channel into events on this instance's open streams. Work is done
 * only for users with a stream here, and once per user however many pages they have open.
 */
export class Dispatcher {
  private readonly deliveries: Batcher<MessageSignal>;
  private readonly groupTypers = new GroupTypers();
  private readonly seen: SeenThrottle;

  /** The host's deps, with the people drawn live answered from the instance's kept ones. */
  private readonly deps: MessagingDeps;

  constructor(
    deps: MessagingDeps,
    private readonly hub: StreamHub,
    private readonly log: Logger,
    private readonly guard: SessionGuard,
    /** The people drawn live, kept per instance: a `person` signal drops one. */
    private readonly people: PeopleCache,
    /** Where the delivery batches run (one at a time): a connection of their own, if given. */
    deliveryDb?: MessagingDb,
  ) {
    this.deps = { ...deps, people: people.over(deps.people) };
    const delivering = deliveryDb ? { ...this.deps, db: deliveryDb } : this.deps;
    this.deliveries = new Batcher((signals) => deliverMessages(delivering, this.hub, signals), (err) => this.log.error({ err }, 'realtime delivery failed'));
    this.seen = new SeenThrottle((conversationId, ownerId, messageId) => {
      groupSeenMoved(this.deps, this.hub, conversationId, ownerId, messageId).catch((err) => this.log.error({ err, signal: 'seen' }, 'realtime dispatch failed'));
    });
  }

  /** Timers of redraws still to come are dropped (the instance is closing). */
  stop(): void {
    this.seen.stop();
  }

  handle(signal: RealtimeSignal): void {
    this.dispatch(signal).catch((err) => this.log.error({ err, signal: signal.t }, 'realtime dispatch failed'));
  }

  private async dispatch(signal: RealtimeSignal): Promise<void> {
    switch (signal.t) {
      case 'message':
        if (this.hub.has(signal.s) || recipientsOf(signal).some((user) => this.hub.has(user))) this.deliveries.add(signal);
        return;
      case 'receipt':
        await receiptsMoved(this.deps, this.hub, signal.c, signal.o);
        return;
      case 'seen':
        for (const [owner, messageId] of signal.o) if (this.hub.streamsOf(Number(owner)).some((stream) => mayShow(stream, signal.c))) this.seen.add(signal.c, Number(owner), Number(messageId));
        return;
      case 'mine':
        await myViewChanged(this.deps, this.hub, signal.c, signal.u, signal.x);
        return;
      case 'view':
        await pageShows(this.deps, this.hub, signal);
        return;
      case 'thread':
        await messagesChanged(this.deps, this.hub, signal);
        return;
      case 'barrier':
        await barrierChanged(this.deps, this.hub, signal);
        return;
      case 'typing':
        await this.typing(signal);
        return;
      case 'presence':
        await this.presence(signal.u);
        return;
      case 'sessions':
        await this.guard.sessionsChanged(signal.u);
        return;
      case 'person':
        this.people.forget(Number(signal.u));
        return;
      case 'membership':
        await membershipChanged(this.deps, this.hub, signal);
        return;
      case 'reminder':
        await meetingReminded(this.deps, this.hub, signal);
        return;
      case 'stream-end': {
        const stream = this.hub.find(signal.u, signal.s);
        if (stream) this.hub.close(stream);
        return;
      }
    }
  }

  /** u types to o, or in a group to its members g (each told who is typing there, but themselves). */
  private async typing(signal: Extract<RealtimeSignal, { t: 'typing' }>): Promise<void> {
    if (!signal.g) {
      if (signal.o !== undefined) this.hub.send(signal.o, 'typing', hint(signal.c, ` data-user-id="${signal.u}"`));
      return;
    }
    const typers = this.groupTypers.typing(signal.c, signal.u);
    const here = signal.g.map(Number).filter((user) => this.hub.has(user));
    if (here.length === 0) return;
    const words = await GroupTypers.words(this.deps.people, typers, here);
    for (const user of here) {
      const text = words.get(user);
      if (text) this.hub.send(user, 'typing', hint(signal.c, ` data-user-id="${signal.u}" data-text="${text}"`));
    }
  }

  /** Someone came or went: tell the people here who have a conversation with them. */
  private async presence(userId: number): Promise<void> {
    const here = this.hub.connectedUsers();
    if (here.length === 0) return;
    // Active status is shared only between people who both show theirs.
    if (!(await loadPreferences(this.deps.db, userId)).activeStatus) return;
    await groupPresenceChanged(this.deps, this.hub, userId);
    const watchers = await presenceWatchers(this.deps.db, userId, here);
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
