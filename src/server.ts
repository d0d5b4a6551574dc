import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { connectDatabase } from './db/bootstrap.js';
import { prepareJobTables } from './jobs/runner.js';
import { resolveSessionSecret } from './http/session.js';
import { createLogger } from './logger.js';
import { demoLogins, isEmpty, seedDemo } from './seed/demo.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  const database = await connectDatabase(config, log);
  const { db, pool } = database;
  // The job queue's own tables, made and migrated by graphile-worker beside ours.
  await prepareJobTables(pool, log);

  // A demo to try at once, only in the embedded database: never into a real DATABASE_URL.
  let seeded = false;
  if (database.embedded?.owned && (await isEmpty(db))) {
    await seedDemo(db);
    seeded = true;
  }

  let shuttingDown = false;
  const sessionSecret = await resolveSessionSecret(db, config.sessionSecret);
  // Expired sessions, counters, links and files are swept by the job queue every instance runs.
  const { app, ready, closeStreams, close } = createApp({
    db,
    pool,
    deliveryDb: database.delivery.db,
    log,
    sessionSecret,
    trustProxy: config.trustProxy,
    devErrors: config.development,
    whoCanMessage: config.messagingPolicy,
    attachments: config.attachments,
    sessionLifetime: config.sessions,
    isShuttingDown: () => shuttingDown,
    mail: config.mail,
    runJobs: true,
    pruneSessions: false,
    devMail: !config.production,
  });

  await ready;
  const server = app.listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  }).catch(async (err: NodeJS.ErrnoException) => {
    await database.shutdown();
    console.error(err.code === 'EADDRINUSE' ? `Port ${config.port} is in use: set PORT to a free one.` : err.message);
    process.exit(1);
  });
  const { port } = server.address() as AddressInfo;
  printWelcome(port, database.embedded !== undefined, seeded, config.mail.smtpUrl ? 'smtp' : config.production ? 'outbox-hidden' : 'outbox');

  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info({ signal }, 'shutting down');
    const forced = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, 10_000);
    forced.unref();
    // Event streams never end by themselves: close them first so clients reconnect elsewhere.
    closeStreams();
    server.close();
    server.closeIdleConnections();
    await new Promise((resolve) => server.once('close', resolve));
    await close();
    await database.shutdown();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

function printWelcome(port: number, embedded: boolean, seeded: boolean, mail: 'smtp' | 'outbox' | 'outbox-hidden'): void {
  const lines = [``, `  Courier is running at http://localhost:${port}`];
  if (mail === 'outbox') lines.push(`  Email: no SMTP_URL, so mail is kept in the app: read it at http://localhost:${port}/dev/mail`);
  if (mail === 'outbox-hidden') lines.push(`  Email: no SMTP_URL: mail is kept in the database (mail_outbox), not sent. Set SMTP_URL to send it.`);
  if (embedded) {
    lines.push(`  Database: embedded PostgreSQL (data in .data/postgres; set DATABASE_URL to use your own)`);
    lines.push(seeded ? `  A demo was created. Log in as any of:` : `  Demo logins (if you kept the demo):`);
    for (const { username, password } of demoLogins) lines.push(`    ${username.padEnd(8)} / ${password}`);
  }
  lines.push(`  Press Ctrl-C to stop.`, ``);
  console.log(lines.join('\n'));
}

await main();
