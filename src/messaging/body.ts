/** The rules for a message's text. Characters are Unicode code points; blank means empty. */
export const MAX_MESSAGE_LENGTH = 5000;

export type BodyCheck = { ok: true; body: string } | { ok: false; status: 400 | 413; error: string };

/** `allowEmpty`: files go with it, so the text may be left out. */
export function checkBody(raw: unknown, options: { allowEmpty?: boolean } = {}): BodyCheck {
  // Browsers send a textarea's line breaks as CRLF; the text the person typed has LF.
  const body = typeof raw === 'string' ? raw.replace(/\r\n?/g, '\n') : '';
  if (body.trim().length === 0) {
    if (options.allowEmpty) return { ok: true, body: '' };
    return { ok: false, status: 400, error: 'Write a message before sending.' };
  }
  // PostgreSQL cannot store U+0000: the text goes back to the sender to fix, never silently changed.
  if (body.includes('\u0000')) return { ok: false, status: 400, error: 'This message contains a NUL character (U+0000), which Courier cannot store. Remove it and try again.' };
  const length = [...body].length;
  if (length > MAX_MESSAGE_LENGTH) {
    return { ok: false, status: 413, error: `Messages are at most ${MAX_MESSAGE_LENGTH.toLocaleString('en')} characters; this one has ${length.toLocaleString('en')}.` };
  }
  return { ok: true, body };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A client-made idempotency key, when it is a UUID; anything else is ignored. */
export function parseClientId(raw: unknown): string | undefined {
  return typeof raw === 'string' && UUID.test(raw) ? raw.toLowerCase() : undefined;
}
