import type { Request, RequestHandler } from 'express';
import type { MessagingLimits } from './limits.js';
import type { PeopleTable } from './queries/inbox.js';
import type { MessagingDb } from './schema.js';

/** What the messaging module needs from the host app. It never reads the host's session or tables. */
export interface MessagingDeps {
  db: MessagingDb;
  /** The logged-in user, or undefined. */
  currentUser(req: Request): MessagingUser | undefined;
  /** The host's sessions: an event stream lives no longer than the session that opened it. */
  sessions: StreamSessions;
  /** Runs first on every route: refuses logged-out requests (303 to login for pages, 401 otherwise). */
  authenticate: RequestHandler;
  /** Runs before every state-changing route, after authenticate (the host's CSRF check). */
  verifyForm: RequestHandler;
  people: PeopleDirectory;
  policy: MessagingPolicy;
  /** Messages per thread page, conversations per inbox page and meetings per page of /meetings. */
  pageSize?: { messages?: number; conversations?: number; meetings?: number };
  /**
   * The host's keeping of one value for a visitor across a redirect (its session): a send refused
   * without JS lands on the thread page with its text through it. Without it, the refusal is drawn
   * at the form's own URL.
   */
  carry?: CarryOver;
  /** Whom I can start a conversation with, for "New message" (without it, that page is off). */
  contacts?: ContactSearch;
  /** The host's people table, for the inbox's search by name (without it, that search is off). */
  peopleTable?: PeopleTable;
  /** Per-person limits (defaults: 20 messages a minute, 5 new conversations a day, 30 searches a minute). */
  limits?: Partial<MessagingLimits>;
  /** Files in messages: off unless given (the host reads ATTACHMENTS and the size limits). */
  attachments?: AttachmentSettings;
  /** Email to people who are away (missed messages, digests): off unless given. */
  away?: AwayDeps;
  /** How often the meeting-reminder sweep runs (default 20 s: a reminder is at most that late). */
  meetingReminderSweepMs?: number;
}

/** What the module needs from the host to reach people who are not looking. */
export interface AwayDeps {
  /** The site's address: links in emails start with it. */
  appUrl: string;
  /** How long `after_10_minutes` waits, in seconds (`after_1_hour` waits six times as long). */
  delaySeconds: number;
  /** A column of the host's people table (`peopleTable`) that is set only for people with a confirmed address. */
  confirmedEmailColumn: string;
  /** Web push to people's devices (their browsers' push services): off unless given. */
  push?: AwayPush;
  /** A person's photo for email, as a small JPEG (sent inline with the email); none without a photo. */
  photoOf?(userId: number): Promise<Buffer | undefined>;
  /** Confirmed addresses of these people (those without one are left out). */
  emailOf(ids: readonly number[]): Promise<Map<number, string>>;
  /** Hands one email to the host's mail (resolves once taken; rejects to be retried). */
  send(mail: AwayMail): Promise<void>;
  /** A link that turns this kind of email off for this person, in one click and with no login. */
  unsubscribeUrl(userId: number, kind: 'messages' | 'digest'): string;
}

/** The host's web push: the module keeps who has which device, the host signs, encrypts and posts. */
export interface AwayPush {
  /** The site's VAPID public key (base64url), for pages to subscribe with. */
  publicKey(): Promise<string>;
  /** Is this endpoint one of the push services the host posts to? */
  accepts(endpoint: string): boolean;
  /** One notification to one device; `gone` when its push service no longer knows it (drop it). Throws otherwise. */
  send(target: { endpoint: string; p256dh: string; auth: string }, payload: string, options: { topic?: string; ttlSeconds: number }): Promise<'sent' | 'gone'>;
}

export interface AwayMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  unsubscribeUrl?: string;
  /** Images the HTML shows as `cid:` URLs, sent inline with it. */
  images?: { cid: string; content: Buffer; contentType: 'image/jpeg' }[];
}

/**
 * What the module asks of the host's sessions. When sessions of a person end or change, the host
 * announces it on the module's channel (`{"t":"sessions","u":USER_ID}` on `courier_events`, from
 * the transaction that ended them), and every instance checks that person's streams again.
 */
export interface StreamSessions {
  /** The session a request belongs to (an opaque key), and the earliest it may end if unused. */
  of(req: Request): { key: string; endsAt: Date } | undefined;
  /** Of these sessions, those still valid, with whose they are and when each ends unless used again. */
  alive(keys: readonly string[]): Promise<Map<string, { userId: number; endsAt: Date }>>;
}

export interface AttachmentSettings {
  enabled: boolean;
  /** Per file, in bytes. */
  maxFileBytes: number;
  /** Per person over any 24 hours, in bytes. */
  dailyBytes: number;
}

export interface MessagingUser {
  id: number;
  username: string;
  /** Their IANA zone, if they gave one: what live events draw times in (meetings). */
  time_zone?: string | null;
}

/** How the host shows a person: what the avatar and name partials need. */
export interface Person {
  id: number;
  username: string;
  display_name: string;
  avatar_version: number | null;
  /** One line about them (the thread's header shows it); '' or absent when none. */
  headline?: string;
  /** Their IANA zone if they gave one (emails draw a meeting's time on their clock). */
  time_zone?: string | null;
}

/** One value per visitor, kept until taken (the module checks its shape when it reads it back). */
export interface CarryOver {
  keep(req: Request, value: unknown): Promise<void>;
  /** The value kept, removed as it is read. */
  take(req: Request): unknown;
}

/** The host's people I may message, searched by name, a page at a time (`after`: the last page's `next`). */
export interface ContactSearch {
  search(me: number, q: string, after: string | undefined, limit: number): Promise<{ items: Person[]; next: string | undefined }>;
}

export interface PeopleDirectory {
  findByUsername(username: string): Promise<Person | undefined>;
  /** Many people by username (lower case) in one lookup, keyed by username; unknown ones are absent. */
  findByUsernames(usernames: readonly string[]): Promise<Map<string, Person>>;
  /** Many people in one lookup, so a page of conversations costs one query, not one per row. */
  findByIds(ids: readonly number[]): Promise<Map<number, Person>>;
}

export interface MessagingPolicy {
  /** May `from` start a new conversation with `to`? */
  canStart(from: number, to: number): Promise<boolean>;
  /** Of `others`, those `from` may start a conversation with (or bring into a group), in one lookup. */
  startableAmong(from: number, others: readonly number[]): Promise<Set<number>>;
  /** May `from` send to `to` in a conversation they already share? */
  canSend(from: number, to: number): Promise<boolean>;
  /**
   * Why `from` cannot write to `to` at all (a block, either way), shown in place of the composer;
   * undefined when nothing stands between them.
   */
  barrier(from: number, to: number): Promise<Barrier | undefined>;
  /** Of `others`, those with a barrier with `user` either way (one lookup for many): live presence skips them. */
  barredAmong(user: number, others: readonly number[]): Promise<Set<number>>;
}

export interface Barrier {
  /** `i-blocked`: `from` blocked `to` (and may undo it at `undo`); `blocked`: the other way; `left`: no longer in the group. */
  kind: 'i-blocked' | 'blocked' | 'left';
  message: string;
  /** A form that lifts it (for the person who put it up). */
  undo?: { action: string; label: string };
}
