import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import express, { type RequestHandler } from 'express';
import { projectRoot } from '../config.js';

/** Built files (CSS, htmx) first, then hand-written ones in public/. */
const assetDirs = [path.join(projectRoot, 'public/build'), path.join(projectRoot, 'public')];

const versions = new Map<string, string>();

/**
 * The URL of a static file with its content hash in the query: the file can then be cached
 * for a year, and a new build changes the URL.
 */
export function assetUrl(name: string): string {
  let version = versions.get(name);
  if (version === undefined) {
    const file = assetDirs.map((dir) => path.join(dir, name)).find((candidate) => existsSync(candidate));
    if (!file) throw new Error(`Missing asset ${name}: run npm run build`);
    version = createHash('sha256').update(readFileSync(file)).digest('base64url').slice(0, 10);
    versions.set(name, version);
  }
  return `/assets/${name}?v=${version}`;
}

export function serveAssets(): RequestHandler {
  const router = express.Router();
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
