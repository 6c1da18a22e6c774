/**
 * kafkajs 2.2.4 against a real broker: admin API surface and producers (idempotent or not,
 * acks -1/1/0, gzip). kafkajs has no group-less consumer, so records are read back with kcat.
 */
import kafkajs from 'kafkajs';
import type { CompressionTypes as CompressionType, ProducerConfig, RecordMetadata } from 'kafkajs';
import { cleanupBrokers, startBroker, uniqueTopic, type BrokerProcess } from '../helpers/broker.js';
import { withAdmin, withProducer } from '../helpers/kafkajs.js';
import { KCAT_FORMAT, parseKcatOutput, type ReadRecord } from '../helpers/records.js';
import { kcatOk, requireKcat } from '../helpers/tools.js';
import { waitFor } from '../helpers/wait.js';

const { CompressionTypes, ConfigResourceTypes } = kafkajs;

let broker: BrokerProcess;

beforeAll(async () => {
  requireKcat();
  broker = await startBroker();
});

afterAll(async () => {
  await cleanupBrokers();
});

async function kcatReadAll(topic: string, partition = 0): Promise<ReadRecord[]> {
  const r = await kcatOk(['-C', '-b', broker.bootstrap, '-t', topic, '-p', String(partition), '-o', 'beginning', '-e', '-q', '-f', KCAT_FORMAT], undefined, {
    timeoutMs: 30_000,
  });
  return parseKcatOutput(r.stdout);
}

async function createTopic(topic: string, numPartitions = 1): Promise<void> {
  await withAdmin(broker, async (admin) => {
    expect(await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions, replicationFactor: 1 }] })).toBe(true);
  });
}

test('admin: createTopics, fetchTopicMetadata, describeConfigs, alterConfigs, createPartitions, deleteTopics', async () => {
  const topic = uniqueTopic('kjs-admin');
  await withAdmin(broker, async (admin) => {
    expect(await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 2, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '86400000' }] }] })).toBe(true);
    // Creating it again is not an error for kafkajs, it reports "not created".
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] })).toBe(false);
    expect(await admin.listTopics()).toContain(topic);

    const md = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(md.topics).toHaveLength(1);
    expect(md.topics[0]?.name).toBe(topic);
    expect(md.topics[0]?.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1]);
    for (const p of md.topics[0]?.partitions ?? []) {
      expect(p.partitionErrorCode).toBe(0);
      expect(p.leader).toBeGreaterThanOrEqual(0);
      expect(p.isr).toEqual([p.leader]);
    }

    const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms', 'cleanup.policy'] }] });
    const entries = described.resources[0]?.configEntries ?? [];
    expect(described.resources[0]?.errorCode).toBe(0);
    expect(entries.find((e) => e.configName === 'retention.ms')?.configValue).toBe('86400000');
    expect(entries.find((e) => e.configName === 'cleanup.policy')?.configValue).toBe('delete');

    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'retention.ms', value: '1234567' }] }] });
    const after = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }] });
    expect(after.resources[0]?.configEntries.find((e) => e.configName === 'retention.ms')?.configValue).toBe('1234567');

    await admin.createPartitions({ topicPartitions: [{ topic, count: 5 }] });
    await waitFor('5 partitions', async () => (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions.length === 5, { timeoutMs: 10_000, intervalMs: 200 });

    await admin.deleteTopics({ topics: [topic], timeout: 10_000 });
    await waitFor('topic deleted', async () => !(await admin.listTopics()).includes(topic), { timeoutMs: 10_000, intervalMs: 200 });
  });
}, 60_000);

interface Variant {
  readonly name: string;
  readonly producer: ProducerConfig;
  readonly acks: number;
  readonly compression?: CompressionType;
}

const variants: Variant[] = [
  { name: 'idempotent acks=-1', producer: { idempotent: true, maxInFlightRequests: 1 }, acks: -1 },
  { name: 'acks=-1', producer: {}, acks: -1 },
  { name: 'acks=1 gzip', producer: {}, acks: 1, compression: CompressionTypes.GZIP },
  { name: 'acks=0', producer: {}, acks: 0 },
];

test.each(variants)('producer $name: every record is read back (at its acknowledged offset)', async (v) => {
  const topic = uniqueTopic('kjs-prod');
  await createTopic(topic);
  const batches = 10;
  const perBatch = 500;
  const expected = new Map<number, string>();
  const sentInOrder: string[] = [];
  await withProducer(broker, v.producer, async (producer) => {
    for (let b = 0; b < batches; b++) {
      const values = Array.from({ length: perBatch }, (_, i) => `kjs-${b}-${i}`);
      const meta: RecordMetadata[] = await producer.send({
        topic,
        acks: v.acks,
        ...(v.compression === undefined ? {} : { compression: v.compression }),
        messages: values.map((value, i) => ({ key: `k${b}-${i}`, value, partition: 0, headers: { batch: String(b) } })),
      });
      sentInOrder.push(...values);
      if (v.acks !== 0) {
        expect(meta).toHaveLength(1);
        expect(meta[0]?.errorCode).toBe(0);
        const base = Number(meta[0]?.baseOffset);
        values.forEach((value, i) => expected.set(base + i, value));
      }
    }
  });
  const total = batches * perBatch;
  if (v.acks === 0) {
    // No acknowledgements: wait for the high watermark, then every record must be there in order.
    await withAdmin(broker, async (admin) => {
      await waitFor(`high watermark ${total}`, async () => (await admin.fetchTopicOffsets(topic))[0]?.high === String(total), { timeoutMs: 10_000, intervalMs: 100 });
    });
  }
  const read = await kcatReadAll(topic);
  expect(read.map((r) => r.offset)).toEqual(Array.from({ length: total }, (_, i) => i));
  expect(read.map((r) => r.value)).toEqual(sentInOrder);
  for (const [offset, value] of expected) expect(read[offset]?.value).toBe(value);
  expect(read[0]?.key).toBe('k0-0');
  expect(read[0]?.headers).toBe('batch=0');
  if (v.acks !== 0) expect(expected.size).toBe(total);
}, 60_000);

test('admin offsets: fetchTopicOffsets, fetchTopicOffsetsByTimestamp, deleteTopicRecords', async () => {
  const topic = uniqueTopic('kjs-offsets');
  await createTopic(topic);
  const t0 = Date.now() - 60_000;
  const count = 200;
  await withProducer(broker, {}, async (producer) => {
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: count }, (_, i) => ({ value: `ts-${i}`, partition: 0, timestamp: String(t0 + i * 10) })),
    });
  });
  await withAdmin(broker, async (admin) => {
    expect(await admin.fetchTopicOffsets(topic)).toEqual([expect.objectContaining({ partition: 0, low: '0', high: String(count) })]);
    // First record with timestamp >= t0 + 505 is i = 51.
    expect(await admin.fetchTopicOffsetsByTimestamp(topic, t0 + 505)).toEqual([{ partition: 0, offset: '51' }]);
    expect(await admin.fetchTopicOffsetsByTimestamp(topic, t0)).toEqual([{ partition: 0, offset: '0' }]);
    // Past the last timestamp: the end offset.
    expect(await admin.fetchTopicOffsetsByTimestamp(topic, t0 + count * 10 + 1000)).toEqual([{ partition: 0, offset: String(count) }]);

    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '40' }] });
    expect(await admin.fetchTopicOffsets(topic)).toEqual([expect.objectContaining({ partition: 0, low: '40', high: String(count) })]);
  });
  const read = await kcatReadAll(topic);
  expect(read.map((r) => r.offset)).toEqual(Array.from({ length: count - 40 }, (_, i) => 40 + i));
  expect(read.map((r) => r.value)).toEqual(Array.from({ length: count - 40 }, (_, i) => `ts-${40 + i}`));
  expect(read.map((r) => r.timestamp)).toEqual(Array.from({ length: count - 40 }, (_, i) => t0 + (40 + i) * 10));
}, 60_000);

test('a record batch larger than the topic max.message.bytes is rejected with MESSAGE_TOO_LARGE', async () => {
  const topic = uniqueTopic('kjs-big');
  await withAdmin(broker, async (admin) => {
    expect(await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'max.message.bytes', value: '2000' }] }] })).toBe(true);
  });
  let failure: unknown = null;
  await withProducer(broker, { retry: { retries: 0 } }, async (producer) => {
    await producer.send({ topic, acks: -1, messages: [{ value: 'small', partition: 0 }] });
    try {
      await producer.send({ topic, acks: -1, messages: [{ value: 'x'.repeat(10_000), partition: 0 }] });
    } catch (err) {
      failure = err;
    }
  });
  expect(errorChainText(failure)).toMatch(/MESSAGE_TOO_LARGE|larger than the maximum/i);
  const read = await kcatReadAll(topic);
  expect(read.map((r) => [r.offset, r.value])).toEqual([[0, 'small']]);
}, 30_000);

/** Names, types and messages of an error and its causes (kafkajs wraps protocol errors). */
function errorChainText(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur !== null && cur !== undefined && depth < 5; depth++) {
    if (typeof cur !== 'object') {
      parts.push(String(cur));
      break;
    }
    const o = cur as { name?: unknown; type?: unknown; message?: unknown; cause?: unknown; originalError?: unknown };
    parts.push([o.name, o.type, o.message].filter((x) => typeof x === 'string').join(' '));
    cur = o.cause ?? o.originalError;
  }
  return parts.join(' <- ');
}
