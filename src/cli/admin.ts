import { loadConfig } from '../config.js';
import { connectDatabase } from '../db/bootstrap.js';
import { createLogger } from '../logger.js';

// `npm run admin -- grant <username>` | `revoke <username>` | `list`. A command, never a web form:
// whoever can run it already controls the server and its database.
const [command, rawUsername] = process.argv.slice(2);
const usage = 'Usage: npm run admin -- grant <username> | revoke <username> | list';

if (!['grant', 'revoke', 'list'].includes(command ?? '') || (command !== 'list' && !rawUsername)) {
  console.error(usage);
  process.exit(2);
}

const database = await connectDatabase(loadConfig(), createLogger('warn'));
let exitCode = 0;
try {
  const { db } = database;
  if (command === 'list') {
    const admins = await db.selectFrom('users').select('username').where('role', '=', 'admin').orderBy('username').execute();
    console.log(admins.length ? admins.map((a) => a.username).join('\n') : '(no admins)');
  } else {
    const username = rawUsername!.trim().toLowerCase();
    const result = await db
      .updateTable('users')
      .set({ role: command === 'grant' ? 'admin' : 'member' })
      .where('username', '=', username)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) {
      console.error(`No user named ${username}.`);
      exitCode = 1;
    } else {
      console.log(command === 'grant' ? `${username} is now an admin.` : `${username} is no longer an admin.`);
    }
  }
} finally {
  await database.shutdown();
}
process.exit(exitCode);
