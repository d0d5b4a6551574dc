import type { Request } from 'express';
import type { Db } from '../db/database.js';

/**
 * The audit trail's vocabulary. Conversations and messages are audited by database triggers
 * (migration 0008); everything else is written here.
 */
export type AuditAction =
  | 'auth.signup'
  | 'auth.login'
  | 'auth.login_failed'
  | 'auth.logout'
  | 'auth.password_changed'
  | 'auth.reset_requested'
  | 'auth.password_reset'
  | 'auth.email_confirmed'
  | 'auth.sessions_ended'
  | 'user.blocked'
  | 'user.unblocked'
  | 'report.created'
  | 'report.viewed'
  | 'report.resolved'
  | 'notice.acknowledged'
  | 'analytics.viewed'
  | 'analytics.exported'
  | 'support.opened';

/** Metadata only: ids, an action, an IP, and small non-textual details. Never message text or passwords. */
export interface AuditEntry {
  action: AuditAction;
  actorId?: number | null;
  subjectUserId?: number | null;
  conversationId?: number | null;
  messageId?: number | null;
  reportId?: number | null;
  ip?: string | null;
  detail?: Record<string, string | number | boolean | null | readonly (string | number)[]>;
}

export async function recordAudit(db: Db, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      action: entry.action,
      actor_id: entry.actorId ?? null,
      subject_user_id: entry.subjectUserId ?? null,
      conversation_id: entry.conversationId ?? null,
      message_id: entry.messageId ?? null,
      report_id: entry.reportId ?? null,
      ip: entry.ip ?? null,
      detail: entry.detail ? JSON.stringify(entry.detail) : null,
    })
    .execute();
}

/** The client's address as Express sees it (through the one trusted proxy hop, if any). */
export const ipOf = (req: Request): string | null => req.ip ?? null;
