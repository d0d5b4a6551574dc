import type { Request } from 'express';

/** A form's fields (an empty object when there is no body). */
export const bodyOf = (req: Request) => (req.body ?? {}) as Record<string, unknown>;

/** A field that may be sent once, many times or not at all, as a list. */
export const listOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);

/** A positive integer id from a URL, query or form, or undefined. */
export function positiveId(raw: unknown): number | undefined {
  return typeof raw === 'string' && /^[1-9]\d{0,15}$/.test(raw) ? Number(raw) : undefined;
}

/** The positive integer ids among a repeated field (at most `max`). */
export const positiveIds = (value: unknown, max = 100): number[] =>
  listOf(value)
    .map(positiveId)
    .filter((id): id is number => id !== undefined)
    .slice(0, max);

/** What a person is told when a field holds U+0000, which PostgreSQL cannot store in text. */
export const NUL_MESSAGE = 'This contains a NUL character (U+0000), which Courier cannot store. Remove it and try again.';

/** True when a field (a string, or a repeated field's strings) holds U+0000. */
export const hasNul = (value: unknown): boolean => listOf(value).some((one) => typeof one === 'string' && one.includes('\u0000'));
