import { Router } from 'express';
import type { Db } from '../db/database.js';
import { userOf } from '../http/current-user.js';
import { notFound } from '../http/errors.js';
import { hasNul, NUL_MESSAGE } from '../http/fields.js';
import { isHtmx, render } from '../http/render.js';
import { barredAmong, blockState } from '../safety/block-queries.js';
import { findPerson, searchPeople } from './queries.js';

const firstString = (value: unknown) => (typeof value === 'string' ? value : '');

/** GET /people (the directory, with search) and GET /u/:username (a profile). */
export function peopleRoutes(db: Db): { directory: Router; profiles: Router } {
  const directory = Router();
  directory.get('/', async (req, res) => {
    const me = userOf(req);
    const q = firstString(req.query.q).trim().slice(0, 100);
    const after = firstString(req.query.after) || undefined;
    if (hasNul(q) || hasNul(after)) {
      const data = { title: 'People', q, page: { items: [], next: undefined }, error: NUL_MESSAGE, returnTo: '/people' };
      return render(res, isHtmx(req) ? 'people/_results' : 'people/index', data, 400);
    }
    const found = await searchPeople(db, me.id, q, after);
    // Across a block, either way, nobody is offered a Message button (one query for the page).
    const barred = await barredAmong(db, me.id, found.items.map((person) => person.id));
    const page = { ...found, items: found.items.map((person) => ({ ...person, blocked: barred.has(person.id) })) };
    const data = { title: 'People', q, page, returnTo: `/people${q ? `?q=${encodeURIComponent(q)}` : ''}` };
    // htmx's active search swaps just the results, and "Load more" appends the next page.
    if (isHtmx(req)) return render(res, after ? 'people/_page' : 'people/_results', data);
    render(res, 'people/index', data);
  });

  const profiles = Router();
  profiles.get('/:username', async (req, res) => {
    const me = userOf(req);
    const person = await findPerson(db, me.id, req.params.username.toLowerCase());
    if (!person) throw notFound('That person');
    const blocks = person.id === me.id ? { iBlocked: false, blockedMe: false } : await blockState(db, me.id, person.id);
    render(res, 'people/profile', { title: person.display_name, person, blocks });
  });

  return { directory, profiles };
}
