import { Router, type Response } from 'express';
import type { Db } from '../db/database.js';
import { requestAccountEmail } from '../email/account-mail.js';
import { userOf } from '../http/current-user.js';
import { flash } from '../http/flash.js';
import { bodyOf } from '../http/fields.js';
import { render } from '../http/render.js';

export type EmailMessagesChoice = 'off' | 'after_10_minutes' | 'after_1_hour';
export type EmailDigestChoice = 'off' | 'daily' | 'weekly';
/** Minutes before a meeting its reminder comes; 0: off. */
export type MeetingReminderChoice = 0 | 5 | 15 | 60;

export interface NotificationChoices {
  emailMessages: EmailMessagesChoice;
  emailDigest: EmailDigestChoice;
  emailPreview: boolean;
  push: boolean;
  meetingReminderMinutes: MeetingReminderChoice;
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
const REMINDERS: readonly MeetingReminderChoice[] = [0, 5, 15, 60];

/**
 * The form's fields, checked: each must be one of its choices (a checkbox absent is off). `push` is
 * only read from a form that offers it (`push_form`). Refused (`ok: false`), the choices are still
 * what was sent where it was valid (the form is drawn again as it was), the saved ones elsewhere.
 */
function choicesFrom(body: Record<string, unknown>, current: NotificationChoices): { ok: boolean; choices: NotificationChoices } {
  const emailMessages = MESSAGES.find((c) => c === body.email_messages);
  const emailDigest = DIGESTS.find((c) => c === body.email_digest);
  // A form from before reminders were offered (an open tab) leaves them as they are.
  const meetingReminderMinutes = body.meeting_reminder_minutes === undefined ? current.meetingReminderMinutes : REMINDERS.find((c) => String(c) === body.meeting_reminder_minutes);
  const choices: NotificationChoices = {
    emailMessages: emailMessages ?? current.emailMessages,
    emailDigest: emailDigest ?? current.emailDigest,
    emailPreview: body.email_preview === 'on',
    push: body.push_form === '1' || body.push !== undefined ? body.push === 'on' : current.push,
    meetingReminderMinutes: meetingReminderMinutes ?? current.meetingReminderMinutes,
  };
  return { ok: emailMessages !== undefined && emailDigest !== undefined && meetingReminderMinutes !== undefined, choices };
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
    const { ok, choices } = choicesFrom(bodyOf(req), await store.load(me.id));
    if (!ok) return page(res, me.id, choices, 'Choose one of the options for each kind of email and for meeting reminders.', 400);
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
