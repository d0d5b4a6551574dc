import assert from 'node:assert/strict';
import { sql } from 'kysely';
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
