import { renderView } from '../http/render.js';

export interface EmailContent {
  subject: string;
  /** Shown by mail apps beside the subject. */
  preheader?: string;
  /** Why this person got it (the footer). */
  why: string;
  unsubscribeUrl?: string;
  /** Where this kind of email is turned on and off (default: the notification settings). */
  settingsUrl?: string;
  settingsLabel?: string;
  appUrl: string;
}

/**
 * An email's two parts from `views/mail/NAME.eta` (HTML, inside the email layout) and
 * `NAME-text.eta` (plain text: every value printed raw, nothing HTML-escaped).
 */
export function renderEmail(name: string, content: EmailContent, data: Record<string, unknown>): { html: string; text: string } {
  const html = renderView('mail/_layout', { ...content, body: renderView(`mail/${name}`, { ...content, ...data }) });
  const text = renderView('mail/_layout-text', { ...content, body: renderView(`mail/${name}-text`, { ...content, ...data }).trim() });
  return { html, text: `${text.trim()}\n` };
}
