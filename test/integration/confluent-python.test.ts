/**
 * confluent-kafka-python (librdkafka) against a real broker: the AdminClient lifecycle of a
 * topic, and an idempotent producer whose acknowledged offsets an assign()-only consumer
 * must read back exactly.
 */
import { cleanupBrokers, startBroker, uniqueTopic, type BrokerProcess } from '../helpers/broker.js';
import { confluent, confluentReadAll, type ConsumeResult, type ProduceResult } from '../helpers/python.js';
import { requirePythonModules } from '../helpers/tools.js';
import { waitFor } from '../helpers/wait.js';

interface AdminResults {
  readonly results: Record<string, string | null>;
}
interface ConfigEntry {
  readonly value: string | null;
  readonly source: number;
  readonly is_default: boolean;
  readonly is_read_only: boolean;
}
interface DescribeConfigs {
  readonly error: string | null;
  readonly configs: Record<string, ConfigEntry>;
}
interface ListTopics {
  readonly brokers: Record<string, string>;
  readonly controller_id: number;
  readonly topics: Record<string, { error: string | null; partitions: Record<string, { leader: number; replicas: number[]; isrs: number[]; error: string | null }> }>;
}

const DYNAMIC_TOPIC_CONFIG = 1;

let broker: BrokerProcess;

beforeAll(async () => {
  requirePythonModules('confluent_kafka');
  broker = await startBroker();
});

afterAll(async () => {
  await cleanupBrokers();
});

/** Checks that a produce/consume pair agrees: every ack is in the log at its offset, offsets dense. */
function checkAcksReadBack(produced: ProduceResult, consumed: ConsumeResult, count: number): void {
  expect(produced.errors).toEqual([]);
  expect(produced.delivered).toHaveLength(count);
  const offsets = produced.delivered.map((d) => d.offset);
  expect(new Set(offsets).size).toBe(count);
  expect(consumed.records.map((r) => r.offset)).toEqual(Array.from({ length: consumed.records.length }, (_, i) => i));
  expect(consumed.records).toHaveLength(count);
  const byOffset = new Map(consumed.records.map((r) => [r.offset, r]));
  for (const d of produced.delivered) {
    const r = byOffset.get(d.offset);
    if (r === undefined || r.value !== d.value || (d.key !== undefined && r.key !== d.key)) {
      throw new Error(`acknowledged ${JSON.stringify(d)} but read ${JSON.stringify(r ?? null)} at offset ${d.offset}`);
    }
  }
  // Records keep producer order: value <prefix>-<i> sits at the i-th acknowledged offset.
  const sortedAcks = [...produced.delivered].sort((a, b) => a.offset - b.offset);
  expect(sortedAcks.map((d) => d.value)).toEqual(produced.delivered.map((d) => d.value).sort((a, b) => seq(a) - seq(b)));
}

function seq(value: string): number {
  return Number(value.slice(value.lastIndexOf('-') + 1));
}

test('AdminClient: create_topics, list_topics, describe_configs, alter_configs, create_partitions, delete_topics', async () => {
  const bootstrap = broker.bootstrap;
  const topic = uniqueTopic('ck-admin');

  const created = await confluent<AdminResults>('create_topics', {
    bootstrap,
    topics: [{ name: topic, partitions: 2, rf: 1, config: { 'retention.ms': '3600000' } }],
  });
  expect(created.results).toEqual({ [topic]: null });

  const again = await confluent<AdminResults>('create_topics', { bootstrap, topics: [{ name: topic, partitions: 2 }] });
  expect(again.results[topic]).toMatch(/TOPIC_ALREADY_EXISTS/);

  const listed = await confluent<ListTopics>('list_topics', { bootstrap, topic });
  const t = listed.topics[topic];
  expect(t?.error).toBeNull();
  expect(Object.keys(t?.partitions ?? {}).sort()).toEqual(['0', '1']);
  const brokerIds = Object.keys(listed.brokers).map(Number);
  for (const p of Object.values(t?.partitions ?? {})) {
    expect(brokerIds).toContain(p.leader);
    expect(p.replicas).toEqual([p.leader]);
    expect(p.isrs).toEqual([p.leader]);
  }
  expect(brokerIds).toContain(listed.controller_id);

  const described = await confluent<DescribeConfigs>('describe_configs', { bootstrap, topic });
  expect(described.error).toBeNull();
  expect(described.configs['retention.ms']).toMatchObject({ value: '3600000', source: DYNAMIC_TOPIC_CONFIG, is_default: false });
  expect(described.configs['cleanup.policy']).toMatchObject({ value: 'delete', is_default: true });

  const altered = await confluent<AdminResults>('alter_configs', { bootstrap, topic, configs: { 'retention.ms': '7200000', 'cleanup.policy': 'compact' } });
  expect(Object.values(altered.results)).toEqual([null]);
  const afterAlter = await confluent<DescribeConfigs>('describe_configs', { bootstrap, topic });
  expect(afterAlter.configs['retention.ms']).toMatchObject({ value: '7200000', source: DYNAMIC_TOPIC_CONFIG });
  expect(afterAlter.configs['cleanup.policy']).toMatchObject({ value: 'compact', source: DYNAMIC_TOPIC_CONFIG });

  const invalid = await confluent<AdminResults>('alter_configs', { bootstrap, topic, configs: { 'retention.ms': 'not-a-number' } });
  expect(Object.values(invalid.results)[0]).toMatch(/INVALID_CONFIG|INVALID_REQUEST/);
  const unchanged = await confluent<DescribeConfigs>('describe_configs', { bootstrap, topic });
  expect(unchanged.configs['retention.ms']?.value).toBe('7200000');

  const grown = await confluent<AdminResults>('create_partitions', { bootstrap, topic, total: 4 });
  expect(Object.values(grown.results)).toEqual([null]);
  await waitFor('4 partitions in metadata', async () => {
    const l = await confluent<ListTopics>('list_topics', { bootstrap, topic });
    return Object.keys(l.topics[topic]?.partitions ?? {}).length === 4;
  }, { timeoutMs: 15_000, intervalMs: 300 });

  const shrink = await confluent<AdminResults>('create_partitions', { bootstrap, topic, total: 2 });
  expect(Object.values(shrink.results)[0]).toMatch(/INVALID_PARTITIONS/);

  const deleted = await confluent<AdminResults>('delete_topics', { bootstrap, topics: [topic] });
  expect(deleted.results).toEqual({ [topic]: null });
  await waitFor('topic gone from metadata', async () => {
    const l = await confluent<ListTopics>('list_topics', { bootstrap });
    return !(topic in l.topics);
  }, { timeoutMs: 15_000, intervalMs: 300 });
}, 90_000);

test('idempotent producer: an assign() consumer reads back exactly the acknowledged offsets and values', async () => {
  const bootstrap = broker.bootstrap;
  const topic = uniqueTopic('ck-idem');
  const created = await confluent<AdminResults>('create_topics', { bootstrap, topics: [{ name: topic, partitions: 1 }] });
  expect(created.results).toEqual({ [topic]: null });

  const count = 20_000;
  const produced = await confluent<ProduceResult>('produce', { bootstrap, topic, count, idempotent: true, acks: 'all', prefix: 'idem' });
  const consumed = await confluentReadAll(bootstrap, topic);
  expect(consumed.errors).toEqual([]);
  checkAcksReadBack(produced, consumed, count);
  expect(consumed.high).toBe(count);
  for (const r of consumed.records.slice(0, 100)) expect(r.headers).toEqual([['seq', String(seq(r.value ?? ''))]]);
}, 90_000);

test.each([
  ['1', 'gzip'],
  ['all', 'zstd'],
])('acks=%s compression=%s producer: read back what was acknowledged', async (acks, codec) => {
  const bootstrap = broker.bootstrap;
  const topic = uniqueTopic(`ck-acks${acks}`);
  const created = await confluent<AdminResults>('create_topics', { bootstrap, topics: [{ name: topic, partitions: 1 }] });
  expect(created.results).toEqual({ [topic]: null });
  const count = 5_000;
  const produced = await confluent<ProduceResult>('produce', { bootstrap, topic, count, acks, prefix: `a${acks}`, config: { 'compression.codec': codec } });
  const consumed = await confluentReadAll(bootstrap, topic);
  checkAcksReadBack(produced, consumed, count);
}, 60_000);

test('create_partitions: records produced to a new partition are readable there', async () => {
  const bootstrap = broker.bootstrap;
  const topic = uniqueTopic('ck-parts');
  expect((await confluent<AdminResults>('create_topics', { bootstrap, topics: [{ name: topic, partitions: 1 }] })).results).toEqual({ [topic]: null });
  expect(Object.values((await confluent<AdminResults>('create_partitions', { bootstrap, topic, total: 3 })).results)).toEqual([null]);
  await waitFor('3 partitions in metadata', async () => {
    const l = await confluent<ListTopics>('list_topics', { bootstrap, topic });
    return Object.keys(l.topics[topic]?.partitions ?? {}).length === 3;
  }, { timeoutMs: 15_000, intervalMs: 300 });
  const produced = await confluent<ProduceResult>('produce', { bootstrap, topic, count: 300, partition: 2, acks: 'all', prefix: 'p2' });
  expect(produced.delivered.every((d) => d.partition === 2)).toBe(true);
  const consumed = await confluentReadAll(bootstrap, topic, 2);
  checkAcksReadBack(produced, consumed, 300);
  const p0 = await confluentReadAll(bootstrap, topic, 0);
  expect(p0.records).toEqual([]);
}, 60_000);
