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
