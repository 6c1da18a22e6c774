/**
 * Controlled shutdown: SIGTERM to a broker that leads partitions moves its leaderships (and
 * takes it out of the ISRs) BEFORE it exits 0, so the rest of the cluster shows new leaders at
 * once, not after the broker session timeout (left at its 6 s default here, with
 * replica.lag.time.max.ms at its 30 s default, so neither timeout can be what moved them).
 * An idempotent acks=all producer keeps being acknowledged on every partition within
 * seconds, and nothing acknowledged is lost.
 */
import { uniqueTopic } from '../helpers/broker.js';
import { closeClusters, createClusterTopic, startCluster, useClusterLock, type Cluster } from '../helpers/cluster.js';
import { ackedEnds, assertInvariants, HwFetchReader, killProducers, readAllWithKcat, SequenceProducer } from '../helpers/invariant-checker.js';
import { requireKcat, requirePythonModules } from '../helpers/tools.js';
import { errorText, waitFor } from '../helpers/wait.js';

useClusterLock();

const SESSION_TIMEOUT_MS = 6000;
const PARTS = [0, 1, 2, 3, 4, 5];
let cluster: Cluster;

beforeAll(async () => {
  requireKcat();
  requirePythonModules('confluent_kafka');
  cluster = await startCluster({ brokers: 3, settings: { 'broker.session.timeout.ms': SESSION_TIMEOUT_MS, 'min.insync.replicas': 2, 'controlled.shutdown.enable': true } });
}, 60_000);

afterAll(async () => {
  killProducers();
  await closeClusters();
});

test('SIGTERM moves the broker\'s leaderships before it exits; producers barely notice; nothing is lost', async () => {
  const topic = uniqueTopic('ctl-shutdown');
  await createClusterTopic(cluster, { topic, partitions: PARTS.length, replicationFactor: 3, config: { 'min.insync.replicas': '2' } });
  const victim = 1;
  const ledBefore: number[] = [];
  for (const p of PARTS) if ((await cluster.partitionState(topic, p)).leader === victim) ledBefore.push(p);
  expect(ledBefore.length).toBeGreaterThan(0);

  const reader = new HwFetchReader({ addresses: () => cluster.addresses, topic, partitions: PARTS }).start();
  const producer = SequenceProducer.start({ bootstrap: cluster.bootstrap, topic, partitions: PARTS.length, rate: 600 });
  const context = (): string => `\n${producer.summary()}\nreader retriable: ${reader.retriableSummary()}\n${cluster.logs(2000)}`;
  try {
    await producer.waitForMoreAcks(50, { partitions: PARTS, timeoutMs: 30_000 });

    const elapsed = await cluster.broker(victim).stop(20_000); // asserts exit code 0
    const exitedAt = Date.now();
    // Leaderships were moved before the exit: the survivors agree on live leaders well inside
    // the session timeout (after which the controller would have moved them anyway).
    let last = '';
    await waitFor(
      `every partition led by a surviving broker within 1.5 s of broker ${victim}'s exit`,
      async () => {
        const states = await Promise.all(PARTS.map((p) => cluster.partitionState(topic, p)));
        last = states.map((s, i) => `p${i}: leader ${s.leader} isr [${s.isr.join(',')}]`).join('; ');
        return states.every((s) => s.leader >= 0 && s.leader !== victim);
      },
      { timeoutMs: 1500, intervalMs: 50 },
    ).catch((err: unknown) => {
      throw new Error(`${errorText(err)}; last seen: ${last}; shutdown took ${elapsed} ms`);
    });
    expect(Date.now() - exitedAt).toBeLessThan(SESSION_TIMEOUT_MS);

    // acks=all continues on every partition within seconds: the stopped broker left the ISRs
    // (it did not have to time out of them after replica.lag.time.max.ms = 30 s).
    await producer.waitForMoreAcks(20, { partitions: PARTS, timeoutMs: 5000 });
    for (const p of PARTS) expect((await cluster.partitionState(topic, p)).isr).not.toContain(victim);

    await cluster.broker(victim).restart();
    await cluster.waitForFullIsr(topic, PARTS.length, { timeoutMs: 40_000 });
    await producer.waitForMoreAcks(50, { partitions: PARTS, timeoutMs: 30_000 });
    const done = await producer.finish();
    expect(producer.fatalErrors()).toEqual([]);
    expect(producer.nonRetriableErrors()).toEqual([]);
    await reader.caughtUp(ackedEnds(producer.acked, PARTS), 30_000);
    await reader.stop();
    const read = await readAllWithKcat(cluster.bootstrap, topic);
    assertInvariants({ acked: producer.acked, read, partitions: PARTS, observed: reader.observations, readerAnomalies: reader.anomalies, producedSeqs: done.produced ?? 0 }, context);
  } catch (err) {
    if (err instanceof Error && !err.message.includes('--- broker 0')) err.message += context();
    if (err instanceof Error) err.message = `${await cluster.replicaViews(topic)}\n${err.message}`;
    throw err;
  } finally {
    producer.kill();
    await reader.stop();
  }
}, 150_000);
