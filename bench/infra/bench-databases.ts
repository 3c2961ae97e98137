import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { applyMigrations } from '../../src/db/migrate.ts';

export type ScenarioDatabase = {
  name: string;
  url: string;
  /** A small pool for the harness's own reads and writes (backlogs, progress, results). */
  pool: pg.Pool;
  drop(): Promise<void>;
};

export type BenchDatabases = {
  /** Migrates a template once; every scenario then gets a copy of it. */
  prepare(): Promise<void>;
  create(label: string): Promise<ScenarioDatabase>;
  /** Drops every database this run created (the template too), even after a failure. */
  dropAll(): Promise<void>;
};

function urlFor(maintenanceUrl: string, name: string): string {
  const url = new URL(maintenanceUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Each scenario runs on a database of its own, copied from a template this run migrates through
 * src/db/migrate.ts (copying is much faster than migrating), so no scenario sees another's rows,
 * and a run never touches the databases of the tests or of a running service.
 */
export function createBenchDatabases({
  maintenanceUrl,
  keep = false,
}: {
  maintenanceUrl: string;
  keep?: boolean;
}): BenchDatabases {
  const runId = randomBytes(3).toString('hex');
  const template = `petstore_bench_template_${runId}`;
  const created = new Set<string>();

  async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: maintenanceUrl });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  async function dropDatabase(name: string): Promise<void> {
    await admin((client) =>
      client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`),
    );
    created.delete(name);
  }

  return {
    async prepare() {
      await admin((client) => client.query(`CREATE DATABASE ${pg.escapeIdentifier(template)}`));
      created.add(template);
      await applyMigrations({ databaseUrl: urlFor(maintenanceUrl, template) });
    },
    async create(label) {
      const name = `petstore_bench_${label.replace(/[^a-z0-9]+/gi, '_').toLowerCase()}_${runId}`.slice(0, 63);
      await admin(async (client) => {
        await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
        await client.query(
          `CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE ${pg.escapeIdentifier(template)}`,
        );
      });
      created.add(name);
      const url = urlFor(maintenanceUrl, name);
      const pool = new pg.Pool({ connectionString: url, max: 4, application_name: 'petstore-bench' });
      pool.on('error', () => {});
      return {
        name,
        url,
        pool,
        async drop() {
          await pool.end().catch(() => {});
          if (!keep) await dropDatabase(name);
        },
      };
    },
    async dropAll() {
      for (const name of [...created]) {
        if (keep && name !== template) continue;
        await dropDatabase(name).catch(() => {});
      }
    },
  };
}
