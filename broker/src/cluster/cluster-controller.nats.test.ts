/**
 * The cluster controller against a real nats-server: three in-process "brokers" (store,
 * registry, lease, image, controller; no data plane). ISR expansions a leader's data plane
 * would make are simulated through the PartitionStateWriter.
 */
import type { BrokerSettings } from '../config.js';
import { CONTROLLER_EPOCH_KEY } from './controller-lease.js';
import { eventually } from './metadata-store-contract.js';
import { startNatsCluster, type NatsCluster } from './nats-cluster.js';
import { testBrokerConfig } from './test-fixtures.js';
import { useTestNatsServer } from './test-nats-server.js';
import type { PartitionState } from './types.js';

const SETTINGS: Partial<BrokerSettings> = { 'broker.session.timeout.ms': 1500, 'broker.heartbeat.interval.ms': 250, 'default.replication.factor': 3 };
const server = useTestNatsServer();
let n = 0;

async function broker(cluster: string, id: number): Promise<NatsCluster> {
  const config = { ...testBrokerConfig('/nonexistent', SETTINGS, id), metadata: { url: server().url }, cluster, advertised: { host: '127.0.0.1', port: 9000 + id } };
  return startNatsCluster(config, undefined, { pollMs: 100, random: () => 0, forwardTimeoutMs: 8000 });
}

async function threeBrokers(): Promise<NatsCluster[]> {
  const cluster = `cc${++n}`;
  const bs: NatsCluster[] = [];
  for (const id of [0, 1, 2]) bs.push(await broker(cluster, id));
  await eventually(() => bs.every((b) => b.image.brokers().length === 3 && b.image.controllerId >= 0 && b.image.controllerId === bs[0]?.image.controllerId), 8000, 'three brokers and one agreed controller');
  return bs;
}

/** Simulates a crash: no deregistration, no lease hand-over; NATS expires both. */
async function crash(b: NatsCluster): Promise<void> {
  await b.controller.stop();
  b.image.stop();
  await b.nc.close();
  await b.registry.close(true);
  await b.lease.close().catch(() => undefined);
}

async function closeAll(bs: readonly NatsCluster[]): Promise<void> {
  await Promise.all(bs.map((b) => b.close().catch(() => undefined)));
}

const part = (b: NatsCluster, topic: string, p: number): PartitionState | undefined => b.image.topic(topic)?.partitions[p];
const controllerOf = (bs: readonly NatsCluster[]): NatsCluster | undefined => bs.find((b) => b.lease.isController());

describe('ClusterController (NATS)', () => {
  it('creates topics from any broker with balanced leaders; new leader from the ISR when a broker dies', async () => {
    const bs = await threeBrokers();
    try {
      const follower = bs.find((b) => !b.lease.isController());
      if (!follower) throw new Error('no non-controller');
      // Forwarded to the controller; resolves once this broker's image has it.
      await follower.controller.createTopic({ name: 'orders', numPartitions: 6, replicationFactor: 3, assignments: [], configs: {} }, false);
      expect(follower.image.topic('orders')?.partitions).toHaveLength(6);
      const leaders = follower.image.topic('orders')?.partitions.map((p) => p.leader) ?? [];
      for (const id of [0, 1, 2]) expect(leaders.filter((l) => l === id)).toHaveLength(2);

      const before = part(bs[0] as NatsCluster, 'orders', 0);
      if (!before) throw new Error('missing partition');
      const victim = bs[before.leader]; // broker i is bs[i]
      if (!victim) throw new Error('no victim');
      const survivors = bs.filter((b) => b !== victim);
      await crash(victim);
      const victimId = before.leader;
      await eventually(
        () => survivors.every((b) => b.image.topic('orders')?.partitions.every((p) => p.leader !== victimId && !p.isr.includes(victimId)) ?? false),
        10_000,
        'leaders moved and ISRs cleaned after the broker died',
      );
      const after = part(survivors[0] as NatsCluster, 'orders', 0);
      expect(after?.leaderEpoch).toBeGreaterThan(before.leaderEpoch);
      expect(before.isr).toContain(after?.leader);
      expect(after?.partitionEpoch).toBeGreaterThan(before.partitionEpoch);
      await closeAll(survivors);
    } finally {
      await closeAll(bs);
    }
  }, 30_000);

  it('controller failover: the next controller resumes reconciling; a deposed controller cannot write', async () => {
    const bs = await threeBrokers();
    try {
      await (bs[0] as NatsCluster).controller.createTopic({ name: 'f', numPartitions: 3, replicationFactor: 3, assignments: [], configs: {} }, false);
      const first = controllerOf(bs);
      if (!first) throw new Error('no controller');
      const rest = bs.filter((b) => b !== first);
      await crash(first);
      await eventually(() => controllerOf(rest) !== undefined, 8000, 'a new controller');
      const second = controllerOf(rest);
      expect(second?.lease.current().epoch).toBeGreaterThan(first.lease.current().epoch);
      const firstId = bs.indexOf(first);
      await eventually(() => rest.every((b) => b.image.topic('f')?.partitions.every((p) => p.leader !== firstId && !p.isr.includes(firstId)) ?? false), 10_000, 'new controller cleaned up');

      // Deposed: a successor bumps controller.epoch under the current holder's feet.
      if (!second) throw new Error('no second controller');
      const epoch = await second.store.get(CONTROLLER_EPOCH_KEY);
      if (!epoch) throw new Error('no epoch');
      await second.store.update(CONTROLLER_EPOCH_KEY, { brokerId: 99, epoch: 1000 }, epoch.revision);
      const p0 = part(second, 'f', 0);
      if (!p0) throw new Error('missing');
      await expect(second.controller.partitions.update('f', 0, (cur) => ({ ...cur, partitionEpoch: cur.partitionEpoch + 1 }))).rejects.toThrow(/superseded|not the controller/);
      expect(second.lease.isController()).toBe(false);
      expect((await second.store.get('partitions.f.0'))?.value).toEqual(p0);
      await closeAll(rest);
    } finally {
      await closeAll(bs);
    }
  }, 30_000);

  it('reassignment: adds replicas, waits for ISR, moves leadership, drops old replicas', async () => {
    const bs = await threeBrokers();
    try {
      const b0 = bs[0] as NatsCluster;
      await b0.controller.createTopic({ name: 'r', numPartitions: -1, replicationFactor: -1, assignments: [[0, 1]], configs: {} }, false);
      const res = await (bs[1] as NatsCluster).controller.alterPartitionReassignments([{ topic: 'r', partition: 0, replicas: [1, 2] }]);
      expect(res).toEqual([{ topic: 'r', partition: 0, error: null }]);
      await eventually(() => part(b0, 'r', 0)?.addingReplicas.length === 1, 5000, 'reassignment visible');
      expect(part(b0, 'r', 0)).toMatchObject({ replicas: [1, 2, 0], addingReplicas: [2], removingReplicas: [0], leader: 0 });
      expect(b0.controller.listPartitionReassignments(null)).toHaveLength(1);
      // The leader (broker 0) sees broker 2 catch up and expands the ISR.
      const s = part(b0, 'r', 0);
      if (!s) throw new Error('missing');
      const w = await b0.isrWriter.alterIsr('r', 0, s.leaderEpoch, [0, 1, 2]);
      expect(w).not.toBe('fenced');
      await eventually(() => bs.every((b) => part(b, 'r', 0)?.addingReplicas.length === 0), 5000, 'reassignment completed');
      expect(part(b0, 'r', 0)).toMatchObject({ replicas: [1, 2], isr: [1, 2], leader: 1, removingReplicas: [] });
      expect(part(b0, 'r', 0)?.leaderEpoch).toBeGreaterThan(s.leaderEpoch);
      // The deposed leader's ISR writes are fenced now.
      await expect(b0.isrWriter.alterIsr('r', 0, s.leaderEpoch, [0, 1])).resolves.toBe('fenced');
      // Preferred election is not needed: 1 is replicas[0] and leads.
      const e = await b0.controller.electLeaders('preferred', [{ topic: 'r', partition: 0 }]);
      expect(e[0]?.error?.kind).toBe('ELECTION_NOT_NEEDED');
    } finally {
      await closeAll(bs);
    }
  }, 30_000);

  it('controlled shutdown moves leaderships away before the broker stops; producer ids are unique', async () => {
    const bs = await threeBrokers();
    try {
      const b0 = bs[0] as NatsCluster;
      await b0.controller.createTopic({ name: 'cs', numPartitions: 6, replicationFactor: 3, assignments: [], configs: {} }, false);
      // Shut down the controller itself: it must still move its own leaderships first.
      const leaving = controllerOf(bs) ?? b0;
      const id = bs.indexOf(leaving);
      expect(leaving.image.topic('cs')?.partitions.some((p) => p.leader === id)).toBe(true);
      const t0 = Date.now();
      await leaving.controlledShutdown(10_000);
      expect(Date.now() - t0).toBeLessThan(5000);
      const others = bs.filter((b) => b !== leaving);
      await eventually(() => others.every((b) => b.image.topic('cs')?.partitions.every((p) => p.leader !== id && p.leader !== -1 && !p.isr.includes(id)) ?? false), 5000, 'leaderships moved');

      const ids = await Promise.all(bs.flatMap((b) => [b.controller.allocateProducerId(), b.controller.allocateProducerId()]));
      expect(new Set(ids).size).toBe(ids.length);
    } finally {
      await closeAll(bs);
    }
  }, 30_000);
});
