import { renderView } from '../../http/render.js';
import { viewHelpers } from '../../http/view-helpers.js';
import type { AwayDeps, MessagingDeps } from '../deps.js';
import { claimMissed, missedEmailData, type MissedClaim } from './missed-queries.js';

/** Messages shown in one email; the rest are counted ("and 4 more"). */
const SHOWN = 10;
/** Claims per statement of the sweep, and statements per sweep (so one sweep takes at most 20,000). */
const CLAIM_BATCH = 500;
const MAX_BATCHES = 40;
// Initials drawn on these (the app's avatar palette, as hex: mail clients keep no classes).
const COLOURS = ['#0369a1', '#047857', '#7c3aed', '#e11d48', '#b45309', '#0f766e', '#4f46e5', '#a21caf'];
const time = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', timeZone: 'UTC' });

type AwayReady = MessagingDeps & { away: AwayDeps };

/** Every minute (one instance at a time, through the queue's crontab): what is due is claimed and queued. */
export function missedSweepTask(deps: AwayReady): () => Promise<void> {
  return async () => {
    if (!deps.peopleTable) return;
    for (let i = 0; i < MAX_BATCHES; i += 1) {
      const claimed = await claimMissed(deps.db, { delaySeconds: deps.away.delaySeconds, people: deps.peopleTable, confirmedEmailColumn: deps.away.confirmedEmailColumn, limit: CLAIM_BATCH });
      if (claimed < CLAIM_BATCH) return;
    }
  };
}

/**
 * One email about one conversation: what is still unseen of the claimed messages, with the
 * sender's name and photo (or initials), and their text unless the person chose not to have it in email.
 * A failure throws, and the queue retries (the claim stays with its job).
 */
export function missedEmailTask(deps: AwayReady): (payload: unknown) => Promise<void> {
  return async (payload) => {
    const claim = payload as MissedClaim;
    const data = await missedEmailData(deps.db, claim, SHOWN);
    if (!data) return;
    const senders = [...new Set(data.messages.map((m) => m.sender_id))];
    const [addresses, people, photo] = await Promise.all([
      deps.away.emailOf([claim.u]),
      deps.people.findByIds([claim.u, ...(data.otherUserId === null ? senders : [data.otherUserId])]),
      data.otherUserId === null ? undefined : deps.away.photoOf?.(data.otherUserId),
    ]);
    const to = addresses.get(claim.u);
    // In a group, the group stands where the person would (no @username, no photo), and each message says who wrote it.
    const other = data.otherUserId === null ? { id: 0, username: '', display_name: data.groupName ?? 'Your group', avatar_version: null } : people.get(data.otherUserId);
    if (!to || !other) return;
    const group = data.otherUserId === null;
    const unsubscribeUrl = deps.away.unsubscribeUrl(claim.u, 'messages');
    const subject = group
      ? data.total === 1 ? `A new message in ${other.display_name}` : `${data.total} new messages in ${other.display_name}`
      : data.total === 1 ? `${other.display_name} sent you a message` : `${other.display_name} sent you ${data.total} messages`;
    const content = {
      subject,
      preheader: data.preview ? (data.messages[0]?.body ?? '').slice(0, 120) : group ? `New messages in ${other.display_name} on Courier` : `${other.display_name} wrote to you on Courier`,
      why: 'You get this email because a message to you on Courier stayed unread while you were away.',
      unsubscribeUrl,
      appUrl: deps.away.appUrl,
    };
    const photoCid = photo ? `photo-${data.otherUserId}@courier` : undefined;
    const view = {
      ...content,
      other,
      photoCid,
      initials: viewHelpers.initials(other.display_name),
      colour: COLOURS[hash(other.username || other.display_name) % COLOURS.length],
      group,
      preview: data.preview,
      total: data.total,
      more: Math.max(0, data.total - data.messages.length),
      messages: data.messages.map((m) => ({ body: m.body ?? '', time: `${time.format(m.created_at)} UTC`, from: group ? (people.get(m.sender_id)?.display_name ?? 'Former member') : undefined })),
      link: `${deps.away.appUrl}/messages/${claim.c}`,
    };
    const html = renderView('mail/_layout', { ...content, body: renderView('mail/missed-messages', view) });
    const text = renderView('mail/_layout-text', { ...content, body: renderView('mail/missed-messages-text', view).trim() });
    const images = photo && photoCid ? [{ cid: photoCid, content: photo, contentType: 'image/jpeg' as const }] : undefined;
    await deps.away.send({ to, subject, html, text: `${text.trim()}\n`, unsubscribeUrl, images });
  };
}

function hash(text: string): number {
  let value = 0;
  for (const char of text) value = (value * 31 + char.charCodeAt(0)) >>> 0;
  return value;
}
