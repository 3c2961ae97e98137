/**
 * A consumer of the petstore's topics that applies each event exactly once although the relay
 * delivers at least once: it counts events per type in `demo_event_counts`, recording each event
 * id in the inbox (`inbox_messages`) in the same transaction (src/inbox/handle-once.ts).
 *
 *   npx tsx examples/demo-consumer.ts
 *   psql "$DATABASE_URL" -c 'SELECT * FROM demo_event_counts'
 *
 * Reads DATABASE_URL, KAFKA_BROKERS, KAFKA_TOPIC_PREFIX like the service (src/config/env.ts).
 * Kafka offsets are committed after the transaction, so a crash in between redelivers the message
 * and the inbox absorbs it.
 */

import { loadConfigOrExit } from '../src/config/load-config-or-exit.ts';
import { readDeliveredEvent } from '../src/inbox/read-delivered-event.ts';
import { createDatabase } from '../src/infra/db.ts';
import { createKafka, ensureTopics } from '../src/infra/kafka.ts';
import { createLogger } from '../src/infra/logger.ts';
import { onShutdownSignal } from '../src/infra/shutdown.ts';
import { allTopics } from '../src/outbox/topics.ts';
import { countEventOnce } from './count-event-once.ts';

const CONSUMER = 'demo-consumer';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config).child({ component: CONSUMER });
  const db = createDatabase({ url: config.database.url, maxConnections: 2 });
  const kafka = createKafka({ config, logger, clientId: CONSUMER });
  const topics = allTopics(config.kafka.topicPrefix);
  // The relay creates the topics when it connects; this consumer may well start first.
  await ensureTopics(kafka, topics, config.kafka.topicPartitions);
  const consumer = kafka.consumer({ groupId: `${config.kafka.topicPrefix}.${CONSUMER}` });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      // Any KAFKA_MESSAGE_FORMAT the relay was configured with.
      const event = readDeliveredEvent(message);
      if (!event) {
        logger.warn({ topic, partition, offset: message.offset }, 'not an outbox event: skipped');
        return;
      }
      const { id: eventId, type: eventType } = event;
      const applied = await countEventOnce(db.prisma, CONSUMER, { eventId, eventType });
      logger.info(
        { eventId, eventType, partition, offset: message.offset, applied },
        applied ? 'applied' : 'duplicate skipped',
      );
    },
  });
  logger.info({ topics }, 'demo consumer running');
  onShutdownSignal(logger, async () => {
    await consumer.disconnect();
    await db.close();
  });
}

await main();
