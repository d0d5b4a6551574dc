import busboy from 'busboy';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Readable } from 'node:stream';

/** One file of a form, as it streams in. */
export interface FilePart {
  field: string;
  /** The name the browser gave (untrusted, uncleaned), if any. */
  filename: string | undefined;
  /** `truncated` is set once the part passed `limits.fileSize`. */
  stream: Readable & { truncated?: boolean };
}

export interface MultipartForm {
  /** Every text field read, repeated ones in order, as sent (a NUL included: see `nulIn`). */
  fields: Map<string, string[]>;
  /**
   * `ok`: the X-CSRF-Token header or the form's first field held a valid token; `refused`: it was
   * wrong, or the first part was something else: reading stopped there, nothing after it was
   * read or given to `onFile`; `unchecked`: the body broke (or ended) before any token came.
   */
  csrf: 'ok' | 'refused' | 'unchecked';
  /** The body could not be read to its end (no boundary, a bad part header, cut short): what went wrong. */
  malformed?: string;
  /** The text fields that held a NUL (never valid text here; PostgreSQL cannot even store it). */
  nulIn: Set<string>;
  /** More files than `limits.files`: the rest were skipped. */
  tooManyFiles: boolean;
}

export interface MultipartOptions {
  limits: busboy.Limits;
  /** True when the caller already checked a token (a header, checked by a router in front). */
  tokenChecked?: boolean;
  /** The CSRF check: true when this token is the session's. */
  verifyToken(token: string): Promise<boolean>;
  /**
   * Handles one file, strictly one after another, and only once the token passed. Whatever it
   * leaves unread is read through and dropped. It may throw when the body breaks under it: that
   * is reported as `malformed`, never thrown.
   */
  onFile(part: FilePart): Promise<void>;
}

export function isMultipart(req: Request): boolean {
  return (req.get('content-type') ?? '').toLowerCase().startsWith('multipart/form-data');
}

/** A CSRF check through the host's middleware, for one token (it reads `_csrf` from the body). */
export function tokenVerifier(guard: RequestHandler, req: Request, res: Response): (token: string) => Promise<boolean> {
  return (token) =>
    new Promise((resolve) => {
      req.body = { _csrf: token };
      void guard(req, res, ((err?: unknown) => resolve(err === undefined)) as NextFunction);
    });
}

/**
 * The app's one way of reading a multipart form, streamed with busboy. The CSRF token is checked
 * first: the X-CSRF-Token header, or else the form's first field, which must be `_csrf` (the
 * hidden input leads every form). A token that fails ends the reading at once: the rest of the
 * body is dropped unread, no file is handed over, nothing is held. A body that breaks (no
 * boundary, a bad part header, cut short) is bad input, reported in `malformed` with the fields
 * read until then, so the caller can answer 400 with the form kept. A client gone halfway rejects.
 */
export async function readMultipart(req: Request, options: MultipartOptions): Promise<MultipartForm> {
  const form: MultipartForm = { fields: new Map(), csrf: 'unchecked', nulIn: new Set(), tooManyFiles: false };
  const header = req.get('x-csrf-token');
  if (options.tokenChecked) form.csrf = 'ok';
  else if (header !== undefined) form.csrf = (await options.verifyToken(header)) ? 'ok' : 'refused';
  // Refused by its header: not a byte of the body is read.
  if (form.csrf === 'refused') return discardRest(req, form);

  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: req.headers, defParamCharset: 'utf8', limits: options.limits });
  } catch (err) {
    // No boundary, or not multipart at all after all.
    form.malformed = (err as Error).message;
    return discardRest(req, form);
  }

  let firstPart = true;
  let token: Promise<boolean> = Promise.resolve(form.csrf === 'ok');
  let stopped = false;
  let failure: unknown;
  // Files go one after another, each only after the token passed.
  let work: Promise<void> = Promise.resolve();

  return new Promise<MultipartForm>((resolve, reject) => {
    let settled = false;
    const finish = async (outcome: 'done' | 'stop') => {
      if (settled) return;
      settled = true;
      if (outcome === 'stop') {
        stopped = true;
        req.unpipe(parser);
        // Ends the file being read (if any) with an error its handler is waiting for.
        parser.destroy();
        req.resume();
      }
      await work;
      // A text-only form can end while its token is still being checked.
      if (!stopped) await token;
      // A handler's error is the server's fault only while the body was fine and read to its end.
      if (failure !== undefined && !stopped && form.malformed === undefined) return reject(failure);
      resolve(form);
    };
    const refuseToken = () => {
      form.csrf = 'refused';
      void finish('stop');
    };
    const checkFirst = (name: string, value?: string) => {
      if (!firstPart) return;
      firstPart = false;
      if (form.csrf === 'ok') return;
      if (name !== '_csrf' || value === undefined) return refuseToken();
      token = options.verifyToken(value).then((ok) => {
        if (ok) form.csrf = 'ok';
        else refuseToken();
        return ok;
      });
    };

    parser.on('field', (name: string, raw: string) => {
      if (stopped) return;
      checkFirst(name, raw);
      if (stopped) return;
      if (raw.includes('\u0000')) form.nulIn.add(name);
      form.fields.set(name, [...(form.fields.get(name) ?? []), raw]);
    });
    parser.on('file', (field: string, stream: FilePart['stream'], info: busboy.FileInfo) => {
      // A body that breaks ends this stream with an error, maybe before its handler has begun to
      // read it: the error is reported through `malformed` (and to a handler reading it then).
      stream.on('error', () => {});
      if (stopped) return void stream.resume();
      checkFirst(field);
      if (stopped) return;
      const allowed = token;
      work = work.then(async () => {
        try {
          if ((await allowed) && !stopped && failure === undefined) await options.onFile({ field, filename: info.filename, stream });
        } catch (err) {
          failure ??= err;
        }
        // Whatever is left unread is read through and dropped, so the parser can go on.
        if (!stream.readableEnded && !stream.destroyed) await drain(stream).catch(() => {});
      });
    });
    parser.on('filesLimit', () => (form.tooManyFiles = true));
    parser.on('error', (err: Error) => {
      if (stopped) return;
      form.malformed = err.message;
      void finish('stop');
    });
    parser.on('close', () => void finish('done'));
    // A client gone halfway: the parser is torn down, which ends the file being read with an
    // error, so the work chain finishes; the caller discards what it stored.
    req.on('close', () => {
      if (req.complete || settled) return;
      settled = true;
      stopped = true;
      const aborted = new Error('upload aborted');
      parser.destroy(aborted);
      void work.then(() => reject(aborted));
    });
    req.pipe(parser);
  });
}

async function drain(stream: Readable): Promise<void> {
  for await (const _chunk of stream) {
    // dropped
  }
}

/** Drops the rest of the body unread and answers with the form as it stands. */
function discardRest(req: Request, form: MultipartForm): MultipartForm {
  req.resume();
  return form;
}
