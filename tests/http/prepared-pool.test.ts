import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { openDatabase } from '../../src/db/database.js';
import { PreparingPool } from '../../src/db/prepared-pool.js';
import { createLogger } from '../../src/logger.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// A statement the app repeats is prepared on its connection after a few runs (parsed and planned
// once there, not per request); the rest go as before. Checked on the server itself
// (pg_prepared_statements is per connection: the pool here holds one).

let t: TestDatabase;
let pool: pg.Pool;
let preparing: PreparingPool;
let db: Kysely<Record<string, never>>;
before(async () => {
  t = await createTestDatabase();
  pool = new pg.Pool({ connectionString: t.url, max: 1 });
  preparing = new PreparingPool(pool);
  db = new Kysely({ dialect: new PostgresDialect({ pool: preparing }) });
  await sql`create table pp_items (id int primary key, name text not null)`.execute(db);
  await sql`insert into pp_items values (1, 'one'), (2, 'two')`.execute(db);
});
after(async () => {
  await db.destroy();
  await t.drop();
});

const preparedOnServer = async () => (await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(db)).rows.map((r) => r.statement);

test('a statement with parameters is prepared from its fifth run on, and answers the same', async () => {
  const names: string[] = [];
  for (let i = 0; i < 4; i++) names.push((await sql<{ name: string }>`select name from pp_items where id = ${1 + (i % 2)}`.execute(db)).rows[0]!.name);
  assert.equal((await preparedOnServer()).filter((s) => s.includes('pp_items')).length, 0, 'not after four runs');
  for (let i = 0; i < 3; i++) names.push((await sql<{ name: string }>`select name from pp_items where id = ${1 + (i % 2)}`.execute(db)).rows[0]!.name);
  assert.deepEqual(names, ['one', 'two', 'one', 'two', 'one', 'two', 'one']);
  assert.equal((await preparedOnServer()).filter((s) => s.includes('from pp_items where id')).length, 1, 'prepared once, used again');
});

test('a text without parameters is never prepared: it may hold several commands', async () => {
  for (let i = 0; i < 7; i++) await sql`update pp_items set name = name; update pp_items set name = name`.execute(db);
  assert.equal((await preparedOnServer()).filter((s) => s.includes('update pp_items')).length, 0);
});

test('a table changed under a prepared statement: it is prepared again and answers with the new columns', async () => {
  const read = () => sql<Record<string, unknown>>`select * from pp_items where id = ${1}`.execute(db);
  for (let i = 0; i < 6; i++) await read();
  await sql`alter table pp_items add column note text not null default 'added'`.execute(db);
  const row = (await read()).rows[0]!;
  assert.equal(row.note, 'added');
});

test('the number of texts prepared is capped', async () => {
  const before = preparing.prepared;
  // 400 different texts, each run five times: no more than the cap (300) in all.
  for (let n = 0; n < 400; n++) {
    for (let i = 0; i < 5; i++) await sql`select ${sql.raw(String(n))} + ${i}::int as v`.execute(db);
  }
  assert.ok(preparing.prepared > before, 'some were prepared');
  assert.ok(preparing.prepared <= 300, `at most 300 (${preparing.prepared})`);
});

test('the app’s handle prepares by default, and not with prepare: false (DATABASE_PREPARE=off)', async () => {
  for (const prepare of [true, false]) {
    const handle = openDatabase(t.url, createLogger('silent'), { max: 1, prepare });
    try {
      for (let i = 0; i < 6; i++) await sql`select name from pp_items where id = ${1} and ${prepare} = ${prepare}`.execute(handle.db);
      const names = (await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(handle.db)).rows.map((r) => r.statement);
      assert.equal(names.some((s) => s.includes('from pp_items')), prepare, prepare ? 'prepared' : 'not prepared');
    } finally {
      await handle.close();
    }
  }
});

test('genericPlans: every prepared statement runs its generic plan (the live deliveries’ own connection); without it PostgreSQL may plan each run', async () => {
  // An array of any length, as a delivery batch's are: PostgreSQL's own choice is to plan each run.
  const runs = async (genericPlans: boolean) => {
    const handle = openDatabase(t.url, createLogger('silent'), { max: 1, genericPlans });
    try {
      for (let i = 0; i < 12; i++) await sql`select name from pp_items where id in (select * from unnest(${[1 + (i % 2)]}::int[])) and ${genericPlans} = ${genericPlans}`.execute(handle.db);
      const [row] = (await sql<{ generic_plans: string; custom_plans: string }>`select generic_plans, custom_plans from pg_prepared_statements where statement like '%unnest%'`.execute(handle.db)).rows;
      assert.ok(row, 'prepared');
      return { generic: Number(row.generic_plans), custom: Number(row.custom_plans) };
    } finally {
      await handle.close();
    }
  };
  const generic = await runs(true);
  assert.equal(generic.custom, 0, 'no run planned afresh');
  assert.ok(generic.generic >= 7, `the generic plan each time (${generic.generic})`);
  const auto = await runs(false);
  assert.ok(auto.custom >= 5, `PostgreSQL plans the first runs itself (${auto.custom})`);
});
