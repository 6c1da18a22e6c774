/**
 * A 3-broker cluster (real nats-server + 3 broker processes): topics with RF=3 and
 * min.insync.replicas=2 created by confluent-kafka-python's AdminClient and by kafkajs admin;
 * Metadata as kcat (librdkafka) sees it lists the 3 brokers, spreads partition leaders evenly
 * over them, and shows every ISR full.
 */
import { closeClusters, FAST_FAILOVER, startCluster, useClusterLock, withClusterAdmin, type Cluster } from '../helpers/cluster.js';
import { uniqueTopic } from '../helpers/broker.js';
import { confluent } from '../helpers/python.js';
import { kcatOk, requireKcat, requirePythonModules } from '../helpers/tools.js';
import { waitFor } from '../helpers/wait.js';

useClusterLock();

interface KcatMetadata {
  readonly controllerid: number;
  readonly brokers: ReadonlyArray<{ id: number; name: string }>;
  readonly topics: ReadonlyArray<{
    topic: string;
    error?: string;
    partitions: ReadonlyArray<{ partition: number; leader: number; error?: string; replicas: ReadonlyArray<{ id: number }>; isrs: ReadonlyArray<{ id: number }> }>;
  }>;
}

let cluster: Cluster;

beforeAll(async () => {
  requireKcat();
  requirePythonModules('confluent_kafka');
  cluster = await startCluster({ brokers: 3, settings: FAST_FAILOVER });
}, 60_000);

afterAll(async () => {
  await closeClusters();
});

async function kcatMetadata(topic: string): Promise<KcatMetadata> {
  const r = await kcatOk(['-b', cluster.bootstrap, '-L', '-J', '-t', topic, '-m', '10']);
  return JSON.parse(r.stdout.toString('utf8')) as KcatMetadata;
}

/** Waits until kcat sees the topic with `partitions` partitions, each with 3 replicas and a full ISR; returns that view. */
async function expectFullIsrAndSpread(topic: string, partitions: number): Promise<void> {
  let last = '';
  const md = await waitFor(
    `kcat -L to show ${topic} with ${partitions} partitions, 3 replicas each, full ISRs`,
    async () => {
      const m = await kcatMetadata(topic);
      last = JSON.stringify(m.topics);
      const t = m.topics.find((x) => x.topic === topic);
      if (t === undefined || t.error !== undefined || t.partitions.length !== partitions) return undefined;
      const ok = t.partitions.every((p) => p.error === undefined && p.replicas.length === 3 && sameSet(p.isrs.map((i) => i.id), p.replicas.map((r) => r.id)));
      return ok ? m : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 250 },
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}; last kcat view: ${last}\n${cluster.logs(1500)}`);
  });
  expect(md.brokers.map((b) => b.id).sort()).toEqual([0, 1, 2]);
  expect(md.brokers.map((b) => b.name).sort()).toEqual(cluster.brokers.map((b) => b.bootstrap).sort());
  expect([0, 1, 2]).toContain(md.controllerid);
  const t = md.topics.find((x) => x.topic === topic);
  if (t === undefined) throw new Error('unreachable');
  for (const p of t.partitions) {
    const replicas = p.replicas.map((r) => r.id);
    expect(new Set(replicas).size).toBe(3); // three distinct brokers
    expect(replicas).toContain(p.leader);
  }
  // Leaders spread: with 3 * k partitions each broker leads k of them (as Kafka's placement does).
  const led = [0, 1, 2].map((id) => t.partitions.filter((p) => p.leader === id).length);
  expect(led).toEqual([partitions / 3, partitions / 3, partitions / 3]);
}

function sameSet(a: readonly number[], b: readonly number[]): boolean {
  return [...a].sort().join(',') === [...b].sort().join(',');
}

test('confluent-kafka-python AdminClient creates an RF=3, min.insync.replicas=2 topic; kcat sees spread leaders and full ISRs', async () => {
  const topic = uniqueTopic('cl-ck');
  const created = await confluent<{ results: Record<string, string | null> }>('create_topics', {
    bootstrap: cluster.bootstrap,
    topics: [{ name: topic, partitions: 6, rf: 3, config: { 'min.insync.replicas': '2' } }],
  });
  expect(created.results).toEqual({ [topic]: null });
  await expectFullIsrAndSpread(topic, 6);
  const configs = await confluent<{ error: string | null; configs: Record<string, { value: string | null }> }>('describe_configs', { bootstrap: cluster.bootstrap, topic });
  expect(configs.error).toBeNull();
  expect(configs.configs['min.insync.replicas']?.value).toBe('2');
}, 60_000);

test('kafkajs admin creates an RF=3, min.insync.replicas=2 topic; every broker serves the same metadata', async () => {
  const topic = uniqueTopic('cl-js');
  await withClusterAdmin(cluster, async (admin) => {
    const ok = await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: 3, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }],
    });
    expect(ok).toBe(true);
    const md = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(md.topics[0]?.partitions).toHaveLength(3);
  });
  await expectFullIsrAndSpread(topic, 3);
  // Each broker answers Metadata from its own image: all three must agree.
  for (let p = 0; p < 3; p++) {
    const s = await cluster.partitionState(topic, p);
    expect(s.replicas).toHaveLength(3);
    expect([...s.isr].sort()).toEqual([...s.replicas].sort());
  }
}, 60_000);
