/**
 * The HTTP side of a real three-broker cluster (nats-server + 3 broker processes on
 * 127.0.0.1, broker.session.timeout.ms=3000, replica.lag.time.max.ms=3000):
 *
 * - a real Prometheus server (Debian's /usr/bin/prometheus) scrapes all three brokers and
 *   PromQL over its HTTP API sees the cluster: up == 3, one leader per partition, records in
 *   summed over the cluster == what was produced once, high watermarks, full ISRs;
 * - exactly one broker reports itself active controller, and every broker reports the epoch
 *   of the controller lease as it stands in the metadata store (`controller.epoch`); after a
 *   kill -9 of the controller another broker takes over with a higher epoch;
 * - a follower killed while ~60 MB are produced: its leader counts an ISR shrink; restarted,
 *   its /readyz answers 503 naming the partitions it follows but is not yet in the ISR of,
 *   then 200 once it is back in every ISR (checked through Metadata), and the leader counts
 *   an ISR expand.
 */
import { NatsMetadataStore, connectNats } from '../../broker/src/cluster/nats-store.js';
import { CONTROLLER_EPOCH_KEY } from '../../broker/src/cluster/controller-lease.js';
import { uniqueTopic } from '../helpers/broker.js';
import { closeClusters, createClusterTopic, FAST_FAILOVER, fetchMetadata, startCluster, useClusterLock, type Cluster, type ClusterBroker } from '../helpers/cluster.js';
import { scrape, sampleValue, startPrometheus, type PromServer, type Sample } from '../helpers/http.js';
import { kcatOk, requireKcat } from '../helpers/tools.js';
import { errorText, sleep, waitFor } from '../helpers/wait.js';
import { parseProduceV3Response, produceV3Body, RawConnection, recordBatch, requestFrame } from '../helpers/wire.js';

useClusterLock();

const SETTINGS = { ...FAST_FAILOVER, 'default.replication.factor': 3, 'min.insync.replicas': 2 };

let cluster: Cluster | null = null;
let prom: PromServer | null = null;

beforeAll(async () => {
  requireKcat();
  cluster = await startCluster({ brokers: 3, settings: SETTINGS });
  prom = await startPrometheus(cluster.brokers.map((b) => `127.0.0.1:${b.proc.httpPort}`));
}, 60_000);

afterAll(async () => {
  await prom?.stop();
  await closeClusters();
});

function theCluster(): Cluster {
  if (cluster === null) throw new Error('cluster did not start');
  return cluster;
}

function theProm(): PromServer {
  if (prom === null) throw new Error('prometheus did not start');
  return prom;
}

type PromResult = { metric: Record<string, string>; value: [number, string] }[];

/** The single value of an instant vector ("<n> series" when it is not exactly one). */
const single = (r: PromResult): string => (r.length === 1 ? (r[0] as PromResult[number]).value[1] : `${r.length} series`);

/** label value -> sample value, for a vector grouped by `label`. */
const byLabel = (r: PromResult, label: string): Record<string, string> => Object.fromEntries(r.map((s) => [s.metric[label] ?? '?', s.value[1]]));

function metric(samples: readonly Sample[], name: string): number {
  const v = sampleValue(samples, name);
  if (v === undefined) throw new Error(`${name} missing from the scrape`);
  return v;
}

/** `controller.epoch` as the controller lease wrote it to the cluster's metadata store. */
async function storedControllerEpoch(c: Cluster): Promise<{ epoch: number; brokerId: number }> {
  const nc = await connectNats(c.nats.url, { name: 'strand-http-cluster-test', maxReconnectAttempts: 0 });
  const store = await NatsMetadataStore.open({ nc, cluster: c.name, ownsConnection: true });
  try {
    const rec = await store.get(CONTROLLER_EPOCH_KEY);
    if (rec === null) throw new Error(`${CONTROLLER_EPOCH_KEY} not in the metadata store`);
    const v = rec.value as { epoch?: unknown; brokerId?: unknown };
    if (typeof v.epoch !== 'number' || typeof v.brokerId !== 'number') throw new Error(`malformed ${CONTROLLER_EPOCH_KEY}: ${JSON.stringify(rec.value)}`);
    return { epoch: v.epoch, brokerId: v.brokerId };
  } finally {
    await store.close();
  }
}

interface ControllerView {
  readonly nodeId: number;
  readonly active: number;
  readonly epoch: number;
}

async function controllerViews(brokers: readonly ClusterBroker[]): Promise<ControllerView[]> {
  const out: ControllerView[] = [];
  for (const b of brokers) {
    const s = await scrape(b.proc);
    out.push({ nodeId: b.nodeId, active: metric(s, 'strand_controller_active'), epoch: metric(s, 'strand_controller_epoch') });
  }
  return out;
}

/** Waits until the up brokers agree: exactly one active controller, all on its lease epoch (> `after`). */
async function agreedController(c: Cluster, after: number): Promise<{ id: number; epoch: number; views: ControllerView[] }> {
  let last: ControllerView[] = [];
  try {
    return await waitFor(
      `one active controller with an agreed epoch > ${after}`,
      async () => {
        last = await controllerViews(c.upBrokers());
        const active = last.filter((v) => v.active === 1);
        if (active.length !== 1) return undefined;
        const a = active[0] as ControllerView;
        if (a.epoch <= after || last.some((v) => v.epoch !== a.epoch)) return undefined;
        return { id: a.nodeId, epoch: a.epoch, views: last };
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
  } catch (err) {
    throw new Error(`${errorText(err)}; last views ${JSON.stringify(last)}`);
  }
}

test('PromQL over three scraped brokers: up, leaders, records in, high watermarks, ISR', async () => {
  const c = theCluster();
  const p = theProm();
  const topic = uniqueTopic('promc');
  // One leader per broker.
  await createClusterTopic(c, { topic, replicaAssignment: [[0, 1, 2], [1, 2, 0], [2, 0, 1]], config: { 'min.insync.replicas': '2' } });
  const counts = [100, 200, 300];
  for (const [partition, n] of counts.entries()) {
    const input = Array.from({ length: n }, (_, i) => `p${partition}-r${i}`).join('\n') + '\n';
    await kcatOk(['-P', '-b', c.bootstrap, '-t', topic, '-p', String(partition), '-X', 'acks=all', '-X', 'batch.num.messages=40'], input);
  }
  const total = counts.reduce((a, b) => a + b, 0);

  const up = await p.waitQuery('sum(up{job="strand"})', (r) => single(r) === '3');
  expect(single(up)).toBe('3');
  const leaders = await p.waitQuery(`sum(strand_partition_leader{topic="${topic}"})`, (r) => single(r) === '3');
  expect(single(leaders)).toBe('3');
  // Every broker hosts every partition (RF=3) and each partition has exactly one leader.
  const replicas = await p.waitQuery(`count(strand_partition_leader{topic="${topic}"})`, (r) => single(r) === '9');
  expect(single(replicas)).toBe('9');
  const perPartitionLeaders = await p.query(`sum by (partition) (strand_partition_leader{topic="${topic}"})`);
  expect(byLabel(perPartitionLeaders, 'partition')).toEqual({ '0': '1', '1': '1', '2': '1' });
  // Which broker leads what: the instance of partition p's leader is broker p.
  const leaderOf = await p.query(`strand_partition_leader{topic="${topic}"} == 1`);
  const instanceOf = new Map(c.brokers.map((b) => [`127.0.0.1:${b.proc.httpPort}`, b.nodeId]));
  expect(Object.fromEntries(leaderOf.map((s) => [s.metric.partition ?? '?', instanceOf.get(s.metric.instance ?? '')]))).toEqual({ '0': 0, '1': 1, '2': 2 });
  // Records are counted where they were produced (the leader), not again by the followers.
  const recordsIn = await p.waitQuery(`sum(strand_topic_records_in_total{topic="${topic}"})`, (r) => single(r) === String(total));
  expect(single(recordsIn)).toBe(String(total));
  const perBroker = await p.query(`sum by (instance) (strand_topic_records_in_total{topic="${topic}"})`);
  expect(Object.fromEntries(perBroker.map((s) => [String(instanceOf.get(s.metric.instance ?? '')), s.value[1]]))).toEqual({ '0': '100', '1': '200', '2': '300' });
  // Every replica (leader and followers) reaches the high watermark.
  const hw = await p.waitQuery(`min by (partition) (strand_partition_high_watermark{topic="${topic}"})`, (r) => JSON.stringify(byLabel(r, 'partition')) === JSON.stringify({ '0': '100', '1': '200', '2': '300' }));
  expect(byLabel(hw, 'partition')).toEqual({ '0': '100', '1': '200', '2': '300' });
  const isr = await p.waitQuery(`min(strand_partition_in_sync_replicas{topic="${topic}"})`, (r) => single(r) === '3');
  expect(single(isr)).toBe('3');
  const brokers = await p.query('min(strand_brokers)');
  expect(single(brokers)).toBe('3');
});

test('exactly one active controller, every broker on the lease epoch; a new controller after kill -9 has a higher epoch', async () => {
  const c = theCluster();
  const p = theProm();
  const first = await agreedController(c, 0);
  const stored = await storedControllerEpoch(c);
  expect(stored).toEqual({ epoch: first.epoch, brokerId: first.id });
  const md = await fetchMetadata(c.brokers[0]?.host ?? '127.0.0.1', c.brokers[0]?.port ?? 0, []);
  expect(md.controllerId).toBe(first.id);
  // The same through Prometheus.
  const activeSum = await p.waitQuery('sum(strand_controller_active)', (r) => single(r) === '1');
  expect(single(activeSum)).toBe('1');
  const epochs = await p.waitQuery('count_values("epoch", strand_controller_epoch)', (r) => r.length === 1 && r[0]?.metric.epoch === String(first.epoch) && r[0]?.value[1] === '3');
  expect(epochs.map((s) => [s.metric.epoch, s.value[1]])).toEqual([[String(first.epoch), '3']]);

  const old = c.broker(first.id);
  await old.kill9();
  const second = await agreedController(c, first.epoch);
  expect(second.id).not.toBe(first.id);
  expect(second.views).toHaveLength(2);
  expect(await storedControllerEpoch(c)).toEqual({ epoch: second.epoch, brokerId: second.id });

  // Back: it follows the new controller (inactive, same epoch).
  await old.restart();
  await c.waitForBrokers([0, 1, 2]);
  const third = await agreedController(c, first.epoch);
  expect({ id: third.id, epoch: third.epoch }).toEqual({ id: second.id, epoch: second.epoch });
  expect(third.views.find((v) => v.nodeId === first.id)).toEqual({ nodeId: first.id, active: 0, epoch: second.epoch });
});

/** Produces `batches` ~1 MB record batches (1000 B values) alternately to `partitions` of `topic` on its leader, acks=1. */
async function produceMegabytes(b: ClusterBroker, topic: string, partitions: readonly number[], batches: number): Promise<number> {
  const value = Buffer.alloc(1000, 0x61);
  const perBatch = 990;
  const batch = recordBatch(Array.from({ length: perBatch }, () => ({ key: null, value })), Date.now());
  const conn = await RawConnection.open(b.host, b.port, 3000);
  try {
    for (let i = 0; i < batches; i++) {
      const partition = partitions[i % partitions.length] as number;
      const res = parseProduceV3Response(await conn.roundTrip(requestFrame(0, 3, 7000 + i, produceV3Body(topic, partition, batch, 1, 10_000)), 15_000));
      const bad = res.results.filter((r) => r.errorCode !== 0);
      if (bad.length > 0) throw new Error(`produce to ${topic}-${partition} failed: ${JSON.stringify(bad)}`);
    }
  } finally {
    conn.destroy();
  }
  return batches * perBatch;
}

interface ReadyzPoll {
  readonly atMs: number;
  readonly status: number;
  readonly body: { status?: string; missing?: string[] };
}

test('a restarted follower: ISR shrink, /readyz 503 naming its partitions while it catches up, 200 once back in the ISR, ISR expand', async () => {
  const c = theCluster();
  const { id: controllerId } = await agreedController(c, 0);
  // The victim is a follower that is not the controller; the leader is one of the others.
  const victimId = [2, 1, 0].find((id) => id !== controllerId) as number;
  const leaderId = [0, 1, 2].find((id) => id !== victimId) as number;
  const otherId = [0, 1, 2].find((id) => id !== victimId && id !== leaderId) as number;
  const victim = c.broker(victimId);
  const leader = c.broker(leaderId);
  const topic = uniqueTopic('readyz');
  await createClusterTopic(c, { topic, replicaAssignment: [[leaderId, victimId, otherId], [leaderId, otherId, victimId]], config: { 'min.insync.replicas': '2' } });
  await produceMegabytes(leader, topic, [0, 1], 2);
  await c.waitForFullIsr(topic, 2);

  const before = await scrape(leader.proc);
  const shrinks0 = metric(before, 'strand_isr_shrinks_total');
  const expands0 = metric(before, 'strand_isr_expands_total');

  await victim.kill9();
  for (const p of [0, 1]) await c.waitForIsr(topic, p, [leaderId, otherId], { timeoutMs: 20_000 });
  const afterShrink = await scrape(leader.proc);
  expect(metric(afterShrink, 'strand_isr_shrinks_total')).toBeGreaterThanOrEqual(shrinks0 + 2);

  // ~60 MB the victim has to fetch before it can rejoin.
  await produceMegabytes(leader, topic, [0, 1], 60);

  const url = `http://127.0.0.1:${victim.proc.httpPort}/readyz`;
  const polls: ReadyzPoll[] = [];
  const t0 = Date.now();
  const restarting = victim.restart();
  let restartError: unknown = null;
  restarting.catch((err: unknown) => {
    restartError = err;
  });
  // Poll as fast as the endpoint answers (connection refused until the HTTP server is up).
  const deadline = t0 + 40_000;
  let inIsrAtReady: number[][] | null = null;
  while (Date.now() < deadline && restartError === null) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      const body = (await res.json()) as ReadyzPoll['body'];
      polls.push({ atMs: Date.now() - t0, status: res.status, body });
      if (res.status === 200) {
        // At that point the victim's own Metadata lists it in both ISRs.
        const md = await waitFor('Metadata from the restarted broker', () => fetchMetadata(victim.host, victim.port, [topic], 1000), { timeoutMs: 5000, intervalMs: 20 });
        inIsrAtReady = (md.topics[0]?.partitions ?? []).map((x) => [...x.isr].sort((a, b) => a - b));
        break;
      }
    } catch {
      // Not listening yet.
    }
    await sleep(10);
  }
  await restarting;
  const notReady = polls.filter((x) => x.status === 503);
  const naming = notReady.filter((x) => (x.body.missing ?? []).some((m) => m.startsWith('followed partitions not in ISR') && (m.includes(`${topic}-0`) || m.includes(`${topic}-1`))));
  const show = (x: ReadyzPoll | undefined): string => (x === undefined ? '(none)' : `${x.atMs}ms ${x.status} ${JSON.stringify(x.body)}`);
  const summary = `first 503: ${show(notReady[0])}\nlast naming ${topic}: ${show(naming.at(-1))}\nlast: ${show(polls.at(-1))}`;
  expect({ naming: naming.length > 0, ready: polls.at(-1)?.status, summary }).toEqual({ naming: true, ready: 200, summary });
  expect(naming[0]?.body.status).toBe('not_ready');
  expect(polls.at(-1)?.body).toEqual({ status: 'ready' });
  const sorted = [leaderId, otherId, victimId].sort((a, b) => a - b);
  expect(inIsrAtReady).toEqual([sorted, sorted]);
  process.stderr.write(`readyz: ${notReady.length} x 503 over ${(polls.at(-1)?.atMs ?? 0) - (notReady[0]?.atMs ?? 0)} ms before 200 (${polls.length} polls)\n${summary}\n`);

  await c.waitForFullIsr(topic, 2);
  const afterExpand = await scrape(leader.proc);
  expect(metric(afterExpand, 'strand_isr_expands_total')).toBeGreaterThanOrEqual(expands0 + 2);
  expect(metric(afterExpand, 'strand_isr_shrinks_total')).toBeGreaterThanOrEqual(shrinks0 + 2);
}, 90_000);
