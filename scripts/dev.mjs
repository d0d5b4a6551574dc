// `npm run dev`: rebuilds the CSS as templates change and restarts the server as code changes.

import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';

execFileSync(process.execPath, ['scripts/build-assets.mjs'], { stdio: 'inherit' });

const run = (args, env = process.env) => spawn(process.execPath, args, { stdio: 'inherit', env });
const children = [
  run([path.resolve('node_modules/@tailwindcss/cli/dist/index.mjs'), '-i', 'src/styles/app.css', '-o', 'public/build/app.css', '--watch=always']),
  // The server's only sign that it runs for a developer: its error pages may then show stacks.
  run([path.resolve('node_modules/tsx/dist/cli.mjs'), 'watch', '--clear-screen=false', 'src/server.ts'], { ...process.env, NODE_ENV: 'development' }),
];
const stop = () => children.forEach((child) => child.kill('SIGTERM'));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
