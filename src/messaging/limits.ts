
/** How much one person may send: counted in the database, so every app instance shares it. */
export interface MessagingLimits {
  messages: { max: number; windowSeconds: number };
  conversations: { max: number; windowSeconds: number };
  /** Message searches (each reads the index, so a person's share of it is bounded too). */
  searches: { max: number; windowSeconds: number };
}

export const defaultLimits: MessagingLimits = {
  messages: { max: 20, windowSeconds: 60 },
  conversations: { max: 5, windowSeconds: 24 * 60 * 60 },
  searches: { max: 30, windowSeconds: 60 },
};

/** Over a limit: how long until the oldest counted item leaves the window. */
export class RateLimited extends Error {
  constructor(
    readonly retryAfterSeconds: number,
    readonly what: 'messages' | 'conversations' | 'searches',
  ) {
    super(`rate limited: ${what}`);
    this.name = 'RateLimited';
  }
}

export function limitsOf(overrides: Partial<MessagingLimits> | undefined): MessagingLimits {
  return { ...defaultLimits, ...overrides };
}

/** "in 42 seconds", "in 3 minutes", "in 5 hours": when a refused person may try again. */
export function retryPhrase(seconds: number): string {
  if (seconds < 90) return `in ${seconds} second${seconds === 1 ? '' : 's'}`;
  if (seconds < 90 * 60) return `in ${Math.ceil(seconds / 60)} minutes`;
  return `in ${Math.ceil(seconds / 3600)} hours`;
}

/**
 * Runs one person's sends (or openings) one at a time in this process. The database lock already
 * orders them across instances; this keeps a burst from one person from holding a pooled
 * connection per waiting request (40 parallel sends would otherwise park 40 connections on the
 * lock and starve everyone else). Each person costs at most one connection per instance.
 */
export class PerPersonQueue {
  private readonly tails = new Map<number, Promise<unknown>>();

  run<T>(person: number, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(person) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => {});
    this.tails.set(person, tail);
    // The map holds only people with work in flight.
    void tail.then(() => {
      if (this.tails.get(person) === tail) this.tails.delete(person);
    });
    return result;
  }
}
