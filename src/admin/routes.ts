import { Router } from 'express';
import { ipOf, recordAudit } from '../audit/record.js';
import type { Db } from '../db/database.js';
import type { ModerationAction } from '../db/schema.js';
import { userOf } from '../http/current-user.js';
import { HttpError, notFound } from '../http/errors.js';
import { bodyOf, positiveId, positiveIds } from '../http/fields.js';
import { flash } from '../http/flash.js';
import { render } from '../http/render.js';
import type { Moderation } from '../messaging/index.js';
import { findReport, listReports, reportHistory } from '../safety/report-queries.js';
import { reasonLabels, type ReportFilter } from '../safety/reports.js';
import { ACTIONS, applyAction, SUSPEND_DAYS } from './actions.js';
import { analyticsRoutes } from './analytics-routes.js';

const FILTERS: readonly ReportFilter[] = ['open', 'resolved', 'all'];

/**
 * /admin: the moderation queue. There is deliberately no route to any conversation: moderators
 * see only what a reporter attached. Every view of a report and every action is audited.
 */
export function adminRoutes(db: Db, moderation: Pick<Moderation, 'redactMessages'>): Router {
  const router = Router();

  router.get('/', (_req, res) => res.redirect(303, '/admin/reports'));
  router.use(analyticsRoutes(db));

  router.get('/reports', async (req, res) => {
    const status = FILTERS.includes(req.query.status as ReportFilter) ? (req.query.status as ReportFilter) : 'open';
    const page = await listReports(db, status, positiveId(req.query.before));
    render(res, 'admin/reports', { title: 'Reports', status, filters: FILTERS, page, reasonLabels });
  });

  async function loadReport(raw: unknown) {
    const id = positiveId(raw);
    const report = id === undefined ? undefined : await findReport(db, id);
    if (!report) throw notFound('That report');
    return report;
  }

  router.get('/reports/:id', async (req, res) => {
    const me = userOf(req);
    const report = await loadReport(req.params.id);
    await recordAudit(db, { action: 'report.viewed', actorId: me.id, subjectUserId: report.reported_id, reportId: report.id, ip: ipOf(req) });
    const history = await reportHistory(db, report.id);
    render(res, 'admin/report', { title: `Report #${report.id}`, report, history, reasonLabels, actions: ACTIONS, suspendDays: SUSPEND_DAYS });
  });

  router.post('/reports/:id/resolve', async (req, res) => {
    const me = userOf(req);
    const report = await loadReport(req.params.id);
    const body = bodyOf(req);
    const action = body.action as ModerationAction;
    if (!ACTIONS.includes(action)) throw new HttpError(400, 'Choose an action: dismiss, warn, suspend or redact.');
    const days = body.days === undefined ? 7 : Number(body.days);
    if (!SUSPEND_DAYS.includes(days as (typeof SUSPEND_DAYS)[number])) throw new HttpError(400, `A suspension lasts ${SUSPEND_DAYS.join(', ')} days.`);
    const messageIds = positiveIds(body.message_ids);
    if (action === 'redact' && report.evidence.length === 0) throw new HttpError(400, 'Nothing is attached to this report, so there is nothing to remove.');
    if (action === 'suspend' && report.reported_id === me.id) throw new HttpError(400, 'You cannot suspend yourself.');
    const outcome = await applyAction(db, moderation, report, { action, days, messageIds }, me.id);
    await recordAudit(db, { action: 'report.resolved', actorId: me.id, subjectUserId: report.reported_id, reportId: report.id, ip: ipOf(req), detail: { action, ...outcome.detail } });
    await flash(req, outcome.summary);
    res.redirect(303, `/admin/reports/${report.id}`);
  });

  return router;
}
