import { DEFAULT_DATABASE_URL } from '../../src/config/default-urls.ts';
import { applyMigrations, createDatabaseIfMissing } from '../../src/db/migrate.ts';
import { isKafkaUp, KAFKA_BROKER, kafkaLogFiles, kafkaStatus, startKafka } from '../kafka/broker.ts';
import { postgresProblem } from './postgres-probe.ts';

type Say = (line: string) => void;

/** Which PostgreSQL is used, and where its log is when the project runs it. */
export type PostgresInUse = {
  url: string;
  origin: 'configured' | 'found-running' | 'embedded-running' | 'embedded-started';
  log?: string;
};

/** Which Kafka is used, and where its log is when the project runs it. */
export type KafkaInUse = {
  brokers: string;
  origin: 'configured' | 'found-running' | 'project-running' | 'project-started';
  version?: string;
  pid?: number;
  log?: string;
};

/**
 * Makes sure PostgreSQL answers at `databaseUrl`; when nothing answers and the user named no
 * database of their own, starts the embedded PostgreSQL that ships in an npm package.
 */
export async function ensurePostgres(databaseUrl: string | undefined, say: Say): Promise<string> {
  return (await ensurePostgresInUse(databaseUrl, say)).url;
}

export async function ensurePostgresInUse(databaseUrl: string | undefined, say: Say): Promise<PostgresInUse> {
  const url = databaseUrl ?? DEFAULT_DATABASE_URL;
  const problem = await postgresProblem(url);
  const { embeddedPostgresStatus, startEmbeddedPostgres } = await import('./embedded-postgres.ts');
  const embedded = embeddedPostgresStatus();
  if (!problem) {
    if (databaseUrl) return { url, origin: 'configured' };
    // The default address may be answered by the embedded server itself, started on 5432 earlier.
    const ours = embedded.running?.port === Number(new URL(url).port || 5432);
    return ours
      ? { url, origin: 'embedded-running', log: embedded.logFile }
      : { url, origin: 'found-running' };
  }
  if (databaseUrl) {
    throw new Error(`PostgreSQL at DATABASE_URL does not answer: ${problem}`);
  }
  say(`no PostgreSQL answers at ${new URL(url).host} (${problem}); starting the embedded one`);
  const wasRunning = embedded.running !== undefined;
  return {
    url: await startEmbeddedPostgres(say),
    origin: wasRunning ? 'embedded-running' : 'embedded-started',
    log: embedded.logFile,
  };
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
  return (await ensureKafkaInUse(brokers, say)).brokers;
}

export async function ensureKafkaInUse(brokers: string | undefined, say: Say): Promise<KafkaInUse> {
  if (brokers && brokers !== KAFKA_BROKER) return { brokers, origin: 'configured' };
  const log = kafkaLogFiles().serverLog;
  if (await isKafkaUp()) {
    const status = await kafkaStatus();
    return status.pid !== undefined
      ? { brokers: KAFKA_BROKER, origin: 'project-running', version: status.version, pid: status.pid, log }
      : { brokers: KAFKA_BROKER, origin: 'found-running' };
  }
  say('starting the local Kafka broker (the first start downloads its jars with Maven)');
  const result = await startKafka({ log: say });
  say(
    `Kafka ${result.version ?? ''} ${result.action} on ${result.broker} in ${(result.ms / 1000).toFixed(1)} s`,
  );
  return {
    brokers: KAFKA_BROKER,
    origin: result.action === 'started' ? 'project-started' : 'project-running',
    version: result.version,
    pid: result.pid,
    log,
  };
}
