import { loadConfigOrExit } from './config/load-config-or-exit.ts';
import { createKafka } from './infra/kafka.ts';
import { createLogger } from './infra/logger.ts';
import { onShutdownSignal } from './infra/shutdown.ts';
import { createRelay } from './outbox/relay/create-relay.ts';
import { createConfiguredPublisher } from './outbox/relay/publish-events.ts';
import { createRelayPool } from './outbox/relay/relay-pool.ts';

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
  // Claim transactions, heartbeats and retention, every session bounded by OUTBOX_LEASE_TIMEOUT.
  const pool = createRelayPool({ config, logger });
  const kafka = createKafka({ config, logger });
  const publisher = createConfiguredPublisher({ kafka, config });
  const relay = createRelay({ pool, publisher, config, logger, mode: 'standalone' });
  await relay.start();
  logger.info({ relayId: relay.id }, 'standalone relay running');
  // Same order as the server: finish the batch in flight, then Kafka, then the database.
  onShutdownSignal(logger, async () => {
    await relay.stop();
    await publisher.disconnect().catch(() => {});
    await pool.end();
  });
}

await main();
