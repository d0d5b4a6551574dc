/** What a saved reply may be: a title to find it by, and the text it inserts (a message's own limit). */
export const TITLE_MAX = 80;
export const BODY_MAX = 5000;

export interface SavedReplyForm {
  title: string;
  body: string;
  errors: { title?: string; body?: string; form?: string };
}

const length = (text: string) => [...text].length;

/** The form's fields, tidied (line ends made one kind, ends trimmed) and checked. */
export function savedReplyForm(raw: Record<string, unknown>): SavedReplyForm {
  const title = (typeof raw.title === 'string' ? raw.title : '').replace(/\s+/g, ' ').trim();
  const body = (typeof raw.body === 'string' ? raw.body : '').replace(/\r\n?/g, '\n').trim();
  const errors: SavedReplyForm['errors'] = {};
  if (!title) errors.title = 'Give it a title, to find it by.';
  else if (length(title) > TITLE_MAX) errors.title = `Keep the title under ${TITLE_MAX} characters (you wrote ${length(title)}).`;
  if (title.includes('\u0000') || body.includes('\u0000')) errors.form = 'The text holds a character that cannot be kept.';
  if (!body) errors.body = 'Write the text it inserts.';
  else if (length(body) > BODY_MAX) errors.body = `Keep the text under ${BODY_MAX} characters (you wrote ${length(body)}).`;
  return { title, body, errors };
}

/**
 * The text as it goes into a message to this person: {first_name} becomes the first word of their
 * name. Where there is no one person (a group), it is left blank.
 */
export function fillReply(body: string, otherName: string | undefined): string {
  const first = otherName?.trim().split(/\s+/)[0] ?? '';
  return body.replace(/\{first_name\}/g, first);
}

/** Typed text and an inserted reply, as one draft: the reply on a line of its own after what was typed. */
export function withReply(typed: string, reply: string): string {
  if (!typed.trim()) return reply;
  return typed.endsWith('\n') ? `${typed}${reply}` : `${typed}\n${reply}`;
}
