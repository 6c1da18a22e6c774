/**
 * CreateTopics (19): validate and create through the Controller. v5+ responses carry the
 * resulting partition count, replication factor and every config with its source.
 */
import { NO_ERROR, duplicates, errorResult, toErrorResult } from '../../cluster/admin-errors.js';
import { describeTopicConfigs } from '../../cluster/broker-config.js';
import { ControllerError, type CreateTopicSpec, type TopicImage } from '../../cluster/types.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  CreateTopics,
  type CreatableTopic,
  type CreatableTopicResult,
  type CreateTopicsRequest,
  type CreateTopicsResponse,
} from '../../protocol/messages/create-topics.js';
import type { ApiHandler, RequestContext } from './types.js';

const ZERO_UUID = '00000000000000000000000000000000';

/** Request topic -> controller spec; manual assignments must cover partitions 0..n-1. */
function toSpec(t: CreatableTopic): CreateTopicSpec {
  const configs: Record<string, string> = {};
  for (const c of t.configs) {
    if (c.value === null) throw new ControllerError('INVALID_CONFIG', `Null value not supported for topic configs: ${c.name}`);
    configs[c.name] = c.value;
  }
  const sorted = [...t.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex);
  sorted.forEach((a, i) => {
    if (a.partitionIndex !== i) {
      throw new ControllerError('INVALID_REPLICA_ASSIGNMENT', 'Partitions should be a consecutive 0-based integer sequence');
    }
  });
  return {
    name: t.name,
    numPartitions: t.numPartitions,
    replicationFactor: t.replicationFactor,
    assignments: sorted.map((a) => a.brokerIds),
    configs,
  };
}

function success(t: TopicImage, validateOnly: boolean, ctx: RequestContext): CreatableTopicResult {
  const b = ctx.broker;
  return {
    name: t.name,
    topicId: validateOnly ? ZERO_UUID : t.topicId,
    ...NO_ERROR,
    topicConfigErrorCode: ErrorCode.NONE,
    numPartitions: t.partitions.length,
    replicationFactor: t.partitions[0]?.replicas.length ?? -1,
    configs: describeTopicConfigs(b.config, b.metadata.brokerConfigs(), t.configs).map((c) => ({
      name: c.name,
      value: c.value,
      readOnly: c.readOnly,
      configSource: c.source,
      isSensitive: c.sensitive,
    })),
  };
}

function failure(name: string, errorCode: number, errorMessage: string | null): CreatableTopicResult {
  return { name, topicId: ZERO_UUID, errorCode, errorMessage, topicConfigErrorCode: ErrorCode.NONE, numPartitions: -1, replicationFactor: -1, configs: [] };
}

export const createTopicsHandler: ApiHandler<CreateTopicsRequest, CreateTopicsResponse> = {
  api: CreateTopics,
  async handle(req, ctx) {
    const dup = duplicates(req.topics.map((t) => t.name));
    const topics = await Promise.all(
      req.topics.map(async (t): Promise<CreatableTopicResult> => {
        if (dup.has(t.name)) {
          const e = errorResult(ErrorCode.INVALID_REQUEST, `Create topics request contains multiple entries for the topic ${t.name}`);
          return failure(t.name, e.errorCode, e.errorMessage);
        }
        try {
          const created = await ctx.broker.controller.createTopic(toSpec(t), req.validateOnly);
          return success(created, req.validateOnly, ctx);
        } catch (err) {
          const e = toErrorResult(err);
          if (!(err instanceof ControllerError)) ctx.broker.logger.error({ err, topic: t.name }, 'CreateTopics failed');
          return failure(t.name, e.errorCode, e.errorMessage);
        }
      }),
    );
    return { throttleTimeMs: 0, topics };
  },
};
