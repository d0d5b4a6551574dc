import { endSessions } from '../auth/session-queries.js';
import type { Db } from '../db/database.js';
import type { ModerationAction } from '../db/schema.js';
import type { Moderation } from '../messaging/index.js';
import { resolveReport, type Report } from '../safety/report-queries.js';
import { suspendUntil } from './queries.js';

export const ACTIONS: readonly ModerationAction[] = ['dismiss', 'warn', 'suspend', 'redact'];
export const SUSPEND_DAYS = [1, 7, 30, 365] as const;

export type ActionInput = { action: ModerationAction; days: number; messageIds: readonly number[] };
export type ActionOutcome = { summary: string; detail: Record<string, number | string | readonly number[]> };

/**
 * Carries out a moderator's decision on a report, and marks the report resolved with it. Messages
 * are removed by the messaging module (`moderation`), which owns them.
 */
export async function applyAction(db: Db, moderation: Pick<Moderation, 'redactMessages'>, report: Report, input: ActionInput, moderatorId: number): Promise<ActionOutcome> {
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
      const removed = await moderation.redactMessages(chosen);
      outcome = { summary: `${removed} message${removed === 1 ? '' : 's'} removed for both participants.`, detail: { messages: chosen } };
      break;
    }
  }
  await resolveReport(db, report.id, input.action, moderatorId);
  return outcome;
}

/** Suspends an account: no login until then, and every session it holds ends now. */
async function suspend(db: Db, userId: number, days: number): Promise<Date> {
  const until = await suspendUntil(db, userId, days);
  await endSessions(db, userId);
  return until;
}
