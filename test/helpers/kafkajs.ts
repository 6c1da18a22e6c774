/** kafkajs (real, in-process) clients pointed at a test broker. */
import kafkajs from 'kafkajs';
import type { Admin, Kafka as KafkaClient, Producer, ProducerConfig } from 'kafkajs';
import type { BrokerProcess } from './broker.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const { Kafka, logLevel } = kafkajs;

export function kafkaClient(broker: BrokerProcess, clientId = 'strand-test'): KafkaClient {
  return new Kafka({
    clientId,
    brokers: [broker.bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 5000,
    requestTimeout: 15000,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
  });
}

export async function withAdmin<T>(broker: BrokerProcess, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafkaClient(broker, 'strand-test-admin').admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

export async function withProducer<T>(broker: BrokerProcess, config: ProducerConfig, fn: (p: Producer) => Promise<T>): Promise<T> {
  const producer = kafkaClient(broker, 'strand-test-producer').producer(config);
  await producer.connect();
  try {
    return await fn(producer);
  } finally {
    await producer.disconnect();
  }
}

/** Creates topics with kafkajs admin and throws unless it reports them created. */
export async function createTopics(broker: BrokerProcess, topics: ReadonlyArray<{ topic: string; numPartitions?: number }>): Promise<void> {
  await withAdmin(broker, async (admin) => {
    const created = await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((t) => ({ topic: t.topic, numPartitions: t.numPartitions ?? 1, replicationFactor: 1 })),
    });
    if (!created) throw new Error(`kafkajs createTopics(${topics.map((t) => t.topic).join(', ')}) returned false`);
  });
}

/** The group's committed offset per partition of `topic` (kafkajs admin; -1 = none committed). */
export async function committedOffsets(broker: BrokerProcess, groupId: string, topic: string): Promise<Record<string, number>> {
  return withAdmin(broker, async (admin) => {
    const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Object.fromEntries((t?.partitions ?? []).map((p) => [String(p.partition), Number(p.offset)]));
  });
}

/** The log end offset (high watermark) per partition of `topic`. */
export async function logEndOffsets(broker: BrokerProcess, topic: string): Promise<Record<string, number>> {
  return withAdmin(broker, async (admin) => Object.fromEntries((await admin.fetchTopicOffsets(topic)).map((p) => [String(p.partition), Number(p.high)])));
}
