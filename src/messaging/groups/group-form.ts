import { randomUUID } from 'node:crypto';
import { hasNul, listOf, NUL_MESSAGE } from '../../http/fields.js';

export const GROUP_NAME_MAX = 80;
/** Others besides me: a group is 3 to 50 people. */
export const GROUP_OTHERS_MIN = 2;
export const GROUP_OTHERS_MAX = 49;

export interface GroupForm {
  name: string;
  /** Usernames chosen, lower case, each once, in the order given. */
  members: string[];
  /** Whom the picker looks for among my connections. */
  q: string;
  clientId: string;
  errors: { name?: string; members?: string; form?: string };
}

const CLIENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const codePoints = (text: string) => [...text].length;

/** A username as typed or ticked ("@Ana " → "ana"). */
const username = (raw: unknown) => (typeof raw === 'string' ? raw.trim().replace(/^@/, '').toLowerCase() : '');

/** The form's fields as sent (nothing checked yet beyond their shape): what a page shows back. */
export function groupFormOf(fields: Record<string, unknown>, me: string): GroupForm {
  const members = [...new Set(listOf(fields.members).flatMap((one) => (typeof one === 'string' ? one.split(/[\s,]+/) : [])).map(username))].filter((u) => u !== '' && u !== me);
  const clientId = typeof fields.client_id === 'string' && CLIENT_ID.test(fields.client_id) ? fields.client_id.toLowerCase() : randomUUID();
  return {
    name: typeof fields.name === 'string' ? fields.name : '',
    members: members.slice(0, GROUP_OTHERS_MAX + 10),
    q: typeof fields.q === 'string' ? fields.q.trim().slice(0, 100) : '',
    clientId,
    errors: {},
  };
}

/** A group's name as sent (a new group's, or a rename): the trimmed name, or what to fix. */
export function checkGroupName(raw: unknown): { name: string; error?: undefined } | { error: string } {
  const name = typeof raw === 'string' ? raw.trim() : '';
  if (hasNul(raw)) return { error: NUL_MESSAGE };
  if (!name) return { error: 'Give the group a name.' };
  if (codePoints(name) > GROUP_NAME_MAX) return { error: `Keep the name under ${GROUP_NAME_MAX} characters (it has ${codePoints(name)}).` };
  return { name };
}

/** The form checked: errors beside the fields, or the trimmed name to create the group with. */
export function checkGroupForm(form: GroupForm, raw: Record<string, unknown>): { ok: true; name: string } | { ok: false } {
  const named = checkGroupName(raw.name);
  if (named.error !== undefined) form.errors.name = named.error;
  const name = named.error === undefined ? named.name : '';
  if (form.members.length < GROUP_OTHERS_MIN) form.errors.members = `Choose at least ${GROUP_OTHERS_MIN} people: a group is you and 2 to ${GROUP_OTHERS_MAX} others.`;
  else if (form.members.length > GROUP_OTHERS_MAX) form.errors.members = `A group holds you and up to ${GROUP_OTHERS_MAX} others; you chose ${form.members.length}.`;
  return form.errors.name || form.errors.members ? { ok: false } : { ok: true, name };
}
