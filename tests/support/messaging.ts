import assert from 'node:assert/strict';
import type { Agent } from './app.js';

/** Someone who can post: their agent, username and a CSRF token of their session. */
export interface Poster {
  agent: Agent;
  username: string;
  token: string;
}

/** POST /messages {to}: the conversation's id, from the 303 to /messages/:id. */
export async function openConversation(from: Poster, to: { username: string }): Promise<number> {
  const res = await from.agent.post('/messages').type('form').send({ to: to.username, _csrf: from.token });
  assert.equal(res.status, 303, `${from.username} opens a conversation with ${to.username}`);
  const match = /^\/messages\/(\d+)$/.exec(res.headers.location ?? '');
  assert.ok(match, `redirects to the conversation: ${res.headers.location}`);
  return Number(match[1]);
}

/** POST /messages/:id/messages {body}: the new message's id, from the 303 to /messages/:id#m-:id. */
export async function sendMessage(from: Poster, conversationId: number, body: string): Promise<number> {
  const res = await from.agent.post(`/messages/${conversationId}/messages`).type('form').send({ body, _csrf: from.token });
  assert.equal(res.status, 303, `${from.username} sends in ${conversationId}`);
  const match = new RegExp(`^/messages/${conversationId}#m-(\\d+)$`).exec(res.headers.location ?? '');
  assert.ok(match, `redirects to the new message: ${res.headers.location}`);
  return Number(match[1]);
}
