/**
 * Applies prisma/migrations through the `pg` driver, keeping `_prisma_migrations` exactly as Prisma
 * Migrate keeps it, so `prisma migrate deploy` (used where Prisma's schema engine can be installed)
 * and this module (used where it cannot, e.g. at service start-up) each see the other's work as applied.
 *
 * What is copied from Prisma (prisma-engines, schema-engine; prisma CLI 7.10.1):
 * - the table's DDL (sql-schema-connector/src/flavour/postgres.rs `create_migrations_table`);
 * - migration folders: sub-directories of the migrations folder, sorted with `localeCompare`, each with a
 *   `migration.sql` read as UTF-8 (prisma/build/cli.js);
 * - checksum: lower-case hex SHA-256 of the script's UTF-8 text; a stored checksum also matches the
 *   script with CRLF turned into LF or LF into CRLF, and old non-zero-padded checksums are accepted
 *   (schema-connector/src/checksum.rs);
 * - a row per attempt: random v4 uuid id, checksum, migration_name, started_at, then
 *   applied_steps_count + 1 and finished_at on success; logs stays NULL (sql_migration_persistence.rs);
 * - a row with finished_at and rolled_back_at both NULL is a failed migration and blocks everything
 *   until it is resolved; rolled-back rows are ignored (core/src/commands/apply_migrations.rs);
 * - the session advisory lock 72707369, so this and `prisma migrate deploy` never run at once;
 * - a non-empty database without `_prisma_migrations` is refused (Prisma's P3005) rather than guessed at.
 *
 * Where it differs, on purpose: each migration runs in one transaction together with its bookkeeping,
 * so a failure leaves nothing half-applied and is recorded as rolled back (the state `prisma migrate
 * resolve --rolled-back` would record) instead of blocking the next start; and a migration edited after
 * it was applied is refused (`prisma migrate deploy` only notices this in `migrate dev`/`migrate status`).
 */
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { withTransaction } from '../infra/with-transaction.ts';

/** The folder Prisma reads, found from this file so it does not depend on the working directory. */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../prisma/migrations', import.meta.url));

/** Prisma Migrate's advisory lock key ("a unique number we chose to identify Migrate"). */
export const PRISMA_MIGRATE_LOCK_KEY = 72707369;

export const MIGRATIONS_TABLE = '_prisma_migrations';

/** Verbatim from prisma-engines' Postgres flavour, so the table is indistinguishable from Prisma's own. */
const CREATE_MIGRATIONS_TABLE_SQL = `CREATE TABLE _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
);
`;

const EXPECTED_PROVIDER = 'postgresql';
const CHECKSUM_HEX_LENGTH = 64;
/** Prisma gives up after 10 s; a service replica waiting for another's migration may well need longer. */
const DEFAULT_LOCK_TIMEOUT_MS = 60_000;

export interface MigrationLogger {
  info: (message: string) => void;
}

export interface ApplyMigrationsOptions {
  databaseUrl: string;
  migrationsDir?: string;
  logger?: MigrationLogger;
  /** How long to wait for another process (or `prisma migrate deploy`) holding the migrate lock. */
  lockTimeoutMs?: number;
}

export interface ApplyMigrationsResult {
  /** Names of the migrations this call applied, in order; empty when the database was up to date. */
  applied: string[];
}

export interface MigrationStatus {
  /** Migrations folders whose migration is recorded as finished (and not rolled back). */
  applied: string[];
  /** Migrations folders not yet applied. */
  pending: string[];
  /** Recorded migrations that started but neither finished nor were rolled back. */
  failed: string[];
  /** Applied migrations whose migration.sql no longer matches the recorded checksum. */
  edited: string[];
  /** True when nothing is pending, failed or edited: what a readiness check wants. */
  upToDate: boolean;
}

/** Anything that can run a query: a pg Client, Pool or PoolClient. */
export interface Queryable {
  query: (text: string, values?: unknown[]) => Promise<{ rows: unknown[] }>;
}

export interface MigrationDirectory {
  name: string;
  scriptPath: string;
}

export interface MigrationRecord {
  id: string;
  checksum: string;
  finishedAt: Date | null;
  migrationName: string;
  logs: string | null;
  rolledBackAt: Date | null;
  startedAt: Date;
  appliedStepsCount: number;
}

const silentLogger: MigrationLogger = { info: () => {} };

/**
 * Applies every migration folder not yet recorded as applied, in name order, each in its own
 * transaction, under Prisma Migrate's advisory lock. Running it again applies nothing.
 */
export async function applyMigrations(options: ApplyMigrationsOptions): Promise<ApplyMigrationsResult> {
  const migrationsDir = options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR;
  const logger = options.logger ?? silentLogger;
  await assertLockfileProvider(migrationsDir);
  const directories = await listMigrationDirectories(migrationsDir);

  return withClient(options.databaseUrl, async (client) => {
    await acquireMigrateLock(client, options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS);
    try {
      await initializeMigrationsTable(client);
      const records = (await listMigrationRecords(client)) ?? [];
      assertNoFailedMigrations(records);
      await assertNoEditedMigrations(directories, records);

      const applied: string[] = [];
      for (const directory of unappliedMigrations(directories, records)) {
        await applyOneMigration(client, directory, logger);
        applied.push(directory.name);
      }
      return { applied };
    } finally {
      // Best effort: if the connection broke, the session's end released the lock already, and the
      // error that broke it is the one to report.
      await releaseMigrateLock(client).catch(() => {});
    }
  });
}

/**
 * Compares the migrations folder with `_prisma_migrations` without changing anything (for /ready).
 * Pass `db` to reuse an existing pool instead of opening a connection.
 */
export async function getMigrationStatus(options: {
  databaseUrl?: string;
  db?: Queryable;
  migrationsDir?: string;
}): Promise<MigrationStatus> {
  const directories = await listMigrationDirectories(options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
  const records = await withQueryable(options, async (db) => (await listMigrationRecords(db)) ?? []);
  const live = liveRecords(records);

  const failed = live.filter(isFailed).map((r) => r.migrationName);
  const finished = live.filter((r) => r.finishedAt !== null);
  const applied = directories.filter((d) => finished.some((r) => r.migrationName === d.name));
  const pending = unappliedMigrations(directories, records).map((d) => d.name);
  const edited = (await findEditedMigrations(applied, finished)).map((e) => e.name);

  return {
    applied: applied.map((d) => d.name),
    pending,
    failed,
    edited,
    upToDate: pending.length === 0 && failed.length === 0 && edited.length === 0,
  };
}

/** Names of the migration folders not yet applied to the database. */
export async function pendingMigrations(options: {
  databaseUrl?: string;
  db?: Queryable;
  migrationsDir?: string;
}): Promise<string[]> {
  return (await getMigrationStatus(options)).pending;
}

/** Names of the migrations recorded as finished and not rolled back, in the order they were applied. */
export async function appliedMigrationNames(options: {
  databaseUrl?: string;
  db?: Queryable;
}): Promise<string[]> {
  const records = await withQueryable(options, async (db) => (await listMigrationRecords(db)) ?? []);
  return liveRecords(records)
    .filter((r) => r.finishedAt !== null)
    .map((r) => r.migrationName);
}

/**
 * Creates the URL's database when it does not exist yet, by connecting to the `postgres` maintenance
 * database on the same server (as `prisma migrate deploy` does). Returns whether it created it.
 */
export async function createDatabaseIfMissing(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (database === '') throw new Error(`DATABASE_URL names no database: ${redactUrl(databaseUrl)}`);

  url.pathname = '/postgres';
  return withClient(url.toString(), async (client) => {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (existing.rowCount !== 0) return false;
    try {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
      return true;
    } catch (error) {
      // Another process starting at the same moment created it first: that is what we wanted.
      if (isPgError(error, '42P04') || isPgError(error, '23505')) return false;
      throw error;
    }
  });
}

/** Hex SHA-256 of the script's UTF-8 text, zero-padded: the checksum Prisma records. */
export function migrationChecksum(script: string): string {
  return createHash('sha256').update(script, 'utf8').digest('hex');
}

/**
 * Whether a recorded checksum belongs to this script, with Prisma's tolerance: git may have turned
 * LF into CRLF (or back) since the migration was applied, and very old Prisma versions stored the hex
 * without zero padding.
 */
export function scriptMatchesChecksum(script: string, checksum: string): boolean {
  const variants = [script, script.replaceAll('\r\n', '\n'), script.replaceAll('\n', '\r\n')];
  return variants.some((variant) => formatForComparison(variant, checksum) === checksum);
}

function formatForComparison(script: string, storedChecksum: string): string {
  const digest = createHash('sha256').update(script, 'utf8').digest();
  const legacy = storedChecksum.length !== 0 && storedChecksum.length !== CHECKSUM_HEX_LENGTH;
  return legacy ? [...digest].map((byte) => byte.toString(16)).join('') : digest.toString('hex');
}

/** The migration folders, in the order Prisma's CLI lists them (`localeCompare` of the names). */
export async function listMigrationDirectories(migrationsDir: string): Promise<MigrationDirectory[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(migrationsDir, { withFileTypes: true });
  } catch (error) {
    if (isNodeError(error, 'ENOENT')) return [];
    throw error;
  }
  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => ({ name: entry.name, scriptPath: join(migrationsDir, entry.name, 'migration.sql') }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Read as UTF-8 text, like Prisma's CLI, so the checksum is computed over the same string. */
export async function readMigrationScript(directory: MigrationDirectory): Promise<string> {
  try {
    return await readFile(directory.scriptPath, { encoding: 'utf-8' });
  } catch (error) {
    throw new Error(`Migration \`${directory.name}\`: cannot read ${directory.scriptPath}`, { cause: error });
  }
}

/** Every row of `_prisma_migrations` ordered by started_at, or null when the table does not exist. */
export async function listMigrationRecords(db: Queryable): Promise<MigrationRecord[] | null> {
  try {
    const result = await db.query(
      `SELECT id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count
         FROM ${MIGRATIONS_TABLE} ORDER BY started_at ASC`,
    );
    return result.rows.map((row) => toMigrationRecord(row as Record<string, unknown>));
  } catch (error) {
    if (isPgError(error, '42P01')) return null;
    throw error;
  }
}

function toMigrationRecord(row: Record<string, unknown>): MigrationRecord {
  return {
    id: String(row.id),
    checksum: String(row.checksum),
    finishedAt: (row.finished_at as Date | null) ?? null,
    migrationName: String(row.migration_name),
    logs: (row.logs as string | null) ?? null,
    rolledBackAt: (row.rolled_back_at as Date | null) ?? null,
    startedAt: row.started_at as Date,
    appliedStepsCount: Number(row.applied_steps_count),
  };
}

/** Rolled-back rows are history only: Prisma ignores them everywhere. */
function liveRecords(records: MigrationRecord[]): MigrationRecord[] {
  return records.filter((r) => r.rolledBackAt === null);
}

function isFailed(record: MigrationRecord): boolean {
  return record.finishedAt === null && record.rolledBackAt === null;
}

/** Prisma's rule: a folder is unapplied when no row that is not rolled back carries its name. */
function unappliedMigrations(
  directories: MigrationDirectory[],
  records: MigrationRecord[],
): MigrationDirectory[] {
  const live = liveRecords(records);
  return directories.filter((d) => !live.some((r) => r.migrationName === d.name));
}

function assertNoFailedMigrations(records: MigrationRecord[]): void {
  const failed = records.filter(isFailed);
  if (failed.length === 0) return;
  const details = failed.map(describeFailedMigration).join('\n');
  throw new Error(
    'Found failed migrations in the target database, new migrations will not be applied (Prisma P3009). ' +
      'Find out what the migration did, repair the database, then mark it with ' +
      '`prisma migrate resolve --rolled-back <name>` or `--applied <name>` ' +
      '(https://pris.ly/d/migrate-resolve).\n' +
      details,
  );
}

function describeFailedMigration(record: MigrationRecord): string {
  const logs = record.logs?.trim();
  const suffix = logs ? ` with the following logs:\n${logs}` : '';
  return `The \`${record.migrationName}\` migration started at ${record.startedAt.toISOString()} failed${suffix}`;
}

async function assertNoEditedMigrations(
  directories: MigrationDirectory[],
  records: MigrationRecord[],
): Promise<void> {
  const edited = await findEditedMigrations(directories, liveRecords(records));
  if (edited.length === 0) return;
  const lines = edited.map(
    (e) =>
      `Migration \`${e.name}\` was modified after it was applied: _prisma_migrations records checksum ` +
      `${e.recorded}, but ${e.scriptPath} now has checksum ${e.current}.`,
  );
  throw new Error(
    `${lines.join('\n')}\nRestore the applied migration.sql and put the change in a new migration ` +
      '(an applied migration never runs again, so editing it changes nothing in existing databases).',
  );
}

interface EditedMigration {
  name: string;
  scriptPath: string;
  recorded: string;
  current: string;
}

async function findEditedMigrations(
  directories: MigrationDirectory[],
  records: MigrationRecord[],
): Promise<EditedMigration[]> {
  const edited: EditedMigration[] = [];
  for (const directory of directories) {
    const record = records.find((r) => r.migrationName === directory.name && r.rolledBackAt === null);
    if (!record) continue;
    const script = await readMigrationScript(directory);
    if (scriptMatchesChecksum(script, record.checksum)) continue;
    edited.push({
      name: directory.name,
      scriptPath: directory.scriptPath,
      recorded: record.checksum,
      current: migrationChecksum(script),
    });
  }
  return edited;
}

/**
 * Runs the script and its bookkeeping in one transaction: the row Prisma would write (id, checksum,
 * name, started_at), the script, then applied_steps_count + 1 and finished_at. A script with its own
 * BEGIN/COMMIT (Prisma writes those for some enum changes) ends this transaction early; it still
 * applies, with the same atomicity Prisma would give it.
 */
async function applyOneMigration(client: pg.Client, directory: MigrationDirectory, logger: MigrationLogger) {
  const script = await readMigrationScript(directory);
  const id = randomUUID();
  logger.info(`Applying migration \`${directory.name}\``);

  try {
    await withTransaction(client, async (tx) => {
      await tx.query(
        `INSERT INTO ${MIGRATIONS_TABLE} (id, checksum, started_at, migration_name)
         VALUES ($1, $2, clock_timestamp(), $3)`,
        [id, migrationChecksum(script), directory.name],
      );
      // No parameters: pg then uses the simple query protocol, which runs a multi-statement script,
      // as Prisma's raw_cmd does.
      await tx.query(script);
      await tx.query(
        `UPDATE ${MIGRATIONS_TABLE}
            SET applied_steps_count = applied_steps_count + 1, finished_at = clock_timestamp()
          WHERE id = $1`,
        [id],
      );
    });
  } catch (error) {
    // Best effort: the migration's own error is what the operator needs, not a bookkeeping failure.
    await recordRolledBackAttempt(client, directory.name, migrationChecksum(script), error).catch(() => {});
    throw new Error(
      `Migration \`${directory.name}\` failed and was rolled back, nothing of it was applied: ${errorText(error)}`,
      { cause: error },
    );
  }
}

/**
 * Keeps a trace of the failed attempt the way Prisma would after `migrate resolve --rolled-back`:
 * finished_at NULL, rolled_back_at set, the error in logs. Both tools ignore such rows, so the fixed
 * migration is simply applied on the next run.
 */
async function recordRolledBackAttempt(client: pg.Client, name: string, checksum: string, error: unknown) {
  await client.query(
    `INSERT INTO ${MIGRATIONS_TABLE} (id, checksum, started_at, migration_name, logs, rolled_back_at)
     VALUES ($1, $2, clock_timestamp(), $3, $4, clock_timestamp())`,
    [randomUUID(), checksum, name, errorText(error)],
  );
}

/**
 * Creates `_prisma_migrations` in an empty database. A database that has tables but no migrations
 * table was set up some other way (`prisma db push`, by hand): applying the init migration over it
 * would fail halfway, so it is refused like Prisma does, pointing at baselining.
 */
async function initializeMigrationsTable(client: pg.Client): Promise<void> {
  const tables = await client.query<{ relname: string }>(
    `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')`,
  );
  const names = tables.rows.map((r) => r.relname);
  if (names.includes(MIGRATIONS_TABLE)) return;
  if (names.length > 0) {
    throw new Error(
      `The database schema is not empty (tables: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', ...' : ''}) ` +
        `and has no ${MIGRATIONS_TABLE} table, so it was not created by migrations (Prisma P3005). ` +
        'Baseline it first: https://pris.ly/d/migrate-baseline',
    );
  }
  await client.query(CREATE_MIGRATIONS_TABLE_SQL);
}

async function acquireMigrateLock(client: pg.Client, timeoutMs: number): Promise<void> {
  // lock_timeout bounds the wait for advisory locks too (SQLSTATE 55P03 when it runs out).
  await client.query(`SET lock_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
  } catch (error) {
    if (!isPgError(error, '55P03')) throw error;
    throw new Error(
      `Timed out after ${timeoutMs} ms waiting for the migrate advisory lock ${PRISMA_MIGRATE_LOCK_KEY}: ` +
        'another process (this service or `prisma migrate deploy`) is migrating this database.',
    );
  } finally {
    await client.query('RESET lock_timeout');
  }
}

async function releaseMigrateLock(client: pg.Client): Promise<void> {
  await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
}

/** Prisma refuses a migrations folder made for another database (its P3019); so does this. */
async function assertLockfileProvider(migrationsDir: string): Promise<void> {
  let content: string;
  try {
    content = await readFile(join(migrationsDir, 'migration_lock.toml'), { encoding: 'utf-8' });
  } catch (error) {
    if (isNodeError(error, 'ENOENT')) return;
    throw error;
  }
  const line = content.split('\n').find((l) => l.startsWith('provider'));
  const provider = line
    ?.replace(/^provider = /, '')
    .trim()
    .replace(/^"|"$/g, '');
  if (provider !== EXPECTED_PROVIDER) {
    throw new Error(
      `${join(migrationsDir, 'migration_lock.toml')} is for provider "${provider ?? '<none>'}", ` +
        `not "${EXPECTED_PROVIDER}" (Prisma P3019).`,
    );
  }
}

async function withClient<T>(databaseUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  // A connection lost between statements fails the statement that runs next; without a listener
  // the 'error' event would kill the process first.
  client.on('error', () => {});
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function withQueryable<T>(
  options: { databaseUrl?: string; db?: Queryable },
  work: (db: Queryable) => Promise<T>,
): Promise<T> {
  if (options.db) return work(options.db);
  if (!options.databaseUrl) throw new Error('Pass either databaseUrl or db');
  return withClient(options.databaseUrl, work);
}

function redactUrl(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '<unparseable URL>';
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isPgError(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

function isNodeError(error: unknown, code: string): boolean {
  return isPgError(error, code);
}
