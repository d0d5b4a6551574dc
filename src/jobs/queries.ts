import { sql, type Kysely } from 'kysely';

export interface JobOptions {
  /** At most one pending job per key: adding one again replaces it (or keeps its time: `preserve_run_at`). */
  jobKey?: string;
  jobKeyMode?: 'replace' | 'preserve_run_at' | 'unsafe_dedupe';
  runAt?: Date;
  maxAttempts?: number;
}

/**
 * Adds a job through graphile-worker's own SQL function, on the caller's connection: inside a
 * transaction, the job exists exactly when what it is about was committed (a rolled-back change
 * leaves no job behind, and a committed one cannot lose its job to a crash in between).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the queue's function is not in any feature's table types
export async function addJob(db: Kysely<any>, task: string, payload: Record<string, unknown>, options: JobOptions = {}): Promise<void> {
  await sql`
    select graphile_worker.add_job(
      ${task},
      payload => ${JSON.stringify(payload)}::json,
      run_at => ${options.runAt ?? null}::timestamptz,
      max_attempts => ${options.maxAttempts ?? null}::smallint,
      job_key => ${options.jobKey ?? null}::text,
      job_key_mode => ${options.jobKeyMode ?? 'replace'}::text
    )`.execute(db);
}
