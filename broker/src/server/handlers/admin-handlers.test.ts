/**
 * Admin handlers against a real LocalController + MetadataImage in a temp dir. Only
 * DeleteRecords uses a tiny fake ReplicaManager: the real one is written concurrently by
 * another helper; end-to-end client tests live elsewhere.
 */
import { GroupCoordinator } from '../../coordinator/group-coordinator.js';
import { InMemoryOffsetsTopic } from '../../coordinator/in-memory-offsets-log.js';
import { pino } from 'pino';
import { startLocalCluster, type LocalCluster } from '../../cluster/local-cluster.js';
import { testBrokerConfig, withTempDir } from '../../cluster/test-fixtures.js';
import type { BrokerConfig } from '../../config.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { CreatableTopic } from '../../protocol/messages/create-topics.js';
import type { PartitionReplica, ReplicaManager } from '../../replication/types.js';
import { OffsetOutOfRangeError } from '../../storage/types.js';
import { alterConfigsHandler } from './alter-configs.js';
import { createPartitionsHandler } from './create-partitions.js';
import { createTopicsHandler } from './create-topics.js';
import { deleteRecordsHandler } from './delete-records.js';
import { deleteTopicsHandler } from './delete-topics.js';
import { describeClusterHandler } from './describe-cluster.js';
import { describeConfigsHandler } from './describe-configs.js';
import { incrementalAlterConfigsHandler } from './incremental-alter-configs.js';
import type { ApiHandler, RequestContext } from './types.js';

const ZERO = '00000000000000000000000000000000';

/** The only PartitionReplica members DeleteRecords touches. */
type DeletableReplica = Pick<PartitionReplica, 'topic' | 'partition' | 'deleteRecordsBefore'>;

/** A partition whose log start offset moves within [0, hw]. */
function fakeReplica(topic: string, partition: number, hw: number): DeletableReplica {
  let start = 0;
  return {
    topic,
    partition,
    deleteRecordsBefore(offset: number): number {
      const target = offset === -1 ? hw : offset;
      if (target < 0 || target > hw) throw new OffsetOutOfRangeError(offset, start, hw);
      start = Math.max(start, target);
      return start;
    },
  };
}

/** Admin handlers call only partition(); the rest of ReplicaManager is never reached here. */
function fakeReplicaManager(parts: readonly DeletableReplica[]): ReplicaManager {
  const partial: Pick<ReplicaManager, 'partition'> = {
    partition: (t, p) => parts.find((r) => r.topic === t && r.partition === p) as PartitionReplica | undefined,
  };
  return partial as ReplicaManager;
}

interface Env {
  readonly cluster: LocalCluster;
  readonly config: BrokerConfig;
  call<Req, Res>(h: ApiHandler<Req, Res>, req: Req, apiVersion?: number): Promise<Res>;
}

async function withEnv(fn: (env: Env) => Promise<void>, replicas: ReplicaManager = fakeReplicaManager([])): Promise<void> {
  await withTempDir(async (dir) => {
    const config = testBrokerConfig(dir);
    const cluster = await startLocalCluster(config, undefined, () => 0);
    const logger = pino({ level: 'silent' });
    // Admin handlers never reach the group coordinator; it runs over the in-memory test double.
    const groups = new GroupCoordinator({ port: new InMemoryOffsetsTopic() });
    const offsetsTopic = { locate: () => ({ errorCode: 15, errorMessage: null, nodeId: -1, host: '', port: -1 }) };
    const broker = { nodeId: 0, config, metadata: cluster.image, controller: cluster.controller, replicas, logger, groups, offsetsTopic };
    const call = async <Req, Res>(h: ApiHandler<Req, Res>, req: Req, apiVersion = h.api.maxVersion): Promise<Res> => {
      const ctx: RequestContext = { broker, apiVersion, correlationId: 1, clientId: 'test', connectionId: 'c-1' };
      const res = await h.handle(req, ctx);
      if (res === null) throw new Error('no response');
      return res;
    };
    try {
      await fn({ cluster, config, call });
    } finally {
      await cluster.close();
    }
  });
}

function topic(name: string, over: Partial<CreatableTopic> = {}): CreatableTopic {
  return { name, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [], ...over };
}

describe('CreateTopics', () => {
  it('creates topics and reports v5+ details', async () => {
    await withEnv(async ({ call, cluster }) => {
      const res = await call(createTopicsHandler, { topics: [topic('a', { configs: [{ name: 'retention.ms', value: '1000' }] })], timeoutMs: 1000, validateOnly: false });
      const r = res.topics[0];
      expect(r).toMatchObject({ name: 'a', errorCode: 0, errorMessage: null, numPartitions: 2, replicationFactor: 1 });
      expect(r?.topicId).toBe(cluster.image.topic('a')?.topicId);
      expect(r?.configs?.find((c) => c.name === 'retention.ms')).toEqual({ name: 'retention.ms', value: '1000', readOnly: false, configSource: 1, isSensitive: false });
    });
  });

  it('uses -1 defaults, honours validateOnly, and reports errors per topic', async () => {
    await withEnv(async ({ call, cluster }) => {
      await call(createTopicsHandler, { topics: [topic('exists')], timeoutMs: 1000, validateOnly: false });
      const res = await call(createTopicsHandler, {
        topics: [
          topic('dry', { numPartitions: -1, replicationFactor: -1 }),
          topic('exists'),
          topic('dup'),
          topic('dup'),
          topic('bad/name'),
          topic('rf', { replicationFactor: 2 }),
          topic('cfg', { configs: [{ name: 'cleanup.policy', value: 'shred' }] }),
          topic('nullcfg', { configs: [{ name: 'retention.ms', value: null }] }),
          topic('gap', { numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 1, brokerIds: [0] }] }),
        ],
        timeoutMs: 1000,
        validateOnly: true,
      });
      const codes = Object.fromEntries(res.topics.map((t) => [t.name + (t.errorCode === ErrorCode.INVALID_REQUEST ? '#' : ''), t.errorCode]));
      expect(codes).toEqual({
        dry: ErrorCode.NONE,
        exists: ErrorCode.TOPIC_ALREADY_EXISTS,
        'dup#': ErrorCode.INVALID_REQUEST,
        'bad/name': ErrorCode.INVALID_TOPIC_EXCEPTION,
        rf: ErrorCode.INVALID_REPLICATION_FACTOR,
        cfg: ErrorCode.INVALID_CONFIG,
        nullcfg: ErrorCode.INVALID_CONFIG,
        gap: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      });
      expect(res.topics.find((t) => t.name === 'dry')).toMatchObject({ numPartitions: 1, replicationFactor: 1, topicId: ZERO });
      expect(res.topics.find((t) => t.name === 'rf')).toMatchObject({ numPartitions: -1, replicationFactor: -1 });
      expect(res.topics.find((t) => t.name === 'cfg')?.errorMessage).toMatch(/cleanup.policy/);
      expect(cluster.image.topic('dry')).toBeUndefined();
    });
  });
});

describe('DeleteTopics', () => {
  it('deletes by name (v0-5) and by id (v6)', async () => {
    await withEnv(async ({ call, cluster }) => {
      await call(createTopicsHandler, { topics: [topic('a'), topic('b')], timeoutMs: 1000, validateOnly: false });
      const idB = cluster.image.topic('b')?.topicId ?? '';
      const v1 = await call(deleteTopicsHandler, { topics: [], topicNames: ['a', 'missing'], timeoutMs: 1000 }, 1);
      expect(v1.responses.map((r) => [r.name, r.errorCode])).toEqual([
        ['a', ErrorCode.NONE],
        ['missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ]);
      const v6 = await call(deleteTopicsHandler, { topics: [{ name: null, topicId: idB }, { name: null, topicId: 'f'.repeat(32) }], topicNames: [], timeoutMs: 1000 }, 6);
      expect(v6.responses.map((r) => [r.name, r.topicId, r.errorCode])).toEqual([
        ['b', idB, ErrorCode.NONE],
        [null, 'f'.repeat(32), ErrorCode.UNKNOWN_TOPIC_ID],
      ]);
      expect([...cluster.image.topics()]).toEqual([]);
    });
  });
});

describe('CreatePartitions', () => {
  it('adds partitions and reports errors', async () => {
    await withEnv(async ({ call, cluster }) => {
      await call(createTopicsHandler, { topics: [topic('p')], timeoutMs: 1000, validateOnly: false });
      const res = await call(createPartitionsHandler, {
        topics: [
          { name: 'p', count: 4, assignments: null },
          { name: 'nope', count: 2, assignments: null },
        ],
        timeoutMs: 1000,
        validateOnly: false,
      });
      expect(res.results.map((r) => [r.name, r.errorCode])).toEqual([
        ['p', ErrorCode.NONE],
        ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ]);
      expect(cluster.image.topic('p')?.partitions).toHaveLength(4);
      const shrink = await call(createPartitionsHandler, { topics: [{ name: 'p', count: 1, assignments: null }], timeoutMs: 1, validateOnly: false });
      expect(shrink.results[0]).toMatchObject({ errorCode: ErrorCode.INVALID_PARTITIONS });
      expect(shrink.results[0]?.errorMessage).toMatch(/higher than/);
    });
  });
});

describe('DescribeConfigs / AlterConfigs / IncrementalAlterConfigs', () => {
  it('describes topic and broker configs with sources, synonyms and docs', async () => {
    await withEnv(async ({ call }) => {
      await call(createTopicsHandler, { topics: [topic('t', { configs: [{ name: 'retention.ms', value: '5' }] })], timeoutMs: 1000, validateOnly: false });
      const res = await call(describeConfigsHandler, {
        resources: [
          { resourceType: 2, resourceName: 't', configurationKeys: ['retention.ms', 'segment.bytes'] },
          { resourceType: 2, resourceName: 'missing', configurationKeys: null },
          { resourceType: 4, resourceName: '0', configurationKeys: null },
          { resourceType: 4, resourceName: '9', configurationKeys: null },
          { resourceType: 99, resourceName: 'x', configurationKeys: null },
        ],
        includeSynonyms: true,
        includeDocumentation: true,
      });
      const [t, missing, broker, other, weird] = res.results;
      expect(t?.configs.map((c) => [c.name, c.value, c.configSource])).toEqual([
        ['retention.ms', '5', 1],
        ['segment.bytes', '1073741824', 5],
      ]);
      expect(t?.configs[0]?.synonyms.map((s) => s.source)).toEqual([1, 5]);
      expect(t?.configs[0]).toMatchObject({ configType: 5, readOnly: false, isSensitive: false });
      expect(t?.configs[0]?.documentation).toBeTruthy();
      expect(missing).toMatchObject({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, configs: [] });
      expect(broker?.errorCode).toBe(0);
      expect(broker?.configs.find((c) => c.name === 'broker.id')).toMatchObject({ value: '0', readOnly: true });
      expect(other?.errorCode).toBe(ErrorCode.INVALID_REQUEST);
      expect(weird?.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    });
  });

  it('omits synonyms and documentation unless asked', async () => {
    await withEnv(async ({ call }) => {
      const res = await call(describeConfigsHandler, { resources: [{ resourceType: 4, resourceName: '0', configurationKeys: ['log.retention.ms'] }], includeSynonyms: false, includeDocumentation: false });
      expect(res.results[0]?.configs).toEqual([
        { name: 'log.retention.ms', value: '604800000', readOnly: false, isDefault: true, configSource: 5, isSensitive: false, synonyms: [], configType: 5, documentation: null },
      ]);
    });
  });

  it('AlterConfigs replaces overrides; IncrementalAlterConfigs edits them', async () => {
    await withEnv(async ({ call, cluster }) => {
      await call(createTopicsHandler, { topics: [topic('t', { configs: [{ name: 'retention.ms', value: '5' }] })], timeoutMs: 1000, validateOnly: false });
      const alter = await call(alterConfigsHandler, {
        resources: [
          { resourceType: 2, resourceName: 't', configs: [{ name: 'segment.ms', value: '100' }] },
          { resourceType: 2, resourceName: 'missing', configs: [] },
          { resourceType: 4, resourceName: '', configs: [{ name: 'log.retention.ms', value: 'x' }] },
        ],
        validateOnly: false,
      });
      expect(alter.responses.map((r) => r.errorCode)).toEqual([0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.INVALID_CONFIG]);
      expect(cluster.image.topic('t')?.configs).toEqual({ 'segment.ms': '100' });

      const inc = await call(incrementalAlterConfigsHandler, {
        resources: [
          { resourceType: 2, resourceName: 't', configs: [{ name: 'cleanup.policy', configOperation: 2, value: 'compact' }, { name: 'segment.ms', configOperation: 1, value: null }] },
          { resourceType: 2, resourceName: 't', configs: [{ name: 'retention.ms', configOperation: 0, value: 'soon' }] },
          { resourceType: 2, resourceName: 't', configs: [{ name: 'retention.ms', configOperation: 9, value: '1' }] },
          { resourceType: 4, resourceName: '0', configs: [{ name: 'log.retention.ms', configOperation: 0, value: '42' }] },
          { resourceType: 4, resourceName: '0', configs: [{ name: 'num.partitions', configOperation: 0, value: '2' }] },
        ],
        validateOnly: false,
      });
      expect(inc.responses.map((r) => r.errorCode)).toEqual([0, ErrorCode.INVALID_CONFIG, ErrorCode.INVALID_REQUEST, 0, ErrorCode.INVALID_CONFIG]);
      expect(inc.responses[1]?.errorMessage).toMatch(/Invalid value soon for configuration retention.ms/);
      expect(cluster.image.topic('t')?.configs).toEqual({ 'cleanup.policy': 'delete,compact' });
      expect(cluster.image.brokerConfigs()).toEqual({ 'log.retention.ms': '42' });

      const d = await call(describeConfigsHandler, { resources: [{ resourceType: 4, resourceName: '', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false });
      expect(d.results[0]?.configs.map((c) => [c.name, c.value, c.configSource])).toEqual([['log.retention.ms', '42', 3]]);
    });
  });
});

describe('DescribeCluster', () => {
  it('returns brokers, controller and cluster id', async () => {
    await withEnv(async ({ call, cluster }) => {
      const res = await call(describeClusterHandler, { includeClusterAuthorizedOperations: false, endpointType: 1 });
      expect(res).toMatchObject({ errorCode: 0, clusterId: cluster.image.clusterId, controllerId: 0, clusterAuthorizedOperations: -2147483648 });
      expect(res.brokers).toEqual([{ brokerId: 0, host: '127.0.0.1', port: 9092, rack: null }]);
      const ctl = await call(describeClusterHandler, { includeClusterAuthorizedOperations: true, endpointType: 2 }, 1);
      expect(ctl.errorCode).toBe(ErrorCode.MISMATCHED_ENDPOINT_TYPE);
    });
  });
});

describe('DeleteRecords', () => {
  it('moves the low watermark and maps errors', async () => {
    const replicas = fakeReplicaManager([fakeReplica('r', 0, 10)]);
    await withEnv(async ({ call }) => {
      await call(createTopicsHandler, { topics: [topic('r', { numPartitions: 1 })], timeoutMs: 1000, validateOnly: false });
      const res = await call(deleteRecordsHandler, {
        topics: [
          { name: 'r', partitions: [{ partitionIndex: 0, offset: 4 }, { partitionIndex: 1, offset: 1 }] },
          { name: 'nope', partitions: [{ partitionIndex: 0, offset: 1 }] },
        ],
        timeoutMs: 1000,
      });
      expect(res.topics.map((t) => t.partitions)).toEqual([
        [
          { partitionIndex: 0, lowWatermark: 4, errorCode: 0 },
          { partitionIndex: 1, lowWatermark: -1, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
        ],
        [{ partitionIndex: 0, lowWatermark: -1, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }],
      ]);
      const beyond = await call(deleteRecordsHandler, { topics: [{ name: 'r', partitions: [{ partitionIndex: 0, offset: 11 }] }], timeoutMs: 1 });
      expect(beyond.topics[0]?.partitions[0]?.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
      const toHw = await call(deleteRecordsHandler, { topics: [{ name: 'r', partitions: [{ partitionIndex: 0, offset: -1 }] }], timeoutMs: 1 });
      expect(toHw.topics[0]?.partitions[0]).toEqual({ partitionIndex: 0, lowWatermark: 10, errorCode: 0 });
    }, replicas);
  });
});
