import assert from 'node:assert/strict';
import { sql } from 'kysely';
import pg from 'pg';
import { before, test } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.js';
import { addJob } from '../../src/jobs/queries.js';
import { sleep } from '../support/sse.js';

// The job queue in a running instance keeps running every kind of job after the periodic sweep
// cleaned the queue's own tables: the sweep once dropped the names of tasks with no job pending,
// which the running worker knows by id, so their next jobs waited unseen until a restart (the
// missed-message emails stopped after the first sweep).

let t: TestApp;
before(async () => {
  t = await startTestApp({ runJobs: true });
});

async function ran(task: string, ms = 10_000): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from graphile_worker.jobs where task_identifier = ${task}`.execute(t.db);
    if (rows[0]!.n === 0) return true;
    if (Date.now() > until) return false;
    await sleep(100);
  }
}

test('after the sweep, a job of a kind none was pending of still runs in the same instance', async () => {
  // The premise: nothing of that kind waits (the digest sweep only comes with its hourly tick).
  const pending = await sql<{ n: number }>`select count(*)::int as n from graphile_worker.jobs where task_identifier = 'messaging:digest-sweep'`.execute(t.db);
  assert.equal(pending.rows[0]!.n, 0);
  await addJob(t.db, 'app:sweep', {});
  assert.ok(await ran('app:sweep'), 'the sweep ran');
  const { rows } = await sql<{ identifier: string }>`select identifier from graphile_worker._private_tasks where identifier = 'messaging:digest-sweep'`.execute(t.db);
  assert.equal(rows.length, 1, 'the name of a task of ours is kept');
  await addJob(t.db, 'messaging:digest-sweep', {});
  assert.ok(await ran('messaging:digest-sweep'), 'and a job of it runs');
});

test('the app’s pool held past its wait for a connection does not stop the queue: a job that failed meanwhile runs again once the pool frees', async () => {
  // Requests stuck on row locks once held every connection: the queue, on the same pool, could
  // not mark a job done within the pool's 5 s and stopped for good (bench:group-live). It has a
  // pool of its own now; the job's own work still needs the app's pool, so it fails, and is retried.
  const pool = t.database.pool;
  const held = await Promise.all(Array.from({ length: pool.options.max ?? 10 }, () => pool.connect()));
  const outside = new pg.Client({ connectionString: t.database.url });
  await outside.connect();
  try {
    await outside.query(`select graphile_worker.add_job('app:sweep', '{}'::json)`);
    await sleep(6_500);
  } finally {
    for (const client of held) client.release();
    await outside.end();
  }
  assert.ok(await ran('app:sweep', 20_000), 'the sweep ran once the pool was free');
  assert.equal(t.logs.filter((line) => line.includes('the job queue stopped')).length, 0, 'the queue never stopped');
});
