import { CompressionTypes, type Kafka, type Message, Partitioners, type Producer } from 'kafkajs';
import type { Config } from '../../config/env.ts';
import { ensureTopics } from '../../infra/kafka.ts';
import { allTopics } from '../topics.ts';
import type { ClaimedEvent } from './claimed-event.ts';
import { createMessageEncoder, type MessageFormat } from './kafka-message.ts';

export type Publication = { event: ClaimedEvent; partition: number; offset: string };

export type EventPublisher = {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /** Sends the events in one request per broker; resolves once every one is acknowledged by all in-sync replicas. */
  publish(events: readonly ClaimedEvent[]): Promise<Publication[]>;
};

/**
 * Connecting the producer (and creating missing topics) failed: whatever the cause, that is the
 * broker's state, not the fault of the events about to be sent, so the relay treats it as an outage.
 */
export class ProducerConnectError extends Error {
  constructor(cause: unknown) {
    super(`could not connect the producer: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'ProducerConnectError';
  }
}

/** KAFKA_COMPRESSION's names; gzip is the only codec kafkajs ships without an extra library. */
export const compressionCodecs = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP } as const;
export type CompressionName = keyof typeof compressionCodecs;

/**
 * kafkajs tells which partition each message went to only per batch (base offset per partition),
 * so the partitioner is wrapped to remember each message's partition; messages of one partition
 * are appended in the order given, so offset = base offset + position within the partition.
 *
 * After any failed send the producer is thrown away and the next send uses a new one (a new
 * producer id). kafkajs rewinds its idempotence sequence numbers for every partition of a failed
 * request, including partitions the broker did append; the next batch of the same size on such a
 * partition then carries the sequence numbers of the appended one, and the broker acknowledges it
 * as a duplicate without writing it: silently lost messages (seen with kafkajs 2.2.4 on Kafka 4.4,
 * test/outbox/refused-batch.test.ts). A fresh producer id starts a fresh sequence.
 */
export function createEventPublisher({
  kafka,
  source,
  format = 'structured',
  compression,
  topics,
  topicPartitions,
}: {
  kafka: Kafka;
  source: string;
  format?: MessageFormat;
  compression: CompressionTypes;
  /** Created when missing on every (re)connect, so a broker that was down at start-up gets them too. */
  topics: readonly string[];
  topicPartitions: number;
}): EventPublisher {
  const partitionOf = new WeakMap<Message, number>();
  const encode = createMessageEncoder(format, source);
  let producer: Producer | null = null;
  let connected = false;

  function newProducer(): Producer {
    return kafka.producer({
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
  }

  async function discardProducer(): Promise<void> {
    const old = producer;
    producer = null;
    connected = false;
    await old?.disconnect().catch(() => {});
  }

  async function connectedProducer(): Promise<Producer> {
    if (producer && connected) return producer;
    producer ??= newProducer();
    try {
      await producer.connect();
      await ensureTopics(kafka, topics, topicPartitions);
    } catch (error) {
      await discardProducer();
      throw new ProducerConnectError(error);
    }
    connected = true;
    return producer;
  }

  return {
    async connect() {
      await connectedProducer();
    },
    disconnect: discardProducer,
    async publish(events) {
      if (events.length === 0) return [];
      const messagesByTopic = new Map<string, { event: ClaimedEvent; message: Message }[]>();
      for (const event of events) {
        const list = messagesByTopic.get(event.topic) ?? [];
        list.push({ event, message: encode(event) });
        messagesByTopic.set(event.topic, list);
      }
      const current = await connectedProducer();
      let metadata: Awaited<ReturnType<Producer['sendBatch']>>;
      try {
        metadata = await current.sendBatch({
          acks: -1,
          compression,
          topicMessages: [...messagesByTopic].map(([topic, list]) => ({
            topic,
            messages: list.map(({ message }) => message),
          })),
        });
      } catch (error) {
        await discardProducer();
        throw error;
      }
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

/** The publisher as the service configures it: its CloudEvents source, message format, compression, topics and partitions. */
export function createConfiguredPublisher({
  kafka,
  config,
  source = `/${config.serviceName}`,
}: {
  kafka: Kafka;
  config: Pick<Config, 'serviceName' | 'kafka'>;
  source?: string;
}): EventPublisher {
  return createEventPublisher({
    kafka,
    source,
    format: config.kafka.messageFormat,
    compression: compressionCodecs[config.kafka.compression],
    topics: allTopics(config.kafka.topicPrefix),
    topicPartitions: config.kafka.topicPartitions,
  });
}
