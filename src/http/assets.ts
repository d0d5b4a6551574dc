import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import express, { type RequestHandler } from 'express';
import { projectRoot } from './project-root.js';

/** Built files (CSS, htmx) first, then hand-written ones in public/. */
const assetDirs = [path.join(projectRoot, 'public/build'), path.join(projectRoot, 'public')];

const versions = new Map<string, string>();

/**
 * The URL of a static file with its content hash in the name (`app.3fJx9a_Q2c.css`): the file
 * can then be cached for a year, a new build changes the URL, and caches that ignore query
 * strings still tell versions apart.
 */
export function assetUrl(name: string): string {
  let version = versions.get(name);
  if (version === undefined) {
    const file = assetDirs.map((dir) => path.join(dir, name)).find((candidate) => existsSync(candidate));
    if (!file) throw new Error(`Missing asset ${name}: run npm run build`);
    version = createHash('sha256').update(readFileSync(file)).digest('base64url').slice(0, 10);
    versions.set(name, version);
  }
  const extension = path.extname(name);
  return `/assets/${name.slice(0, name.length - extension.length)}.${version}${extension}`;
}

const compressedDir = path.join(projectRoot, 'public/build/compressed');
const YEAR_SECONDS = 365 * 24 * 60 * 60;

/** The build's files do not change while the app runs: each is looked for on disk once (its size, or undefined when absent). */
const found = new Map<string, number | undefined>();
function compressedSize(file: string): number | undefined {
  if (found.has(file)) return found.get(file);
  const stat = statSync(file, { throwIfNoEntry: false });
  const size = stat?.isFile() ? stat.size : undefined;
  if (found.size < 1000) found.set(file, size);
  return size;
}

/**
 * Static files, with long-lived cache headers (their URLs carry a content hash). A file the
 * build compressed is sent as it is, brotli or gzip as the browser accepts; others go through
 * express.static (and the app's on-the-fly compression).
 */
/** `app.3fJx9a_Q2c.css` is `app.css`: the hash is for caches, the file is the current one. */
const HASHED = /^(.*)\.[A-Za-z0-9_-]{10}(\.[a-z0-9]+)$/;

export function serveAssets(): RequestHandler {
  const router = express.Router();
  router.use((req, _res, next) => {
    const [pathname, query] = req.url.split('?', 2);
    const match = HASHED.exec(pathname!);
    if (match) req.url = `${match[1]}${match[2]}${query === undefined ? '' : `?${query}`}`;
    next();
  });
  router.get(/.*/, (req, res, next) => {
    const name = req.path.replace(/^\/+/, '');
    // Brotli whenever accepted, whatever the order the browser lists them in (Chrome puts gzip first).
    const accepted = req.acceptsEncodings('br') ? 'br' : req.acceptsEncodings('gzip') ? 'gzip' : false;
    if (!accepted || name.includes('..')) return next();
    const file = path.join(compressedDir, `${name}.${accepted === 'br' ? 'br' : 'gz'}`);
    const size = compressedSize(file);
    if (size === undefined) return next();
    res.set({
      'Content-Encoding': accepted,
      Vary: 'Accept-Encoding',
      'Cache-Control': `public, max-age=${YEAR_SECONDS}, immutable`,
      'X-Content-Type-Options': 'nosniff',
    });
    res.type(path.extname(name));
    // No validators: the URL changes with the content and the browser never asks again (immutable),
    // so ETag and Last-Modified would only be bytes on every first load. Nor ranges of a compressed
    // file. Streamed by hand: Express 5's sendFile sets an ETag whatever its options say.
    res.set('Content-Length', String(size));
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file).on('error', next).pipe(res);
  });
  for (const dir of assetDirs) {
    router.use(
      express.static(dir, {
        index: false,
        maxAge: '365d',
        immutable: true,
        setHeaders: (res) => res.setHeader('X-Content-Type-Options', 'nosniff'),
      }),
    );
  }
  return router;
}
