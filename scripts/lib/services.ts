import { applyMigrations, createDatabaseIfMissing } from '../../src/db/migrate.ts';
import { isKafkaUp, KAFKA_BROKER, startKafka } from '../kafka/broker.ts';
import { postgresProblem } from './postgres-probe.ts';

export const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/petstore';

type Say = (line: string) => void;

/**
 * Makes sure PostgreSQL answers at `databaseUrl`; when nothing answers and the user named no
 * database of their own, starts the embedded PostgreSQL that ships in an npm package.
 */
export async function ensurePostgres(databaseUrl: string | undefined, say: Say): Promise<string> {
  const url = databaseUrl ?? DEFAULT_DATABASE_URL;
  const problem = await postgresProblem(url);
  if (!problem) return url;
  if (databaseUrl) {
    throw new Error(`PostgreSQL at DATABASE_URL does not answer: ${problem}`);
  }
  say(`no PostgreSQL answers at 127.0.0.1:5432 (${problem}); starting the embedded one`);
  const { startEmbeddedPostgres } = await import('./embedded-postgres.ts');
  return startEmbeddedPostgres(say);
}

/** Creates the database if needed and applies prisma/migrations (the same files `prisma migrate deploy` uses). */
export async function migrate(databaseUrl: string, say: Say): Promise<void> {
  if (await createDatabaseIfMissing(databaseUrl))
    say(`created database ${new URL(databaseUrl).pathname.slice(1)}`);
  const { applied } = await applyMigrations({ databaseUrl });
  for (const name of applied) say(`applied migration ${name}`);
}

/**
 * Makes sure a Kafka broker answers. With KAFKA_BROKERS set to something else, that broker is the
 * user's business; otherwise the project's own broker (real Apache Kafka from Maven Central) is started.
 */
export async function ensureKafka(brokers: string | undefined, say: Say): Promise<string> {
  if (brokers && brokers !== KAFKA_BROKER) return brokers;
  if (await isKafkaUp()) return KAFKA_BROKER;
  say('starting the local Kafka broker (the first start downloads its jars with Maven)');
  const result = await startKafka({ log: say });
  say(
    `Kafka ${result.version ?? ''} ${result.action} on ${result.broker} in ${(result.ms / 1000).toFixed(1)} s`,
  );
  return KAFKA_BROKER;
}
