import { escapeHtml } from '../../http/render.js';
import type { PeopleDirectory } from '../deps.js';
import { firstName } from '../thread-people.js';

/** A "typing" hint lapses this long after it was heard (the page sends one every few seconds while someone types). */
const LAPSE_MS = 5000;

/**
 * Who is typing in each group, as this instance heard it (every instance hears every typing
 * signal): the words of a group's hint, "Ana and 2 others are typing…", are drawn here, once per
 * person told, so the page only shows them.
 */
export class GroupTypers {
  private readonly heard = new Map<number, Map<number, number>>();

  /** u is typing in group c now; the ones still typing there, in the order first heard. */
  typing(c: number, u: number, now = Date.now()): number[] {
    const group = this.heard.get(c) ?? new Map<number, number>();
    this.heard.set(c, group);
    group.set(u, now);
    for (const [who, at] of group) if (now - at >= LAPSE_MS) group.delete(who);
    return [...group.keys()];
  }

  /** The hint's words for `to`, who is not among the names (their own typing is not news to them). */
  static async words(people: PeopleDirectory, typers: readonly number[], recipients: readonly number[]): Promise<Map<number, string>> {
    const found = await people.findByIds(typers);
    const names = (except: number) => typers.filter((u) => u !== except).map((u) => firstName(found.get(u)?.display_name ?? 'Someone'));
    return new Map(recipients.map((to) => [to, escapeHtml(phrase(names(to)))]));
  }
}

function phrase(names: string[]): string {
  const [first, second] = names;
  if (!first) return '';
  if (names.length === 1) return `${first} is typing…`;
  if (names.length === 2) return `${first} and ${second} are typing…`;
  return `${first} and ${names.length - 1} others are typing…`;
}
