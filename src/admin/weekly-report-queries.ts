import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { Day } from './analytics-days.js';

/**
 * Claims one week's report for every admin who should get it: an admin (not suspended), with a
 * confirmed address, who has not turned it off, and who has not had that week's report claimed
 * yet. A second run of the weekly task, on this instance or another, claims nobody. Call it inside
 * the transaction that queues the emails, so a claim and its job commit together.
 */
export async function claimWeeklyReports(db: Db, weekStart: Day): Promise<number[]> {
  const rows = await db
    .insertInto('admin_weekly_reports')
    .columns(['user_id', 'week_start'])
    .expression((eb) =>
      eb
        .selectFrom('users')
        .select(['id', eb.val(weekStart).as('week_start')])
        .where('role', '=', 'admin')
        .where('admin_weekly_report', '=', true)
        .where('email', 'is not', null)
        .where('email_confirmed_at', 'is not', null)
        .where((w) => w.or([w('suspended_until', 'is', null), w('suspended_until', '<=', new Date())]))
        .orderBy('id'),
    )
    .onConflict((oc) => oc.columns(['user_id', 'week_start']).doNothing())
    .returning('user_id')
    .execute();
  return rows.map((row) => Number(row.user_id));
}

/** Where an admin's report goes when it is sent: still an admin, still wanting it, still confirmed (or nowhere). */
export async function weeklyReportAddress(db: Db, userId: number): Promise<string | undefined> {
  const row = await db
    .selectFrom('users')
    .select('email')
    .where('id', '=', userId)
    .where('role', '=', 'admin')
    .where('admin_weekly_report', '=', true)
    .where('email_confirmed_at', 'is not', null)
    .executeTakeFirst();
  return row?.email ?? undefined;
}

/** An admin's choice, and whether there is a confirmed address for the report to go to. */
export async function weeklyReportChoice(db: Db, userId: number): Promise<{ on: boolean; confirmed: boolean }> {
  const row = await db.selectFrom('users').select(['admin_weekly_report', 'email_confirmed_at']).where('id', '=', userId).executeTakeFirst();
  return { on: row?.admin_weekly_report ?? false, confirmed: Boolean(row?.email_confirmed_at) };
}

export async function setWeeklyReport(db: Db, userId: number, on: boolean): Promise<void> {
  await db.updateTable('users').set({ admin_weekly_report: on }).where('id', '=', userId).execute();
}

/**
 * Claims only matter while the weekly task could run again for their week (a retry, a second
 * instance, a late tick): eight weeks on, they are dropped, so the table stays a few rows an admin.
 */
export async function sweepWeeklyReportClaims(db: Db): Promise<number> {
  const result = await db.deleteFrom('admin_weekly_reports').where('week_start', '<', sql<string>`current_date - 56`).executeTakeFirst();
  return Number(result.numDeletedRows);
}
