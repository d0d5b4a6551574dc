import type { PeopleDirectory, Person } from '../deps.js';

/**
 * The people live events and a send's answer draw (names, photos), kept per instance so that a
 * delivery batch or a send does not read them every time. A person's change reaches every
 * instance as a `person` signal (the host's trigger, migration 0031) and drops them here; after a
 * gap in listening everything is dropped. Entries also lapse after `ttlMs`, in case a signal was
 * lost some other way. A read that was in flight across a change is answered but not kept.
 * Pages read people afresh: only what is drawn live goes through here.
 */
export class PeopleCache {
  private readonly people = new Map<number, { person: Person; at: number }>();
  /** Moves on every change heard: a read begun before it keeps nothing. */
  private epoch = 0;

  constructor(
    private readonly directory: Pick<PeopleDirectory, 'findByIds'>,
    private readonly options: { maxEntries: number; ttlMs: number } = { maxEntries: 20_000, ttlMs: 60_000 },
  ) {}

  async findByIds(ids: readonly number[]): Promise<Map<number, Person>> {
    const now = Date.now();
    const found = new Map<number, Person>();
    const missing: number[] = [];
    for (const id of new Set(ids)) {
      const hit = this.people.get(id);
      if (hit && now - hit.at < this.options.ttlMs) found.set(id, hit.person);
      else missing.push(id);
    }
    if (missing.length === 0) return found;
    const epoch = this.epoch;
    const fetched = await this.directory.findByIds(missing);
    const keep = epoch === this.epoch;
    for (const [id, person] of fetched) {
      found.set(id, person);
      if (keep) this.remember(id, person, now);
    }
    return found;
  }

  /** The host's directory, with its lookup by ids answered from here. */
  over(directory: PeopleDirectory): PeopleDirectory {
    return { ...directory, findByIds: (ids) => this.findByIds(ids) };
  }

  /** This person changed (or is gone). */
  forget(id: number): void {
    this.epoch += 1;
    this.people.delete(id);
  }

  /** Changes may have been missed. */
  clear(): void {
    this.epoch += 1;
    this.people.clear();
  }

  get size(): number {
    return this.people.size;
  }

  private remember(id: number, person: Person, at: number): void {
    this.people.delete(id);
    // The oldest entry goes first (a Map keeps insertion order).
    if (this.people.size >= this.options.maxEntries) this.people.delete(this.people.keys().next().value!);
    this.people.set(id, { person, at });
  }
}
