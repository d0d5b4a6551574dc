import type { Db } from '../db/database.js';
import { addJob } from '../jobs/queries.js';
import type { Logger } from '../logger.js';
import { renderEmail } from '../mail/render.js';
import type { MailTransport } from '../mail/transport.js';
import { analyticsFigures, type DayRange } from './analytics.js';
import { analyticsCards, previousLabel } from './analytics-cards.js';
import { addDays, dayStart, utcDay, type Day } from './analytics-days.js';
import { shownDay } from './analytics-format.js';
import { rollUpAnalytics } from './analytics-rollup.js';
import { claimWeeklyReports, weeklyReportAddress } from './weekly-report-queries.js';

export const WEEKLY_REPORT_TASK = 'admin:weekly-report';
export const WEEKLY_REPORT_EMAIL_TASK = 'admin:weekly-report-email';
/**
 * Monday 07:00 UTC, once across instances (the queue takes each crontab tick once). `fill=3d`:
 * an instance that starts within three days of a tick every instance missed still runs it (the
 * report is about the week of the tick, whenever it runs).
 */
export const WEEKLY_REPORT_CRONTAB = `0 7 * * 1 ${WEEKLY_REPORT_TASK} ?fill=3d&jobKey=${WEEKLY_REPORT_TASK}`;

/** The last full UTC week (Monday to Sunday) before the week `at` falls in. */
export function reportedWeek(at: Date): DayRange {
  const today = utcDay(at);
  const sinceMonday = (dayStart(today).getUTCDay() + 6) % 7;
  const from = addDays(today, -sinceMonday - 7);
  return { from, to: addDays(from, 6) };
}

/** ISO 8601 week of a day: "2026-W48" (the year is the one its Thursday falls in). */
export function isoWeek(day: Day): string {
  const date = dayStart(day);
  const thursday = new Date(date.getTime() + (3 - ((date.getUTCDay() + 6) % 7)) * 86_400_000);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * 86_400_000)) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** The weekly task's payload: graphile-worker's crontab adds `_cron.ts`, the tick's time. */
interface SweepPayload {
  _cron?: { ts?: string };
}

interface EmailJob {
  u: number;
  /** The Monday the reported week starts. */
  week: Day;
}

/**
 * The weekly task: brings the rollups up to the end of the reported week (after downtime they may
 * be behind), then claims that week's report for every admin who wants it and queues one email
 * each, in one transaction. Run again (a second instance, a retry), it claims nobody.
 */
export function weeklyReportTask(db: Db, log: Logger): (payload: unknown) => Promise<void> {
  return async (payload) => {
    const tick = (payload as SweepPayload | null)?._cron?.ts;
    const week = reportedWeek(tick ? new Date(tick) : new Date());
    for (;;) if (!(await rollUpAnalytics(db)).behind) break;
    const claimed = await db.transaction().execute(async (tx) => {
      const ids = await claimWeeklyReports(tx, week.from);
      for (const u of ids) {
        const job: EmailJob = { u, week: week.from };
        await addJob(tx, WEEKLY_REPORT_EMAIL_TASK, { ...job }, { jobKey: `admin-weekly:${u}:${isoWeek(week.from)}`, maxAttempts: 8 });
      }
      return ids.length;
    });
    if (claimed > 0) log.info({ analytics: { week: isoWeek(week.from), reports: claimed } }, 'weekly analytics reports queued');
  };
}

export interface WeeklyReportDeps {
  db: Db;
  mail: MailTransport;
  appUrl: string;
  /** The one-click link that turns this admin's report off (no login needed). */
  unsubscribeUrl(userId: number): string;
}

/** One admin's report: the headline figures of the week and their change against the week before. Counts only, never a name or a message. */
export function weeklyReportEmailTask(deps: WeeklyReportDeps): (payload: unknown) => Promise<void> {
  return async (payload) => {
    const job = payload as EmailJob;
    // Turned off, no longer an admin or no longer confirmed since it was queued: no email.
    const to = await weeklyReportAddress(deps.db, job.u);
    if (!to) return;
    const email = await weeklyReportEmail(deps.db, { from: job.week, to: addDays(job.week, 6) }, deps.appUrl, deps.unsubscribeUrl(job.u));
    await deps.mail.send({ to, ...email });
  };
}

/** The email itself (both parts), from the same figures and the same "<5" rule as the page. */
export async function weeklyReportEmail(db: Db, week: DayRange, appUrl: string, unsubscribeUrl: string): Promise<{ subject: string; html: string; text: string; unsubscribeUrl: string }> {
  const analytics = await analyticsFigures(db, week);
  const figures = analyticsCards(analytics).map((card) => ({
    title: card.title,
    headline: card.headline,
    note: card.headlineNote,
    extra: card.extra ?? null,
    change: card.change,
    changeNote: card.changeNote,
  }));
  const subject = `Courier analytics: ${shownDay(week.from)} to ${shownDay(week.to)}`;
  const content = {
    subject,
    preheader: 'Last week on Courier, in counts, against the week before.',
    why: 'You get this report because you are a Courier admin. You can turn it off on the analytics page.',
    unsubscribeUrl,
    settingsUrl: `${appUrl}/admin/analytics`,
    settingsLabel: 'Analytics',
    appUrl,
  };
  const { html, text } = renderEmail('admin-weekly', content, {
    from: shownDay(week.from),
    to: shownDay(week.to),
    previous: previousLabel(analytics),
    figures,
    link: `${appUrl}/admin/analytics?range=7`,
    weekLink: `${appUrl}/admin/analytics?${new URLSearchParams({ from: week.from, to: week.to }).toString()}`,
  });
  return { subject, html, text, unsubscribeUrl };
}
