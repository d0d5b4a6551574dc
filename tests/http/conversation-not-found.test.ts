import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { sql } from 'kysely';
import sharp from 'sharp';
import { startTestApp, type Agent, type TestApp } from '../support/app.js';
import { openConversation as open, sendMessage as send } from '../support/messaging.js';
import { newMember, type Member } from '../support/members.js';

// CONTRACT.md, "Rules that hold everywhere": a conversation I am not in, and anything inside it,
// answers exactly as one that does not exist (404, the same page), so no one learns it exists.
// This walks every route of the messaging router that takes a conversation id, found from the
// router itself (a route added later is walked too), plus the search's c= filter.

let t: TestApp;
before(async () => {
  t = await startTestApp({ attachments: { enabled: true, maxFileBytes: 1024 * 1024, dailyBytes: 8 * 1024 * 1024 } });
});

interface RouteLayer {
  rawPath?: string;
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: RouteLayer[] };
}

/** Every `METHOD /messages/...` route whose path holds the conversation id (`:id`), however deep its router. */
function conversationRoutes(): { method: 'get' | 'post'; path: string }[] {
  const app = t.app as unknown as { router: { stack: RouteLayer[] } };
  const routes: { method: 'get' | 'post'; path: string }[] = [];
  const walk = (stack: RouteLayer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const path = `${prefix}${layer.route.path === '/' ? '' : layer.route.path}`;
        if (!path.includes(':id')) continue;
        for (const method of Object.keys(layer.route.methods)) {
          if (method === 'get' || method === 'post') routes.push({ method, path });
        }
      } else if (layer.handle?.stack && typeof layer.rawPath === 'string' && layer.rawPath !== '/') {
        walk(layer.handle.stack, `${prefix}${layer.rawPath}`);
      }
    }
  };
  const messaging = app.router.stack.find((layer) => layer.rawPath === '/messages' && layer.handle?.stack);
  if (messaging) walk(messaging.handle!.stack!, '/messages');
  return routes;
}

/** What a client can compare between two answers: the status, the type and every byte of the body. */
async function answer(request: ReturnType<Agent['get']>) {
  const res = await request.buffer(true);
  return { status: res.status, type: String(res.headers['content-type'] ?? ''), body: Buffer.isBuffer(res.body) ? res.body.toString('utf8') : res.text };
}

describe('a conversation I am not in answers as one that does not exist', () => {
  test('every conversation route, as an outsider and as an admin: 404 and the same page as an unknown id, with and without htmx', async () => {
    const A = await newMember(t, 'nf_a');
    const B = await newMember(t, 'nf_b');
    await t.connect(A.id, B.id);
    const conversation = await open(A, B);
    const messageId = await send(B, conversation, 'between the two of us');
    const png = await sharp({ create: { width: 20, height: 20, channels: 3, background: '#336699' } }).png().toBuffer();
    const upload = await A.agent.post(`/messages/${conversation}/messages`).field('_csrf', A.token).field('body', 'a picture').attach('files', png, { filename: 'p.png', contentType: 'image/png' });
    assert.equal(upload.status, 303, 'the premise: a file in the conversation');
    const file = await sql<{ id: number }>`select id from attachments where conversation_id = ${conversation}`.execute(t.db);
    const fileId = Number(file.rows[0]!.id);
    const { rows: versions } = await sql<{ version: number; max: number }>`select version, (select max(id) from conversations) as max from conversations where id = ${conversation}`.execute(t.db);
    const version = versions[0]!.version;
    const unknown = Number(versions[0]!.max) + 1000;

    const outsider = await newMember(t, 'nf_out');
    await t.connect(outsider.id, A.id);
    const admin = await newMember(t, 'nf_admin');
    await t.db.updateTable('users').set({ role: 'admin' }).where('id', '=', admin.id).execute();
    // The premise: these work for a participant (so a 404 below is about who asks, not the URL).
    assert.equal((await A.agent.get(`/messages/${conversation}/files/${fileId}/thumb`)).status, 200);

    const routes = conversationRoutes();
    const walked = routes.map((r) => `${r.method.toUpperCase()} ${r.path}`);
    // The walk is not vacuous: the routes this contract names are among those found.
    for (const expected of [
      'GET /messages/:id',
      'GET /messages/:id/tail',
      'GET /messages/:id/files',
      'GET /messages/:id/files/:fileId',
      'GET /messages/:id/files/:fileId/thumb',
      'POST /messages/:id/messages',
      'POST /messages/:id/messages/:messageId/delete',
      'POST /messages/:id/messages/:messageId/reactions',
      'POST /messages/:id/typing',
      'POST /messages/:id/archive',
      'POST /messages/:id/delete',
    ]) {
      assert.ok(walked.includes(expected), `${expected} is among the routes walked: ${walked.join(', ')}`);
    }

    const fill = (path: string, id: number) => path.replace(':id', String(id)).replace(':messageId', String(messageId)).replace(':fileId', String(fileId));
    const fields = { body: 'let me in', client_id: randomUUID(), emoji: '👍', on: '1', name: 'x', username: A.username };
    type Probe = { label: string; make: (who: Member, id: number) => ReturnType<Agent['get']> };
    const probes: Probe[] = [];
    for (const route of routes) {
      if (route.method === 'get') {
        const query = route.path.endsWith('/tail') ? `?from=1&v=${version}` : '';
        probes.push({ label: `GET ${route.path}${query}`, make: (who, id) => who.agent.get(fill(route.path, id) + query) });
        probes.push({ label: `htmx GET ${route.path}${query}`, make: (who, id) => who.agent.get(fill(route.path, id) + query).set('HX-Request', 'true') });
      } else {
        probes.push({ label: `POST ${route.path}`, make: (who, id) => who.agent.post(fill(route.path, id)).type('form').send({ _csrf: who.token, ...fields }) });
        probes.push({
          label: `htmx POST ${route.path}`,
          make: (who, id) => who.agent.post(fill(route.path, id)).type('form').set('HX-Request', 'true').set('X-CSRF-Token', who.token).send(fields),
        });
      }
    }
    // Pages that take the conversation in their query, and the multipart send.
    for (const query of ['c=ID', 'q=between&c=ID', 'q=between&c=ID&before=999999999']) {
      probes.push({ label: `GET /messages/search?${query}`, make: (who, id) => who.agent.get(`/messages/search?${query.replace('ID', String(id))}`) });
      probes.push({ label: `htmx GET /messages/search?${query}`, make: (who, id) => who.agent.get(`/messages/search?${query.replace('ID', String(id))}`).set('HX-Request', 'true').set('HX-Target', 'search-results') });
    }
    probes.push({ label: 'GET /messages/:id?before=', make: (who, id) => who.agent.get(`/messages/${id}?before=${messageId + 1}`) });
    probes.push({ label: 'GET /messages/:id?around=', make: (who, id) => who.agent.get(`/messages/${id}?around=${messageId}`) });
    probes.push({
      label: 'multipart POST /messages/:id/messages',
      make: (who, id) => who.agent.post(`/messages/${id}/messages`).field('_csrf', who.token).field('body', 'let me in').attach('files', png, { filename: 'q.png', contentType: 'image/png' }),
    });

    const before = await snapshot(conversation);
    for (const who of [outsider, admin]) {
      for (const probe of probes) {
        const theirs = await answer(probe.make(who, conversation));
        const none = await answer(probe.make(who, unknown));
        assert.equal(none.status, 404, `${who.username} ${probe.label}, unknown id: 404`);
        assert.equal(theirs.status, 404, `${who.username} ${probe.label}, someone else's conversation: 404 (got ${theirs.status})`);
        assert.equal(theirs.type, none.type, `${who.username} ${probe.label}: the same content type`);
        assert.equal(theirs.body, none.body, `${who.username} ${probe.label}: the same page, byte for byte`);
        assert.ok(!theirs.body.includes('between the two of us'));
      }
    }
    assert.deepEqual(await snapshot(conversation), before, 'nothing changed in the conversation');
  });
});

/** Everything stored about the conversation, to show nothing changed. */
async function snapshot(conversation: number) {
  const [conversations, participants, messages, reactions, files] = await Promise.all([
    sql`select * from conversations where id = ${conversation}`.execute(t.db),
    sql`select * from conversation_participants where conversation_id = ${conversation} order by user_id`.execute(t.db),
    sql`select id, sender_id, body, deleted_at from messages where conversation_id = ${conversation} order by id`.execute(t.db),
    sql`select r.* from message_reactions r join messages m on m.id = r.message_id where m.conversation_id = ${conversation}`.execute(t.db),
    sql`select id, message_id from attachments where conversation_id = ${conversation} order by id`.execute(t.db),
  ]);
  return { conversations: conversations.rows, participants: participants.rows, messages: messages.rows, reactions: reactions.rows, files: files.rows };
}
