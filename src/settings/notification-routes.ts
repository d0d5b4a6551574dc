import { Router, type Response } from 'express';
import type { Db } from '../db/database.js';
import { requestAccountEmail } from '../email/account-mail.js';
import { userOf } from '../http/current-user.js';
import { flash } from '../http/flash.js';
import { bodyOf } from '../http/fields.js';
import { render } from '../http/render.js';

export type EmailMessagesChoice = 'off' | 'after_10_minutes' | 'after_1_hour';
export type EmailDigestChoice = 'off' | 'daily' | 'weekly';

export interface NotificationChoices {
  emailMessages: EmailMessagesChoice;
  emailDigest: EmailDigestChoice;
  emailPreview: boolean;
  push: boolean;
}

/** Where a person's choices are kept (the messaging module's preferences, through its facade). */
export interface NotificationStore {
  load(userId: number): Promise<NotificationChoices>;
  save(userId: number, choices: NotificationChoices): Promise<void>;
  /** Devices this person gets push notifications on. */
  devices(userId: number): Promise<number>;
  /** The key a page subscribes a device with (undefined: no push on this site). */
  pushKey(): Promise<string | undefined>;
}

const MESSAGES: readonly EmailMessagesChoice[] = ['off', 'after_10_minutes', 'after_1_hour'];
const DIGESTS: readonly EmailDigestChoice[] = ['off', 'daily', 'weekly'];

/**
 * The form's fields, checked: each must be one of its choices (a checkbox absent is off). `push` is
 * only read from a form that offers it (`push_form`): the page shows it once a device is subscribed.
 */
function choicesFrom(body: Record<string, unknown>, current: NotificationChoices): NotificationChoices | undefined {
  const emailMessages = MESSAGES.find((c) => c === body.email_messages);
  const emailDigest = DIGESTS.find((c) => c === body.email_digest);
  if (!emailMessages || !emailDigest) return undefined;
  return { emailMessages, emailDigest, emailPreview: body.email_preview === 'on', push: body.push_form === '1' || body.push !== undefined ? body.push === 'on' : current.push };
}

/**
 * GET/POST /settings/notifications (CONTRACT, version 2): what reaches me while I am away, and
 * the address it goes to (with a new confirmation link on request).
 */
export function notificationRoutes(db: Db, store: NotificationStore): Router {
  const router = Router();
  const page = async (res: Response, userId: number, choices?: NotificationChoices, error?: string, status = 200) => {
    const [account, saved, devices, pushKey] = await Promise.all([
      db.selectFrom('users').select(['email', 'email_confirmed_at']).where('id', '=', userId).executeTakeFirstOrThrow(),
      choices ?? store.load(userId),
      store.devices(userId),
      store.pushKey(),
    ]);
    render(res, 'settings/notifications', { title: 'Notifications', pageScript: 'settings', choices: saved, account, devices, pushKey, error }, status);
  };

  router.get('/', async (req, res) => page(res, userOf(req).id));

  router.post('/', async (req, res) => {
    const me = userOf(req);
    const choices = choicesFrom(bodyOf(req), await store.load(me.id));
    if (!choices) return page(res, me.id, undefined, 'Choose one of the options for each kind of email.', 400);
    await store.save(me.id, choices);
    await flash(req, 'Your notification settings are saved.');
    res.redirect(303, '/settings/notifications');
  });

  // Another confirmation link to the address on the account, if it is not confirmed yet.
  router.post('/confirm', async (req, res) => {
    const me = userOf(req);
    const account = await db.selectFrom('users').select(['email', 'email_confirmed_at']).where('id', '=', me.id).executeTakeFirstOrThrow();
    if (account.email && !account.email_confirmed_at) await requestAccountEmail(db, me.id, 'confirm', account.email);
    await flash(req, account.email && !account.email_confirmed_at ? `A new link is on its way to ${account.email}.` : 'There is no address waiting to be confirmed.');
    res.redirect(303, '/settings/notifications');
  });

  return router;
}
