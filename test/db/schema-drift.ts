/**
 * Schema drift check without Prisma's schema engine (which cannot be downloaded everywhere): what
 * prisma/schema.prisma declares, read through Prisma's own parser, against what PostgreSQL's catalogs
 * say the migrated database holds. Both sides become "facts" keyed by the object they describe
 * (`column pets.age` → `integer NULL`), so a difference reads as one line: missing, unexpected or changed.
 *
 * Prisma's parser: `@prisma/internals` (getDMMF) is not a dependency, but the `prisma` CLI package
 * ships the same parser as a wasm-bindgen module (build/prisma_schema_build_bg.wasm, the
 * `@prisma/prisma-schema-wasm` build its CLI uses). Its `get_dmmf` takes and returns strings, so the
 * small loader below is enough to call it offline.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { DEFAULT_MAINTENANCE_DATABASE_URL } from '../../src/config/default-urls.ts';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SCHEMA_PATH = join(REPO_ROOT, 'prisma', 'schema.prisma');
export const SQL_ONLY_OBJECTS_PATH = join(REPO_ROOT, 'prisma', 'migrations', 'sql-only-objects.json');

/** The table Prisma Migrate keeps its history in: expected in every migrated database, not a model. */
const MIGRATIONS_TABLE = '_prisma_migrations';
/** PostgreSQL's NAMEDATALEN - 1: Prisma trims its default constraint names to fit. */
const PG_MAX_IDENTIFIER_LENGTH = 63;

// ---------------------------------------------------------------------------------------------------
// Prisma's DMMF, through the wasm parser shipped in the `prisma` package
// ---------------------------------------------------------------------------------------------------

export interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'enum' | 'object' | 'unsupported';
  type: string;
  isList: boolean;
  isRequired: boolean;
  isUpdatedAt: boolean;
  hasDefaultValue: boolean;
  default?: unknown;
  nativeType?: [string, string[]] | null;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
  relationOnUpdate?: string;
}

export interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
}

export interface DmmfEnum {
  name: string;
  dbName?: string | null;
  values: { name: string; dbName: string | null }[];
}

export interface DmmfIndex {
  model: string;
  type: 'id' | 'unique' | 'normal' | 'fulltext';
  dbName?: string | null;
  algorithm?: string;
  fields: { name: string; sortOrder?: 'asc' | 'desc' }[];
}

export interface DmmfDatamodel {
  models: DmmfModel[];
  enums: DmmfEnum[];
  indexes: DmmfIndex[];
}

interface SchemaWasm {
  exports: {
    memory: WebAssembly.Memory;
    get_dmmf: (ptr: number, len: number) => [number, number, number, number];
    __wbindgen_malloc: (size: number, align: number) => number;
    __wbindgen_free: (ptr: number, size: number, align: number) => void;
    __wbindgen_externrefs: WebAssembly.Table;
    __externref_table_dealloc: (index: number) => void;
    __wbindgen_start: () => void;
  };
}

let schemaWasm: SchemaWasm | undefined;
let lastPanicMessage = '';

/** The parser's location inside the installed `prisma` package (no hard-coded machine paths). */
function schemaWasmPath(): string {
  const prismaPackageJson = createRequire(import.meta.url).resolve('prisma/package.json');
  return join(dirname(prismaPackageJson), 'build', 'prisma_schema_build_bg.wasm');
}

/**
 * Instantiates the wasm once. Its imports are wasm-bindgen glue whose names end in a build hash, so
 * they are matched by prefix, and an unknown import fails loudly (a new prisma version changed the glue).
 */
function loadSchemaWasm(): SchemaWasm {
  if (schemaWasm) return schemaWasm;
  const module = new WebAssembly.Module(readFileSync(schemaWasmPath()));
  let instance: SchemaWasm | undefined;
  const text = (ptr: number, len: number) =>
    new TextDecoder().decode(
      new Uint8Array((instance as SchemaWasm).exports.memory.buffer, ptr >>> 0, len >>> 0),
    );
  const glue: [string, (...args: number[]) => unknown][] = [
    ['__wbg_Error_', (ptr = 0, len = 0) => new Error(text(ptr, len))],
    [
      '__wbg___wbindgen_throw_',
      (ptr = 0, len = 0) => {
        throw new Error(text(ptr, len));
      },
    ],
    [
      '__wbg_set_message_',
      (ptr = 0, len = 0) => {
        lastPanicMessage = text(ptr, len);
      },
    ],
    [
      '__wbindgen_init_externref_table',
      () => initExternrefTable((instance as SchemaWasm).exports.__wbindgen_externrefs),
    ],
  ];
  const imports: Record<string, Record<string, (...args: number[]) => unknown>> = {};
  for (const wanted of WebAssembly.Module.imports(module)) {
    const handler = glue.find(([prefix]) => wanted.name.startsWith(prefix))?.[1];
    if (!handler) throw new Error(`prisma_schema_build_bg.wasm needs an unknown import ${wanted.name}`);
    imports[wanted.module] = { ...imports[wanted.module], [wanted.name]: handler };
  }
  instance = new WebAssembly.Instance(module, imports) as unknown as SchemaWasm;
  instance.exports.__wbindgen_start();
  schemaWasm = instance;
  return instance;
}

/** What wasm-bindgen's generated JS does: reserve the table slots for undefined, null, true, false. */
function initExternrefTable(table: WebAssembly.Table): void {
  const offset = table.grow(4);
  table.set(0, undefined);
  table.set(offset + 0, undefined);
  table.set(offset + 1, null);
  table.set(offset + 2, true);
  table.set(offset + 3, false);
}

/** Prisma's DMMF datamodel for a schema, exactly as `prisma generate` computes it. */
export function getDmmfDatamodel(schemaText: string, fileName = 'schema.prisma'): DmmfDatamodel {
  const wasm = loadSchemaWasm().exports;
  const input = new TextEncoder().encode(
    JSON.stringify({ prismaSchema: [[fileName, schemaText]], noColor: true }),
  );
  const inputPtr = wasm.__wbindgen_malloc(input.length, 1) >>> 0;
  new Uint8Array(wasm.memory.buffer).set(input, inputPtr);

  let result: [number, number, number, number];
  try {
    result = wasm.get_dmmf(inputPtr, input.length);
  } catch (error) {
    throw new Error(`Prisma's schema parser panicked: ${lastPanicMessage || String(error)}`);
  }
  const [outPtr, outLen, errorIndex, isError] = result;
  if (isError) throw schemaError(wasm, errorIndex);

  const json = new TextDecoder().decode(new Uint8Array(wasm.memory.buffer, outPtr >>> 0, outLen >>> 0));
  wasm.__wbindgen_free(outPtr, outLen, 1);
  return (JSON.parse(json) as { datamodel: DmmfDatamodel }).datamodel;
}

function schemaError(wasm: SchemaWasm['exports'], index: number): Error {
  const error = wasm.__wbindgen_externrefs.get(index) as Error;
  wasm.__externref_table_dealloc(index);
  try {
    const { message } = JSON.parse(error.message) as { message?: string };
    return new Error(`Prisma schema is invalid:\n${message ?? error.message}`);
  } catch {
    return error;
  }
}

// ---------------------------------------------------------------------------------------------------
// Facts: one entry per database object, keyed by what it is, valued by how it looks
// ---------------------------------------------------------------------------------------------------

/** Key → description. An expected value of null accepts any description (raw-SQL objects). */
export type SchemaFacts = Map<string, string | null>;
/** What the database holds: key → description. */
export type DatabaseFacts = Map<string, string>;

export interface SqlOnlyObject {
  kind: 'index' | 'sequence' | 'check' | 'function' | 'trigger';
  name: string;
  table: string;
}

export function loadSqlOnlyObjects(path = SQL_ONLY_OBJECTS_PATH): SqlOnlyObject[] {
  return (JSON.parse(readFileSync(path, 'utf8')) as { objects: SqlOnlyObject[] }).objects;
}

/** The key a raw-SQL object has among the database facts. */
export function sqlOnlyObjectKey(object: SqlOnlyObject): string {
  switch (object.kind) {
    case 'index':
      return `index ${object.table}.${object.name}`;
    case 'check':
      return `check ${object.table}.${object.name}`;
    case 'trigger':
      return `trigger ${object.table}.${object.name}`;
    case 'sequence':
      return `sequence ${object.name}`;
    case 'function':
      return `function ${object.name}`;
  }
}

/** What the database must hold: the models and enums of the schema plus the raw-SQL objects. */
export function expectedFacts(datamodel: DmmfDatamodel, sqlOnlyObjects: SqlOnlyObject[]): SchemaFacts {
  const facts: SchemaFacts = new Map();
  for (const enm of datamodel.enums) {
    facts.set(`enum ${enm.dbName ?? enm.name}`, `(${enm.values.map((v) => v.dbName ?? v.name).join(', ')})`);
  }
  for (const model of datamodel.models) addModelFacts(facts, model, datamodel);
  for (const index of datamodel.indexes) addIndexFact(facts, index, datamodel);
  for (const object of sqlOnlyObjects) facts.set(sqlOnlyObjectKey(object), null);
  return facts;
}

function tableName(model: DmmfModel): string {
  return model.dbName ?? model.name;
}

function columnName(field: DmmfField): string {
  return field.dbName ?? field.name;
}

function findModel(datamodel: DmmfDatamodel, name: string): DmmfModel {
  const model = datamodel.models.find((m) => m.name === name);
  if (!model) throw new Error(`DMMF has no model ${name}`);
  return model;
}

function columnOf(model: DmmfModel, fieldName: string): string {
  const field = model.fields.find((f) => f.name === fieldName);
  if (!field) throw new Error(`DMMF model ${model.name} has no field ${fieldName}`);
  return columnName(field);
}

function addModelFacts(facts: SchemaFacts, model: DmmfModel, datamodel: DmmfDatamodel): void {
  const table = tableName(model);
  facts.set(`table ${table}`, '');
  for (const field of model.fields) {
    if (field.kind === 'scalar' || field.kind === 'enum') {
      facts.set(`column ${table}.${columnName(field)}`, expectedColumn(field, table, datamodel));
      if (isAutoincrement(field)) {
        facts.set(`sequence ${table}_${columnName(field)}_seq`, `OWNED BY ${table}.${columnName(field)}`);
      }
    }
    if (field.kind === 'object' && (field.relationFromFields?.length ?? 0) > 0) {
      addForeignKeyFact(facts, model, field, datamodel);
    }
  }
}

function expectedColumn(field: DmmfField, table: string, datamodel: DmmfDatamodel): string {
  const type = expectedColumnType(field, datamodel) + (field.isList ? '[]' : '');
  const nullability = field.isRequired ? 'NOT NULL' : 'NULL';
  const dbDefault = expectedDefault(field, table);
  return dbDefault === undefined ? `${type} ${nullability}` : `${type} ${nullability} DEFAULT ${dbDefault}`;
}

/** Prisma's PostgreSQL type for a scalar without @db.*, as its migrations render it. */
const DEFAULT_POSTGRES_TYPES: Record<string, string> = {
  String: 'text',
  Boolean: 'boolean',
  Int: 'integer',
  BigInt: 'bigint',
  Float: 'double precision',
  Decimal: 'numeric(65,30)',
  DateTime: 'timestamp(3)',
  Json: 'jsonb',
  Bytes: 'bytea',
};

/** @db.* native types, in the spelling `format_type()` gives once normalised (see normaliseSqlType). */
const NATIVE_POSTGRES_TYPES: Record<string, string> = {
  Text: 'text',
  Char: 'char',
  VarChar: 'varchar',
  Bit: 'bit',
  VarBit: 'bit varying',
  Uuid: 'uuid',
  Xml: 'xml',
  Inet: 'inet',
  Citext: 'citext',
  Boolean: 'boolean',
  Integer: 'integer',
  SmallInt: 'smallint',
  BigInt: 'bigint',
  Oid: 'oid',
  DoublePrecision: 'double precision',
  Real: 'real',
  Decimal: 'numeric',
  Money: 'money',
  Timestamp: 'timestamp',
  Timestamptz: 'timestamptz',
  Date: 'date',
  Time: 'time',
  Timetz: 'timetz',
  Json: 'json',
  JsonB: 'jsonb',
  ByteA: 'bytea',
};

function expectedColumnType(field: DmmfField, datamodel: DmmfDatamodel): string {
  if (field.kind === 'enum') {
    const enm = datamodel.enums.find((e) => e.name === field.type);
    return enm?.dbName ?? field.type;
  }
  if (field.nativeType) {
    const [name, args] = field.nativeType;
    const base = NATIVE_POSTGRES_TYPES[name];
    if (!base)
      throw new Error(`schema-drift: no SQL type known for @db.${name}; add it to NATIVE_POSTGRES_TYPES`);
    return args.length > 0 ? `${base}(${args.join(',')})` : base;
  }
  const base = DEFAULT_POSTGRES_TYPES[field.type];
  if (!base) throw new Error(`schema-drift: no SQL type known for Prisma type ${field.type}`);
  return base;
}

/** Defaults computed by Prisma Client, not the database: no DEFAULT clause in the migration. */
const CLIENT_SIDE_DEFAULTS = new Set(['uuid', 'cuid', 'nanoid', 'ulid']);

function isAutoincrement(field: DmmfField): boolean {
  return defaultFunction(field)?.name === 'autoincrement';
}

function defaultFunction(field: DmmfField): { name: string; args: unknown[] } | undefined {
  const value = field.default;
  if (typeof value === 'object' && value !== null && 'name' in value) {
    return value as { name: string; args: unknown[] };
  }
  return undefined;
}

/**
 * The DEFAULT expression PostgreSQL should report (casts stripped, see normaliseDefault), or
 * undefined for no database default. @updatedAt alone and uuid()/cuid() have none.
 */
function expectedDefault(field: DmmfField, table: string): string | undefined {
  if (!field.hasDefaultValue) return undefined;
  const fn = defaultFunction(field);
  if (fn) {
    if (CLIENT_SIDE_DEFAULTS.has(fn.name)) return undefined;
    if (fn.name === 'now') return 'CURRENT_TIMESTAMP';
    if (fn.name === 'autoincrement') return `nextval('${table}_${columnName(field)}_seq')`;
    if (fn.name === 'dbgenerated' && typeof fn.args[0] === 'string') return fn.args[0];
    throw new Error(`schema-drift: unsupported @default(${fn.name}(...)) on ${table}.${columnName(field)}`);
  }
  return sqlLiteral(field.default);
}

function sqlLiteral(value: unknown): string {
  if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function addIndexFact(facts: SchemaFacts, index: DmmfIndex, datamodel: DmmfDatamodel): void {
  if (index.type === 'fulltext')
    throw new Error('schema-drift: fulltext indexes are not supported on PostgreSQL');
  const model = findModel(datamodel, index.model);
  const table = tableName(model);
  const columns = index.fields.map((f) => columnOf(model, f.name));
  const columnList = index.fields
    .map((f, i) => `${columns[i]}${f.sortOrder === 'desc' ? ' DESC' : ''}`)
    .join(', ');

  if (index.type === 'id') {
    facts.set(`primary key ${table}`, `${index.dbName ?? primaryKeyName(table)} (${columnList})`);
    return;
  }
  const unique = index.type === 'unique';
  const name = index.dbName ?? defaultConstraintName(table, columns, unique ? '_key' : '_idx');
  const using =
    index.algorithm && index.algorithm.toLowerCase() !== 'btree'
      ? ` USING ${index.algorithm.toLowerCase()}`
      : '';
  facts.set(`index ${table}.${name}`, `${unique ? 'UNIQUE ' : ''}(${columnList})${using}`);
}

/**
 * A relation's foreign key. DMMF does not carry `@relation(map: ...)`, so the name is Prisma's
 * default; a relation given a custom name would show here as a changed name (then teach this code).
 */
function addForeignKeyFact(facts: SchemaFacts, model: DmmfModel, field: DmmfField, datamodel: DmmfDatamodel) {
  const table = tableName(model);
  const referenced = findModel(datamodel, field.type);
  const columns = (field.relationFromFields ?? []).map((f) => columnOf(model, f));
  const referencedColumns = (field.relationToFields ?? []).map((f) => columnOf(referenced, f));
  // Prisma's referential-action defaults: Restrict (required) / SetNull (optional) on delete, Cascade on update.
  const onDelete = field.relationOnDelete ?? (field.isRequired ? 'Restrict' : 'SetNull');
  const onUpdate = field.relationOnUpdate ?? 'Cascade';
  facts.set(
    `foreign key ${table}.${defaultConstraintName(table, columns, '_fkey')}`,
    `(${columns.join(', ')}) REFERENCES ${tableName(referenced)}(${referencedColumns.join(', ')}) ` +
      `ON DELETE ${sqlAction(onDelete)} ON UPDATE ${sqlAction(onUpdate)}`,
  );
}

function sqlAction(prismaAction: string): string {
  return prismaAction.replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
}

/** psl's ConstraintNames: `{table}_pkey`, trimmed to fit PostgreSQL's identifier length. */
function primaryKeyName(table: string): string {
  const suffix = '_pkey';
  const limit = PG_MAX_IDENTIFIER_LENGTH - suffix.length;
  return `${table.length >= limit ? table.slice(0, limit) : table}${suffix}`;
}

/** psl's ConstraintNames: `{table}_{columns}{suffix}`, trimmed to fit PostgreSQL's identifier length. */
function defaultConstraintName(table: string, columns: string[], suffix: string): string {
  const base = `${table}_${columns.join('_')}`;
  const limit = PG_MAX_IDENTIFIER_LENGTH - suffix.length;
  return `${base.length >= limit ? base.slice(0, limit) : base}${suffix}`;
}

// ---------------------------------------------------------------------------------------------------
// What the database holds, from PostgreSQL's catalogs (the current schema only)
// ---------------------------------------------------------------------------------------------------

export interface Queryable {
  query: (text: string, values?: unknown[]) => Promise<{ rows: unknown[] }>;
}

async function rows<T>(db: Queryable, sql: string): Promise<T[]> {
  return (await db.query(sql)).rows as T[];
}

/** Objects that belong to an extension are the extension's business, not the migrations'. */
const NOT_FROM_EXTENSION = (oid: string) =>
  `NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.objid = ${oid} AND dep.deptype = 'e')`;

export async function readDatabaseFacts(db: Queryable): Promise<DatabaseFacts> {
  const facts: DatabaseFacts = new Map();
  const readers = [
    readTables,
    readColumns,
    readIndexes,
    readForeignKeys,
    readChecks,
    readEnums,
    readOtherTypes,
    readSequences,
    readViews,
    readFunctions,
    readTriggers,
  ];
  for (const read of readers) {
    for (const [key, value] of await read(db)) facts.set(key, value);
  }
  // Prisma Migrate's own history table is expected in every migrated database (migrations.test.ts checks its shape).
  for (const key of facts.keys()) {
    if (isMigrationsTableFact(key)) facts.delete(key);
  }
  return facts;
}

function isMigrationsTableFact(key: string): boolean {
  return (
    key === `table ${MIGRATIONS_TABLE}` ||
    key === `primary key ${MIGRATIONS_TABLE}` ||
    key.startsWith(`column ${MIGRATIONS_TABLE}.`) ||
    key.startsWith(`index ${MIGRATIONS_TABLE}.`)
  );
}

type Entries = [string, string][];

async function readTables(db: Queryable): Promise<Entries> {
  const found = await rows<{ name: string }>(
    db,
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')`,
  );
  return found.map((r) => [`table ${r.name}`, '']);
}

async function readColumns(db: Queryable): Promise<Entries> {
  const found = await rows<{
    table: string;
    column: string;
    type: string;
    not_null: boolean;
    default: string | null;
    identity: string;
    generated: string;
  }>(
    db,
    `SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
            a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS default,
            a.attidentity AS identity, a.attgenerated AS generated
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped`,
  );
  return found.map((r) => {
    let description = `${normaliseSqlType(r.type)} ${r.not_null ? 'NOT NULL' : 'NULL'}`;
    if (r.default !== null)
      description += ` ${r.generated === 's' ? 'GENERATED' : 'DEFAULT'} ${normaliseDefault(r.default)}`;
    if (r.identity) description += ' IDENTITY';
    return [`column ${r.table}.${r.column}`, description];
  });
}

/** `format_type()` spelling → the short spelling Prisma's migrations use (VARCHAR(n), TIMESTAMPTZ(p)). */
export function normaliseSqlType(formatted: string): string {
  const array = formatted.endsWith('[]');
  const type = (array ? formatted.slice(0, -2) : formatted)
    .replaceAll('"', '')
    .replace(/^character varying/, 'varchar')
    .replace(/^character\b/, 'char')
    .replace(/^timestamp(\(\d+\))? with time zone$/, 'timestamptz$1')
    .replace(/^timestamp(\(\d+\))? without time zone$/, 'timestamp$1')
    .replace(/^time(\(\d+\))? with time zone$/, 'timetz$1')
    .replace(/^time(\(\d+\))? without time zone$/, 'time$1');
  return array ? `${type}[]` : type;
}

/**
 * PostgreSQL reports defaults with casts (`'available'::pet_status`, `'-1'::integer`,
 * `nextval('x_seq'::regclass)`); Prisma's side has none, so casts go.
 */
export function normaliseDefault(expression: string): string {
  const withoutCasts = expression.replace(/::[a-z_][\w ".]*(\(\d+(,\d+)?\))?(\[\])?/gi, '');
  return withoutCasts.replace(/^'(-?\d+(\.\d+)?)'$/, '$1');
}

async function readIndexes(db: Queryable): Promise<Entries> {
  const found = await rows<{
    table: string;
    name: string;
    unique: boolean;
    primary: boolean;
    method: string;
    predicate: string | null;
    columns: string[];
    constraint_type: string | null;
  }>(
    db,
    `SELECT t.relname AS table, i.relname AS name, ix.indisunique AS unique, ix.indisprimary AS primary,
            am.amname AS method, pg_get_expr(ix.indpred, ix.indrelid) AS predicate, con.contype AS constraint_type,
            ARRAY(
              SELECT CASE WHEN ix.indkey[k] = 0 THEN pg_get_indexdef(ix.indexrelid, k + 1, true)
                          ELSE (SELECT a.attname::text FROM pg_attribute a
                                 WHERE a.attrelid = ix.indrelid AND a.attnum = ix.indkey[k]) END
                     || CASE WHEN ix.indoption[k] & 1 = 1 THEN ' DESC' ELSE '' END
                FROM generate_series(0, ix.indnkeyatts - 1) AS k ORDER BY k
            ) AS columns
       FROM pg_index ix
       JOIN pg_class i ON i.oid = ix.indexrelid
       JOIN pg_class t ON t.oid = ix.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
       JOIN pg_am am ON am.oid = i.relam
       LEFT JOIN pg_constraint con ON con.conindid = ix.indexrelid AND con.contype IN ('p', 'u', 'x')
      WHERE n.nspname = current_schema()`,
  );
  return found.map((r) => {
    const columns = `(${r.columns.join(', ')})`;
    if (r.primary) return [`primary key ${r.table}`, `${r.name} ${columns}`];
    let description = `${r.unique ? 'UNIQUE ' : ''}${columns}`;
    if (r.method !== 'btree') description += ` USING ${r.method}`;
    if (r.predicate) description += ` WHERE ${r.predicate}`;
    // Prisma creates unique *indexes*; a unique or exclusion *constraint* is a different object.
    if (r.constraint_type === 'u') description += ' (UNIQUE constraint)';
    if (r.constraint_type === 'x') description += ' (EXCLUDE constraint)';
    return [`index ${r.table}.${r.name}`, description];
  });
}

const FK_ACTIONS: Record<string, string> = {
  a: 'NO ACTION',
  r: 'RESTRICT',
  c: 'CASCADE',
  n: 'SET NULL',
  d: 'SET DEFAULT',
};

async function readForeignKeys(db: Queryable): Promise<Entries> {
  const found = await rows<{
    table: string;
    name: string;
    referenced_table: string;
    columns: string[];
    referenced_columns: string[];
    on_delete: string;
    on_update: string;
  }>(
    db,
    `SELECT t.relname AS table, con.conname AS name, rt.relname AS referenced_table,
            ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns,
            ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord)
              AS referenced_columns,
            con.confdeltype AS on_delete, con.confupdtype AS on_update
       FROM pg_constraint con
       JOIN pg_class t ON t.oid = con.conrelid
       JOIN pg_class rt ON rt.oid = con.confrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE con.contype = 'f' AND n.nspname = current_schema()`,
  );
  return found.map((r) => [
    `foreign key ${r.table}.${r.name}`,
    `(${r.columns.join(', ')}) REFERENCES ${r.referenced_table}(${r.referenced_columns.join(', ')}) ` +
      `ON DELETE ${FK_ACTIONS[r.on_delete] ?? r.on_delete} ON UPDATE ${FK_ACTIONS[r.on_update] ?? r.on_update}`,
  ]);
}

async function readChecks(db: Queryable): Promise<Entries> {
  const found = await rows<{ table: string; name: string; definition: string }>(
    db,
    `SELECT t.relname AS table, con.conname AS name, pg_get_constraintdef(con.oid) AS definition
       FROM pg_constraint con
       JOIN pg_class t ON t.oid = con.conrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE con.contype = 'c' AND n.nspname = current_schema()`,
  );
  return found.map((r) => [`check ${r.table}.${r.name}`, r.definition]);
}

async function readEnums(db: Queryable): Promise<Entries> {
  const found = await rows<{ name: string; labels: string[] }>(
    db,
    `SELECT t.typname AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
       FROM pg_type t
       JOIN pg_enum e ON e.enumtypid = t.oid
       JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = current_schema() AND ${NOT_FROM_EXTENSION('t.oid')}
      GROUP BY t.typname`,
  );
  return found.map((r) => [`enum ${r.name}`, `(${r.labels.join(', ')})`]);
}

/** Domains, ranges and stand-alone composite types: nothing in the schema creates them. */
async function readOtherTypes(db: Queryable): Promise<Entries> {
  const found = await rows<{ name: string; kind: string }>(
    db,
    `SELECT t.typname AS name, t.typtype AS kind
       FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = current_schema() AND t.typtype IN ('d', 'r', 'm', 'c')
        AND (t.typtype <> 'c' OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c')
        AND ${NOT_FROM_EXTENSION('t.oid')}`,
  );
  return found.map((r) => [`type ${r.name}`, r.kind]);
}

async function readSequences(db: Queryable): Promise<Entries> {
  const found = await rows<{ name: string; owner: string | null }>(
    db,
    `SELECT s.relname AS name,
            (SELECT t.relname || '.' || a.attname FROM pg_depend d
               JOIN pg_class t ON t.oid = d.refobjid
               JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
              WHERE d.objid = s.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')) AS owner
       FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace
      WHERE n.nspname = current_schema() AND s.relkind = 'S' AND ${NOT_FROM_EXTENSION('s.oid')}`,
  );
  return found.map((r) => [`sequence ${r.name}`, r.owner ? `OWNED BY ${r.owner}` : '']);
}

async function readViews(db: Queryable): Promise<Entries> {
  const found = await rows<{ name: string; kind: string }>(
    db,
    `SELECT c.relname AS name, c.relkind AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relkind IN ('v', 'm', 'f') AND ${NOT_FROM_EXTENSION('c.oid')}`,
  );
  return found.map((r) => [`view ${r.name}`, r.kind]);
}

async function readFunctions(db: Queryable): Promise<Entries> {
  const found = await rows<{ name: string; signature: string }>(
    db,
    `SELECT p.proname AS name, pg_get_function_identity_arguments(p.oid) AS signature
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = current_schema() AND ${NOT_FROM_EXTENSION('p.oid')}`,
  );
  return found.map((r) => [`function ${r.name}`, `(${r.signature})`]);
}

async function readTriggers(db: Queryable): Promise<Entries> {
  const found = await rows<{ table: string; name: string }>(
    db,
    `SELECT c.relname AS table, tg.tgname AS name
       FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND NOT tg.tgisinternal`,
  );
  return found.map((r) => [`trigger ${r.table}.${r.name}`, '']);
}

// ---------------------------------------------------------------------------------------------------
// Comparison and report
// ---------------------------------------------------------------------------------------------------

export interface SchemaDifference {
  kind: 'missing' | 'unexpected' | 'changed';
  key: string;
  expected?: string;
  actual?: string;
}

/** Every key whose presence or description differs, sorted by key so reports are stable. */
export function diffSchemaFacts(expected: SchemaFacts, actual: DatabaseFacts): SchemaDifference[] {
  const differences: SchemaDifference[] = [];
  for (const [key, want] of expected) {
    const have = actual.get(key);
    if (have === undefined) {
      differences.push(want === null ? { kind: 'missing', key } : { kind: 'missing', key, expected: want });
    } else if (want !== null && want !== have) {
      differences.push({ kind: 'changed', key, expected: want, actual: have });
    }
  }
  for (const [key, have] of actual) {
    if (!expected.has(key)) differences.push({ kind: 'unexpected', key, actual: have });
  }
  return differences.sort((a, b) => a.key.localeCompare(b.key));
}

export function formatSchemaDiff(differences: SchemaDifference[]): string {
  if (differences.length === 0) return 'no drift';
  const lines = differences.map(formatDifference);
  return [
    `${differences.length} difference(s) between prisma/schema.prisma (+ sql-only-objects.json) and the migrated database:`,
    ...lines,
  ].join('\n');
}

function formatDifference(d: SchemaDifference): string {
  if (d.kind === 'missing')
    return `  - missing in database:    ${d.key}${d.expected ? `: ${d.expected}` : ''}`;
  if (d.kind === 'unexpected')
    return `  + unexpected in database: ${d.key}${d.actual ? `: ${d.actual}` : ''}`;
  return `  ~ differs:                ${d.key}\n      schema.prisma: ${d.expected}\n      database:      ${d.actual}`;
}

/** The whole check: schema.prisma + sql-only-objects.json against the database behind `db`. */
export async function compareSchemaWithDatabase(
  db: Queryable,
  options: { schemaPath?: string; sqlOnlyObjectsPath?: string } = {},
): Promise<SchemaDifference[]> {
  const datamodel = getDmmfDatamodel(readFileSync(options.schemaPath ?? SCHEMA_PATH, 'utf8'));
  const expected = expectedFacts(datamodel, loadSqlOnlyObjects(options.sqlOnlyObjectsPath));
  return diffSchemaFacts(expected, await readDatabaseFacts(db));
}

// ---------------------------------------------------------------------------------------------------
// Throwaway databases for the db tests
// ---------------------------------------------------------------------------------------------------

/** Where test databases are created: TEST_DATABASE_URL, or the local server's maintenance database. */
export function testServerUrl(): string {
  return process.env.TEST_DATABASE_URL || DEFAULT_MAINTENANCE_DATABASE_URL;
}

/** Creates `petstore_test_<prefix>_<random>` on the test server and returns its URL. */
export async function createThrowawayDatabase(prefix: string): Promise<{ name: string; url: string }> {
  const name = `petstore_test_${prefix}_${Math.random().toString(36).slice(2, 10)}`;
  await withServerClient((client) => client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`));
  const url = new URL(testServerUrl());
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

/** Drops it even if a test left connections open (PostgreSQL 13+). */
export async function dropThrowawayDatabase(name: string): Promise<void> {
  await withServerClient((client) =>
    client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`),
  );
}

async function withServerClient(work: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: testServerUrl() });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}
