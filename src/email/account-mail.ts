import type { Db } from '../db/database.js';
import { addJob } from '../jobs/queries.js';
import { renderEmail } from '../mail/render.js';
import type { MailTransport } from '../mail/transport.js';
import { issueToken, TOKEN_LIFETIME_MS, type TokenPurpose } from './token-queries.js';

export const ACCOUNT_EMAIL_TASK = 'account:email';

interface AccountEmailJob {
  u: number;
  purpose: TokenPurpose;
  email: string;
}

/**
 * Asks for an email with a one-time link, through the job queue (inside the caller's transaction
 * when it has one). The token is made when the job runs, so the queue's table never holds one;
 * asking again before it ran replaces the waiting job (one email for a double click).
 */
export async function requestAccountEmail(db: Db, userId: number, purpose: TokenPurpose, email: string): Promise<void> {
  const job: AccountEmailJob = { u: userId, purpose, email };
  await addJob(db, ACCOUNT_EMAIL_TASK, { ...job }, { jobKey: `account:${purpose}:${userId}`, maxAttempts: 8 });
}

const hours = (ms: number) => (ms >= 48 * 3600 * 1000 ? `${Math.round(ms / (24 * 3600 * 1000))} days` : ms === 3600 * 1000 ? 'an hour' : `${Math.round(ms / 3600000)} hours`);

/** The job: if the address is still the one asked about (and, for a reset, confirmed), a token and its email. */
export function accountEmailTask(deps: { db: Db; mail: MailTransport; appUrl: string }): (payload: unknown) => Promise<void> {
  return async (payload) => {
    const job = payload as AccountEmailJob;
    const user = await deps.db.selectFrom('users').select(['username', 'display_name', 'email', 'email_confirmed_at']).where('id', '=', job.u).executeTakeFirst();
    if (!user || user.email?.toLowerCase() !== job.email.toLowerCase()) return;
    if (job.purpose === 'reset' && !user.email_confirmed_at) return;
    const token = await issueToken(deps.db, job.u, job.purpose, user.email);
    const confirm = job.purpose === 'confirm';
    const link = confirm ? `${deps.appUrl}/email/confirm?token=${token}` : `${deps.appUrl}/password/reset?token=${token}`;
    const subject = confirm ? 'Confirm your email address for Courier' : 'Reset your Courier password';
    const content = {
      subject,
      preheader: confirm ? 'One click, and Courier can tell you about messages while you are away.' : 'A link to choose a new password, valid for an hour.',
      why: confirm ? `This email was sent because ${user.email} was given for the Courier account @${user.username}.` : `This email was sent because a password reset was asked for the Courier account @${user.username}.`,
      appUrl: deps.appUrl,
    };
    const { html, text } = renderEmail(confirm ? 'confirm-email' : 'reset-password', content, {
      name: user.display_name,
      username: user.username,
      email: user.email,
      link,
      validFor: hours(TOKEN_LIFETIME_MS[job.purpose]),
    });
    await deps.mail.send({ to: user.email, subject, html, text });
  };
}
