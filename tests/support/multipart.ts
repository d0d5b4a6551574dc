import { randomUUID } from 'node:crypto';
import http from 'node:http';

// Multipart bodies built by hand, so every byte of the part headers (and where the body stops) is
// the test's to choose, and a raw HTTP client that can stop sending halfway and still read the
// answer: what supertest cannot do.

export type Part =
  | { name: string; value: string }
  | {
      name: string;
      file: Buffer;
      /** Sent as filename="…" (UTF-8 bytes, quotes and backslashes escaped), as browsers do. */
      filename?: string;
      /** Sent as filename*=UTF-8''… (RFC 5987), every byte under our control. */
      filenameStar?: string;
      type?: string;
    };

export const field = (name: string, value: string): Part => ({ name, value });
export const file = (filename: string, bytes: Buffer, type = 'application/octet-stream', name = 'files'): Part => ({ name, file: bytes, filename, type });

const encode5987 = (value: string) => encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export function partHead(boundary: string, part: Part): Buffer {
  let disposition = `form-data; name="${part.name}"`;
  let type = '';
  if ('file' in part) {
    if (part.filenameStar !== undefined) disposition += `; filename*=UTF-8''${encode5987(part.filenameStar)}`;
    else disposition += `; filename="${(part.filename ?? '').replace(/["\\]/g, '\\$&')}"`;
    type = `Content-Type: ${part.type ?? 'application/octet-stream'}\r\n`;
  }
  return Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`, 'utf8');
}

export const newBoundary = () => `----courier-${randomUUID()}`;

/** A whole form: each part, then the closing boundary. */
export function multipart(parts: Part[], boundary = newBoundary()): { body: Buffer; contentType: string; boundary: string } {
  const chunks: Buffer[] = [];
  for (const part of parts) chunks.push(partHead(boundary, part), 'file' in part ? part.file : Buffer.from(part.value, 'utf8'), Buffer.from('\r\n'));
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}`, boundary };
}

export interface RawAnswer {
  status: number;
  body: string;
  /** Whether the answer came while the request body was still unsent (the server stopped reading). */
  beforeBodyEnd: boolean;
}

/**
 * POSTs `head`, then (unless `hold`) the rest of a body of `declaredLength` bytes as zeros in
 * 64 KB pieces at the client's pace, and resolves with the answer. With `hold`, nothing after the
 * head is sent until the answer comes (or `timeoutMs` passes: then status 0), so an answer proves
 * the server decided without the rest of the body.
 */
export function rawPost(
  baseUrl: string,
  path: string,
  options: { cookie: string; contentType: string; head: Buffer; declaredLength: number; hold?: boolean; timeoutMs?: number; headers?: Record<string, string> },
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    let bodyDone = false;
    let settled = false;
    const req = http.request(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { Cookie: options.cookie, 'Content-Type': options.contentType, 'Content-Length': String(options.declaredLength), Accept: 'text/html', ...options.headers },
    });
    const timer = setTimeout(() => {
      settled = true;
      req.destroy();
      resolve({ status: 0, body: '', beforeBodyEnd: !bodyDone });
    }, options.timeoutMs ?? 10_000);
    req.on('response', (res) => {
      const answeredEarly = !bodyDone;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), beforeBodyEnd: answeredEarly });
      });
    });
    req.on('error', (err) => {
      if (!settled && !(err as NodeJS.ErrnoException).code?.startsWith('EC') && (err as NodeJS.ErrnoException).code !== 'EPIPE') {
        clearTimeout(timer);
        settled = true;
        reject(err);
      }
    });
    req.write(options.head);
    if (options.hold) return;
    let left = options.declaredLength - options.head.length;
    const piece = Buffer.alloc(64 * 1024);
    const pump = () => {
      while (left > 0 && !settled) {
        const n = Math.min(left, piece.length);
        left -= n;
        if (!req.write(n === piece.length ? piece : piece.subarray(0, n))) return void req.once('drain', pump);
      }
      if (left <= 0 && !settled) {
        bodyDone = true;
        req.end();
      }
    };
    pump();
  });
}
