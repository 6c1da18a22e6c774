/**
 * Metadata (3), answered from the local MetadataImage. Unknown topics are auto-created when
 * both auto.create.topics.enable and the request allow it; as in Kafka, a topic created by
 * this request is reported LEADER_NOT_AVAILABLE (no partitions) and clients retry.
 */
import { ControllerError, type PartitionState, type TopicImage } from '../../cluster/types.js';
import { ErrorCode } from '../../protocol/errors.js';
import type {
  MetadataRequest,
  MetadataResponse,
  MetadataResponsePartition,
  MetadataResponseTopic,
} from '../../protocol/messages/metadata.js';
import { Metadata } from '../../protocol/messages/metadata.js';
import type { ApiHandler, BrokerServices, RequestContext } from './types.js';

/** Without an authorizer every operation is allowed (bit per AclOperation code). */
const TOPIC_OPERATIONS = [3, 4, 5, 6, 7, 8, 10, 11].reduce((m, op) => m | (1 << op), 0);
const CLUSTER_OPERATIONS = [5, 7, 8, 9, 10, 11, 12].reduce((m, op) => m | (1 << op), 0);
const OMITTED = -2147483648;
const ZERO_UUID = '00000000000000000000000000000000';

/**
 * Served from v0 although the architecture's client targets need only 1+: kafka-python
 * 2.0.2 pipelines a Metadata v0 behind its ApiVersions probe and misdetects the broker when
 * that closes the connection.
 */
const MetadataFromV0 = { ...Metadata, minVersion: 0 };

export const metadataHandler: ApiHandler<MetadataRequest, MetadataResponse> = {
  api: MetadataFromV0,
  async handle(req, ctx) {
    const b = ctx.broker;
    const image = b.metadata;
    const live = new Set(image.brokers().map((r) => r.id));
    const topicOps = req.includeTopicAuthorizedOperations ? TOPIC_OPERATIONS : OMITTED;

    const topics: MetadataResponseTopic[] = [];
    // v0 has no null: an empty list means every topic.
    if (req.topics === null || (ctx.apiVersion === 0 && req.topics.length === 0)) {
      for (const t of image.topics()) topics.push(describeTopic(t, live, topicOps));
    } else {
      // Auto-creations run concurrently; one slow creation should not serialize the rest.
      const results = await Promise.all(req.topics.map((rt) => resolveTopic(rt.name, rt.topicId, req, ctx, live, topicOps)));
      topics.push(...results);
    }

    return {
      throttleTimeMs: 0,
      brokers: image.brokers().map((r) => ({ nodeId: r.id, host: r.host, port: r.port, rack: r.rack })),
      clusterId: image.clusterId,
      controllerId: image.controllerId,
      topics,
      clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? CLUSTER_OPERATIONS : OMITTED,
      errorCode: ErrorCode.NONE,
    };
  },
};

async function resolveTopic(
  name: string | null,
  topicId: string,
  req: MetadataRequest,
  ctx: RequestContext,
  live: ReadonlySet<number>,
  topicOps: number,
): Promise<MetadataResponseTopic> {
  const image = ctx.broker.metadata;
  if (name === null) {
    const t = image.topicById(topicId);
    if (t === undefined) return errorTopic(null, topicId, ErrorCode.UNKNOWN_TOPIC_ID, topicOps);
    return describeTopic(t, live, topicOps);
  }
  const existing = image.topic(name);
  if (existing !== undefined) return describeTopic(existing, live, topicOps);
  // allowAutoTopicCreation exists from v4; older versions always allowed it.
  const allowed = ctx.broker.config.settings['auto.create.topics.enable'] && (ctx.apiVersion < 4 || req.allowAutoTopicCreation);
  if (!allowed) return errorTopic(name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, topicOps);
  return autoCreate(name, ctx.broker, topicOps);
}

async function autoCreate(name: string, b: BrokerServices, topicOps: number): Promise<MetadataResponseTopic> {
  try {
    const t = await b.controller.createTopic(
      { name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: {} },
      false,
    );
    b.logger.info({ topic: name, partitions: t.partitions.length }, 'auto-created topic');
    return errorTopic(name, t.topicId, ErrorCode.LEADER_NOT_AVAILABLE, topicOps);
  } catch (e) {
    if (e instanceof ControllerError) {
      if (e.kind === 'TOPIC_ALREADY_EXISTS') {
        const t = b.metadata.topic(name);
        return t ? errorTopic(name, t.topicId, ErrorCode.LEADER_NOT_AVAILABLE, topicOps) : errorTopic(name, ZERO_UUID, ErrorCode.LEADER_NOT_AVAILABLE, topicOps);
      }
      if (e.kind === 'INVALID_TOPIC_EXCEPTION') return errorTopic(name, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION, topicOps);
      // e.g. INVALID_REPLICATION_FACTOR with too few brokers: Kafka reports the topic unavailable.
      b.logger.warn({ topic: name, kind: e.kind, reason: e.message }, 'auto-create failed');
      return errorTopic(name, ZERO_UUID, ErrorCode.LEADER_NOT_AVAILABLE, topicOps);
    }
    throw e;
  }
}

function errorTopic(name: string | null, topicId: string, errorCode: number, topicOps: number): MetadataResponseTopic {
  return { errorCode, name, topicId, isInternal: false, partitions: [], topicAuthorizedOperations: topicOps };
}

function describeTopic(t: TopicImage, live: ReadonlySet<number>, topicOps: number): MetadataResponseTopic {
  return {
    errorCode: ErrorCode.NONE,
    name: t.name,
    topicId: t.topicId,
    isInternal: t.internal,
    partitions: t.partitions.map((p) => describePartition(p, live)),
    topicAuthorizedOperations: topicOps,
  };
}

function describePartition(p: PartitionState, live: ReadonlySet<number>): MetadataResponsePartition {
  const offline = p.replicas.filter((r) => !live.has(r));
  const leaderUp = p.leader >= 0 && live.has(p.leader);
  return {
    errorCode: leaderUp ? ErrorCode.NONE : ErrorCode.LEADER_NOT_AVAILABLE,
    partitionIndex: p.partition,
    leaderId: leaderUp ? p.leader : -1,
    leaderEpoch: p.leaderEpoch,
    replicaNodes: [...p.replicas],
    isrNodes: [...p.isr],
    offlineReplicas: offline,
  };
}
