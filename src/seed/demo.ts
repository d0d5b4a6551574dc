import type { Db } from '../db/database.js';
import { hashPassword } from '../auth/password.js';
import { pairOf } from '../connections/policy.js';
import { processAvatar } from '../people/avatar-image.js';
import { saveAvatar } from '../people/avatar-queries.js';
import { seedConversations } from './demo-conversations.js';
import { drawPortrait } from './photos.js';

const PASSWORD = 'courier-demo';

interface DemoUser {
  username: string;
  name: string;
  /** skin, hair, background, shirt; absent: the user keeps the initials avatar. */
  look?: [string, string, [string, string], string];
}

const people: DemoUser[] = [
  { username: 'alice', name: 'Alice Moreau', look: ['#f1c7a5', '#5a3825', ['#8ec5fc', '#e0c3fc'], '#2f6fde'] },
  { username: 'bob', name: 'Bob Okafor', look: ['#8d5a3b', '#1f1a17', ['#f6d365', '#fda085'], '#2e7d32'] },
  { username: 'chen', name: 'Chen Wei', look: ['#f3d2b3', '#111111', ['#a1c4fd', '#c2e9fb'], '#c2185b'] },
  { username: 'dana', name: 'Dana Kowalski', look: ['#f5d0b5', '#c98b3c', ['#d4fc79', '#96e6a1'], '#6a1b9a'] },
  { username: 'emeka', name: 'Emeka Nwosu', look: ['#6b4226', '#0f0f0f', ['#fbc2eb', '#a6c1ee'], '#ef6c00'] },
  { username: 'farah', name: 'Farah Haddad' },
  { username: 'gustavo', name: 'Gustavo Lima' },
];

/** Who is connected, and who has asked whom (pending), so every state of the Connections page shows. */
const connected: [string, string][] = [
  ['alice', 'bob'],
  ['alice', 'chen'],
  ['bob', 'chen'],
  ['bob', 'dana'],
  ['chen', 'emeka'],
];
const pending: [string, string][] = [
  ['dana', 'alice'],
  ['farah', 'alice'],
  ['alice', 'emeka'],
  ['gustavo', 'bob'],
];

export const demoLogins = people.map((p) => ({ username: p.username, password: PASSWORD }));

export async function isEmpty(db: Db): Promise<boolean> {
  return (await db.selectFrom('users').select('id').limit(1).executeTakeFirst()) === undefined;
}

/** Creates the demo people (skipping any username that exists), their photos and connections. */
export async function seedDemo(db: Db): Promise<void> {
  await db.transaction().execute((trx) => seedInto(trx));
}

async function seedInto(db: Db): Promise<void> {
  const passwordHash = await hashPassword(PASSWORD);
  const ids = new Map<string, number>();
  for (const person of people) {
    const row = await db
      .insertInto('users')
      .values({ username: person.username, display_name: person.name, password_hash: passwordHash })
      .onConflict((oc) => oc.column('username').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!row) continue;
    ids.set(person.username, row.id);
    if (person.look) {
      const [skin, hair, background, shirt] = person.look;
      const photo = await processAvatar(await drawPortrait(skin, hair, background, shirt));
      if (photo.ok) await saveAvatar(db, row.id, { small: photo.small, large: photo.large, mail: photo.mail });
    }
  }
  const link = async ([from, to]: [string, string], status: 'pending' | 'accepted') => {
    const a = ids.get(from);
    const b = ids.get(to);
    if (a === undefined || b === undefined) return;
    const { low, high } = pairOf(a, b);
    await db
      .insertInto('connections')
      .values({ user_low: low, user_high: high, requested_by: a, status, accepted_at: status === 'accepted' ? new Date() : null })
      .onConflict((oc) => oc.columns(['user_low', 'user_high']).doNothing())
      .execute();
  };
  for (const pair of connected) await link(pair, 'accepted');
  for (const pair of pending) await link(pair, 'pending');
  await seedConversations(db, ids);
}
