import type { Person } from './deps.js';

/** Who a thread's drawing names: me, the other side (or the group as a header names it), and everyone looked up. */
export interface ThreadPeople {
  me: Person;
  /** The other person of a direct conversation; in a group, the group as the header names it. */
  other: Person;
  /** Everyone looked up (a group's members and the senders of what is drawn). */
  byId: Map<number, Person>;
  group: boolean;
}

/** A person of the thread by id: me, the other person, or in a group anyone looked up. */
export const personIn = (people: ThreadPeople, id: number): Person =>
  id === people.me.id ? people.me : !people.group ? people.other : (people.byId.get(id) ?? unknownPerson(id));

/** The first word of a name ("Ana Lima" → "Ana"): how a group's row and typing line name people. */
export const firstName = (name: string): string => name.trim().split(/\s+/)[0] ?? name;

/** A participant the host no longer knows (an account removed): shown, never a crash. */
export function unknownPerson(id: number): Person {
  return { id, username: 'unknown', display_name: 'Former member', avatar_version: null };
}
