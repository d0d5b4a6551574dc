/**
 * Opaque keyset cursors: a PostgreSQL timestamp (as its text, to keep the microseconds a JS Date
 * would drop) and an id, base64url so they survive in a query string. A cursor that does not
 * decode to a real time is treated as absent: the first page, never a database error.
 */
export function encodeCursor(at: string, id: number): string {
  return Buffer.from(`${at}|${id}`).toString('base64url');
}

const TIMESTAMP = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(\.\d{1,6})?([+-]\d\d(?::?\d\d)?|Z)$/;

export function decodeCursor(raw: unknown): { at: string; id: number } | undefined {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 120) return undefined;
  const [at, id, ...rest] = Buffer.from(raw, 'base64url').toString('utf8').split('|');
  if (!at || !id || rest.length > 0 || !/^\d{1,15}$/.test(id) || !isRealTime(at)) return undefined;
  return { at, id: Number(id) };
}

function isRealTime(text: string): boolean {
  const match = TIMESTAMP.exec(text);
  if (!match) return false;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  return (
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    hour < 24 &&
    minute < 60 &&
    second < 60
  );
}
