// Runs a test suite against a real PostgreSQL: the server in DATABASE_URL when set, otherwise
// one embedded server for the whole run (each test file then makes its own database on it).
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startThrowawayPostgres } from '../src/db/embedded.js';
import { createLogger } from '../src/logger.js';

const suite = process.argv[2] ?? 'http';
const dir = path.resolve('tests', suite);
const files = readdirSync(dir)
  .filter((name) => name.endsWith('.test.ts'))
  .sort()
  .map((name) => path.join(dir, name));

// Pages link to the built CSS and htmx, so the assets must exist before any page renders.
execFileSync(process.execPath, ['scripts/build-assets.mjs'], { stdio: ['ignore', 'ignore', 'inherit'] });

let stop = async () => {};
let adminUrl = process.env.DATABASE_URL;
if (!adminUrl) {
  const server = await startThrowawayPostgres('test', createLogger('warn'));
  // Over its Unix socket, as the app talks to its embedded server (CI's PostgreSQL 15 run is TCP).
  adminUrl = server.socketUrl('postgres');
  stop = server.stop;
  console.log(`# embedded PostgreSQL for this run: ${adminUrl.replace(/:[^:@]*@/, ':***@')}`);
} else {
  console.log('# using the PostgreSQL server in DATABASE_URL');
}

const concurrency = suite === 'browser' ? 1 : Math.max(2, Math.min(os.availableParallelism(), 4));
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${concurrency}`, ...files], {
  stdio: 'inherit',
  env: { ...process.env, TEST_ADMIN_DATABASE_URL: adminUrl, NODE_ENV: 'test' },
});
const code: number = await new Promise((resolve) => child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0))));
await stop();
process.exit(code);
