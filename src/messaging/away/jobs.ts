import { addJob } from '../../jobs/queries.js';
import type { MessagingDeps } from '../deps.js';
import { missedEmailTask, missedSweepTask } from './missed-email.js';
import { MISSED_EMAIL_TASK } from './missed-queries.js';
import { digestEmailTask, digestSweepTask } from './digest-email.js';
import { DIGEST_EMAIL_TASK } from './digest-queries.js';
import { PUSH_TASK } from './push-queries.js';
import { pushTask } from './push-task.js';
import { meetingReminderJobs } from '../meetings/reminder-jobs.js';

const MISSED_SWEEP_TASK = 'messaging:missed-sweep';
const DIGEST_SWEEP_TASK = 'messaging:digest-sweep';

/** The module's background work, for the host's job queue. */
export interface MessagingJobs {
  tasks: Record<string, (payload: unknown) => Promise<void>>;
  /** Lines for the queue's crontab (periodic work that runs once per tick across instances). */
  crontab: string[];
  /** Called once per instance when its queue starts: sets the self-renewing chains going. */
  start(): Promise<void>;
}

/**
 * The sweep for missed messages runs as a chain of single jobs rather than a crontab line, because
 * its period follows the delay (a tenth of it, at most 30 s: a 10-minute delay is kept within 30 s),
 * which a crontab cannot say below a minute. The chain's key keeps one pending sweep however many
 * instances start it; each sweep adds the next when it ends, and a failed one is retried.
 */
export function messagingJobs(deps: MessagingDeps): MessagingJobs {
  const away = deps.away;
  // The send function queues pushes for anyone with a device: without push, they end as nothing.
  const push = away?.push;
  const pushes = push ? pushTask({ ...deps, away: { ...away, push } }) : async () => {};
  // Reminders reach open pages even without email or push.
  const reminders = meetingReminderJobs(deps);
  if (!away) return { tasks: { [PUSH_TASK]: pushes, ...reminders.tasks }, crontab: [], start: () => reminders.start() };
  const ready = { ...deps, away };
  const periodMs = Math.min(30_000, Math.max(500, (away.delaySeconds * 1000) / 10));
  const next = (delayMs: number) =>
    addJob(deps.db, MISSED_SWEEP_TASK, {}, { jobKey: MISSED_SWEEP_TASK, jobKeyMode: 'preserve_run_at', runAt: new Date(Date.now() + delayMs), maxAttempts: 5 });
  const sweep = missedSweepTask(ready);
  return {
    tasks: {
      [MISSED_SWEEP_TASK]: async () => {
        try {
          await sweep();
        } finally {
          await next(periodMs);
        }
      },
      [MISSED_EMAIL_TASK]: missedEmailTask(ready),
      [DIGEST_SWEEP_TASK]: digestSweepTask(ready),
      [DIGEST_EMAIL_TASK]: digestEmailTask(ready),
      [PUSH_TASK]: pushes,
      ...reminders.tasks,
    },
    // Digests are due by the day or the week: looked for at five past every hour.
    crontab: [`5 * * * * ${DIGEST_SWEEP_TASK}`],
    start: async () => {
      await next(0);
      await reminders.start();
    },
  };
}
