import type { Request, RequestHandler, Response } from 'express';
import { forbidden, HttpError, notFound } from '../../http/errors.js';
import { bodyOf } from '../../http/fields.js';
import { flash } from '../../http/flash.js';
import { render } from '../../http/render.js';
import type { MessagingDeps, MessagingUser, Person } from '../deps.js';
import { threadPeopleFrom, threadPersonIds } from '../present.js';
import type { ThreadAccess } from '../queries/conversations.js';
import { conversationOf, viewer } from '../routes/context.js';
import { checkGroupName, GROUP_OTHERS_MAX } from './group-form.js';
import { BlockedTogether } from './group-queries.js';
import { groupMembers } from './members.js';
import { addMember, leaveGroup, makeAdmin, MembershipRefused, removeMember, renameGroup } from './membership-queries.js';

/** A group's members page and the changes made from it (contract v2, "Group conversations"). */
export function membershipHandlers(deps: MessagingDeps) {
  /** Only a group has members to manage: in a direct conversation these are refused (403). */
  function groupOf(req: Request): ThreadAccess {
    const access = conversationOf(req);
    if (access.kind !== 'group') throw forbidden('Only a group has members to change.');
    return access;
  }

  async function showMembers(req: Request, res: Response, me: MessagingUser, access: ThreadAccess, extra: { error?: string; username?: string; name?: string } = {}, status = 200) {
    const people = threadPeopleFrom(await deps.people.findByIds(threadPersonIds(access, me.id)), me.id, access);
    const admin = access.mine.role === 'admin' && access.mine.leftUptoId === null;
    render(res, 'messages/members', {
      title: `Members of ${people.other.display_name}`,
      access,
      groupName: people.other.display_name,
      members: groupMembers(access, people),
      meId: me.id,
      admin,
      left: access.mine.leftUptoId !== null,
      full: access.members.length >= GROUP_OTHERS_MAX + 1,
      error: extra.error,
      username: extra.username ?? '',
      name: extra.name ?? people.other.display_name,
    }, status);
  }

  /** A refusal, shown on the members page with what was typed kept. */
  async function refused(req: Request, res: Response, err: unknown, kept: { username?: string; name?: string }, subject?: Person) {
    const me = viewer(deps, req);
    const access = groupOf(req);
    const who = subject?.display_name ?? 'That person';
    let status: number;
    let error: string;
    if (err instanceof BlockedTogether) [status, error] = [403, `${who} can’t be added to this group.`];
    else if (err instanceof MembershipRefused) {
      [status, error] = {
        'not-admin': [403, 'Only the group’s admins can change its members or its name.'],
        left: [403, 'You are no longer in this group.'],
        'not-member': [404, `${who} is not in this group.`],
        'already-member': [409, `${who} is already in the group.`],
        full: [409, `A group holds at most ${GROUP_OTHERS_MAX + 1} people.`],
        'last-admin-self': [409, 'Make someone else an admin first.'],
      }[err.reason] as [number, string];
    } else throw err;
    await showMembers(req, res, me, access, { error, ...kept }, status);
  }

  const page: RequestHandler = async (req, res) => {
    await showMembers(req, res, viewer(deps, req), groupOf(req));
  };

  const add: RequestHandler = async (req, res) => {
    const me = viewer(deps, req);
    const access = groupOf(req);
    const typed = String(bodyOf(req).username ?? '').trim().replace(/^@/, '').toLowerCase();
    if (!typed) return showMembers(req, res, me, access, { error: 'Say whom to add: a connection’s username.' }, 400);
    const person = await deps.people.findByUsername(typed);
    if (!person) return showMembers(req, res, me, access, { error: `No one here is called @${typed}.`, username: typed }, 404);
    if (access.mine.role !== 'admin') return refused(req, res, new MembershipRefused('not-admin'), { username: typed }, person);
    if (!(await deps.policy.startableAmong(me.id, [person.id])).has(person.id)) {
      return showMembers(req, res, me, access, { error: `You can add your connections only, and ${person.display_name} is not one.`, username: typed }, 403);
    }
    try {
      await addMember(deps.db, access.id, me.id, person.id);
    } catch (err) {
      return refused(req, res, err, { username: typed }, person);
    }
    await flash(req, `Added ${person.display_name}.`);
    res.redirect(303, `/messages/${access.id}/members`);
  };

  /** The member named in the URL, or a 404. */
  async function named(req: Request): Promise<Person> {
    const person = await deps.people.findByUsername(String(req.params.username ?? '').toLowerCase());
    if (!person) throw notFound('That person');
    return person;
  }

  const remove: RequestHandler = async (req, res) => {
    const me = viewer(deps, req);
    const access = groupOf(req);
    const person = await named(req);
    if (person.id === me.id) throw new HttpError(400, 'To go, leave the group instead.');
    try {
      await removeMember(deps.db, access.id, me.id, person.id);
    } catch (err) {
      return refused(req, res, err, {}, person);
    }
    await flash(req, `Removed ${person.display_name}.`);
    res.redirect(303, `/messages/${access.id}/members`);
  };

  const promote: RequestHandler = async (req, res) => {
    const me = viewer(deps, req);
    const access = groupOf(req);
    const person = await named(req);
    try {
      await makeAdmin(deps.db, access.id, me.id, person.id);
    } catch (err) {
      return refused(req, res, err, {}, person);
    }
    await flash(req, `${person.display_name} is an admin now.`);
    res.redirect(303, `/messages/${access.id}/members`);
  };

  const rename: RequestHandler = async (req, res) => {
    const me = viewer(deps, req);
    const access = groupOf(req);
    const typed = bodyOf(req).name;
    const kept = typeof typed === 'string' ? typed : '';
    const checked = checkGroupName(typed);
    if (checked.error !== undefined) return showMembers(req, res, me, access, { error: checked.error, name: kept }, 400);
    try {
      await renameGroup(deps.db, access.id, me.id, checked.name);
    } catch (err) {
      return refused(req, res, err, { name: kept });
    }
    await flash(req, `Renamed the group “${checked.name}”.`);
    res.redirect(303, `/messages/${access.id}/members`);
  };

  const confirmLeave: RequestHandler = async (req, res) => {
    const me = viewer(deps, req);
    const access = groupOf(req);
    if (access.mine.leftUptoId !== null) return res.redirect(303, `/messages/${access.id}`);
    const people = threadPeopleFrom(await deps.people.findByIds([me.id]), me.id, access);
    render(res, 'messages/leave', { title: `Leave ${people.other.display_name}?`, access, groupName: people.other.display_name });
  };

  const leave: RequestHandler = async (req, res) => {
    const access = groupOf(req);
    try {
      await leaveGroup(deps.db, access.id, viewer(deps, req).id);
    } catch (err) {
      // Left already (another tab): where they would land anyway.
      if (!(err instanceof MembershipRefused)) throw err;
    }
    await flash(req, 'You left the group. What was said while you were in it stays here for you.');
    res.redirect(303, `/messages/${access.id}`);
  };

  return { page, add, remove, promote, rename, confirmLeave, leave };
}
