import type { Request, RequestHandler, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { forbidden, HttpError, notFound } from '../../http/errors.js';
import { isHtmx, render } from '../../http/render.js';
import { bodyOf, NUL_MESSAGE, positiveIds } from '../../http/fields.js';
import { tokenVerifier } from '../../http/multipart.js';
import { attachmentSettings } from '../attachments/settings.js';
import { discardPending, myPending } from '../attachments/queries.js';
import { isMultipart, MAX_FILES_PER_MESSAGE, receiveMultipart, type StoredFile, type UploadOutcome } from '../attachments/upload.js';
import { checkBody, parseClientId } from '../body.js';
import type { Barrier, MessagingDeps, MessagingUser } from '../deps.js';
import { limitsOf, PerPersonQueue, RateLimited, retryPhrase } from '../limits.js';
import { ClientIdReused, deleteMessage, sendMessage, type MessageRow } from '../queries/messages.js';
import { WriteRefused } from '../queries/write-check.js';
import { sendInThread } from '../queries/send-in-thread.js';
import type { PeopleCache } from '../realtime/people-cache.js';
import { announceTyping, threadAccess, type ThreadAccess } from '../queries/conversations.js';
import { unreadCount } from '../queries/receipts.js';
import { sendingLimitReached } from '../queries/send-limit.js';
import { barrierIn, conversationOf, mayWriteIn, parseId, requireThread, viewer } from './context.js';
import { presentOne } from './one-message.js';
import { showThread } from './conversation.js';
import { streamOf } from './page-view.js';
import { renderThreadPage } from './thread-page.js';
import { keepDraft, wantsThreadAfterRefusal } from './send-draft.js';

/** What a form with files was checked for before its files were read: a block, the sending limit. */
interface PreChecks {
  barrier?: Barrier | undefined;
  /** Seconds until the sending limit lets another message through. */
  early?: number | undefined;
}

interface SendForm {
  typed: string;
  clientId: string | undefined;
  /** Files kept from an earlier refused send, to go with this one. */
  keptIds: number[];
  /** The message this one answers (the send function drops an id not of this conversation). */
  replyTo: number | undefined;
  upload: UploadOutcome;
}

const noUpload: UploadOutcome = { fields: new Map(), stored: [], errors: [], status: 400, csrf: 'ok', malformed: false, nulIn: new Set() };

/** POST /messages/:id/messages (send), /messages/:id/messages/:messageId/delete and /messages/:id/typing. */
export function messageHandlers(deps: MessagingDeps, livePeople?: PeopleCache): { send: RequestHandler; remove: RequestHandler; typing: RequestHandler } {
  // A send's answer draws its people as live events do, from the instance's kept ones (when the
  // module was built with its listener; otherwise read each time).
  const drawing: MessagingDeps = livePeople ? { ...deps, people: livePeople.over(deps.people) } : deps;
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
    const form = await readMultipart(req, res, conversationId, async () => {
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
    if (!checked.ok) return refuse(req, res, await requireThread(deps, req.params.id, me.id), form, [], checked.status, checked.error);
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
      return refuse(req, res, access, form, [], 429, `You are sending messages too fast. Your message is kept here: send it again ${retryPhrase(result.limited.retryAfterSeconds)}.`);
    }
    if (!isHtmx(req)) return res.redirect(303, `/messages/${access.id}#m-${result.sent.message.id}`);
    await renderOne(req, res, access, result.sent.message, { nextClientId: randomUUID(), replied: form.replyTo !== undefined, files: false });
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
      return refuse(req, res, access, form, files, 429, `You are sending messages too fast. Your message is kept here: send it again ${retryPhrase(seconds)}.`);
    };
    if (upload.malformed) return refuse(req, res, access, form, files, 400, 'Your message arrived incomplete (the connection may have dropped). It is kept here: send it again.');
    if (upload.nulIn.size > 0) return refuse(req, res, access, form, files, 400, NUL_MESSAGE);
    if (early !== undefined) return tooFast(early);
    if (upload.errors.length > 0) return refuse(req, res, access, form, files, upload.status, upload.errors.join(' '));
    if (files.length > MAX_FILES_PER_MESSAGE) {
      return refuse(req, res, access, form, files, 400, `Send at most ${MAX_FILES_PER_MESSAGE} files with one message: untick some of those already attached.`);
    }
    const checked = checkBody(typed, { allowEmpty: files.length > 0 });
    if (!checked.ok) return refuse(req, res, access, form, files, checked.status, checked.error);

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
    await renderOne(req, res, access, sent.message, { nextClientId: randomUUID(), replied: form.replyTo !== undefined, files: files.length > 0 });
  }

  const remove: RequestHandler = async (req, res) => {
    const me = viewer(deps, req);
    const access = conversationOf(req);
    const messageId = parseId(req.params.messageId);
    const outcome = messageId === undefined ? 'not-found' : await deleteMessage(deps.db, access.id, messageId, me.id, streamOf(req));
    if (outcome === 'not-found') throw notFound('That message');
    if (outcome === 'forbidden') throw forbidden('You can only delete your own messages.');
    if (outcome === 'meeting') throw new HttpError(409, 'A meeting’s messages stay in the thread. To call the meeting off, cancel it from its card.');
    if (!isHtmx(req)) return res.redirect(303, `/messages/${access.id}#m-${messageId}`);
    const message: MessageRow = { id: messageId!, conversation_id: access.id, sender_id: me.id, body: null, created_at: new Date(), deleted_at: new Date(), redacted_at: null, edited_at: null, reply_to_id: null, reply: null, meeting: null, event: null };
    await renderOne(req, res, access, message, {});
  };

  // "Typing…": a hint to the other side's open pages, never stored. The page sends it at most
  // every few seconds while the person types.
  const typing: RequestHandler = async (req, res) => {
    const me = viewer(deps, req);
    const access = conversationOf(req);
    const allowed = access.shared.typingIndicators && (await mayWriteIn(deps, me.id, access));
    if (allowed) await announceTyping(deps.db, access.id, me.id, access.otherUserId);
    res.status(204).end();
  };

  /** One message, drawn by the same partial as the page. */
  async function renderOne(req: Request, res: Response, access: ThreadAccess, message: MessageRow, extra: { nextClientId?: string; replied?: boolean; files?: boolean }) {
    // A message sent without files has none to look up; one just sent has no reactions yet.
    const view = await presentOne(drawing, viewer(deps, req).id, access, message, { reactions: false, attachments: extra.files ?? true });
    render(res, 'messages/_sent', { message: view, access, nextClientId: extra.nextClientId, replied: extra.replied });
  }

  /**
   * The send form's fields from a multipart form, whose files are stored as they arrive, pending
   * until the message is (`filesRefused` is asked when the first file comes).
   */
  async function readMultipart(req: Request, res: Response, conversationId: number, filesRefused: () => Promise<boolean>): Promise<SendForm> {
    const upload = await receiveMultipart(req, {
      db: deps.db,
      conversationId,
      uploaderId: viewer(deps, req).id,
      settings: attachments,
      // The router let this form through only because its token is the form's own first field.
      csrfChecked: req.get('x-csrf-token') !== undefined,
      checkCsrf: tokenVerifier(deps.verifyForm, req, res),
      filesRefused,
    });
    // No valid token (wrong, late, or none): nothing of the thread is shown, nothing was stored.
    if (upload.csrf === 'refused' || (upload.csrf === 'unchecked' && !upload.malformed)) throw forbidden('This form has expired. Reload the page and try again.');
    if (upload.csrf !== 'ok') throw new HttpError(400, 'The form arrived incomplete. Go back, reload the page and try again.');
    const field = (name: string) => upload.fields.get(name)?.[0];
    return { typed: field('body') ?? '', clientId: parseClientId(field('client_id')), keptIds: positiveIds(upload.fields.get('attachment_id'), MAX_FILES_PER_MESSAGE), replyTo: parseId(field('reply_to')), upload };
  }

  /**
   * Refused: the thread again with the text kept, the files already received kept too, and what
   * to fix. With htmx just the reason: the page still holds the text and the chosen files.
   */
  async function refuse(req: Request, res: Response, access: ThreadAccess, form: SendForm, files: StoredFile[], status: number, error: string) {
    if (isHtmx(req)) {
      await discardPending(deps.db, form.upload.stored.map((f) => f.id));
      return render(res, 'messages/_composer_error', { error }, status);
    }
    // A browser's form lands on the thread's own URL (reloadable), the draft carried by the host.
    if (wantsThreadAfterRefusal(req) && (await keepDraft(deps, req, { conversationId: access.id, body: form.typed, error, clientId: form.clientId, keptIds: files.map((f) => f.id), replyTo: form.replyTo }))) {
      return res.redirect(303, `/messages/${access.id}`);
    }
    const me = viewer(deps, req);
    const page = await showThread(deps, req, res, me, access, {});
    res.locals.unreadCount = await unreadCount(deps.db, me.id);
    renderThreadPage(res, page, { body: form.typed, error, clientId: form.clientId ?? randomUUID(), kept: files }, status);
  }
  /**
   * Refused across a block: 403 with the barrier and the text kept (without JS on a page of its
   * own, as the thread page has no message box any more; with htmx just the reason, the box keeps
   * the text).
   */
  function notSent(req: Request, res: Response, access: ThreadAccess, form: SendForm, barrier: Barrier) {
    if (isHtmx(req)) return render(res, 'messages/_composer_error', { error: barrier.message }, 403);
    render(res, 'messages/not-sent', { title: 'Message not sent', access, barrier, body: form.typed }, 403);
  }
  return { send, remove, typing };
}

/** A send form posted without files (url-encoded). */
function plainForm(req: Request): SendForm {
  const body = bodyOf(req);
  return { typed: typeof body.body === 'string' ? body.body : '', clientId: parseClientId(body.client_id), keptIds: positiveIds(body.attachment_id, MAX_FILES_PER_MESSAGE), replyTo: parseId(body.reply_to), upload: noUpload };
}
