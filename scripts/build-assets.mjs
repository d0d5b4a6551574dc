// Builds what the browser downloads: Tailwind CSS from the templates, and htmx from node_modules.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

const out = path.resolve('public/build');
mkdirSync(out, { recursive: true });

copyFileSync(path.resolve('node_modules/htmx.org/dist/htmx.min.js'), path.join(out, 'htmx.min.js'));
copyFileSync(path.resolve('node_modules/htmx-ext-sse/dist/sse.min.js'), path.join(out, 'sse.min.js'));

const cli = path.resolve('node_modules/@tailwindcss/cli/dist/index.mjs');
execFileSync(process.execPath, [cli, '-i', 'src/styles/app.css', '-o', path.join(out, 'app.css'), '--minify'], {
  stdio: ['ignore', 'inherit', 'inherit'],
});

// Every asset also compressed once, at the highest settings (brotli 11, gzip 9), so a phone gets
// the smallest bytes without the server compressing the same file on every request.
import { readFileSync, writeFileSync } from 'node:fs';
import zlib from 'node:zlib';

const compressedDir = path.join(out, 'compressed');
const sources = [
  ['app.css', path.join(out, 'app.css')],
  ['htmx.min.js', path.join(out, 'htmx.min.js')],
  ['sse.min.js', path.join(out, 'sse.min.js')],
  ['js/app.js', path.resolve('public/js/app.js')],
  ['favicon.svg', path.resolve('public/favicon.svg')],
];
for (const [name, file] of sources) {
  const bytes = readFileSync(file);
  const target = path.join(compressedDir, name);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(`${target}.br`, zlib.brotliCompressSync(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }));
  writeFileSync(`${target}.gz`, zlib.gzipSync(bytes, { level: 9 }));
}
