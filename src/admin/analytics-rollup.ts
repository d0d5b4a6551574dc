import type { Db } from '../db/database.js';
import { addJob } from '../jobs/queries.js';
import type { Logger } from '../logger.js';
import { addDays, earlier, eachDay, utcDay, type Day } from './analytics-days.js';
import { firstActivity, lockRolledThrough, rollUpDay, setRolledThrough } from './analytics-rollup-queries.js';

export const ANALYTICS_ROLLUP_TASK = 'admin:analytics-rollup';
/**
 * Every five minutes, once across instances (a crontab tick is taken once; the job key keeps one
 * pending job). So today's figures are at most five minutes old.
 */
export const ANALYTICS_ROLLUP_CRONTAB = `*/5 * * * * ${ANALYTICS_ROLLUP_TASK} ?jobKey=${ANALYTICS_ROLLUP_TASK}`;
/** Days computed by one job at most: a long catch-up goes on in further jobs, each one short. */
export const ROLLUP_BATCH_DAYS = 31;

export interface RollupResult {
  /** The days computed, oldest first (empty: nothing to do). */
  days: Day[];
  /** True when days up to today are still missing (after downtime, or the first run on a long history). */
  behind: boolean;
}

/**
 * Brings the daily rollups up to `now`: always yesterday and today (yesterday again because a
 * transaction that began before midnight may commit after it), and every day since the last one
 * rolled up after it had ended, when the job did not run for a while. The first run starts at the
 * first activity. One transaction holding the watermark row: a second instance waits, then finds
 * little to do.
 */
export async function rollUpAnalytics(db: Db, now = new Date(), batchDays = ROLLUP_BATCH_DAYS): Promise<RollupResult> {
  const today = utcDay(now);
  const yesterday = addDays(today, -1);
  return db.transaction().execute(async (tx) => {
    const complete = await lockRolledThrough(tx);
    const start = complete === null ? utcDay((await firstActivity(tx)) ?? now) : addDays(complete, 1);
    const from = earlier(start, yesterday);
    const to = earlier(today, addDays(from, batchDays - 1));
    const days = eachDay(from, to);
    for (const day of days) await rollUpDay(tx, day);
    // Today is not complete: the watermark stops at the last day computed after it ended.
    await setRolledThrough(tx, earlier(to, yesterday));
    return { days, behind: to < today };
  });
}

/** The job: one batch, and when it leaves days to do, the next batch at once (same key: one pending). */
export function analyticsRollupTask(db: Db, log: Logger): () => Promise<void> {
  return async () => {
    const result = await rollUpAnalytics(db);
    if (result.days.length > 2) log.info({ analytics: { from: result.days[0], to: result.days.at(-1), behind: result.behind } }, 'analytics rolled up missing days');
    if (result.behind) await queueAnalyticsRollup(db);
  };
}

/** A rollup as soon as a worker is free: at start (to catch up after downtime) and to go on with a catch-up. */
export function queueAnalyticsRollup(db: Db): Promise<void> {
  return addJob(db, ANALYTICS_ROLLUP_TASK, {}, { jobKey: ANALYTICS_ROLLUP_TASK, maxAttempts: 5 });
}
