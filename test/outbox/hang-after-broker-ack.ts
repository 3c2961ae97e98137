/**
 * Preloaded into a relay process by frozen-relay.test.ts (spawnRelay's `preload`): every batch is
 * really sent to the broker and acknowledged, and then the send never returns to the relay. The
 * relay's claims are thus certain to be open and idle (events on Kafka, not marked) when the test
 * freezes it, the moment a relay would be frozen in mid-flight. Patches kafkajs' producer factory,
 * which the relay reaches through the same module instance.
 */
import { createRequire } from 'node:module';
import type { Kafka, Producer } from 'kafkajs';

const kafkajs = createRequire(import.meta.url)('kafkajs') as { Kafka: typeof Kafka };
const createProducer = kafkajs.Kafka.prototype.producer;

kafkajs.Kafka.prototype.producer = function producer(this: Kafka, ...args: Parameters<Kafka['producer']>) {
  const made: Producer = createProducer.apply(this, args);
  const sendBatch = made.sendBatch;
  made.sendBatch = async (batch) => {
    await sendBatch(batch);
    return new Promise<never>(() => {});
  };
  return made;
};
