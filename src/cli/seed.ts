import { loadConfig } from '../config.js';
import { connectDatabase } from '../db/bootstrap.js';
import { createLogger } from '../logger.js';
import { demoLogins, seedDemo } from '../seed/demo.js';

// `npm run seed`: the demo people, into whichever database is configured (DATABASE_URL or embedded).
const config = loadConfig();
const database = await connectDatabase(config, createLogger('warn'));
try {
  await seedDemo(database.db);
  console.log(`Demo people created (existing usernames were left alone). Password for each: ${demoLogins[0]?.password}`);
  console.log(demoLogins.map((l) => `  ${l.username}`).join('\n'));
} finally {
  await database.shutdown();
}
