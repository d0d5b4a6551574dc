import type { Person } from '../deps.js';
import { unknownPerson, type ThreadPeople } from '../present.js';
import type { ThreadAccess } from '../queries/conversations.js';

export type MemberView = Person & { admin: boolean };

/** A group's members as its header lists them: longest-standing first, admins marked (none for a direct conversation). */
export function groupMembers(access: ThreadAccess, people: ThreadPeople): MemberView[] {
  return access.members.map((m) => ({ ...(people.byId.get(m.userId) ?? unknownPerson(m.userId)), admin: m.role === 'admin' }));
}
