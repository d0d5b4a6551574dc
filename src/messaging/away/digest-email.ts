import { renderView } from '../../http/render.js';
import type { AwayDeps, MessagingDeps } from '../deps.js';
import { claimDigests, digestRows } from './digest-queries.js';

const LISTED = 20;
const CLAIM_BATCH = 500;
const MAX_BATCHES = 40;

type AwayReady = MessagingDeps & { away: AwayDeps };

/** Hourly (the queue's crontab, once per tick across instances): the digests due are claimed and queued. */
export function digestSweepTask(deps: AwayReady): () => Promise<void> {
  return async () => {
    if (!deps.peopleTable) return;
    for (let i = 0; i < MAX_BATCHES; i += 1) {
      const claimed = await claimDigests(deps.db, { people: deps.peopleTable, confirmedEmailColumn: deps.away.confirmedEmailColumn, limit: CLAIM_BATCH });
      if (claimed < CLAIM_BATCH) return;
    }
  };
}

/** One digest: my unread conversations as they are when it is sent (none left: no email). Names only, never message text. */
export function digestEmailTask(deps: AwayReady): (payload: unknown) => Promise<void> {
  return async (payload) => {
    const { u } = payload as { u: number };
    const { rows, total } = await digestRows(deps.db, u, LISTED);
    if (rows.length === 0) return;
    const [addresses, people] = await Promise.all([deps.away.emailOf([u]), deps.people.findByIds(rows.map((r) => r.otherUserId))]);
    const to = addresses.get(u);
    if (!to) return;
    const unsubscribeUrl = deps.away.unsubscribeUrl(u, 'digest');
    const subject = total === 1 ? 'You have an unread conversation on Courier' : `You have ${total} unread conversations on Courier`;
    const content = { subject, preheader: 'Who wrote to you while you were away.', why: 'You get this digest because you chose it in your notification settings.', unsubscribeUrl, appUrl: deps.away.appUrl };
    const view = {
      ...content,
      total,
      more: Math.max(0, total - rows.length),
      conversations: rows.map((r) => ({ name: people.get(r.otherUserId)?.display_name ?? 'Someone', unread: r.unread, link: `${deps.away.appUrl}/messages/${r.conversationId}` })),
      inbox: `${deps.away.appUrl}/messages?filter=unread`,
    };
    const html = renderView('mail/_layout', { ...content, body: renderView('mail/digest', view) });
    const text = renderView('mail/_layout-text', { ...content, body: renderView('mail/digest-text', view).trim() });
    await deps.away.send({ to, subject, html, text: `${text.trim()}\n`, unsubscribeUrl });
  };
}
