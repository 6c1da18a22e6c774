/**
 * Consumer groups across a group-coordinator failover (RF=3 __consumer_offsets): a kafkajs
 * group member commits offsets, the broker coordinating its group is killed with -9; a new
 * coordinator is found, the offsets committed before the failover are returned after it, and
 * the same member keeps consuming (from the committed position: no record twice, none missed)
 * and committing.
 */
import type { Consumer, EachMessagePayload } from 'kafkajs';
import { uniqueTopic } from '../helpers/broker.js';
import { closeClusters, clusterKafka, createClusterTopic, FAST_FAILOVER, findGroupCoordinator, startCluster, useClusterLock, withClusterAdmin, type Cluster } from '../helpers/cluster.js';
import { errorText, waitFor } from '../helpers/wait.js';

useClusterLock();

const PARTS = [0, 1, 2];
const PER_PARTITION = 30;
let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({
    brokers: 3,
    settings: {
      ...FAST_FAILOVER,
      'min.insync.replicas': 2,
      'offsets.topic.replication.factor': 3,
      'offsets.topic.num.partitions': 6,
      'group.initial.rebalance.delay.ms': 0,
    },
  });
}, 60_000);

afterAll(async () => {
  await closeClusters();
});

async function produceRound(topic: string, round: number): Promise<void> {
  const producer = clusterKafka(cluster, 'groups-producer').producer({ idempotent: true });
  await producer.connect();
  try {
    for (const partition of PARTS) {
      await producer.send({ topic, acks: -1, messages: Array.from({ length: PER_PARTITION }, (_, i) => ({ partition, value: `r${round}-p${partition}-${i}` })) });
    }
  } finally {
    await producer.disconnect();
  }
}

/** FindCoordinator asked of every up broker: they must agree on one that is up. */
async function coordinatorOf(group: string): Promise<number> {
  const answers = await Promise.all(cluster.upBrokers().map((b) => findGroupCoordinator(b.host, b.port, group)));
  const first = answers[0];
  if (first === undefined || answers.some((a) => a !== first)) throw new Error(`brokers disagree on the coordinator of ${group}: ${answers.join(',')}`);
  if (!cluster.upBrokers().some((b) => b.nodeId === first)) throw new Error(`coordinator ${first} is not up`);
  return first;
}

async function committed(group: string, topic: string): Promise<Record<number, string>> {
  return withClusterAdmin(cluster, async (admin) => {
    const res = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const out: Record<number, string> = {};
    for (const p of res.find((t) => t.topic === topic)?.partitions ?? []) out[p.partition] = p.offset;
    return out;
  });
}

test('offsets committed before a coordinator failover are returned after it, and the member keeps consuming and committing', async () => {
  const topic = uniqueTopic('grp-failover');
  const group = `${topic}-g`;
  await createClusterTopic(cluster, { topic, partitions: PARTS.length, replicationFactor: 3, config: { 'min.insync.replicas': '2' } });
  await produceRound(topic, 0);

  const seen: Array<{ p: number; o: number }> = [];
  const consumer: Consumer = clusterKafka(cluster, 'groups-member').consumer({
    groupId: group,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    rebalanceTimeout: 20_000,
    retry: { retries: 20, initialRetryTime: 200, maxRetryTime: 2000 },
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }: EachMessagePayload) => {
      seen.push({ p: partition, o: Number(message.offset) });
    },
  });
  const context = (): string => `\nseen ${seen.length} records\n${cluster.logs(2000)}`;
  try {
    await waitFor(`the member to consume round 0 (${PARTS.length * PER_PARTITION} records)`, () => seen.length >= PARTS.length * PER_PARTITION, { timeoutMs: 45_000 });
    await consumer.commitOffsets(PARTS.map((partition) => ({ topic, partition, offset: String(PER_PARTITION) })));
    expect(await committed(group, topic)).toEqual({ 0: String(PER_PARTITION), 1: String(PER_PARTITION), 2: String(PER_PARTITION) });

    const old = await coordinatorOf(group);
    await cluster.broker(old).kill9();
    let last = '';
    const next = await waitFor(
      `a new coordinator for ${group} (old: ${old})`,
      async () => {
        try {
          const c = await coordinatorOf(group);
          return c !== old ? c : undefined;
        } catch (err) {
          last = errorText(err);
          throw err;
        }
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    ).catch((err: unknown) => {
      throw new Error(`${errorText(err)}; last: ${last}`);
    });
    expect(next).not.toBe(old);
    // The commit made before the failover survives it.
    expect(await committed(group, topic)).toEqual({ 0: String(PER_PARTITION), 1: String(PER_PARTITION), 2: String(PER_PARTITION) });

    // The member keeps working: it gets the next round, nothing twice, nothing missed.
    await produceRound(topic, 1);
    await waitFor(`the member to consume round 1 after the failover (seen ${seen.length})`, () => seen.length >= 2 * PARTS.length * PER_PARTITION, { timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 500)); // let a duplicate delivery show up before judging
    const keys = seen.map((s) => `${s.p}:${s.o}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const p of PARTS) {
      expect(seen.filter((s) => s.p === p).map((s) => s.o)).toEqual(Array.from({ length: 2 * PER_PARTITION }, (_, i) => i));
    }
    await consumer.commitOffsets(PARTS.map((partition) => ({ topic, partition, offset: String(2 * PER_PARTITION) })));
    expect(await committed(group, topic)).toEqual({ 0: String(2 * PER_PARTITION), 1: String(2 * PER_PARTITION), 2: String(2 * PER_PARTITION) });

    // The old coordinator comes back; the group's offsets are still served correctly.
    await cluster.broker(old).restart();
    await waitFor('a coordinator all brokers agree on', () => coordinatorOf(group), { timeoutMs: 20_000, intervalMs: 200 });
    expect(await committed(group, topic)).toEqual({ 0: String(2 * PER_PARTITION), 1: String(2 * PER_PARTITION), 2: String(2 * PER_PARTITION) });
  } catch (err) {
    if (err instanceof Error) err.message += context();
    throw err;
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}, 180_000);
