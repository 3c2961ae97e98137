/**
 * Checks, against a running broker, every kafkajs 2.2.4 feature this project relies on. kafkajs's own CI
 * stopped at Kafka 2.4, so run this before moving the broker to another Kafka version.
 *   tsx scripts/kafka/compat-check.ts            (broker: $KAFKA_BROKER or 127.0.0.1:9092)
 * Exits 0 when everything passed, 1 on the first failure.
 */
import { randomUUID } from 'node:crypto';
import { CompressionTypes, type IHeaders, Kafka, logLevel, Partitioners, type RecordMetadata } from 'kafkajs';
import { DEFAULT_KAFKA_BROKER } from '../../src/config/default-urls.ts';

const broker = process.env.KAFKA_BROKER ?? DEFAULT_KAFKA_BROKER;
const run = randomUUID().slice(0, 8);
const topicA = `compat-${run}-a`;
const topics = [topicA, `compat-${run}-b`];
const groupId = `compat-${run}`;
const keysPerTopic = 5;
const messagesPerKey = 4;

interface Sent {
  topic: string;
  key: string;
  value: string;
  headers: Record<string, string>;
}

const kafka = new Kafka({ clientId: 'compat-check', brokers: [broker], logLevel: logLevel.WARN });

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await fn();
  console.log(`  ok  ${name} (${Date.now() - started} ms)`);
  return result;
}

/** Messages for both topics; per key a sequence number in the value, so per-key order can be checked. */
function buildMessages(): Sent[] {
  const sent: Sent[] = [];
  for (let seq = 0; seq < messagesPerKey; seq++) {
    for (const topic of topics) {
      for (let k = 0; k < keysPerTopic; k++) {
        const key = `pet-${k}`;
        const headers = {
          'event-id': randomUUID(),
          'event-type': 'PetCreated',
          'content-type': 'application/json',
        };
        sent.push({ topic, key, value: JSON.stringify({ key, seq }), headers });
      }
    }
  }
  return sent;
}

function checkMetadata(metadata: RecordMetadata[]): void {
  check(metadata.length > 0, 'sendBatch returned no RecordMetadata');
  for (const m of metadata) {
    check(topics.includes(m.topicName), `unexpected topic in metadata: ${m.topicName}`);
    check(m.errorCode === 0, `errorCode ${m.errorCode} for ${m.topicName}/${m.partition}`);
    check(m.partition >= 0 && m.partition < 3, `partition out of range: ${m.partition}`);
    check(/^\d+$/.test(m.baseOffset ?? ''), `baseOffset is not a number: ${m.baseOffset}`);
  }
  // kafkajs returns one entry per (topic, partition) written: at most 3 partitions x 2 topics.
  check(metadata.length <= 6, `too many metadata entries: ${metadata.length}`);
}

function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) out[name] = String(value);
  return out;
}

interface Received extends Sent {
  partition: number;
  offset: string;
}

async function consumeAll(expected: number): Promise<Received[]> {
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  const received: Received[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    let done!: () => void;
    const allIn = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        received.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? '',
          value: message.value?.toString() ?? '',
          headers: headersToStrings(message.headers),
        });
        if (received.length >= expected) done();
      },
    });
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(
        () => reject(new Error(`consumer got ${received.length}/${expected} messages in 30 s`)),
        30_000,
      ),
    );
    await Promise.race([allIn, timeout]);
  } finally {
    await consumer.disconnect(); // commits the consumed offsets
  }
  return received;
}

function checkReceived(sent: Sent[], received: Received[]): void {
  check(received.length === sent.length, `received ${received.length} messages, sent ${sent.length}`);
  const byEventId = new Map(received.map((r) => [r.headers['event-id'], r]));
  for (const s of sent) {
    const r = byEventId.get(s.headers['event-id']);
    check(r, `message ${s.headers['event-id']} never arrived`);
    check(
      r.topic === s.topic && r.key === s.key && r.value === s.value,
      `message ${s.headers['event-id']} altered`,
    );
    const headersIntact =
      Object.keys(r.headers).length === Object.keys(s.headers).length &&
      Object.entries(s.headers).every(([name, value]) => r.headers[name] === value);
    check(headersIntact, `headers altered: ${JSON.stringify(r.headers)}`);
  }
  // Same key -> same partition, and within a key the send order is the consume order.
  const partitionOf = new Map<string, number>();
  const lastSeq = new Map<string, number>();
  for (const r of received) {
    const id = `${r.topic}/${r.key}`;
    check((partitionOf.get(id) ?? r.partition) === r.partition, `key ${id} spread over partitions`);
    partitionOf.set(id, r.partition);
    const { seq } = JSON.parse(r.value) as { seq: number };
    check(seq === (lastSeq.get(id) ?? -1) + 1, `key ${id}: got seq ${seq} after ${lastSeq.get(id)}`);
    lastSeq.set(id, seq);
  }
}

async function main(): Promise<void> {
  console.log(`kafkajs compat check against ${broker} (run ${run})`);
  const admin = kafka.admin();
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1, // kafkajs keeps per-key order with idempotence only at 1 in flight
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await step('admin + producer connect', async () => {
    await admin.connect();
    await producer.connect(); // idempotent: InitProducerId
  });
  try {
    await step('admin.createTopics (3 partitions, 2 topics)', async () => {
      const created = await admin.createTopics({
        topics: topics.map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })),
        waitForLeaders: true,
      });
      check(created, 'createTopics returned false for new topics');
      // The broker answers TOPIC_ALREADY_EXISTS, which kafkajs logs at ERROR: use a silent client here.
      const quietAdmin = new Kafka({
        clientId: 'compat-check',
        brokers: [broker],
        logLevel: logLevel.NOTHING,
      }).admin();
      await quietAdmin.connect();
      const again = await quietAdmin.createTopics({ topics: [{ topic: topicA, numPartitions: 3 }] });
      await quietAdmin.disconnect();
      check(!again, 'createTopics returned true for an existing topic');
      const meta = await admin.fetchTopicMetadata({ topics });
      for (const t of meta.topics)
        check(t.partitions.length === 3, `${t.name} has ${t.partitions.length} partitions`);
    });

    const sent = buildMessages();
    const half = sent.length / 2;
    await step(
      `producer.sendBatch x2 (${sent.length} messages, keys + headers, acks -1, one gzip)`,
      async () => {
        for (const [batch, compression] of [
          [sent.slice(0, half), CompressionTypes.None],
          [sent.slice(half), CompressionTypes.GZIP],
        ] as const) {
          const metadata = await producer.sendBatch({
            acks: -1,
            compression,
            topicMessages: topics.map((topic) => ({
              topic,
              messages: batch
                .filter((s) => s.topic === topic)
                .map(({ key, value, headers }) => ({ key, value, headers })),
            })),
          });
          checkMetadata(metadata);
        }
      },
    );

    const received = await step(
      'consumer group fromBeginning receives all, keys/headers/order intact',
      async () => {
        const r = await consumeAll(sent.length);
        checkReceived(sent, r);
        return r;
      },
    );

    await step('admin.fetchTopicOffsets + committed group offsets', async () => {
      for (const topic of topics) {
        const offsets = await admin.fetchTopicOffsets(topic);
        check(offsets.length === 3, `fetchTopicOffsets(${topic}) returned ${offsets.length} partitions`);
        const total = offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0);
        const expected = received.filter((r) => r.topic === topic).length;
        check(total === expected, `${topic}: high-low sums to ${total}, expected ${expected}`);
        const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
        for (const c of committed.flatMap((t) => t.partitions)) {
          const high = offsets.find((o) => o.partition === c.partition)?.high;
          // An empty partition has nothing to commit: kafkajs reports -1 there.
          const ok = c.offset === high || (high === '0' && c.offset === '-1');
          check(ok, `${topic}/${c.partition}: committed ${c.offset}, high watermark ${high}`);
        }
      }
    });

    await step('admin.deleteTopics + deleteGroups', async () => {
      await admin.deleteGroups([groupId]);
      await admin.deleteTopics({ topics });
    });
  } finally {
    await step('producer + admin disconnect', async () => {
      await producer.disconnect();
      await admin.disconnect();
    });
  }
}

const started = Date.now();
main().then(
  () => {
    console.log(`PASS: kafkajs works against ${broker} (${Date.now() - started} ms)`);
    process.exit(0);
  },
  (err: unknown) => {
    console.error(`FAIL: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
