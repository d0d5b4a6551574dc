import type { Db } from '../db/database.js';
import { addDays, dayCount, eachDay, type Day } from './analytics-days.js';
import { rolledUpDays, type RolledUpDay } from './analytics-queries.js';

export const RESOLUTIONS = ['dismiss', 'warn', 'suspend', 'redact'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];
export const CONVERSATION_KINDS = ['direct', 'group'] as const;
export type ConversationKind = (typeof CONVERSATION_KINDS)[number];

/** A span of whole UTC days, both ends included. */
export interface DayRange {
  from: Day;
  to: Day;
}

/** What happened on one UTC day, in counts. Raw numbers: the "<5" rule is applied where they are shown. */
export interface DayFigures {
  day: Day;
  messages: number;
  /** Distinct people who sent at least one message that day. */
  senders: number;
  newConversations: number;
  newByKind: Record<ConversationKind, number>;
  firstReplies: number;
  /** Median delay of the day's first replies (null: none). */
  medianFirstReplySeconds: number | null;
  attachments: number;
  attachmentBytes: number;
  reportsOpened: number;
  reportsResolved: number;
  resolvedBy: Record<Resolution, number>;
  blocks: number;
}

/** A period's figures: sums of its days, except the two that do not add up (see each). */
export interface PeriodFigures extends Omit<DayFigures, 'day' | 'senders'> {
  from: Day;
  to: Day;
  /** Distinct senders do not add over days: the period's figure is their average per day. */
  sendersPerDay: number;
  /** Over every first reply of the period (all its days' delays merged), not a median of medians. */
  medianFirstReplySeconds: number | null;
}

export interface Analytics {
  range: PeriodFigures;
  /** The period of equal length just before the range, for the change in each headline. */
  previous: PeriodFigures;
  /** Every day of the range, oldest first; a day nothing happened on is all zeros. */
  days: DayFigures[];
  /** When the newest figure shown was computed (null: the rollup has not run on these days). */
  updatedAt: Date | null;
}

/**
 * The admin analytics for a range of days, with the period before it: the one function the
 * dashboard, the CSV and the weekly report all read. Reads the daily rollups only (one statement).
 */
export async function analyticsFigures(db: Db, range: DayRange): Promise<Analytics> {
  const length = dayCount(range.from, range.to);
  const previousRange = { from: addDays(range.from, -length), to: addDays(range.from, -1) };
  const rows = new Map((await rolledUpDays(db, previousRange.from, range.to)).map((row) => [row.day, row]));
  const daysOf = (r: DayRange) => eachDay(r.from, r.to).map((day) => dayFigures(day, rows.get(day)));
  const days = daysOf(range);
  const computed = [...rows.values()].filter((row) => row.day >= range.from).map((row) => row.computed_at.getTime());
  return {
    range: periodFigures(range, days, rows),
    previous: periodFigures(previousRange, daysOf(previousRange), rows),
    days,
    updatedAt: computed.length > 0 ? new Date(Math.max(...computed)) : null,
  };
}

function dayFigures(day: Day, row: RolledUpDay | undefined): DayFigures {
  const resolvedBy = { dismiss: row?.resolved_dismiss ?? 0, warn: row?.resolved_warn ?? 0, suspend: row?.resolved_suspend ?? 0, redact: row?.resolved_redact ?? 0 };
  const newByKind = { direct: row?.direct_started ?? 0, group: row?.group_started ?? 0 };
  const delays = row?.first_reply_seconds ?? [];
  return {
    day,
    messages: row?.messages ?? 0,
    senders: row?.senders ?? 0,
    newConversations: sum(Object.values(newByKind)),
    newByKind,
    firstReplies: delays.length,
    medianFirstReplySeconds: median(delays),
    attachments: row?.attachments ?? 0,
    attachmentBytes: row?.attachment_bytes ?? 0,
    reportsOpened: row?.reports_opened ?? 0,
    reportsResolved: sum(Object.values(resolvedBy)),
    resolvedBy,
    blocks: row?.blocks ?? 0,
  };
}

function periodFigures(range: DayRange, days: DayFigures[], rows: Map<Day, RolledUpDay>): PeriodFigures {
  const total = (pick: (d: DayFigures) => number) => sum(days.map(pick));
  const delays = days.flatMap((d) => rows.get(d.day)?.first_reply_seconds ?? []).sort((a, b) => a - b);
  return {
    ...range,
    messages: total((d) => d.messages),
    sendersPerDay: days.length === 0 ? 0 : total((d) => d.senders) / days.length,
    newConversations: total((d) => d.newConversations),
    newByKind: { direct: total((d) => d.newByKind.direct), group: total((d) => d.newByKind.group) },
    firstReplies: delays.length,
    medianFirstReplySeconds: median(delays),
    attachments: total((d) => d.attachments),
    attachmentBytes: total((d) => d.attachmentBytes),
    reportsOpened: total((d) => d.reportsOpened),
    reportsResolved: total((d) => d.reportsResolved),
    resolvedBy: { dismiss: total((d) => d.resolvedBy.dismiss), warn: total((d) => d.resolvedBy.warn), suspend: total((d) => d.resolvedBy.suspend), redact: total((d) => d.resolvedBy.redact) },
    blocks: total((d) => d.blocks),
  };
}

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);

/** The median of sorted values: the middle one, or the mean of the two middle ones (rounded to a second). */
export function median(sorted: readonly number[]): number | null {
  if (sorted.length === 0) return null;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2);
}
