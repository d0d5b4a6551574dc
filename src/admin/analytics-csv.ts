import type { Analytics, DayFigures } from './analytics.js';
import { isSmall, SMALL } from './analytics-format.js';

/** A count in the CSV: plain digits, or "<5" by the same rule as the page. */
const count = (n: number): string => (isSmall(n) ? SMALL : String(n));

const COLUMNS: [string, (d: DayFigures) => string][] = [
  ['day', (d) => d.day],
  ['messages_sent', (d) => count(d.messages)],
  ['people_who_sent', (d) => count(d.senders)],
  ['new_conversations', (d) => count(d.newConversations)],
  ['new_direct_conversations', (d) => count(d.newByKind.direct)],
  ['new_group_conversations', (d) => count(d.newByKind.group)],
  ['first_replies', (d) => count(d.firstReplies)],
  // Empty with no first reply, "<5" with fewer than 5: a median of 1..4 delays is about those conversations.
  ['median_first_reply_seconds', (d) => (d.firstReplies === 0 || d.medianFirstReplySeconds === null ? '' : isSmall(d.firstReplies) ? SMALL : String(d.medianFirstReplySeconds))],
  ['files_sent', (d) => count(d.attachments)],
  ['files_bytes', (d) => (isSmall(d.attachments) ? SMALL : String(d.attachmentBytes))],
  ['reports_opened', (d) => count(d.reportsOpened)],
  ['reports_resolved', (d) => count(d.reportsResolved)],
  ['resolved_dismiss', (d) => count(d.resolvedBy.dismiss)],
  ['resolved_warn', (d) => count(d.resolvedBy.warn)],
  ['resolved_suspend', (d) => count(d.resolvedBy.suspend)],
  ['resolved_redact', (d) => count(d.resolvedBy.redact)],
  ['blocks', (d) => count(d.blocks)],
];

/** RFC 4180: a field with a comma, a quote or a line break is quoted, its quotes doubled. */
export const csvField = (value: string): string => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

/** The dashboard's daily figures as CSV: a header row, then one row per UTC day, CRLF line ends. */
export function analyticsCsv(a: Analytics): string {
  const lines = [COLUMNS.map(([name]) => name), ...a.days.map((d) => COLUMNS.map(([, cell]) => cell(d)))];
  return lines.map((fields) => fields.map(csvField).join(',')).join('\r\n') + '\r\n';
}
