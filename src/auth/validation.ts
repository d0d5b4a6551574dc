/** Rules for what people type into the account forms. Pure functions, no I/O. */

export const USERNAME_PATTERN = /^[a-z0-9_]{3,30}$/;
export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 200;
export const DISPLAY_NAME_MAX = 50;

export interface SignupInput {
  username: string;
  displayName: string;
  password: string;
  /** Optional: empty when none was given. */
  email: string;
}

export type FieldErrors = Partial<Record<'username' | 'display_name' | 'password' | 'avatar' | 'email', string>>;

const codePoints = (text: string) => [...text].length;

export function normaliseUsername(raw: unknown): string {
  return typeof raw === 'string' ? raw.trim().toLowerCase() : '';
}

export function normaliseDisplayName(raw: unknown): string {
  return typeof raw === 'string' ? raw.normalize('NFC').replace(/\s+/g, ' ').trim() : '';
}

export function checkUsername(username: string): string | undefined {
  if (!username) return 'Choose a username.';
  if (!USERNAME_PATTERN.test(username)) return 'Usernames are 3 to 30 letters, digits or underscores.';
  return undefined;
}

// U+0000 is text PostgreSQL cannot store. Refused with a reason, never stripped: a password with
// it taken out would silently be another password.
const NUL = '\u0000';

export function checkDisplayName(name: string): string | undefined {
  if (!name) return 'Enter the name people will see.';
  if (name.includes(NUL)) return 'Names cannot contain a NUL character (U+0000). Remove it and try again.';
  if (codePoints(name) > DISPLAY_NAME_MAX) return `Names are at most ${DISPLAY_NAME_MAX} characters.`;
  return undefined;
}

/** An email address as typed: trimmed; empty means none. */
export const normaliseEmail = (raw: unknown): string => (typeof raw === 'string' ? raw.trim() : '');

/** Optional everywhere: empty is fine. Checked for shape only; the confirmation link proves the rest. */
export function checkEmail(email: string): string | undefined {
  if (email === '') return undefined;
  if (email.length > 254) return 'Email addresses are at most 254 characters.';
  if (!/^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$/.test(email) || email.includes(NUL)) return 'That does not look like an email address (name@example.org).';
  return undefined;
}

export function checkPassword(password: string): string | undefined {
  if (password.includes(NUL)) return 'Passwords cannot contain a NUL character (U+0000). Choose another.';
  if (codePoints(password) < PASSWORD_MIN) return `Passwords need at least ${PASSWORD_MIN} characters.`;
  if (codePoints(password) > PASSWORD_MAX) return `Passwords are at most ${PASSWORD_MAX} characters.`;
  return undefined;
}

export function parseSignup(body: Record<string, unknown>): { input: SignupInput; errors: FieldErrors } {
  const input = {
    username: normaliseUsername(body.username),
    displayName: normaliseDisplayName(body.display_name),
    password: typeof body.password === 'string' ? body.password : '',
    email: normaliseEmail(body.email),
  };
  const errors: FieldErrors = {};
  const username = checkUsername(input.username);
  const displayName = checkDisplayName(input.displayName);
  const password = checkPassword(input.password);
  if (username) errors.username = username;
  if (displayName) errors.display_name = displayName;
  if (password) errors.password = password;
  const email = checkEmail(input.email);
  if (email) errors.email = email;
  return { input, errors };
}
