import type { DayRange } from './analytics.js';
import { addDays, dayCount, parseDay, type Day } from './analytics-days.js';
import { shownDay } from './analytics-format.js';

export const PRESETS = [7, 30, 90] as const;
export const DEFAULT_PRESET = 30;
/** A year and a day: the page stays one screen of bars, and the previous period one more year of rows. */
export const MAX_SPAN_DAYS = 366;

/** What the form shows again: the values as given. */
export interface RangeForm {
  preset: number | null;
  from: string;
  to: string;
}

export type RangeChoice = { ok: true; range: DayRange; form: RangeForm } | { ok: false; error: string; form: RangeForm };

const text = (raw: unknown): string => (typeof raw === 'string' ? raw.trim().slice(0, 40) : '');

/**
 * The days asked for: `from` and `to` (UTC days, both included), or `range` = 7, 30 or 90 (the
 * last N days, today included), or the last 30 days when neither is given.
 */
export function parseRange(query: Record<string, unknown>, today: Day): RangeChoice {
  const fromText = text(query.from);
  const toText = text(query.to);
  if (fromText !== '' || toText !== '') {
    const form = { preset: null, from: fromText, to: toText };
    const from = parseDay(fromText);
    const to = parseDay(toText);
    if (!from || !to) return { ok: false, error: 'Give both dates as calendar days, e.g. 2025-01-31.', form };
    if (from > to) return { ok: false, error: 'The first day must not be after the last.', form };
    if (to > today) return { ok: false, error: `The last day can be today (${shownDay(today)}) at the latest.`, form };
    if (dayCount(from, to) > MAX_SPAN_DAYS) return { ok: false, error: `Choose at most ${MAX_SPAN_DAYS} days.`, form };
    return { ok: true, range: { from, to }, form };
  }
  const rawPreset = text(query.range);
  const preset = rawPreset === '' ? DEFAULT_PRESET : PRESETS.find((p) => String(p) === rawPreset);
  const fallback = { from: addDays(today, -(DEFAULT_PRESET - 1)), to: today };
  if (preset === undefined) return { ok: false, error: `Choose the last ${PRESETS.join(', ')} days, or two dates.`, form: { preset: null, ...fallback } };
  const range = { from: addDays(today, -(preset - 1)), to: today };
  return { ok: true, range, form: { preset, ...range } };
}
