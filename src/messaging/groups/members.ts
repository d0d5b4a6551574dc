import type { Barrier, Person } from '../deps.js';
import { firstName, unknownPerson, type ThreadPeople } from '../present.js';
import type { ThreadAccess } from '../queries/conversations.js';

export type MemberView = Person & { admin: boolean };

/** A group's members as its header lists them: longest-standing first, admins marked (none for a direct conversation). */
export function groupMembers(access: ThreadAccess, people: ThreadPeople): MemberView[] {
  return access.members.map((m) => ({ ...(people.byId.get(m.userId) ?? unknownPerson(m.userId)), admin: m.role === 'admin' }));
}

/** In a group, the others' first names by id (JSON), for the page to say who is typing; undefined in a direct conversation. */
export function typingNames(access: ThreadAccess, people: ThreadPeople): string | undefined {
  if (!people.group) return undefined;
  const names = Object.fromEntries(access.members.filter((m) => m.userId !== people.me.id).map((m) => [m.userId, firstName((people.byId.get(m.userId) ?? unknownPerson(m.userId)).display_name)]));
  return JSON.stringify(names);
}

/** In a group I left (or was removed from): what stands in place of the message box. */
export function leftBarrier(access: ThreadAccess): Barrier | undefined {
  return access.mine.leftUptoId === null ? undefined : { kind: 'left', message: 'You are no longer in this group. You can read what was said while you were in it.' };
}
