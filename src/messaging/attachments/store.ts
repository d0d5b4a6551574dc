import type { Writable } from 'node:stream';
import type { MessagingDb } from '../schema.js';

/** Bytes per stored chunk: small enough to hold one at a time, big enough for few round trips. */
export const CHUNK_BYTES = 256 * 1024;
/** Chunks read per query while serving. */
const CHUNKS_PER_READ = 4;

export type Variant = 'original' | 'display' | 'thumb';

/**
 * Writes one variant of an attachment into PostgreSQL as it arrives: at most one chunk is held
 * in memory, and each full chunk is one INSERT (no transaction or connection held in between, so
 * a slow upload on a bad network ties up nothing).
 */
export class ChunkWriter {
  private parts: Buffer[] = [];
  private held = 0;
  private seq = 0;
  total = 0;

  constructor(
    private readonly db: MessagingDb,
    private readonly attachmentId: number,
    private readonly variant: Variant,
  ) {}

  async write(data: Buffer): Promise<void> {
    this.total += data.length;
    this.parts.push(data);
    this.held += data.length;
    while (this.held >= CHUNK_BYTES) {
      const all = Buffer.concat(this.parts);
      await this.insert(all.subarray(0, CHUNK_BYTES));
      const rest = all.subarray(CHUNK_BYTES);
      this.parts = rest.length ? [rest] : [];
      this.held = rest.length;
    }
  }

  async end(): Promise<number> {
    if (this.held > 0) await this.insert(Buffer.concat(this.parts));
    this.parts = [];
    this.held = 0;
    return this.total;
  }

  private async insert(data: Buffer): Promise<void> {
    await this.db.insertInto('attachment_chunks').values({ attachment_id: this.attachmentId, variant: this.variant, seq: this.seq++, data }).execute();
  }
}

export async function storeBuffer(db: MessagingDb, attachmentId: number, variant: Variant, data: Buffer): Promise<void> {
  const writer = new ChunkWriter(db, attachmentId, variant);
  for (let at = 0; at < data.length; at += CHUNK_BYTES) await writer.write(data.subarray(at, at + CHUNK_BYTES));
  await writer.end();
}

/**
 * Streams a stored variant to the response a few chunks per query, waiting whenever the client
 * is slower than the database, so memory holds a few chunks whatever the file's size.
 */
export async function pipeVariant(db: MessagingDb, attachmentId: number, variant: Variant, out: Writable): Promise<void> {
  let next = 0;
  for (;;) {
    const rows = await db
      .selectFrom('attachment_chunks')
      .select(['seq', 'data'])
      .where('attachment_id', '=', attachmentId)
      .where('variant', '=', variant)
      .where('seq', '>=', next)
      .orderBy('seq')
      .limit(CHUNKS_PER_READ)
      .execute();
    for (const row of rows) {
      if (out.destroyed) return;
      if (!out.write(row.data)) await drained(out);
      next = row.seq + 1;
    }
    if (rows.length < CHUNKS_PER_READ) break;
  }
  out.end();
}

/** Waits for the reader to take more (or to go away), leaving no listener behind either way. */
function drained(out: Writable): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      out.removeListener('drain', done);
      out.removeListener('close', done);
      resolve();
    };
    out.once('drain', done);
    out.once('close', done);
  });
}
