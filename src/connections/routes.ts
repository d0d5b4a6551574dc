import { Router, type Request, type Response } from 'express';
import type { Db } from '../db/database.js';
import { userOf } from '../http/current-user.js';
import { HttpError, forbidden, notFound } from '../http/errors.js';
import { flash } from '../http/flash.js';
import { bodyOf, hasNul, NUL_MESSAGE } from '../http/fields.js';
import { isHtmx, render } from '../http/render.js';
import { safeNext } from '../http/safe-next.js';
import { findPerson, findUserRef } from '../people/queries.js';
import { barredAmong, blockState, isBlockedEitherWay } from '../safety/block-queries.js';
import { listConnections, listPending } from './listing-queries.js';
import { acceptRequest, connectionState, declineRequest, removeConnection, requestConnection } from './queries.js';

type Action = (db: Db, me: number, other: number) => Promise<boolean>;

const notices = {
  accept: (name: string) => `You and ${name} are now connected.`,
  decline: (name: string) => `Request from ${name} declined.`,
  remove: (name: string) => `${name} is no longer in your connections.`,
};

export function connectionRoutes(db: Db): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const me = userOf(req);
    const [connections, received, sent] = await Promise.all([
      listConnections(db, me.id, req.query.after),
      listPending(db, me.id, 'received'),
      listPending(db, me.id, 'sent'),
    ]);
    // A block keeps the connection, but nobody is offered a Message button across it.
    const barred = await barredAmong(db, me.id, connections.items.map((person) => person.id));
    const shown = { ...connections, items: connections.items.map((person) => ({ ...person, blocked: barred.has(person.id) })) };
    render(res, 'connections/index', { title: 'My connections', connections: shown, received, sent });
  });

  router.post('/', async (req, res) => {
    const me = userOf(req);
    const typed = bodyOf(req).username;
    if (hasNul(typed)) throw new HttpError(400, NUL_MESSAGE);
    const username = String(typed ?? '').trim().toLowerCase();
    if (!username) throw new HttpError(400, 'Say whom to connect with.');
    const other = await findUserRef(db, username);
    if (!other) throw notFound('That person');
    if (other.id === me.id) throw new HttpError(400, 'You cannot connect with yourself.');
    if (await isBlockedEitherWay(db, me.id, other.id)) throw forbidden(`You cannot connect with ${other.display_name}.`);
    const state = await requestConnection(db, me.id, other.id);
    // The write found a block made since the check above: nothing was written.
    if (state === 'none') throw forbidden(`You cannot connect with ${other.display_name}.`);
    const name = other.display_name;
    await respond(req, res, username, state === 'connected' ? `You and ${name} are now connected.` : `Request sent to ${name}.`);
  });

  // The page that asks before a removal (without JavaScript there is no dialog to ask in). Like the
  // post: an unknown person is 404, and so is someone I have no connection or request with.
  router.get('/:username/remove', async (req, res) => {
    const me = userOf(req);
    const person = await findPerson(db, me.id, req.params.username.toLowerCase());
    if (!person || (person.state !== 'connected' && person.state !== 'sent')) throw notFound(person ? 'That connection' : 'That person');
    const next = safeNext(req.query.next, `/u/${person.username}`);
    const title = person.state === 'sent' ? `Withdraw your request to ${person.display_name}?` : `Remove ${person.display_name}?`;
    render(res, 'connections/remove', { title, person, next });
  });

  // Accepting brings two people closer, so a block either way stops it; declining and removing
  // only take ties away, and stay possible across a block.
  const act = (name: keyof typeof notices, action: Action, blockedByBlocks: boolean) =>
    router.post(`/:username/${name}`, async (req, res) => {
      const me = userOf(req);
      const username = req.params.username!.toLowerCase();
      const other = await findUserRef(db, username);
      if (!other) throw notFound('That person');
      const done = await action(db, me.id, other.id);
      if (!done) {
        // The write itself refuses across a block (acceptRequest), so a block made a moment ago holds too.
        if (blockedByBlocks && (await isBlockedEitherWay(db, me.id, other.id))) throw forbidden(`You cannot connect with ${other.display_name}.`);
        if (name !== 'remove' && (await connectionState(db, me.id, other.id)) === 'sent') {
          throw forbidden('You sent this request: only the person you asked can accept or decline it.');
        }
        throw notFound(name === 'remove' ? 'That connection' : 'That request');
      }
      await respond(req, res, username, notices[name](other.display_name));
    });
  act('accept', acceptRequest, true);
  act('decline', declineRequest, false);
  act('remove', removeConnection, false);

  /** htmx: the person's action buttons, re-rendered in their new state. Otherwise back where the form was. */
  async function respond(req: Request, res: Response, username: string, notice: string) {
    if (isHtmx(req)) {
      const person = await findPerson(db, userOf(req).id, username);
      const blocks = person ? await blockState(db, userOf(req).id, person.id) : undefined;
      return render(res, 'connections/_actions', { person, blocks, next: safeNext((req.body as Record<string, unknown>)?.next, '/connections'), notice });
    }
    await flash(req, notice);
    res.redirect(303, safeNext((req.body as Record<string, unknown>)?.next, '/connections'));
  }

  return router;
}
