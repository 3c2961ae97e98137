import { loadConfigOrExit } from './config/load-config-or-exit.ts';
import { createLogger } from './infra/logger.ts';
import { onShutdownSignal } from './infra/shutdown.ts';
import { createOutboxService } from './outbox-service/create-outbox-service.ts';

/**
 * The relay alone (`npm run relay`): no HTTP, no GraphQL. Start as many as you like, on one machine
 * or several, beside servers that run their own relay or servers started with
 * OUTBOX_RELAY_ENABLED=false (that flag is for the server; this process always relays). The
 * instances share the work through the database: each claims whole aggregates, row-locked in a
 * transaction that lasts until the claimed events are marked published.
 * Expects a migrated database (`npm run db:migrate`).
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config);
  // Neither the live feed nor the outbox numbers: nobody here subscribes or scrapes.
  const outbox = createOutboxService({
    config,
    logger,
    relay: { mode: 'standalone' },
    sampler: false,
    feed: false,
  });
  await outbox.start();
  logger.info({ relayId: outbox.relay?.id }, 'standalone relay running');
  // Same order as the server: finish the batch in flight, then Kafka, then the database.
  onShutdownSignal(logger, () => outbox.stop());
}

await main();
