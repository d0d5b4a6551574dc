import type { Request, RequestHandler, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { forbidden, HttpError, notFound } from '../../http/errors.js';
import { isHtmx } from '../../http/render.js';
import { NUL_MESSAGE } from '../../http/fields.js';
import { attachmentSettings } from '../attachments/settings.js';
import { discardPending, myPending } from '../attachments/queries.js';
import { isMultipart, MAX_FILES_PER_MESSAGE, type StoredFile } from '../attachments/upload.js';
import { checkBody } from '../body.js';
import type { Barrier, MessagingDeps, MessagingUser } from '../deps.js';
import { limitsOf, PerPersonQueue, RateLimited, retryPhrase } from '../limits.js';
import { ClientIdReused, sendMessage } from '../queries/messages.js';
import { WriteRefused } from '../queries/write-check.js';
import { sendInThread } from '../queries/send-in-thread.js';
import type { PeopleCache } from '../realtime/people-cache.js';
import { threadAccess, type ThreadAccess } from '../queries/conversations.js';
import { sendingLimitReached } from '../queries/send-limit.js';
import { barrierIn, parseId, requireThread, viewer } from './context.js';
import { drawingDeps, notSent, refuse, renderOne } from './send-answers.js';
import { plainForm, readMultipart, type SendForm } from './send-form.js';

/** What a form with files was checked for before its files were read: a block, the sending limit. */
interface PreChecks {
  barrier?: Barrier | undefined;
  /** Seconds until the sending limit lets another message through. */
  early?: number | undefined;
}

/** POST /messages/:id/messages: a send, with or without files. */
export function sendHandler(deps: MessagingDeps, livePeople?: PeopleCache): RequestHandler {
  const drawing = drawingDeps(deps, livePeople);
  const limits = limitsOf(deps.limits);
  const attachments = attachmentSettings(deps);
  const queue = new PerPersonQueue();
  /**
   * A send: mounted ahead of the conversation's own lookup. A form with no file (nearly every
   * message, whether posted plain or, from the composer with files on, as multipart with its file
   * input empty) and nothing kept from an earlier refusal reads the thread and stores the message
   * in one statement. A form with files reads the thread, the barrier and the sending limit when
   * its first file arrives, so that a refused send's files are read through unopened.
   */
  const send: RequestHandler = async (req, res, next) => {
    if (!/^\d+$/.test(String(req.params.id))) return next('router');
    const me = viewer(deps, req);
    const conversationId = parseId(req.params.id);
    if (conversationId === undefined) throw notFound('That conversation');
    if (!isMultipart(req)) {
      const form = plainForm(req);
      if (form.keptIds.length === 0) return sendPlain(req, res, me, form);
      return sendWithFiles(req, res, me, await requireThread(deps, req.params.id, me.id), form, {});
    }
    let checks: (PreChecks & { access: ThreadAccess | undefined }) | undefined;
    const form = await readMultipart(deps, attachments, req, res, conversationId, async () => {
      const access = await threadAccess(deps.db, conversationId, me.id);
      // Not theirs: the files are read through unopened, and the answer is the 404 below.
      if (!access) return (checks = { access }), true;
      const barrier = await barrierIn(deps, me.id, access);
      const early = barrier === undefined ? await sendingLimitReached(deps.db, me.id, limits.messages) : undefined;
      checks = { access, barrier, early };
      return barrier !== undefined || early !== undefined;
    });
    const { upload } = form;
    const plain = checks === undefined && form.keptIds.length === 0 && upload.stored.length === 0 && upload.errors.length === 0 && !upload.malformed && upload.nulIn.size === 0;
    if (plain) return sendPlain(req, res, me, form);
    const access = checks?.access ?? (await requireThread(deps, req.params.id, me.id));
    if (checks === undefined) {
      // Something to refuse or files kept, and no file came to ask for these: asked now.
      const barrier = await barrierIn(deps, me.id, access);
      checks = { access, barrier, early: barrier === undefined ? await sendingLimitReached(deps.db, me.id, limits.messages) : undefined };
    }
    return sendWithFiles(req, res, me, access, form, checks);
  };

  /** A plain form's send: the thread and the message in one statement (sendInThread). */
  async function sendPlain(req: Request, res: Response, me: MessagingUser, form: SendForm) {
    const conversationId = parseId(req.params.id);
    if (conversationId === undefined) throw notFound('That conversation');
    const checked = checkBody(form.typed, { allowEmpty: false });
    if (!checked.ok) return refuse(deps, req, res, await requireThread(deps, req.params.id, me.id), form, [], checked.status, checked.error);
    let result;
    try {
      result = await queue.run(me.id, () => sendInThread(deps.db, { conversationId, senderId: me.id, body: checked.body, clientId: form.clientId, replyTo: form.replyTo }, limits.messages));
    } catch (err) {
      if (err instanceof ClientIdReused) throw new HttpError(400, 'That message id was already used in another conversation.');
      if (err instanceof WriteRefused) {
        // A block, a suspension or having left the group, found where the message would commit.
        const access = await requireThread(deps, req.params.id, me.id);
        const barrier = await barrierIn(deps, me.id, access);
        if (barrier) return notSent(req, res, access, form, barrier);
        throw forbidden('You cannot send messages in this conversation.');
      }
      throw err;
    }
    if (!result) throw notFound('That conversation');
    const { access } = result;
    if ('limited' in result) {
      res.set('Retry-After', String(result.limited.retryAfterSeconds));
      return refuse(deps, req, res, access, form, [], 429, `You are sending messages too fast. Your message is kept here: send it again ${retryPhrase(result.limited.retryAfterSeconds)}.`);
    }
    if (!isHtmx(req)) return res.redirect(303, `/messages/${access.id}#m-${result.sent.message.id}`);
    await renderOne(deps, drawing, req, res, access, result.sent.message, { nextClientId: randomUUID(), replied: form.replyTo !== undefined, files: false });
  }

  /**
   * A send with files (or files kept from a refused one). Across a block a form with files is
   * still read (its files refused unread) so that what was typed can be shown back: a block made
   * while the page was open is learnt there, not by losing the text. The sending limit was asked
   * before a file was stored or decoded, and is counted again where the message is stored.
   */
  async function sendWithFiles(req: Request, res: Response, me: MessagingUser, access: ThreadAccess, form: SendForm, { barrier, early }: PreChecks) {
    if (barrier) return notSent(req, res, access, form, barrier);
    const { typed, clientId, upload } = form;
    // Files kept from a refused send (without JS), and the ones that came with this one.
    const kept = await myPending(deps.db, access.id, me.id, form.keptIds);
    const files: StoredFile[] = [...kept.map((k) => ({ id: k.id, name: k.name, sizeBytes: k.size_bytes })), ...upload.stored];
    const tooFast = (seconds: number) => {
      res.set('Retry-After', String(seconds));
      return refuse(deps, req, res, access, form, files, 429, `You are sending messages too fast. Your message is kept here: send it again ${retryPhrase(seconds)}.`);
    };
    if (upload.malformed) return refuse(deps, req, res, access, form, files, 400, 'Your message arrived incomplete (the connection may have dropped). It is kept here: send it again.');
    if (upload.nulIn.size > 0) return refuse(deps, req, res, access, form, files, 400, NUL_MESSAGE);
    if (early !== undefined) return tooFast(early);
    if (upload.errors.length > 0) return refuse(deps, req, res, access, form, files, upload.status, upload.errors.join(' '));
    if (files.length > MAX_FILES_PER_MESSAGE) {
      return refuse(deps, req, res, access, form, files, 400, `Send at most ${MAX_FILES_PER_MESSAGE} files with one message: untick some of those already attached.`);
    }
    const checked = checkBody(typed, { allowEmpty: files.length > 0 });
    if (!checked.ok) return refuse(deps, req, res, access, form, files, checked.status, checked.error);

    let sent;
    try {
      sent = await queue.run(me.id, () =>
        sendMessage(deps.db, { conversationId: access.id, senderId: me.id, recipientId: access.otherUserId, body: checked.body, clientId, attachmentIds: files.map((f) => f.id), replyTo: form.replyTo }, limits.messages),
      );
    } catch (err) {
      if (err instanceof ClientIdReused) {
        await discardPending(deps.db, upload.stored.map((f) => f.id));
        throw new HttpError(400, 'That message id was already used in another conversation.');
      }
      if (err instanceof WriteRefused) {
        // A block or a suspension that came while the form was on its way: nothing was stored.
        await discardPending(deps.db, upload.stored.map((f) => f.id));
        const barrier = await barrierIn(deps, me.id, access);
        if (barrier) return notSent(req, res, access, form, barrier);
        throw forbidden('You cannot send messages in this conversation.');
      }
      if (err instanceof RateLimited) return tooFast(err.retryAfterSeconds);
      throw err;
    }
    // A retry of a message already stored: it has its files; these copies go.
    if (sent.duplicate) await discardPending(deps.db, upload.stored.map((f) => f.id));
    if (!isHtmx(req)) return res.redirect(303, `/messages/${access.id}#m-${sent.message.id}`);
    // My own inbox column moves this conversation up through the live event my pages get.
    await renderOne(deps, drawing, req, res, access, sent.message, { nextClientId: randomUUID(), replied: form.replyTo !== undefined, files: files.length > 0 });
  }

  return send;
}
