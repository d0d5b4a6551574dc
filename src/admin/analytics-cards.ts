import type { Analytics, DayFigures, PeriodFigures } from './analytics.js';
import { dayCount } from './analytics-days.js';
import { change, isSmall, shownAverage, shownBytes, shownCount, shownDay, shownDuration, SMALL } from './analytics-format.js';
import { barChart, type Bar } from './analytics-svg.js';

/** One figure of the dashboard, ready to draw: headline, change, chart and table. */
export interface Card {
  key: string;
  title: string;
  headline: string;
  /** What the headline counts ("in total", "a day on average"). */
  headlineNote: string;
  /** "+12%" against the previous period, or null with `changeNote` saying why not. */
  change: string | null;
  changeNote: string;
  /** A second headline line (the files' volume). */
  extra?: string;
  chart: string;
  /** The top of the chart's scale, as shown beside it. */
  scaleTop: string;
  columns: string[];
  rows: { day: string; cells: string[] }[];
}

/** What a period's "change" says when there is no percentage to give. */
function changeOrWhy(current: number, previous: number): { change: string | null; changeNote: string } {
  const c = change(current, previous);
  if (c !== null) return { change: c, changeNote: 'against the previous period' };
  if (current === 0 && previous === 0) return { change: null, changeNote: 'none in either period' };
  if (previous === 0) return { change: null, changeNote: 'none in the previous period' };
  return { change: null, changeNote: 'change not shown: too few to compare' };
}

/** A count's bar: its value from 5, the "<5" stub below (never the true height), nothing at 0. */
const countBar = (n: number, day: string, what: string): Bar => ({ value: isSmall(n) ? null : n, label: `${shownDay(day)}: ${shownCount(n)} ${what}` });

const replyCell = (replies: number, medianSeconds: number | null): string =>
  replies === 0 || medianSeconds === null ? '—' : isSmall(replies) ? `${SMALL} replies` : shownDuration(medianSeconds);

interface CountCard {
  key: string;
  title: string;
  what: string;
  pick: (f: Omit<DayFigures, 'day'> | PeriodFigures) => number;
  /** The table's columns (default: the count itself); each cell already shown by the "<5" rule. */
  columns?: { name: string; cell: (d: DayFigures) => string }[];
  extra?: (p: PeriodFigures) => string;
}

const countColumn = (name: string, pick: (d: DayFigures) => number) => ({ name, cell: (d: DayFigures) => shownCount(pick(d)) });

function countCard(a: Analytics, spec: CountCard): Card {
  const bars = a.days.map((d) => countBar(spec.pick(d), d.day, spec.what));
  const { svg, max } = barChart(bars, `${spec.title} per day; the numbers are in the table`);
  const columns = spec.columns ?? [countColumn(spec.title, spec.pick)];
  return {
    key: spec.key,
    title: spec.title,
    headline: shownCount(spec.pick(a.range)),
    headlineNote: 'in total',
    ...changeOrWhy(spec.pick(a.range), spec.pick(a.previous)),
    ...(spec.extra ? { extra: spec.extra(a.range) } : {}),
    chart: svg,
    scaleTop: shownCount(max),
    columns: columns.map((c) => c.name),
    rows: a.days.map((d) => ({ day: d.day, cells: columns.map((c) => c.cell(d)) })),
  };
}

function sendersCard(a: Analytics): Card {
  const bars = a.days.map((d) => countBar(d.senders, d.day, 'people sent'));
  const { svg, max } = barChart(bars, 'People who sent a message, per day; the numbers are in the table');
  return {
    key: 'senders',
    title: 'People who sent',
    headline: shownAverage(a.range.sendersPerDay),
    headlineNote: 'a day on average (each day counts distinct people)',
    ...changeOrWhy(a.range.sendersPerDay, a.previous.sendersPerDay),
    chart: svg,
    scaleTop: shownCount(max),
    columns: ['People'],
    rows: a.days.map((d) => ({ day: d.day, cells: [shownCount(d.senders)] })),
  };
}

function firstReplyCard(a: Analytics): Card {
  const { range, previous } = a;
  const bars = a.days.map((d): Bar => ({
    value: d.firstReplies === 0 ? 0 : isSmall(d.firstReplies) ? null : Math.max(1, d.medianFirstReplySeconds ?? 0),
    label: `${shownDay(d.day)}: ${replyCell(d.firstReplies, d.medianFirstReplySeconds)}`,
  }));
  const { svg, max } = barChart(bars, 'Median time to first reply, per day; the numbers are in the table');
  const comparable = !isSmall(range.firstReplies) && !isSmall(previous.firstReplies) && range.medianFirstReplySeconds !== null && previous.medianFirstReplySeconds !== null;
  return {
    key: 'first-reply',
    title: 'Median time to first reply',
    headline: replyCell(range.firstReplies, range.medianFirstReplySeconds),
    headlineNote: `over ${shownCount(range.firstReplies)} first replies in new conversations`,
    ...(comparable ? changeOrWhy(range.medianFirstReplySeconds!, previous.medianFirstReplySeconds!) : { change: null, changeNote: range.firstReplies === 0 ? 'no first replies' : 'change not shown: too few to compare' }),
    chart: svg,
    scaleTop: shownDuration(max),
    columns: ['First replies', 'Median'],
    rows: a.days.map((d) => ({ day: d.day, cells: [shownCount(d.firstReplies), replyCell(d.firstReplies, d.medianFirstReplySeconds)] })),
  };
}

/** A volume is only given for 5 files or more: one file's size is about that one file. */
const volumeCell = (files: number, bytes: number): string => (isSmall(files) ? `${SMALL} files` : shownBytes(bytes));

/** Every figure of the dashboard, in the order shown. */
export function analyticsCards(a: Analytics): Card[] {
  return [
    countCard(a, { key: 'messages', title: 'Messages sent', what: 'messages', pick: (f) => f.messages }),
    sendersCard(a),
    countCard(a, {
      key: 'conversations',
      title: 'New conversations',
      what: 'new conversations',
      pick: (f) => f.newConversations,
      columns: [countColumn('Direct', (d) => d.newByKind.direct), countColumn('Group', (d) => d.newByKind.group), countColumn('Total', (d) => d.newConversations)],
    }),
    firstReplyCard(a),
    countCard(a, {
      key: 'attachments',
      title: 'Files sent',
      what: 'files',
      pick: (f) => f.attachments,
      columns: [countColumn('Files', (d) => d.attachments), { name: 'Volume', cell: (d) => volumeCell(d.attachments, d.attachmentBytes) }],
      extra: (p) => `${volumeCell(p.attachments, p.attachmentBytes)} in total`,
    }),
    countCard(a, { key: 'reports-opened', title: 'Reports opened', what: 'reports opened', pick: (f) => f.reportsOpened }),
    countCard(a, {
      key: 'reports-resolved',
      title: 'Reports resolved',
      what: 'reports resolved',
      pick: (f) => f.reportsResolved,
      columns: [
        countColumn('Dismissed', (d) => d.resolvedBy.dismiss),
        countColumn('Warned', (d) => d.resolvedBy.warn),
        countColumn('Suspended', (d) => d.resolvedBy.suspend),
        countColumn('Redacted', (d) => d.resolvedBy.redact),
        countColumn('Total', (d) => d.reportsResolved),
      ],
    }),
    countCard(a, { key: 'blocks', title: 'Blocks', what: 'blocks', pick: (f) => f.blocks }),
  ];
}

/** "the previous 30 days (2 Dec 2024 to 31 Dec 2024)" */
export const previousLabel = (a: Analytics): string => `the previous ${dayCount(a.previous.from, a.previous.to)} days (${shownDay(a.previous.from)} to ${shownDay(a.previous.to)})`;
