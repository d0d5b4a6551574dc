import type { Request } from 'express';
import { decodeGate } from '../../http/decode-gate.js';
import { readMultipart, type FilePart } from '../../http/multipart.js';
import type { AttachmentSettings } from '../deps.js';
import type { MessagingDb } from '../schema.js';
import { formatBytes, markup, notText, sniff, SNIFF_BYTES } from './file-types.js';
import { inspectImage, MESSAGE_PIXEL_BUDGET, overBudget, reencodeImage } from './images.js';
import { cleanName } from './names.js';
import { discardPending, markComplete, reservePending } from './queries.js';
import { ChunkWriter, storeBuffer } from './store.js';
import { TextScan } from './text-scan.js';

export { isMultipart } from '../../http/multipart.js';

/** Files one message may carry. */
export const MAX_FILES_PER_MESSAGE = 10;

export interface StoredFile {
  id: number;
  name: string;
  sizeBytes: number;
}

export interface UploadOutcome {
  /** Every text field, repeated ones in order, as sent. */
  fields: Map<string, string[]>;
  /** Files accepted and stored, pending until the message is. */
  stored: StoredFile[];
  /** One line per refused file (or other problem), for the person to read. */
  errors: string[];
  /** 413 when a refusal was about size, else 400. */
  status: 400 | 413;
  /** The CSRF token, as the multipart reader found it (`ok` only when it passed; then alone is anything stored). */
  csrf: 'ok' | 'refused' | 'unchecked';
  /** The body broke off or was garbled: nothing was kept of its files. */
  malformed: boolean;
  /** Text fields that held a NUL (which PostgreSQL cannot store). */
  nulIn: Set<string>;
}

/**
 * Reads a multipart message form as it arrives, through the app's one multipart reader (CSRF
 * first). Each file is judged by its first bytes; room for it is reserved in the person's daily
 * quota before the rest streams in (under their lock, so parallel sends cannot overrun it); then it
 * streams into PostgreSQL chunk by chunk, a text file read through for markup as it goes. An image
 * is held once, whole, to be re-encoded: one at a time per person, its header checked against the
 * message's decoding budget before a pixel is decoded, and the decode itself in one of the
 * instance's few slots. Nothing here is sent yet: the caller joins `stored` to the message, or
 * discards it. `filesRefused`: the send is refused (a block, the sending limit): files are read
 * through unopened, nothing is stored or decoded, and the text fields still come. Given as a
 * function, it is asked once, when the first file that is not an empty input arrives (a form
 * without files then costs no check before its text is read).
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
    filesRefused?: boolean | (() => Promise<boolean>);
  },
): Promise<UploadOutcome> {
  const { db, settings } = options;
  const outcome: UploadOutcome = { fields: new Map(), stored: [], errors: [], status: 400, csrf: 'unchecked', malformed: false, nulIn: new Set() };
  const created: number[] = [];
  let files = 0;
  let pixelsLeft = MESSAGE_PIXEL_BUDGET;
  // An upper bound on what any file still to come can weigh: the body's declared length, less the files before it.
  const declared = Number(req.get('content-length'));
  let bodyLeft = Number.isFinite(declared) && declared > 0 ? declared : Infinity;

  const refuse = (error: string, status: 400 | 413 = 400) => {
    outcome.errors.push(error);
    if (status === 413) outcome.status = 413;
  };
  const discard = async (id: number) => {
    await discardPending(db, [id]);
    created.splice(created.indexOf(id), 1);
  };

  let refusal: Promise<boolean> | undefined;
  const refused = () => (typeof options.filesRefused === 'function' ? (refusal ??= options.filesRefused()) : Promise.resolve(false));
  const handleFile = async ({ field, filename, stream }: FilePart) => {
    if (field !== 'files' || options.filesRefused === true) return;
    const name = cleanName(filename);
    const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
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
    if (await refused()) return;
    if (!settings.enabled) return refuse('Files can’t be sent here: this community shares text only.');
    files += 1;
    if (files > MAX_FILES_PER_MESSAGE) {
      if (files === MAX_FILES_PER_MESSAGE + 1) refuse(`Send at most ${MAX_FILES_PER_MESSAGE} files with one message.`);
      return;
    }
    if (headBytes === 0) return refuse(`${name} is empty.`);
    const first = Buffer.concat(head);
    const sniffed = await sniff(first, name);
    if (!sniffed.ok) return refuse(sniffed.error);

    // Room in the day's quota, reserved before the rest of the bytes come in.
    const reservation = await reservePending(
      db,
      { conversationId: options.conversationId, uploaderId: options.uploaderId, kind: sniffed.type.kind, name, mime: sniffed.type.mime },
      { dailyBytes: settings.dailyBytes, want: Math.min(settings.maxFileBytes, bodyLeft), atLeast: headBytes },
    );
    const overQuota = () => refuse(`${name} would take you past ${formatBytes(settings.dailyBytes)} of files in 24 hours. Try again later, or send a smaller file.`, 413);
    if (!reservation.ok) return overQuota();
    const id = reservation.id;
    created.push(id);
    /** Past the reservation: over the size limit, or else over the quota. */
    const tooMuch = async (size: number) => {
      if (size > settings.maxFileBytes) refuse(`${name} is larger than ${formatBytes(settings.maxFileBytes)}, the most one file may be.`, 413);
      else overQuota();
      await discard(id);
    };
    /**
     * Reads the file from its first bytes on, a chunk at a time, until `take` says stop or it
     * passes its reservation (the rest is then left unread, for the reader to drop); the bytes read.
     */
    const readAll = async (take: (chunk: Buffer) => Promise<boolean>): Promise<number> => {
      let size = 0;
      const feed = async (chunk: Buffer) => {
        size += chunk.length;
        return size <= reservation.reserved && (await take(chunk));
      };
      if ((await feed(first)) && !ended) {
        for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
          if (!(await feed(next.value))) break;
        }
      }
      return size;
    };

    if (sniffed.type.kind === 'image') {
      // One image of this person's at a time, from reading it in to the end of its decode.
      const releasePerson = await decodeGate.person(options.uploaderId);
      try {
        const parts: Buffer[] = [];
        const size = await readAll(async (chunk) => {
          parts.push(chunk);
          return true;
        });
        bodyLeft -= size;
        if (size > reservation.reserved || stream.truncated) return await tooMuch(size);
        const bytes = Buffer.concat(parts);
        parts.length = 0;
        // The header first: too many pixels, or past the message's budget, and nothing is decoded.
        const inspected = await inspectImage(bytes, sniffed.type.mime, name);
        if (!inspected.ok) {
          refuse(inspected.error);
          return await discard(id);
        }
        if (inspected.header.pixels > pixelsLeft) {
          refuse(overBudget(name).error);
          return await discard(id);
        }
        pixelsLeft -= inspected.header.pixels;
        // Decoded in one of the instance's few slots, taken by the image pipeline.
        const image = await reencodeImage(bytes, inspected.header, name);
        if (!image.ok) {
          refuse(image.error);
          return await discard(id);
        }
        await storeBuffer(db, id, 'display', image.display);
        await storeBuffer(db, id, 'thumb', image.thumb);
        // The quota counts what was uploaded; what is served is the new, smaller copy.
        await markComplete(db, id, { served: image.display.length, uploaded: size, width: image.width, height: image.height });
        outcome.stored.push({ id, name, sizeBytes: image.display.length });
      } finally {
        releasePerson();
      }
      return;
    }

    // Any other file streams through: a chunk at a time into the database; a text file is read
    // through to its end for markup (and for bytes that are not text after all).
    const writer = new ChunkWriter(db, id, 'original');
    const scan = sniffed.type.mime === 'text/plain' ? new TextScan() : undefined;
    const size = await readAll(async (chunk) => {
      if (scan && scan.push(chunk) !== 'text') return false;
      await writer.write(chunk);
      return true;
    });
    bodyLeft -= size;
    if (size > reservation.reserved || stream.truncated) return await tooMuch(size);
    // Within its reservation, a text file stops early only when the scan says it is not text.
    const verdict = scan?.end() ?? 'text';
    if (verdict !== 'text') {
      refuse(verdict === 'markup' ? markup(name).error : notText(name).error);
      return await discard(id);
    }
    const stored = await writer.end();
    await markComplete(db, id, { served: stored, uploaded: stored });
    outcome.stored.push({ id, name, sizeBytes: stored });
  };

  let form;
  try {
    form = await readMultipart(req, {
      // One byte past the limit, so a file exactly at it is whole and one over it is truncated.
      limits: { fileSize: settings.maxFileBytes + 1, files: MAX_FILES_PER_MESSAGE + 5, fields: 50, fieldSize: 100 * 1024, parts: 80 },
      tokenChecked: options.csrfChecked,
      verifyToken: options.checkCsrf,
      onFile: handleFile,
    });
  } catch (err) {
    await discardPending(db, created);
    throw err;
  }
  outcome.fields = form.fields;
  outcome.csrf = form.csrf;
  outcome.nulIn = form.nulIn;
  outcome.malformed = form.malformed !== undefined;
  if (form.tooManyFiles && files <= MAX_FILES_PER_MESSAGE) refuse(`Send at most ${MAX_FILES_PER_MESSAGE} files with one message.`);
  // A broken or refused form keeps none of its files (a file cut short may look whole).
  if (form.csrf !== 'ok' || outcome.malformed) {
    await discardPending(db, created);
    outcome.stored = [];
  }
  return outcome;
}
