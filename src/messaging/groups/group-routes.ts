import type { Request, RequestHandler, Response } from 'express';
import { bodyOf } from '../../http/fields.js';
import { render } from '../../http/render.js';
import type { MessagingDeps, MessagingUser, Person } from '../deps.js';
import { limitsOf, PerPersonQueue, RateLimited, retryPhrase } from '../limits.js';
import { WriteRefused } from '../queries/write-check.js';
import { viewer } from '../routes/context.js';
import { checkGroupForm, groupFormOf, GROUP_OTHERS_MAX, GROUP_OTHERS_MIN, type GroupForm } from './group-form.js';
import { BlockedTogether, createGroup } from './group-queries.js';

/** Connections the picker lists at once (a search narrows them). */
const PICKER_SIZE = 50;

/**
 * A new group (contract v2):
 * - GET /messages/groups/new: the form, a name and my connections to tick;
 * - POST /messages/groups/new: the same form again, its ticks and name kept, with the picker
 *   showing whom `q` finds (the form's Find button, which works without JS and keeps the token
 *   out of the address);
 * - POST /messages/groups {name, members (usernames, repeated), client_id}: 303 to the new group.
 *   A wrong form is a 400, an unknown username a 404, someone who is not my connection (or a block
 *   between two of us) a 403, past the daily limit of new conversations a 429: each with the form
 *   kept as it was sent.
 */
export function groupHandlers(deps: MessagingDeps): { form: RequestHandler; refine: RequestHandler; create: RequestHandler } {
  const limits = limitsOf(deps.limits);
  const queue = new PerPersonQueue();

  async function show(req: Request, res: Response, me: MessagingUser, form: GroupForm, status = 200) {
    const [chosen, found] = await Promise.all([
      deps.people.findByUsernames(form.members),
      deps.contacts ? deps.contacts.search(me.id, form.q, undefined, PICKER_SIZE) : { items: [] as Person[], next: undefined },
    ]);
    const picked = form.members.flatMap((u) => chosen.get(u) ?? []);
    const others = found.items.filter((person) => !form.members.includes(person.username));
    render(res, 'messages/new-group', { title: 'New group', form, picked, others, more: found.next !== undefined, min: GROUP_OTHERS_MIN, max: GROUP_OTHERS_MAX }, status);
  }

  const form: RequestHandler = async (req, res) => {
    const me = viewer(deps, req);
    await show(req, res, me, groupFormOf(req.query as Record<string, unknown>, me.username));
  };

  const refine: RequestHandler = async (req, res) => {
    const me = viewer(deps, req);
    await show(req, res, me, groupFormOf(bodyOf(req), me.username));
  };

  const create: RequestHandler = async (req, res) => {
    const me = viewer(deps, req);
    const fields = bodyOf(req);
    const form = groupFormOf(fields, me.username);
    const checked = checkGroupForm(form, fields);
    if (!checked.ok) return show(req, res, me, form, 400);
    const people = await deps.people.findByUsernames(form.members);
    const unknown = form.members.filter((u) => !people.has(u));
    if (unknown.length > 0) {
      form.errors.members = `No one here is called ${unknown.map((u) => `@${u}`).join(', ')}. Untick ${unknown.length === 1 ? 'that name' : 'those names'} and try again.`;
      return show(req, res, me, form, 404);
    }
    const members = form.members.map((u) => people.get(u)!);
    const startable = await deps.policy.startableAmong(me.id, members.map((p) => p.id));
    const refused = members.filter((p) => !startable.has(p.id));
    if (refused.length > 0) {
      form.errors.members = `You can add your connections only. ${names(refused)} ${refused.length === 1 ? 'is' : 'are'} not among them.`;
      return show(req, res, me, form, 403);
    }
    try {
      const made = await queue.run(me.id, () => createGroup(deps.db, { me: me.id, name: checked.name, members: members.map((p) => p.id), clientId: form.clientId }, limits.conversations));
      res.redirect(303, `/messages/${made.id}`);
    } catch (err) {
      if (err instanceof BlockedTogether) {
        // Which of the two is named says no more than that these two cannot be together.
        const byId = new Map(members.map((p) => [p.id, p]));
        const named = byId.get(err.blockedId) ?? byId.get(err.blockerId);
        form.errors.members = `${named?.display_name ?? 'One of them'} can’t be in a group with everyone you chose. Untick someone and try again.`;
        return show(req, res, me, form, 403);
      }
      if (err instanceof WriteRefused) {
        form.errors.form = 'You cannot start conversations right now.';
        return show(req, res, me, form, 403);
      }
      if (!(err instanceof RateLimited)) throw err;
      res.set('Retry-After', String(err.retryAfterSeconds));
      form.errors.form = `You have started ${limits.conversations.max} new conversations in the last day, the most allowed. You can start this group ${retryPhrase(err.retryAfterSeconds)}; your choices are kept below.`;
      return show(req, res, me, form, 429);
    }
  };

  return { form, refine, create };
}

function names(people: Person[]): string {
  const all = people.map((p) => p.display_name);
  return all.length === 1 ? all[0]! : `${all.slice(0, -1).join(', ')} and ${all[all.length - 1]}`;
}
