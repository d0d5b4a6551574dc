import type { RequestHandler, Router } from 'express';
import type { Logger } from '../logger.js';
import { sweepPendingAttachments } from './attachments/queries.js';
import { messagingJobs, type MessagingJobs } from './away/jobs.js';
import { unreadBadge } from './badge.js';
import type { MessagingDeps } from './deps.js';
import { messagesForEvidence, recentMessagesWith, redactMessages } from './queries/moderation.js';
import { announce } from './queries/notify.js';
import { loadNotificationPreferences, saveNotificationPreferences } from './queries/notification-preferences.js';
import { loadPreferences, savePreferences } from './queries/preferences.js';
import { createRealtime, type Realtime } from './realtime/index.js';
import { PeopleCache } from './realtime/people-cache.js';
import { deviceCount } from './away/push-queries.js';
import { sweepDevices } from './away/push-sweep.js';
import { savedRepliesSettings } from './saved-replies/settings-routes.js';
import { joinSupport, supportInbox } from './support/support-queries.js';
import { createMessagingRouter } from './router.js';
import { createMeetingsRouter } from './meetings/router.js';
import { deviceRoutes } from './routes/devices.js';
import { pageViews } from './routes/page-view.js';
import type { MessagingDb } from './schema.js';

/** What the facade needs: the module's deps, and what its live events need besides. */
export interface MessagingSetup extends MessagingDeps {
  /** Where live events are listened for (a connection of its own, outside the pool). */
  connectionString: string;
  /**
   * Where live deliveries' statements run (one batch at a time per instance), when the host gives
   * them a connection of their own; `db` otherwise.
   */
  deliveryDb?: MessagingDb;
  log: Logger;
  /** How often open event streams get a heartbeat and have their sessions checked (default 25 s). */
  heartbeatMs?: number;
}

/** A query function of the module with its database already given. */
type Bound<F> = F extends (db: MessagingDb, ...args: infer A) => infer R ? (...args: A) => R : never;

/** For reports and moderators: a participant's own messages, and their removal. Nothing reads a conversation for anyone else. */
export interface Moderation {
  recentMessagesWith: Bound<typeof recentMessagesWith>;
  messagesForEvidence: Bound<typeof messagesForEvidence>;
  redactMessages: Bound<typeof redactMessages>;
}

/** Support conversations as the team sees them: who wrote and when (never what), and opening one. */
export interface SupportDesk {
  inbox: Bound<typeof supportInbox>;
  join: Bound<typeof joinSupport>;
}

/** A person's privacy choices (read receipts, typing, active status), for the host's Settings. */
export interface PreferencesStore {
  load: Bound<typeof loadPreferences>;
  save: Bound<typeof savePreferences>;
}

/** A person's email and push choices, for the host's Settings and unsubscribe links. */
export interface NotificationPreferencesStore {
  load: Bound<typeof loadNotificationPreferences>;
  save: Bound<typeof saveNotificationPreferences>;
  /** How many devices (browsers) this person gets push notifications on. */
  devices: Bound<typeof deviceCount>;
  /** The key pages subscribe with; undefined when the site has no push. */
  pushKey(): Promise<string | undefined>;
}

/** Everything the host uses of the module, each part bound to the module's deps and database. */
export interface Messaging {
  /** Mounted at /messages. */
  router: Router;
  /** Mounted at /push: a person's devices for web push. */
  devices: Router;
  /** Mounted at /settings/replies: my saved replies, which the composer offers. */
  savedReplies: Router;
  /** Mounted at /meetings: my meetings, answers and changes to them, calendars. */
  meetings: Router;
  /** On every page: the navbar's unread count (and delivery of what reached an open page). */
  badge: RequestHandler;
  /** On every page: which page an event stream shows, for live updates. */
  pageViews: RequestHandler;
  /** GET /events, and starting and stopping live events. */
  realtime: Realtime;
  moderation: Moderation;
  /** For the team's support desk (the host's admin pages): the list, and an admin joining one. */
  support: SupportDesk;
  preferences: PreferencesStore;
  notificationPreferences: NotificationPreferencesStore;
  /** The module's background work, for the host's job queue. */
  jobs: MessagingJobs;
  /** A block went up or came down between two people (either way): their open pages follow at once. */
  barrierChanged(a: number, b: number): Promise<void>;
  /** Drops files uploaded for messages never sent (a day on); returns how many. */
  sweepPendingAttachments(): Promise<number>;
  /** Drops push devices whose subscribing session ended; returns how many. */
  sweepDevices(): Promise<number>;
}

/**
 * The messaging module as the host sees it: built once from the host's deps, so no host feature
 * needs the module's database type or its internals.
 */
export function createMessaging(setup: MessagingSetup): Messaging {
  const { db } = setup;
  // What is drawn live and a send's answer share one instance's people, kept fresh by its listener.
  const livePeople = new PeopleCache(setup.people);
  return {
    router: createMessagingRouter(setup, { livePeople }),
    devices: deviceRoutes(setup),
    savedReplies: savedRepliesSettings(setup),
    meetings: createMeetingsRouter(setup),
    badge: unreadBadge(setup),
    pageViews: pageViews(setup),
    realtime: createRealtime(setup, setup.connectionString, setup.log, { heartbeatMs: setup.heartbeatMs, livePeople, deliveryDb: setup.deliveryDb }),
    moderation: {
      recentMessagesWith: (...args) => recentMessagesWith(db, ...args),
      messagesForEvidence: (...args) => messagesForEvidence(db, ...args),
      redactMessages: (...args) => redactMessages(db, ...args),
    },
    support: {
      inbox: (...args) => supportInbox(db, ...args),
      join: (...args) => joinSupport(db, ...args),
    },
    preferences: {
      load: (...args) => loadPreferences(db, ...args),
      save: (...args) => savePreferences(db, ...args),
    },
    notificationPreferences: {
      load: (...args) => loadNotificationPreferences(db, ...args),
      save: (...args) => saveNotificationPreferences(db, ...args),
      devices: (...args) => deviceCount(db, ...args),
      pushKey: async () => setup.away?.push?.publicKey(),
    },
    jobs: messagingJobs(setup),
    barrierChanged: (a, b) => announce(db, { t: 'barrier', a, b }),
    sweepPendingAttachments: () => sweepPendingAttachments(db),
    sweepDevices: () => sweepDevices(setup),
  };
}
