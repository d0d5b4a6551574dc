import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { ModerationAction, ReportReason } from '../db/schema.js';
import type { ReportableMessage } from '../messaging/index.js';
import { defaultReportLimit, ReportLimitReached, type ReportFilter, type ReportLimit } from './reports.js';

// The first key of pg_advisory_xact_lock(int, int) for a reporter's reports (messaging uses 0x436f7201-05).
const REPORT_LOCK_SPACE = 0x436f7210;

/**
 * A report and the messages the reporter attached (copied, so the record stands on its own); past
 * the reporter's limit, nothing is stored and ReportLimitReached says when to try again. The
 * count is of the reports stored, under the reporter's advisory lock taken in its own statement,
 * so the count that follows sees everything an earlier holder committed: parallel posts and other
 * instances cannot slip past, and refused reports count nothing.
 */
export async function createReport(
  db: Db,
  input: { reporterId: number; reportedId: number; conversationId: number | null; reason: ReportReason; details: string; evidence: readonly ReportableMessage[] },
  limit: ReportLimit = defaultReportLimit,
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${REPORT_LOCK_SPACE}::int, (${input.reporterId}::bigint % 2147483647)::int)`.execute(trx);
    // The newest `max` in the window: once the oldest of them leaves it, there is room again.
    const { rows } = await sql<{ n: number; wait: number | null }>`
      select count(*)::int as n, ceil(extract(epoch from min(created_at) + make_interval(secs => ${limit.windowSeconds}) - now()))::int as wait
        from (select created_at from reports
               where reporter_id = ${input.reporterId} and created_at > now() - make_interval(secs => ${limit.windowSeconds})
               order by created_at desc limit ${limit.max}) recent`.execute(trx);
    const recent = rows[0]!;
    if (recent.n >= limit.max) throw new ReportLimitReached(Math.max(1, recent.wait ?? limit.windowSeconds));
    const { id } = await trx
      .insertInto('reports')
      .values({ reporter_id: input.reporterId, reported_id: input.reportedId, conversation_id: input.conversationId, reason: input.reason, details: input.details })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (input.evidence.length > 0) {
      await trx
        .insertInto('report_evidence')
        .values(input.evidence.map((m) => ({ report_id: id, message_id: m.id, sender_id: m.sender_id, body: m.body, sent_at: m.created_at })))
        .execute();
    }
    return id;
  });
}

/** The moderation queue, newest first, by keyset on the id. */
export async function listReports(db: Db, filter: ReportFilter, before: number | undefined, limit = 25) {
  let query = db
    .selectFrom('reports as r')
    .innerJoin('users as reporter', 'reporter.id', 'r.reporter_id')
    .innerJoin('users as reported', 'reported.id', 'r.reported_id')
    .select([
      'r.id',
      'r.reason',
      'r.status',
      'r.resolution',
      'r.created_at',
      'reporter.username as reporter_username',
      'reporter.display_name as reporter_name',
      'reported.username as reported_username',
      'reported.display_name as reported_name',
    ])
    .select((eb) => eb.selectFrom('report_evidence as e').select((e) => e.fn.countAll<number>().as('n')).whereRef('e.report_id', '=', 'r.id').as('evidence_count'))
    .orderBy('r.id', 'desc')
    .limit(limit + 1);
  if (filter !== 'all') query = query.where('r.status', '=', filter);
  if (before !== undefined) query = query.where('r.id', '<', before);
  const rows = await query.execute();
  const items = rows.slice(0, limit).map((row) => ({ ...row, evidence_count: Number(row.evidence_count ?? 0) }));
  return { items, next: rows.length > limit ? items[items.length - 1]?.id : undefined };
}

export async function findReport(db: Db, id: number) {
  const report = await db
    .selectFrom('reports as r')
    .innerJoin('users as reporter', 'reporter.id', 'r.reporter_id')
    .innerJoin('users as reported', 'reported.id', 'r.reported_id')
    .leftJoin('users as moderator', 'moderator.id', 'r.resolved_by')
    .select([
      'r.id',
      'r.reason',
      'r.details',
      'r.status',
      'r.resolution',
      'r.resolved_at',
      'r.created_at',
      'r.conversation_id',
      'r.reported_id',
      'r.reporter_id',
      'reporter.username as reporter_username',
      'reporter.display_name as reporter_name',
      'reported.username as reported_username',
      'reported.display_name as reported_name',
      'reported.suspended_until as reported_suspended_until',
      'moderator.username as moderator_username',
    ])
    .where('r.id', '=', id)
    .executeTakeFirst();
  if (!report) return undefined;
  const evidence = await db
    .selectFrom('report_evidence as e')
    .leftJoin('users as u', 'u.id', 'e.sender_id')
    .select(['e.message_id', 'e.sender_id', 'e.body', 'e.sent_at', 'u.username as sender_username', 'u.display_name as sender_name'])
    .where('e.report_id', '=', id)
    .orderBy('e.message_id')
    .execute();
  return { ...report, evidence };
}

/** What happened to a report, from the audit trail: its filing, each view and each decision. */
export async function reportHistory(db: Db, id: number, limit = 50) {
  const rows = await db
    .selectFrom('audit_log as a')
    .leftJoin('users as u', 'u.id', 'a.actor_id')
    .select(['a.id', 'a.at', 'a.action', 'a.detail', 'u.username as actor_username'])
    .where('a.report_id', '=', id)
    .orderBy('a.id', 'desc')
    .limit(limit)
    .execute();
  return rows.reverse();
}

export type Report = NonNullable<Awaited<ReturnType<typeof findReport>>>;

export async function resolveReport(db: Db, id: number, action: ModerationAction, moderatorId: number): Promise<void> {
  await db
    .updateTable('reports')
    .set({ status: 'resolved', resolution: action, resolved_by: moderatorId, resolved_at: new Date() })
    .where('id', '=', id)
    .execute();
}
