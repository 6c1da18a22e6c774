/**
 * min.insync.replicas (invariant 3): RF=3, min.insync.replicas=2. With two of the three
 * brokers down the ISR shrinks to the leader alone; acks=all is then refused with
 * NOT_ENOUGH_REPLICAS (librdkafka and a raw Produce both see it) while acks=1 still succeeds;
 * bringing one broker back (it rejoins the ISR) restores acks=all. Every acknowledged record
 * of either kind is in the log afterwards.
 */
import { uniqueTopic } from '../helpers/broker.js';
import { closeClusters, createClusterTopic, FAST_FAILOVER, startCluster, useClusterLock, type Cluster } from '../helpers/cluster.js';
import { assertInvariants, type SeqRecord } from '../helpers/invariant-checker.js';
import { confluent, type ProduceResult } from '../helpers/python.js';
import { kcatOk, requireKcat, requirePythonModules } from '../helpers/tools.js';
import { API_PRODUCE, parseProduceV3Response, produceV3Body, RawConnection, recordBatch, requestFrame } from '../helpers/wire.js';

useClusterLock();

const NOT_ENOUGH_REPLICAS = 19;
let cluster: Cluster;

beforeAll(async () => {
  requireKcat();
  requirePythonModules('confluent_kafka');
  cluster = await startCluster({ brokers: 3, settings: { ...FAST_FAILOVER, 'min.insync.replicas': 2 } });
}, 60_000);

afterAll(async () => {
  await closeClusters();
});

/** librdkafka, no retries, so a broker error is the delivery result. */
function produce(topic: string, acks: 'all' | '1', prefix: string, count: number): Promise<ProduceResult> {
  return confluent<ProduceResult>('produce', {
    bootstrap: cluster.bootstrap,
    topic,
    count,
    prefix,
    acks,
    idempotent: false,
    message_timeout_ms: 8000,
    flush_timeout: 20,
    config: { retries: 0, 'socket.timeout.ms': 5000 },
  });
}

/** A raw Produce v3 of one record to the broker `leader`; returns the partition error code. */
async function rawProduce(leader: number, topic: string, acks: number, value: string): Promise<number> {
  const b = cluster.broker(leader);
  const conn = await RawConnection.open(b.host, b.port);
  try {
    const batch = recordBatch([{ key: null, value: Buffer.from(value) }], Date.now());
    const payload = await conn.roundTrip(requestFrame(API_PRODUCE, 3, 77, produceV3Body(topic, 0, batch, acks, 5000)), 10_000);
    const res = parseProduceV3Response(payload);
    const r = res.results[0];
    if (r === undefined) throw new Error('Produce response without a partition result');
    return r.errorCode;
  } finally {
    conn.destroy();
  }
}

const seqOf = (v: string): number => Number(v.slice(v.lastIndexOf('-') + 1));

test('two of three brokers down: acks=all fails with NOT_ENOUGH_REPLICAS, acks=1 succeeds; one back restores acks=all', async () => {
  const topic = uniqueTopic('min-isr');
  await createClusterTopic(cluster, { topic, partitions: 1, replicationFactor: 3, config: { 'min.insync.replicas': '2' } });
  const leader = await cluster.leaderOf(topic, 0);
  const [f1, f2] = [0, 1, 2].filter((id) => id !== leader) as [number, number];
  const acked: Array<{ offset: number; value: string }> = [];

  const healthy = await produce(topic, 'all', 'a', 50);
  expect(healthy.errors).toEqual([]);
  acked.push(...healthy.delivered);

  await cluster.broker(f1).kill9();
  await cluster.broker(f2).kill9();
  // The leader drops the dead followers from the ISR.
  await cluster.waitForIsr(topic, 0, [leader], { timeoutMs: 30_000 });

  const refused = await produce(topic, 'all', 'b', 5);
  expect(refused.delivered).toEqual([]);
  expect(refused.errors).toHaveLength(5);
  for (const e of refused.errors) expect(e.error).toMatch(/NOT_ENOUGH_REPLICAS/);
  expect(await rawProduce(leader, topic, -1, 'raw-all')).toBe(NOT_ENOUGH_REPLICAS);

  const one = await produce(topic, '1', 'c', 50);
  expect(one.errors).toEqual([]);
  expect(one.delivered).toHaveLength(50);
  acked.push(...one.delivered);
  expect(await rawProduce(leader, topic, 1, 'raw-one')).toBe(0);

  // One follower back: it catches up, rejoins the ISR (2 >= min.insync.replicas) and acks=all works again.
  await cluster.broker(f1).restart();
  await cluster.waitForIsr(topic, 0, [leader, f1], { timeoutMs: 30_000 });
  const restored = await produce(topic, 'all', 'd', 50);
  expect(restored.errors).toEqual([]);
  expect(restored.delivered).toHaveLength(50);
  acked.push(...restored.delivered);

  // Every acknowledged record is in the log at its offset (values a-i / c-i / d-i, raw-one).
  const prefixes = ['a', 'c', 'd'];
  const toSeq = (v: string): number => prefixes.indexOf(v.slice(0, 1)) * 1000 + seqOf(v);
  const read = await kcatValues(topic);
  const ackedSeq: SeqRecord[] = acked.map((d) => ({ partition: 0, offset: d.offset, seq: toSeq(d.value) }));
  const readSeq: SeqRecord[] = read.filter((r) => r.value !== 'raw-one').map((r) => ({ partition: 0, offset: r.offset, seq: toSeq(r.value) }));
  // raw-one sits between the c- and d- records; drop it and renumber to keep offsets dense for the checker.
  const rawOne = read.find((r) => r.value === 'raw-one');
  expect(rawOne).toBeDefined();
  const shift = (o: number): number => (rawOne !== undefined && o > rawOne.offset ? o - 1 : o);
  assertInvariants(
    {
      acked: ackedSeq.map((a) => ({ ...a, offset: shift(a.offset) })),
      read: readSeq.map((r) => ({ ...r, offset: shift(r.offset) })),
      partitions: [0],
    },
    () => cluster.logs(2000),
  );
  // No b- record (refused) and no raw-all record may be in the log.
  expect(read.filter((r) => r.value.startsWith('b-') || r.value === 'raw-all')).toEqual([]);
}, 150_000);

/** The partition's records with their values as produced (the checker works on seq numbers derived from them). */
async function kcatValues(topic: string): Promise<Array<{ offset: number; value: string }>> {
  const r = await kcatOk(['-C', '-b', cluster.bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%o\\t%s\\n']);
  return r.stdout
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [o, v] = l.split('\t');
      return { offset: Number(o), value: v ?? '' };
    });
}
