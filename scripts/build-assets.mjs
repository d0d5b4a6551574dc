// Builds what the browser downloads: Tailwind CSS from the templates, htmx from node_modules, and
// the page's one script from public/js/behaviours/.
import { execFileSync } from 'node:child_process';
import { transformSync } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const out = path.resolve('public/build');
mkdirSync(out, { recursive: true });

copyFileSync(path.resolve('node_modules/htmx.org/dist/htmx.min.js'), path.join(out, 'htmx.min.js'));
// htmx's SSE extension travels inside the page's script (below), not as a file of its own: one
// response fewer on the first load, and compressed together with the code that uses it.
const sseExtension = readFileSync(path.resolve('node_modules/htmx-ext-sse/dist/sse.min.js'), 'utf8');

// The page's behaviours, one small file each, joined into one script (a phone on a slow network
// pays for one request, not one per file). The order is declared here, not read from the folder,
// so a build never depends on file names; util (the shared helpers) comes first. Listeners of one
// event in different files act on different elements, so their order between files does not
// matter. Each file runs in its own function scope; what one offers another goes on `Courier`, an
// object declared once here and local to the script (nothing is added to window).
const behaviours = ['util', 'menus', 'times', 'error-target', 'composer', 'inbox-focus', 'nav-direction', 'typing', 'notifications', 'emoji', 'reactions', 'message-keys', 'message-actions', 'files', 'live-landing', 'live', 'compose-region', 'saved-replies', 'thread-view', 'row-signals', 'image-viewer'];
const behavioursDir = path.resolve('public/js/behaviours');
// Behaviours of one page only, in a script of their own that only that page loads (the pages
// that need them are plain links, never boosted, so the script runs): the first load of every
// other page does not carry them. Each bundle starts with util.
const pageBundles = { settings: ['push'] };
const declared = [...behaviours, ...Object.values(pageBundles).flat()];
const undeclared = readdirSync(behavioursDir).filter((file) => file.endsWith('.js') && !declared.includes(file.slice(0, -3)));
if (undeclared.length) throw new Error(`Add ${undeclared.join(', ')} to the order in scripts/build-assets.mjs`);
// A file's whole-line comments are for its readers and stay in the source: the phone does not
// download them. Safe line by line because the files are plain ES5 (no template literals, so no
// line inside a string); the check keeps it so.
function withoutCommentLines(name) {
  const lines = readFileSync(path.join(behavioursDir, `${name}.js`), 'utf8').trimEnd().split('\n');
  const code = lines.filter((line) => !/^\s*\/\//.test(line));
  if (code.some((line) => line.includes('`'))) throw new Error(`public/js/behaviours/${name}.js: no template literals (comment lines are stripped line by line)`);
  return code.join('\n').replace(/^\n+/, '');
}
const bundle = (names) =>
  [
    '(function () {',
    "'use strict';",
    'var Courier = {};',
    ...names.map((name) => `// ---- ${name}.js ----\n(function () {\n${withoutCommentLines(name)}\n})();`),
    '})();',
    '',
  ].join('\n');
mkdirSync(path.join(out, 'js'), { recursive: true });
// Minified: names shortened and blanks dropped, about a third fewer bytes on the wire than the
// joined sources even after brotli (the first-load budget in tests/http/byte-budgets.test.ts).
// Progressive enhancement only: every page works without these files. The CSP forbids inline
// script and eval, so behaviour that htmx attributes cannot express lives here.
const minify = (code) => transformSync(code, { minify: true, target: 'es2017', legalComments: 'none' }).code;
writeFileSync(path.join(out, 'js/app.js'), `${sseExtension.trim()}\n${minify(bundle(behaviours))}`);
for (const [page, names] of Object.entries(pageBundles)) writeFileSync(path.join(out, `js/${page}.js`), minify(bundle(['util', ...names])));

const cli = path.resolve('node_modules/@tailwindcss/cli/dist/index.mjs');
execFileSync(process.execPath, [cli, '-i', 'src/styles/app.css', '-o', path.join(out, 'app.css'), '--minify'], {
  stdio: ['ignore', 'inherit', 'inherit'],
});

// Every asset also compressed once, at the highest settings (brotli 11, gzip 9), so a phone gets
// the smallest bytes without the server compressing the same file on every request.
import zlib from 'node:zlib';

const compressedDir = path.join(out, 'compressed');
const sources = [
  ['app.css', path.join(out, 'app.css')],
  ['htmx.min.js', path.join(out, 'htmx.min.js')],
  ['js/app.js', path.join(out, 'js/app.js')],
  ...Object.keys(pageBundles).map((page) => [`js/${page}.js`, path.join(out, `js/${page}.js`)]),
  ['favicon.svg', path.resolve('public/favicon.svg')],
];
for (const [name, file] of sources) {
  const bytes = readFileSync(file);
  const target = path.join(compressedDir, name);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(`${target}.br`, zlib.brotliCompressSync(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }));
  writeFileSync(`${target}.gz`, zlib.gzipSync(bytes, { level: 9 }));
}
