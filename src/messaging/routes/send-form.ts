import type { Request, Response } from 'express';
import { forbidden, HttpError } from '../../http/errors.js';
import { bodyOf, positiveIds } from '../../http/fields.js';
import { tokenVerifier } from '../../http/multipart.js';
import { MAX_FILES_PER_MESSAGE, receiveMultipart, type UploadOutcome } from '../attachments/upload.js';
import { parseClientId } from '../body.js';
import type { AttachmentSettings, MessagingDeps } from '../deps.js';
import { parseId, viewer } from './context.js';

/** What a send form carries, whether posted plain or as multipart with files. */
export interface SendForm {
  typed: string;
  clientId: string | undefined;
  /** Files kept from an earlier refused send, to go with this one. */
  keptIds: number[];
  /** The message this one answers (the send function drops an id not of this conversation). */
  replyTo: number | undefined;
  upload: UploadOutcome;
}

const noUpload: UploadOutcome = { fields: new Map(), stored: [], errors: [], status: 400, csrf: 'ok', malformed: false, nulIn: new Set() };

/** A send form posted without files (url-encoded). */
export function plainForm(req: Request): SendForm {
  const body = bodyOf(req);
  return { typed: typeof body.body === 'string' ? body.body : '', clientId: parseClientId(body.client_id), keptIds: positiveIds(body.attachment_id, MAX_FILES_PER_MESSAGE), replyTo: parseId(body.reply_to), upload: noUpload };
}

/**
 * The send form's fields from a multipart form, whose files are stored as they arrive, pending
 * until the message is (`filesRefused` is asked when the first file comes).
 */
export async function readMultipart(
  deps: MessagingDeps,
  attachments: AttachmentSettings,
  req: Request,
  res: Response,
  conversationId: number,
  filesRefused: () => Promise<boolean>,
): Promise<SendForm> {
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
