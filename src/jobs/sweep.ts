import { makeWorkerUtils } from 'graphile-worker';
import type pg from 'pg';
import type { Logger } from '../logger.js';

export const SWEEP_TASK = 'app:sweep';
/** Every ten minutes, once across instances (the queue's crontab takes each tick once). */
export const SWEEP_CRONTAB = `*/10 * * * * ${SWEEP_TASK}`;

/**
 * The periodic clean-up, through the job queue rather than a timer in each instance: expired
 * sessions, rate-limit counters, one-time links, old outbox mail, files never sent, push devices
 * of ended sessions, and the queue's own jobs that failed for good (kept a while for a look, then
 * gone). One failing sweep does not stop the others; the task fails (and is retried) if any did.
 */
export function sweepTask(pool: pg.Pool, log: Logger, sweeps: Record<string, () => Promise<unknown>>, taskNames: () => string[]): () => Promise<void> {
  return async () => {
    const all = {
      ...sweeps,
      'failed jobs': async () => {
        const utils = await makeWorkerUtils({ pgPool: pool });
        try {
          // The queue's task names no job uses any more are dropped, but never ours: a running
          // worker knows each task by the id it read at start, and a name dropped and added again
          // gets a new id, so its jobs would wait, unseen, until the instance restarted (every
          // email after the first sweep with none pending, in every instance).
          await utils.cleanup({ tasks: ['DELETE_PERMAFAILED_JOBS', 'GC_TASK_IDENTIFIERS', 'GC_JOB_QUEUES'], taskIdentifiersToKeep: taskNames() });
        } finally {
          await utils.release();
        }
      },
    };
    const failed: string[] = [];
    for (const [name, sweep] of Object.entries(all)) {
      await sweep().catch((err: unknown) => {
        log.warn({ err, sweep: name }, 'sweep failed');
        failed.push(name);
      });
    }
    if (failed.length > 0) throw new Error(`sweeps failed: ${failed.join(', ')}`);
  };
}
