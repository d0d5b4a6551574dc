/** The one PostgreSQL channel every instance listens on. Payloads carry ids, never text. */
export const CHANNEL = 'courier_events';

export type RealtimeSignal =
  /** A message was stored: its recipient's pages draw it (r; in a group each member's still in it, g), the sender's other pages too. */
  | { t: 'message'; c: number; m: number; s: number; r?: number; g?: number[] }
  /** Someone's receipts moved in a conversation (read or delivered): the other side redraws ticks. */
  | { t: 'receipt'; c: number; u: number; o: number }
  /** In group c, members read what o's people sent ([owner, their newest message read]): their pages redraw "Seen by N" and the ticks. */
  | { t: 'seen'; c: number; o: [number, number][] }
  /** Messages m of conversation c changed for its people p (both sides, or a group's members; deleted, removed by a moderator, reacted to, edited: e): pages redraw them (but page x, which made the change and drew it). */
  | { t: 'thread'; c: number; p: number[]; m: number[]; e?: 1; x?: string | null }
  /** u is typing to o in conversation c (in a group, to its members g). */
  | { t: 'typing'; c: number; u: number; o?: number; g?: number[] }
  /** u opened their first page or closed their last one, on some instance. */
  | { t: 'presence'; u: number }
  /** u's name, username, photo, headline or time zone changed, or u is gone (the host's trigger, migration 0031): what was kept of them is dropped. */
  | { t: 'person'; u: number }
  /** Sessions of u ended or changed (the host's trigger, migration 0013): their streams are checked. */
  | { t: 'sessions'; u: number }
  /** My own view of conversation c changed (read, marked unread, archived, pinned, muted): my pages redraw its row and my count (but page x, which made the change and has them). */
  | { t: 'mine'; c: number; u: number; x?: string }
  /** Page (stream) s of u now shows conversation c (or none) and is visible or not; n: by navigating (the new page reads what it shows itself). */
  | { t: 'view'; u: number; s: string; c: number | null; v: boolean; n?: true }
  /** A block went up or came down between a and b (the host's safety feature): their pages' presence and message box follow. */
  | { t: 'barrier'; a: number; b: number }
  /** Stream s of u is past the person's cap (migration 0017): the instance holding it closes it. */
  | { t: 'stream-end'; u: number; s: string }
  /** u's membership of group c changed (removed, left, added back): their pages showing it redraw the message box. */
  | { t: 'membership'; c: number; u: number }
  /** u's reminder of meeting g was claimed (meeting-reminder-queries.ts): their pages show a toast and the meetings badge. */
  | { t: 'reminder'; u: number; g: number };

export function parseSignal(payload: string | undefined): RealtimeSignal | undefined {
  if (!payload) return undefined;
  try {
    const value = JSON.parse(payload) as RealtimeSignal;
    return typeof value === 'object' && value !== null && typeof value.t === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
