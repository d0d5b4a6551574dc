import { Router } from 'express';
import { positiveId } from '../http/fields.js';
import { notFound } from '../http/errors.js';
import { render } from '../http/render.js';
import { outboxMail, outboxPage, type MailDb } from './outbox-queries.js';

const PAGE = 30;

/**
 * GET /dev/mail: the app's outbox, where mail goes without SMTP_URL (never mounted in production).
 * Each email as sent: its headers, its text part, and its HTML part on a page of its own that can
 * run nothing and load nothing but its own inline images.
 */
export function devMailRoutes(db: MailDb): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const before = positiveId(req.query.before);
    const rows = await outboxPage(db, before, PAGE + 1);
    render(res, 'dev/mail', { title: 'Outbox', mails: rows.slice(0, PAGE), next: rows.length > PAGE ? rows[PAGE - 1]!.id : undefined });
  });
  router.get('/:id', async (req, res) => {
    const id = positiveId(req.params.id);
    const mail = id === undefined ? undefined : await outboxMail(db, id);
    if (!mail) throw notFound('That email');
    render(res, 'dev/mail-one', { title: mail.subject, mail, headers: mail.raw.slice(0, mail.raw.search(/\r?\n\r?\n/)) });
  });
  router.get('/:id/html', async (req, res) => {
    const id = positiveId(req.params.id);
    const mail = id === undefined ? undefined : await outboxMail(db, id);
    if (!mail) throw notFound('That email');
    res.set('Content-Security-Policy', "default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'; sandbox");
    res.type('html').send(mail.html_part);
  });
  return router;
}
