/** One topic per aggregate type, under KAFKA_TOPIC_PREFIX: `petstore.pets`, `petstore.orders`, `petstore.users`. */
export const aggregateTopicNames = {
  pet: 'pets',
  order: 'orders',
  user: 'users',
} as const;

export type AggregateType = keyof typeof aggregateTopicNames;

export function topicFor(prefix: string, aggregateType: AggregateType): string {
  return `${prefix}.${aggregateTopicNames[aggregateType]}`;
}

export function allTopics(prefix: string): string[] {
  return (Object.keys(aggregateTopicNames) as AggregateType[]).map((type) => topicFor(prefix, type));
}
