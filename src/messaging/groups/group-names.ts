import type { Person } from '../deps.js';
import type { ThreadAccess } from '../queries/conversations.js';
import type { GroupEvent } from '../schema.js';
import { personIn, unknownPerson, type ThreadPeople } from '../thread-people.js';

/** A group (or support) where a person's name would go (a title, a header, "Files with …"). */
export function groupAsPerson(access: Pick<ThreadAccess, 'kind' | 'name' | 'ownerId'>, me: number, people: Map<number, Person>): Person {
  return { id: 0, username: '', display_name: conversationName(access, me, people), avatar_version: null };
}

/** What a conversation without one other person is called: a group by its name; support "Courier team" for the person it is for, "Support: Name" for the team. */
export function conversationName(c: Pick<ThreadAccess, 'kind' | 'name' | 'ownerId'>, me: number, people: Map<number, Person>): string {
  if (c.kind !== 'support') return c.name ?? 'Group';
  if (c.ownerId === me || c.ownerId === null) return SUPPORT_NAME;
  return `Support: ${(people.get(c.ownerId) ?? unknownPerson(c.ownerId)).display_name}`;
}

const SUPPORT_NAME = 'Courier team';

/** What a group's line says, as I read it ("You added Ben", "Ana renamed the group to Trip"). */
export function groupLineText(event: GroupEvent, actorId: number, people: ThreadPeople): string {
  const name = (id: number | undefined, start: boolean) => (id === people.me.id ? (start ? 'You' : 'you') : personIn(people, Number(id)).display_name);
  const actor = name(actorId, true);
  switch (event.t) {
    case 'created':
      return `${actor} created the group${event.n ? ` “${event.n}”` : ''}`;
    case 'added':
      return `${actor} added ${name(event.u, false)}`;
    case 'removed':
      return `${actor} removed ${name(event.u, false)}`;
    case 'left':
      return `${actor} left the group`;
    case 'renamed':
      return `${actor} renamed the group to “${event.n ?? ''}”`;
    case 'admin':
      return `${actor} made ${name(event.u, false)} an admin`;
  }
}
