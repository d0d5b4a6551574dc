import type { Request, RequestHandler } from 'express';
import type { MessagingDb } from './schema.js';

/** What the messaging module needs from the host app. It never reads the host's session or tables. */
export interface MessagingDeps {
  db: MessagingDb;
  /** The logged-in user, or undefined. */
  currentUser(req: Request): MessagingUser | undefined;
  /** Runs first on every route: refuses logged-out requests (303 to login for pages, 401 otherwise). */
  authenticate: RequestHandler;
  /** Runs before every state-changing route, after authenticate (the host's CSRF check). */
  verifyForm: RequestHandler;
  people: PeopleDirectory;
  policy: MessagingPolicy;
  /** Messages per thread page and conversations per inbox page. */
  pageSize?: { messages?: number; conversations?: number };
}

export interface MessagingUser {
  id: number;
  username: string;
}

/** How the host shows a person: what the avatar and name partials need. */
export interface Person {
  id: number;
  username: string;
  display_name: string;
  avatar_version: number | null;
}

export interface PeopleDirectory {
  findByUsername(username: string): Promise<Person | undefined>;
  /** Many people in one lookup, so a page of conversations costs one query, not one per row. */
  findByIds(ids: readonly number[]): Promise<Map<number, Person>>;
}

export interface MessagingPolicy {
  /** May `from` start a new conversation with `to`? */
  canStart(from: number, to: number): Promise<boolean>;
  /** May `from` send to `to` in a conversation they already share? */
  canSend(from: number, to: number): Promise<boolean>;
}
