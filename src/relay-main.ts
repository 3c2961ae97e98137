import { loadConfigOrExit } from './config/load-config-or-exit.ts';
import { createDatabase } from './infra/db.ts';
import { createKafka } from './infra/kafka.ts';
import { createLogger } from './infra/logger.ts';
import { onShutdownSignal } from './infra/shutdown.ts';
import { createConfiguredPublisher } from './outbox/publish-events.ts';
import { createRelay } from './outbox/relay.ts';

/**
 * The relay alone (`npm run relay`): no HTTP, no GraphQL. Start as many as you like, on one machine
 * or several, beside servers that run their own relay or servers started with
 * OUTBOX_RELAY_ENABLED=false (that flag is for the server; this process always relays). The
 * instances share the work through the database: each claims whole aggregates under a lease.
 * Expects a migrated database (`npm run db:migrate`).
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config);
  // The claim, the mark, lease renewals, heartbeats and retention; a few connections are plenty.
  const db = createDatabase({ url: config.database.url, maxConnections: 4, logger });
  const kafka = createKafka({ config, logger });
  const publisher = createConfiguredPublisher({ kafka, config });
  const relay = createRelay({ pool: db.pool, publisher, config, logger, mode: 'standalone' });
  await relay.start();
  logger.info({ relayId: relay.id }, 'standalone relay running');
  // Same order as the server: finish the batch in flight, then Kafka, then the database.
  onShutdownSignal(logger, async () => {
    await relay.stop();
    await publisher.disconnect().catch(() => {});
    await db.close();
  });
}

await main();
