import { Router, type Response } from 'express';
import type { Db } from '../db/database.js';
import { checkDisplayName, checkEmail, normaliseDisplayName, normaliseEmail, type FieldErrors } from '../auth/validation.js';
import { requestAccountEmail } from '../email/account-mail.js';
import { userOf } from '../http/current-user.js';
import { flash } from '../http/flash.js';
import { NUL_MESSAGE } from '../http/fields.js';
import { render } from '../http/render.js';
import { removeAvatar, saveAvatar } from '../people/avatar-queries.js';
import { blockedPeople } from '../safety/block-queries.js';
import { MAX_PHOTO_BYTES, readSettingsForm } from './form.js';
import { checkHeadline, normaliseHeadline } from '../people/headline.js';
import { changeEmail, emailOf, headlineOf, saveTimeZone, updateProfile } from './queries.js';
import { isTimeZone, timeZones } from '../http/view-helpers.js';
import type { Preferences, PreferencesStore } from '../messaging/index.js';

type SettingsErrors = FieldErrors & { time_zone?: string; headline?: string };

interface SettingsForm {
  display_name: string;
  headline: string;
  email: string;
  emailConfirmed: boolean;
  errors: SettingsErrors;
  privacy: Preferences;
  /** The zone times are drawn in ('' when not known yet). */
  timeZone: string;
}

const renderSettings = (res: Response, form: SettingsForm, status = 200) =>
  render(res, 'settings/index', { title: 'Settings', form, maxPhotoMb: MAX_PHOTO_BYTES / 1024 / 1024, timeZones: form.timeZone && !timeZones.includes(form.timeZone) ? [form.timeZone, ...timeZones] : timeZones }, status);

/** The privacy checkboxes, read only when the form that carries them was sent (an absent box means off). */
function privacyFrom(body: Record<string, unknown>): Preferences | undefined {
  if (body.privacy_form !== '1') return undefined;
  return { readReceipts: body.read_receipts === 'on', typingIndicators: body.typing_indicators === 'on', activeStatus: body.active_status === 'on' };
}

/** Settings: name, photo and (kept by the messaging module, through `preferences`) privacy choices. */
export function settingsRoutes(db: Db, preferences: PreferencesStore): Router {
  const router = Router();

  // The people I blocked, each with a button to undo it.
  router.get('/blocked', async (req, res) => {
    const me = userOf(req);
    render(res, 'settings/blocked', { title: 'Blocked people', people: await blockedPeople(db, me.id) });
  });

  router.get('/', async (req, res) => {
    const me = userOf(req);
    const account = await emailOf(db, me.id);
    renderSettings(res, { display_name: me.display_name, headline: await headlineOf(db, me.id), email: account.email ?? '', emailConfirmed: account.confirmed, errors: {}, privacy: await preferences.load(me.id), timeZone: me.time_zone ?? '' });
  });

  // CSRF is checked by readSettingsForm, first: for a multipart form, before its body is read.
  router.post('/', async (req, res) => {
    const me = userOf(req);
    const { body, photo, malformed, nulIn } = await readSettingsForm(req, res, me.id);
    const typed = typeof body.display_name === 'string' ? body.display_name : me.display_name;
    const displayName = normaliseDisplayName(typed);
    const errors: SettingsErrors = {};
    const nameError = nulIn.has('display_name') ? NUL_MESSAGE : checkDisplayName(displayName);
    if (nameError) errors.display_name = nameError;
    // Absent (an older page): the headline stays as it is.
    const typedHeadline = typeof body.headline === 'string' ? body.headline : undefined;
    const headline = typedHeadline === undefined ? undefined : normaliseHeadline(typedHeadline);
    const headlineError = nulIn.has('headline') ? NUL_MESSAGE : headline === undefined ? undefined : checkHeadline(headline);
    if (headlineError) errors.headline = headlineError;
    const account = await emailOf(db, me.id);
    // Absent from the form (an older page): the address stays as it is.
    const email = typeof body.email === 'string' ? normaliseEmail(body.email) : (account.email ?? '');
    const emailError = nulIn.has('email') ? NUL_MESSAGE : checkEmail(email);
    if (emailError) errors.email = emailError;

    if (photo && !photo.ok) errors.avatar = photo.error;
    if (malformed) errors.avatar = 'The form arrived incomplete (the connection may have dropped): nothing was saved. Choose the photo again and save.';
    // Absent (an older page): the zone stays as it is. Empty: forgotten (the script sets it again).
    const timeZone = typeof body.time_zone === 'string' ? body.time_zone : undefined;
    if (timeZone !== undefined && timeZone !== '' && !isTimeZone(timeZone)) errors.time_zone = 'Choose a time zone from the list.';
    const privacy = privacyFrom(body);
    if (Object.keys(errors).length > 0) {
      const status = !malformed && photo?.ok === false && photo.status === 413 ? 413 : 400;
      return renderSettings(res, { display_name: typed, headline: typedHeadline ?? (await headlineOf(db, me.id)), email, emailConfirmed: account.confirmed && email.toLowerCase() === (account.email ?? '').toLowerCase(), errors, privacy: privacy ?? (await preferences.load(me.id)), timeZone: errors.time_zone ? (me.time_zone ?? '') : (timeZone ?? me.time_zone ?? '') }, status);
    }

    await updateProfile(db, me.id, { display_name: displayName, headline });
    // A new address: kept unconfirmed, and its link sent (the job is added with the change, or neither).
    const newAddress = await db.transaction().execute(async (trx) => {
      const changed = await changeEmail(trx, me.id, email);
      if (changed && email) await requestAccountEmail(trx, me.id, 'confirm', email);
      return changed && email !== '';
    });
    if (privacy) await preferences.save(me.id, privacy);
    if (timeZone !== undefined) await saveTimeZone(db, me.id, timeZone || null);
    if (photo?.ok) await saveAvatar(db, me.id, photo);
    else if (body.remove_avatar === 'on') await removeAvatar(db, me.id);
    await flash(req, newAddress ? `Your settings are saved. Open the link we sent to ${email} to confirm it.` : 'Your settings are saved.');
    res.redirect(303, '/settings');
  });

  return router;
}
