import { Router, type Request, type Response } from 'express';
import { ipOf, recordAudit } from '../audit/record.js';
import type { Db } from '../db/database.js';
import type { ReportReason } from '../db/schema.js';
import { userOf } from '../http/current-user.js';
import { HttpError, notFound } from '../http/errors.js';
import { bodyOf, hasNul, NUL_MESSAGE, positiveId, positiveIds } from '../http/fields.js';
import { flash } from '../http/flash.js';
import { render } from '../http/render.js';
import { safeNext } from '../http/safe-next.js';
import type { Messaging, Moderation } from '../messaging/index.js';
import { block, blockState, unblock } from './block-queries.js';
import { createReport } from './report-queries.js';
import { DETAILS_MAX, reasonLabels, REASONS, ReportLimitReached } from './reports.js';

interface ReportForm {
  reason: string;
  details: string;
  messageIds: number[];
  block: boolean;
  errors: { reason?: string; details?: string; form?: string };
}


/**
 * Under /u/:username: block, unblock and report someone. Blocks stop messaging both ways (the
 * messaging policy reads them); reports go to the moderators with what the reporter attached,
 * which only the messaging module reads (the reporter's own messages, through `moderation`).
 */
export function safetyRoutes(db: Db, moderation: Pick<Moderation, 'recentMessagesWith' | 'messagesForEvidence'>, live: Pick<Messaging, 'barrierChanged'>): Router {
  const router = Router();

  async function personFor(req: Request) {
    const me = userOf(req);
    const username = String(req.params.username ?? '').toLowerCase();
    const person = await db.selectFrom('users').select(['id', 'username', 'display_name', 'avatar_version']).where('username', '=', username).executeTakeFirst();
    if (!person) throw notFound('That person');
    if (person.id === me.id) throw new HttpError(400, 'You cannot do that to yourself.');
    return { me, person };
  }

  // The confirmation page (without JavaScript there is no dialog to ask in).
  router.get('/:username/block', async (req, res) => {
    const { me, person } = await personFor(req);
    const state = await blockState(db, me.id, person.id);
    render(res, 'safety/block', { title: `Block ${person.display_name}`, person, alreadyBlocked: state.iBlocked, next: safeNext(req.query.next, `/u/${person.username}`) });
  });

  router.post('/:username/block', async (req, res) => {
    const { me, person } = await personFor(req);
    if (await block(db, me.id, person.id)) {
      await recordAudit(db, { action: 'user.blocked', actorId: me.id, subjectUserId: person.id, ip: ipOf(req) });
      await live.barrierChanged(me.id, person.id);
    }
    await flash(req, `You blocked ${person.display_name}. They can no longer message you, and you cannot message them.`);
    res.redirect(303, safeNext(bodyOf(req).next, `/u/${person.username}`));
  });

  router.post('/:username/unblock', async (req, res) => {
    const { me, person } = await personFor(req);
    if (await unblock(db, me.id, person.id)) {
      await recordAudit(db, { action: 'user.unblocked', actorId: me.id, subjectUserId: person.id, ip: ipOf(req) });
      await live.barrierChanged(me.id, person.id);
    }
    await flash(req, `You unblocked ${person.display_name}.`);
    res.redirect(303, safeNext(bodyOf(req).next, `/u/${person.username}`));
  });

  async function renderReportForm(req: Request, res: Response, person: { id: number; username: string; display_name: string; avatar_version: number | null }, form: ReportForm, status = 200) {
    const me = userOf(req);
    const { conversationId, messages } = await moderation.recentMessagesWith(me.id, person.id);
    const next = conversationId !== undefined && (req.query.from !== undefined || bodyOf(req).from !== undefined) ? `/messages/${conversationId}` : `/u/${person.username}`;
    const state = await blockState(db, me.id, person.id);
    render(
      res,
      'safety/report',
      { title: `Report ${person.display_name}`, person, form, messages, reasons: REASONS, reasonLabels, detailsMax: DETAILS_MAX, next, fromThread: next.startsWith('/messages/'), alreadyBlocked: state.iBlocked },
      status,
    );
  }

  router.get('/:username/report', async (req, res) => {
    const { person } = await personFor(req);
    await renderReportForm(req, res, person, { reason: '', details: '', messageIds: positiveIds(req.query.message_ids), block: false, errors: {} });
  });

  router.post('/:username/report', async (req, res) => {
    const { me, person } = await personFor(req);
    const body = bodyOf(req);
    const reason = typeof body.reason === 'string' ? body.reason : '';
    const details = (typeof body.details === 'string' ? body.details : '').replace(/\r\n?/g, '\n').trim();
    const form: ReportForm = { reason, details, messageIds: positiveIds(body.message_ids), block: body.block === 'on' || body.block === '1' || body.block === 'true', errors: {} };
    if (!REASONS.includes(reason as ReportReason)) form.errors.reason = 'Choose what is wrong: spam, harassment or something else.';
    if (hasNul(details)) form.errors.details = NUL_MESSAGE;
    else if ([...details].length > DETAILS_MAX) form.errors.details = `Keep the details under ${DETAILS_MAX} characters (you wrote ${[...details].length}).`;
    else if (reason === 'other' && !details) form.errors.details = 'Tell the moderators what is wrong.';
    if (form.errors.reason || form.errors.details) return renderReportForm(req, res, person, form, 400);

    const { conversationId, messages: evidence } = await moderation.messagesForEvidence(me.id, person.id, form.messageIds);
    let reportId: number;
    try {
      reportId = await createReport(db, { reporterId: me.id, reportedId: person.id, conversationId: conversationId ?? null, reason: reason as ReportReason, details, evidence });
    } catch (err) {
      if (!(err instanceof ReportLimitReached)) throw err;
      res.set('Retry-After', String(err.retryAfterSeconds));
      const minutes = Math.ceil(err.retryAfterSeconds / 60);
      form.errors.form = `You have sent too many reports in the last hour. Your report is kept here: try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
      return renderReportForm(req, res, person, form, 429);
    }
    await recordAudit(db, { action: 'report.created', actorId: me.id, subjectUserId: person.id, reportId, ip: ipOf(req), detail: { reason, evidence: evidence.map((m) => m.id) } });
    if (form.block && (await block(db, me.id, person.id))) {
      await recordAudit(db, { action: 'user.blocked', actorId: me.id, subjectUserId: person.id, ip: ipOf(req) });
      await live.barrierChanged(me.id, person.id);
    }
    await flash(req, `Thank you. Your report about ${person.display_name} went to the moderators${form.block ? ', and you blocked them' : ''}.`);
    const from = typeof body.from === 'string' ? body.from : '';
    res.redirect(303, safeNext(from, `/u/${person.username}`));
  });

  return router;
}

/** POST /notices/:id/ack: the person has read a moderator's warning. */
export function noticeRoutes(db: Db): Router {
  const router = Router();
  router.post('/:id/ack', async (req, res) => {
    const me = userOf(req);
    const id = positiveId(req.params.id);
    const notice = id === undefined ? undefined : await db.selectFrom('moderation_notices').select(['id', 'user_id', 'acknowledged_at']).where('id', '=', id).executeTakeFirst();
    if (!notice) throw notFound('That notice');
    if (notice.user_id !== me.id) throw new HttpError(403, 'That notice is not yours.');
    if (!notice.acknowledged_at) {
      await db.updateTable('moderation_notices').set({ acknowledged_at: new Date() }).where('id', '=', notice.id).execute();
      await recordAudit(db, { action: 'notice.acknowledged', actorId: me.id, ip: ipOf(req), detail: { notice: notice.id } });
    }
    res.redirect(303, safeNext(bodyOf(req).next, '/messages'));
  });
  return router;
}
