import { Router, type Request } from 'express';
import { ipOf, recordAudit } from '../audit/record.js';
import type { Db } from '../db/database.js';
import { userOf } from '../http/current-user.js';
import { bodyOf, listOf } from '../http/fields.js';
import { flash } from '../http/flash.js';
import { render } from '../http/render.js';
import { analyticsFigures } from './analytics.js';
import { analyticsCards, previousLabel } from './analytics-cards.js';
import { analyticsCsv } from './analytics-csv.js';
import { utcDay } from './analytics-days.js';
import { shownDay } from './analytics-format.js';
import { parseRange, PRESETS } from './analytics-range.js';
import { setWeeklyReport, weeklyReportChoice } from './weekly-report-queries.js';

/**
 * /admin/analytics and its CSV: counts from the daily rollups only (never a message, a name or a
 * person's own figures). Mounted behind requireUser and requireAdmin; every view is audited.
 */
export function analyticsRoutes(db: Db): Router {
  const router = Router();
  const choose = (req: Request) => parseRange(req.query, utcDay(new Date()));

  router.get('/analytics', async (req, res) => {
    const choice = choose(req);
    const page = { title: 'Analytics', presets: PRESETS, form: choice.form, shownDay };
    if (!choice.ok) return render(res, 'admin/analytics', { ...page, error: choice.error }, 400);
    const [analytics, weekly] = await Promise.all([analyticsFigures(db, choice.range), weeklyReportChoice(db, userOf(req).id)]);
    await recordAudit(db, { action: 'analytics.viewed', actorId: userOf(req).id, ip: ipOf(req), detail: { ...choice.range } });
    render(res, 'admin/analytics', { ...page, analytics, weekly, cards: analyticsCards(analytics), previous: previousLabel(analytics), csvQuery: new URLSearchParams({ from: choice.range.from, to: choice.range.to }).toString() });
  });

  router.get('/analytics.csv', async (req, res) => {
    const choice = choose(req);
    if (!choice.ok) return void res.status(400).type('text/plain').send(`${choice.error}\n`);
    const analytics = await analyticsFigures(db, choice.range);
    await recordAudit(db, { action: 'analytics.exported', actorId: userOf(req).id, ip: ipOf(req), detail: { ...choice.range } });
    res.attachment(`courier-analytics-${choice.range.from}-to-${choice.range.to}.csv`);
    res.type('text/csv; charset=utf-8; header=present').send(analyticsCsv(analytics));
  });

  // The weekly report by email: a checkbox (absent when unticked), so `weekly=on` turns it on and
  // anything else (`off`, or nothing) turns it off. Admins only, with the CSRF token, like all of /admin.
  router.post('/analytics/weekly-report', async (req, res) => {
    const on = listOf(bodyOf(req).weekly).includes('on');
    await setWeeklyReport(db, userOf(req).id, on);
    await flash(req, on ? 'You will get the weekly analytics report by email on Mondays.' : 'You will no longer get the weekly analytics report.');
    res.redirect(303, '/admin/analytics');
  });

  return router;
}
