/**
 * Consumer groups across a group-coordinator failover (RF=3 __consumer_offsets): a kafkajs
 * group member (its own process, test/clients/kafkajs_member.mjs, committing each record
 * synchronously) consumes and commits; the broker coordinating its group is killed with -9;
 * a new coordinator is found, the offsets committed before the failover are returned after
 * it (kafkajs admin fetchOffsets), and the same member keeps consuming (from the committed
 * position: no record twice, none missed) and committing.
 *
 * The member runs out of process on purpose: an in-process kafkajs consumer once spun the
 * jest worker at 100% CPU after the coordinator died, starving every timer so no timeout fired.
 */
import { uniqueTopic } from '../helpers/broker.js';
import { GroupMember, killAllMembers } from '../helpers/group-members.js';
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
  await killAllMembers();
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

  // The coordinator is known before the group exists; the member bootstraps from another broker
  // (kafkajs_member.mjs takes one address) so it keeps a way into the cluster.
  const old = await waitFor(`a coordinator for ${group}`, () => coordinatorOf(group), { timeoutMs: 20_000, intervalMs: 200 });
  const entry = cluster.brokers.find((b) => b.nodeId !== old);
  if (entry === undefined) throw new Error('unreachable');
  const member = new GroupMember('kafkajs-member', 'kafkajs', { bootstrap: entry.bootstrap, group, topic, sessionTimeout: 10_000, commit: 'sync' });
  const context = (): string => `\n${member.describe()}\n${cluster.logs(2000)}`;
  const offsets = (n: number): Record<number, string> => ({ 0: String(n), 1: String(n), 2: String(n) });
  try {
    // "record" events come after the record's offset was committed (commit: sync).
    await member.waitUntil(`consume and commit round 0 (${PARTS.length * PER_PARTITION} records)`, (m) => m.records.length >= PARTS.length * PER_PARTITION, 45_000);
    expect(await committed(group, topic)).toEqual(offsets(PER_PARTITION));
    expect(await coordinatorOf(group)).toBe(old);

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
    // The commits made before the failover survive it.
    expect(await committed(group, topic)).toEqual(offsets(PER_PARTITION));

    // The member keeps working: it gets the next round, nothing twice, nothing missed.
    await produceRound(topic, 1);
    await member.waitUntil(`consume and commit round 1 after the failover`, (m) => m.records.length >= 2 * PARTS.length * PER_PARTITION, 60_000);
    await new Promise((r) => setTimeout(r, 500)); // let a duplicate delivery show up before judging
    const seen = member.records.map((e) => ({ p: e.p ?? -1, o: e.o ?? -1 }));
    const keys = seen.map((s) => `${s.p}:${s.o}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const p of PARTS) {
      expect(seen.filter((s) => s.p === p).map((s) => s.o)).toEqual(Array.from({ length: 2 * PER_PARTITION }, (_, i) => i));
    }
    expect(await committed(group, topic)).toEqual(offsets(2 * PER_PARTITION));

    // The old coordinator comes back; the group's offsets are still served correctly.
    await cluster.broker(old).restart();
    await waitFor('a coordinator all brokers agree on', () => coordinatorOf(group), { timeoutMs: 20_000, intervalMs: 200 });
    expect(await committed(group, topic)).toEqual(offsets(2 * PER_PARTITION));
    await member.stop();
  } catch (err) {
    if (err instanceof Error) err.message += context();
    throw err;
  }
}, 180_000);
