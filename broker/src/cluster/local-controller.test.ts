import type { BrokerSettings } from '../config.js';
import { Keys } from './keys.js';
import { startLocalCluster, registerBroker, type LocalCluster } from './local-cluster.js';
import { testBrokerConfig, withTempDir } from './test-fixtures.js';
import { ControllerError, type ControllerErrorKind, type CreateTopicSpec, type MetadataDelta } from './types.js';

function spec(name: string, over: Partial<CreateTopicSpec> = {}): CreateTopicSpec {
  return { name, numPartitions: 3, replicationFactor: 1, assignments: [], configs: {}, ...over };
}

async function expectKind(p: Promise<unknown>, kind: ControllerErrorKind, message?: RegExp): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ControllerError);
  expect((err as ControllerError).kind).toBe(kind);
  if (message) expect((err as ControllerError).message).toMatch(message);
}

async function withCluster(fn: (c: LocalCluster, dir: string) => Promise<void>, settings: Partial<BrokerSettings> = {}): Promise<void> {
  await withTempDir(async (dir) => {
    const c = await startLocalCluster(testBrokerConfig(dir, settings), undefined, () => 0);
    try {
      await fn(c, dir);
    } finally {
      await c.close();
    }
  });
}

describe('LocalController + MetadataImage', () => {
  it('bootstraps a cluster id and registers the broker', async () => {
    await withCluster(async ({ image }) => {
      expect(image.clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(image.controllerId).toBe(0);
      expect(image.brokers()).toEqual([{ id: 0, host: '127.0.0.1', port: 9092, rack: null }]);
    });
  });

  it('creates a topic visible in the image when createTopic resolves, with one delta', async () => {
    await withCluster(async ({ controller, image }) => {
      const deltas: MetadataDelta[] = [];
      image.onChange((d) => deltas.push(d));
      const t = await controller.createTopic(spec('orders', { configs: { 'retention.ms': '1000' } }), false);
      expect(t.topicId).toMatch(/^[0-9a-f]{32}$/);
      expect(image.topic('orders')).toBe(t);
      expect(image.topicById(t.topicId)?.name).toBe('orders');
      expect(t.partitions.map((p) => [p.partition, p.leader, p.isr, p.leaderEpoch])).toEqual([
        [0, 0, [0], 0],
        [1, 0, [0], 0],
        [2, 0, [0], 0],
      ]);
      expect(t.configs).toEqual({ 'retention.ms': '1000' });
      expect(image.effectiveTopicConfig('orders')?.retentionMs).toBe(1000);
      const created = deltas.filter((d) => d.topicsCreated.length > 0);
      expect(created).toHaveLength(1);
      expect(created[0]?.partitionsChanged).toHaveLength(3);
    });
  });

  it('applies -1 defaults and validateOnly writes nothing', async () => {
    await withCluster(
      async ({ controller, image, store }) => {
        const v = await controller.createTopic(spec('dry', { numPartitions: -1, replicationFactor: -1 }), true);
        expect(v.partitions).toHaveLength(4);
        expect(image.topic('dry')).toBeUndefined();
        expect(await store.get(Keys.topic('dry'))).toBeNull();
      },
      { 'num.partitions': 4 },
    );
  });

  it('reports Kafka error kinds on create', async () => {
    await withCluster(async ({ controller }) => {
      await controller.createTopic(spec('a.b'), false);
      await expectKind(controller.createTopic(spec('a.b'), false), 'TOPIC_ALREADY_EXISTS');
      await expectKind(controller.createTopic(spec('a_b'), false), 'INVALID_TOPIC_EXCEPTION', /collides/);
      await expectKind(controller.createTopic(spec('bad name'), false), 'INVALID_TOPIC_EXCEPTION');
      await expectKind(controller.createTopic(spec('x', { numPartitions: 0 }), false), 'INVALID_PARTITIONS');
      await expectKind(controller.createTopic(spec('x', { replicationFactor: 0 }), false), 'INVALID_REPLICATION_FACTOR');
      await expectKind(controller.createTopic(spec('x', { replicationFactor: 3 }), false), 'INVALID_REPLICATION_FACTOR', /only 1 broker/);
      await expectKind(controller.createTopic(spec('x', { configs: { 'retention.ms': 'x' } }), false), 'INVALID_CONFIG', /retention.ms/);
      await expectKind(controller.createTopic(spec('x', { configs: { 'nope.nope': '1' } }), false), 'INVALID_CONFIG');
      const manual = { numPartitions: -1, replicationFactor: -1 };
      await expectKind(controller.createTopic(spec('x', { ...manual, assignments: [[7]] }), false), 'INVALID_REPLICA_ASSIGNMENT', /broker 7/);
      await expectKind(controller.createTopic(spec('x', { ...manual, assignments: [[0, 0]] }), false), 'INVALID_REPLICA_ASSIGNMENT');
      await expectKind(controller.createTopic(spec('x', { replicationFactor: -1, assignments: [[0]] }), false), 'INVALID_REQUEST');
      await expectKind(controller.createTopic(spec('x', { numPartitions: -1, assignments: [[0]] }), false), 'INVALID_REPLICATION_FACTOR');
      const ok = await controller.createTopic(spec('m', { ...manual, assignments: [[0], [0]] }), false);
      expect(ok.partitions).toHaveLength(2);
    });
  });

  it('places replicas over registered brokers', async () => {
    await withCluster(async ({ controller, image, store }) => {
      await registerBroker(store, { id: 1, host: 'h', port: 1, rack: null });
      await registerBroker(store, { id: 2, host: 'h', port: 2, rack: null });
      await image.waitUntil(() => image.brokers().length === 3);
      const t = await controller.createTopic(spec('rf3', { numPartitions: 6, replicationFactor: 3 }), false);
      for (const p of t.partitions) {
        expect(new Set(p.replicas).size).toBe(3);
        expect(p.leader).toBe(p.replicas[0]);
      }
    });
  });

  it('deletes a topic, its partitions and overrides; the name can be reused', async () => {
    await withCluster(async ({ controller, image, store }) => {
      const first = await controller.createTopic(spec('t'), false);
      await controller.alterTopicConfigs('t', [{ op: 'set', name: 'retention.ms', value: '5' }], false, false);
      const deltas: MetadataDelta[] = [];
      image.onChange((d) => deltas.push(d));
      await controller.deleteTopic('t');
      expect(image.topic('t')).toBeUndefined();
      expect(image.topicById(first.topicId)).toBeUndefined();
      expect(await store.list('partitions.t.')).toEqual([]);
      expect(await store.get(Keys.topicConfig('t'))).toBeNull();
      expect(deltas.find((d) => d.topicsDeleted.length > 0)?.topicsDeleted[0]?.topicId).toBe(first.topicId);
      await expectKind(controller.deleteTopic('t'), 'UNKNOWN_TOPIC_OR_PARTITION');
      const second = await controller.createTopic(spec('t', { numPartitions: 1 }), false);
      expect(second.topicId).not.toBe(first.topicId);
      expect(second.partitions).toHaveLength(1);
      expect(second.configs).toEqual({});
    });
  });

  it('refuses deletion when delete.topic.enable=false', async () => {
    await withCluster(
      async ({ controller }) => {
        await controller.createTopic(spec('keep'), false);
        await expectKind(controller.deleteTopic('keep'), 'TOPIC_DELETION_DISABLED');
      },
      { 'delete.topic.enable': false },
    );
  });

  it('creates partitions: only increases, manual assignments checked', async () => {
    await withCluster(async ({ controller, image }) => {
      await controller.createTopic(spec('p', { numPartitions: 2 }), false);
      await expectKind(controller.createPartitions('p', 1, null, false), 'INVALID_PARTITIONS', /higher than/);
      await expectKind(controller.createPartitions('p', 2, null, false), 'INVALID_PARTITIONS', /already has 2/);
      await expectKind(controller.createPartitions('nope', 3, null, false), 'UNKNOWN_TOPIC_OR_PARTITION');
      await expectKind(controller.createPartitions('p', 4, [[0]], false), 'INVALID_REPLICA_ASSIGNMENT', /2 additional/);
      await expectKind(controller.createPartitions('p', 3, [[5]], false), 'INVALID_REPLICA_ASSIGNMENT');
      await controller.createPartitions('p', 5, null, true);
      expect(image.topic('p')?.partitions).toHaveLength(2);
      await controller.createPartitions('p', 5, null, false);
      expect(image.topic('p')?.partitions.map((x) => x.partition)).toEqual([0, 1, 2, 3, 4]);
      await controller.createPartitions('p', 6, [[0]], false);
      expect(image.topic('p')?.partitions).toHaveLength(6);
    });
  });

  it('alters topic configs: replace, set/delete/append/subtract, validation', async () => {
    await withCluster(async ({ controller, image }) => {
      await controller.createTopic(spec('c', { configs: { 'retention.ms': '1000', 'segment.ms': '99' } }), false);
      await controller.alterTopicConfigs('c', [{ op: 'set', name: 'retention.bytes', value: '10' }], true, false);
      expect(image.topic('c')?.configs).toEqual({ 'retention.bytes': '10' });
      await controller.alterTopicConfigs(
        'c',
        [
          { op: 'set', name: 'min.insync.replicas', value: '2' },
          { op: 'delete', name: 'retention.bytes', value: null },
          { op: 'append', name: 'cleanup.policy', value: 'compact' },
        ],
        false,
        false,
      );
      expect(image.topic('c')?.configs).toEqual({ 'min.insync.replicas': '2', 'cleanup.policy': 'delete,compact' });
      await controller.alterTopicConfigs('c', [{ op: 'subtract', name: 'cleanup.policy', value: 'delete' }], false, false);
      expect(image.topic('c')?.configs['cleanup.policy']).toBe('compact');
      expect(image.effectiveTopicConfig('c')?.cleanupPolicy).toEqual(['compact']);
      await expectKind(controller.alterTopicConfigs('c', [{ op: 'subtract', name: 'cleanup.policy', value: 'compact' }], false, false), 'INVALID_CONFIG', /Empty/);
      await expectKind(controller.alterTopicConfigs('c', [{ op: 'append', name: 'retention.ms', value: '1' }], false, false), 'INVALID_CONFIG', /append/);
      await expectKind(controller.alterTopicConfigs('c', [{ op: 'set', name: 'retention.ms', value: '-9' }], false, false), 'INVALID_CONFIG');
      await expectKind(controller.alterTopicConfigs('c', [{ op: 'delete', name: 'bogus', value: null }], false, false), 'INVALID_CONFIG');
      await expectKind(
        controller.alterTopicConfigs('c', [{ op: 'set', name: 'retention.ms', value: '1' }, { op: 'delete', name: 'retention.ms', value: null }], false, false),
        'INVALID_REQUEST',
      );
      await expectKind(controller.alterTopicConfigs('zz', [], false, false), 'UNKNOWN_TOPIC_OR_PARTITION');
      await controller.alterTopicConfigs('c', [{ op: 'set', name: 'retention.ms', value: '7' }], false, true);
      expect(image.topic('c')?.configs['retention.ms']).toBeUndefined();
    });
  });

  it('alters broker configs; only dynamic ones', async () => {
    await withCluster(async ({ controller, image }) => {
      await controller.createTopic(spec('b'), false);
      const deltas: MetadataDelta[] = [];
      image.onChange((d) => deltas.push(d));
      await controller.alterBrokerConfigs([{ op: 'set', name: 'log.retention.ms', value: '123' }], false, false);
      expect(image.brokerConfigs()).toEqual({ 'log.retention.ms': '123' });
      expect(image.effectiveTopicConfig('b')?.retentionMs).toBe(123);
      expect(deltas.some((d) => d.brokerConfigsChanged)).toBe(true);
      await expectKind(controller.alterBrokerConfigs([{ op: 'set', name: 'num.partitions', value: '3' }], false, false), 'INVALID_CONFIG', /dynamically/);
      await expectKind(controller.alterBrokerConfigs([{ op: 'set', name: 'nope', value: '3' }], false, false), 'INVALID_CONFIG');
      await controller.alterBrokerConfigs([], true, false);
      expect(image.brokerConfigs()).toEqual({});
    });
  });

  it('allocates unique producer ids across restarts', async () => {
    await withTempDir(async (dir) => {
      const ids: number[] = [];
      for (let round = 0; round < 2; round++) {
        const c = await startLocalCluster(testBrokerConfig(dir));
        ids.push(...(await Promise.all(Array.from({ length: 5 }, () => c.controller.allocateProducerId()))));
        await c.close();
      }
      expect(new Set(ids).size).toBe(10);
      expect(ids.slice(0, 5)).toEqual([0, 1, 2, 3, 4]);
      expect(Math.min(...ids.slice(5))).toBeGreaterThanOrEqual(1000);
    });
  });

  it('reloads topics, configs and cluster id after restart', async () => {
    await withTempDir(async (dir) => {
      const c1 = await startLocalCluster(testBrokerConfig(dir));
      const t = await c1.controller.createTopic(spec('persist', { configs: { 'segment.bytes': '1024' } }), false);
      await c1.controller.alterBrokerConfigs([{ op: 'set', name: 'message.max.bytes', value: '2000' }], false, false);
      const clusterId = c1.image.clusterId;
      await c1.close();
      const c2 = await startLocalCluster(testBrokerConfig(dir));
      expect(c2.image.clusterId).toBe(clusterId);
      expect(c2.image.topic('persist')).toEqual(t);
      expect(c2.image.brokerConfigs()).toEqual({ 'message.max.bytes': '2000' });
      await c2.close();
    });
  });
});
