import { Router, type NextFunction, type Request, type Response } from 'express';
import multer from 'multer';
import type { Db } from '../db/database.js';
import { checkDisplayName, normaliseDisplayName, type FieldErrors } from '../auth/validation.js';
import { csrfGuard } from '../http/csrf.js';
import { userOf } from '../http/current-user.js';
import { flash } from '../http/flash.js';
import { render } from '../http/render.js';
import { processAvatar } from '../people/avatar-image.js';
import { removeAvatar, saveAvatar } from '../people/avatar-queries.js';
import { blockedPeople } from '../safety/blocks.js';
import { updateDisplayName } from './queries.js';
import { loadPreferences, savePreferences, type MessagingDb, type Preferences } from '../messaging/index.js';

const messagingDb = (db: Db) => db as unknown as MessagingDb;

const MAX_PHOTO_BYTES = 8 * 1024 * 1024;

interface SettingsForm {
  display_name: string;
  errors: FieldErrors;
  privacy: Preferences;
}

const renderSettings = (res: Response, form: SettingsForm, status = 200) =>
  render(res, 'settings/index', { title: 'Settings', form, maxPhotoMb: MAX_PHOTO_BYTES / 1024 / 1024 }, status);

/** The privacy checkboxes, read only when the form that carries them was sent (an absent box means off). */
function privacyFrom(body: Record<string, unknown>): Preferences | undefined {
  if (body.privacy_form !== '1') return undefined;
  return { readReceipts: body.read_receipts === 'on', typingIndicators: body.typing_indicators === 'on', activeStatus: body.active_status === 'on' };
}

/** Parses the multipart form before the CSRF check can read its _csrf field; a too-large photo is a 413 with the form again. */
const uploadInto = (db: Db) => (req: Request, res: Response, next: NextFunction) =>
  multer({ storage: multer.memoryStorage(), limits: { fileSize: MAX_PHOTO_BYTES, files: 1, fields: 20 } }).single('avatar')(req, res, (err: unknown) => {
    if (!(err instanceof multer.MulterError)) return next(err);
    const me = userOf(req);
    const tooLarge = err.code === 'LIMIT_FILE_SIZE';
    const avatar = tooLarge ? `Photos are at most ${MAX_PHOTO_BYTES / 1024 / 1024} MB.` : 'Send one photo, in the photo field.';
    const typed = typeof req.body?.display_name === 'string' ? req.body.display_name : me.display_name;
    loadPreferences(messagingDb(db), me.id)
      .then((privacy) => renderSettings(res, { display_name: typed, errors: { avatar }, privacy: privacyFrom(req.body ?? {}) ?? privacy }, tooLarge ? 413 : 400))
      .catch(next);
  });

export function settingsRoutes(db: Db): Router {
  const router = Router();

  // The people I blocked, each with a button to undo it.
  router.get('/blocked', async (req, res) => {
    const me = userOf(req);
    render(res, 'settings/blocked', { title: 'Blocked people', people: await blockedPeople(db, me.id) });
  });

  router.get('/', async (req, res) => {
    const me = userOf(req);
    renderSettings(res, { display_name: me.display_name, errors: {}, privacy: await loadPreferences(messagingDb(db), me.id) });
  });

  router.post('/', uploadInto(db), csrfGuard, async (req, res) => {
    const me = userOf(req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const typed = typeof body.display_name === 'string' ? body.display_name : me.display_name;
    const displayName = normaliseDisplayName(typed);
    const errors: FieldErrors = {};
    const nameError = checkDisplayName(displayName);
    if (nameError) errors.display_name = nameError;

    const photo = req.file && req.file.size > 0 ? await processAvatar(req.file.buffer) : undefined;
    if (photo && !photo.ok) errors.avatar = photo.error;
    const privacy = privacyFrom(body);
    if (Object.keys(errors).length > 0) {
      return renderSettings(res, { display_name: typed, errors, privacy: privacy ?? (await loadPreferences(messagingDb(db), me.id)) }, 400);
    }

    await updateDisplayName(db, me.id, displayName);
    if (privacy) await savePreferences(messagingDb(db), me.id, privacy);
    if (photo?.ok) await saveAvatar(db, me.id, photo);
    else if (body.remove_avatar === 'on') await removeAvatar(db, me.id);
    await flash(req, 'Your settings are saved.');
    res.redirect(303, '/settings');
  });

  return router;
}
