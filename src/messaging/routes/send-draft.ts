import type { Request } from 'express';
import { randomUUID } from 'node:crypto';
import { isHtmx } from '../../http/render.js';
import { myPending } from '../attachments/queries.js';
import type { MessagingDeps } from '../deps.js';
import type { ThreadAccess } from '../queries/conversations.js';
import type { Composer } from './thread-page.js';

/**
 * A send refused (empty, too long, too fast) to a browser's own form, without JavaScript: kept by
 * the host (deps.carry, its session) for one showing of the thread, so the browser lands on /messages/:id (a page it
 * can reload or reopen) rather than on the form's action URL, with the text, the files and the
 * reason still there.
 */
interface SendDraft {
  conversationId: number;
  body: string;
  error: string;
  clientId: string | undefined;
  /** Files received with it, pending, to go with the next try. */
  keptIds: number[];
  replyTo: number | undefined;
}

/**
 * A page the browser navigates to (its Accept names text/html), not htmx, not an API client: such
 * a refusal is a 303 to the thread. Any other client keeps the contract's 400 / 413 / 429.
 */
export function wantsThreadAfterRefusal(req: Request): boolean {
  return !isHtmx(req) && /\btext\/html\b/.test(req.get('accept') ?? '');
}

/** Kept by the host (its session) until the thread page takes it; false when the host keeps nothing. */
export async function keepDraft(deps: MessagingDeps, req: Request, draft: SendDraft): Promise<boolean> {
  if (!deps.carry) return false;
  await deps.carry.keep(req, { sendDraft: draft });
  return true;
}

const isIdList = (value: unknown): value is number[] => Array.isArray(value) && value.every((id) => Number.isSafeInteger(id) && id > 0);

/** What came back is a draft (the host hands back whatever it kept). */
function asDraft(value: unknown): SendDraft | undefined {
  const draft = (value as { sendDraft?: Partial<SendDraft> } | undefined)?.sendDraft;
  if (!draft || typeof draft.conversationId !== 'number' || typeof draft.body !== 'string' || typeof draft.error !== 'string' || !isIdList(draft.keptIds)) return undefined;
  const clientId = typeof draft.clientId === 'string' ? draft.clientId : undefined;
  const replyTo = typeof draft.replyTo === 'number' ? draft.replyTo : undefined;
  return { conversationId: draft.conversationId, body: draft.body, error: draft.error, clientId, keptIds: draft.keptIds, replyTo };
}

/** The refused send of this conversation, if one waits: shown once, then gone. */
export async function takeDraft(deps: MessagingDeps, req: Request, me: number, access: ThreadAccess): Promise<{ composer: Omit<Composer, 'replyTo'>; replyTo: number | undefined } | undefined> {
  const draft = deps.carry ? asDraft(deps.carry.take(req)) : undefined;
  if (!draft || draft.conversationId !== access.id) return undefined;
  const kept = await myPending(deps.db, access.id, me, draft.keptIds);
  const files = kept.map((k) => ({ id: k.id, name: k.name, sizeBytes: k.size_bytes }));
  return { composer: { body: draft.body, error: draft.error, clientId: draft.clientId ?? randomUUID(), kept: files }, replyTo: draft.replyTo };
}
