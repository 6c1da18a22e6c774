/**
 * Test support only: a plain object implementing BrokerIntrospection over mutable fixtures.
 * It stands in for the broker wiring (broker.ts), which is being written separately; once
 * it exists, an integration test should scrape a real broker as well. Everything else in
 * the tests (fastify, HTTP, promtool, the filesystem) is real.
 */
import type { BrokerRegistration, PartitionState, TopicImage } from '../cluster/types.js';
import type {
  BrokerIntrospection,
  BrokerSelf,
  ControllerStatus,
  GroupView,
  LocalReplicaView,
  PurgatorySizes,
  ReadinessFacts,
} from './introspection.js';

export interface FakeState {
  self: BrokerSelf;
  brokers: BrokerRegistration[];
  topics: TopicImage[];
  /** key "topic-partition" */
  replicas: Map<string, LocalReplicaView>;
  minIsr: number;
  controller: ControllerStatus;
  purgatory: PurgatorySizes;
  groups: GroupView[];
  readiness: ReadinessFacts;
  /** When set, every call throws it (a broker whose state cannot be read). */
  fail: Error | null;
}

export function partition(topic: string, p: number, replicas: number[], isr: number[], leader: number): PartitionState {
  return { topic, partition: p, replicas, isr, leader, leaderEpoch: 3, partitionEpoch: 5, addingReplicas: [], removingReplicas: [] };
}

export function replica(isLeader: boolean, logStartOffset: number, logEndOffset: number, highWatermark: number, sizeInBytes: number): LocalReplicaView {
  return { isLeader, logStartOffset, logEndOffset, highWatermark, log: { sizeInBytes } };
}

/**
 * Broker 1 of a 3-broker cluster (rack r1). Topic "orders" (RF 3): p0 led here, ISR full;
 * p1 led here, ISR {1} (under-replicated and under min ISR 2); p2 led by 2, this broker
 * follows and is in ISR. Topic "clicks.v1" (RF 1): p0 led by 3 (not hosted here), p1
 * offline. One Stable group "billing" with committed offsets on orders-0 and orders-2.
 */
export function defaultFakeState(): FakeState {
  const orders: TopicImage = {
    name: 'orders',
    topicId: '0123456789abcdef0123456789abcdef',
    internal: false,
    configs: { 'retention.ms': '3600000' },
    partitions: [partition('orders', 0, [1, 2, 3], [1, 2, 3], 1), partition('orders', 1, [1, 2, 3], [1], 1), partition('orders', 2, [2, 1, 3], [2, 1, 3], 2)],
  };
  const clicks: TopicImage = {
    name: 'clicks.v1',
    topicId: 'fedcba9876543210fedcba9876543210',
    internal: false,
    configs: {},
    partitions: [partition('clicks.v1', 0, [3], [3], 3), partition('clicks.v1', 1, [2], [2], -1)],
  };
  return {
    self: { nodeId: 1, version: '0.1.0', rack: 'r1', clusterId: 'test-cluster' },
    brokers: [
      { id: 2, host: '127.0.0.1', port: 9093, rack: 'r2' },
      { id: 1, host: '127.0.0.1', port: 9092, rack: 'r1' },
      { id: 3, host: '127.0.0.1', port: 9094, rack: null },
    ],
    topics: [orders, clicks],
    replicas: new Map([
      ['orders-0', replica(true, 10, 120, 100, 4096)],
      ['orders-1', replica(true, 0, 50, 50, 2048)],
      ['orders-2', replica(false, 5, 70, 60, 1024)],
    ]),
    minIsr: 2,
    controller: { controllerId: 1, isActive: true, epoch: 7 },
    purgatory: { produce: 2, fetch: 5 },
    groups: [
      {
        groupId: 'billing',
        state: 'Stable',
        protocolType: 'consumer',
        protocol: 'range',
        generationId: 4,
        members: [
          { memberId: 'm-1', groupInstanceId: null, clientId: 'c1', clientHost: '/127.0.0.1' },
          { memberId: 'm-2', groupInstanceId: 'i-2', clientId: 'c2', clientHost: '/127.0.0.1' },
        ],
        offsets: [
          { topic: 'orders', partition: 0, committedOffset: 90 },
          { topic: 'orders', partition: 2, committedOffset: 40 },
        ],
      },
    ],
    readiness: { registered: true, metadataLoaded: true, coordinatorPartitionsLoading: [] },
    fail: null,
  };
}

export function fakeIntrospection(state: FakeState): BrokerIntrospection {
  const guard = <T>(f: () => T): T => {
    if (state.fail !== null) throw state.fail;
    return f();
  };
  return {
    self: () => guard(() => state.self),
    brokers: () => guard(() => state.brokers),
    topics: () => guard(() => state.topics),
    topic: (name) => guard(() => state.topics.find((t) => t.name === name)),
    localReplica: (t, p) => guard(() => state.replicas.get(`${t}-${p}`)),
    minInsyncReplicas: () => guard(() => state.minIsr),
    controller: () => guard(() => state.controller),
    purgatorySizes: () => guard(() => state.purgatory),
    groups: () => guard(() => state.groups),
    readiness: () => guard(() => state.readiness),
  };
}
