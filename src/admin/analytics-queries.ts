import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { Day } from './analytics-days.js';

export interface RolledUpDay {
  day: Day;
  messages: number;
  senders: number;
  first_reply_seconds: number[];
  attachments: number;
  attachment_bytes: number;
  reports_opened: number;
  resolved_dismiss: number;
  resolved_warn: number;
  resolved_suspend: number;
  resolved_redact: number;
  blocks: number;
  direct_started: number;
  group_started: number;
  computed_at: Date;
}

/**
 * The rolled-up days from `from` to `to` (only those the job has computed: a missing day is a day
 * with nothing). One statement on the rollup tables' primary keys, whatever the history's size.
 */
export async function rolledUpDays(db: Db, from: Day, to: Day): Promise<RolledUpDay[]> {
  return db
    .selectFrom('analytics_days as d')
    .leftJoin(
      (eb) =>
        eb
          .selectFrom('analytics_day_conversations')
          .select([
            'day',
            sql<number>`sum(started) filter (where kind = 'direct')`.as('direct_started'),
            sql<number>`sum(started) filter (where kind = 'group')`.as('group_started'),
          ])
          .where('day', '>=', from)
          .where('day', '<=', to)
          .groupBy('day')
          .as('c'),
      (join) => join.onRef('c.day', '=', 'd.day'),
    )
    .select([
      sql<Day>`to_char(d.day, 'YYYY-MM-DD')`.as('day'),
      'd.messages',
      'd.senders',
      'd.first_reply_seconds',
      'd.attachments',
      'd.attachment_bytes',
      'd.reports_opened',
      'd.resolved_dismiss',
      'd.resolved_warn',
      'd.resolved_suspend',
      'd.resolved_redact',
      'd.blocks',
      sql<number>`coalesce(c.direct_started, 0)::integer`.as('direct_started'),
      sql<number>`coalesce(c.group_started, 0)::integer`.as('group_started'),
      'd.computed_at',
    ])
    .where('d.day', '>=', from)
    .where('d.day', '<=', to)
    .orderBy('d.day')
    .execute();
}
