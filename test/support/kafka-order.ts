import type { CollectedMessage } from './kafka-collector.ts';

/** Kafka order: by topic, partition, offset. */
export function inKafkaOrder(messages: readonly CollectedMessage[]): CollectedMessage[] {
  return [...messages].sort((a, b) =>
    a.topic !== b.topic
      ? a.topic.localeCompare(b.topic)
      : a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)),
  );
}

/**
 * The per-aggregate order as Kafka holds it: for each aggregate, the aggregate sequences in offset
 * order (one aggregate is one key is one partition, so offset order is the order consumers see).
 */
export function sequencesByAggregate(messages: readonly CollectedMessage[]): Map<string, number[]> {
  const result = new Map<string, number[]>();
  for (const message of inKafkaOrder(messages)) {
    const key = `${message.event.aggregateType}/${message.event.aggregateId}`;
    result.set(key, [...(result.get(key) ?? []), message.event.aggregateSequence]);
  }
  return result;
}
