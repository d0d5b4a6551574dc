import busboy from 'busboy';
import type { Request } from 'express';
import type { Readable } from 'node:stream';
import type { AttachmentSettings } from '../deps.js';
import type { MessagingDb } from '../schema.js';
import { formatBytes, sniff, SNIFF_BYTES } from './file-types.js';
import { reencodeImage } from './images.js';
import { createPending, discardPending, markComplete, uploadedToday } from './queries.js';
import { ChunkWriter, storeBuffer } from './store.js';

/** Files one message may carry. */
export const MAX_FILES_PER_MESSAGE = 10;

export interface StoredFile {
  id: number;
  name: string;
  sizeBytes: number;
}

export interface UploadOutcome {
  /** Every text field, repeated ones in order. */
  fields: Map<string, string[]>;
  /** Files accepted and stored, pending until the message is. */
  stored: StoredFile[];
  /** One line per refused file (or other problem), for the person to read. */
  errors: string[];
  /** 413 when a refusal was about size, else 400. */
  status: 400 | 413;
  /** No valid CSRF token, or a file arrived before it: nothing was stored. */
  csrfRefused: boolean;
}

export function isMultipart(req: Request): boolean {
  return (req.get('content-type') ?? '').toLowerCase().startsWith('multipart/form-data');
}

/**
 * Reads a multipart message form as it arrives. Each file is judged by its first bytes, then
 * streamed into PostgreSQL chunk by chunk (an image is held once, whole, to be re-encoded). The
 * form's CSRF token comes first (its hidden field leads the form); without a valid one, no file
 * is stored. Nothing here is sent yet: the caller joins `stored` to the message, or discards it.
 */
export async function receiveMultipart(
  req: Request,
  options: {
    db: MessagingDb;
    conversationId: number;
    uploaderId: number;
    settings: AttachmentSettings;
    /** True when a header token already passed the check. */
    csrfChecked: boolean;
    checkCsrf(token: string): Promise<boolean>;
  },
): Promise<UploadOutcome> {
  const { db, settings } = options;
  const outcome: UploadOutcome = { fields: new Map(), stored: [], errors: [], status: 400, csrfRefused: false };
  let csrf: Promise<boolean> = Promise.resolve(options.csrfChecked);
  let quotaLeft: Promise<number> | undefined;
  let files = 0;
  const created: number[] = [];
  // Files are handled strictly one after another: at most one image is ever held in memory.
  let work: Promise<void> = Promise.resolve();
  let failure: unknown;

  const refuse = (error: string, status: 400 | 413 = 400) => {
    outcome.errors.push(error);
    if (status === 413) outcome.status = 413;
  };

  /** `allowed`: the token check as it stood when this file began (a token after it does not count). */
  const handleFile = async (field: string, stream: Readable & { truncated?: boolean }, filename: string | undefined, allowed: Promise<boolean>) => {
    const name = cleanName(filename);
    const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const drain = async () => {
      while (!(await chunks.next()).done) {
        // discarded
      }
    };
    if (field !== 'files' || !(await allowed)) {
      if (field === 'files') outcome.csrfRefused = true;
      return drain();
    }
    // The first bytes decide what the file is.
    const head: Buffer[] = [];
    let headBytes = 0;
    let ended = false;
    while (headBytes < SNIFF_BYTES) {
      const next = await chunks.next();
      if (next.done) {
        ended = true;
        break;
      }
      head.push(next.value);
      headBytes += next.value.length;
    }
    // A file input left empty still sends a part: no name, no bytes.
    if (headBytes === 0 && !filename) return;
    if (!settings.enabled) {
      refuse('Files can’t be sent here: this community shares text only.');
      return drain();
    }
    files += 1;
    if (files > MAX_FILES_PER_MESSAGE) {
      if (files === MAX_FILES_PER_MESSAGE + 1) refuse(`Send at most ${MAX_FILES_PER_MESSAGE} files with one message.`);
      return drain();
    }
    if (headBytes === 0) {
      refuse(`${name} is empty.`);
      return;
    }
    const first = Buffer.concat(head);
    const sniffed = await sniff(first, name);
    if (!sniffed.ok) {
      refuse(sniffed.error);
      return drain();
    }
    const tooBig = () => refuse(`${name} is larger than ${formatBytes(settings.maxFileBytes)}, the most one file may be.`, 413);
    quotaLeft ??= uploadedToday(db, options.uploaderId).then((used) => settings.dailyBytes - used);
    const overQuota = async (size: number) => {
      const left = await quotaLeft!;
      if (size <= left) {
        quotaLeft = Promise.resolve(left - size);
        return false;
      }
      refuse(`${name} would take you past ${formatBytes(settings.dailyBytes)} of files in 24 hours. Try again later, or send a smaller file.`, 413);
      return true;
    };

    if (sniffed.type.kind === 'image') {
      // An image is decoded whole anyway: held once, re-encoded, and only the new pixels kept.
      const parts: Buffer[] = [first];
      let size = headBytes;
      if (!ended) for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
        parts.push(next.value);
        size += next.value.length;
      }
      if (stream.truncated || size > settings.maxFileBytes) return tooBig();
      const image = await reencodeImage(Buffer.concat(parts), sniffed.type.mime, name);
      parts.length = 0;
      if (!image.ok) return refuse(image.error);
      if (await overQuota(image.display.length + image.thumb.length)) return;
      const id = await createPending(db, { conversationId: options.conversationId, uploaderId: options.uploaderId, kind: 'image', name, mime: sniffed.type.mime, width: image.width, height: image.height });
      created.push(id);
      await storeBuffer(db, id, 'display', image.display);
      await storeBuffer(db, id, 'thumb', image.thumb);
      await markComplete(db, id, image.display.length);
      outcome.stored.push({ id, name, sizeBytes: image.display.length });
      return;
    }

    // Any other file streams through: a chunk at a time into the database.
    const id = await createPending(db, { conversationId: options.conversationId, uploaderId: options.uploaderId, kind: 'file', name, mime: sniffed.type.mime });
    created.push(id);
    const writer = new ChunkWriter(db, id, 'original');
    await writer.write(first);
    if (!ended) for (let next = await chunks.next(); !next.done; next = await chunks.next()) await writer.write(next.value);
    const size = await writer.end();
    const over = stream.truncated || size > settings.maxFileBytes;
    if (over || (await overQuota(size))) {
      if (over) tooBig();
      await discardPending(db, [id]);
      return;
    }
    await markComplete(db, id, size);
    outcome.stored.push({ id, name, sizeBytes: size });
  };

  try {
    await new Promise<void>((resolve, reject) => {
      const parser = busboy({
        headers: req.headers,
        defParamCharset: 'utf8',
        // One byte past the limit, so a file exactly at it is whole and one over it is truncated.
        limits: { fileSize: settings.maxFileBytes + 1, files: MAX_FILES_PER_MESSAGE + 5, fields: 50, fieldSize: 100 * 1024, parts: 80 },
      });
      parser.on('field', (name, value) => {
        outcome.fields.set(name, [...(outcome.fields.get(name) ?? []), value]);
        if (name === '_csrf' && !options.csrfChecked) csrf = options.checkCsrf(value);
      });
      parser.on('file', (field, stream, info) => {
        const allowed = csrf;
        work = work.then(async () => {
          // After a failure the rest of the form is only read through, so the parser can finish.
          if (failure !== undefined) return void stream.resume();
          try {
            await handleFile(field, stream, info.filename, allowed);
          } catch (err) {
            failure = err;
            stream.resume();
          }
        });
      });
      parser.on('filesLimit', () => refuse(`Send at most ${MAX_FILES_PER_MESSAGE} files with one message.`));
      parser.on('close', resolve);
      parser.on('error', reject);
      // A client gone halfway: the parser is torn down, which ends the file being read with an
      // error, so the work chain finishes and what was stored is discarded below.
      req.on('close', () => {
        if (req.complete) return;
        const aborted = new Error('upload aborted');
        parser.destroy(aborted);
        reject(aborted);
      });
      req.pipe(parser);
    });
    await work;
    if (failure !== undefined) throw failure;
    // A form without files is checked here: its token must be valid all the same.
    if (!(await csrf)) outcome.csrfRefused = true;
  } catch (err) {
    await work;
    await discardPending(db, created);
    throw err;
  }
  return outcome;
}

/** A file's name as people will see it: no folders, no control characters, at most 255 characters. */
export function cleanName(raw: string | undefined): string {
  const base = (raw ?? '').split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex -- control characters are what is removed
  const clean = base.replace(/[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g, '').trim();
  const chars = [...clean];
  if (chars.length === 0) return 'file';
  if (chars.length <= 255) return clean;
  // Keep the extension when shortening.
  const dot = clean.lastIndexOf('.');
  const extension = dot > 0 && clean.length - dot <= 9 ? clean.slice(dot) : '';
  return chars.slice(0, 255 - extension.length).join('') + extension;
}
