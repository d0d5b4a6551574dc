import { csrfToken, type Agent, type TestApp } from './app.js';

/** A logged-in member, as most HTTP tests need one. */
export interface Member {
  agent: Agent;
  id: number;
  username: string;
  name: string;
  /** The session's CSRF token (it stays the same for a logged-in session). */
  token: string;
}

let serial = 0;

/** A new logged-in member with a unique username (`prefix_N`) and a display name (by default "Prefix PersonN"). */
export async function newMember(app: TestApp, prefix: string, displayName?: string): Promise<Member> {
  serial += 1;
  const username = `${prefix}_${serial}`;
  const name = displayName ?? `${prefix.charAt(0).toUpperCase()}${prefix.slice(1)} Person${serial}`;
  const agent = await app.userAgent(username, name);
  const row = await app.db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirstOrThrow();
  return { agent, id: row.id, username, name, token: await csrfToken(agent, '/settings') };
}
