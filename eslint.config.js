import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The layering of the README, as lint. Two rules so the checks compose (in flat config a later
// block replaces a rule's options for the files it matches, it does not add to them):
// `no-restricted-imports` says which folders a folder may reach, and
// `@typescript-eslint/no-restricted-imports` which files may hold express and kysely's `sql`.
// Import paths are matched as written (relative), by the folder or file they climb to.

/** The host's features, one folder each under src/. */
const hostFeatures = ['admin', 'audit', 'auth', 'cli', 'connections', 'email', 'mail', 'people', 'safety', 'seed', 'settings'];
/** The composition root: the only reader of process.env, and the files that wire the features together. */
const compositionRoot = ['config', 'app', 'app-database', 'server'];
const folders = (names) => `^(\\.\\./)+(${names.join('|')})/`;
const rootFiles = (names) => `^(\\.\\./)+(${names.join('|')})\\.js$`;

const plumbingMessage = 'The plumbing (db, http, jobs, media) knows no feature and no configuration: take what is needed as a parameter.';
const messagingMessage = 'The messaging module reaches the host only through its declared deps (src/messaging/deps.ts); it may use the plumbing (http, jobs, media).';

const express = { name: 'express', allowTypeImports: true, message: 'express belongs to web glue (routes/, *routes.ts, router.ts, src/http/, src/app.ts): pass the handler what it needs, not req/res.' };
const sql = { name: 'kysely', importNames: ['sql'], message: 'SQL lives in query files (queries.ts, queries/, *-queries.ts, src/db/): move the statement into one.' };
const webGlue = ['src/**/routes/**/*.ts', 'src/**/*routes.ts', 'src/**/router.ts', 'src/http/**/*.ts', 'src/app.ts'];
const queryFiles = ['src/**/queries.ts', 'src/**/queries/**/*.ts', 'src/**/*-queries.ts', 'src/db/**/*.ts'];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'public/build/', '.data/', 'tests/screenshots/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': ['error', { ignoreRestArgs: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['migrations/**/*.ts'],
    // Migrations are frozen in time and take Kysely<any>: they must not import the app's types.
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['src/db/**/*.ts', 'src/http/**/*.ts', 'src/jobs/**/*.ts', 'src/media/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: folders([...hostFeatures, 'messaging']), message: plumbingMessage }, { regex: rootFiles(compositionRoot), message: plumbingMessage }] }],
    },
  },
  {
    files: ['src/messaging/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: folders([...hostFeatures, 'db']), message: messagingMessage },
            { regex: rootFiles(compositionRoot), message: messagingMessage },
            // The host hands the module its logger: the type may cross, the instance may not.
            { regex: rootFiles(['logger']), allowTypeImports: true, message: messagingMessage },
          ],
        },
      ],
    },
  },
  { files: ['src/**/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': ['error', { paths: [express, sql] }] } },
  { files: webGlue, rules: { '@typescript-eslint/no-restricted-imports': ['error', { paths: [sql] }] } },
  { files: queryFiles, rules: { '@typescript-eslint/no-restricted-imports': ['error', { paths: [express] }] } },
  {
    files: ['public/js/**/*.js'],
    // Each behaviour file is a plain script the build joins into one (scripts/build-assets.mjs),
    // sharing only `Courier`, which the build declares.
    languageOptions: { sourceType: 'script', globals: { Courier: 'readonly', document: 'readonly', window: 'readonly', htmx: 'readonly', Notification: 'readonly', localStorage: 'readonly', fetch: 'readonly', Intl: 'readonly', DataTransfer: 'readonly', navigator: 'readonly', atob: 'readonly', URLSearchParams: 'readonly', MutationObserver: 'readonly' } },
  },
  {
    files: ['public/sw.js'],
    // The service worker: a script of its own, in the worker's global scope.
    languageOptions: { sourceType: 'script', globals: { self: 'readonly', URL: 'readonly' } },
  },
);
