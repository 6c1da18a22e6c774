/**
 * Partition reassignment on a 4-broker cluster: a partition on brokers {0,1,2} is moved to
 * {1,2,3} with kafkajs admin alterPartitionReassignments while a librdkafka idempotent acks=all
 * producer and a raw-Fetch consumer run. listPartitionReassignments reports it finished; the final replicas are exactly [1,2,3] with a full ISR; the producer saw no error
 * that is not retriable; nothing acknowledged is lost and the checker's invariants hold.
 */
import { uniqueTopic } from '../helpers/broker.js';
import { closeClusters, createClusterTopic, FAST_FAILOVER, startCluster, useClusterLock, withClusterAdmin, type Cluster } from '../helpers/cluster.js';
import { ackedEnds, assertInvariants, HwFetchReader, killProducers, readAllWithKcat, SequenceProducer } from '../helpers/invariant-checker.js';
import { requireKcat, requirePythonModules } from '../helpers/tools.js';
import { errorText, waitFor } from '../helpers/wait.js';

useClusterLock();

let cluster: Cluster;

beforeAll(async () => {
  requireKcat();
  requirePythonModules('confluent_kafka');
  cluster = await startCluster({ brokers: 4, settings: { ...FAST_FAILOVER, 'min.insync.replicas': 2 } });
}, 60_000);

afterAll(async () => {
  killProducers();
  await closeClusters();
});

test('move a partition from {0,1,2} to {1,2,3} under load: no loss, final replicas [1,2,3] with a full ISR', async () => {
  const topic = uniqueTopic('reassign');
  await createClusterTopic(cluster, { topic, replicaAssignment: [[0, 1, 2]], config: { 'min.insync.replicas': '2' } });
  const before = await cluster.partitionState(topic, 0);
  expect(before.replicas).toEqual([0, 1, 2]);

  const reader = new HwFetchReader({ addresses: () => cluster.addresses, topic, partitions: [0] }).start();
  const producer = SequenceProducer.start({ bootstrap: cluster.bootstrap, topic, partitions: 1, rate: 800 });
  const context = (): string => `\n${producer.summary()}\nreader retriable: ${reader.retriableSummary()}\n${cluster.logs(2000)}`;
  try {
    await producer.waitForMoreAcks(1500, { timeoutMs: 30_000 });

    await withClusterAdmin(cluster, async (admin) => {
      await admin.alterPartitionReassignments({ topics: [{ topic, partitionAssignment: [{ partition: 0, replicas: [1, 2, 3] }] }], timeout: 10_000 });
      // Done when the partition is no longer listed with adding/removing replicas.
      let last = '';
      await waitFor(
        'the reassignment to finish (listPartitionReassignments empty for the partition)',
        async () => {
          const res = await admin.listPartitionReassignments({ topics: [{ topic, partitions: [0] }], timeout: 5000 });
          last = JSON.stringify(res.topics);
          const entry = res.topics.find((t) => t.topic === topic)?.partitions.find((p) => p.partitionIndex === 0);
          return entry === undefined || ((entry.addingReplicas ?? []).length === 0 && (entry.removingReplicas ?? []).length === 0);
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      ).catch((err: unknown) => {
        throw new Error(`${errorText(err)}; last listPartitionReassignments: ${last}`);
      });
    });

    const after = await cluster.waitForIsr(topic, 0, [1, 2, 3], { timeoutMs: 30_000 });
    expect(after.replicas).toEqual([1, 2, 3]);
    expect([1, 2, 3]).toContain(after.leader);
    expect(after.leaderEpoch).toBeGreaterThanOrEqual(before.leaderEpoch);

    // The producer keeps being acknowledged after the move.
    await producer.waitForMoreAcks(300, { timeoutMs: 30_000 });
    const done = await producer.finish();
    expect(producer.fatalErrors()).toEqual([]);
    expect(producer.nonRetriableErrors()).toEqual([]);
    await reader.caughtUp(ackedEnds(producer.acked, [0]), 30_000);
    await reader.stop();
    const read = await readAllWithKcat(cluster.bootstrap, topic);
    assertInvariants({ acked: producer.acked, read, partitions: [0], observed: reader.observations, readerAnomalies: reader.anomalies, producedSeqs: done.produced ?? 0 }, context);
    // The only reader errors allowed are retriable ones (leader moves); anomalies were checked above.
    expect(reader.anomalies).toEqual([]);
  } catch (err) {
    if (err instanceof Error && !err.message.includes('--- broker 0')) err.message += context();
    if (err instanceof Error) err.message = `${await cluster.replicaViews(topic)}\n${err.message}`;
    throw err;
  } finally {
    producer.kill();
    await reader.stop();
  }
}, 180_000);
