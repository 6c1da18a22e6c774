/**
 * Invariant 6 under faults (RF=3, min.insync.replicas=2, acks=all, idempotent producer):
 * a fresh 3-broker cluster per fault - kill -9 of a leader, SIGSTOP of a leader past the
 * session timeout (then SIGCONT: it rejoins as a follower), a follower killed and restarted
 * (leaves the ISR, rejoins after catching up), nats-server restarted. During each, a
 * librdkafka producer writes numbered records to 3 partitions and a raw-Fetch reader tails
 * them recording the HW of every response; afterwards kcat reads everything back and the
 * checker proves: every acknowledged record exactly once at its offset, dense offsets, produce
 * order per partition, no record served at/above HW, nothing served that later vanished.
 * Where a broker came back after the fault, the log is read once more with that broker as the
 * only one alive (so it leads everything): its own copy must be exactly right, i.e. it
 * truncated any divergent tail and caught up.
 */
import { uniqueTopic } from '../helpers/broker.js';
import { closeClusters, createClusterTopic, FAST_FAILOVER, startCluster, useClusterLock, type Cluster, type TopicSpec } from '../helpers/cluster.js';
import { ackedEnds, assertInvariants, HwFetchReader, killProducers, readAllWithKcat, SequenceProducer, type SeqRecord } from '../helpers/invariant-checker.js';
import { requireKcat, requirePythonModules } from '../helpers/tools.js';
import { sleep } from '../helpers/wait.js';

useClusterLock();

const SESSION_TIMEOUT_MS = 3000;
const SETTINGS = { ...FAST_FAILOVER, 'broker.session.timeout.ms': SESSION_TIMEOUT_MS, 'min.insync.replicas': 2, 'default.replication.factor': 3 };
const PARTS = [0, 1, 2];

beforeAll(() => {
  requireKcat();
  requirePythonModules('confluent_kafka');
});

afterEach(async () => {
  killProducers();
  await closeClusters();
});

interface Ctx {
  readonly cluster: Cluster;
  readonly topic: string;
  readonly producer: SequenceProducer;
}

/**
 * Runs `fault` while the producer and the reader run, then checks everything. `fault`
 * returns the id of a broker that came back (its log is then verified alone) or null.
 */
async function scenario(prefix: string, spec: Omit<TopicSpec, 'topic'>, fault: (ctx: Ctx) => Promise<number | null>): Promise<void> {
  const cluster = await startCluster({ brokers: 3, settings: SETTINGS });
  const topic = uniqueTopic(prefix);
  const context = (): string => `\n${producer?.summary() ?? ''}\nreader retriable: ${reader?.retriableSummary() ?? ''}\n${cluster.logs(6000)}`;
  let producer: SequenceProducer | undefined;
  let reader: HwFetchReader | undefined;
  try {
    await createClusterTopic(cluster, { topic, ...spec, config: { 'min.insync.replicas': '2' } });
    reader = new HwFetchReader({ addresses: () => cluster.addresses, topic, partitions: PARTS }).start();
    producer = SequenceProducer.start({ bootstrap: cluster.bootstrap, topic, partitions: PARTS.length, rate: 600, message_timeout_ms: 60_000 });
    await producer.waitForMoreAcks(200, { partitions: PARTS, timeoutMs: 30_000 });

    const rejoined = await fault({ cluster, topic, producer });

    // Service continues on every partition after the fault.
    await producer.waitForMoreAcks(150, { partitions: PARTS, timeoutMs: 40_000 });
    const done = await producer.finish();
    expect(producer.fatalErrors()).toEqual([]);
    await cluster.waitForFullIsr(topic, PARTS.length, { timeoutMs: 40_000 });
    await reader.caughtUp(ackedEnds(producer.acked, PARTS), 30_000);
    await reader.stop();

    const acked: readonly SeqRecord[] = producer.acked;
    const read = await readAllWithKcat(cluster.bootstrap, topic);
    assertInvariants(
      { acked, read, partitions: PARTS, observed: reader.observations, readerAnomalies: reader.anomalies, producedSeqs: done.produced ?? 0 },
      context,
    );

    if (rejoined !== null) {
      // Only `rejoined` alive: it becomes the leader of every partition (it is in every ISR)
      // and serves its own copy of the log, which must be exactly the same.
      for (const b of cluster.brokers) if (b.nodeId !== rejoined) await b.kill9();
      for (const p of PARTS) await cluster.waitForIsr(topic, p, [rejoined], { timeoutMs: 30_000 });
      const alone = await readAllWithKcat(cluster.broker(rejoined).bootstrap, topic);
      assertInvariants(
        { acked, read: alone, partitions: PARTS, observed: reader.observations, producedSeqs: done.produced ?? 0 },
        () => `(log as served by broker ${rejoined} alone)${context()}`,
      );
    }
  } catch (err) {
    if (err instanceof Error && !err.message.includes('--- broker 0')) err.message += context();
    if (err instanceof Error) err.message = `${await cluster.replicaViews(topic)}\n${err.message}`;
    throw err;
  } finally {
    producer?.kill();
    await reader?.stop();
    await cluster.close();
  }
}

test('kill -9 of the leader: a new leader from the ISR takes over; the old one restarts, rejoins and truncates', async () => {
  await scenario('fo-kill', { partitions: 3, replicationFactor: 3 }, async ({ cluster, topic, producer }) => {
    const before = await cluster.partitionState(topic, 0);
    const old = before.leader;
    await cluster.broker(old).kill9();
    const next = await cluster.leaderOf(topic, 0, (l) => l !== old, { timeoutMs: 20_000 });
    expect(before.isr).toContain(next);
    expect((await cluster.partitionState(topic, 0)).leaderEpoch).toBeGreaterThan(before.leaderEpoch);
    await producer.waitForMoreAcks(100, { partitions: PARTS, timeoutMs: 30_000 });
    await cluster.broker(old).restart();
    await cluster.waitForFullIsr(topic, PARTS.length, { timeoutMs: 40_000 });
    return old;
  });
}, 180_000);

test('SIGSTOP of the leader past the session timeout: a new leader takes over; after SIGCONT the old one rejoins as a follower', async () => {
  await scenario('fo-stop', { partitions: 3, replicationFactor: 3 }, async ({ cluster, topic, producer }) => {
    const before = await cluster.partitionState(topic, 0);
    const old = before.leader;
    cluster.broker(old).pause();
    await sleep(SESSION_TIMEOUT_MS + 1000);
    const next = await cluster.leaderOf(topic, 0, (l) => l !== old, { timeoutMs: 20_000 });
    expect(before.isr).toContain(next);
    await producer.waitForMoreAcks(100, { partitions: PARTS, timeoutMs: 30_000 });
    cluster.broker(old).resume();
    // Back in every ISR (so it caught up as a follower) and it agrees it no longer leads p0.
    await cluster.waitForFullIsr(topic, PARTS.length, { timeoutMs: 40_000 });
    const after = await cluster.partitionState(topic, 0);
    expect(after.leaderEpoch).toBeGreaterThan(before.leaderEpoch);
    return old;
  });
}, 180_000);

test('a follower killed and restarted leaves the ISR, then rejoins it after catching up', async () => {
  // Broker 2 follows every partition and leads none, so this fault is a pure follower loss.
  const assignment = [
    [0, 1, 2],
    [1, 0, 2],
    [0, 1, 2],
  ];
  await scenario('fo-follower', { replicaAssignment: assignment }, async ({ cluster, topic, producer }) => {
    for (const p of PARTS) expect((await cluster.partitionState(topic, p)).leader).not.toBe(2);
    await cluster.broker(2).kill9();
    for (const p of PARTS) await cluster.waitForIsr(topic, p, assignment[p]?.filter((b) => b !== 2) ?? [], { timeoutMs: 20_000 });
    // With 2 of 3 in the ISR, acks=all (min.insync.replicas=2) keeps working.
    await producer.waitForMoreAcks(150, { partitions: PARTS, timeoutMs: 30_000 });
    await cluster.broker(2).restart();
    await cluster.waitForFullIsr(topic, PARTS.length, { timeoutMs: 40_000 });
    return 2;
  });
}, 180_000);

test('nats-server restarted: produce continues, brokers stay registered, and leader failover still works afterwards', async () => {
  await scenario('fo-nats', { partitions: 3, replicationFactor: 3 }, async ({ cluster, topic, producer }) => {
    await cluster.nats.restart();
    await producer.waitForMoreAcks(100, { partitions: PARTS, timeoutMs: 30_000 });
    await cluster.waitForBrokers([0, 1, 2], { timeoutMs: 20_000 });
    // The metadata watch and controller lease survived the restart: a leader loss is handled.
    const before = await cluster.partitionState(topic, 1);
    await cluster.broker(before.leader).kill9();
    await cluster.leaderOf(topic, 1, (l) => l !== before.leader, { timeoutMs: 20_000 });
    await producer.waitForMoreAcks(100, { partitions: PARTS, timeoutMs: 30_000 });
    await cluster.broker(before.leader).restart();
    await cluster.waitForFullIsr(topic, PARTS.length, { timeoutMs: 40_000 });
    return null;
  });
}, 180_000);
