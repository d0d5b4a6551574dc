import { Logger as WorkerLogger, run, runMigrations, type Runner, type TaskList } from 'graphile-worker';
import type pg from 'pg';
import type { Logger } from '../logger.js';

export interface JobRunnerOptions {
  pool: pg.Pool;
  log: Logger;
  tasks: TaskList;
  /** graphile-worker's crontab format: `minute hour day month weekday task ?options`. */
  crontab: string;
  /** Jobs run at once by this instance (default 4). */
  concurrency?: number;
  /** How often to look for jobs whose time came (new jobs are heard at once through LISTEN). */
  pollIntervalMs?: number;
}

export interface JobRunner {
  stop(): Promise<void>;
}

/** graphile-worker's log lines through the app's logger, under `jobs` (its info lines as debug). */
function workerLogger(log: Logger): WorkerLogger {
  return new WorkerLogger((scope) => (level, message, meta) => {
    // A job's payload may hold an address: the log keeps which job, never what it carries.
    const { job, ...rest } = (meta ?? {}) as { job?: { id?: unknown; task_identifier?: unknown; attempts?: unknown } };
    const fields = { jobs: { task: scope.taskIdentifier ?? job?.task_identifier, job: scope.jobId ?? job?.id, attempt: job?.attempts, worker: scope.workerId }, ...rest };
    if (level === 'error') log.error(fields, message);
    else if (level === 'warning') log.warn(fields, message);
    // Each completed job is an info line to graphile-worker: here that would be one every few seconds.
    else log.debug(fields, message);
  });
}

/**
 * The job queue's own tables (graphile-worker's schema and migrations, beside ours): made or
 * brought up to date at boot, before anything may add a job. Concurrent instances serialise.
 */
export async function prepareJobTables(pool: pg.Pool, log: Logger): Promise<void> {
  await runMigrations({ pgPool: pool, logger: workerLogger(log) });
}

/**
 * Runs the queue in this instance: every instance runs one, and each job runs once however many
 * do (a job is locked by the worker that takes it; a crontab item is taken once per tick across
 * instances). A job that throws is retried with exponential backoff; one that was running when
 * its instance died is taken again after its lock expires. Signals stay with the app's own shutdown.
 */
export async function startJobRunner(options: JobRunnerOptions): Promise<JobRunner> {
  const runner: Runner = await run({
    pgPool: options.pool,
    taskList: options.tasks,
    crontab: options.crontab,
    concurrency: options.concurrency ?? 4,
    pollInterval: options.pollIntervalMs ?? 2000,
    noHandleSignals: true,
    logger: workerLogger(options.log),
  });
  // A queue that stops by itself (its database connection lost for good) must say so: nothing else would.
  runner.promise.catch((err: unknown) => options.log.error({ err }, 'the job queue stopped'));
  return { stop: () => runner.stop() };
}
