import { Logger as WorkerLogger, run, runMigrations, type Runner, type TaskList } from 'graphile-worker';
import pg from 'pg';
import type { Logger } from '../logger.js';

export interface JobRunnerOptions {
  /** The app's pool: the queue opens its own beside it, to the same server. */
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
  const concurrency = options.concurrency ?? 4;
  // The queue's own connections: one it listens on, one per job it runs, one for its crontab and
  // its bookkeeping. On the app's pool, requests waiting on row locks could hold every connection
  // past graphile-worker's wait for one, and a job it cannot mark done stops the queue
  // (bench:group-live saw it). The jobs' own work still goes through the app's pool.
  const pool = new pg.Pool({ ...poolSettings(options.pool), max: concurrency + 2, idleTimeoutMillis: 30_000 });
  pool.on('error', (err) => options.log.warn({ err }, 'idle job queue database client failed'));
  pool.on('connect', (client) => client.on('error', (err) => options.log.warn({ err }, 'job queue database client failed')));
  let stopping = false;
  let runner: Runner | undefined;
  let restart: NodeJS.Timeout | undefined;
  const start = async (): Promise<void> => {
    const started = await run({
      pgPool: pool,
      taskList: options.tasks,
      crontab: options.crontab,
      concurrency,
      pollInterval: options.pollIntervalMs ?? 2000,
      noHandleSignals: true,
      logger: workerLogger(options.log),
    });
    runner = started;
    // A queue that stops by itself (its database lost for a while, a job it could not mark done)
    // says so and starts again: jobs left locked are taken again once their lock expires.
    started.promise.then(
      () => undefined,
      (err: unknown) => {
        if (stopping) return;
        options.log.error({ err }, 'the job queue stopped; starting it again in 5 s');
        restart = setTimeout(() => {
          restart = undefined;
          if (!stopping) start().catch((again: unknown) => options.log.error({ err: again }, 'the job queue could not start again'));
        }, 5_000);
        restart.unref();
      },
    );
  };
  await start();
  return {
    async stop() {
      stopping = true;
      if (restart) clearTimeout(restart);
      await runner?.stop().catch(() => {});
      await pool.end();
    },
  };
}

/** How the app's pool reaches its server (the same database and credentials for the queue's own pool). */
function poolSettings(appPool: pg.Pool): pg.PoolConfig {
  const { connectionString, host, port, user, password, database, ssl } = appPool.options;
  return { connectionString, host, port, user, password, database, ssl, connectionTimeoutMillis: 10_000 };
}
