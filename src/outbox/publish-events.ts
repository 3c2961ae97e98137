import { type CompressionTypes, type Kafka, type Message, Partitioners, type Producer } from 'kafkajs';
import { ensureTopics } from '../infra/kafka.ts';
import type { ClaimedEvent } from './claimed-event.ts';
import { toKafkaMessage } from './kafka-message.ts';

export type Publication = { event: ClaimedEvent; partition: number; offset: string };

export type EventPublisher = {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /** Sends the events in one request per broker; resolves once every one is acknowledged by all in-sync replicas. */
  publish(events: readonly ClaimedEvent[]): Promise<Publication[]>;
};

/**
 * kafkajs tells which partition each message went to only per batch (base offset per partition),
 * so the partitioner is wrapped to remember each message's partition; messages of one partition
 * are appended in the order given, so offset = base offset + position within the partition.
 */
export function createEventPublisher({
  kafka,
  source,
  compression,
  topics,
  topicPartitions,
}: {
  kafka: Kafka;
  source: string;
  compression: CompressionTypes;
  /** Created when missing on every (re)connect, so a broker that was down at start-up gets them too. */
  topics: readonly string[];
  topicPartitions: number;
}): EventPublisher {
  const partitionOf = new WeakMap<Message, number>();
  const producer: Producer = kafka.producer({
    idempotent: true,
    // kafkajs keeps per-partition order only with one request in flight (maintainer, kafkajs PR #980).
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: () => {
      const defaultPartitioner = Partitioners.DefaultPartitioner();
      return (args) => {
        const partition = defaultPartitioner(args);
        partitionOf.set(args.message, partition);
        return partition;
      };
    },
  });

  return {
    async connect() {
      await producer.connect();
      await ensureTopics(kafka, topics, topicPartitions);
    },
    disconnect: () => producer.disconnect(),
    async publish(events) {
      if (events.length === 0) return [];
      const messagesByTopic = new Map<string, { event: ClaimedEvent; message: Message }[]>();
      for (const event of events) {
        const list = messagesByTopic.get(event.topic) ?? [];
        list.push({ event, message: toKafkaMessage(event, source) });
        messagesByTopic.set(event.topic, list);
      }
      const metadata = await producer.sendBatch({
        acks: -1,
        compression,
        topicMessages: [...messagesByTopic].map(([topic, list]) => ({
          topic,
          messages: list.map(({ message }) => message),
        })),
      });
      const baseOffset = new Map(
        metadata.map((entry) => [`${entry.topicName}:${entry.partition}`, BigInt(entry.baseOffset ?? '0')]),
      );
      const nextIndex = new Map<string, bigint>();
      const publications: Publication[] = [];
      for (const [topic, list] of messagesByTopic) {
        for (const { event, message } of list) {
          const partition = partitionOf.get(message);
          if (partition === undefined) throw new Error(`no partition recorded for event ${event.id}`);
          const key = `${topic}:${partition}`;
          const index = nextIndex.get(key) ?? 0n;
          nextIndex.set(key, index + 1n);
          const base = baseOffset.get(key);
          if (base === undefined) throw new Error(`the broker acknowledged no offset for ${key}`);
          publications.push({ event, partition, offset: String(base + index) });
        }
      }
      return publications;
    },
  };
}
