import type { TaskList } from 'graphile-worker';
import type pg from 'pg';
import { ANALYTICS_ROLLUP_CRONTAB, ANALYTICS_ROLLUP_TASK, analyticsRollupTask, queueAnalyticsRollup } from './admin/analytics-rollup.js';
import { WEEKLY_REPORT_CRONTAB, WEEKLY_REPORT_EMAIL_TASK, WEEKLY_REPORT_TASK, weeklyReportEmailTask, weeklyReportTask } from './admin/weekly-report.js';
import { sweepWeeklyReportClaims } from './admin/weekly-report-queries.js';
import { sweepExpiredSessions } from './auth/session-sweep-queries.js';
import type { Db } from './db/database.js';
import { ACCOUNT_EMAIL_TASK, accountEmailTask } from './email/account-mail.js';
import { sweepTokens } from './email/token-queries.js';
import type { UnsubscribeKind } from './email/unsubscribe.js';
import { sweepExpiredRateLimits } from './http/rate-limit-store.js';
import { startJobRunner, type JobRunner } from './jobs/runner.js';
import { sweepTask, SWEEP_CRONTAB, SWEEP_TASK } from './jobs/sweep.js';
import type { Logger } from './logger.js';
import { sweepOutbox } from './mail/outbox-queries.js';
import type { MailTransport } from './mail/transport.js';
import type { Messaging } from './messaging/index.js';

export interface AppJobs {
  /** Runs the queue in this instance, and sets the messaging module's periodic work going. */
  start(): Promise<void>;
  /** Stops it (jobs it was running finish first); nothing if it never started. */
  stop(): Promise<void>;
}

/** The host app's background work, through the one job queue: its own tasks and the messaging module's. */
export function appJobs(options: { db: Db; pool: pg.Pool; log: Logger; mail: MailTransport; appUrl: string; unsubscribeUrl: (userId: number, kind: UnsubscribeKind) => string; messaging: Pick<Messaging, 'jobs' | 'sweepPendingAttachments' | 'sweepDevices'> }): AppJobs {
  const { db, pool, log, mail, messaging } = options;
  const away = messaging.jobs;
  let runner: JobRunner | undefined;
  return {
    async start() {
      const tasks: TaskList = {
        ...away.tasks,
        [ACCOUNT_EMAIL_TASK]: accountEmailTask({ db, mail, appUrl: options.appUrl }),
        [ANALYTICS_ROLLUP_TASK]: analyticsRollupTask(db, log),
        [WEEKLY_REPORT_TASK]: weeklyReportTask(db, log),
        [WEEKLY_REPORT_EMAIL_TASK]: weeklyReportEmailTask({ db, mail, appUrl: options.appUrl, unsubscribeUrl: (userId) => options.unsubscribeUrl(userId, 'analytics') }),
        [SWEEP_TASK]: sweepTask(
          pool,
          log,
          {
            sessions: () => sweepExpiredSessions(db),
            'rate limits': () => sweepExpiredRateLimits(db),
            'one-time links': () => sweepTokens(db),
            outbox: () => sweepOutbox(db),
            'unsent files': () => messaging.sweepPendingAttachments(),
            'push devices': () => messaging.sweepDevices(),
            'weekly report claims': () => sweepWeeklyReportClaims(db),
          },
          () => Object.keys(tasks),
        ),
      };
      runner = await startJobRunner({
        pool,
        log,
        tasks,
        crontab: [SWEEP_CRONTAB, ANALYTICS_ROLLUP_CRONTAB, WEEKLY_REPORT_CRONTAB, ...away.crontab].join('\n'),
      });
      await away.start();
      // Days missed while no instance ran are rolled up now, not at the next tick.
      await queueAnalyticsRollup(db);
    },
    async stop() {
      await runner?.stop();
      runner = undefined;
    },
  };
}
