/**
 * A statement of its own (no transaction around it) that PostgreSQL chose to abort to break a
 * deadlock stored nothing: run again, a few times. (A send and a read marking the same rows, the
 * conversation's and participants', may take them in opposite orders.)
 */
export async function deadlockRetried<T>(run: () => Promise<T>, tries = 3): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await run();
    } catch (err) {
      if ((err as { code?: string }).code !== '40P01' || attempt >= tries) throw err;
    }
  }
}
