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
export function sweepTask(pool: pg.Pool, log: Logger, sweeps: Record<string, () => Promise<unknown>>): () => Promise<void> {
  return async () => {
    const all = {
      ...sweeps,
      'failed jobs': async () => {
        const utils = await makeWorkerUtils({ pgPool: pool });
        try {
          await utils.cleanup({ tasks: ['DELETE_PERMAFAILED_JOBS', 'GC_TASK_IDENTIFIERS', 'GC_JOB_QUEUES'] });
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
