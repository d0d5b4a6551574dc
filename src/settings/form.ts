import type { Request, Response } from 'express';
import { csrfGuard } from '../http/csrf.js';
import { decodeGate } from '../http/decode-gate.js';
import { HttpError } from '../http/errors.js';
import { bodyOf } from '../http/fields.js';
import { isMultipart, readMultipart, tokenVerifier } from '../http/multipart.js';
import { processAvatar, type AvatarResult } from '../people/avatar-image.js';

export const MAX_PHOTO_BYTES = 8 * 1024 * 1024;

export interface SettingsRequest {
  /** Each field's first value, as sent. */
  body: Record<string, unknown>;
  /** A photo came: re-encoded, or why not (413 when it was too large). */
  photo?: AvatarResult & { status?: 413 };
  /** The body broke off or was garbled: the fields read until then are in `body`, nothing else. */
  malformed: boolean;
  /** Fields that held a NUL. */
  nulIn: Set<string>;
}

/**
 * The settings form, checked for its CSRF token first. A plain form was parsed in front and is
 * checked here; the multipart one (with a photo) goes through the app's one multipart reader:
 * its token is the first field or the X-CSRF-Token header, and a token that fails answers 403
 * with nothing of the body read. The photo is read in only then, at most 8 MB of it, with the
 * person's turn held (one image of theirs at a time), and re-encoded at once: what stays in
 * memory afterwards is the two small WebP copies.
 */
export async function readSettingsForm(req: Request, res: Response, userId: number): Promise<SettingsRequest> {
  if (!isMultipart(req)) {
    const refused = await new Promise<unknown>((resolve) => void csrfGuard(req, res, resolve));
    if (refused) throw refused;
    return { body: bodyOf(req), malformed: false, nulIn: new Set() };
  }
  let photo: SettingsRequest['photo'];
  const form = await readMultipart(req, {
    limits: { fileSize: MAX_PHOTO_BYTES + 1, files: 1, fields: 20, fieldSize: 10 * 1024, parts: 30 },
    verifyToken: tokenVerifier(csrfGuard, req, res),
    onFile: async ({ field, stream }) => {
      if (field !== 'avatar' || photo) return;
      const release = await decodeGate.person(userId);
      try {
        const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
        const parts: Buffer[] = [];
        let size = 0;
        for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
          size += next.value.length;
          // Past the limit the rest is left unread, for the reader to drop.
          if (size > MAX_PHOTO_BYTES) break;
          parts.push(next.value);
        }
        if (size > MAX_PHOTO_BYTES) {
          photo = { ok: false, error: `Photos are at most ${MAX_PHOTO_BYTES / 1024 / 1024} MB.`, status: 413 };
          return;
        }
        // A file input left empty still sends an empty part: no new photo.
        if (size > 0) photo = await processAvatar(Buffer.concat(parts));
      } finally {
        release();
      }
    },
  });
  if (form.csrf === 'refused' || (form.csrf === 'unchecked' && !form.malformed)) {
    throw new HttpError(403, 'This form has expired or was not sent from Courier. Go back, reload the page and try again.');
  }
  if (form.csrf !== 'ok') throw new HttpError(400, 'The form arrived incomplete. Go back, reload the page and try again.');
  const body = Object.fromEntries([...form.fields].map(([name, values]) => [name, values[0]]));
  return { body, photo: form.malformed ? undefined : photo, malformed: form.malformed !== undefined, nulIn: form.nulIn };
}
