import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root, whether running from src/ (tsx) or dist/src/ (compiled). */
export const projectRoot = findProjectRoot();

export interface Config {
  port: number;
  host: string;
  /** Absent: an embedded PostgreSQL is started, with its data in `embeddedDataDir`. */
  databaseUrl: string | undefined;
  embeddedDataDir: string;
  /** Repeated statements prepared on their connection (DATABASE_PREPARE=off behind a pooler that cannot keep them, as PgBouncer in transaction mode before 1.21). */
  preparedStatements: boolean;
  /** Absent: one is generated once and kept in the database, so every instance shares it. */
  sessionSecret: string | undefined;
  trustProxy: boolean;
  production: boolean;
  /** `npm run dev` (scripts/dev.mjs sets NODE_ENV=development): error pages may show stacks. */
  development: boolean;
  logLevel: string;
  /** Who may start a conversation: only connections (default), or everyone. */
  messagingPolicy: 'connections' | 'everyone';
  /** Files in messages (ATTACHMENTS=off for text only), with their size limits. */
  attachments: { enabled: boolean; maxFileBytes: number; dailyBytes: number };
  /** A session ends after `idleMs` unused, and `absoluteMs` after login whatever happens. */
  sessions: { idleMs: number; absoluteMs: number };
  /** Where email goes (`smtpUrl`; absent: the app's outbox, shown at /dev/mail outside production), from whom, and the site's address its links start with. */
  mail: { smtpUrl: string | undefined; from: string; appUrl: string; delaySeconds: number };
}

export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** The only reader of process.env: everything is read and checked here, once, at boot. */
export function loadConfig(env: Env = process.env): Config {
  return {
    port: readPort(env),
    host: env.HOST?.trim() || '0.0.0.0',
    databaseUrl: readDatabaseUrl(env),
    embeddedDataDir: path.resolve(projectRoot, env.EMBEDDED_PG_DIR?.trim() || '.data/postgres'),
    preparedStatements: readChoice(env, 'DATABASE_PREPARE', ['on', 'off'] as const, 'on') === 'on',
    sessionSecret: readSessionSecret(env),
    trustProxy: readBoolean(env, 'TRUST_PROXY', false),
    production: env.NODE_ENV === 'production',
    development: env.NODE_ENV === 'development',
    logLevel: readLogLevel(env),
    messagingPolicy: readChoice(env, 'MESSAGING_POLICY', ['connections', 'everyone'] as const, 'connections'),
    attachments: {
      enabled: readChoice(env, 'ATTACHMENTS', ['on', 'off'] as const, 'on') === 'on',
      maxFileBytes: readMegabytes(env, 'ATTACHMENT_MAX_MB', 10),
      dailyBytes: readMegabytes(env, 'ATTACHMENT_DAILY_MB', 200),
    },
    sessions: readSessionLifetime(env),
    mail: readMail(env),
  };
}

function readMail(env: Env): Config['mail'] {
  const smtpUrl = env.SMTP_URL?.trim() || undefined;
  if (smtpUrl) {
    const url = parseUrl(smtpUrl, 'SMTP_URL', 'smtp://user:password@host:587');
    if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new ConfigError('SMTP_URL', `must start with smtp:// or smtps:// (got "${url.protocol}//")`);
  }
  const appUrl = (env.APP_URL?.trim() || `http://localhost:${readPort(env)}`).replace(/\/+$/, '');
  const app = parseUrl(appUrl, 'APP_URL', 'https://courier.example.org');
  if (app.protocol !== 'http:' && app.protocol !== 'https:') throw new ConfigError('APP_URL', `must start with http:// or https:// (got "${app.protocol}//")`);
  const from = env.MAIL_FROM?.trim() || `Courier <no-reply@${app.hostname}>`;
  if (!/^([^<>]*<[^<>@\s]+@[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+)$/.test(from)) throw new ConfigError('MAIL_FROM', `must be an address, or a name and <address> (got "${from}")`);

  const rawDelay = env.EMAIL_DELAY_SECONDS?.trim();
  const delaySeconds = rawDelay ? Number(rawDelay) : 600;
  if (rawDelay && (!/^\d+$/.test(rawDelay) || delaySeconds < 1 || delaySeconds > 86_400)) throw new ConfigError('EMAIL_DELAY_SECONDS', `must be a whole number of seconds from 1 to 86400 (got "${rawDelay}")`);
  return { smtpUrl, from, appUrl, delaySeconds };
}

function parseUrl(raw: string, name: string, example: string): URL {
  try {
    return new URL(raw);
  } catch {
    throw new ConfigError(name, `is not a URL (expected ${example})`);
  }
}

const DAY_MS = 24 * 60 * 60 * 1000;

function readSessionLifetime(env: Env): Config['sessions'] {
  const idleDays = readDays(env, 'SESSION_IDLE_DAYS', 30);
  const maxDays = readDays(env, 'SESSION_MAX_DAYS', 90);
  if (maxDays < idleDays) throw new ConfigError('SESSION_MAX_DAYS', `must be at least SESSION_IDLE_DAYS (${idleDays})`);
  return { idleMs: idleDays * DAY_MS, absoluteMs: maxDays * DAY_MS };
}

/** A whole number of days from 1 to 3650. */
function readDays(env: Env, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const days = Number(raw);
  if (!/^\d+$/.test(raw) || days < 1 || days > 3650) throw new ConfigError(name, `must be a whole number of days from 1 to 3650 (got "${raw}")`);
  return days;
}

function readPort(env: Env): number {
  const raw = env.PORT?.trim();
  if (!raw) return 3000;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535) {
    throw new ConfigError('PORT', `must be a whole number from 1 to 65535 (got "${raw}")`);
  }
  return port;
}

function readDatabaseUrl(env: Env): string | undefined {
  const raw = env.DATABASE_URL?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL', 'is not a URL (expected postgres://user@host:port/database)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError('DATABASE_URL', `must start with postgres:// (got "${url.protocol}//")`);
  }
  return raw;
}

function readSessionSecret(env: Env): string | undefined {
  const raw = env.SESSION_SECRET;
  if (raw === undefined || raw === '') return undefined;
  if (raw.length < 32) {
    throw new ConfigError('SESSION_SECRET', 'must be at least 32 characters long');
  }
  return raw;
}

/** A size given in megabytes (decimals allowed), as bytes. */
function readMegabytes(env: Env, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback * 1024 * 1024;
  const mb = Number(raw);
  const bytes = Math.round(mb * 1024 * 1024);
  // A value so small it rounds to no bytes at all would refuse every file: a mistake, not a choice.
  if (!/^\d+(\.\d+)?$/.test(raw) || bytes < 1 || mb > 1024) throw new ConfigError(name, `must be a number of megabytes above 0 and at most 1024 (got "${raw}")`);
  return bytes;
}

function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false (got "${env[name]}")`);
}

function readChoice<T extends string>(env: Env, name: string, choices: readonly T[], fallback: T): T {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return fallback;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${choices.join(', ')} (got "${env[name]}")`);
  }
  return raw as T;
}

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function readLogLevel(env: Env): string {
  const raw = env.LOG_LEVEL?.trim().toLowerCase();
  if (!raw) return 'info';
  if (!logLevels.includes(raw)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${logLevels.join(', ')} (got "${env.LOG_LEVEL}")`);
  }
  return raw;
}

function findProjectRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // src/config.ts -> .., dist/src/config.js -> ../..
  return path.basename(path.dirname(here)) === 'dist' ? path.resolve(here, '../..') : path.resolve(here, '..');
}
