import { Kafka, logLevel } from 'kafkajs';

export type KafkaTopics = {
  /**
   * Creates topics the service would otherwise create itself; `logAppendTime` makes the broker stamp
   * every message with the moment it appended it, which is when it acknowledges it (one broker).
   */
  create(topics: readonly string[], options: { partitions: number; logAppendTime?: boolean }): Promise<void>;
  /** Messages on the topics (sum of the partitions' high watermarks). */
  messageCount(topics: readonly string[]): Promise<number>;
  delete(topics: readonly string[]): Promise<void>;
};

export function createKafkaTopics(brokers: readonly string[]): KafkaTopics {
  const kafka = new Kafka({
    clientId: 'petstore-bench-admin',
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
  });

  async function withAdmin<T>(work: (admin: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return await work(admin);
    } finally {
      await admin.disconnect();
    }
  }

  return {
    create: (topics, { partitions, logAppendTime = false }) =>
      withAdmin(async (admin) => {
        const existing = new Set(await admin.listTopics());
        const missing = topics.filter((topic) => !existing.has(topic));
        if (missing.length === 0) return;
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((topic) => ({
            topic,
            numPartitions: partitions,
            configEntries: logAppendTime ? [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] : [],
          })),
        });
      }),
    messageCount: (topics) =>
      withAdmin(async (admin) => {
        const existing = new Set(await admin.listTopics());
        let total = 0;
        for (const topic of topics.filter((name) => existing.has(name))) {
          for (const partition of await admin.fetchTopicOffsets(topic))
            total += Number(partition.high) - Number(partition.low);
        }
        return total;
      }),
    delete: (topics) =>
      withAdmin(async (admin) => {
        const existing = new Set(await admin.listTopics());
        const present = topics.filter((topic) => existing.has(topic));
        if (present.length > 0) await admin.deleteTopics({ topics: present, timeout: 30_000 });
      }),
  };
}
