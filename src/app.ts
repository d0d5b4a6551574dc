import compression from 'compression';
import zlib from 'node:zlib';
import express from 'express';
import { authRoutes } from './auth/routes.js';
import { defaultAuthLimits } from './auth/rate-limits.js';
import { connectionRoutes } from './connections/routes.js';
import { serveAssets } from './http/assets.js';
import { CSRF_KEY_SETTING, csrfGuard, exposeCsrfToken } from './http/csrf.js';
import { loadCurrentUser, requireUser, sessionReader } from './http/current-user.js';
import { errorHandler, notFoundHandler } from './http/error-handler.js';
import { exposeFlash } from './http/flash.js';
import { healthCheck } from './http/health.js';
import { requestLog } from './http/request-log.js';
import { securityHeadersByRequest } from './http/security.js';
import { streamDoor } from './http/stream-door.js';
import { defaultSessionLifetime, sessionMiddleware, TOUCH_EVERY_MS } from './http/session.js';
import { liveSessions } from './auth/session-queries.js';
import { securityRoutes } from './settings/security-routes.js';
import { helpersIn } from './http/view-helpers.js';
import { avatarRoutes } from './people/avatar-routes.js';
import { peopleRoutes } from './people/routes.js';
import { settingsRoutes } from './settings/routes.js';
import { timeZoneRoutes } from './settings/time-zone-routes.js';
import { createMessaging, defaultAttachmentSettings } from './messaging/index.js';
import { messagingDatabase } from './app-database.js';
import { peopleDirectory } from './people/directory.js';
import { contactSearch } from './connections/contact-queries.js';
import { sessionCarryOver } from './http/carry-over.js';
import { messagingPolicy } from './connections/messaging-policy.js';
import { requireAdmin } from './admin/policy.js';
import { supportDeskRoutes } from './admin/support-routes.js';
import { adminRoutes } from './admin/routes.js';
import { setWeeklyReport } from './admin/weekly-report-queries.js';
import { noticeRoutes, safetyRoutes } from './safety/routes.js';
import { passwordResetRoutes } from './auth/password-reset-routes.js';
import { confirmedAddresses } from './email/addresses.js';
import { mailPhotoOf } from './people/avatar-mail.js';
import { emailRoutes } from './email/routes.js';
import { unsubscribeTokens, type UnsubscribeKind } from './email/unsubscribe.js';
import { devMailRoutes } from './mail/dev-mail-routes.js';
import { createMailTransport } from './mail/transport.js';
import { appJobs } from './app-jobs.js';
import type { App, AppDeps } from './app-deps.js';
import { createPushSender, KNOWN_PUSH_SERVICES } from './push/sender.js';
import { serviceWorker } from './push/service-worker-route.js';
import { notificationRoutes } from './settings/notification-routes.js';

export type { App, AppDeps } from './app-deps.js';

/** Composes the host app: security, sessions, the features, errors. */
export function createApp(deps: AppDeps): App {
  const { db, log } = deps;
  const app = express();
  app.disable('x-powered-by');
  // Express's own last-resort handler prints stacks outside 'production'; ours never reaches it, and must not show one either.
  app.set('env', deps.devErrors ? 'development' : 'production');
  // One proxy hop, not 'any': a client cannot spoof its IP (and rate-limit key) through X-Forwarded-For.
  app.set('trust proxy', deps.trustProxy ? 1 : false);

  // Static files first: they need none of the page headers below (a CSP means nothing to a
  // stylesheet), and each would cost a phone half a kilobyte a file.
  app.use('/assets', serveAssets());
  app.use(securityHeadersByRequest());
  // The service worker for push notifications: at the root, so its scope is the whole site.
  app.get('/sw.js', serviceWorker());

  const currentUser = (req: express.Request) => req.user;
  const lifetime = deps.sessionLifetime ?? defaultSessionLifetime;
  // Anonymous forms' CSRF tokens are keyed with the session secret (src/http/csrf.ts).
  app.set(CSRF_KEY_SETTING, deps.sessionSecret);
  // Mail: the SMTP server of SMTP_URL, or the app's outbox; links start with the site's address.
  const mailConfig = deps.mail ?? { smtpUrl: undefined, from: 'Courier <no-reply@localhost>', appUrl: 'http://localhost:3000', delaySeconds: 600 };
  const mail = createMailTransport({ smtpUrl: mailConfig.smtpUrl, from: mailConfig.from, db: db });
  const unsubscribe = unsubscribeTokens(deps.sessionSecret);
  const unsubscribeUrl = (userId: number, kind: UnsubscribeKind) => `${mailConfig.appUrl}/email/unsubscribe?token=${unsubscribe.make(userId, kind)}`;
  // Push services want a way to reach whoever runs the site: the address mail comes from.
  const push = createPushSender({
    db,
    subject: `mailto:${/<([^>]+)>/.exec(mailConfig.from)?.[1] ?? mailConfig.from}`,
    hosts: deps.push?.hosts ?? KNOWN_PUSH_SERVICES,
    ca: deps.push?.ca,
  });
  // The messaging module, built once: host features get the parts they use, never its database.
  const messaging = createMessaging({
    db: messagingDatabase(db),
    ...(deps.deliveryDb ? { deliveryDb: messagingDatabase(deps.deliveryDb) } : {}),
    connectionString: String(deps.pool.options.connectionString),
    log,
    heartbeatMs: deps.streamHeartbeatMs,
    meetingReminderSweepMs: deps.meetingReminderSweepMs,
    currentUser,
    sessions: {
      of: (req) => {
        const sess = req.session;
        if (!req.user || sess?.userId !== req.user.id) return undefined;
        // The earliest it can end: its absolute end, or its idle end as last stored (pushed back
        // at most every TOUCH_EVERY_MS); the stream checks the database then.
        const absoluteEnd = (sess.createdAt ?? Date.now()) + lifetime.absoluteMs;
        return { key: req.sessionID, endsAt: new Date(Math.min(absoluteEnd, Date.now() + lifetime.idleMs - TOUCH_EVERY_MS)) };
      },
      alive: (keys) => liveSessions(db, keys, lifetime),
    },
    authenticate: requireUser,
    verifyForm: csrfGuard,
    people: peopleDirectory(db),
    contacts: contactSearch(db),
    carry: sessionCarryOver,
    policy: messagingPolicy(db, deps.whoCanMessage ?? 'connections'),
    pageSize: deps.messagingPageSize,
    limits: deps.messagingLimits,
    attachments: deps.attachments ?? defaultAttachmentSettings,
    peopleTable: { table: 'users', id: 'id', username: 'username', displayName: 'display_name', usernamesLowerCase: true },
    away: {
      appUrl: mailConfig.appUrl,
      delaySeconds: mailConfig.delaySeconds,
      confirmedEmailColumn: 'email_confirmed_at',
      emailOf: (ids) => confirmedAddresses(db, ids),
      photoOf: (userId) => mailPhotoOf(db, userId),
      send: (message) => mail.send(message),
      push,
      unsubscribeUrl,
    },
  });
  const { realtime } = messaging;

  const sessions = sessionMiddleware(deps.pool, deps.sessionSecret, deps.pruneSessions ?? true, lifetime, sessionReader(db));
  const loadUser = loadCurrentUser(db);
  // The event stream needs who is asking and nothing else: mounted ahead of compression (which
  // would buffer events) and of everything pages need, so an open stream holds as little as possible.
  const door = streamDoor('courier.sid');
  app.get('/events', requestLog(log), door.admit, sessions.middleware, loadUser, door.release, realtime.events);

  // Brotli 5 rather than the default 4: about a tenth smaller pages for little more CPU.
  app.use(compression({ brotli: { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } } }));
  app.get('/healthz', healthCheck(db, deps.isShuttingDown ?? (() => false)));
  app.use(requestLog(log));
  app.use(express.urlencoded({ extended: false, limit: '100kb' }));
  app.use(sessions.middleware);
  app.use(loadUser);
  app.use(exposeCsrfToken, exposeFlash, (req, res, next) => {
    // Pages are personal: a shared cache must never keep them, and the browser revalidates.
    res.set('Cache-Control', 'private, no-cache');
    // Times in the reader's own zone, once known (Settings, or the page script's first visit).
    res.locals.h = helpersIn(req.user?.time_zone);
    res.locals.messagingOpenToAll = deps.whoCanMessage === 'everyone';
    res.locals.currentPath = req.originalUrl;
    // A boosted navigation keeps the page's head (htmx takes only the title from the answer).
    res.locals.boosted = req.get('hx-boosted') === 'true';
    next();
  });
  app.use(messaging.badge);
  app.use(messaging.pageViews);

  app.get('/', (req, res) => res.redirect(303, req.user ? '/messages' : '/login'));
  app.use(authRoutes(db, deps.authLimits ?? defaultAuthLimits, deps.sessionSecret));
  app.use(passwordResetRoutes(db));
  app.use(
    emailRoutes({
      db,
      sessionSecret: deps.sessionSecret,
      turnOff: (userId, kind) =>
        kind === 'analytics' ? setWeeklyReport(db, userId, false) : messaging.notificationPreferences.save(userId, kind === 'messages' ? { emailMessages: 'off' } : { emailDigest: 'off' }),
    }),
  );
  if (deps.devMail) app.use('/dev/mail', devMailRoutes(db));

  const people = peopleRoutes(db);
  const signedIn = [requireUser, csrfGuard];
  app.use('/people', ...signedIn, people.directory);
  app.use('/u', ...signedIn, safetyRoutes(db, messaging.moderation, messaging), people.profiles);
  app.use('/notices', ...signedIn, noticeRoutes(db));
  app.use('/admin', requireUser, requireAdmin, csrfGuard, adminRoutes(db, messaging.moderation), supportDeskRoutes(db, messaging.support));
  app.use('/connections', ...signedIn, connectionRoutes(db));
  app.use('/messages', messaging.router);
  app.use('/push', messaging.devices);
  app.use('/settings/replies', messaging.savedReplies);
  app.use('/meetings', messaging.meetings);
  // The settings form is multipart: its router checks CSRF itself, first (src/settings/form.ts).
  app.use('/settings/notifications', ...signedIn, notificationRoutes(db, messaging.notificationPreferences));
  app.use('/settings', requireUser, securityRoutes(db, lifetime), timeZoneRoutes(db), settingsRoutes(db, messaging.preferences));
  app.use('/avatars', requireUser, avatarRoutes(db));

  app.use(notFoundHandler);
  app.use(errorHandler(log, { devErrors: deps.devErrors }));

  // Background work: this instance runs the queue if asked (every server instance does).
  const jobs = appJobs({ db, pool: deps.pool, log, mail, appUrl: mailConfig.appUrl, unsubscribeUrl, messaging });
  const ready = Promise.all([realtime.start(), deps.runJobs ? jobs.start() : undefined]).then(() => undefined);
  ready.catch((err) => log.error({ err }, 'realtime events or the job queue could not start'));
  const stopJobs = async () => {
    await ready.catch(() => {});
    await jobs.stop();
  };
  return {
    app,
    ready,
    closeStreams: () => realtime.closeStreams(),
    stopJobs,
    async close() {
      await ready.catch(() => {});
      await stopJobs();
      await realtime.stop();
      mail.close();
      sessions.close();
    },
  };
}
