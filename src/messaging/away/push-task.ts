import type { AwayDeps, AwayPush, MessagingDeps } from '../deps.js';
import { pushToDevices } from './push-devices.js';
import { pushData } from './push-queries.js';
import { groupLineText } from '../groups/group-names.js';
import { firstName, unknownPerson } from '../thread-people.js';

/** Characters of a message's text a notification shows (phones show two or three lines). */
const SHOWN = 180;

/** What the service worker (public/sw.js) draws: the sender, the text if wanted, the thread to open. */
export interface PushPayload {
  title: string;
  body: string;
  url: string;
  /** One notification per conversation on a device: a newer one replaces it. */
  tag: string;
}

type PushReady = MessagingDeps & { away: AwayDeps & { push: AwayPush } };

/**
 * One push per new message to each device of the recipient (pushToDevices: only devices whose
 * session lasts; the job fails only when every device did). Skipped when the message was seen or
 * deleted, the conversation muted, or a page of theirs is open and visible.
 */
export function pushTask(deps: PushReady): (payload: unknown) => Promise<void> {
  const { push } = deps.away;
  return async (job) => {
    const { u, m } = job as { u: number; m: number };
    const data = await pushData(deps.db, u, m);
    if (!data) return;
    const people = await deps.people.findByIds([data.senderId, u, ...(data.event?.u !== undefined ? [Number(data.event.u)] : [])]);
    const sender = people.get(data.senderId);
    const text = !data.preview ? 'Sent you a message' : data.body.trim() ? clip(data.body.trim()) : data.files > 0 ? 'Sent a file' : 'Sent you a message';
    // In a group: titled with the group, and who wrote (or what happened: "Ann added you").
    const groupBody = () =>
      data.event
        ? groupLineText(data.event, data.senderId, { me: people.get(u) ?? unknownPerson(u), other: unknownPerson(0), byId: people, group: true })
        : `${firstName(sender?.display_name ?? 'Someone')}: ${data.preview ? text : 'sent a message'}`;
    const payload: PushPayload = {
      title: data.group ?? sender?.display_name ?? 'Courier',
      body: data.group ? groupBody() : text,
      url: `/messages/${data.conversationId}`,
      tag: `conversation-${data.conversationId}`,
    };
    await pushToDevices(deps, push, u, JSON.stringify(payload), { topic: `c${data.conversationId}` });
  };
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length <= SHOWN ? flat : `${flat.slice(0, SHOWN - 1).trimEnd()}…`;
}
