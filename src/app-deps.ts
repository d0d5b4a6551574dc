import type pg from 'pg';
import type { AuthLimits } from './auth/rate-limits.js';
import type { WhoCanMessage } from './connections/messaging-policy.js';
import type { Db } from './db/database.js';
import type { SessionLifetime } from './http/session.js';
import type { Logger } from './logger.js';
import type { MessagingDeps } from './messaging/index.js';
import type { Express } from 'express';

/** What the host app is built from (server.ts reads it from the config; tests pass their own). */
export interface AppDeps {
  db: Db;
  pool: pg.Pool;
  /** Live deliveries' own connection (bootstrap.ts: generic plans); without it they use `db`. */
  deliveryDb?: Db;
  log: Logger;
  sessionSecret: string;
  trustProxy?: boolean;
  authLimits?: AuthLimits;
  /** `npm run dev` only: error pages show a 500's stack. */
  devErrors?: boolean;
  /** Off in tests, where many short-lived apps share a process. */
  pruneSessions?: boolean;
  isShuttingDown?: () => boolean;
  whoCanMessage?: WhoCanMessage;
  /** Page sizes of the messaging module (tests use small ones). */
  messagingPageSize?: MessagingDeps['pageSize'];
  /** Sending limits of the messaging module (the defaults are the product's). */
  messagingLimits?: MessagingDeps['limits'];
  /** Files in messages (default: on, 10 MB a file, 200 MB a day). */
  attachments?: MessagingDeps['attachments'];
  /** How long sessions last (default: 30 days unused, 90 days in all). */
  sessionLifetime?: SessionLifetime;
  /** How often open event streams get a heartbeat and have their sessions checked (default 25 s). */
  streamHeartbeatMs?: number;
  /** Email: SMTP_URL (absent: the app's outbox), from whom, the site's address for links, and the missed-message delay. */
  mail?: { smtpUrl: string | undefined; from: string; appUrl: string; delaySeconds: number };
  /** How often the meeting-reminder sweep runs (default 20 s); tests make it short. */
  meetingReminderSweepMs?: number;
  /** Run the job queue in this instance (the server does; most tests need not). */
  runJobs?: boolean;
  /** Show the outbox at /dev/mail (never in production). */
  devMail?: boolean;
  /** Web push: the push services' hosts posted to (default: the browsers' own), and a certificate to trust for a test's local one. */
  push?: { hosts?: readonly string[]; ca?: string };
}

export interface App {
  app: Express;
  /** Resolves once live events can flow (the instance listens on its PostgreSQL channel). */
  ready: Promise<void>;
  /** Ends open event streams: the first step of a graceful shutdown. */
  closeStreams(): void;
  /** Stops this instance's job queue (jobs it was running finish first). */
  stopJobs(): Promise<void>;
  close(): Promise<void>;
}
