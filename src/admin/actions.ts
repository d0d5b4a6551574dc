import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { ModerationAction } from '../db/schema.js';
import { redactMessages, type MessagingDb } from '../messaging/index.js';
import type { Report } from '../safety/reports.js';
import { resolveReport } from '../safety/reports.js';

export const ACTIONS: readonly ModerationAction[] = ['dismiss', 'warn', 'suspend', 'redact'];
export const SUSPEND_DAYS = [1, 7, 30, 365] as const;

export type ActionInput = { action: ModerationAction; days: number; messageIds: readonly number[] };
export type ActionOutcome = { summary: string; detail: Record<string, number | string | readonly number[]> };

/** Carries out a moderator's decision on a report, and marks the report resolved with it. */
export async function applyAction(db: Db, report: Report, input: ActionInput, moderatorId: number): Promise<ActionOutcome> {
  let outcome: ActionOutcome;
  switch (input.action) {
    case 'dismiss':
      outcome = { summary: 'Report dismissed.', detail: {} };
      break;
    case 'warn':
      await db.insertInto('moderation_notices').values({ user_id: report.reported_id, report_id: report.id, kind: 'warning' }).execute();
      outcome = { summary: `${report.reported_name} will see a warning on their next page.`, detail: {} };
      break;
    case 'suspend': {
      const until = await suspend(db, report.reported_id, input.days);
      outcome = { summary: `${report.reported_name} is suspended until ${until.toUTCString()}.`, detail: { days: input.days, until: until.toISOString() } };
      break;
    }
    case 'redact': {
      const attached = new Set(report.evidence.map((e) => e.message_id));
      const chosen = input.messageIds.length > 0 ? input.messageIds.filter((id) => attached.has(id)) : [...attached];
      const removed = await redactMessages(db as unknown as MessagingDb, chosen);
      outcome = { summary: `${removed} message${removed === 1 ? '' : 's'} removed for both participants.`, detail: { messages: chosen } };
      break;
    }
  }
  await resolveReport(db, report.id, input.action, moderatorId);
  return outcome;
}

/**
 * Suspends an account: no login until then, and every session it holds ends now (the sessions
 * table is express-session's; the user id sits in its JSON).
 */
async function suspend(db: Db, userId: number, days: number): Promise<Date> {
  const row = await db
    .updateTable('users')
    .set({ suspended_until: sql<Date>`now() + make_interval(days => ${days})` })
    .where('id', '=', userId)
    .returning('suspended_until')
    .executeTakeFirstOrThrow();
  await sql`delete from session where (sess ->> 'userId')::bigint = ${userId}`.execute(db);
  return row.suspended_until!;
}
