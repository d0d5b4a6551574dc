import zlib from 'node:zlib';
import type { Request, Response } from 'express';

/** Where an event stream's frames go: the response itself, or a compressor in front of it. */
export interface StreamBody {
  write(frame: string): void;
  end(): void;
  /** Bytes written but not yet taken by the client. */
  backlog(): number;
}

// A small window and little memory per stream (about 48 KB: a person may hold twenty streams): 8 KB
// of history holds the last message event whole (about 4 KB plain), so the next one refers back to
// it and costs about 150 bytes (4 KB of history did not: 1.2 KB each).
const GZIP = { level: 6, windowBits: 13, memLevel: 6, flush: zlib.constants.Z_SYNC_FLUSH } as const;

/**
 * The body of an event stream. A browser that takes gzip gets one compressor for the stream's whole
 * life, flushed after every frame (so each event leaves at once), which keeps the partials it has
 * already sent as history: the second message event costs a fraction of the first.
 * Sets the headers: call before writeHead.
 */
export function openStreamBody(req: Request, res: Response): StreamBody {
  const accepts = /\bgzip\b/.test(req.get('accept-encoding') ?? '');
  if (!accepts) {
    return { write: (frame) => void res.write(frame), end: () => void res.end(), backlog: () => res.writableLength };
  }
  res.setHeader('Content-Encoding', 'gzip');
  res.setHeader('Vary', 'Accept-Encoding');
  const gzip = zlib.createGzip(GZIP);
  gzip.pipe(res);
  // The response going first (the client left) leaves the compressor nothing to write to.
  res.once('close', () => gzip.destroy());
  return {
    write: (frame) => void gzip.write(frame),
    end: () => void gzip.end(),
    backlog: () => gzip.writableLength + gzip.readableLength + res.writableLength,
  };
}
