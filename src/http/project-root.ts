import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * The project root, where views/ and public/ are, found from this file rather than read from the
 * config, so the plumbing needs none: src/http/ under tsx, dist/src/http/ once compiled.
 */
export const projectRoot = path.basename(path.resolve(here, '../..')) === 'dist' ? path.resolve(here, '../../..') : path.resolve(here, '../..');
