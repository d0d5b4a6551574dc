import { renderView } from '../../http/render.js';
import { addJob } from '../../jobs/queries.js';
import { pushToDevices } from '../away/push-devices.js';
import type { PushPayload } from '../away/push-task.js';
import type { AwayDeps, AwayPush, MessagingDeps } from '../deps.js';
import { loadNotificationPreferences } from '../queries/notification-preferences.js';
import { lengthLabel } from './present-meeting.js';
import { claimReminders, reminderData, REMINDER_EMAIL_TASK, REMINDER_PUSH_TASK, type ReminderClaim } from './reminder-queries.js';
import { cardPath, clockIn, startsIn } from './reminder-wording.js';
import { isTimeZone, wallClock } from '../../http/view-helpers.js';

const REMINDER_SWEEP_TASK = 'messaging:meeting-reminder-sweep';
/** How often the sweep looks for reminders due (a reminder is at most this late). */
const DEFAULT_PERIOD_MS = 20_000;
/** Claims per statement, and statements per sweep (so one sweep claims at most 20,000). */
const CLAIM_BATCH = 500;
const MAX_BATCHES = 40;
/** A reminder is news for an hour at most: a device offline longer gets nothing. */
const PUSH_TTL_SECONDS = 60 * 60;

/**
 * Meeting reminders, exactly once per person, meeting and start time. A chain of single sweep jobs
 * (like the missed-message sweep: one pending at a time through its job key, each adding the next
 * when it ends, a failed one retried) claims what is due in batches, a constant number of
 * statements however many reminders fall due at once. The claim, not the schedule, carries the
 * guarantee: a row of meeting_reminders inserted in the transaction that queues the email and
 * push jobs and announces the toast (claimReminders). So a sweep that runs twice (a retry after a
 * crash, two instances whose chains overlap for a moment after a start), or an instance restarted
 * between scheduling and the reminder, claims each reminder once, and a claim is never lost.
 *
 * A sweep rather than one job per meeting at its reminder time: each person's lead time is their
 * own and may change after the meeting is set, and a meeting may move or be cancelled; reading
 * the meetings when the time comes needs no job to be found and moved with each change.
 */
export function meetingReminderJobs(deps: MessagingDeps): { tasks: Record<string, (payload: unknown) => Promise<void>>; start(): Promise<void> } {
  const away = deps.away;
  const email = away && deps.peopleTable ? { people: deps.peopleTable, confirmedEmailColumn: away.confirmedEmailColumn } : undefined;
  const periodMs = deps.meetingReminderSweepMs ?? DEFAULT_PERIOD_MS;
  const next = (delayMs: number) =>
    addJob(deps.db, REMINDER_SWEEP_TASK, {}, { jobKey: REMINDER_SWEEP_TASK, jobKeyMode: 'preserve_run_at', runAt: new Date(Date.now() + delayMs), maxAttempts: 5 });
  const sweep = async () => {
    for (let i = 0; i < MAX_BATCHES; i += 1) {
      const claimed = await claimReminders(deps.db, { limit: CLAIM_BATCH, email, push: Boolean(away?.push) });
      if (claimed < CLAIM_BATCH) return;
    }
  };
  const push = away?.push;
  return {
    tasks: {
      [REMINDER_SWEEP_TASK]: async () => {
        try {
          await sweep();
        } finally {
          await next(periodMs);
        }
      },
      // Queued only with an address and with devices: without away or push here, they end as nothing.
      [REMINDER_EMAIL_TASK]: away ? reminderEmailTask({ ...deps, away }) : async () => {},
      [REMINDER_PUSH_TASK]: push && away ? reminderPushTask({ ...deps, away: { ...away, push } }) : async () => {},
    },
    start: () => next(0),
  };
}

/**
 * The reminder by email, for someone away (no page of theirs open and visible, read again now).
 * Nothing when the reminder is no longer owed (cancelled, moved, ended, declined, turned off).
 * The time is on the reader's clock when the host knows their zone, else on the organiser's; the zone is named either way.
 */
function reminderEmailTask(deps: MessagingDeps & { away: AwayDeps }): (payload: unknown) => Promise<void> {
  return async (payload) => {
    const claim = payload as ReminderClaim;
    const data = await reminderData(deps.db, claim);
    if (!data || data.looking) return;
    const [addresses, people, prefs] = await Promise.all([deps.away.emailOf([claim.u]), deps.people.findByIds([data.otherUserId, claim.u]), loadNotificationPreferences(deps.db, claim.u)]);
    const to = addresses.get(claim.u);
    if (!to) return;
    const readerZone = people.get(claim.u)?.time_zone;
    const timeZone = isTimeZone(readerZone) ? readerZone : data.timeZone;
    const zone = timeZone.replace(/_/g, ' ');
    const subject = `Reminder: “${data.title}” at ${clockIn(data.startsAt, timeZone)} (${zone})`;
    const appUrl = deps.away.appUrl;
    const content = {
      subject,
      preheader: `The meeting ${startsIn(data.startsAt).toast}.`,
      why: 'You get this email because you chose meeting reminders in your notification settings, and no Courier page of yours was open.',
      appUrl,
    };
    const view = {
      ...content,
      title: data.title,
      when: `${wallClock(data.startsAt, timeZone)} (${zone})`,
      length: lengthLabel(data.minutes),
      with: people.get(data.otherUserId)?.display_name ?? 'Former member',
      startsIn: startsIn(data.startsAt).toast,
      link: data.link,
      card: `${appUrl}${cardPath(data)}`,
      lead: prefs.meetingReminderMinutes,
      settings: `${appUrl}/settings/notifications`,
    };
    const html = renderView('mail/_layout', { ...content, body: renderView('mail/meeting-reminder', view) });
    const text = renderView('mail/_layout-text', { ...content, body: renderView('mail/meeting-reminder-text', view).trim() });
    await deps.away.send({ to, subject, html, text: `${text.trim()}\n` });
  };
}

/** The reminder on the person's devices (pushToDevices), unless it is no longer owed or a page of theirs is in front of them. */
function reminderPushTask(deps: MessagingDeps & { away: AwayDeps & { push: AwayPush } }): (payload: unknown) => Promise<void> {
  return async (job) => {
    const claim = job as ReminderClaim;
    const data = await reminderData(deps.db, claim);
    if (!data || data.looking) return;
    const other = (await deps.people.findByIds([data.otherUserId])).get(data.otherUserId);
    const payload: PushPayload = {
      title: startsIn(data.startsAt).title,
      body: `“${data.title}” with ${other?.display_name ?? 'Former member'}`,
      url: cardPath(data),
      // One notification per meeting on a device: a moved meeting's reminder replaces the old one.
      tag: `meeting-${claim.g}`,
    };
    await pushToDevices(deps, deps.away.push, claim.u, JSON.stringify(payload), { topic: `g${claim.g}`, ttlSeconds: PUSH_TTL_SECONDS });
  };
}
