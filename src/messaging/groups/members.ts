import type { Barrier, Person } from '../deps.js';
import { unknownPerson, type ThreadPeople } from '../thread-people.js';
import type { ThreadAccess } from '../queries/conversations.js';

export type MemberView = Person & { admin: boolean };

/** A group's members as its header lists them: longest-standing first, admins marked (none for a direct conversation). */
export function groupMembers(access: ThreadAccess, people: ThreadPeople): MemberView[] {
  return access.members.map((m) => ({ ...(people.byId.get(m.userId) ?? unknownPerson(m.userId)), admin: m.role === 'admin' }));
}

/** In a group I left (or was removed from): what stands in place of the message box. */
export function leftBarrier(access: ThreadAccess): Barrier | undefined {
  return access.mine.leftUptoId === null ? undefined : { kind: 'left', message: 'You are no longer in this group. You can read what was said while you were in it.' };
}
