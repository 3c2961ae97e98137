/**
 * src/db/migrate.ts against a real PostgreSQL: every database here is a throwaway one, dropped in afterAll.
 * The `_prisma_migrations` expectations are Prisma Migrate's (see the header of src/db/migrate.ts).
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appliedMigrationNames,
  applyMigrations,
  createDatabaseIfMissing,
  DEFAULT_MIGRATIONS_DIR,
  getMigrationStatus,
  listMigrationDirectories,
  migrationChecksum,
  pendingMigrations,
  scriptMatchesChecksum,
} from '../../src/db/migrate.js';
import { createThrowawayDatabase, dropThrowawayDatabase } from './schema-drift.js';

const createdDatabases: string[] = [];
const tempDirs: string[] = [];
let migrationNames: string[];

async function freshDatabase(label: string): Promise<string> {
  const { name, url } = await createThrowawayDatabase(label);
  createdDatabases.push(name);
  return url;
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

interface MigrationRow {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
  applied_steps_count: number;
}

async function migrationRows(url: string): Promise<MigrationRow[]> {
  return withClient(
    url,
    async (c) => (await c.query<MigrationRow>('SELECT * FROM _prisma_migrations ORDER BY started_at')).rows,
  );
}

/** A migrations folder of our own, for migrations that must fail or change. */
async function tempMigrationsDir(migrations: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'petstore-migrations-'));
  tempDirs.push(dir);
  await writeFile(join(dir, 'migration_lock.toml'), 'provider = "postgresql"\n');
  for (const [name, sql] of Object.entries(migrations)) {
    await mkdir(join(dir, name));
    await writeFile(join(dir, name, 'migration.sql'), sql);
  }
  return dir;
}

beforeAll(async () => {
  migrationNames = (await listMigrationDirectories(DEFAULT_MIGRATIONS_DIR)).map((d) => d.name);
});

afterAll(async () => {
  for (const name of createdDatabases) await dropThrowawayDatabase(name);
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

describe('checksums (Prisma schema-connector checksum.rs)', () => {
  it('is the zero-padded hex SHA-256 of the script', () => {
    // The value Prisma's own unit test pins for "hello".
    expect(migrationChecksum('hello')).toBe(
      '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
    );
  });

  it('matches across LF/CRLF conversions, as git may do to a checked-out migration', () => {
    const lf = 'ab\ncd\nef\n';
    const crlf = 'ab\r\ncd\r\nef\r\n';
    expect(scriptMatchesChecksum(lf, migrationChecksum(crlf))).toBe(true);
    expect(scriptMatchesChecksum(crlf, migrationChecksum(lf))).toBe(true);
  });

  it('does not match a different script', () => {
    expect(scriptMatchesChecksum('abc', migrationChecksum('abcd'))).toBe(false);
    expect(scriptMatchesChecksum('abc\n', migrationChecksum('abc'))).toBe(false);
  });

  it('accepts the non-zero-padded checksums of very old Prisma versions', () => {
    const digest = createHash('sha256').update('hello').digest();
    const legacy = [...digest].map((byte) => byte.toString(16)).join('');
    expect(legacy.length).toBeLessThan(64);
    expect(scriptMatchesChecksum('hello', legacy)).toBe(true);
  });
});

describe('createDatabaseIfMissing', () => {
  it('creates the database once, then reports it exists', async () => {
    const { name, url } = await createThrowawayDatabase('create');
    createdDatabases.push(name);
    await dropThrowawayDatabase(name);

    expect(await createDatabaseIfMissing(url)).toBe(true);
    expect(await createDatabaseIfMissing(url)).toBe(false);
  });
});

describe('applyMigrations', () => {
  let url: string;

  beforeAll(async () => {
    url = await freshDatabase('apply');
  });

  it('applies every folder of prisma/migrations in name order', async () => {
    expect(migrationNames.length).toBeGreaterThan(0);
    expect(await pendingMigrations({ databaseUrl: url })).toEqual(migrationNames);

    const result = await applyMigrations({ databaseUrl: url });

    expect(result.applied).toEqual(migrationNames);
  });

  it('records each migration in _prisma_migrations as Prisma Migrate does', async () => {
    const rows = await migrationRows(url);

    expect(rows.map((r) => r.migration_name)).toEqual(migrationNames);
    for (const row of rows) {
      const fileBytes = await readFile(join(DEFAULT_MIGRATIONS_DIR, row.migration_name, 'migration.sql'));
      expect(row.checksum).toBe(createHash('sha256').update(fileBytes).digest('hex'));
      expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect((row.finished_at as Date).getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
      expect(row.rolled_back_at).toBeNull();
      expect(row.logs).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
  });

  it("creates _prisma_migrations with Prisma's DDL", async () => {
    const columns = await withClient(url, async (c) =>
      (
        await c.query(
          `SELECT column_name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
                  pg_get_expr(d.adbin, d.adrelid) AS default
             FROM information_schema.columns col
             JOIN pg_attribute a ON a.attrelid = '_prisma_migrations'::regclass AND a.attname = col.column_name
             LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE col.table_name = '_prisma_migrations' ORDER BY col.ordinal_position`,
        )
      ).rows.map(
        (r) =>
          `${r.column_name} ${r.type}${r.not_null ? ' NOT NULL' : ''}${r.default ? ` DEFAULT ${r.default}` : ''}`,
      ),
    );
    expect(columns).toEqual([
      'id character varying(36) NOT NULL',
      'checksum character varying(64) NOT NULL',
      'finished_at timestamp with time zone',
      'migration_name character varying(255) NOT NULL',
      'logs text',
      'rolled_back_at timestamp with time zone',
      'started_at timestamp with time zone NOT NULL DEFAULT now()',
      'applied_steps_count integer NOT NULL DEFAULT 0',
    ]);
    const primaryKey = await withClient(url, async (c) =>
      (
        await c.query(
          `SELECT conname FROM pg_constraint WHERE conrelid = '_prisma_migrations'::regclass AND contype = 'p'`,
        )
      ).rows.map((r) => r.conname),
    );
    expect(primaryKey).toEqual(['_prisma_migrations_pkey']);
  });

  it('is idempotent: a second run applies nothing and writes nothing', async () => {
    const before = await migrationRows(url);

    const result = await applyMigrations({ databaseUrl: url });

    expect(result.applied).toEqual([]);
    expect(await migrationRows(url)).toEqual(before);
  });

  it('reports the database as up to date for a readiness check', async () => {
    const status = await getMigrationStatus({ databaseUrl: url });
    expect(status).toEqual({ applied: migrationNames, pending: [], failed: [], edited: [], upToDate: true });
    expect(await pendingMigrations({ databaseUrl: url })).toEqual([]);
    expect(await appliedMigrationNames({ databaseUrl: url })).toEqual(migrationNames);
  });

  it('reuses a pool passed as db instead of opening a connection', async () => {
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    try {
      expect((await getMigrationStatus({ db: pool })).upToDate).toBe(true);
    } finally {
      await pool.end();
    }
  });
});

describe('applyMigrations refuses what Prisma Migrate refuses', () => {
  it('refuses an applied migration whose checksum no longer matches its file, naming it', async () => {
    const url = await freshDatabase('tampered');
    await applyMigrations({ databaseUrl: url });
    const tampered = migrationNames[0] as string;
    await withClient(url, (c) =>
      c.query(`UPDATE _prisma_migrations SET checksum = repeat('0', 64) WHERE migration_name = $1`, [
        tampered,
      ]),
    );

    const attempt = applyMigrations({ databaseUrl: url });

    await expect(attempt).rejects.toThrow(`Migration \`${tampered}\` was modified after it was applied`);
    await expect(applyMigrations({ databaseUrl: url })).rejects.toThrow('0'.repeat(64));
    expect((await getMigrationStatus({ databaseUrl: url })).edited).toEqual([tampered]);
  });

  it('refuses to run while a migration is recorded as failed, naming it and showing its logs', async () => {
    const url = await freshDatabase('failed');
    await applyMigrations({ databaseUrl: url });
    await withClient(url, (c) =>
      c.query(
        `INSERT INTO _prisma_migrations (id, checksum, migration_name, logs, started_at, applied_steps_count)
         VALUES (gen_random_uuid()::text, repeat('a', 64), '29990101000000_half_done', 'ERROR: boom', now(), 0)`,
      ),
    );

    const attempt = applyMigrations({ databaseUrl: url });

    await expect(attempt).rejects.toThrow(
      /Found failed migrations.*\n.*`29990101000000_half_done` migration started at .* failed with the following logs:\nERROR: boom/,
    );
    expect((await getMigrationStatus({ databaseUrl: url })).failed).toEqual(['29990101000000_half_done']);
  });

  it('runs again once the failed row is marked rolled back (what `prisma migrate resolve --rolled-back` does)', async () => {
    const url = await freshDatabase('resolved');
    await applyMigrations({ databaseUrl: url });
    await withClient(url, (c) =>
      c.query(
        `INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, rolled_back_at)
         VALUES (gen_random_uuid()::text, repeat('a', 64), '29990101000000_half_done', now(), now())`,
      ),
    );

    await expect(applyMigrations({ databaseUrl: url })).resolves.toEqual({ applied: [] });
  });

  it('refuses a database that has tables but no _prisma_migrations (not created by migrations)', async () => {
    const url = await freshDatabase('nonempty');
    await withClient(url, (c) => c.query('CREATE TABLE pets (id int)'));

    await expect(applyMigrations({ databaseUrl: url })).rejects.toThrow(/database schema is not empty.*pets/);
  });

  it('refuses a migrations folder locked to another provider', async () => {
    const url = await freshDatabase('provider');
    const dir = await tempMigrationsDir({});
    await writeFile(join(dir, 'migration_lock.toml'), 'provider = "mysql"\n');

    await expect(applyMigrations({ databaseUrl: url, migrationsDir: dir })).rejects.toThrow(
      /"mysql", not "postgresql"/,
    );
  });
});

describe('a migration that fails', () => {
  it('leaves nothing of itself behind, is recorded as rolled back, and applies once fixed', async () => {
    const url = await freshDatabase('broken');
    const dir = await tempMigrationsDir({
      '20000101000000_first': 'CREATE TABLE first_table (id int);',
      '20000101000001_broken': 'CREATE TABLE half_table (id int);\nSELECT * FROM no_such_table;',
    });

    await expect(applyMigrations({ databaseUrl: url, migrationsDir: dir })).rejects.toThrow(
      /Migration `20000101000001_broken` failed and was rolled back.*no_such_table/,
    );

    const tables = await withClient(url, async (c) =>
      (
        await c.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`)
      ).rows.map((r) => r.tablename),
    );
    expect(tables).toEqual(['_prisma_migrations', 'first_table']);
    const rows = await migrationRows(url);
    expect(rows.map((r) => [r.migration_name, r.finished_at !== null, r.rolled_back_at !== null])).toEqual([
      ['20000101000000_first', true, false],
      ['20000101000001_broken', false, true],
    ]);
    expect(rows[1]?.logs).toMatch(/no_such_table/);

    await writeFile(join(dir, '20000101000001_broken', 'migration.sql'), 'CREATE TABLE half_table (id int);');
    await expect(applyMigrations({ databaseUrl: url, migrationsDir: dir })).resolves.toEqual({
      applied: ['20000101000001_broken'],
    });
  });
});

describe('two processes starting at once', () => {
  it('apply each migration exactly once (the advisory lock serialises them)', async () => {
    const url = await freshDatabase('race');

    const results = await Promise.all([
      applyMigrations({ databaseUrl: url }),
      applyMigrations({ databaseUrl: url }),
    ]);

    expect(results.map((r) => r.applied).sort((a, b) => b.length - a.length)).toEqual([migrationNames, []]);
    expect((await migrationRows(url)).map((r) => r.migration_name)).toEqual(migrationNames);
  });
});
